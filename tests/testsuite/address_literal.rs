//! Address literals end to end (RFC 5321 §4.1.3, `user@[192.0.2.25]`), in
//! both flavours: mail from an inside client to the literal of a remote
//! host goes straight to that address, with no MX or A look-up (the relay
//! here has no DNS server at all); mail to the host's own literal is local;
//! a client outside the relay networks may send to the host's own literal
//! but not relay to another's.

use crate::common::run_passing;
use maillab::trace::{Field, Kind};

fn scenario(flavour: &str) -> String {
    format!(
        r#"
version: 1
name: address-literal
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - {{ name: outsider, role: mua, address: 203.0.113.9 }}
  - name: mail
    role: mailstore
    flavour: {flavour}
    address: 192.0.2.25
    hostname: mail.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: {{ networks: [192.0.2.0/24] }}
  - name: mx
    role: mx
    flavour: {flavour}
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]
    tls: offered
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
steps:
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to: ["alice@[198.51.100.25]"]
      subject: To a remote literal
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to:
        - taro@[192.0.2.25]
      subject: To my own literal
  - send:
      from_host: outsider
      via: mail
      from: eve@example.net
      to: ["alice@[198.51.100.25]"]
      subject: Relay through a literal
  - send:
      from_host: outsider
      via: mail
      from: eve@example.net
      to: ["taro@[192.0.2.25]"]
      subject: From outside to the literal
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to: ["bob@[IPv6:2001:DB8::25]"]
      subject: To an IPv6 literal
expect:
  - delivered: {{ to: alice@example.com, count: 1, subject: To a remote literal }}
  - delivered: {{ to: taro@example.ac.jp, count: 3 }}
  - delivered: {{ to: taro@example.ac.jp, count: 1, contains: "no route to [IPv6:2001:db8::25]" }}
  - reply: {{ step: 3, code: {denied}, command: RCPT }}
  - reply: {{ step: 4, code: 250, command: RCPT }}
  - trace: {{ kind: dns.query, absent: true }}
"#,
        denied = if flavour == "postfix" { 554 } else { 550 }
    )
}

fn lines(r: &maillab::lab::RunResult, kind: Kind, host: &str) -> Vec<String> {
    crate::common::lines_of(r, kind, host)
}

