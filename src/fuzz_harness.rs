//! The fuzz targets' driving code, in one place: each `fuzz/fuzz_targets/T.rs`
//! calls `T(data)`, and the test suite's `fuzz_regressions` replays every
//! input of `fuzz/regressions/T/` through the same function. Not part of the
//! crate's interface (hidden from the docs).
//!
//! Every function must not panic on any input; one that loops polling a core
//! stops with a panic ("poll never settles") instead of hanging.

use crate::proto::dns;
use crate::proto::imap::{self, ImapConfig};
use crate::proto::pop3::{self, Pop3Config};
use crate::proto::smtp::address::parse_mailbox;
use crate::proto::smtp::client::{Client, ClientAuth, Job};
use crate::proto::smtp::server::{self, Envelope, Peer, Policy, ServerConfig};
use crate::proto::smtp::{Flavour, Mailbox, Path as SmtpPath, Reply};
use crate::store::Store;
use std::sync::Arc;

/// A fuzz target's driving function: any bytes, never a panic.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder of `fuzz/regressions/` and the binary
/// of `fuzz/Cargo.toml`) and its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("smtp_server", smtp_server),
    ("smtp_client", smtp_client),
    ("fetch_client", fetch_client),
    ("pop3", pop3),
    ("imap", imap),
    ("dns", dns),
    ("dns_tcp", dns_tcp),
    ("scenario", scenario),
    ("scenario_run", scenario_run),
    ("lesson", lesson),
    ("listserv", listserv),
    ("rfc2047", rfc2047),
    ("mailauth", mailauth),
];

/// SPF and DMARC records and From: fields from anywhere: the SPF evaluator
/// (the text as a domain's TXT record, answered by a DNS database), the
/// DMARC parser and decision, and the From: reader never panic, and the
/// evaluator ends within its look-up limit.
pub fn mailauth(data: &[u8]) {
    crate::proto::mailauth::exercise(&String::from_utf8_lossy(data));
}

/// Poll until there is nothing more to do; a core that never settles panics
/// (a finding for the fuzzer, a failure for the regression test).
fn settle<T>(mut poll: impl FnMut() -> Option<T>) {
    let mut n = 0;
    while poll().is_some() {
        n += 1;
        assert!(n < 100_000, "poll never settles");
    }
}

fn fixed_time() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset()
}

struct Accept;
impl Policy for Accept {
    fn greeting(&mut self) -> Reply {
        Reply::new(220, "fuzz ESMTP")
    }
    fn mail(&mut self, _: &Envelope) -> Reply {
        Reply::new(250, "2.1.0 Ok")
    }
    fn rcpt(&mut self, _: &Envelope, m: &Mailbox, _: &str) -> Reply {
        if m.local.len().is_multiple_of(2) { Reply::new(250, "2.1.5 Ok") } else { Reply::new(550, "5.1.1 no") }
    }
    fn message(&mut self, _: &Envelope, data: &[u8]) -> Reply {
        assert!(data.len() <= 4096 + 1002);
        Reply::new(250, "2.0.0 queued")
    }
    fn password(&mut self, u: &str) -> Option<(String, String)> {
        (u == "bob").then(|| ("bob".to_string(), "secret".to_string()))
    }
}

