//! Transcript tests of the SMTP cores: a line in, the reply code out.

use super::client::{Client, ClientOutput, Job, RcptResult, stuff};
use super::server::{
    Envelope, MailParams, Notify, Output, Peer, Policy, Protocol, Rcpt, RcptParams, Ret, Server, ServerConfig,
};
use super::*;
use std::net::Ipv4Addr;

/// Accepts mail for example.com users alice and bob, refuses the rest.
#[derive(Default)]
struct TestPolicy {
    messages: Vec<(Envelope, Vec<u8>)>,
    /// sendmail's "nullserver" refusal (a client check_relay rejected).
    refusal: Option<Reply>,
    /// Each RCPT's path as the client wrote it.
    rcpts_as_sent: Vec<String>,
}

impl Policy for TestPolicy {
    fn greeting(&mut self) -> Reply {
        Flavour::Postfix.persona().greeting("mx.example.com", "")
    }
    fn mail(&mut self, env: &Envelope) -> Reply {
        Flavour::Postfix.persona().mail_ok(&env.from.to_string())
    }
    fn rcpt(&mut self, _env: &Envelope, rcpt: &Mailbox, as_sent: &str) -> Reply {
        self.rcpts_as_sent.push(as_sent.to_string());
        let to = format!("<{rcpt}>");
        if rcpt.local.eq_ignore_ascii_case("postmaster") && rcpt.domain == "mx.example.com" {
            Flavour::Postfix.persona().rcpt_ok(&to)
        } else if rcpt.domain != "example.com" {
            Flavour::Postfix.persona().relay_denied(&to, false)
        } else if rcpt.local == "alice" || rcpt.local.starts_with("bob") {
            Flavour::Postfix.persona().rcpt_ok(&to)
        } else {
            Flavour::Postfix.persona().user_unknown(&to)
        }
    }
    fn message(&mut self, env: &Envelope, data: &[u8]) -> Reply {
        self.messages.push((env.clone(), data.to_vec()));
        Flavour::Postfix.persona().queued("ABC123")
    }
    fn password(&mut self, user: &str) -> Option<(String, String)> {
        user.eq_ignore_ascii_case("bob").then(|| ("bob".to_string(), "secret".to_string()))
    }
    fn session_refusal(&mut self) -> Option<Reply> {
        self.refusal.clone()
    }
}

/// The tests' server settings: mx.example.com, messages up to 2000 octets,
/// three recipients, DSN on, no AUTH, no TLS.
fn config(flavour: Flavour) -> ServerConfig {
    ServerConfig {
        hostname: "mx.example.com".into(),
        flavour,
        max_message_size: 2000,
        max_recipients: 3,
        auth: false,
        show_secrets: false,
        tls: crate::proto::tls::TlsMode::Off,
        dsn: true,
        helo_required: false,
    }
}

fn server(flavour: Flavour) -> Server {
    Server::new(
        config(flavour),
        Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: Some("pc7.example.net".into()), forged: false },
    )
}

/// Every reply the server has for the input fed so far, one line each.
fn replies_of(s: &mut Server, p: &mut TestPolicy) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(o) = s.poll(p) {
        if let Output::Reply(r) = o {
            out.push(r.one_line());
        }
    }
    out
}

/// The replies of a server that offers AUTH to `EHLO pc7` and then `input`.
fn auth_session(flavour: Flavour, input: &[u8]) -> Vec<String> {
    let mut s = Server::new(
        ServerConfig { auth: true, ..config(flavour) },
        Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
    );
    let mut p = TestPolicy::default();
    s.feed(b"EHLO pc7\r\n");
    s.feed(input);
    replies_of(&mut s, &mut p)
}

/// Feeds `input`, returns the reply codes produced and whether the server closed.
fn run(s: &mut Server, p: &mut TestPolicy, input: &[u8]) -> (Vec<u16>, bool) {
    s.feed(input);
    let mut codes = Vec::new();
    let mut closed = false;
    while let Some(o) = s.poll(p) {
        match o {
            Output::Reply(r) => codes.push(r.code),
            Output::Close => closed = true,
            _ => {}
        }
    }
    (codes, closed)
}

fn session() -> (Server, TestPolicy) {
    let mut s = server(Flavour::Postfix);
    let mut p = TestPolicy::default();
    assert_eq!(run(&mut s, &mut p, b"").0, vec![220]);
    (s, p)
}

#[test]
fn happy_path_with_dot_stuffing() {
    let (mut s, mut p) = session();
    let (codes, _) =
        run(&mut s, &mut p, b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
    assert_eq!(codes, vec![250, 250, 250, 354]);
    let (codes, closed) = run(&mut s, &mut p, b"Subject: hi\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n");
    assert_eq!(codes, vec![250, 221]);
    assert!(closed);
    assert_eq!(p.messages.len(), 1);
    assert_eq!(p.messages[0].1, b"Subject: hi\r\n\r\n.leading dot\r\n");
    assert_eq!(p.messages[0].0.rcpts.len(), 1);
}

/// The core keeps its message buffers from one message to the next: each
/// message the policy sees is its own content, whatever came before it
/// (a longer one, a refused one, one sent with BDAT), and the pending
/// message is the one just received.
#[test]
fn messages_in_one_session_keep_their_own_content() {
    let (mut s, mut p) = session();
    let tx = b"MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\n";
    let long = [b"Subject: one\r\n\r\n".as_slice(), &[b'a'; 900], b"\r\n.\r\n"].concat();
    let mut input = [b"EHLO pc7\r\n".as_slice(), tx, b"DATA\r\n", &long].concat();
    // Too big (the limit is 2000 octets): refused, nothing of it kept.
    input.extend_from_slice(tx);
    input.extend_from_slice(b"DATA\r\n");
    input.extend_from_slice(&[[b'b'; 990].as_slice(), b"\r\n"].concat().repeat(3));
    input.extend_from_slice(b".\r\n");
    input.extend_from_slice(tx);
    input.extend_from_slice(b"DATA\r\nSubject: two\r\n\r\nshort\r\n.\r\n");
    input.extend_from_slice(tx);
    input.extend_from_slice(b"BDAT 5 LAST\r\nthree");
    let (codes, _) = run(&mut s, &mut p, &input);
    assert_eq!(codes, vec![250, 250, 250, 354, 250, 250, 250, 354, 552, 250, 250, 354, 250, 250, 250, 250]);
    let got: Vec<&[u8]> = p.messages.iter().map(|(_, d)| d.as_slice()).collect();
    let first = [b"Subject: one\r\n\r\n".as_slice(), &[b'a'; 900], b"\r\n"].concat();
    assert_eq!(got, [first.as_slice(), b"Subject: two\r\n\r\nshort\r\n", b"three\r\n"]);
    // The message the host may look at before the policy hears of it.
    run(&mut s, &mut p, tx);
    s.feed(b"DATA\r\nSubject: four\r\n\r\n.\r\n");
    let mut seen = None;
    while let Some(o) = s.poll(&mut p) {
        if let Output::Data { .. } = o {
            seen = s.pending_message().map(|(_, d)| d.to_vec());
        }
    }
    assert_eq!(seen.as_deref(), Some(b"Subject: four\r\n\r\n".as_slice()));
    assert_eq!(p.messages.last().map(|(_, d)| d.as_slice()), Some(b"Subject: four\r\n\r\n".as_slice()));
}

/// A big message's buffer is given back once the message is done with,
/// refused (too big, a line too long) or taken: a session that stays
/// connected does not keep a megabyte for nothing.
#[test]
fn big_message_buffers_are_given_back() {
    let mut s = Server::new(
        ServerConfig { max_message_size: 1_000_000, ..config(Flavour::Postfix) },
        Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
    );
    let mut p = TestPolicy::default();
    let kept = 2 * 64 * 1024;
    let tx = b"MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n".as_slice();
    let line = [[b'a'; 998].as_slice(), b"\r\n"].concat();
    assert_eq!(run(&mut s, &mut p, b"EHLO pc7\r\n").0, vec![220, 250]);
    // Too big: refused.
    let too_big = [tx, &line.repeat(1100), b".\r\n"].concat();
    assert_eq!(run(&mut s, &mut p, &too_big).0, vec![250, 250, 354, 552]);
    assert!(s.buffered() <= kept, "after a refused big message: {} octets held", s.buffered());
    // Taken, then a small one: neither buffer stays big.
    let taken = [tx, &line.repeat(500), b".\r\n"].concat();
    assert_eq!(run(&mut s, &mut p, &taken).0, vec![250, 250, 354, 250]);
    assert!(s.buffered() <= kept, "after a big message: {} octets held", s.buffered());
    let small = [tx, b"Subject: x\r\n\r\nhi\r\n.\r\n"].concat();
    assert_eq!(run(&mut s, &mut p, &small).0, vec![250, 250, 354, 250]);
    assert!(s.buffered() <= kept, "after the next small one: {} octets held", s.buffered());
    assert_eq!(p.messages.len(), 2);
    assert_eq!(p.messages[0].1.len(), 500 * 1000);
}

#[test]
fn sequence_errors() {
    let (mut s, mut p) = session();
    assert_eq!(run(&mut s, &mut p, b"RCPT TO:<alice@example.com>\r\n").0, vec![503]);
    assert_eq!(run(&mut s, &mut p, b"HELO\r\n").0, vec![501]);
    assert_eq!(run(&mut s, &mut p, b"HELO pc7\r\nDATA\r\n").0, vec![250, 503]);
    assert_eq!(run(&mut s, &mut p, b"MAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n").0, vec![250, 503]);
    // Every RCPT refused: DATA has no valid recipients.
    assert_eq!(run(&mut s, &mut p, b"RCPT TO:<zoe@example.com>\r\nDATA\r\n").0, vec![550, 554]);
    assert_eq!(run(&mut s, &mut p, b"RSET\r\nNOOP\r\nVRFY alice\r\n").0, vec![250, 250, 252]);
    assert_eq!(run(&mut s, &mut p, b"DATA extra\r\nRSET now\r\n").0, vec![501, 501]);
}

/// A new server of `cfg` (client pc7.example.net, 192.0.2.7) fed `input`
/// whole, and then in two reads at every split: each split must give the
/// same replies and the same messages. The replies (one line each, the
/// greeting first) and the messages.
fn at_every_split(cfg: &ServerConfig, input: &[u8]) -> (Vec<String>, Vec<(Envelope, Vec<u8>)>) {
    let peer = Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: Some("pc7.example.net".into()), forged: false };
    let mut s = Server::new(cfg.clone(), peer.clone());
    let mut p = TestPolicy::default();
    s.feed(input);
    let want = replies_of(&mut s, &mut p);
    for cut in 0..input.len() {
        let mut s = Server::new(cfg.clone(), peer.clone());
        let mut q = TestPolicy::default();
        s.feed(&input[..cut]);
        let mut got = replies_of(&mut s, &mut q);
        s.feed(&input[cut..]);
        got.extend(replies_of(&mut s, &mut q));
        assert_eq!(got, want, "split at {cut}");
        assert_eq!(format!("{:?}", q.messages), format!("{:?}", p.messages), "split at {cut}");
    }
    (want, p.messages)
}

/// The reply codes of `replies`.
fn codes_of(replies: &[String]) -> Vec<&str> {
    replies.iter().map(|r| r.get(..3).unwrap_or(r)).collect()
}

/// AUTH without HELO: sendmail's session is ESMTP from the `235` on
/// (srvrsmtp.c sets `protocol = GET_PROTOCOL()`), so `with ESMTPA`;
/// Postfix's stays SMTP (smtpd.c: only EHLO makes it ESMTP).
#[test]
fn auth_without_helo_is_esmtpa_for_sendmail_only() {
    let input = b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n";
    for (flavour, want) in [(Flavour::Sendmail, "ESMTPA"), (Flavour::Postfix, "SMTP")] {
        let (replies, messages) = at_every_split(&ServerConfig { auth: true, ..config(flavour) }, input);
        assert_eq!(codes_of(&replies), ["220", "235", "250", "250", "354", "250"], "{flavour:?}: {replies:?}");
        assert_eq!(messages[0].0.protocol(), want, "{flavour:?}");
    }
}

/// MAIL before HELO/EHLO is taken by both flavours as they ship (Postfix:
/// `smtpd_helo_required = no`, postconf(5), smtpd.c mail_cmd(); sendmail:
/// only `PrivacyOptions=needmailhelo` refuses it, srvrsmtp.c), and the
/// session is plain SMTP with no HELO name. So is AUTH before HELO.
#[test]
fn mail_and_auth_before_helo_are_taken_by_default() {
    let input = b"MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n";
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        let (replies, messages) = at_every_split(&config(flavour), input);
        assert_eq!(codes_of(&replies), ["220", "250", "250", "354", "250", "221"], "{flavour:?}: {replies:?}");
        let env = &messages[0].0;
        assert_eq!((env.helo.as_deref(), env.proto.esmtp, env.protocol()), (None, false, "SMTP"), "{flavour:?}");
        let auth = b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\nMAIL FROM:<x@example.net>\r\n";
        let (replies, _) = at_every_split(&ServerConfig { auth: true, ..config(flavour) }, auth);
        assert_eq!(codes_of(&replies), ["220", "235", "250"], "{flavour:?}: {replies:?}");
    }
}

/// With the host's `helo_required`, MAIL before HELO gets the flavour's 503
/// (Postfix `smtpd_helo_required = yes`, smtpd.c mail_cmd(); sendmail
/// `needmailhelo`, srvrsmtp.c); Postfix refuses AUTH the same way
/// (smtpd_sasl_proto.c), sendmail does not. HELO then opens the way.
#[test]
fn helo_required_refuses_mail_before_helo_in_each_flavour() {
    let input =
        b"MAIL FROM:<x@example.net>\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nHELO pc7\r\nMAIL FROM:<x@example.net>\r\n";
    for (flavour, mail, auth) in [
        (Flavour::Sendmail, "503 5.0.0 Polite people say HELO first", "235 2.0.0 OK Authenticated"),
        (Flavour::Postfix, "503 5.5.1 Error: send HELO/EHLO first", "503 5.5.1 Error: send HELO/EHLO first"),
    ] {
        let cfg = ServerConfig { helo_required: true, auth: true, ..config(flavour) };
        let (replies, _) = at_every_split(&cfg, input);
        assert_eq!(replies[1..3], [mail, auth], "{flavour:?}");
        assert_eq!(codes_of(&replies[3..]), ["250", "250"], "{flavour:?}: {replies:?}");
    }
}

