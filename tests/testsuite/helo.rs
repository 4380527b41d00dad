//! A client that skips HELO, gives it several words, or goes on after
//! STARTTLS without a new EHLO, talking to real host code on the simulated
//! network: what each flavour answers, and what it writes into the message
//! and the maillog (the words are tested in the SMTP core's unit tests;
//! here, that the host puts them where they go).

use maillab::net::Net;
use maillab::trace::{Field, Kind, Trace};
use std::net::Ipv4Addr;
use std::time::Duration;

/// A sendmail and a Postfix mail store as they ship (with STARTTLS), and
/// one of each that requires HELO (`helo_required: true`).
const SCENARIO: &str = r#"
version: 1
name: helo
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: pc, role: mua, address: 192.0.2.31 }
  - { name: sm, role: mailstore, flavour: sendmail, tls: offered, address: 192.0.2.25, hostname: sm.example.com, domains: [example.com] }
  - { name: pf, role: mailstore, flavour: postfix, tls: offered, address: 192.0.2.26, hostname: pf.example.net, domains: [example.net] }
  - { name: sm-strict, role: mailstore, flavour: sendmail, tls: offered, helo_required: true, address: 192.0.2.27, hostname: sm.example.org, domains: [example.org] }
  - { name: pf-strict, role: mailstore, flavour: postfix, tls: offered, helo_required: true, address: 192.0.2.28, hostname: pf.example.org, domains: [example.edu] }
users:
  - { address: alice@example.com, password: a }
  - { address: bob@example.net, password: b }
steps: []
"#;
const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);

async fn start() -> (Net, Trace) {
    crate::common::start_sim(SCENARIO, "helo.yaml", PC).await
}

/// Says each line to `ip`'s SMTP port (after the greeting); their replies.
async fn talk(net: &Net, ip: Ipv4Addr, lines: &[&str]) -> Vec<String> {
    crate::common::smtp_talk(net, PC, ip, lines).await
}

/// As [`talk`], but the lines go after `EHLO pc.example.org` and STARTTLS,
/// inside TLS with the host named `hostname`, with no EHLO of their own.
async fn talk_after_starttls(net: &Net, ip: Ipv4Addr, hostname: &str, lines: &[&str]) -> Vec<String> {
    let addr = std::net::SocketAddrV4::new(ip, maillab::proto::ports::SMTP);
    let mut s = net.connect(PC, addr).await.expect("connected").stream;
    assert!(crate::common::smtp_reply(&mut s).await.starts_with("220"));
    let r = crate::common::smtp_say(&mut s, &["EHLO pc.example.org", "STARTTLS"]).await;
    assert!(r[0].contains("|250-STARTTLS|") && r[1].starts_with("220 "), "{r:?}");
    let mut s = crate::common::tls_client(s, PC, hostname).await;
    crate::common::smtp_say(&mut s, lines).await
}

