//! Postfix 3.x: its replies, maillog lines, Received: header and DSN wording.

use super::{
    AccessCheck, AliasDsn, Arrival, Attempt, DnsFault, DoubleBounce, DsnFacts, DsnFault, DsnKind, DsnParam, Duplicates,
    Flavour, Persona, Program, QueueTimes, ReportTo, Source, Trouble, Words,
};
use crate::proto::smtp::address::AddressError;
use crate::proto::smtp::envelope::{Envelope, Peer};
use crate::proto::smtp::reply::Reply;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

pub struct Postfix;

/// Postfix's client form: `name[ip]` or `unknown[ip]`.
pub fn client(peer: &Peer) -> String {
    format!("{}[{}]", name(peer), peer.ip)
}

/// The client's name as Postfix uses it: `unknown` without a PTR name or
/// when the name does not lead back to the address (smtpd_peer.c).
fn name(peer: &Peer) -> &str {
    match &peer.name {
        Some(n) if !peer.forged => n,
        _ => "unknown",
    }
}

/// A next hop `mx.example.com [192.0.2.1]` as `mx.example.com[192.0.2.1]`.
fn relay_host(via: &str) -> String {
    match via.split_once(' ') {
        Some((n, ip)) => format!("{n}{ip}"),
        None => via.to_string(),
    }
}

/// The end of smtpd's reject and milter lines, as smtpd_whatsup() (smtpd.c)
/// writes it after the sender and recipient: ` proto=SMTP` or ` proto=ESMTP`
/// (`state->protocol`: SMTP from the start of the session, ESMTP after
/// EHLO), then ` helo=<NAME>` only when the client gave HELO or EHLO.
fn proto_helo(env: &Envelope) -> String {
    let proto = if env.proto.esmtp { "ESMTP" } else { "SMTP" };
    match &env.helo {
        Some(h) => format!(" proto={proto} helo=<{h}>"),
        None => format!(" proto={proto}"),
    }
}

/// smtpd.c's NEUTER_CHARACTERS: made `?` in a HELO name, after printable().
const NEUTER_CHARACTERS: &str = " <>()\\\";@";

/// A DNS failure as Postfix's smtp(8) words it (dns_lookup.c's
/// `Name service error for name=%s type=%s: %s` after smtp_addr.c's
/// "Host or domain name not found").
fn dns_text(f: &DnsFault) -> String {
    let ns = |name: &str, qtype: &str, why: &str| {
        format!("Host or domain name not found. Name service error for name={name} type={qtype}: {why}")
    };
    match f {
        DnsFault::NotFound { name, qtype } => ns(name, qtype, "Host not found"),
        DnsFault::NoData { name, qtype } => ns(name, qtype, "No data"),
        DnsFault::Failed { name, qtype, rcode } if *qtype == "MX" => ns(name, qtype, &format!("{rcode}, try again")),
        DnsFault::Failed { name, qtype, rcode } => ns(name, qtype, rcode),
        DnsFault::NoAnswer { server, .. } => format!("DNS server {server} did not answer"),
        DnsFault::NullMx { domain } => format!("Domain {domain} does not accept mail (nullMX)"),
        DnsFault::NoMxAddress { domain, .. } => format!("no MX host of {domain} has an address"),
        DnsFault::Other(text) => text.clone(),
    }
}

/// A Postfix (short format) queue id: ten hexadecimal digits.
pub fn qid(r: u64) -> String {
    format!("{:010X}", r & 0xFF_FFFF_FFFF)
}

/// Postfix's `delay=` form: seconds, two decimals below 10 s.
pub fn delay(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        let t = format!("{s:.2}");
        let t = t.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() { "0".into() } else { t.to_string() }
    } else {
        format!("{}", s.round() as u64)
    }
}

/// The Postfix release whose lines the lab writes (Debian 12's).
pub const VERSION: &str = "3.7.11";

/// The verbs the disconnect summary names one by one, in its order.
/// In the order of smtpd.c's command table (STARTTLS and AUTH after HELO/EHLO).
const SUMMARY_VERBS: [&str; 12] =
    ["ehlo", "helo", "starttls", "auth", "mail", "rcpt", "data", "bdat", "rset", "noop", "vrfy", "quit"];

/// The ` ehlo=1 mail=1 … commands=5` summary of a disconnect line.
pub fn command_counts(counts: &BTreeMap<String, (u32, u32)>) -> String {
    let mut out = String::new();
    let (mut ok, mut all) = (0, 0);
    for verb in SUMMARY_VERBS {
        if let Some((o, t)) = counts.get(verb) {
            ok += o;
            all += t;
            if o == t {
                out.push_str(&format!(" {verb}={o}"));
            } else {
                out.push_str(&format!(" {verb}={o}/{t}"));
            }
        }
    }
    let other: u32 = counts.iter().filter(|(k, _)| !SUMMARY_VERBS.contains(&k.as_str())).map(|(_, v)| v.1).sum();
    if other > 0 {
        out.push_str(&format!(" unknown=0/{other}"));
        all += other;
    }
    if all == ok { format!("{out} commands={ok}") } else { format!("{out} commands={ok}/{all}") }
}

impl Persona for Postfix {
    fn flavour(&self) -> Flavour {
        Flavour::Postfix
    }
    // smtpd.c: `if (cmdp->action(state, argc, argv) != 0) state->error_count++;`,
    // and rcpt_cmd() fails for a refused recipient.
    fn refusal_counts_as_error(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "postfix"
    }