/// `EHLO` with several words, or with characters no domain has. RFC 5321
/// §4.1.1.1 allows one domain or address literal. Postfix's smtpd.c takes
/// anything: collapse_args() joins the words with a space, printable() and
/// neuter() make controls and ` <>()\";@` `?`. sendmail's srvrsmtp.c
/// refuses what is not letters, digits and `[].-_#:` (or longer than
/// MAXNAME, 256) with "501 Invalid domain name", and the client has given
/// no HELO.
#[test]
fn helo_names_as_each_flavour_takes_them() {
    let input = b"EHLO my  pc\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n";
    let (replies, messages) = at_every_split(&config(Flavour::Postfix), input);
    assert_eq!(codes_of(&replies), ["220", "250", "250", "250", "354", "250"], "{replies:?}");
    assert_eq!((messages[0].0.helo.as_deref(), messages[0].0.proto.esmtp), (Some("my?pc"), true));
    let (replies, messages) = at_every_split(&config(Flavour::Sendmail), input);
    assert_eq!(replies[1], "501 5.0.0 Invalid domain name");
    // A refused EHLO leaves the session without HELO: MAIL is still taken.
    assert_eq!(codes_of(&replies[2..]), ["250", "250", "354", "250"], "{replies:?}");
    assert_eq!((messages[0].0.helo.as_deref(), messages[0].0.proto.esmtp), (None, false));
    let long = "a".repeat(257);
    for (arg, postfix, sendmail) in [
        ("pc7.example.net", Some("pc7.example.net"), true),
        ("[192.0.2.7]", Some("[192.0.2.7]"), true),
        ("[IPv6:2001:db8::7]", Some("[IPv6:2001:db8::7]"), true),
        ("pc_7#2.example", Some("pc_7#2.example"), true),
        ("\tpc7.example.net  ", Some("pc7.example.net"), true),
        ("<pc7@example.net>", Some("?pc7?example.net?"), false),
        ("\"my pc\"", Some("?my?pc?"), false),
        ("pc\x017", Some("pc?7"), false),
        ("pc7!example", Some("pc7!example"), false),
        ("bücher.example", Some("bücher.example"), false),
        // Octets that are no UTF-8 (the core reads them as U+FFFD):
        // Postfix's printable() writes `?` for them too.
        ("pc\u{FFFD}7", Some("pc?7"), false),
        (&long[1..], Some(&long[1..]), true),
        (&long, Some(&long), false),
        ("", None, false),
    ] {
        for (flavour, kept) in [(Flavour::Postfix, postfix), (Flavour::Sendmail, sendmail.then_some(arg.trim()))] {
            let line =
                format!("EHLO {arg}\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n.\r\n");
            let mut s = server(flavour);
            let mut p = TestPolicy::default();
            s.feed(line.as_bytes());
            let replies = replies_of(&mut s, &mut p);
            let helo = p.messages.first().and_then(|m| m.0.helo.as_deref());
            assert_eq!(helo, kept, "{flavour:?} EHLO {arg:?}: {replies:?}");
            let refusal = match flavour {
                _ if kept.is_some() => "250",
                _ if arg.is_empty() => "501",
                Flavour::Sendmail => "501 5.0.0 Invalid domain name",
                Flavour::Postfix => "none",
            };
            assert!(replies[1].starts_with(refusal), "{flavour:?} EHLO {arg:?}: {replies:?}");
        }
    }
}

/// What each flavour writes of a client that gave MAIL without HELO: the
/// `Received:` from clause (Postfix smtpd.c: the client's name, `unknown`
/// without one; sendmail cfhead.m4 `from $s ($_)` with `$s` the PTR name
/// or `[ADDRESS]`), sendmail's X-Authentication-Warning and its log line
/// (main.c auth_warning()), and Postfix's reject lines (smtpd_whatsup():
/// `proto=SMTP`, no `helo=`).
#[test]
fn what_each_flavour_records_of_a_client_without_helo() {
    let ip = Ipv4Addr::new(192, 0, 2, 7);
    let named = Peer { ip, name: Some("pc7.example.net".into()), forged: false };
    let bare = Peer { ip, name: None, forged: false };
    let forged = Peer { ip, name: Some("pc7.example.net".into()), forged: true };
    let (sm, pf) = (Flavour::Sendmail.persona(), Flavour::Postfix.persona());
    assert_eq!(sm.received_from(None, &named), "pc7.example.net (pc7.example.net [192.0.2.7])");
    assert_eq!(sm.received_from(None, &bare), "[192.0.2.7] ([192.0.2.7])");
    assert_eq!(sm.received_from(None, &forged), "pc7.example.net (pc7.example.net [192.0.2.7] (may be forged))");
    assert_eq!(sm.received_from(Some("pc7"), &bare), "pc7 ([192.0.2.7])");
    assert_eq!(pf.received_from(None, &named), "pc7.example.net (pc7.example.net [192.0.2.7])");
    assert_eq!(pf.received_from(None, &bare), "unknown (unknown [192.0.2.7])");
    assert_eq!(pf.received_from(None, &forged), "unknown (unknown [192.0.2.7])");
    assert_eq!(pf.received_from(Some("pc7"), &bare), "pc7 (unknown [192.0.2.7])");
    assert_eq!(
        sm.no_helo_warning("mx.example.com", &named, Some("g487XY01015258")),
        Some((
            "X-Authentication-Warning: mx.example.com: pc7.example.net [192.0.2.7] didn't use HELO protocol\r\n".into(),
            "g487XY01015258: Authentication-Warning: mx.example.com: pc7.example.net [192.0.2.7] didn't use HELO protocol"
                .into()
        ))
    );
    assert_eq!(pf.no_helo_warning("mx.example.com", &named, None), None);
    let mut env = Envelope {
        helo: None,
        proto: Protocol::default(),
        from: Path::Mailbox(mb("x@example.net")),
        from_as_sent: "<x@example.net>".into(),
        rcpts: vec![],
        declared_size: None,
        auth: None,
        tls: None,
        chunked: None,
        params: MailParams::default(),
    };
    let r = pf.user_unknown("<zoe@example.com>");
    let line = pf.log_rcpt_reject(&named, None, &env, "<zoe@example.com>", &r);
    assert!(line.ends_with("; from=<x@example.net> to=<zoe@example.com> proto=SMTP"), "{line}");
    let line = pf.log_mail_reject(&named, &env, &pf.auth_required());
    assert!(line.ends_with("; from=<x@example.net> proto=SMTP"), "{line}");
    // After HELO (not EHLO) Postfix's protocol is still SMTP.
    env.helo = Some("pc7".into());
    let line = pf.log_mail_reject(&named, &env, &pf.auth_required());
    assert!(line.ends_with("; from=<x@example.net> proto=SMTP helo=<pc7>"), "{line}");
    env.proto.esmtp = true;
    let line = pf.log_rcpt_reject(&named, None, &env, "<zoe@example.com>", &r);
    assert!(line.ends_with(" proto=ESMTP helo=<pc7>"), "{line}");
}

/// DATA before MAIL has its own text, not RCPT-before-MAIL's (sendmail's
/// srvrsmtp.c smtp_data, Postfix's smtpd.c data_cmd).
#[test]
fn data_before_mail_texts() {
    for (flavour, want) in
        [(Flavour::Sendmail, "503 5.0.0 Need MAIL command"), (Flavour::Postfix, "503 5.5.1 Error: need RCPT command")]
    {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        s.feed(b"HELO pc7\r\nDATA\r\n");
        let replies = replies_of(&mut s, &mut p);
        assert_eq!(replies.last().map(String::as_str), Some(want), "{flavour:?}");
    }
}

#[test]
fn syntax_errors_and_unknown_commands() {
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"EHLO pc7\r\n");
    assert_eq!(run(&mut s, &mut p, b"MAIL FROM:<x@y.example\r\n").0, vec![501]);
    assert_eq!(run(&mut s, &mut p, b"MAIL TO:<x@y.example>\r\n").0, vec![501]);
    assert_eq!(run(&mut s, &mut p, b"MAIL FROM:<x@y.example> FOO=1\r\n").0, vec![555]);
    assert_eq!(run(&mut s, &mut p, b"MAIL FROM:<x@y.example> SIZE=99999\r\n").0, vec![552]);
    assert_eq!(run(&mut s, &mut p, b"XYZZY\r\n").0, vec![502]);
    assert_eq!(run(&mut s, &mut p, b"\r\n").0, vec![500]);
    assert_eq!(run(&mut s, &mut p, b"MAIL FROM:<>\r\nRCPT TO:<>\r\n").0, vec![250, 501]);
    let mut sm = server(Flavour::Sendmail);
    run(&mut sm, &mut p, b"");
    assert_eq!(run(&mut sm, &mut p, b"XYZZY\r\n").0, vec![500]);
}

/// Paths with and without angle brackets, and those a server refuses, as
/// each flavour answers them (user trial h20: `MAIL FROM:x@example.org`
/// got maillab's own "must be written in angle brackets"). Postfix:
/// smtpd.c mail_cmd(), rcpt_cmd() and extract_addr() with
/// `strict_rfc821_envelopes = no`; sendmail 8.18: srvrsmtp.c skipword(),
/// parseaddr.c prescan(), cf/m4/proto.m4 Parse0 and Basic_check_rcpt.
/// Fed whole and at every split.
#[test]
fn paths_with_and_without_angle_brackets_in_each_flavour() {
    let input = b"EHLO pc7\r\nMAIL FROM:\r\nMAIL FROM:<x@example.net SIZE=10\r\nMAIL FROM:<x@y..example>\r\n\
MAIL FROM:x@Example.NET SIZE=10\r\nrcpt to:\r\nRCPT TO:<alice@example.com\r\nRCPT TO:<>\r\n\
RCPT TO:alice@example.com NOTIFY=NEVER\r\nRCPT TO:Postmaster\r\nDATA\r\nhi\r\n.\r\n";
    for (flavour, refusals) in [
        (
            Flavour::Postfix,
            [
                "501 5.5.4 Syntax: MAIL FROM:<address>",
                "501 5.1.7 Bad sender address syntax",
                "501 5.1.7 Bad sender address syntax",
                "501 5.5.4 Syntax: RCPT TO:<address>",
                "501 5.1.3 Bad recipient address syntax",
                "501 5.1.3 Bad recipient address syntax",
            ],
        ),
        (
            Flavour::Sendmail,
            [
                "501 5.5.2 Syntax error in parameters scanning \"FROM\"",
                "553 5.0.0 <x@example.net SIZE=10... Unbalanced '<'",
                "553 5.1.2 <x@y..example>... Invalid host name",
                "501 5.5.2 Syntax error in parameters scanning \"to\"",
                "553 5.0.0 <alice@example.com... Unbalanced '<'",
                "553 5.0.0 <>... User address required",
            ],
        ),
    ] {
        let (replies, messages) = at_every_split(&config(flavour), input);
        let replies: Vec<&str> = replies.iter().map(String::as_str).collect();
        assert_eq!(replies[2..5], refusals[..3], "{flavour:?}");
        assert_eq!(replies[5], "250 2.1.0 Ok", "{flavour:?}");
        assert_eq!(replies[6..9], refusals[3..], "{flavour:?}");
        assert_eq!(
            replies[9..].iter().map(|r| &r[..3]).collect::<Vec<_>>(),
            ["250", "250", "354", "250"],
            "{flavour:?}"
        );
        let env = &messages[0].0;
        assert_eq!((env.from.to_string().as_str(), env.from_as_sent.as_str()), ("<x@example.net>", "x@Example.NET"));
        assert_eq!(env.declared_size, Some(10));
        let rcpts: Vec<String> = env.rcpts.iter().map(|r| r.addr.to_string()).collect();
        assert_eq!(rcpts, ["alice@example.com", "Postmaster@mx.example.com"], "{flavour:?}");
        assert_eq!(env.rcpts[0].dsn.notify, Some(Notify::NEVER));
    }
    // A sender with no domain: sendmail's Basic_check_mail refuses it
    // from a client with an address.
    let (replies, _) = at_every_split(&config(Flavour::Sendmail), b"MAIL FROM:<taro>\r\nMAIL FROM:<>\r\n");
    assert_eq!(replies[1..], ["553 5.5.4 <taro>... Domain name required for sender address taro", "250 2.1.0 Ok"]);
    // The path as written reaches the policy, which quotes it.
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"MAIL FROM:x@example.net\r\nRCPT TO:Alice@EXAMPLE.com\r\nRCPT TO:<bob@example.com>\r\n");
    assert_eq!(p.rcpts_as_sent, ["Alice@EXAMPLE.com", "<bob@example.com>"]);
}