/// Any bytes from a client, split into two reads at any point (the first
/// byte picks where): the SMTP server core, both flavours, AUTH on, TLS off,
/// offered and required (a STARTTLS the core accepts is followed at once by
/// a finished handshake), must never panic and must stay bounded.
pub fn smtp_server(data: &[u8]) {
    use crate::proto::tls::{TlsInfo, TlsMode};
    let cut = data.first().map(|b| *b as usize).unwrap_or(0).min(data.len());
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        for tls in [TlsMode::Off, TlsMode::Offered, TlsMode::Required] {
            let cfg = ServerConfig {
                hostname: "mx.example".into(),
                flavour,
                max_message_size: 4096,
                max_recipients: 5,
                auth: true,
                show_secrets: true,
                tls,
                dsn: !data.len().is_multiple_of(7),
                helo_required: data.len().is_multiple_of(3),
            };
            let mut s =
                server::Server::new(cfg, Peer { ip: std::net::Ipv4Addr::new(192, 0, 2, 1), name: None, forged: false });
            let mut p = Accept;
            for part in [&data[..cut], &data[cut..]] {
                s.feed(part);
                let mut n = 0;
                while let Some(o) = s.poll(&mut p) {
                    if o == server::Output::StartTls {
                        s.tls_started(TlsInfo {
                            version: "TLSv1.3".into(),
                            cipher: "TLS_AES_256_GCM_SHA384".into(),
                            bits: 256,
                            subject: "mx.example".into(),
                            group: "X25519".into(),
                            signature: "ED25519".into(),
                        });
                    }
                    n += 1;
                    assert!(n < 100_000, "poll never settles");
                }
            }
        }
    }
}

/// Any bytes from a server: the reply parser and the client core never panic.
pub fn smtp_client(data: &[u8]) {
    let Ok(rcpt) = parse_mailbox("alice@example.com") else { return };
    let auth = data.len().is_multiple_of(2).then(|| ClientAuth {
        user: "u".into(),
        password: "p".into(),
        mechanism: "CRAM-MD5".into(),
    });
    let rcpt2 = rcpt.clone();
    let mut c = Client::new(Job {
        helo: "h.example".into(),
        from: SmtpPath::Null,
        rcpts: vec![rcpt_params(data.len().is_multiple_of(4), rcpt2)],
        data: b"x\r\n".to_vec(),
        auth,
        starttls: true,
        chunking: data.len().is_multiple_of(3),
        smtputf8: data.len().is_multiple_of(5),
        dsn: dsn_params(data.len().is_multiple_of(4)),
    });
    for chunk in data.chunks(7) {
        c.feed(chunk);
        let mut n = 0;
        while let Some(o) = c.poll() {
            if o == crate::proto::smtp::client::ClientOutput::StartTls {
                c.tls_started();
            }
            n += 1;
            assert!(n < 100_000, "poll never settles");
        }
    }
    c.connection_lost("end of input");
    settle(|| c.poll());
}

/// DSN parameters of MAIL for the client's job (RFC 3461), or none.
fn dsn_params(on: bool) -> crate::proto::smtp::envelope::MailParams {
    use crate::proto::smtp::envelope::{MailParams, Ret};
    let mut p = MailParams::default();
    if on {
        p.ret = Some(Ret::Hdrs);
        p.envid = Some("id +=1".into());
    }
    p
}

/// The recipient with its NOTIFY and ORCPT (RFC 3461), or without.
fn rcpt_params(on: bool, addr: crate::proto::smtp::Mailbox) -> crate::proto::smtp::envelope::Rcpt {
    use crate::proto::smtp::envelope::{Notify, Rcpt, RcptParams};
    let n = Notify { success: true, failure: true, delay: false };
    let dsn = if on {
        RcptParams { notify: Some(n), orcpt: Some(("rfc822".into(), addr.to_string())) }
    } else {
        RcptParams::default()
    };
    Rcpt { addr, dsn }
}