#[test]
fn a_literal_goes_straight_to_its_host_or_is_local() {
    for (flavour, relayed, denied) in [
        (
            "postfix",
            "to=<alice@[198.51.100.25]>, relay=198.51.100.25[198.51.100.25]:25,",
            "554 5.7.1 <alice@[198.51.100.25]>: Relay access denied",
        ),
        ("sendmail", "to=<alice@[198.51.100.25]>, delay=", "550 5.7.1 <alice@[198.51.100.25]>... Relaying denied"),
    ] {
        let r = run_passing(&scenario(flavour), &format!("address-literal-{flavour}"));
        // No MX or A look-up: the queue says where the literal leads.
        let route = lines(&r, Kind::QueueRoute, "mail");
        assert_eq!(route.len(), 1, "{flavour}: {route:?}");
        assert!(route[0].ends_with(
            "mail for [198.51.100.25] goes straight to 198.51.100.25: an address literal names the host itself, so there is no MX or A look-up"
        ));
        let log = lines(&r, Kind::Log, "mail");
        assert!(log.iter().any(|l| l.contains(relayed)), "{flavour}: {log:#?}");
        if flavour == "sendmail" {
            assert!(
                log.iter().any(|l| l.contains("relay=[198.51.100.25] [198.51.100.25], dsn=2.0.0, stat=Sent")),
                "{log:#?}"
            );
        }
        // The relay offered STARTTLS: taken, with no name to check but the chain.
        assert!(
            r.events.iter().any(|e| e.kind == Kind::TlsHandshake && &*e.host == "mx"),
            "{flavour}: TLS to the literal"
        );
        // In Japanese too.
        let ja = r.events.iter().find(|e| e.kind == Kind::QueueRoute).map(|e| e.line_in(true).into_owned());
        assert!(
            ja.as_deref().is_some_and(|l| l.ends_with(
                "[198.51.100.25] 宛のメールは 198.51.100.25 へ直接送ります: アドレスリテラルはホストそのものを指すので、MX も A も引きません"
            )),
            "{ja:?}"
        );
        // An IPv6 literal has no route in the lab's IPv4 network: a bounce, 5.4.4.
        assert!(
            r.events.iter().any(|e| e.kind == Kind::Bounce
                && e.field_str(Field::Rcpt) == Some("bob@[IPv6:2001:db8::25]")
                && e.field_str(Field::Status) == Some("5.4.4")),
            "{flavour}: the IPv6 literal bounces"
        );
        // At the far end the literal is the host's own: local, in alice's mailbox.
        let at_mx = lines(&r, Kind::Deliver, "mx");
        assert!(
            at_mx.iter().any(|l| l.contains("<alice@[198.51.100.25]> INBOX now holds 1 message(s)")
                && l.ends_with("; the mailbox of alice@example.com ([198.51.100.25] is this host's own address)")),
            "{flavour}: {at_mx:#?}"
        );
        // The relay's own literal: local, and the maillog keeps the address as given.
        let at_mail = lines(&r, Kind::Deliver, "mail");
        assert_eq!(at_mail.iter().filter(|l| l.contains("<taro@[192.0.2.25]>")).count(), 2, "{flavour}: {at_mail:#?}");
        assert!(log.iter().any(|l| l.contains("to=<taro@[192.0.2.25]>")), "{flavour}: {log:#?}");
        // From outside: relaying through a literal is refused like any relaying.
        let refused = r
            .events
            .iter()
            .filter(|e| e.kind == Kind::SmtpReply && &*e.host == "mail")
            .filter_map(|e| e.line.as_deref())
            .any(|l| l == denied);
        assert!(refused, "{flavour}: {denied}");
        // Postfix writes the recipient as given into Delivered-To:.
        let msg = r
            .events
            .iter()
            .find(|e| e.kind == Kind::Deliver && &*e.host == "mx")
            .and_then(|e| e.field_str(Field::Message))
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains("for <alice@[198.51.100.25]>"), "{flavour}: the Received: field names the literal\n{msg}");
        if flavour == "postfix" {
            assert!(msg.contains("Delivered-To: alice@[198.51.100.25]\r\n"), "{msg}");
        }
    }
}