    fn greeting(&self, host: &str, _date: &str) -> Reply {
        Reply::new(220, [host, " ESMTP Postfix"].concat())
    }
    fn helo_greet(&self, host: &str, _peer: &Peer) -> String {
        host.to_string()
    }
    fn extensions(&self, max_size: u64) -> Vec<String> {
        vec![
            "PIPELINING".into(),
            format!("SIZE {max_size}"),
            "VRFY".into(),
            "ENHANCEDSTATUSCODES".into(),
            "8BITMIME".into(),
            "DSN".into(),
            "SMTPUTF8".into(),
            "CHUNKING".into(),
        ]
    }
    fn helo_syntax(&self, verb: &str) -> Reply {
        Reply::new(501, format!("Syntax: {verb} hostname"))
    }
    /// smtpd.c helo_cmd() and ehlo_cmd(): no argument is `501 Syntax: EHLO
    /// hostname`; anything else is taken (no smtpd_helo_restrictions by
    /// default). RFC 5321 §4.1.1.1 wants one domain or address literal,
    /// but smtpd's tokeniser splits the line at white space and
    /// collapse_args() puts the words together again with one space
    /// between them; the name is then made printable (printable(): an
    /// ASCII control character becomes `?`, UTF-8 stays, as
    /// `smtputf8_enable = yes` has it) and neuter() makes the
    /// NEUTER_CHARACTERS `?` too, the space among them. So `EHLO a b` is
    /// answered 250 and the client is `a?b` in Received: and in `helo=<…>`.
    /// (The tokeniser keeps white space inside `"…"` as it came, where
    /// this joins with one space: `"a  b"` is `?a??b?` there, `?a?b?` here.)
    fn helo_name(&self, verb: &str, arg: &str) -> Result<String, Reply> {
        let mut name = String::with_capacity(arg.len());
        for (i, word) in arg.split_ascii_whitespace().enumerate() {
            if i > 0 {
                name.push('?');
            }
            name.extend(word.chars().map(|c| {
                if c.is_ascii_control() || c == char::REPLACEMENT_CHARACTER || NEUTER_CHARACTERS.contains(c) {
                    '?'
                } else {
                    c
                }
            }));
        }
        if name.is_empty() { Err(self.helo_syntax(verb)) } else { Ok(name) }
    }
    /// With `smtpd_helo_required = yes` the 503 answers AUTH before HELO
    /// too (smtpd_sasl_proto.c smtpd_sasl_auth_cmd()), not only MAIL.
    fn helo_required_covers_auth(&self) -> bool {
        true
    }
    /// smtpd.c mail_cmd(), only with `smtpd_helo_required = yes` (the
    /// default is no, postconf(5)).
    fn need_helo(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: send HELO/EHLO first")
    }
    fn nested_mail(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: nested MAIL command")
    }
    fn need_mail(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: need MAIL command")
    }
    fn data_needs_mail(&self) -> Reply {
        // smtpd.c data_cmd(): outside a mail transaction Postfix asks for RCPT.
        Reply::new(503, "5.5.1 Error: need RCPT command")
    }
    fn need_rcpt(&self) -> Reply {
        Reply::new(554, "5.5.1 Error: no valid recipients")
    }
    /// smtpd.c mail_cmd(): fewer than three tokens (`MAIL FROM:` and
    /// nothing), or a second one that is not `from:`.
    fn mail_syntax(&self, _word: &str) -> Reply {
        Reply::new(501, "5.5.4 Syntax: MAIL FROM:<address>")
    }
    /// smtpd.c rcpt_cmd(), as mail_cmd() for `to:`.
    fn rcpt_syntax(&self, _word: &str) -> Reply {
        Reply::new(501, "5.5.4 Syntax: RCPT TO:<address>")
    }
    /// smtpd.c mail_cmd() and rcpt_cmd() give one reply to every path they
    /// cannot use: a `<` without `>` (smtpd_token.c marks the token
    /// SMTPD_TOK_ERROR), and whatever extract_addr() refuses (`<>` as a
    /// recipient, REJECT_EMPTY_ADDR; a domain trivial-rewrite finds no
    /// valid host name or address literal in, RESOLVE_FLAG_ERROR).
    /// A path without angle brackets is not refused: extract_addr() takes
    /// it unless `strict_rfc821_envelopes = yes` (default `no`).
    fn bad_path(&self, rcpt: bool, _written: &str, _e: &AddressError) -> Reply {
        if rcpt {
            Reply::new(501, "5.1.3 Bad recipient address syntax")
        } else {
            Reply::new(501, "5.1.7 Bad sender address syntax")
        }
    }
    fn too_big(&self, _limit: u64) -> Reply {
        Reply::new(552, "5.3.4 Message size exceeds fixed limit")
    }
    fn data_go(&self) -> Reply {
        Reply::new(354, "End data with <CR><LF>.<CR><LF>")
    }
    fn rset(&self) -> Reply {
        Reply::new(250, "2.0.0 Ok")
    }
    fn noop(&self) -> Reply {
        Reply::new(250, "2.0.0 Ok")
    }
    fn quit(&self, _host: &str) -> Reply {
        Reply::new(221, "2.0.0 Bye")
    }
    fn vrfy(&self, arg: &str) -> Reply {
        Reply::new(252, format!("2.0.0 {arg}"))
    }
    fn expn(&self) -> Reply {
        Reply::new(502, "5.5.1 Error: command not implemented")
    }
    fn unknown(&self, _line: &str) -> Reply {
        Reply::new(502, "5.5.2 Error: command not recognized")
    }
    fn empty_command(&self) -> Reply {
        Reply::new(500, "5.5.2 Error: bad syntax")
    }
    fn not_implemented(&self, _verb: &str) -> Reply {
        Reply::new(502, "5.5.1 Error: command not implemented")
    }
    fn auth_not_available(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: authentication not enabled")
    }

