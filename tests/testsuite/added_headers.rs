//! A message that comes without Date: and Message-ID:, on the simulated
//! network, to real host code: sendmail adds both for any client (its cf's
//! H?D?Date: and H?M?Message-Id:, under Received:); Postfix's cleanup adds
//! them only for clients at the host's own address
//! (local_header_rewrite_clients = permit_inet_interfaces), Message-Id then
//! Date at the end of the header.

use maillab::net::{Net, Stream};
use maillab::proto::ports::SMTP;
use maillab::trace::{Field, Kind, Trace};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);
const SM: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 25);
const PF: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 26);

async fn start() -> (Net, Trace) {
    crate::common::start_sim(&crate::common::two_stores("added-headers"), "added-headers.yaml", PC).await
}

async fn reply(s: &mut Stream) -> String {
    crate::common::smtp_reply(s).await
}

/// Sends `header` (CRLF-separated fields) and a short body from `from` to
/// `rcpt` at `to`'s SMTP port; the reply to the end of DATA.
async fn send(net: &Net, from: Ipv4Addr, to: Ipv4Addr, rcpt: &str, header: &str) -> String {
    let mut s = net.connect(from, SocketAddrV4::new(to, SMTP)).await.expect("connected").stream;
    assert!(reply(&mut s).await.starts_with("220"));
    let mut last = String::new();
    for l in ["EHLO client.example.org", "MAIL FROM:<x@example.org>", &format!("RCPT TO:<{rcpt}>"), "DATA"] {
        s.write_all(format!("{l}\r\n").as_bytes()).await.expect("written");
        last = reply(&mut s).await;
    }
    assert!(last.starts_with("354"), "{last}");
    s.write_all(format!("{header}\r\n\r\nhi\r\n.\r\n").as_bytes()).await.expect("written");
    reply(&mut s).await
}

/// The header fields of the `n`th message (from 0) delivered on `host`, waiting for it.
async fn delivered(trace: &Trace, host: &str, n: usize) -> Vec<String> {
    for _ in 0..600 {
        let found = trace.with_events(|ev| {
            ev.iter()
                .filter(|e| e.kind == Kind::Deliver && e.host == host)
                .nth(n)
                .and_then(|e| e.field_str(Field::Message).map(str::to_string))
        });
        if let Some(m) = found {
            let head = m.split("\r\n\r\n").next().unwrap_or_default().to_string();
            return head.split("\r\n").map(str::to_string).collect();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("no message {n} delivered on {host}");
}

fn count(fields: &[String], name: &str) -> usize {
    fields.iter().filter(|f| f.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase()))).count()
}

/// sendmail adds Date: and Message-Id: under Received: for a client
/// anywhere, and leaves a message that has them alone.
#[tokio::test(start_paused = true)]
async fn sendmail_adds_date_and_message_id_for_any_client() {
    let (net, trace) = start().await;
    let r = send(&net, PC, SM, "alice@example.com", "Subject: bare").await;
    assert!(r.starts_with("250 2.0.0 "), "{r}");
    let f = delivered(&trace, "sm", 0).await;
    let at = f.iter().position(|l| l.starts_with("Received: ")).expect("a Received: field");
    assert!(f[at + 2].starts_with("\tfor <alice@example.com>; "), "{f:#?}");
    assert_eq!(f[at + 3], "Date: Wed, 1 Apr 2026 10:00:00 +0900", "{f:#?}");
    // <$t.$i@$j>: $t the GMT time to the minute, $i the queue id.
    let id = f[at + 4].strip_prefix("Message-Id: <202604010100.").expect("sendmail's Message-Id");
    assert!(id.ends_with("@sm.example.com>"), "{f:#?}");
    assert_eq!(f[at + 5], "Subject: bare", "{f:#?}");

    let own = "Date: Tue, 31 Mar 2026 09:00:00 +0900\r\nMessage-ID: <own@example.org>\r\nSubject: dressed";
    send(&net, PC, SM, "alice@example.com", own).await;
    let f = delivered(&trace, "sm", 1).await;
    assert_eq!((count(&f, "Date"), count(&f, "Message-ID")), (1, 1), "{f:#?}");
    assert!(f.iter().any(|l| l == "Message-ID: <own@example.org>"), "{f:#?}");
}

/// Postfix adds nothing for a client elsewhere; for a client at its own
/// address it appends Message-Id: then Date: to the header.
#[tokio::test(start_paused = true)]
async fn postfix_adds_them_only_for_its_own_address() {
    let (net, trace) = start().await;
    let r = send(&net, PC, PF, "bob@example.net", "Subject: from afar").await;
    assert!(r.starts_with("250 2.0.0 Ok: queued as "), "{r}");
    let f = delivered(&trace, "pf", 0).await;
    assert_eq!((count(&f, "Date"), count(&f, "Message-ID")), (0, 0), "{f:#?}");

    let r = send(&net, PF, PF, "bob@example.net", "Subject: from here").await;
    let qid = r.rsplit(' ').next().expect("a queue id").to_string();
    let f = delivered(&trace, "pf", 1).await;
    let n = f.len();
    assert_eq!(f[n - 3], "Subject: from here", "{f:#?}");
    // cleanup_message.c: <%Y%m%d%H%M%S.QID@myhostname>, GMT.
    assert_eq!(f[n - 2], format!("Message-Id: <20260401010000.{qid}@pf.example.net>"), "{f:#?}");
    assert_eq!(f[n - 1], "Date: Wed, 1 Apr 2026 10:00:00 +0900", "{f:#?}");
}
