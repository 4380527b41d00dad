#![no_main]
//! Any bytes from a client, split into two reads at any point: the SMTP
//! server core must never panic and must stay bounded.
use libfuzzer_sys::fuzz_target;
use maillab::proto::smtp::server::{Envelope, Peer, Policy, Server, ServerConfig};
use maillab::proto::smtp::{Flavour, Mailbox, Reply};

struct Accept;
impl Policy for Accept {
    fn greeting(&mut self) -> Reply {
        Reply::new(220, "fuzz ESMTP")
    }
    fn mail(&mut self, _: &Envelope) -> Reply {
        Reply::new(250, "2.1.0 Ok")
    }
    fn rcpt(&mut self, _: &Envelope, m: &Mailbox) -> Reply {
        if m.local.len() % 2 == 0 { Reply::new(250, "2.1.5 Ok") } else { Reply::new(550, "5.1.1 no") }
    }
    fn message(&mut self, _: &Envelope, data: Vec<u8>) -> Reply {
        assert!(data.len() <= 4096 + 1002);
        Reply::new(250, "2.0.0 queued")
    }
    fn password(&mut self, u: &str) -> Option<String> {
        (u == "bob").then(|| "secret".to_string())
    }
}

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map(|b| *b as usize).unwrap_or(0).min(data.len());
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        let cfg = ServerConfig { hostname: "mx.example".into(), flavour, max_message_size: 4096, max_recipients: 5, auth: true, show_secrets: true };
        let mut s = Server::new(cfg, Peer { ip: std::net::Ipv4Addr::new(192, 0, 2, 1), name: None });
        let mut p = Accept;
        for part in [&data[..cut], &data[cut..]] {
            s.feed(part);
            let mut n = 0;
            while s.poll(&mut p).is_some() {
                n += 1;
                assert!(n < 100_000, "poll never settles");
            }
        }
    }
});