    fn dsn_param_error(&self, param: DsnParam, fault: DsnFault, option: &str) -> Option<Reply> {
        // smtpd.c mail_cmd() and rcpt_cmd() match `RET=`, `ENVID=`,
        // `NOTIFY=`, `ORCPT=`: a bare keyword is an unknown option; a
        // repeated or malformed one gets the parameter's syntax error.
        if fault == DsnFault::NoValue {
            return Some(self.unsupported_option(option));
        }
        Some(match param {
            DsnParam::Ret => Reply::new(501, "5.5.4 Bad RET parameter syntax"),
            DsnParam::Envid => Reply::new(501, "5.5.4 Bad ENVID parameter syntax"),
            DsnParam::Notify => Reply::new(501, "5.5.4 Error: Bad NOTIFY parameter syntax"),
            DsnParam::Orcpt => Reply::new(501, "5.5.4 Error: Bad ORCPT parameter syntax"),
        })
    }

    fn dsn_disabled(&self, _param: DsnParam) -> Reply {
        // smtpd.c with `smtpd_discard_ehlo_keywords = dsn` (EHLO_MASK_DSN).
        Reply::new(501, "5.7.1 DSN support is disabled")
    }

    /// smtpd.c extract_addr(): the address in its internal form, without
    /// the angle brackets and a source route, a quoted local part without
    /// its quotes and backslashes (tok822_internalize()), but otherwise as
    /// written; smtpd_check.c quotes it in `<%s>` (`state->recipient`,
    /// `state->sender`), in replies and in the `from=`/`to=` of its log lines.
    fn quoted_path(&self, as_sent: &str) -> String {
        let s = as_sent.trim();
        let inner = s.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(s);
        let inner = match inner.split_once(':') {
            Some((route, mailbox)) if route.starts_with('@') => mailbox,
            _ => inner,
        };
        let mut out = String::with_capacity(inner.len() + 2);
        out.push('<');
        match inner.strip_prefix('"').and_then(|i| i.rsplit_once("\"@")) {
            Some((quoted, domain)) => {
                let mut chars = quoted.chars();
                while let Some(c) = chars.next() {
                    out.extend(if c == '\\' { chars.next() } else { Some(c) });
                }
                out.push('@');
                out.push_str(domain);
            }
            None => out.push_str(inner),
        }
        out.push('>');
        out
    }
    fn mail_ok(&self, _from: &str) -> Reply {
        Reply::new(250, "2.1.0 Ok")
    }
    fn rcpt_ok(&self, _to: &str) -> Reply {
        Reply::new(250, "2.1.5 Ok")
    }
    fn queued(&self, qid: &str) -> Reply {
        Reply::new(250, format!("2.0.0 Ok: queued as {qid}"))
    }
    fn relay_denied(&self, to: &str, _auth_offered: bool) -> Reply {
        Reply::new(554, format!("5.7.1 {to}: Relay access denied"))
    }
    fn user_unknown(&self, to: &str) -> Reply {
        Reply::new(550, format!("5.1.1 {to}: Recipient address rejected: User unknown in local recipient table"))
    }

    /// smtpd_check.c `smtpd_check_queue()`, at MAIL: the free space must be
    /// more than `queue_minfree` (0 by default) and more than 1.5 times
    /// `message_size_limit` (`smtpd_space_multf`); the SIZE announced is
    /// checked only against the size limit.
    fn storage_short(&self, free: u64, limit: u64, _declared: u64) -> bool {
        free == 0 || u128::from(limit) * 3 >= u128::from(free) * 2
    }
    fn insufficient_storage(&self) -> Reply {
        Reply::new(452, "4.3.1 Insufficient system storage")
    }
    /// The reject line (`log_whatsup()`: no `from=`, the sender is not yet
    /// known there; `helo=` only after a HELO; the SASL login if any), then
    /// smtpd's warning.
    fn log_insufficient_storage(
        &self,
        prog: Program,
        peer: &Peer,
        env: &Envelope,
        sasl: Option<(&str, &str)>,
        free: u64,
    ) -> Vec<(Program, String)> {
        let sasl = sasl.map(|(mech, u)| format!(" sasl_method={mech} sasl_username={u}")).unwrap_or_default();
        vec![
            (
                prog,
                format!(
                    "NOQUEUE: reject: MAIL from {}: {};{}{sasl}",
                    client(peer),
                    self.insufficient_storage().one_line(),
                    proto_helo(env),
                ),
            ),
            (prog, format!("warning: not enough free space in mail queue: {free} bytes < 1.5*message size limit")),
        ]
    }
    /// cleanup_strerror.c `CLEANUP_STAT_WRITE`, as smtpd words it.
    fn out_of_space(&self) -> Reply {
        Reply::new(451, "4.3.0 Error: queue file write error")
    }
    /// cleanup_out.c: `%s: write queue file: %m` with ENOSPC.
    fn log_out_of_space(&self, qid: &str) -> Vec<(Program, String)> {
        vec![(Program::Cleanup, format!("warning: {qid}: write queue file: No space left on device"))]
    }