/// The message delivered on `host` (waiting for it), and the host's maillog lines.
async fn delivered(trace: &Trace, host: &str) -> (String, Vec<String>) {
    for _ in 0..600 {
        let found = trace.with_events(|ev| {
            ev.iter()
                .find(|e| e.kind == Kind::Deliver && e.host == host)
                .and_then(|e| e.field_str(Field::Message).map(str::to_string))
        });
        if let Some(m) = found {
            let log = trace.with_events(|ev| {
                ev.iter()
                    .filter(|e| e.kind == Kind::Log && e.host == host)
                    .filter_map(|e| e.line.as_deref().map(str::to_string))
                    .collect()
            });
            return (m, log);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("nothing delivered on {host}");
}

const NO_HELO: [&str; 6] = [
    "MAIL FROM:<x@example.org>",
    "RCPT TO:<zoe@DOMAIN>",
    "RCPT TO:<USER@DOMAIN>",
    "DATA",
    "Subject: no helo\r\n\r\nhi",
    ".",
];

fn no_helo(user: &str, domain: &str) -> Vec<String> {
    NO_HELO.iter().map(|l| l.replace("USER", user).replace("DOMAIN", domain)).collect()
}

/// sendmail as it ships takes MAIL without HELO, writes `from [ADDRESS]
/// ([ADDRESS])` with SMTP, and adds and logs its X-Authentication-Warning.
#[tokio::test(start_paused = true)]
async fn sendmail_takes_mail_without_helo_and_warns() {
    let (net, trace) = start().await;
    let lines = no_helo("alice", "example.com");
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = talk(&net, Ipv4Addr::new(192, 0, 2, 25), &lines).await;
    assert_eq!(r[0], "250 2.1.0 <x@example.org>... Sender ok");
    assert_eq!(r[1], "550 5.1.1 <zoe@example.com>... User unknown");
    assert!(r[4].starts_with("250 2.0.0 ") && r[4].ends_with(" Message accepted for delivery"), "{r:?}");
    let (msg, log) = delivered(&trace, "sm").await;
    let fields: Vec<&str> = msg.split("\r\n").collect();
    let at = fields.iter().position(|f| f.starts_with("Received: ")).expect("a Received: field");
    assert_eq!(fields[at], "Received: from [192.0.2.31] ([192.0.2.31])", "{msg}");
    assert!(fields[at + 1].starts_with("\tby sm.example.com (8.18.1/8.18.1) with SMTP id "), "{msg}");
    assert!(fields[at + 2].starts_with("\tfor <alice@example.com>; "), "{msg}");
    // Below Received: and the cf's default Date:/Message-Id: (this message
    // has neither), above the message's own fields.
    assert!(fields[at + 3].starts_with("Date: "), "{msg}");
    assert!(fields[at + 4].starts_with("Message-Id: <"), "{msg}");
    assert_eq!(
        fields[at + 5],
        "X-Authentication-Warning: sm.example.com: [192.0.2.31] didn't use HELO protocol",
        "{msg}"
    );
    assert_eq!(fields[at + 6], "Subject: no helo", "{msg}");
    let warned: Vec<&String> = log.iter().filter(|l| l.contains("Authentication-Warning")).collect();
    assert_eq!(warned.len(), 1, "{log:#?}");
    assert!(
        warned[0].ends_with(": Authentication-Warning: sm.example.com: [192.0.2.31] didn't use HELO protocol"),
        "{log:#?}"
    );
    // The line names the transaction (its queue id), as the later ones do.
    let qid = warned[0].split("]: ").nth(1).and_then(|l| l.split(':').next()).expect("a queue id");
    assert!(
        log.iter().any(|l| l.contains(&format!("{qid}: from=<x@example.org>")) && l.contains("proto=SMTP")),
        "{log:#?}"
    );
}

/// Postfix as it ships takes MAIL without HELO and adds nothing: `from
/// unknown (unknown [ADDRESS])` with SMTP; its reject line says
/// `proto=SMTP` and has no `helo=`.
#[tokio::test(start_paused = true)]
async fn postfix_takes_mail_without_helo_and_says_proto_smtp() {
    let (net, trace) = start().await;
    let lines = no_helo("bob", "example.net");
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = talk(&net, Ipv4Addr::new(192, 0, 2, 26), &lines).await;
    assert_eq!(r[0], "250 2.1.0 Ok");
    assert!(r[1].starts_with("550 5.1.1 <zoe@example.net>: Recipient address rejected"), "{r:?}");
    assert!(r[4].starts_with("250 2.0.0 Ok: queued as "), "{r:?}");
    let (msg, log) = delivered(&trace, "pf").await;
    let fields: Vec<&str> = msg.split("\r\n").collect();
    let at = fields.iter().position(|f| f.starts_with("Received: ")).expect("a Received: field");
    assert_eq!(fields[at], "Received: from unknown (unknown [192.0.2.31])", "{msg}");
    assert!(fields[at + 1].starts_with("\tby pf.example.net (Postfix) with SMTP id "), "{msg}");
    assert!(!msg.contains("X-Authentication-Warning"), "{msg}");
    let reject = log.iter().find(|l| l.contains("NOQUEUE: reject: RCPT")).expect("a reject line");
    assert!(reject.ends_with("; from=<x@example.org> to=<zoe@example.net> proto=SMTP"), "{reject}");
}

/// With `helo_required: true`, MAIL before HELO gets each flavour's 503;
/// after HELO it is taken.
#[tokio::test(start_paused = true)]
async fn helo_required_hosts_refuse_mail_before_helo() {
    let (net, _trace) = start().await;
    for (ip, refusal) in [
        (Ipv4Addr::new(192, 0, 2, 27), "503 5.0.0 Polite people say HELO first"),
        (Ipv4Addr::new(192, 0, 2, 28), "503 5.5.1 Error: send HELO/EHLO first"),
    ] {
        let r = talk(&net, ip, &["MAIL FROM:<x@example.org>", "HELO pc", "MAIL FROM:<x@example.org>", "QUIT"]).await;
        assert_eq!(r[0], refusal);
        assert!(r[1].starts_with("250 ") && r[2].starts_with("250 2.1.0"), "{r:?}");
    }
}

/// `EHLO my pc`: Postfix takes it and the client is `my?pc` in
/// `Received:`; sendmail refuses it (`501 5.0.0 Invalid domain name`), and
/// the client that goes on without HELO gets the warning.
#[tokio::test(start_paused = true)]
async fn ehlo_with_two_words_in_each_flavour() {
    let (net, trace) = start().await;
    let send = |to: &str| {
        [
            "EHLO my pc",
            "MAIL FROM:<x@example.org>",
            &format!("RCPT TO:<{to}>"),
            "DATA",
            "Subject: two words\r\n\r\nhi",
            ".",
        ]
        .map(str::to_string)
    };
    let pf = send("bob@example.net");
    let r = talk(&net, Ipv4Addr::new(192, 0, 2, 26), &pf.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(r[0].starts_with("250-pf.example.net|"), "{r:?}");
    let (msg, _) = delivered(&trace, "pf").await;
    assert!(
        msg.contains("Received: from my?pc (unknown [192.0.2.31])\r\n\tby pf.example.net (Postfix) with ESMTP id "),
        "{msg}"
    );
    let sm = send("alice@example.com");
    let r = talk(&net, Ipv4Addr::new(192, 0, 2, 25), &sm.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(r[0], "501 5.0.0 Invalid domain name");
    let (msg, _) = delivered(&trace, "sm").await;
    assert!(
        msg.contains("Received: from [192.0.2.31] ([192.0.2.31])\r\n\tby sm.example.com (8.18.1/8.18.1) with SMTP id "),
        "{msg}"
    );
    assert!(
        msg.contains("\r\nX-Authentication-Warning: sm.example.com: [192.0.2.31] didn't use HELO protocol\r\n"),
        "{msg}"
    );
}

/// The message of a session after STARTTLS with no new EHLO, and the
/// replies to it: one refused recipient (`zoe`), one taken (`user`).
fn after_tls(user: &str, domain: &str) -> Vec<String> {
    [
        "MAIL FROM:<x@example.org>".to_string(),
        format!("RCPT TO:<zoe@{domain}>"),
        format!("RCPT TO:<{user}@{domain}>"),
        "DATA".into(),
        "Subject: after STARTTLS\r\n\r\nhi".into(),
        ".".into(),
        "QUIT".into(),
    ]
    .to_vec()
}

/// The `Received:` field of `msg` (its lines joined with `|`).
fn received(msg: &str) -> String {
    let fields: Vec<&str> = msg.split("\r\n").collect();
    let at = fields.iter().position(|f| f.starts_with("Received: ")).expect("a Received: field");
    let n = fields[at + 1..].iter().take_while(|f| f.starts_with([' ', '\t'])).count();
    fields[at..=at + n].join("|")
}

/// After STARTTLS a client should say EHLO again (RFC 3207 §4.2). sendmail
/// takes MAIL without it and still knows the name the EHLO before TLS
/// gave: `from pc.example.org`, `with ESMTP` (its protocol was worked out
/// at that EHLO, before TLS), no X-Authentication-Warning.
#[tokio::test(start_paused = true)]
async fn sendmail_keeps_the_helo_name_through_starttls() {
    let (net, trace) = start().await;
    let lines = after_tls("alice", "example.com");
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = talk_after_starttls(&net, Ipv4Addr::new(192, 0, 2, 25), "sm.example.com", &lines).await;
    assert_eq!(r[0], "250 2.1.0 <x@example.org>... Sender ok");
    assert!(r[4].ends_with(" Message accepted for delivery"), "{r:?}");
    let (msg, log) = delivered(&trace, "sm").await;
    let rcvd = received(&msg);
    assert!(
        rcvd.starts_with(
            "Received: from pc.example.org ([192.0.2.31])|\tby sm.example.com (8.18.1/8.18.1) with ESMTP id "
        ),
        "{rcvd}"
    );
    assert!(rcvd.contains("|\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NO)|"), "{rcvd}");
    assert!(!msg.contains("X-Authentication-Warning"), "{msg}");
    assert!(!log.iter().any(|l| l.contains("Authentication-Warning")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains(": from=<x@example.org>") && l.contains(", proto=ESMTP,")), "{log:#?}");
}

/// Postfix forgets the EHLO name at STARTTLS (smtpd.c: helo_reset()) but
/// not its protocol: `from unknown (unknown [ADDRESS])` as without HELO,
/// yet `with ESMTPS`; its reject line says `proto=ESMTP` and has no `helo=`.
#[tokio::test(start_paused = true)]
async fn postfix_forgets_the_helo_name_at_starttls_but_not_esmtp() {
    let (net, trace) = start().await;
    let lines = after_tls("bob", "example.net");
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = talk_after_starttls(&net, Ipv4Addr::new(192, 0, 2, 26), "pf.example.net", &lines).await;
    assert_eq!(r[0], "250 2.1.0 Ok");
    assert!(r[4].starts_with("250 2.0.0 Ok: queued as "), "{r:?}");
    let (msg, log) = delivered(&trace, "pf").await;
    let rcvd = received(&msg);
    assert!(rcvd.starts_with("Received: from unknown (unknown [192.0.2.31])|\t(using TLSv1.3 with cipher "), "{rcvd}");
    assert!(rcvd.contains("|\tby pf.example.net (Postfix) with ESMTPS id "), "{rcvd}");
    let reject = log.iter().find(|l| l.contains("NOQUEUE: reject: RCPT")).expect("a reject line");
    assert!(reject.ends_with("; from=<x@example.org> to=<zoe@example.net> proto=ESMTP"), "{reject}");
}

/// On a host that requires HELO, MAIL after STARTTLS with no new EHLO:
/// Postfix refuses it (and AUTH) as it refuses MAIL before any HELO
/// (smtpd.c mail_cmd(): `state->helo_name == 0`); sendmail, which still
/// has the name, takes it.
#[tokio::test(start_paused = true)]
async fn helo_required_after_starttls_in_each_flavour() {
    let (net, _trace) = start().await;
    let lines =
        ["MAIL FROM:<x@example.org>", "AUTH PLAIN AGFsaWNlAGE=", "EHLO pc.example.org", "MAIL FROM:<x@example.org>"];
    let r = talk_after_starttls(&net, Ipv4Addr::new(192, 0, 2, 28), "pf.example.org", &lines).await;
    assert_eq!(r[..2], ["503 5.5.1 Error: send HELO/EHLO first"; 2]);
    assert!(r[2].starts_with("250-pf.example.org|") && r[3] == "250 2.1.0 Ok", "{r:?}");
    let r = talk_after_starttls(&net, Ipv4Addr::new(192, 0, 2, 27), "sm.example.org", &lines[..1]).await;
    assert_eq!(r[0], "250 2.1.0 <x@example.org>... Sender ok");
}

/// The parameters of the extensions a server offers work after HELO, or
/// with no HELO at all, in both flavours (Postfix's mail_cmd() and
/// rcpt_cmd(), sendmail's mail_esmtp_args() and rcpt_esmtp_args() do not
/// ask which the client said); the session is still plain SMTP.
#[tokio::test(start_paused = true)]
async fn esmtp_parameters_after_helo_or_none() {
    let (net, trace) = start().await;
    for (ip, host, rcpt, sender_ok, rcpt_ok) in [
        (
            25,
            "sm",
            "alice@example.com",
            "250 2.1.0 <x@example.org>... Sender ok",
            "250 2.1.5 <alice@example.com>... Recipient ok",
        ),
        (26, "pf", "bob@example.net", "250 2.1.0 Ok", "250 2.1.5 Ok"),
    ] {
        for helo in [Some("HELO pc.example.org"), None] {
            let mut lines: Vec<String> = helo.into_iter().map(str::to_string).collect();
            lines.push("MAIL FROM:<x@example.org> SIZE=40 BODY=8BITMIME RET=HDRS ENVID=t1".into());
            lines.push(format!("RCPT TO:<{rcpt}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;{rcpt}"));
            lines.push("QUIT".into());
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let r = talk(&net, Ipv4Addr::new(192, 0, 2, ip), &lines).await;
            let r = &r[usize::from(helo.is_some())..];
            assert_eq!(r[..2], [sender_ok, rcpt_ok], "{host} {helo:?}");
        }
        // And a message goes through with them, with SMTP.
        let lines = [
            "HELO pc.example.org",
            "MAIL FROM:<x@example.org> SIZE=40",
            &format!("RCPT TO:<{rcpt}>"),
            "DATA",
            "Subject: s\r\n\r\nhi",
            ".",
        ];
        let r = talk(&net, Ipv4Addr::new(192, 0, 2, ip), &lines).await;
        assert!(r[4].starts_with("250 2.0.0 "), "{host}: {r:?}");
        let (msg, _) = delivered(&trace, host).await;
        assert!(received(&msg).contains(" with SMTP id "), "{host}: {msg}");
    }
}