/// Any bytes from a POP3 or IMAP server to the mailbox client. The first
/// byte picks the job: bit 0 IMAP, bit 1 APOP, bit 2 delete, bit 3 timeouts
/// before pieces that start with NUL; the high nibble plus one is the size of
/// the pieces fed, and its top two bits also pick STLS/STARTTLS (never, when
/// offered, required; the handshake "succeeds" whenever the client asks).
pub fn fetch_client(data: &[u8]) {
    use crate::proto::fetch::{Client, Job, Limits, Protocol, StartTls};
    use std::time::Duration;
    let Some((&sel, rest)) = data.split_first() else { return };
    let job = Job {
        protocol: if sel & 1 == 0 { Protocol::Pop3 } else { Protocol::Imap },
        user: "alice@example.com".into(),
        password: "pw".into(),
        apop: sel & 2 != 0,
        delete: sel & 4 != 0,
        starttls: match sel >> 6 {
            0 => StartTls::Never,
            1 => StartTls::IfOffered,
            _ => StartTls::Required,
        },
        limits: Limits { max_line: 256, max_message: 1024, max_total: 2048, max_messages: 8, ..Limits::default() },
    };
    let mut c = Client::new(job, Duration::ZERO);
    let mut now = Duration::ZERO;
    settle(|| poll_tls(&mut c));
    for piece in rest.chunks(1 + usize::from(sel >> 4)) {
        if sel & 8 != 0
            && piece.first() == Some(&0)
            && let Some(t) = c.poll_timeout()
        {
            now = t;
            c.handle_timeout(now);
            settle(|| poll_tls(&mut c));
        }
        now += Duration::from_millis(10);
        c.feed(now, piece);
        settle(|| poll_tls(&mut c));
    }
    c.connection_lost("end of input");
    settle(|| poll_tls(&mut c));
    assert!(c.is_done(), "a closed connection ends the session");
}

/// Poll the mailbox client; a TLS handshake it asks for succeeds at once.
fn poll_tls(c: &mut crate::proto::fetch::Client) -> Option<crate::proto::fetch::Output> {
    let o = c.poll();
    if o == Some(crate::proto::fetch::Output::StartTls) {
        c.tls_started();
    }
    o
}

/// Any bytes from a POP3 client, logged in to a maildrop with two messages;
/// then the same bytes before login on a host that requires TLS.
pub fn pop3(data: &[u8]) {
    let mut store = Store::new();
    let t = fixed_time();
    store.add_account("alice@example.com", "pw", t);
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s = pop3::Server::new(
        Pop3Config { hostname: "pop.example".into(), show_secrets: false },
        "<1.2@pop.example>".into(),
    );
    let mut input = b"USER alice@example.com\r\nPASS pw\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(11) {
        s.feed(chunk);
        settle(|| s.poll(&mut store));
    }
    s.peer_closed();
    // The same bytes before login on a host that requires TLS (STLS, the
    // handshake "succeeds" whenever asked for).
    let mut s = pop3::Server::new(
        Pop3Config { hostname: "pop.example".into(), show_secrets: false },
        "<1.2@pop.example>".into(),
    )
    .tls(crate::proto::tls::TlsMode::Required);
    for chunk in data.chunks(11) {
        s.feed(chunk);
        settle(|| {
            let o = s.poll(&mut store);
            if o == Some(pop3::Output::StartTls) {
                s.tls_started();
            }
            o
        });
    }
    s.peer_closed();
}