    fn software(&self) -> String {
        "Postfix".into()
    }
    /// smtpd.c: `"Received: from %s (%s [%s])"` with `state->helo_name ?
    /// state->helo_name : state->name`: without HELO, the client's name
    /// (`unknown` when it has none or it is forged) stands in both places.
    fn received_from(&self, helo: Option<&str>, peer: &Peer) -> String {
        let name = name(peer);
        format!("{} ({name} [{}])", helo.unwrap_or(name), peer.ip)
    }
    fn received_tls_before_by(&self, tls: &crate::proto::tls::TlsInfo) -> Vec<String> {
        // smtpd.c, with smtpd_tls_received_header = yes.
        vec![
            format!(
                "(using {} with cipher {} ({}/{} bits)\r\n\t key-exchange {} server-signature {})",
                tls.version, tls.cipher, tls.bits, tls.bits, tls.group, tls.signature
            ),
            "(No client certificate requested)".into(),
        ]
    }
    fn received_auth(&self, user: &str) -> Option<String> {
        Some(format!("(Authenticated sender: {user})"))
    }
    fn received_submit(&self, by: &str, qid: &str, _user: &str, date: &str) -> String {
        format!("Received: by {by} ({}, from userid 1001)\r\n\tid {qid}; {date}\r\n", self.software())
    }