/// A user written with a literal lives on the host with that address, and
/// `check` explains a malformed literal where it is written.
#[test]
fn scenario_addresses_take_literals() {
    let yaml = scenario("postfix").replace(
        "users:\n  - address: taro@example.ac.jp",
        "users:\n  - address: taro@example.ac.jp\n  - address: \"hanako@[192.0.2.25]\"",
    );
    let sc = maillab::scenario::load_str(&yaml, "literal-user.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert!(sc.users.iter().any(|u| u.address == "hanako@[192.0.2.25]" && sc.hosts[u.host].name == "mail"));

    let bad = scenario("postfix").replace("- taro@[192.0.2.25]", "- taro@[192.0.2.256]");
    let d = maillab::scenario::load_str(&bad, "bad-literal.yaml").expect_err("refused").to_string();
    assert!(
        d.contains("malformed mail address: in `taro@[192.0.2.256]`: in the address literal `[192.0.2.256]`, `256` is not a number from 0 to 255"),
        "{d}"
    );
    assert!(d.contains("user@[192.0.2.25]") && d.contains("user@[IPv6:2001:db8::1]"), "{d}");

    let nobody = yaml.replace("hanako@[192.0.2.25]", "hanako@[192.0.2.99]");
    let d = maillab::scenario::load_str(&nobody, "nobody.yaml").expect_err("refused").to_string();
    assert!(d.contains("no mail server of this scenario has the address 192.0.2.99"), "{d}");
}

/// A `delivered:` expectation names a mailbox: written with a literal (and
/// no user written so) it could never match, so `check` says to write the
/// user's address.
#[test]
fn an_expectation_names_the_user_not_the_literal() {
    let yaml = scenario("postfix").replace(
        "- delivered: { to: taro@example.ac.jp, count: 3 }",
        "- delivered: { to: \"taro@[192.0.2.25]\", count: 3 }",
    );
    let d = maillab::scenario::load_str(&yaml, "expect-literal.yaml").expect_err("refused").to_string();
    assert!(d.contains("`taro@[192.0.2.25]` is an address literal, not a mailbox"), "{d}");
    assert!(d.contains("write the user's address as in `users:`"), "{d}");
}

/// Replies quote an address as the client wrote it, a literal too
/// (`[198.51.100.025]`, where the lab keeps `[198.51.100.25]`), and the
/// case of a domain: sendmail the path as it came (its `e_to`), Postfix
/// inside `<…>` (its `state->recipient`); so do the log lines of the
/// refusals. Said by hand from outside the relay's networks.
#[tokio::test(start_paused = true)]
async fn replies_quote_addresses_as_written() {
    use maillab::proto::ports::SMTP;
    use std::net::{Ipv4Addr, SocketAddrV4};
    use tokio::io::AsyncWriteExt;
    let outsider = Ipv4Addr::new(203, 0, 113, 9);
    for (flavour, want, logged) in [
        (
            "sendmail",
            [
                "250 2.1.0 <Eve@Example.NET>... Sender ok",
                "550 5.7.1 <alice@[198.51.100.025]>... Relaying denied",
                "550 5.1.1 <nobody@EXAMPLE.AC.JP>... User unknown",
            ],
            [
                "ruleset=check_rcpt, arg1=<alice@[198.51.100.025]>, relay=[203.0.113.9], reject=550 5.7.1 <alice@[198.51.100.025]>... Relaying denied",
                ": <nobody@EXAMPLE.AC.JP>... User unknown",
            ],
        ),
        (
            "postfix",
            [
                "250 2.1.0 Ok",
                "554 5.7.1 <alice@[198.51.100.025]>: Relay access denied",
                "550 5.1.1 <nobody@EXAMPLE.AC.JP>: Recipient address rejected: User unknown in local recipient table",
            ],
            [
                "554 5.7.1 <alice@[198.51.100.025]>: Relay access denied; from=<Eve@Example.NET> to=<alice@[198.51.100.025]> proto=ESMTP helo=<outsider.example.net>",
                "; from=<Eve@Example.NET> to=<nobody@EXAMPLE.AC.JP> proto=ESMTP helo=<outsider.example.net>",
            ],
        ),
    ] {
        let (net, trace) = crate::common::start_sim(&scenario(flavour), "quoted.yaml", outsider).await;
        let mut s = net
            .connect(outsider, SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 25), SMTP))
            .await
            .expect("connected")
            .stream;
        assert!(crate::common::smtp_reply(&mut s).await.starts_with("220"));
        let mut got = Vec::new();
        for l in [
            "EHLO outsider.example.net",
            "MAIL FROM:<Eve@Example.NET>",
            "RCPT TO:<alice@[198.51.100.025]>",
            "RCPT TO:<nobody@EXAMPLE.AC.JP>",
        ] {
            s.write_all(format!("{l}\r\n").as_bytes()).await.expect("written");
            got.push(crate::common::smtp_reply(&mut s).await);
        }
        assert_eq!(got[1..], want, "{flavour}");
        let log: Vec<String> = trace.with_events(|ev| {
            ev.iter().filter(|e| e.kind == Kind::Log && &*e.host == "mail").filter_map(|e| e.line.clone()).collect()
        });
        for l in logged {
            assert!(log.iter().any(|x| x.contains(l)), "{flavour}: {l}\n{log:#?}");
        }
    }
}