#[test]
fn relay_denied_and_unknown_user_texts() {
    let (mut s, mut p) = session();
    s.feed(b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<v@elsewhere.example>\r\nRCPT TO:<zoe@example.com>\r\n");
    let replies: Vec<String> = std::iter::from_fn(|| s.poll(&mut p))
        .filter_map(|o| match o {
            Output::Reply(r) => Some(r.one_line()),
            _ => None,
        })
        .collect();
    assert_eq!(replies[2], "554 5.7.1 <v@elsewhere.example>: Relay access denied");
    assert!(replies[3].starts_with("550 5.1.1 <zoe@example.com>: Recipient address rejected"));
    assert_eq!(
        Flavour::Sendmail.persona().relay_denied("<x@example.net>", false).one_line(),
        "550 5.7.1 <x@example.net>... Relaying denied"
    );
}

#[test]
fn line_limits() {
    let (mut s, mut p) = session();
    let mut long = vec![b'N'; 2100];
    long.extend_from_slice(b"\r\nNOOP\r\n");
    assert_eq!(run(&mut s, &mut p, &long).0, vec![500, 250]);
    // 2048 octets with the CRLF is still a command (SMTP extensions raise
    // RFC 5321's 512, as Postfix's and sendmail's 2048 do).
    let (mut s, mut p) = session();
    let noop = [b"NOOP ".as_slice(), &[b'n'; 2041], b"\r\n"].concat();
    assert_eq!(noop.len(), 2048);
    assert_eq!(run(&mut s, &mut p, &noop).0, vec![250]);
    // A long line split over many reads is still one error, and memory stays bounded.
    let (mut s, mut p) = session();
    for _ in 0..50 {
        assert_eq!(run(&mut s, &mut p, &[b'x'; 100]).0, Vec::<u16>::new());
    }
    assert_eq!(run(&mut s, &mut p, b"\r\n").0, vec![500]);
}

/// A content line longer than RFC 5321's 1000 octets is kept whole, as
/// Postfix and sendmail keep it (RFC 5321 §4.5.3.1 asks servers not to
/// refuse it): dot-unstuffed at its start only, its CRLF (or bare LF) as
/// for any line, whatever the reads it came in.
#[test]
fn long_content_lines_are_kept_in_every_split() {
    let head = b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n";
    let long = |c: u8, n: usize| vec![c; n];
    let body = [
        b"Subject: long\r\n\r\n".as_slice(),
        b"..",
        &long(b'y', 2500),
        b".\r\n",
        &long(b'z', 1001),
        b"\n",
        &long(b'w', 1500),
        b"\r\r\n",
        b"short\r\n.\r\nNOOP\r\n",
    ]
    .concat();
    let want = [
        b"Subject: long\r\n\r\n".as_slice(),
        b".",
        &long(b'y', 2500),
        b".\r\n",
        &long(b'z', 1001),
        b"\r\n",
        &long(b'w', 1500),
        b"\r\r\n",
        b"short\r\n",
    ]
    .concat();
    let big = || {
        let mut s = Server::new(
            ServerConfig { max_message_size: 1_000_000, ..config(Flavour::Postfix) },
            Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
        );
        let mut p = TestPolicy::default();
        assert_eq!(run(&mut s, &mut p, b"").0, vec![220]);
        (s, p)
    };
    for cut in 0..body.len() {
        let (mut s, mut p) = big();
        assert_eq!(run(&mut s, &mut p, head).0, vec![250, 250, 250, 354]);
        let (a, b) = (run(&mut s, &mut p, &body[..cut]).0, run(&mut s, &mut p, &body[cut..]).0);
        assert_eq!([a, b].concat(), vec![250, 250], "cut at {cut}");
        assert_eq!(p.messages.len(), 1, "cut at {cut}");
        assert_eq!(p.messages[0].1, want, "cut at {cut}");
    }
    // Memory stays bounded while a line without an end comes in: what is
    // read goes into the message, and the size limit still holds.
    let (mut s, mut p) = session();
    run(&mut s, &mut p, head);
    for _ in 0..100 {
        run(&mut s, &mut p, &[b'x'; 100]);
        assert!(s.unread() <= super::server::MAX_TEXT_LINE + 100, "{} octets held", s.unread());
    }
    // 10,000 octets against the test server's limit of 2,000.
    assert_eq!(run(&mut s, &mut p, b"\r\n.\r\n").0, vec![552]);
    assert!(p.messages.is_empty());
}

#[test]
fn size_limit_in_data() {
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
    let mut body = Vec::new();
    for _ in 0..40 {
        body.extend_from_slice(&[b'z'; 98]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\nNOOP\r\n");
    assert_eq!(run(&mut s, &mut p, &body).0, vec![552, 250]);
    assert!(p.messages.is_empty());
}

/// sendmail words the size refusal at MAIL (srvrsmtp.c) and after the
/// content (collect.c) apart, each with its `MaxMessageSize`; Postfix has
/// one text for both (smtpd.c).
#[test]
fn size_refusals_in_each_flavour_s_words() {
    let texts = |flavour| {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        s.feed(b"EHLO a\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
        let mut body = [b'z'; 98].repeat(40).chunks(98).flat_map(|l| [l, b"\r\n"].concat()).collect::<Vec<u8>>();
        body.extend_from_slice(b".\r\n");
        let mut out = Vec::new();
        let mut drain = |s: &mut Server, out: &mut Vec<String>| {
            while let Some(o) = s.poll(&mut p) {
                if let Output::Reply(r) = o
                    && r.code == 552
                {
                    out.push(r.one_line());
                }
            }
        };
        drain(&mut s, &mut out);
        s.feed(&body);
        drain(&mut s, &mut out);
        out
    };
    assert_eq!(
        texts(Flavour::Sendmail),
        [
            "552 5.2.3 Message size exceeds fixed maximum message size (2000)",
            "552 5.2.3 Message exceeds maximum fixed size (2000)"
        ]
    );
    assert_eq!(texts(Flavour::Postfix), ["552 5.3.4 Message size exceeds fixed limit"; 2]);
}

#[test]
fn recipient_limit() {
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"EHLO a\r\nMAIL FROM:<a@b.example>\r\n");
    let mut cmds = Vec::new();
    for i in 0..4 {
        cmds.extend_from_slice(format!("RCPT TO:<bob{i}@example.com>\r\n").as_bytes());
    }
    assert_eq!(run(&mut s, &mut p, &cmds).0, vec![250, 250, 250, 452]);
    // Past the limit, 452s do not count as errors until 1000 of them
    // (smtpd_recipient_overshoot_limit): 40 more keep the session open.
    let more: Vec<u8> = (0..40).flat_map(|i| format!("RCPT TO:<x{i}@example.com>\r\n").into_bytes()).collect();
    let (codes, closed) = run(&mut s, &mut p, &more);
    assert!(!closed && codes.iter().all(|c| *c == 452), "{codes:?}");
    assert_eq!(run(&mut s, &mut p, b"DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n").0, vec![354, 250]);
}

/// Postfix counts every refused RCPT toward its hard error limit (20) and
/// then says 421 and closes; the sendmail-style server keeps answering.
#[test]
fn refused_recipients_count_as_errors_in_postfix() {
    for (flavour, closes) in [(Flavour::Postfix, true), (Flavour::Sendmail, false)] {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        let mut cmds = b"EHLO a\r\nMAIL FROM:<a@b.example>\r\n".to_vec();
        for i in 0..30 {
            cmds.extend_from_slice(format!("RCPT TO:<nobody{i}@example.com>\r\n").as_bytes());
        }
        let (codes, closed) = run(&mut s, &mut p, &cmds);
        assert_eq!(closed, closes, "{flavour:?}: {codes:?}");
        if closes {
            assert_eq!(codes.iter().filter(|c| **c == 550).count(), 20, "{codes:?}");
            assert_eq!(codes.last(), Some(&421));
        } else {
            assert_eq!(codes.iter().filter(|c| **c == 550).count(), 30, "{codes:?}");
        }
    }
}

#[test]
fn a_recipient_given_twice_is_kept_once() {
    let (mut s, mut p) = session();
    let cmds = b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<bob@example.com>\r\n\
                 RCPT TO:<alice@example.com>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n";
    let (codes, _) = run(&mut s, &mut p, cmds);
    assert_eq!(codes, vec![250, 250, 250, 250, 250, 354, 250]);
    let rcpts: Vec<String> = p.messages[0].0.rcpts.iter().map(|m| m.to_string()).collect();
    assert_eq!(rcpts, vec!["bob@example.com", "alice@example.com"]);
}

#[test]
fn bare_postmaster_is_the_servers_own() {
    let (mut s, mut p) = session();
    let (codes, _) = run(
        &mut s,
        &mut p,
        b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
    );
    assert_eq!(codes, vec![250, 250, 250, 354, 250]);
    assert_eq!(p.messages[0].0.rcpts[0].to_string(), "Postmaster@mx.example.com");
}

#[test]
fn only_crlf_dot_crlf_ends_data() {
    // Smuggling attempts: <LF>.<LF> and <LF>.<CRLF> are content, not the end.
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
    let (codes, _) = run(&mut s, &mut p, b"one\n.\nMAIL FROM:<evil@x.example>\r\ntwo\n.\r\nthree\r\n.\r\n");
    assert_eq!(codes, vec![250]);
    assert_eq!(p.messages.len(), 1);
    let text = String::from_utf8(p.messages[0].1.clone()).unwrap();
    assert!(text.contains("MAIL FROM:<evil@x.example>"));
    assert!(text.ends_with("three\r\n"));
}

#[test]
fn every_split_gives_the_same_replies() {
    let input: &[u8] = b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<no@example.com>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";
    let (mut s0, mut p0) = session();
    let want = run(&mut s0, &mut p0, input).0;
    for cut in 0..input.len() {
        let (mut s, mut p) = session();
        let mut got = run(&mut s, &mut p, &input[..cut]).0;
        got.extend(run(&mut s, &mut p, &input[cut..]).0);
        assert_eq!(got, want, "split at {cut}");
        assert_eq!(p.messages[0].1, b"hello\r\n");
    }
}

#[test]
fn a_refused_session_answers_only_helo_noop_rset_and_quit() {
    let input: &[u8] =
        b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nVRFY alice\r\nNOOP\r\nRSET\r\nQUIT\r\n";
    let refusal = Flavour::Sendmail.persona().dnsbl_reject(Ipv4Addr::new(192, 0, 2, 7), "bl.example.org", None);
    assert_eq!(refusal.wire_lines(), ["550 5.7.1 Rejected: 192.0.2.7 listed at bl.example.org"]);
    let start = || {
        let mut s = server(Flavour::Sendmail);
        let mut p = TestPolicy { refusal: Some(refusal.clone()), ..Default::default() };
        assert_eq!(run(&mut s, &mut p, b"").0, vec![220], "the greeting is not refused");
        (s, p)
    };
    let (mut s0, mut p0) = start();
    let (want, closed) = run(&mut s0, &mut p0, input);
    assert_eq!(want, vec![250, 550, 550, 550, 550, 250, 250, 221]);
    assert!(closed && p0.messages.is_empty());
    for cut in 0..input.len() {
        let (mut s, mut p) = start();
        let mut got = run(&mut s, &mut p, &input[..cut]).0;
        got.extend(run(&mut s, &mut p, &input[cut..]).0);
        assert_eq!(got, want, "split at {cut}");
    }
}

#[test]
fn dnsbl_refusals_in_each_flavour() {
    let ip = Ipv4Addr::new(198, 51, 100, 99);
    let pf = Flavour::Postfix.persona();
    assert_eq!(
        pf.dnsbl_reject(ip, "bl.example.org", Some("spam source")).wire_lines(),
        ["554 5.7.1 Service unavailable; Client host [198.51.100.99] blocked using bl.example.org; spam source"]
    );
    assert_eq!(
        pf.dnsbl_reject(ip, "bl.example.org", None).wire_lines(),
        ["554 5.7.1 Service unavailable; Client host [198.51.100.99] blocked using bl.example.org"]
    );
    assert!(!pf.dnsbl_at_connect() && pf.dnsbl_asks_reason());
    let sm = Flavour::Sendmail.persona();
    assert!(sm.dnsbl_at_connect() && !sm.dnsbl_asks_reason());
    let r = sm.dnsbl_reject(ip, "bl.example.org", Some("ignored"));
    let peer = Peer { ip, name: None, forged: false };
    assert_eq!(
        sm.log_connect_reject(&peer, &r).as_deref(),
        Some(
            "ruleset=check_relay, arg1=[198.51.100.99], arg2=198.51.100.99, relay=[198.51.100.99], reject=550 5.7.1 Rejected: 198.51.100.99 listed at bl.example.org"
        )
    );
    assert_eq!(sm.log_dnsbl_error("99.100.51.198.bl.example.org", true), None);
    assert_eq!(
        pf.log_dnsbl_error("99.100.51.198.bl.example.org", true).as_deref(),
        Some(
            "warning: 99.100.51.198.bl.example.org: RBL lookup error: Host or domain name not found. Name service error for name=99.100.51.198.bl.example.org type=A: Host not found, try again"
        )
    );
}

#[test]
fn a_forged_name_in_each_flavour() {
    let ip = Ipv4Addr::new(203, 0, 113, 66);
    let peer = Peer { ip, name: Some("lab66.cs.example.ac.jp".into()), forged: true };
    let env = Envelope {
        helo: Some("lab66".into()),
        proto: Protocol { esmtp: true, ..Protocol::default() },
        from: address::parse_path("<a@cs.example.ac.jp>").map(|p| p.0).unwrap_or_else(|_| unreachable!()),
        from_as_sent: "<a@cs.example.ac.jp>".into(),
        rcpts: vec![],
        declared_size: None,
        auth: None,
        tls: None,
        chunked: None,
        params: MailParams::default(),
    };
    let sm = Flavour::Sendmail.persona();
    let r = sm.relay_denied_forged("<f@example.net>", ip).unwrap_or_else(|| unreachable!());
    assert_eq!(
        r.wire_lines(),
        ["550 5.7.1 <f@example.net>... Relaying denied. IP name possibly forged [203.0.113.66]"]
    );
    assert_eq!(
        sm.log_rcpt_reject(&peer, Some("Q1"), &env, "<f@example.net>", &r),
        "Q1: ruleset=check_rcpt, arg1=<f@example.net>, relay=lab66.cs.example.ac.jp [203.0.113.66] (may be forged), reject=550 5.7.1 <f@example.net>... Relaying denied. IP name possibly forged [203.0.113.66]"
    );
    assert!(
        sm.received_from(Some("lab66"), &peer).ends_with("(lab66.cs.example.ac.jp [203.0.113.66] (may be forged))")
    );
    assert_eq!(sm.log_forged("lab66.cs.example.ac.jp", ip, None), None);
    let pf = Flavour::Postfix.persona();
    assert!(pf.relay_denied_forged("<f@example.net>", ip).is_none());
    assert_eq!(pf.log_connect(&peer).as_deref(), Some("connect from unknown[203.0.113.66]"));
    assert_eq!(pf.received_from(Some("lab66"), &peer), "lab66 (unknown [203.0.113.66])");
    assert_eq!(
        pf.log_forged("lab66.cs.example.ac.jp", ip, Some("Name or service not known")).as_deref(),
        Some(
            "warning: hostname lab66.cs.example.ac.jp does not resolve to address 203.0.113.66: Name or service not known"
        )
    );
    assert_eq!(
        pf.log_forged("lab66.cs.example.ac.jp", ip, None).as_deref(),
        Some("warning: hostname lab66.cs.example.ac.jp does not resolve to address 203.0.113.66")
    );
}

#[test]
fn access_refusals_in_each_flavour() {
    use super::persona::AccessCheck;
    let ip = Ipv4Addr::new(198, 51, 100, 99);
    let peer = Peer { ip, name: Some("host99.spam.example".into()), forged: false };
    let sm = Flavour::Sendmail.persona();
    let pf = Flavour::Postfix.persona();
    assert_eq!(sm.access_reply(AccessCheck::Client, &peer, "", None).wire_lines(), ["550 5.7.1 Access denied"]);
    assert_eq!(
        sm.access_reply(AccessCheck::Sender, &peer, "<a@ads.example>", None).wire_lines(),
        ["550 5.7.1 <a@ads.example>... Access denied"]
    );
    assert_eq!(
        pf.access_reply(AccessCheck::Client, &peer, "", None).wire_lines(),
        ["554 5.7.1 <host99.spam.example[198.51.100.99]>: Client host rejected: Access denied"]
    );
    assert_eq!(
        pf.access_reply(AccessCheck::Recipient, &peer, "<b@x.example>", Some(("5.7.1", 550, "No thanks"))).wire_lines(),
        ["550 5.7.1 <b@x.example>: Recipient address rejected: No thanks"]
    );
    assert_eq!(
        sm.log_access(AccessCheck::Sender, &peer, Some("Q1"), None, "<a@ads.example>", None),
        "Q1: ruleset=check_mail, arg1=<a@ads.example>, relay=host99.spam.example [198.51.100.99], discard"
    );
}

#[test]
fn too_many_errors_closes_with_421() {
    let (mut s, mut p) = session();
    let (codes, closed) = run(&mut s, &mut p, &b"BAD\r\n".repeat(25));
    assert_eq!(codes.len(), 21);
    assert_eq!(codes.last(), Some(&421));
    assert!(closed);
}

#[test]
fn refused_greeting_allows_only_quit() {
    struct Closed;
    impl Policy for Closed {
        fn greeting(&mut self) -> Reply {
            Reply::new(554, "5.3.2 No SMTP service here")
        }
        fn mail(&mut self, _: &Envelope) -> Reply {
            unreachable!()
        }
        fn rcpt(&mut self, _: &Envelope, _: &Mailbox, _: &str) -> Reply {
            unreachable!()
        }
        fn message(&mut self, _: &Envelope, _: &[u8]) -> Reply {
            unreachable!()
        }
    }
    let mut s = server(Flavour::Sendmail);
    s.feed(b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n");
    let codes: Vec<u16> = std::iter::from_fn(|| s.poll(&mut Closed))
        .filter_map(|o| match o {
            Output::Reply(r) => Some(r.code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec![554, 503, 503, 221]);
}

/// Runs the client core against the server core, byte for byte.
fn converse(job: Job) -> (Vec<(Rcpt, RcptResult)>, TestPolicy, Vec<String>) {
    let mut s = server(Flavour::Postfix);
    let mut p = TestPolicy::default();
    let mut c = Client::new(job);
    let mut sent = Vec::new();
    loop {
        while let Some(o) = s.poll(&mut p) {
            if let Output::Reply(r) = o {
                c.feed(&r.to_bytes());
            }
        }
        let mut progressed = false;
        while let Some(o) = c.poll() {
            progressed = true;
            match o {
                ClientOutput::Send { bytes, line } => {
                    if let Some(l) = line {
                        sent.push(l);
                    }
                    s.feed(&bytes);
                }
                ClientOutput::Received(_) => {}
                ClientOutput::StartTls => unreachable!("the server offers no TLS"),
                ClientOutput::Done(out) => return (out.results, p, sent),
            }
        }
        assert!(progressed, "client and server stalled");
    }
}

fn mb(s: &str) -> Mailbox {
    address::parse_mailbox(s).unwrap()
}

/// A recipient without a DSN request.
fn rc(s: &str) -> Rcpt {
    Rcpt::plain(mb(s))
}

#[test]
fn client_and_server_agree() {
    let job = Job {
        helo: "hub.example.org".into(),
        from: Path::Mailbox(mb("x@example.org")),
        rcpts: vec![rc("alice@example.com"), rc("zoe@example.com"), rc("bob@example.com")],
        data: b"Subject: t\r\n\r\n.dot\r\nend".to_vec(),
        auth: None,
        starttls: true,
        chunking: false,
        smtputf8: false,
        dsn: Default::default(),
    };
    let (results, p, sent) = converse(job);
    assert!(matches!(results[0].1, RcptResult::Accepted(_)));
    assert!(matches!(results[1].1, RcptResult::Refused { ref reply, .. } if reply.code == 550));
    assert!(matches!(results[2].1, RcptResult::Accepted(_)));
    assert_eq!(p.messages[0].1, b"Subject: t\r\n\r\n.dot\r\nend\r\n");
    assert_eq!(sent[0], "EHLO hub.example.org");
    assert!(sent[1].starts_with("MAIL FROM:<x@example.org> SIZE="));
    assert_eq!(sent.last().map(String::as_str), Some("QUIT"));
}

#[test]
fn client_skips_data_when_all_refused() {
    let job = Job {
        helo: "h.example".into(),
        from: Path::Null,
        rcpts: vec![rc("v@elsewhere.example")],
        data: b"x\r\n".to_vec(),
        auth: None,
        starttls: true,
        chunking: false,
        smtputf8: false,
        dsn: Default::default(),
    };
    let (results, p, sent) = converse(job);
    assert!(matches!(results[0].1, RcptResult::Refused { ref reply, .. } if reply.code == 554));
    assert!(p.messages.is_empty());
    assert!(!sent.iter().any(|l| l == "DATA"));
}

#[test]
fn client_connection_lost_is_temporary() {
    let mut c = Client::new(Job {
        helo: "h".into(),
        from: Path::Null,
        rcpts: vec![rc("a@b.example")],
        data: vec![],
        auth: None,
        starttls: true,
        chunking: false,
        smtputf8: false,
        dsn: Default::default(),
    });
    c.connection_lost("Connection reset");
    match c.poll() {
        Some(ClientOutput::Done(o)) => assert!(o.results[0].1.reply().is_transient()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn server_idle_timeout_says_421_and_closes() {
    use super::server::IDLE_TIMEOUT;
    use std::time::Duration;
    assert_eq!(IDLE_TIMEOUT, Duration::from_secs(300), "RFC 5321 §4.5.3.2.7: 5 minutes");
    for (flavour, want) in [
        (Flavour::Sendmail, "4.4.1 collect: read timeout on connection from pc7.example.net, from=<x@example.net>"),
        (Flavour::Postfix, "4.4.2 mx.example.com Error: timeout exceeded"),
    ] {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        run(
            &mut s,
            &mut p,
            b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhalf a mess",
        );
        let t = Duration::from_secs(42);
        s.waiting(t);
        assert_eq!(s.poll_timeout(), Some(t + IDLE_TIMEOUT));
        s.handle_timeout(t + IDLE_TIMEOUT - Duration::from_millis(1));
        assert_eq!(s.poll(&mut p), None, "not yet");
        s.handle_timeout(t + IDLE_TIMEOUT);
        let outs: Vec<Output> = std::iter::from_fn(|| s.poll(&mut p)).collect();
        assert_eq!(outs, vec![Output::Reply(Reply::new(421, want)), Output::Close], "{flavour:?}");
        assert!(s.is_closed());
        assert_eq!(s.poll_timeout(), None);
        // The half message is dropped, and nothing more is read.
        assert_eq!(run(&mut s, &mut p, b"age\r\n.\r\n"), (vec![], false));
        assert!(p.messages.is_empty());
    }
}

#[test]
fn server_input_restarts_the_idle_timer_only_when_the_host_waits_again() {
    use super::server::IDLE_TIMEOUT;
    use std::time::Duration;
    let (mut s, mut p) = session();
    s.waiting(Duration::from_secs(200));
    assert_eq!(run(&mut s, &mut p, b"NOOP\r\n").0, vec![250]);
    // Still the old deadline until the host says it waits again.
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(200) + IDLE_TIMEOUT));
    s.waiting(Duration::from_secs(400));
    s.handle_timeout(Duration::from_secs(600));
    assert_eq!(s.poll(&mut p), None);
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(700)));
}

#[test]
fn a_busy_server_refuses_with_421_and_closes() {
    let cfg = config(Flavour::Sendmail);
    let mut s = Server::refuse_busy(cfg, Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false });
    let mut p = TestPolicy::default();
    s.feed(b"EHLO pc7\r\n");
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll(&mut p)).collect();
    assert_eq!(
        outs,
        vec![Output::Reply(Reply::new(421, "4.7.0 mx.example.com Error: too many connections")), Output::Close]
    );
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_client_with_too_many_sessions_is_refused_by_address() {
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        let cfg = config(flavour);
        let mut s = Server::refuse_client(cfg, Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false });
        let mut p = TestPolicy::default();
        s.feed(b"EHLO pc7\r\n");
        let outs: Vec<Output> = std::iter::from_fn(|| s.poll(&mut p)).collect();
        assert_eq!(
            outs,
            vec![
                Output::Reply(Reply::new(421, "4.7.0 mx.example.com Error: too many connections from 192.0.2.7")),
                Output::Close
            ]
        );
        assert_eq!(s.poll_timeout(), None);
    }
}

#[test]
fn server_says_nothing_after_the_peer_closed() {
    let (mut s, mut p) = session();
    s.feed(b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nx\r\n.\r\n");
    assert!(matches!(s.poll(&mut p), Some(Output::Command(_))));
    s.peer_closed();
    assert_eq!(s.poll(&mut p), None);
    assert!(p.messages.is_empty(), "a message whose sender left is not taken");
}

#[test]
fn client_reply_timeout_fails_every_open_recipient_for_now() {
    use super::client::{REPLY_TIMEOUT, Stage, TIMED_OUT};
    use std::time::Duration;
    let mut c = Client::new(Job {
        helo: "h".into(),
        from: Path::Null,
        rcpts: vec![rc("a@b.example"), rc("c@b.example")],
        data: vec![],
        auth: None,
        starttls: true,
        chunking: false,
        smtputf8: false,
        dsn: Default::default(),
    });
    c.waiting(Duration::from_secs(3));
    assert_eq!(c.poll_timeout(), Some(Duration::from_secs(3) + REPLY_TIMEOUT));
    c.handle_timeout(Duration::from_secs(302));
    assert_eq!(c.poll(), None, "not yet");
    c.handle_timeout(Duration::from_secs(303));
    match c.poll() {
        Some(ClientOutput::Done(o)) => {
            assert_eq!(o.results.len(), 2);
            for (_, r) in &o.results {
                assert_eq!(
                    r,
                    &RcptResult::Refused {
                        reply: Reply::new(421, format!("4.4.2 {TIMED_OUT}")),
                        stage: Stage::Connection
                    }
                );
            }
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(c.is_done());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn stuffing() {
    assert_eq!(stuff(b".a\r\nb\r\n.\r\n"), b"..a\r\nb\r\n..\r\n");
    assert_eq!(stuff(b"no newline"), b"no newline\r\n");
}

fn tls_info() -> crate::proto::tls::TlsInfo {
    crate::proto::tls::TlsInfo {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        bits: 256,
        subject: "mx.example.com".into(),
        group: "X25519".into(),
        signature: "ED25519".into(),
    }
}

fn tls_server(mode: crate::proto::tls::TlsMode) -> Server {
    Server::new(
        ServerConfig { auth: true, tls: mode, ..config(Flavour::Postfix) },
        Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
    )
}

/// Feeds `before` in two reads split at every point, the second read
/// carrying `inject` too (clear text pipelined after STARTTLS); a StartTls
/// output is followed by a finished handshake at once, then `after` comes
/// (inside TLS). Returns the replies (lines joined by `|`), `<TLS>` where
/// TLS started.
fn tls_run(mode: crate::proto::tls::TlsMode, before: &[u8], inject: &[u8], after: &[u8]) -> Vec<String> {
    let mut all: Option<Vec<String>> = None;
    // The last cut would put `inject` in a read of its own, after the
    // handshake began: that is garbage to TLS, not a case for the core.
    for cut in 0..before.len().max(1) {
        let mut s = tls_server(mode);
        let mut p = TestPolicy::default();
        let mut out = Vec::new();
        let step = |s: &mut Server, p: &mut TestPolicy, out: &mut Vec<String>| {
            while let Some(o) = s.poll(p) {
                match o {
                    Output::Reply(r) => out.push(r.wire_lines().join("|")),
                    Output::StartTls => {
                        out.push("<TLS>".into());
                        s.tls_started(tls_info());
                    }
                    _ => {}
                }
            }
        };
        let second = [&before[cut..], inject].concat();
        for part in [&before[..cut], &second[..]] {
            s.feed(part);
            step(&mut s, &mut p, &mut out);
        }
        s.feed(after);
        step(&mut s, &mut p, &mut out);
        match &all {
            None => all = Some(out),
            Some(a) => assert_eq!(a, &out, "split at {cut}"),
        }
    }
    all.unwrap_or_default()
}

#[test]
fn starttls_is_offered_then_the_session_starts_afresh() {
    use crate::proto::tls::TlsMode;
    // MAIL pipelined after STARTTLS in the clear is dropped (RFC 3207 §4.2).
    let out = tls_run(
        TlsMode::Offered,
        b"EHLO pc\r\nSTARTTLS\r\n",
        b"MAIL FROM:<evil@example.net>\r\n",
        b"MAIL FROM:<a@example.net> SIZE=10\r\nEHLO pc\r\nSTARTTLS\r\nSTARTTLS now\r\n",
    );
    assert!(out[1].contains("|250-STARTTLS|") && out[1].contains("AUTH PLAIN"), "{out:?}");
    assert_eq!(out[2], "220 2.0.0 Ready to start TLS");
    assert_eq!(out[3], "<TLS>");
    // After TLS Postfix no longer knows the EHLO of before, but its
    // session is still ESMTP, and MAIL with SIZE is taken (see
    // starttls_without_a_new_ehlo_in_each_flavour).
    assert_eq!(out[4], "250 2.1.0 Ok", "{out:?}");
    assert!(!out[5].contains("STARTTLS") && out[5].contains("AUTH"), "{out:?}");
    assert_eq!(out[6], "554 5.5.1 Error: TLS already active");
    assert_eq!(out[7], "501 5.5.4 Syntax: STARTTLS");
    assert_eq!(out.len(), 8, "{out:?}");
}

#[test]
fn starttls_required_refuses_auth_and_mail_before_it() {
    use crate::proto::tls::TlsMode;
    let out = tls_run(
        TlsMode::Required,
        b"EHLO pc\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nMAIL FROM:<a@example.net>\r\nNOOP\r\nSTARTTLS\r\n",
        b"",
        b"EHLO pc\r\nMAIL FROM:<a@example.net>\r\n",
    );
    assert!(out[1].contains("STARTTLS") && !out[1].contains("AUTH"), "no AUTH before TLS: {out:?}");
    assert_eq!(out[2], "530 5.7.0 Must issue a STARTTLS command first");
    assert_eq!(out[3], "530 5.7.0 Must issue a STARTTLS command first");
    assert!(out[4].starts_with("250"));
    assert_eq!(out[5], "220 2.0.0 Ready to start TLS");
    assert_eq!(out[6], "<TLS>");
    assert!(out[7].contains("AUTH") && !out[7].contains("STARTTLS"), "{out:?}");
    assert!(out[8].starts_with("250"), "{out:?}");
}

/// AUTH's initial response is masked in the trace however the client
/// separates the words: a tab before the response logs in as a space does.
#[test]
fn auth_responses_are_masked_after_any_white_space() {
    let cases = [
        ("AUTH PLAIN AGJvYgBzZWNyZXQ=", "AUTH PLAIN ****", Some(235)),
        ("AUTH PLAIN\tAGJvYgBzZWNyZXQ=", "AUTH PLAIN ****", Some(235)),
        ("auth  plain AGJvYgBzZWNyZXQ=", "auth plain ****", Some(235)),
        ("AUTH\tPLAIN AGJvYgBzZWNyZXQ=", "AUTH PLAIN ****", None),
        ("AUTH PLAIN", "AUTH PLAIN", Some(334)),
        ("AUTHX PLAIN AGJvYgBzZWNyZXQ=", "AUTHX PLAIN AGJvYgBzZWNyZXQ=", None),
    ];
    for (line, shown, code) in cases {
        let mut s = Server::new(
            ServerConfig { auth: true, ..config(Flavour::Postfix) },
            Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
        );
        let mut p = TestPolicy::default();
        s.feed(format!("EHLO pc\r\n{line}\r\n").as_bytes());
        let (mut commands, mut codes) = (Vec::new(), Vec::new());
        while let Some(o) = s.poll(&mut p) {
            match o {
                Output::Command(c) => commands.push(c),
                Output::Reply(r) => codes.push(r.code),
                _ => {}
            }
        }
        assert_eq!(commands, ["EHLO pc", shown], "{line:?}");
        if let Some(code) = code {
            assert_eq!(codes.last(), Some(&code), "{line:?}: {codes:?}");
        }
    }
}

#[test]
fn starttls_off_is_an_unknown_command_as_before() {
    use crate::proto::tls::TlsMode;
    let out = tls_run(TlsMode::Off, b"EHLO pc\r\nSTARTTLS\r\n", b"", b"");
    assert!(!out[1].contains("STARTTLS"));
    assert!(out[2].starts_with("502"), "{out:?}");
}

/// A server of `flavour` offering STARTTLS and AUTH (and requiring HELO
/// with `helo_required`) fed `EHLO pc7` and STARTTLS, then, once TLS is
/// up, `after`: the replies after the handshake and the messages.
fn after_starttls(flavour: Flavour, helo_required: bool, after: &[u8]) -> (Vec<String>, Vec<(Envelope, Vec<u8>)>) {
    use crate::proto::tls::TlsMode;
    let cfg = ServerConfig { auth: true, tls: TlsMode::Offered, helo_required, ..config(flavour) };
    let mut s = Server::new(cfg, Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false });
    let mut p = TestPolicy::default();
    s.feed(b"EHLO pc7\r\nSTARTTLS\r\n");
    let mut started = false;
    while let Some(o) = s.poll(&mut p) {
        if o == Output::StartTls {
            s.tls_started(tls_info());
            started = true;
        }
    }
    assert!(started, "{flavour:?}: no TLS");
    s.feed(after);
    (replies_of(&mut s, &mut p), p.messages)
}

/// MAIL after STARTTLS with no new EHLO. RFC 3207 §4.2 wants the server to
/// forget what the client said before; Postfix does (smtpd.c
/// starttls_cmd(): helo_reset(), so no HELO name, and with
/// `smtpd_helo_required = yes` a 503 for MAIL and AUTH), but keeps its
/// protocol ESMTP and adds the `S` when it writes `Received:`: `with
/// ESMTPS`. sendmail keeps all of it (srvrsmtp.c, STARTTLS: `gothello`,
/// `$s` and `protocol` stay): the HELO name, no warning, and the `with
/// ESMTP` it worked out at the EHLO before TLS.
#[test]
fn starttls_without_a_new_ehlo_in_each_flavour() {
    let tx = b"MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n";
    for (flavour, helo, protocol) in [(Flavour::Postfix, None, "ESMTPS"), (Flavour::Sendmail, Some("pc7"), "ESMTP")] {
        let (replies, messages) = after_starttls(flavour, false, tx);
        assert_eq!(codes_of(&replies), ["250", "250", "354", "250"], "{flavour:?}: {replies:?}");
        let env = &messages[0].0;
        assert_eq!((env.helo.as_deref(), env.protocol()), (helo, protocol), "{flavour:?}");
        assert!(env.tls.is_some(), "{flavour:?}");
        // A login inside TLS, still without EHLO: ESMTPSA in both.
        let login = [b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n".as_slice(), tx].concat();
        let (replies, messages) = after_starttls(flavour, false, &login);
        assert_eq!(codes_of(&replies), ["235", "250", "250", "354", "250"], "{flavour:?}: {replies:?}");
        assert_eq!(messages[0].0.protocol(), "ESMTPSA", "{flavour:?}");
    }
    // A host that requires HELO: Postfix wants a new one, sendmail has it.
    let (replies, _) = after_starttls(
        Flavour::Postfix,
        true,
        b"MAIL FROM:<x@example.net>\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nEHLO pc7\r\nMAIL FROM:<x@example.net>\r\n",
    );
    assert_eq!(replies[0], "503 5.5.1 Error: send HELO/EHLO first");
    assert_eq!(replies[1], "503 5.5.1 Error: send HELO/EHLO first");
    assert_eq!(replies.last().map(String::as_str), Some("250 2.1.0 Ok"), "{replies:?}");
    let (replies, _) = after_starttls(Flavour::Sendmail, true, b"MAIL FROM:<x@example.net>\r\n");
    assert_eq!(codes_of(&replies), ["250"], "{replies:?}");
}

/// Which protocol a transaction came in, flavour by flavour. sendmail
/// works it out at EHLO, HELO and AUTH's `235` and keeps it (srvrsmtp.c:
/// `protocol = GET_PROTOCOL()` or `"SMTP"`): HELO and then AUTH is
/// `ESMTPA`, and EHLO and then HELO is `SMTP`. Postfix has SMTP until
/// EHLO and ESMTP from then on, HELO or not (smtpd.c helo_cmd(): "Downgrading
/// the protocol name breaks the unauthorized pipelining test"), and adds
/// `A` to ESMTP only.
#[test]
fn the_protocol_as_each_flavour_keeps_it() {
    let tx = "MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n";
    let login = "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n";
    for (start, sendmail, postfix) in [
        (format!("HELO pc7\r\n{login}"), "ESMTPA", "SMTP"),
        ("EHLO pc7\r\nHELO pc7\r\n".to_string(), "SMTP", "ESMTP"),
        (format!("EHLO pc7\r\n{login}HELO pc7\r\n"), "SMTP", "ESMTPA"),
        (format!("HELO pc7\r\n{login}EHLO pc7\r\n"), "ESMTPA", "ESMTPA"),
    ] {
        for (flavour, want) in [(Flavour::Sendmail, sendmail), (Flavour::Postfix, postfix)] {
            let input = format!("{start}{tx}");
            let (replies, messages) = at_every_split(&ServerConfig { auth: true, ..config(flavour) }, input.as_bytes());
            assert_eq!(messages.len(), 1, "{flavour:?} {start:?}: {replies:?}");
            assert_eq!(messages[0].0.protocol(), want, "{flavour:?} {start:?}");
        }
    }
}

/// The core hands the policy each path as the client wrote it, for
/// replies to quote, beside the lab's own form of it (a literal in one
/// form, the domain in lower case).
#[test]
fn paths_reach_the_policy_as_written() {
    let (mut s, mut p) = session();
    let input = b"EHLO pc7\r\nMAIL FROM:  <X@Example.NET> SIZE=10\r\nRCPT TO:<alice@EXAMPLE.com> NOTIFY=NEVER\r\nRCPT TO: <@a.example:Bob@[192.0.2.025]>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nhi\r\n.\r\n";
    assert_eq!(run(&mut s, &mut p, input).0, vec![250, 250, 250, 554, 250, 354, 250]);
    assert_eq!(p.rcpts_as_sent, ["<alice@EXAMPLE.com>", "<@a.example:Bob@[192.0.2.025]>", "<Postmaster>"]);
    let env = &p.messages[0].0;
    assert_eq!((env.from_as_sent.as_str(), env.from.to_string().as_str()), ("<X@Example.NET>", "<X@example.net>"));
    let addrs: Vec<_> = env.rcpts.iter().map(|r| r.addr.clone()).collect();
    assert_eq!(addrs, [mb("alice@example.com"), mb("Postmaster@mx.example.com")]);
}

/// How each flavour quotes a path the client wrote: sendmail as it came
/// (parseaddr.c: `e->e_to = addr`), Postfix in its internal form between
/// `<` and `>` (smtpd.c extract_addr(): no brackets, no source route, a
/// quoted local part unquoted), both keeping the client's literal and case.
#[test]
fn quoted_paths_in_each_flavour() {
    let (sm, pf) = (Flavour::Sendmail.persona(), Flavour::Postfix.persona());
    for (sent, postfix) in [
        ("<Taro@[192.0.2.025]>", "<Taro@[192.0.2.025]>"),
        ("<alice@Example.COM>", "<alice@Example.COM>"),
        ("<@relay.example,@hub.example:bob@example.com>", "<bob@example.com>"),
        ("<\"odd name\"@example.com>", "<odd name@example.com>"),
        ("<\"say \\\"hi\\\"\"@example.com>", "<say \"hi\"@example.com>"),
        ("<Postmaster>", "<Postmaster>"),
        ("<>", "<>"),
    ] {
        assert_eq!(sm.quoted_path(sent), sent);
        assert_eq!(pf.quoted_path(sent), postfix, "{sent}");
    }
}

/// The client core says STARTTLS when offered, EHLO again after the
/// handshake, and only then AUTH; the Received: protocol is ESMTPSA.
#[test]
fn the_client_upgrades_with_starttls_before_auth() {
    use crate::proto::tls::TlsMode;
    let mut s = tls_server(TlsMode::Required);
    let mut p = TestPolicy::default();
    let mut c = Client::new(Job {
        helo: "pc.example.net".into(),
        from: Path::Mailbox(mb("bob@example.net")),
        rcpts: vec![rc("alice@example.com")],
        data: b"Subject: x\r\n\r\nhi\r\n".to_vec(),
        auth: Some(crate::proto::smtp::client::ClientAuth {
            user: "bob".into(),
            password: "secret".into(),
            mechanism: "PLAIN".into(),
        }),
        starttls: true,
        chunking: false,
        smtputf8: false,
        dsn: Default::default(),
    });
    let mut sent = Vec::new();
    let mut done = None;
    for _ in 0..100 {
        while let Some(o) = s.poll(&mut p) {
            match o {
                Output::Reply(r) => c.feed(&r.to_bytes()),
                Output::StartTls => s.tls_started(tls_info()),
                _ => {}
            }
        }
        while let Some(o) = c.poll() {
            match o {
                ClientOutput::Send { bytes, line } => {
                    sent.extend(line);
                    s.feed(&bytes);
                }
                ClientOutput::StartTls => c.tls_started(),
                ClientOutput::Received(_) => {}
                ClientOutput::Done(out) => done = Some(out),
            }
        }
        if done.is_some() {
            break;
        }
    }
    let verbs: Vec<&str> = sent.iter().map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(verbs, ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"]);
    assert!(matches!(done.map(|d| d.results[0].1.clone()), Some(RcptResult::Accepted(_))));
    assert_eq!(p.messages[0].0.protocol(), "ESMTPSA");
}

/// Replies (code and text) for `input` after EHLO, MAIL and one RCPT.
fn bdat_run(input: &[u8]) -> (Vec<String>, TestPolicy, bool) {
    let (mut s, mut p) = session();
    let (codes, _) = run(&mut s, &mut p, b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\n");
    assert_eq!(codes, vec![250, 250, 250]);
    s.feed(input);
    let mut replies = Vec::new();
    let mut closed = false;
    while let Some(o) = s.poll(&mut p) {
        match o {
            Output::Reply(r) => replies.push(r.one_line()),
            Output::Close => closed = true,
            _ => {}
        }
    }
    (replies, p, closed)
}

#[test]
fn chunking_is_offered_by_postfix_only() {
    for (flavour, offered) in [(Flavour::Postfix, true), (Flavour::Sendmail, false)] {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        s.feed(b"EHLO pc7\r\nBDAT 3 LAST\r\n");
        let mut replies = Vec::new();
        while let Some(o) = s.poll(&mut p) {
            if let Output::Reply(r) = o {
                replies.push(r);
            }
        }
        assert_eq!(replies[1].lines.iter().any(|l| l == "CHUNKING"), offered, "{flavour:?}");
        if !offered {
            // sendmail knows no BDAT: the command is unknown.
            assert_eq!(replies[2].code, 500);
        }
    }
}

#[test]
fn bdat_takes_exact_octets_without_dot_stuffing() {
    // Dots, a lone "." line and what looks like a command are content.
    let (replies, p, closed) = bdat_run(b"BDAT 7\r\nhello\r\nBDAT 19 LAST\r\n.\r\n..x\r\nQUIT\r\nbye\r\nQUIT\r\n");
    assert_eq!(replies, vec!["250 2.0.0 Ok: 7 bytes", "250 2.0.0 Ok: queued as ABC123", "221 2.0.0 Bye"]);
    assert!(closed);
    assert_eq!(p.messages.len(), 1);
    assert_eq!(p.messages[0].1, b"hello\r\n.\r\n..x\r\nQUIT\r\nbye\r\n");
    assert_eq!(p.messages[0].0.chunked, Some(26));
}

#[test]
fn bdat_content_keeps_its_bytes_and_gets_crlf_line_ends() {
    let (replies, p, _) = bdat_run(b"BDAT 8 LAST\r\na\0b\nc\r\nd");
    assert_eq!(replies, vec!["250 2.0.0 Ok: queued as ABC123"]);
    assert_eq!(p.messages[0].1, b"a\0b\r\nc\r\nd\r\n");
    // An empty last chunk ends a message sent in earlier chunks.
    let (replies, p, _) = bdat_run(b"BDAT 3\r\nab\nBDAT 0 LAST\r\n");
    assert_eq!(replies, vec!["250 2.0.0 Ok: 3 bytes", "250 2.0.0 Ok: queued as ABC123"]);
    assert_eq!(p.messages[0].1, b"ab\r\n");
}

#[test]
fn bdat_every_split_gives_the_same_replies() {
    let input: &[u8] = b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nBDAT 4\r\nBDATBDAT 6 LAST\r\n\r\n.\r\n\nQUIT\r\n";
    let (mut s0, mut p0) = session();
    let want = run(&mut s0, &mut p0, input).0;
    assert_eq!(want, vec![250, 250, 250, 250, 250, 221]);
    for cut in 0..input.len() {
        for cut2 in cut..input.len() {
            let (mut s, mut p) = session();
            let mut got = run(&mut s, &mut p, &input[..cut]).0;
            got.extend(run(&mut s, &mut p, &input[cut..cut2]).0);
            got.extend(run(&mut s, &mut p, &input[cut2..]).0);
            assert_eq!(got, want, "split at {cut} and {cut2}");
            assert_eq!(p.messages[0].1, b"BDAT\r\n.\r\n\r\n", "split at {cut} and {cut2}");
        }
    }
}

#[test]
fn bdat_refusals_still_read_the_chunk() {
    // Before MAIL: Postfix asks for RCPT; the octets are not taken as commands.
    let (mut s, mut p) = session();
    s.feed(b"EHLO pc7\r\nBDAT 6 LAST\r\nNOOP\r\nNOOP\r\n");
    let replies = replies_of(&mut s, &mut p);
    assert_eq!(replies[1..], ["503 5.5.1 Error: need RCPT command", "250 2.0.0 Ok"]);
    // A transaction whose recipients were all refused.
    let (mut s, mut p) = session();
    let (codes, _) = run(&mut s, &mut p, b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<zoe@example.com>\r\n");
    assert_eq!(codes, vec![250, 250, 550]);
    assert_eq!(run(&mut s, &mut p, b"BDAT 6 LAST\r\nNOOP\r\nNOOP\r\n").0, vec![554, 250]);
    // DATA, RCPT and MAIL while chunks are collected; RSET ends it all.
    let (replies, p, _) = bdat_run(
        b"BDAT 3\r\nabcDATA\r\nRCPT TO:<bob@example.com>\r\nRSET\r\nMAIL FROM:<y@example.net>\r\nRCPT TO:<bob@example.com>\r\nBDAT 3 LAST\r\nxyz",
    );
    assert_eq!(
        replies,
        vec![
            "250 2.0.0 Ok: 3 bytes",
            "503 5.5.1 Error: DATA after BDAT",
            "503 5.5.1 Error: RCPT after BDAT",
            "250 2.0.0 Ok",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "250 2.0.0 Ok: queued as ABC123",
        ]
    );
    assert_eq!(p.messages[0].1, b"xyz\r\n", "nothing of the chunk before RSET");
    assert_eq!(p.messages[0].0.rcpts, vec![rc("bob@example.com")]);
}

#[test]
fn bdat_over_the_size_limit_discards_until_last() {
    // The test server takes 2000 octets.
    let mut input = b"BDAT 1500\r\n".to_vec();
    input.extend_from_slice(&[b'a'; 1500]);
    input.extend_from_slice(b"BDAT 600\r\n");
    input.extend_from_slice(&[b'b'; 600]);
    input.extend_from_slice(b"MAIL FROM:<y@example.net>\r\nBDAT 4 LAST\r\nccccMAIL FROM:<y@example.net>\r\n");
    let (replies, p, closed) = bdat_run(&input);
    assert_eq!(
        replies,
        vec![
            "250 2.0.0 Ok: 1500 bytes",
            "552 5.3.4 Chunk exceeds message size limit",
            // The transaction is still open (Postfix's skip_bdat() keeps it).
            "503 5.5.1 Error: nested MAIL command",
            "551 5.0.0 Discarded 4 bytes after earlier error",
            "250 2.1.0 Ok",
        ]
    );
    assert!(!closed);
    assert!(p.messages.is_empty());
}

#[test]
fn bdat_null_and_malformed() {
    let (replies, _, closed) = bdat_run(b"BDAT 0\r\nNOOP\r\n");
    assert_eq!(replies, vec!["551 5.7.1 Null BDAT request", "250 2.0.0 Ok"]);
    assert!(!closed);
    for bad in [
        "BDAT\r\n",
        "BDAT x\r\n",
        "BDAT 3 FIRST\r\n",
        "BDAT 3 LAST more\r\n",
        "BDAT -1\r\n",
        "BDAT 99999999999999999999999\r\n",
    ] {
        let (replies, _, closed) = bdat_run(format!("{bad}NOOP\r\n").as_bytes());
        assert_eq!(replies, vec!["521 5.5.4 Syntax: BDAT count [LAST]"], "{bad}");
        assert!(closed, "{bad}");
    }
}

#[test]
fn the_client_sends_bdat_only_when_asked_and_offered() {
    let job = |chunking| Job {
        helo: "hub.example.org".into(),
        from: Path::Mailbox(mb("x@example.org")),
        rcpts: vec![rc("alice@example.com")],
        data: b"Subject: t\r\n\r\n.dot\r\nend".to_vec(),
        auth: None,
        starttls: false,
        chunking,
        smtputf8: false,
        dsn: Default::default(),
    };
    let (results, p, sent) = converse(job(true));
    assert!(matches!(&results[0].1, RcptResult::Accepted(r) if r.code == 250));
    assert_eq!(p.messages[0].1, b"Subject: t\r\n\r\n.dot\r\nend\r\n");
    assert_eq!(p.messages[0].0.chunked, Some(25));
    assert!(sent.contains(&"BDAT 25 LAST".to_string()), "{sent:?}");
    assert!(!sent.contains(&"DATA".to_string()));
    let (_, p, sent) = converse(job(false));
    assert!(sent.contains(&"DATA".to_string()));
    assert_eq!(p.messages[0].0.chunked, None);
}

#[test]
fn smtputf8_is_needed_for_a_utf8_address() {
    let (mut s, mut p) = session();
    let (codes, _) = run(&mut s, &mut p, b"EHLO pc7\r\n");
    assert_eq!(codes, vec![250]);
    let replies = |s: &mut Server, p: &mut TestPolicy, input: &str| {
        s.feed(input.as_bytes());
        let mut out = Vec::new();
        while let Some(o) = s.poll(p) {
            if let Output::Reply(r) = o {
                out.push(r.one_line());
            }
        }
        out
    };
    let must = "553 5.6.7 Must declare SMTPUTF8 to send unicode address";
    assert_eq!(replies(&mut s, &mut p, "MAIL FROM:<太郎@example.net>\r\n"), vec![must]);
    assert_eq!(
        replies(&mut s, &mut p, "MAIL FROM:<x@example.net>\r\nRCPT TO:<花子@example.com>\r\nRSET\r\n"),
        vec!["250 2.1.0 Ok", must, "250 2.0.0 Ok"]
    );
    assert_eq!(
        replies(
            &mut s,
            &mut p,
            "MAIL FROM:<太郎@example.net> SMTPUTF8\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n"
        ),
        vec!["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as ABC123"]
    );
    let env = &p.messages[0].0;
    assert!(env.params.smtputf8);
    assert_eq!(env.from.to_string(), "<太郎@example.net>");
    // SMTPUTF8 takes no value; after HELO it is taken as after EHLO
    // (smtpd.c mail_cmd() does not ask which the client said).
    assert_eq!(
        replies(&mut s, &mut p, "MAIL FROM:<x@example.net> SMTPUTF8=yes\r\n")[0],
        "555 5.5.4 Unsupported option: SMTPUTF8=yes"
    );
    assert_eq!(
        replies(&mut s, &mut p, "HELO pc7\r\nMAIL FROM:<太郎@example.net> SMTPUTF8\r\n"),
        vec!["250 mx.example.com", "250 2.1.0 Ok"]
    );
}

#[test]
fn sendmail_does_not_offer_smtputf8() {
    let mut s = server(Flavour::Sendmail);
    let mut p = TestPolicy::default();
    s.feed("EHLO pc7\r\nMAIL FROM:<x@example.net> SMTPUTF8\r\nMAIL FROM:<太郎@example.net>\r\n".as_bytes());
    let mut replies = Vec::new();
    while let Some(o) = s.poll(&mut p) {
        if let Output::Reply(r) = o {
            replies.push(r);
        }
    }
    assert!(!replies[1].lines.iter().any(|l| l == "SMTPUTF8"));
    assert_eq!(replies[2].code, 555);
    assert_eq!(replies[3].code, 553);
}

#[test]
fn the_client_asks_for_smtputf8_and_gives_up_where_it_is_not_offered() {
    let job = Job {
        helo: "hub.example.org".into(),
        from: Path::Mailbox(mb("x@example.org")),
        rcpts: vec![rc("bob花子@example.com")],
        data: b"Subject: t\r\n\r\nhi\r\n".to_vec(),
        auth: None,
        starttls: false,
        chunking: false,
        smtputf8: true,
        dsn: Default::default(),
    };
    let (results, p, sent) = converse(job.clone());
    assert!(matches!(results[0].1, RcptResult::Accepted(_)), "{results:?}");
    assert!(sent[1].ends_with(" SMTPUTF8"), "{sent:?}");
    assert!(p.messages[0].0.params.smtputf8);
    // A server without SMTPUTF8 (here: sendmail's EHLO) gets only QUIT.
    let mut c = Client::new(job);
    c.feed(b"220 mx ESMTP\r\n250-mx\r\n250-8BITMIME\r\n250 SIZE 1000\r\n221 bye\r\n");
    let mut lines = Vec::new();
    let mut outcome = None;
    while let Some(o) = c.poll() {
        match o {
            ClientOutput::Send { line: Some(l), .. } => lines.push(l),
            ClientOutput::Done(out) => outcome = Some(out),
            _ => {}
        }
    }
    assert_eq!(lines, vec!["EHLO hub.example.org", "QUIT"]);
    let out = outcome.expect("the client is done");
    assert!(
        matches!(&out.results[0].1, RcptResult::Refused { reply, stage: client::Stage::Smtputf8 } if reply.enhanced() == Some("5.6.7"))
    );
}

/// Feed `bytes` one octet at a time, each just before the deadline, as
/// the session driver would (poll, then `waiting(now)`); returns the time
/// the server timed out and what it said.
fn trickle(
    s: &mut Server,
    p: &mut TestPolicy,
    bytes: &[u8],
    from: std::time::Duration,
) -> (std::time::Duration, Vec<u16>) {
    use std::time::Duration;
    s.waiting(from);
    for &b in bytes {
        let deadline = s.poll_timeout().expect("open");
        let now = deadline - Duration::from_millis(1);
        s.handle_timeout(now);
        s.feed(&[b]);
        let mut codes = Vec::new();
        while let Some(o) = s.poll(p) {
            if let Output::Reply(r) = o {
                codes.push(r.code);
            }
        }
        if s.is_closed() {
            return (now, codes);
        }
        s.waiting(now);
    }
    let deadline = s.poll_timeout().expect("open");
    s.handle_timeout(deadline);
    let codes = std::iter::from_fn(|| s.poll(p))
        .filter_map(|o| if let Output::Reply(r) = o { Some(r.code) } else { None })
        .collect();
    (deadline, codes)
}

#[test]
fn a_client_trickling_a_command_is_cut_off_after_one_idle_timeout() {
    use super::server::IDLE_TIMEOUT;
    use std::time::Duration;
    // Postfix's smtpd_per_record_deadline: bytes without a line end do
    // not restart the timer; a complete line does.
    let (mut s, mut p) = session();
    let t0 = Duration::from_secs(1);
    let (t, codes) = trickle(&mut s, &mut p, b"EHLO slow.example.net", t0);
    assert_eq!(codes, vec![421]);
    assert!(s.is_closed());
    assert!(t <= t0 + IDLE_TIMEOUT, "cut off at {t:?}, later than one timeout after {t0:?}");
    // Each complete line restarts the timer: a slow but honest client lives.
    let (mut s, mut p) = session();
    s.waiting(t0);
    let mut now = t0;
    for line in [&b"EHLO pc7\r\n"[..], b"NOOP\r\n", b"NOOP\r\n"] {
        now += IDLE_TIMEOUT - Duration::from_secs(1);
        s.handle_timeout(now);
        assert_eq!(run(&mut s, &mut p, line).0, vec![250]);
        s.waiting(now);
    }
    assert_eq!(s.poll_timeout(), Some(now + IDLE_TIMEOUT));
}

#[test]
fn a_client_trickling_data_or_a_chunk_is_cut_off_after_one_idle_timeout() {
    use super::server::IDLE_TIMEOUT;
    use std::time::Duration;
    let t0 = Duration::from_secs(5);
    for (setup, body) in [
        (
            &b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n"[..],
            &b"Subject: a very long line"[..],
        ),
        (
            b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nBDAT 100 LAST\r\n",
            b"Subject: no line end",
        ),
    ] {
        let (mut s, mut p) = session();
        let codes = run(&mut s, &mut p, setup).0;
        assert!(codes.iter().all(|&c| c < 400), "{codes:?}");
        let (t, codes) = trickle(&mut s, &mut p, body, t0);
        assert_eq!(codes, vec![421]);
        assert!(t <= t0 + IDLE_TIMEOUT);
        assert!(p.messages.is_empty());
    }
    // A line of the message restarts it.
    let (mut s, mut p) = session();
    run(&mut s, &mut p, b"EHLO pc7\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
    s.waiting(t0);
    s.feed(b"Subject: hi\r\n");
    assert_eq!(s.poll(&mut p), None);
    s.waiting(t0 + Duration::from_secs(100));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(100) + IDLE_TIMEOUT));
    // So does each record of a line longer than 1000 octets (2,000 octets
    // a minute is a steady sender, not a trickle), but not a few octets.
    let mut now = t0 + Duration::from_secs(100);
    for _ in 0..10 {
        now += Duration::from_secs(60);
        s.handle_timeout(now);
        s.feed(&[b'q'; 2000]);
        assert_eq!(s.poll(&mut p), None);
        s.waiting(now);
        assert_eq!(s.poll_timeout(), Some(now + IDLE_TIMEOUT), "a steady long line keeps the session");
    }
    s.feed(b"qq");
    assert_eq!(s.poll(&mut p), None);
    s.waiting(now + Duration::from_secs(30));
    assert_eq!(s.poll_timeout(), Some(now + IDLE_TIMEOUT), "two octets restart nothing");
}

#[test]
fn the_idle_timeout_can_be_configured() {
    use std::time::Duration;
    let (mut s, mut p) = session();
    s.set_idle_timeout(Duration::from_secs(2));
    s.waiting(Duration::ZERO);
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(2)));
    s.handle_timeout(Duration::from_secs(2));
    assert_eq!(run(&mut s, &mut p, b"").0, vec![421]);
}

/// The replies (one line each) to `input` after EHLO, in a fresh session of `flavour`.
fn dsn_replies(flavour: Flavour, input: &str) -> (Vec<String>, TestPolicy) {
    // Room for a recipient given twice beside three others.
    let peer = Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: Some("pc7.example.net".into()), forged: false };
    let mut s = Server::new(ServerConfig { max_recipients: 5, ..config(flavour) }, peer);
    let mut p = TestPolicy::default();
    s.feed(format!("EHLO pc7\r\n{input}").as_bytes());
    let mut out = Vec::new();
    while let Some(o) = s.poll(&mut p) {
        if let Output::Reply(r) = o {
            out.push(r.one_line());
        }
    }
    out.drain(..2);
    (out, p)
}

#[test]
fn both_flavours_offer_dsn_in_their_order() {
    // Postfix 3.7 smtpd.c ehlo_cmd() and sendmail 8.18 srvrsmtp.c list DSN by default.
    for (flavour, before) in [(Flavour::Postfix, "8BITMIME"), (Flavour::Sendmail, "SIZE 2000")] {
        let ext = flavour.persona().extensions(2000);
        let at = ext.iter().position(|k| k == "DSN").expect("DSN offered");
        assert_eq!(ext[at - 1], before, "{flavour:?}");
    }
}

#[test]
fn dsn_parameters_reach_the_envelope() {
    let input = "MAIL FROM:<x@example.net> RET=hdrs ENVID=QQ+2B1+3Dx\r\n\
                 RCPT TO:<alice@example.com> NOTIFY=SUCCESS,failure ORCPT=rfc822;Alice+40example.com\r\n\
                 RCPT TO:<bob@example.com> NOTIFY=NEVER\r\n\
                 RCPT TO:<bob2@example.com>\r\n\
                 RCPT TO:<alice@example.com> NOTIFY=DELAY\r\n\
                 DATA\r\nhi\r\n.\r\n";
    for flavour in [Flavour::Postfix, Flavour::Sendmail] {
        let (replies, p) = dsn_replies(flavour, input);
        assert!(replies.iter().all(|r| !r.starts_with('5')), "{flavour:?} {replies:?}");
        let env = &p.messages[0].0;
        assert_eq!(env.params.ret, Some(Ret::Hdrs));
        assert_eq!(env.params.envid.as_deref(), Some("QQ+1=x"));
        let of = |a: &str| env.rcpts.iter().filter(|r| r.addr == mb(a)).map(|r| r.dsn.clone()).collect::<Vec<_>>();
        let alice = of("alice@example.com");
        assert_eq!(alice[0].notify, Some(Notify { success: true, failure: true, delay: false }));
        assert_eq!(alice[0].orcpt, Some(("rfc822".to_string(), "Alice@example.com".to_string())));
        match flavour {
            // The second RCPT of the same address is dropped, and its
            // parameters with it (recipient.c: the first is kept as it was).
            Flavour::Sendmail => assert_eq!(alice.len(), 1),
            // Another DSN request makes another recipient (cleanup's duplicate filter).
            Flavour::Postfix => {
                assert_eq!(alice.len(), 2);
                assert_eq!(alice[1].notify, Some(Notify { success: false, failure: false, delay: true }));
                assert_eq!(alice[1].orcpt, None);
            }
        }
        let bob = &of("bob@example.com")[0];
        assert_eq!(bob.notify, Some(Notify::NEVER));
        assert!(!bob.on_failure() && !bob.on_success() && !bob.on_delay());
        let plain = &of("bob2@example.com")[0];
        assert!(plain.is_empty() && plain.on_failure() && plain.on_delay() && !plain.on_success());
    }
}

/// The same recipient with the same request twice is one recipient in both
/// flavours; Postfix compares the request's letters in any case
/// (cleanup_out_recipient.c: been_here() with BH_FLAG_FOLD).
#[test]
fn the_same_recipient_and_request_twice_is_one_recipient() {
    let input = "MAIL FROM:<x@example.net>\r\n\
                 RCPT TO:<alice@example.com> NOTIFY=SUCCESS ORCPT=rfc822;Alice@example.com\r\n\
                 RCPT TO:<alice@example.com> NOTIFY=success ORCPT=RFC822;alice@EXAMPLE.com\r\n\
                 DATA\r\nhi\r\n.\r\n";
    for flavour in [Flavour::Postfix, Flavour::Sendmail] {
        let (replies, p) = dsn_replies(flavour, input);
        assert!(replies[1].starts_with("250") && replies[2].starts_with("250"), "{flavour:?} {replies:?}");
        assert_eq!(p.messages[0].0.rcpts.len(), 1, "{flavour:?}");
    }
}

#[test]
fn malformed_and_repeated_dsn_parameters_get_each_flavour_s_reply() {
    let cases: &[(&str, &str, &str)] = &[
        // (command, Postfix's reply, sendmail's reply)
        (
            "MAIL FROM:<x@example.net> RET=BODY",
            "501 5.5.4 Bad RET parameter syntax",
            "501 5.5.2 Bad argument \"BODY\" to RET",
        ),
        ("MAIL FROM:<x@example.net> RET", "555 5.5.4 Unsupported option: RET", "501 5.5.2 RET requires a value"),
        (
            "MAIL FROM:<x@example.net> RET=FULL RET=HDRS",
            "501 5.5.4 Bad RET parameter syntax",
            "501 5.5.0 Duplicate RET parameter",
        ),
        (
            "MAIL FROM:<x@example.net> ENVID=a+zz",
            "501 5.5.4 Bad ENVID parameter syntax",
            "501 5.5.4 Syntax error in ENVID parameter value",
        ),
        (
            "MAIL FROM:<x@example.net> ENVID=a=b",
            "501 5.5.4 Bad ENVID parameter syntax",
            "501 5.5.4 Syntax error in ENVID parameter value",
        ),
        (
            "MAIL FROM:<x@example.net> ENVID=a ENVID=b",
            "501 5.5.4 Bad ENVID parameter syntax",
            "501 5.5.0 Duplicate ENVID parameter",
        ),
        (
            "MAIL FROM:<x@example.net> BY=120;R",
            "555 5.5.4 Unsupported option: BY=120;R",
            "555 5.5.4 BY parameter unrecognized",
        ),
    ];
    for (cmd, postfix, sendmail) in cases {
        for (flavour, want) in [(Flavour::Postfix, postfix), (Flavour::Sendmail, sendmail)] {
            let (replies, _) = dsn_replies(flavour, &format!("{cmd}\r\n"));
            assert_eq!(replies, vec![want.to_string()], "{flavour:?} {cmd}");
        }
    }
    let rcpt_cases: &[(&str, &str, &str)] = &[
        (
            "NOTIFY=NEVER,SUCCESS",
            "501 5.5.4 Error: Bad NOTIFY parameter syntax",
            "501 5.5.4 Bad argument \"NEVER\"  to NOTIFY",
        ),
        ("NOTIFY=", "501 5.5.4 Error: Bad NOTIFY parameter syntax", "501 5.5.4 Bad argument \"\"  to NOTIFY"),
        ("NOTIFY", "555 5.5.4 Unsupported option: NOTIFY", "501 5.5.2 NOTIFY requires a value"),
        (
            "ORCPT=alice@example.com",
            "501 5.5.4 Error: Bad ORCPT parameter syntax",
            "501 5.5.4 Syntax error in ORCPT parameter value",
        ),
        (
            "ORCPT=;x@y",
            "501 5.5.4 Error: Bad ORCPT parameter syntax",
            "501 5.5.4 Syntax error in ORCPT parameter value",
        ),
        (
            "ORCPT=rfc822;a@b ORCPT=rfc822;c@d",
            "501 5.5.4 Error: Bad ORCPT parameter syntax",
            "501 5.5.0 Duplicate ORCPT parameter",
        ),
        ("XFOO=1", "555 5.5.4 Unsupported option: XFOO=1", "555 5.5.4 XFOO parameter unrecognized"),
    ];
    for (params, postfix, sendmail) in rcpt_cases {
        for (flavour, want) in [(Flavour::Postfix, postfix), (Flavour::Sendmail, sendmail)] {
            let input = format!("MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com> {params}\r\n");
            let (replies, _) = dsn_replies(flavour, &input);
            assert_eq!(replies[1], *want, "{flavour:?} {params}");
        }
    }
    // sendmail takes a second NOTIFY (it replaces the first); Postfix refuses it.
    let input =
        "MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com> NOTIFY=FAILURE NOTIFY=SUCCESS\r\nDATA\r\nx\r\n.\r\n";
    let (replies, p) = dsn_replies(Flavour::Sendmail, input);
    assert!(replies[1].starts_with("250"), "{replies:?}");
    assert_eq!(p.messages[0].0.rcpts[0].dsn.notify, Some(Notify { success: true, failure: false, delay: false }));
    let (replies, _) = dsn_replies(Flavour::Postfix, input);
    assert_eq!(replies[1], "501 5.5.4 Error: Bad NOTIFY parameter syntax");
}

/// The parameters of the extensions a server offers are taken after HELO,
/// or with no HELO at all, as after EHLO: neither Postfix's mail_cmd() and
/// rcpt_cmd() (smtpd.c) nor sendmail's mail_esmtp_args() and
/// rcpt_esmtp_args() (srvrsmtp.c) look at the protocol. The session stays
/// plain SMTP all the same.
#[test]
fn esmtp_parameters_are_taken_after_helo_or_none() {
    for flavour in [Flavour::Postfix, Flavour::Sendmail] {
        for helo in ["HELO pc7\r\n", ""] {
            let input = format!(
                "{helo}MAIL FROM:<x@example.net> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=e1\r\nRCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.com\r\nDATA\r\nhi\r\n.\r\n"
            );
            let (replies, messages) = at_every_split(&config(flavour), input.as_bytes());
            let want = if helo.is_empty() {
                vec!["220", "250", "250", "354", "250"]
            } else {
                vec!["220", "250", "250", "250", "354", "250"]
            };
            assert_eq!(codes_of(&replies), want, "{flavour:?} {helo:?}: {replies:?}");
            let env = &messages[0].0;
            assert_eq!(env.protocol(), "SMTP", "{flavour:?} {helo:?}");
            assert_eq!(env.declared_size, Some(100));
            assert_eq!((env.params.ret, env.params.envid.as_deref()), (Some(Ret::Hdrs), Some("e1")));
            let rcpt = &env.rcpts.iter().find(|r| r.addr == mb("alice@example.com")).expect("alice is a recipient").dsn;
            assert_eq!(rcpt.notify, Some(Notify { success: true, failure: true, delay: false }));
            assert_eq!(rcpt.orcpt, Some(("rfc822".into(), "alice@example.com".into())));
        }
        // SIZE over the limit is refused after HELO as after EHLO.
        let (replies, _) = at_every_split(&config(flavour), b"HELO pc7\r\nMAIL FROM:<x@example.net> SIZE=5000\r\n");
        assert_eq!(codes_of(&replies), ["220", "250", "552"], "{flavour:?}: {replies:?}");
    }
}

#[test]
fn dsn_parameters_survive_every_split() {
    let input: &[u8] = b"EHLO pc7\r\nMAIL FROM:<x@example.net> RET=FULL ENVID=id+2B\r\nRCPT TO:<alice@example.com> NOTIFY=SUCCESS ORCPT=rfc822;alice@example.com\r\nRCPT TO:<bob@example.com> NOTIFY=BAD\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";
    let (mut s0, mut p0) = session();
    let want = run(&mut s0, &mut p0, input).0;
    assert_eq!(want, vec![250, 250, 250, 501, 354, 250, 221]);
    for cut in 0..input.len() {
        let (mut s, mut p) = session();
        let mut got = run(&mut s, &mut p, &input[..cut]).0;
        got.extend(run(&mut s, &mut p, &input[cut..]).0);
        assert_eq!(got, want, "split at {cut}");
        assert_eq!(p.messages[0].0.params, p0.messages[0].0.params, "split at {cut}");
    }
}

#[test]
fn xtext_round_trips() {
    use super::envelope::{xtext_decode, xtext_encode};
    for s in ["plain", "a+b=c d", "Ünïcode", "+", "=", ""] {
        assert_eq!(xtext_decode(&xtext_encode(s)).as_deref(), Some(s), "{s}");
    }
    assert_eq!(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
    assert_eq!(xtext_decode("a+2bb"), Some("a+b".into()));
    for bad in ["a+2", "a+zz", "a=b", "a b", "a\u{7f}"] {
        assert_eq!(xtext_decode(bad), None, "{bad}");
    }
}

#[test]
fn the_client_passes_dsn_on_only_where_it_is_offered() {
    let dsn = MailParams { ret: Some(Ret::Hdrs), envid: Some("id 1".into()), ..MailParams::default() };
    let alice = Rcpt {
        addr: mb("alice@example.com"),
        dsn: RcptParams { notify: Some(Notify::NEVER), orcpt: Some(("rfc822".into(), "alice+x@example.com".into())) },
    };
    let job = Job {
        helo: "hub.example.org".into(),
        from: Path::Mailbox(mb("x@example.org")),
        rcpts: vec![alice, rc("bob@example.com")],
        data: b"Subject: t\r\n\r\nhi\r\n".to_vec(),
        auth: None,
        starttls: false,
        chunking: false,
        smtputf8: false,
        dsn,
    };
    let (results, p, sent) = converse(job.clone());
    assert!(results.iter().all(|(_, r)| matches!(r, RcptResult::Accepted(_))), "{results:?}");
    assert!(sent[1].ends_with(" RET=HDRS ENVID=id+201"), "{sent:?}");
    assert_eq!(sent[2], "RCPT TO:<alice@example.com> NOTIFY=NEVER ORCPT=rfc822;alice+2Bx@example.com");
    assert_eq!(sent[3], "RCPT TO:<bob@example.com>");
    let env = &p.messages[0].0;
    assert_eq!(env.params.envid.as_deref(), Some("id 1"));
    assert_eq!(env.rcpts[0].dsn.orcpt.clone().map(|o| o.1).as_deref(), Some("alice+x@example.com"));
    // A server without DSN hears none of it.
    let mut c = Client::new(job);
    c.feed(b"220 mx ESMTP\r\n250-mx\r\n250 8BITMIME\r\n250 ok\r\n250 ok\r\n250 ok\r\n");
    let mut lines = Vec::new();
    while let Some(o) = c.poll() {
        if let ClientOutput::Send { line: Some(l), .. } = o {
            lines.push(l);
        }
    }
    assert_eq!(lines[1..4], ["MAIL FROM:<x@example.org>", "RCPT TO:<alice@example.com>", "RCPT TO:<bob@example.com>"]);
}

#[test]
fn a_server_with_dsn_switched_off_neither_offers_nor_takes_it() {
    for (flavour, mail, rcpt) in [
        (Flavour::Postfix, "501 5.7.1 DSN support is disabled", "501 5.7.1 DSN support is disabled"),
        (
            Flavour::Sendmail,
            "504 5.7.0 Sorry, RET not supported, we do not allow DSN",
            "504 5.7.0 Sorry, NOTIFY not supported, we do not allow DSN",
        ),
    ] {
        let mut s = Server::new(
            ServerConfig { dsn: false, ..config(flavour) },
            Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
        );
        let mut p = TestPolicy::default();
        s.feed(b"EHLO pc7\r\nMAIL FROM:<x@example.net> RET=FULL\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.com> NOTIFY=NEVER\r\n");
        let mut replies = Vec::new();
        while let Some(o) = s.poll(&mut p) {
            if let Output::Reply(r) = o {
                replies.push(r);
            }
        }
        assert!(!replies[1].lines.iter().any(|l| l == "DSN"), "{flavour:?}");
        assert_eq!(replies[2].one_line(), mail);
        assert_eq!(replies[4].one_line(), rcpt);
    }
}

/// The AUTH replies in each flavour's words (sendmail: srvrsmtp.c's
/// `message()` calls in its AUTH case; Postfix: smtpd_sasl_proto.c).
#[test]
fn auth_reply_texts_follow_the_flavour() {
    let cases: [(&[u8], &str, &str); 7] = [
        (b"AUTH\r\n", "501 5.5.2 AUTH mechanism must be specified", "501 5.5.4 Syntax: AUTH mechanism"),
        (
            b"AUTH Gssapi\r\n",
            "504 5.3.3 AUTH mechanism Gssapi not available",
            "504 5.5.4 Unrecognized authentication type",
        ),
        (b"AUTH PLAIN\r\n*\r\n", "501 5.0.0 AUTH aborted", "501 5.7.0 Authentication aborted"),
        (b"AUTH PLAIN %%%\r\n", "501 5.5.4 cannot decode AUTH parameter", "501 5.5.2 Cannot decode response"),
        (
            b"AUTH PLAIN AGJvYgB3cm9uZw==\r\n",
            "535 5.7.0 authentication failed",
            "535 5.7.8 Error: authentication failed: authentication failure",
        ),
        (b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n", "235 2.0.0 OK Authenticated", "235 2.7.0 Authentication successful"),
        (
            b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
            "503 5.5.0 Already Authenticated",
            "503 5.5.1 Error: already authenticated",
        ),
    ];
    for (input, sendmail, postfix) in cases {
        for (flavour, want) in [(Flavour::Sendmail, sendmail), (Flavour::Postfix, postfix)] {
            let last = auth_session(flavour, input).pop();
            assert_eq!(last.as_deref(), Some(want), "{flavour:?} {}", String::from_utf8_lossy(input));
        }
    }
    // During a transaction.
    for (flavour, want) in [
        (Flavour::Sendmail, "503 5.5.0 AUTH not permitted during a mail transaction"),
        (Flavour::Postfix, "503 5.5.1 Error: MAIL transaction in progress"),
    ] {
        let mut s = Server::new(
            ServerConfig { auth: true, ..config(flavour) },
            Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
        );
        let mut p = TestPolicy::default();
        s.feed(b"EHLO pc7\r\nMAIL FROM:<a@example.com>\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
        let last = replies_of(&mut s, &mut p).pop();
        assert_eq!(last.as_deref(), Some(want), "{flavour:?}");
    }
}

/// What a reply quotes of the client's input is printable US-ASCII: a NUL,
/// a control or an 8-bit octet comes back as `?` (RFC 5321 4.2).
#[test]
fn replies_quote_client_input_printably() {
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        let mut s = server(flavour);
        let mut p = TestPolicy::default();
        s.feed(b"HELO pc7\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<al\x00ice@example.com>\r\nRCPT TO:<\xe3\x81\x82\x01@example.com x\r\nFOO\x1b[2J\xff\r\n");
        let mut lines = Vec::new();
        while let Some(o) = s.poll(&mut p) {
            if let Output::Reply(r) = o {
                lines.extend(r.wire_lines());
            }
        }
        assert!(lines.len() >= 5, "{flavour:?}: {lines:?}");
        for l in &lines {
            assert!(l.bytes().all(|b| b == b'\t' || (0x20..=0x7e).contains(&b)), "{flavour:?}: {l:?}");
        }
    }
}

/// sendmail counts only unknown commands (MAXBADCOMMANDS, 25): the 26th
/// gets the 421 instead of its 500; syntax errors do not count. Postfix
/// closes after 20 errors of any kind.
#[test]
fn bad_commands_close_the_session_as_each_flavour_counts() {
    let unknown: Vec<u8> = (0..30).flat_map(|i| format!("FROB{i}\r\n").into_bytes()).collect();
    let mut s = server(Flavour::Sendmail);
    let mut p = TestPolicy::default();
    let (codes, closed) = run(&mut s, &mut p, &unknown);
    assert!(closed);
    assert_eq!(codes.iter().filter(|c| **c == 500).count(), 25, "{codes:?}");
    assert_eq!(codes.last(), Some(&421));
    let mut s = server(Flavour::Sendmail);
    let syntax: Vec<u8> =
        b"HELO pc7\r\n".iter().copied().chain((0..30).flat_map(|_| b"MAIL FROM:bad\r\n".to_vec())).collect();
    let (codes, closed) = run(&mut s, &mut p, &syntax);
    assert!(!closed, "{codes:?}");
    assert_eq!(codes.len(), 32, "{codes:?}");
    let mut s = server(Flavour::Postfix);
    let (codes, closed) = run(&mut s, &mut p, &unknown);
    assert!(closed);
    assert_eq!(codes.iter().filter(|c| **c == 502 || **c == 500).count(), 20, "{codes:?}");
    assert_eq!(codes.last(), Some(&421));
    assert_eq!(
        Flavour::Sendmail.persona().too_many_errors("mx.example.com").one_line(),
        "421 4.7.0 mx.example.com Too many bad commands; closing connection"
    );
    assert_eq!(Flavour::Sendmail.persona().too_many_recipients().one_line(), "452 4.5.3 Too many recipients");
}

/// sendmail quotes the whole line it did not recognise, as typed, shortened
/// to 203 characters (shortenstring); Postfix quotes nothing.
#[test]
fn an_unknown_command_is_quoted_as_sendmail_quotes_it() {
    let mut s = server(Flavour::Sendmail);
    let mut p = TestPolicy::default();
    let long = format!("frob {}", "x".repeat(300));
    s.feed(format!("frob the widget\r\n{long}\r\n").as_bytes());
    let lines = replies_of(&mut s, &mut p);
    assert_eq!(lines[1], "500 5.5.1 Command unrecognized: \"frob the widget\"");
    let want = format!("500 5.5.1 Command unrecognized: \"{}...{}\"", &long[..100], &long[long.len() - 100..]);
    assert_eq!(lines[2], want);
    assert_eq!(Flavour::Postfix.persona().unknown("frob x").one_line(), "502 5.5.2 Error: command not recognized");
}

/// No reply quotes a secret back: `AUTH<TAB>PLAIN response` is AUTH (the
/// verb ends at any white space), and an unknown command is quoted as the
/// trace shows it, masked.
#[test]
fn no_reply_quotes_an_auth_secret() {
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        for input in [&b"AUTH\tPLAIN AGJvYgBzZWNyZXQ=\r\n"[..], b"AUTH\tNOSUCH AGJvYgBzZWNyZXQ=\r\n"] {
            let replies = auth_session(flavour, input);
            assert!(replies.iter().all(|r| !r.contains("AGJvYgBzZWNyZXQ")), "{flavour:?}: {replies:?}");
        }
    }
}

/// A client refused for the whole session (sendmail's nullserver) cannot
/// keep it open for ever: each refused command is a bad one, and the
/// session ends as the flavour counts them (sendmail after 25, Postfix 20).
#[test]
fn a_refused_session_ends_after_enough_bad_commands() {
    for (flavour, limit) in [(Flavour::Sendmail, 25), (Flavour::Postfix, 20)] {
        let mut s = server(flavour);
        let mut p = TestPolicy { refusal: Some(Reply::new(550, "5.0.0 go away")), ..TestPolicy::default() };
        let cmds: Vec<u8> = b"HELO pc7\r\n"
            .iter()
            .copied()
            .chain((0..40).flat_map(|_| b"MAIL FROM:<a@b.example>\r\n".to_vec()))
            .collect();
        let (codes, closed) = run(&mut s, &mut p, &cmds);
        assert!(closed, "{flavour:?}: {codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 550).count(), limit, "{flavour:?}: {codes:?}");
        assert_eq!(codes.last(), Some(&421), "{flavour:?}");
    }
}

/// In a transaction that declared SMTPUTF8, a reply quotes a UTF-8 address
/// as it came (without it, such an address is refused outright).
#[test]
fn utf8_is_quoted_back_only_under_smtputf8() {
    for (mail, want) in [
        ("MAIL FROM:<a@b.example> SMTPUTF8", "ユーザ@elsewhere.example"),
        ("MAIL FROM:<a@b.example>", "5.6.7 Must declare SMTPUTF8"),
    ] {
        let mut s = server(Flavour::Postfix);
        let mut p = TestPolicy::default();
        s.feed(format!("EHLO pc7\r\n{mail}\r\nRCPT TO:<ユーザ@elsewhere.example>\r\n").as_bytes());
        let last = replies_of(&mut s, &mut p).pop().unwrap_or_default();
        assert!(last.contains(want), "{mail}: {last}");
    }
}

/// `MAIL FROM:<…> AUTH=…` (RFC 4954 §5): a server that offers AUTH takes it,
/// logged in or not; each flavour refuses a malformed one in its words.
#[test]
fn the_auth_parameter_of_mail_is_taken_where_auth_is_offered() {
    let last = |flavour, mail: &str| {
        let r = auth_session(flavour, format!("{mail}\r\n").as_bytes());
        r.last().cloned().unwrap_or_default()
    };
    for flavour in [Flavour::Postfix, Flavour::Sendmail] {
        for ok in ["AUTH=<>", "AUTH=taro+40example.ac.jp", "SIZE=10 AUTH=<>"] {
            let r = last(flavour, &format!("MAIL FROM:<a@b.example> {ok}"));
            assert!(r.starts_with("250 "), "{flavour:?} {ok}: {r}");
        }
    }
    let cases = [
        ("AUTH", "555 5.5.4 Unsupported option: AUTH", "501 5.5.2 AUTH= requires a value"),
        ("AUTH=a AUTH=b", "503 5.5.4 Error: multiple AUTH= options", "501 5.5.0 Duplicate AUTH parameter"),
    ];
    for (params, postfix, sendmail) in cases {
        assert_eq!(last(Flavour::Postfix, &format!("MAIL FROM:<a@b.example> {params}")), postfix);
        assert_eq!(last(Flavour::Sendmail, &format!("MAIL FROM:<a@b.example> {params}")), sendmail);
    }
    // sendmail checks the xtext (xtextok()); Postfix only stores it.
    assert_eq!(
        last(Flavour::Sendmail, "MAIL FROM:<a@b.example> AUTH=a+zz"),
        "501 5.5.4 Syntax error in AUTH parameter value"
    );
    assert!(last(Flavour::Postfix, "MAIL FROM:<a@b.example> AUTH=a+zz").starts_with("250 "));
    // Postfix keeps no `<>`, so a second AUTH= after one is no duplicate there.
    assert!(last(Flavour::Postfix, "MAIL FROM:<a@b.example> AUTH=<> AUTH=x").starts_with("250 "));
    assert_eq!(last(Flavour::Sendmail, "MAIL FROM:<a@b.example> AUTH=<> AUTH=x"), "501 5.5.0 Duplicate AUTH parameter");
    // The mailbox reaches the envelope, xtext-decoded; `<>` is no one.
    let mut s = Server::new(
        ServerConfig { auth: true, ..config(Flavour::Postfix) },
        Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false },
    );
    let mut p = TestPolicy::default();
    let (codes, _) = run(
        &mut s,
        &mut p,
        b"EHLO pc7\r\nMAIL FROM:<a@b.example> AUTH=taro+40example.ac.jp\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert_eq!(codes, vec![220, 250, 250, 250, 354, 250]);
    // Kept as sent (Postfix logs it so, made printable: no client writes a
    // log line of its own with an xtext-encoded line break).
    assert_eq!(p.messages[0].0.params.auth.as_deref(), Some("taro+40example.ac.jp"));
    let peer = Peer { ip: Ipv4Addr::new(192, 0, 2, 7), name: None, forged: false };
    let line = Flavour::Postfix.persona().log_client("Q1", &peer, None, Some("evil+0A\nApr 1\u{1}x"));
    assert_eq!(line.as_deref(), Some("Q1: client=unknown[192.0.2.7], sasl_sender=evil+0A?Apr 1?x"));
    // Where AUTH is not offered, it stays an unknown option.
    let (mut s, mut p) = session();
    s.feed(b"EHLO pc7\r\nMAIL FROM:<a@b.example> AUTH=<>\r\n");
    assert_eq!(replies_of(&mut s, &mut p).last().map(String::as_str), Some("555 5.5.4 Unsupported option: AUTH=<>"));
}

/// RFC 4954 §4: `=` is an empty response (PLAIN then fails on its
/// content, not on its encoding), and an initial response to CRAM-MD5,
/// where the server speaks first, is refused with 501 5.7.0.
#[test]
fn auth_takes_an_empty_response_and_refuses_an_initial_one_for_cram_md5() {
    for flavour in [Flavour::Postfix, Flavour::Sendmail] {
        let r = auth_session(flavour, b"AUTH PLAIN =\r\n");
        let last = r.last().cloned().unwrap_or_default();
        assert!(!last.to_ascii_lowercase().contains("decode"), "{flavour:?}: {last}");
        assert!(last.starts_with("501 ") || last.starts_with("535 "), "{flavour:?}: {last}");
        let r = auth_session(flavour, b"AUTH PLAIN\r\n=\r\n");
        assert_eq!(r[2], "334 ", "{flavour:?}");
        assert!(!r[3].to_ascii_lowercase().contains("decode"), "{flavour:?}: {}", r[3]);
        let r = auth_session(flavour, b"AUTH CRAM-MD5 dGVzdA==\r\n");
        assert!(r.last().is_some_and(|l| l.starts_with("501 5.7.0 ")), "{flavour:?}: {r:?}");
    }
}

/// HELP lists the extension commands the session could use now, as EHLO does.
#[test]
fn help_lists_the_extension_commands_offered() {
    let r = auth_session(Flavour::Postfix, b"HELP\r\n");
    let help = r.last().cloned().unwrap_or_default();
    assert!(help.contains("AUTH") && help.contains("BDAT"), "{help}");
    assert!(!help.contains("STARTTLS"), "no TLS here: {help}");
    let r = auth_session(Flavour::Sendmail, b"HELP\r\n");
    let help = r.last().cloned().unwrap_or_default();
    assert!(help.contains("AUTH") && !help.contains("BDAT"), "{help}");
    let (mut s, mut p) = session();
    s.feed(b"HELP\r\n");
    let help = replies_of(&mut s, &mut p).last().cloned().unwrap_or_default();
    assert!(!help.contains("AUTH"), "{help}");
}

/// A message relayed on has no line longer than the client sends: Postfix
/// breaks at 998 octets with CRLF SPACE (smtp_line_length_limit), sendmail
/// at its esmtp mailer's L=990 with `!` CRLF SPACE (putxline()).
#[test]
fn relayed_lines_are_folded_as_each_flavour_folds_them() {
    let line = |c: u8, n: usize| vec![c; n];
    let data =
        [b"Subject: x\r\n\r\n".as_slice(), &line(b'a', 2500), b"\r\n", &line(b'b', 998), b"\r\nend\r\n"].concat();
    let pf = Flavour::Postfix.persona().fold_for_relay(&data).expect("a long line");
    let want = [
        b"Subject: x\r\n\r\n".as_slice(),
        &line(b'a', 998),
        b"\r\n ",
        &line(b'a', 997),
        b"\r\n ",
        &line(b'a', 505),
        b"\r\n",
        &line(b'b', 998),
        b"\r\nend\r\n",
    ]
    .concat();
    assert_eq!(pf, want);
    let sm = Flavour::Sendmail.persona().fold_for_relay(&data).expect("a long line");
    let want = [
        b"Subject: x\r\n\r\n".as_slice(),
        &line(b'a', 989),
        b"!\r\n ",
        &line(b'a', 988),
        b"!\r\n ",
        &line(b'a', 523),
        b"\r\n",
        &line(b'b', 989),
        b"!\r\n ",
        &line(b'b', 9),
        b"\r\nend\r\n",
    ]
    .concat();
    assert_eq!(sm, want);
    for out in [&pf, &sm] {
        assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= 1000), "every line within 1000 octets with its CRLF");
    }
    // Nothing long: sent as it is.
    assert_eq!(Flavour::Postfix.persona().fold_for_relay(b"short\r\n"), None);
    assert_eq!(Flavour::Sendmail.persona().fold_for_relay(&[&line(b'c', 990)[..], b"\r\n"].concat()), None);
}