    fn program_name(&self, prog: Program) -> &'static str {
        match prog {
            Program::Smtpd => "postfix/smtpd",
            Program::Cleanup => "postfix/cleanup",
            Program::Qmgr => "postfix/qmgr",
            Program::Smtp => "postfix/smtp",
            Program::Local => "postfix/local",
            Program::Bounce => "postfix/bounce",
            Program::Pickup => "postfix/pickup",
            Program::SubmissionSmtpd => "postfix/submission/smtpd",
            Program::Master => "postfix/master",
        }
    }
    fn log_pid(&self, prog: Program, pid: u32, daemon_pid: u32) -> u32 {
        // smtpd runs per session; the other daemons live long, one PID each.
        match prog {
            Program::Smtpd | Program::SubmissionSmtpd => pid,
            p => daemon_pid + p as u32,
        }
    }
    fn queue_id(
        &self,
        _now: DateTime<FixedOffset>,
        _pid: u32,
        _seq: &mut dyn FnMut() -> u32,
        random: &mut dyn FnMut() -> u64,
    ) -> String {
        qid(random())
    }
    fn names_transaction_at_mail(&self) -> bool {
        false
    }
    fn log_connect(&self, peer: &Peer) -> Option<String> {
        Some(format!("connect from {}", client(peer)))
    }
    fn log_disconnect(&self, peer: &Peer, counts: &BTreeMap<String, (u32, u32)>) -> Option<String> {
        Some(format!("disconnect from {}{}", client(peer), command_counts(counts)))
    }
    fn log_mail_reject(&self, peer: &Peer, env: &Envelope, reply: &Reply) -> String {
        format!(
            "NOQUEUE: reject: MAIL from {}: {}; from={}{}",
            client(peer),
            reply.one_line(),
            self.quoted_path(&env.from_as_sent),
            proto_helo(env)
        )
    }
    fn log_rcpt_reject(&self, peer: &Peer, _qid: Option<&str>, env: &Envelope, to: &str, reply: &Reply) -> String {
        format!(
            "NOQUEUE: reject: RCPT from {}: {}; from={} to={to}{}",
            client(peer),
            reply.one_line(),
            self.quoted_path(&env.from_as_sent),
            proto_helo(env)
        )
    }
    /// cleanup(8)'s line: `QID: milter-reject: END-OF-MESSAGE from CLIENT: 5.7.1 TEXT; from=<…> to=<…> proto=ESMTP helo=<…>`.
    fn log_milter_reject(&self, qid: &str, peer: &Peer, env: &Envelope, reply: &Reply) -> String {
        let to = env.rcpts.first().map(|m| format!("<{m}>")).unwrap_or_default();
        let text = reply.one_line();
        let text = text.split_once(' ').map(|(_, t)| t).unwrap_or(&text);
        format!(
            "{qid}: milter-reject: END-OF-MESSAGE from {}: {text}; from={} to={to}{}",
            client(peer),
            env.from,
            proto_helo(env)
        )
    }
    fn dnsbl_at_connect(&self) -> bool {
        false
    }
    fn dnsbl_asks_reason(&self) -> bool {
        true
    }
    fn dnsbl_reject(&self, ip: Ipv4Addr, zone: &str, reason: Option<&str>) -> Reply {
        // default_rbl_reply: `$rbl_code Service unavailable; $rbl_class
        // [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}`,
        // maps_rbl_reject_code = 554 (postconf(5)).
        let reason = reason.map(|r| format!("; {r}")).unwrap_or_default();
        Reply::new(554, format!("5.7.1 Service unavailable; Client host [{ip}] blocked using {zone}{reason}"))
    }
    fn log_connect_reject(&self, _peer: &Peer, _reply: &Reply) -> Option<String> {
        None
    }
    fn access_reply(&self, what: AccessCheck, peer: &Peer, subject: &str, custom: Option<(&str, u16, &str)>) -> Reply {
        // smtpd_check.c check_table_result(): access_map_reject_code = 554,
        // "<%s>: %s rejected: %s" with the class and the text (default
        // "Access denied").
        let (status, code, text) = custom.unwrap_or(("5.7.1", 554, "Access denied"));
        let (who, class) = match what {
            AccessCheck::Client => (format!("<{}>", client(peer)), "Client host"),
            AccessCheck::Sender => (subject.to_string(), "Sender address"),
            AccessCheck::Recipient => (subject.to_string(), "Recipient address"),
        };
        Reply::new(code, format!("{status} {who}: {class} rejected: {text}"))
    }
    fn log_access(
        &self,
        what: AccessCheck,
        peer: &Peer,
        _qid: Option<&str>,
        env: Option<(&Envelope, &str)>,
        subject: &str,
        reply: Option<&Reply>,
    ) -> String {
        // log_whatsup(): "NOQUEUE: reject|discard: RCPT from NAME[ADDR]: …;
        // from=<…> to=<…> proto=… helo=<…>"; a DISCARD says "<%s>: %s
        // triggers DISCARD action".
        let (class, who) = match what {
            AccessCheck::Client => ("Client host", format!("<{}>", client(peer))),
            AccessCheck::Sender => ("Sender address", subject.to_string()),
            AccessCheck::Recipient => ("Recipient address", subject.to_string()),
        };
        let (verb, said) = match reply {
            Some(r) => ("reject", r.one_line()),
            None => ("discard", format!("{who}: {class} triggers DISCARD action")),
        };
        let tail = env
            .map(|(e, to)| format!(" from={} to={to}{}", self.quoted_path(&e.from_as_sent), proto_helo(e)))
            .unwrap_or_default();
        format!("NOQUEUE: {verb}: RCPT from {}: {said};{tail}", client(peer))
    }
    fn log_forged(&self, name: &str, ip: Ipv4Addr, why: Option<&str>) -> Option<String> {
        // smtpd_peer.c: the forward look-up failed (with getaddrinfo's
        // reason), or gave other addresses.
        let why = why.map(|w| format!(": {w}")).unwrap_or_default();
        Some(format!("warning: hostname {name} does not resolve to address {ip}{why}"))
    }
    fn log_reload(&self, _queue_interval: std::time::Duration) -> Vec<(Program, String)> {
        // master/master.c: on SIGHUP (`postfix reload`) the master logs
        // "reload -- version %s, configuration %s" and re-reads main.cf; the
        // smtpd processes serving a session finish it with the old settings.
        vec![(Program::Master, format!("reload -- version {VERSION}, configuration /etc/postfix"))]
    }
    fn log_dnsbl_error(&self, query: &str, temporary: bool) -> Option<String> {
        // smtpd_check.c rbl_lookup(): "%s: RBL lookup error: %s", the text of
        // dns_lookup() with the resolver's h_errno (TRY_AGAIN, NO_RECOVERY).
        let why = if temporary { "Host not found, try again" } else { "Non-recoverable error" };
        Some(format!(
            "warning: {query}: RBL lookup error: Host or domain name not found. Name service error for name={query} type=A: {why}"
        ))
    }
    fn log_client(
        &self,
        qid: &str,
        peer: &Peer,
        sasl: Option<(&str, &str)>,
        sasl_sender: Option<&str>,
    ) -> Option<String> {
        // smtpd_sasl_mail_log(): each part only when it is known.
        let sasl = sasl.map(|(mech, u)| format!(", sasl_method={mech}, sasl_username={u}")).unwrap_or_default();
        // Kept as the client sent it, made printable (`printable(…, '?')`):
        // no client can start a log line of its own.
        let sender = sasl_sender
            .map(|s| {
                let s: String = s.chars().map(|c| if (' '..='~').contains(&c) { c } else { '?' }).collect();
                format!(", sasl_sender={s}")
            })
            .unwrap_or_default();
        Some(format!("{qid}: client={}{sasl}{sender}", client(peer)))
    }
    fn log_auth(&self, peer: &Peer, user: &str, mechanism: &str, ok: bool) -> Option<String> {
        (!ok).then(|| {
            format!(
                "warning: {}: SASL {mechanism} authentication failed: authentication failure, sasl_username={user}",
                client(peer)
            )
        })
    }
    fn log_arrival(&self, a: &Arrival) -> Vec<(Program, String)> {
        let Arrival { qid, from, size, nrcpts, msgid, .. } = a;
        let mut out = Vec::new();
        if let Source::Local { .. } = a.source {
            out.push((Program::Pickup, format!("{qid}: uid=1001 from={from}")));
        }
        out.push((Program::Cleanup, format!("{qid}: message-id=<{msgid}>")));
        out.push((Program::Qmgr, format!("{qid}: from={from}, size={size}, nrcpt={nrcpts} (queue active)")));
        out
    }

    fn queue_times(&self) -> QueueTimes {
        // minimal_backoff_time=300s, maximal_backoff_time=4000s, maximal_queue_lifetime=5d.
        QueueTimes {
            first_retry: Duration::from_secs(300),
            max_backoff: Duration::from_secs(4000),
            lifetime: Duration::from_secs(5 * 86400),
        }
    }
    fn diagnostic_type(&self) -> &'static str {
        "X-Postfix"
    }
    /// Postfix names the delivery agent: `X-Postfix; delivery via local:
    /// delivered to mailbox`, as its success reports say.
    fn delivered_diagnostic(&self, what: &str) -> String {
        format!("delivery via local: {what}")
    }
    /// local(8) (src/local/alias.c) treats every alias alike, whether it
    /// names one address or many: the new recipients get NOTIFY without
    /// SUCCESS (`DSN_NOTIFY_NEVER` if SUCCESS was all), ENVID, RET and
    /// ORCPT go on, and NOTIFY=SUCCESS is answered with an "expanded"
    /// report (a list with an `owner-` alias gets "delivered" instead).
    fn alias_dsn(&self, _targets: usize) -> AliasDsn {
        AliasDsn::Expanded
    }
    fn duplicates(&self) -> Duplicates {
        Duplicates::ByAddressAndRequest
    }
    /// alias.c's `dsb_update(…, "expanded", …, "alias expanded")`, to
    /// which trace_append() puts "delivery via local: " in front.
    fn alias_expanded_diagnostic(&self) -> String {
        self.delivered_diagnostic("alias expanded")
    }
    /// bounce(8)'s templates write `<rcpt> (expanded from <orig_rcpt>): reason`.
    fn dsn_names_expansion(&self) -> bool {
        true
    }
    /// smtp(8) takes the host of a `[bracketed]` next hop without its
    /// brackets (host_port.c) and, a numeric host, makes it its own name
    /// (smtp_addr.c `smtp_addr_one()`: `dns_sa_to_rr(host, …)`), so the
    /// delivery line reads `relay=192.0.2.25[192.0.2.25]:25`.
    fn literal_host(&self, ip: Ipv4Addr) -> String {
        ip.to_string()
    }
    fn connect_failure(&self, err: &std::io::Error, name: &str, ip: Ipv4Addr, port: u16) -> String {
        format!("connect to {name}[{ip}]:{port}: {err}")
    }
    fn writes_delivered_to(&self) -> bool {
        true
    }
    fn log_delivered(&self, a: &Attempt, program: Option<&str>) -> (Program, String) {
        let Attempt { qid, rcpt, .. } = a;
        let d = delay(a.delay);
        let what =
            program.map(|c| format!("delivered to command: {c}")).unwrap_or_else(|| "delivered to mailbox".into());
        (
            Program::Local,
            format!("{qid}: to=<{rcpt}>, relay=local, delay={d}, delays={d}/0/0/0, dsn=2.0.0, status=sent ({what})"),
        )
    }
    fn log_relayed(&self, a: &Attempt, via: &str, xdelay: Duration, reply: &str) -> String {
        let Attempt { qid, rcpt, .. } = a;
        format!(
            "{qid}: to=<{rcpt}>, relay={}:25, delay={}, delays={}/0/0/{}, dsn=2.0.0, status=sent ({reply})",
            relay_host(via),
            delay(a.delay),
            delay(a.delay.saturating_sub(xdelay)),
            delay(xdelay)
        )
    }
    fn trouble(&self, t: &Trouble, _rcpt: &str, transient: bool) -> Words {
        let diag = |text: &str| Some(format!("{}; {text}", self.diagnostic_type()));
        match t {
            Trouble::Refused { host, ip, reply, stage, .. } => {
                let line = reply.one_line();
                let default = if transient { "4.0.0" } else { "5.0.0" };
                Words {
                    status: reply.enhanced().unwrap_or(default).to_string(),
                    // smtp_trouble.c: the report's text and the log say
                    // which command it answered; the Diagnostic-Code is
                    // the reply alone (dsb_update(…, DSB_DTYPE_SMTP, reply)).
                    reason: if transient {
                        line.clone()
                    } else {
                        format!("{line} (in reply to {} command)", stage.as_str())
                    },
                    diagnostic: Some(format!("smtp; {line}")),
                    relay: Some(format!("{host}[{ip}]")),
                    ..Words::default()
                }
            }
            Trouble::Connect { host, ip, text } => Words {
                status: "4.4.1".into(),
                reason: text.to_string(),
                diagnostic: diag(text),
                relay: Some(format!("{host}[{ip}]")),
                ..Words::default()
            },
            Trouble::Dns { fault, status } => {
                let text = dns_text(fault);
                Words {
                    status: if transient { "4.4.3".into() } else { status.to_string() },
                    diagnostic: diag(&text),
                    reason: text,
                    ..Words::default()
                }
            }
            Trouble::Other { status, text, .. } => Words {
                status: status.to_string(),
                reason: text.to_string(),
                diagnostic: diag(text),
                ..Words::default()
            },
        }
    }
    fn expired(&self, w: &Words, lifetime: Duration, via: Option<&str>, _rcpt: &str) -> Words {
        let text = format!(
            "message could not be delivered for {} days: {}{}",
            lifetime.as_secs() / 86400,
            w.reason,
            via.map(|v| format!(" ({v})")).unwrap_or_default()
        );
        Words {
            status: "4.4.7".into(),
            diagnostic: Some(format!("{}; {text}", self.diagnostic_type())),
            reason: text,
            ..Words::default()
        }
    }
    fn log_deferred(&self, a: &Attempt, w: &Words, _xdelay: Duration) -> String {
        let Attempt { qid, rcpt, .. } = a;
        let d = delay(a.delay);
        format!(
            "{qid}: to=<{rcpt}>, relay={}, delay={d}, delays={d}/0/0/0, dsn=4.4.1, status=deferred ({})",
            w.relay.as_deref().unwrap_or("none"),
            w.reason
        )
    }
    fn log_bounced(&self, a: &Attempt, w: &Words, remote_mta: Option<&str>, _xdelay: Duration) -> String {
        let Attempt { qid, rcpt, .. } = a;
        format!(
            "{qid}: to=<{rcpt}>, relay={}, delay={}, dsn={}, status=bounced ({})",
            remote_mta.unwrap_or("none"),
            delay(a.delay),
            w.status,
            w.reason
        )
    }
    fn log_removed(&self, qid: &str) -> Option<String> {
        Some(format!("{qid}: removed"))
    }
    fn log_dsn(
        &self,
        qid: &str,
        new_qid: &str,
        kind: DsnKind,
        to: ReportTo,
        _reason: &str,
        _waited: Duration,
    ) -> String {
        // bounce_notify_service.c, bounce_warn_service.c, bounce_trace_service.c.
        match (kind, to) {
            (DsnKind::Delay, _) => format!("{qid}: sender delay notification: {new_qid}"),
            (DsnKind::Failure, ReportTo::Sender) => format!("{qid}: sender non-delivery notification: {new_qid}"),
            (DsnKind::Failure, _) => format!("{qid}: postmaster non-delivery notification: {new_qid}"),
            (DsnKind::Success, _) => format!("{qid}: sender delivery status notification: {new_qid}"),
        }
    }
    /// bounce_notify_service.c: a failed bounce (`*recipient == 0`) goes
    /// to `2bounce_notice_recipient` only when `notify_classes` has
    /// `bounce` or `2bounce`; its default, `resource, software`, has
    /// neither (postconf(5)), so the bounce is dropped, with no log line
    /// of bounce(8)'s own.
    fn double_bounce(&self) -> DoubleBounce {
        DoubleBounce::Discard
    }

    fn dsn_sender(&self) -> &'static str {
        "Mail Delivery System"
    }
    /// cleanup_message.c: a message without Message-Id gets
    /// `<%Y%m%d%H%M%S.QUEUEID@myhostname>` (GMT), as bounce(8)'s reports do
    /// (they write none of their own).
    fn message_id(&self, now: DateTime<FixedOffset>, qid: &str, host: &str) -> String {
        format!("{}.{qid}@{host}", now.with_timezone(&chrono::Utc).format("%Y%m%d%H%M%S"))
    }
    /// cleanup_message.c cleanup_header_done_callback(): a missing
    /// Message-Id and then Date are added at the end of the header section
    /// only when `always_add_missing_headers = yes` (default no) or the
    /// client gets local header rewriting: `local_header_rewrite_clients
    /// = permit_inet_interfaces` (postconf(5)), a client at one of the
    /// host's own addresses. Mail from anywhere else keeps its header.
    fn missing_headers(
        &self,
        no_date: bool,
        no_msgid: bool,
        own_client: bool,
        arrival: DateTime<FixedOffset>,
        qid: &str,
        host: &str,
    ) -> (Vec<String>, bool) {
        let mut out = Vec::new();
        if own_client && no_msgid {
            out.push(format!("Message-Id: <{}>\r\n", self.message_id(arrival, qid, host)));
        }
        if own_client && no_date {
            out.push(format!("Date: {}\r\n", crate::base::time::rfc5322(arrival)));
        }
        (out, false)
    }
    /// bounce_notify_util.c and bounce_templates.c.
    fn dsn_message(&self, r: &DsnFacts) -> Vec<u8> {
        let boundary = format!("{}.{}/{}", r.qid, r.message_id.len(), r.reporting_mta);
        let subject = self.dsn_subject(r.kind, "");
        let mut m = String::new();
        m.push_str(&format!("From: {} <MAILER-DAEMON@{}>\r\n", self.dsn_sender(), r.reporting_mta));
        m.push_str(&format!("To: <{}>\r\n", r.rcpt_to));
        m.push_str(&format!("Subject: {subject}\r\n"));
        m.push_str(&format!("Date: {}\r\n", crate::base::time::rfc5322(r.now)));
        m.push_str(&format!("Message-ID: <{}>\r\n", r.message_id));
        m.push_str("Auto-Submitted: auto-replied\r\n");
        m.push_str("MIME-Version: 1.0\r\n");
        m.push_str(&format!(
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n"
        ));
        m.push_str("\r\nThis is a MIME-encapsulated message.\r\n\r\n");
        m.push_str(&format!(
            "--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        ));
        m.push_str(&format!("This is the mail system at host {}.\r\n\r\n", r.reporting_mta));
        match r.kind {
            DsnKind::Delay => m.push_str("Your message could not be delivered yet. The mail system will keep\r\ntrying; you do not need to send it again.\r\n\r\n"),
            DsnKind::Failure if r.full => m.push_str("Your message could not be delivered to one or more recipients.\r\nThe reasons are given below; your message is attached.\r\n\r\n"),
            DsnKind::Failure => m.push_str("Your message could not be delivered to one or more recipients.\r\nThe reasons are given below; the headers of your message are attached.\r\n\r\n"),
            DsnKind::Success => m.push_str("Your message was successfully delivered to the destination(s)\r\nlisted below. If the message was delivered to mailbox you will\r\nreceive no further notifications. Otherwise you may still receive\r\nnotifications of mail delivery errors from other systems.\r\n\r\n"),
        }
        for f in &r.recipients {
            // The address an alias was expanded from (here the ORCPT the
            // expansion passed on, or the sender's).
            match f.orcpt.map(|(_, a)| a).filter(|a| !a.eq_ignore_ascii_case(f.rcpt)) {
                Some(a) => m.push_str(&format!("<{}> (expanded from <{a}>): {}\r\n", f.rcpt, f.reason)),
                None => m.push_str(&format!("<{}>: {}\r\n", f.rcpt, f.reason)),
            }
        }
        m.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
        ));
        m.push_str(&format!("Reporting-MTA: dns; {}\r\n", r.reporting_mta));
        if let Some(id) = r.envid {
            m.push_str(&format!("Original-Envelope-Id: {id}\r\n"));
        }
        m.push_str(&format!("Arrival-Date: {}\r\n", r.arrival_date));
        let date = crate::base::time::rfc5322(r.now);
        for f in &r.recipients {
            m.push_str(&format!("\r\nFinal-Recipient: rfc822; {}\r\n", f.rcpt));
            if let Some((t, a)) = f.orcpt {
                m.push_str(&format!("Original-Recipient: {t}; {a}\r\n"));
            }
            m.push_str(&format!("Action: {}\r\nStatus: {}\r\n", f.action, f.status));
            if let Some(mta) = f.remote_mta {
                m.push_str(&format!("Remote-MTA: dns; {mta}\r\n"));
            }
            if let Some(d) = f.diagnostic {
                m.push_str(&format!("Diagnostic-Code: {d}\r\n"));
            }
            m.push_str(&format!("Last-Attempt-Date: {date}\r\n"));
        }
        let (description, content_type) = match (r.kind, r.full) {
            (DsnKind::Failure, true) => ("Undelivered Message", "message/rfc822"),
            (DsnKind::Failure, false) => ("Undelivered Message Headers", "text/rfc822-headers"),
            _ => ("Message Headers", "text/rfc822-headers"),
        };
        m.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Description: {description}\r\nContent-Type: {content_type}\r\n\r\n"
        ));
        let mut out = m.into_bytes();
        super::dsn_tail(&mut out, &boundary, r.full, r.original);
        out
    }
    fn dsn_subject(&self, kind: DsnKind, _waited: &str) -> String {
        // bounce_templates.c: the failure, delay and success templates.
        match kind {
            DsnKind::Delay => "Delayed Mail (still being retried)".into(),
            DsnKind::Failure => "Undelivered Mail Returned to Sender".into(),
            DsnKind::Success => "Successful Mail Delivery Report".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_needs_more_than_one_and_a_half_size_limits_free() {
        // smtpd_check_queue(): BLOCKS(message_size_limit) >= block_free / 1.5, or nothing free.
        assert!(Postfix.storage_short(15_000, 10_000, 0));
        assert!(!Postfix.storage_short(15_001, 10_000, 0));
        // The SIZE announced counts only against the size limit (smtpd_check_size).
        assert!(!Postfix.storage_short(15_001, 10_000, 15_000));
        // No size limit: only a full disk.
        assert!(Postfix.storage_short(0, 0, 0));
        assert!(!Postfix.storage_short(1, 0, 0));
        assert!(!Postfix.storage_short(u64::MAX, u64::MAX / 2, 0), "no overflow");
    }

    #[test]
    fn a_full_disk_is_logged_as_log_whatsup_words_it() {
        let peer = Peer { name: None, ip: std::net::Ipv4Addr::new(192, 0, 2, 23), forged: false };
        let mut env = Envelope {
            helo: None,
            proto: crate::proto::smtp::envelope::Protocol { esmtp: true, ..Default::default() },
            from: crate::proto::smtp::address::Path::Null,
            from_as_sent: "<>".into(),
            rcpts: vec![],
            declared_size: None,
            auth: None,
            tls: None,
            chunked: None,
            params: crate::proto::smtp::envelope::MailParams::default(),
        };
        let lines = Postfix.log_insufficient_storage(Program::SubmissionSmtpd, &peer, &env, None, 42);
        assert_eq!(
            lines[0].1,
            "NOQUEUE: reject: MAIL from unknown[192.0.2.23]: 452 4.3.1 Insufficient system storage; proto=ESMTP"
        );
        assert!(matches!(lines[0].0, Program::SubmissionSmtpd));
        assert_eq!(lines[1].1, "warning: not enough free space in mail queue: 42 bytes < 1.5*message size limit");
        env.helo = Some("pc".into());
        let lines = Postfix.log_insufficient_storage(Program::Smtpd, &peer, &env, Some(("PLAIN", "alice")), 42);
        assert!(
            lines[0].1.ends_with("; proto=ESMTP helo=<pc> sasl_method=PLAIN sasl_username=alice"),
            "{}",
            lines[0].1
        );
    }

    #[test]
    fn a_reload_is_the_master_s_line() {
        // master/master.c: msg_info("reload -- version %s, configuration %s", ...)
        let l = Postfix.log_reload(Duration::from_secs(300));
        assert_eq!(l.len(), 1);
        assert!(matches!(l[0].0, Program::Master));
        assert_eq!(l[0].1, "reload -- version 3.7.11, configuration /etc/postfix");
        assert_eq!(Postfix.program_name(Program::Master), "postfix/master");
    }

    #[test]
    fn qid_shape() {
        assert_eq!(qid(0x3F2A41C0B5).len(), 10);
    }

    #[test]
    fn delays() {
        assert_eq!(delay(Duration::from_millis(520)), "0.52");
        assert_eq!(delay(Duration::from_millis(0)), "0");
        assert_eq!(delay(Duration::from_secs(7200)), "7200");
    }

    #[test]
    fn disconnect_summary() {
        let mut c = BTreeMap::new();
        c.insert("ehlo".to_string(), (1, 1));
        c.insert("rcpt".to_string(), (1, 2));
        c.insert("bogus".to_string(), (0, 1));
        assert_eq!(command_counts(&c), " ehlo=1 rcpt=1/2 unknown=0/1 commands=2/4");
    }
}