/// Any bytes from an IMAP client (logged in, two messages, one multipart;
/// the special-use mailboxes Sent, Drafts, Trash, Junk), including literals;
/// then the same bytes before login on a host that requires TLS.
pub fn imap(data: &[u8]) {
    let mut store = Store::new();
    let t = fixed_time();
    store.add_account("alice@example.com", "pw", t);
    let _ = store.add_special_mailboxes("alice@example.com", t);
    // Small, so that `COPY 1:* INBOX` again and again meets it soon (the
    // default lets a mailbox grow to 100,000 messages) and an input that
    // fills it and then fetches everything still runs in a millisecond: with
    // room for 1,000 messages the fuzzer ran 170 inputs a second.
    store.set_quota(crate::store::Quota { messages: 64, bytes: 64 << 10 });
    let mime = b"Subject: m\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--b--\r\n";
    store.deliver("alice@example.com", Arc::new(mime.to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s =
        imap::Server::new(ImapConfig { hostname: "imap.example".into(), show_secrets: false, max_literal: 4096 });
    let mut input = b"a LOGIN alice@example.com pw\r\nb SELECT INBOX\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(13) {
        s.feed(chunk);
        settle(|| s.poll(&mut store, t));
    }
    s.mailbox_changed();
    settle(|| s.poll(&mut store, t));
    s.peer_closed();
    // The same bytes before login on a host that requires TLS (STARTTLS, the
    // handshake "succeeds" whenever asked for).
    let mut s =
        imap::Server::new(ImapConfig { hostname: "imap.example".into(), show_secrets: false, max_literal: 4096 })
            .tls(crate::proto::tls::TlsMode::Required);
    for chunk in data.chunks(13) {
        s.feed(chunk);
        settle(|| {
            let o = s.poll(&mut store, t);
            if o == Some(imap::Output::StartTls) {
                s.tls_started();
            }
            o
        });
    }
    s.peer_closed();
}

/// DNS messages and zone lines from anywhere: decoding never panics, and
/// whatever decodes as a query gets an answer that encodes.
pub fn dns(data: &[u8]) {
    let _ = dns::decode_response(data);
    let _ = dns::encode_formerr(data);
    if let Ok(q) = dns::decode_query(data) {
        let mut db = dns::DnsDb::new();
        db.add_zone("example.com");
        if let Ok(r) = dns::parse_record("@ MX 10 mx.example.com.", "example.com") {
            db.add(r);
        }
        let a = db.answer(&q.question);
        let _ = dns::decode_response(&dns::encode_response(&q, &a));
    }
    let line = String::from_utf8_lossy(data);
    let _ = dns::parse_record(&line, "example.com");
}

/// A DNS-over-TCP client's bytes, in two reads split at any point (the
/// first byte picks where), then the same bytes one at a time: the TCP
/// core hands out the same queries both ways, answers each as the DNS host
/// does (a response to a query, a rejection or nothing for the rest), ends
/// at its idle timeout, and never panics.
pub fn dns_tcp(data: &[u8]) {
    use dns::tcp::{MAX_MESSAGE, Output, TcpServer};
    use std::time::Duration;
    const IDLE: Duration = Duration::from_secs(10);
    let rest = data.get(1..).unwrap_or_default();
    let cut = data.first().map(|b| *b as usize).unwrap_or(0).min(rest.len());
    let mut db = dns::DnsDb::new();
    db.add_zone("example.com");
    if let Ok(r) = dns::parse_record("@ MX 10 mx.example.com.", "example.com") {
        db.add(r);
    }
    let answer = |q: &[u8]| match dns::decode_query(q) {
        Ok(q) => Some(dns::encode_response(&q, &db.answer(&q.question))),
        Err(_) => dns::encode_rejection(q),
    };
    // At most a query and its answer per two octets, then a close.
    let bound = rest.len() + 10;
    let run = |reads: Vec<&[u8]>| {
        let mut s = TcpServer::new(IDLE);
        // The connection is open: the idle timer runs, as the session
        // driver starts it, even if the client never sends an octet.
        s.waiting(Duration::ZERO);
        let (mut queries, mut n) = (Vec::new(), 0);
        let mut drain = |s: &mut TcpServer, now: Duration| {
            while let Some(o) = s.poll(now) {
                n += 1;
                assert!(n < bound, "poll never settles");
                match o {
                    Output::Query(q) => {
                        assert!(q.len() <= MAX_MESSAGE);
                        if let Some(r) = answer(&q) {
                            s.answer(&r);
                        }
                        queries.push(q);
                    }
                    Output::Send(b) => assert!(b.len() <= MAX_MESSAGE + 2),
                    Output::Incomplete(c) => assert!(c.got < c.want && !c.to_string().is_empty()),
                    Output::Close => {}
                }
            }
            s.waiting(now);
        };
        for r in reads {
            s.feed(r);
            drain(&mut s, Duration::ZERO);
        }
        s.handle_timeout(IDLE);
        drain(&mut s, IDLE);
        assert_eq!(s.poll_timeout(), None, "over after the timeout");
        queries
    };
    let (a, b) = rest.split_at(cut);
    assert_eq!(run(vec![a, b]), run(rest.chunks(1).collect()));
}

/// Hand-edited scenario files: the loader reports problems, never panics.
pub fn scenario(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let _ = crate::scenario::load_str(&src, "fuzz.yaml");
}

/// Events a fuzzed run may record before the lab stops it (a real run's budget is
/// `lab::EVENT_BUDGET`); small, so that an input runs in milliseconds.
pub const FUZZ_EVENT_BUDGET: usize = 20_000;

/// A scenario that passes the checks of `maillab check` runs in virtual time
/// to its end (or the event budget) without panicking; libFuzzer's `-timeout`
/// catches a run that spins. The expectations are checked too, as `run` does.
pub fn scenario_run(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let Ok(sc) = crate::scenario::load_str(&src, "fuzz.yaml") else { return };
    for w in &sc.warnings {
        let _ = w.as_warning().to_string();
    }
    let Ok(lab) = crate::lab::Lab::new(&sc, crate::lab::RunOptions { wire: false }) else { return };
    let r = lab.with_event_budget(FUZZ_EVENT_BUDGET).finish();
    assert!(r.events.len() <= FUZZ_EVENT_BUDGET + 10_000, "the run went past its budget: {} events", r.events.len());
}

/// Hand-edited lesson files: the loader reports problems, never panics. The
/// lesson sits in the project's lessons/ folder, whatever the working
/// directory, so that `scenario: relay-chain` finds scenarios/relay-chain.yaml
/// and the checks that need the scenario run too.
pub fn lesson(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/fuzz.yaml"));
    let _ = crate::lesson::load_str(&src, path);
    // What a student types, and the keyless exam copy: never a panic.
    answers(&src);
    let _ = crate::lesson::exam::exam_copy(&src, "fuzz.yaml");
}

/// The longest line handed to the answer matchers (a student's answer to a
/// short question is a few words). They are linear in the length of what
/// they compare, but each compares every line with every option several
/// times over: 4 KB lines made them 92 % of this target's time, and still
/// 67 % at 512 octets, without reaching anything a shorter line does not.
const ANSWER_LINE: usize = 128;
/// How many lines are tried as answers: each is compared with every option
/// and form, so this multiplies the cost of an execution (32 lines were
/// most of it even at 128 octets a line).
const ANSWER_LINES: usize = 8;

/// Every answer matcher on every line of the input, as the expected answer
/// and as the given one (a student types anything).
fn answers(src: &str) {
    let src: String = src
        .lines()
        .map(|l| {
            let mut end = l.len().min(ANSWER_LINE);
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            &l[..end]
        })
        .collect::<Vec<_>>()
        .join("\n");
    let src = src.as_str();
    use crate::lesson::answer;
    let names = answer::Names { hosts: vec![vec!["dept".into(), "dept.cs.example.ac.jp".into(), "192.0.2.25".into()]] };
    let options: Vec<crate::scenario::Text> = src
        .lines()
        .take(4)
        .map(|l| crate::scenario::Text { en: Some(l.to_string()), ja: Some(l.to_string()) })
        .collect();
    let accept: Vec<answer::Accept> =
        src.lines().take(2).filter(|l| l.len() < 100).filter_map(|l| answer::Accept::parse(l).ok()).collect();
    for line in src.lines().take(ANSWER_LINES) {
        let _ = answer::fold(line);
        let _ = answer::key(line);
        let _ = answer::number(line);
        let _ = answer::reply_code(line);
        let _ = answer::short(line, &accept, "smtp (simple mail transfer protocol)", &names);
        let _ = answer::short("Received:", &accept, line, &names);
        let _ = answer::numeric(3.0, 0.0, None, line);
        let _ = answer::numeric(40.0, 0.5, Some(answer::Unit::Minutes), line);
        let _ = answer::code(250, line);
        let _ = answer::choice(&options, options.len().max(1), line, &names);
    }
}

/// Any message to any of a list's three addresses, one after another
/// (separated by NUL, so that command sequences such as subscribe, then
/// confirm, are reachable): the first byte of each picks the address and
/// the envelope sender, the rest is the message. A moderated list with
/// digests, size limit and stripping, so every path of the list server is
/// reachable.
pub fn listserv(data: &[u8]) {
    use crate::listserv::{Attachments, Cx, Delivery, Dest, Kind, List, ListConfig, Member, Others};
    let mut c = ListConfig::new("ohanashi", "mailing-list.jp");
    c.admins = vec!["admin@example.org".into()];
    c.password = Some("pw".into());
    c.moderators = vec!["mod@example.org".into()];
    c.kind = Kind::Moderated;
    c.others = Others::Hold;
    c.max_size = Some(4000);
    c.attachments = Attachments::Strip;
    for (a, d) in [("a@example.org", Delivery::Each), ("b@example.org", Delivery::Digest)] {
        c.members.push(Member { address: a.into(), name: String::new(), delivery: d });
    }
    let mut list = List::new(c);
    let t = fixed_time();
    let mut k = 7u32;
    let mut key = move || {
        k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        k
    };
    for msg in data.split(|b| *b == 0) {
        let Some((&sel, body)) = msg.split_first() else { continue };
        let dest = match sel % 3 {
            0 => Dest::Post,
            1 => Dest::Ctl,
            _ => Dest::Admin,
        };
        let from = match (sel / 3) % 4 {
            0 => None,
            1 => Some("a@example.org"),
            2 => Some("mod@example.org"),
            _ => Some("admin@example.org"),
        };
        let mut cx = Cx { now: t, key: &mut key };
        let _ = list.receive(dest, from, body, &mut cx);
        if sel & 0x80 != 0 {
            let _ = list.digest(&cx);
        }
    }
}

/// Header text in and out: the first byte picks the charset (even: UTF-8,
/// odd: ISO-2022-JP), the rest (as UTF-8, lossily) is a subject, a display
/// name and a raw header value. Encoded-words are never longer than 75
/// characters; reading any raw value (decoding, the charset of its first
/// word, `Name <addr>`) never panics.
pub fn rfc2047(data: &[u8]) {
    use crate::base::rfc2047::{self as r, Charset, Mailbox};
    let Some((&sel, rest)) = data.split_first() else { return };
    let cs = if sel % 2 == 0 { Charset::Utf8 } else { Charset::Iso2022Jp };
    let text = String::from_utf8_lossy(rest);
    let words_fit = |field: &str| {
        for w in field.split([' ', '\r', '\n']).filter(|w| w.starts_with("=?") && w.ends_with("?=")) {
            // Only the words the encoder wrote (the charset label it uses).
            if w.starts_with(&format!("=?{}?B?", cs.label())) {
                assert!(w.len() <= r::MAX_WORD, "an encoded-word of {} characters: {w}", w.len());
            }
        }
    };
    if let Some(f) = r::unstructured_field("Subject", &text, cs) {
        words_fit(&f);
        let _ = r::decode(f.split_once(':').map(|(_, v)| v).unwrap_or(""));
    }
    let name = text.replace(['\r', '\n'], " ");
    let m = Mailbox { name: Some(name), addr: "a@example.org".into() };
    if let Some(f) = r::address_field("To", &[m.clone(), m], cs) {
        words_fit(&f);
    }
    let _ = r::decode(&text);
    let _ = r::charset_of(&text);
    let _ = Mailbox::parse(&text);
    let _ = cs.body(&text);
    let _ = r::envelope_word(&text, cs);
}
