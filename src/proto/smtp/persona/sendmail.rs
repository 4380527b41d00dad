//! sendmail 8.18: its replies, maillog lines, Received: header and DSN wording.

use super::{
    AccessCheck, AliasDsn, Arrival, Attempt, DnsFault, DoubleBounce, DsnFacts, DsnFault, DsnKind, DsnParam, Duplicates,
    Flavour, Persona, Program, QueueTimes, ReportTo, Source, Trouble, Words,
};
use crate::base::decimal::push_u64;
use crate::proto::smtp::address::AddressError;
use crate::proto::smtp::client::Stage;
use crate::proto::smtp::envelope::{Envelope, Peer};
use crate::proto::smtp::reply::Reply;
use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

pub const VERSION: &str = "8.18.1";

pub struct Sendmail;

/// sendmail's `relay=` value: `name [ip]` or `[ip]`.
fn relay(peer: &Peer) -> String {
    let mut s = String::with_capacity(48);
    push_relay(&mut s, peer);
    s
}

/// [`relay`] onto the end of `s` (written by hand: every message and
/// recipient of a busy server logs it).
fn push_relay(s: &mut String, peer: &Peer) {
    if let Some(n) = &peer.name {
        s.push_str(n);
        s.push(' ');
    }
    s.push('[');
    crate::base::decimal::push_ipv4(s, peer.ip);
    s.push(']');
    // The `$_` macro: a name whose A record does not lead back is marked.
    if peer.name.is_some() && peer.forged {
        s.push_str(" (may be forged)");
    }
}

/// sendmail's shortenstring(): a string of `m` characters or more keeps
/// its first and last (m - 3) / 2 with `...` between.
fn shorten(s: &str, m: usize) -> std::borrow::Cow<'_, str> {
    let n = s.chars().count();
    if n < m {
        return s.into();
    }
    let keep = (m - 3) / 2;
    let head: String = s.chars().take(keep).collect();
    let tail: String = s.chars().skip(n - keep).collect();
    format!("{head}...{tail}").into()
}

/// A next hop `mx.example.com [192.0.2.1]` as `mx.example.com. [192.0.2.1]`
/// (an MX name, absolute); an address literal's host `[192.0.2.1]` is no
/// name and gets no dot: `[192.0.2.1] [192.0.2.1]`.
fn relay_host(via: &str) -> String {
    match via.split_once(' ') {
        Some((n, ip)) if n.starts_with('[') => format!("{n} {ip}"),
        Some((n, ip)) => format!("{n}. {ip}"),
        None => via.to_string(),
    }
}

/// The host "... while talking to" names: an MX host absolute, with its
/// dot; an address literal's `[ip]` as it is.
fn talking_to(host: &str) -> String {
    if host.starts_with('[') || host.ends_with('.') { host.to_string() } else { format!("{host}.") }
}

/// deliver.c logdelivery(): `to=`, `delay=`, `xdelay=`, `mailer=`,
/// `pri=`, `relay=`, `dsn=`, `reply=` (the server's reply, since 8.17),
/// `stat=`, in that order; `relay=` and `reply=` only when known.
fn delivery_line(a: &Attempt, w: &Words, xdelay: Duration) -> String {
    let Attempt { qid, rcpt, pri, .. } = a;
    let mut l = format!(
        "{qid}: to=<{rcpt}>, delay={}, xdelay={}, mailer={}, pri={pri}",
        delay(a.delay),
        delay(xdelay),
        w.mailer
    );
    if let Some(r) = &w.relay {
        l.push_str(", relay=");
        l.push_str(r);
    }
    l.push_str(", dsn=");
    l.push_str(&w.status);
    if let Some(r) = w.reply.as_ref().filter(|_| w.reply_logged) {
        l.push_str(", reply=");
        l.push_str(r);
    }
    l.push_str(", stat=");
    l.push_str(&w.reason);
    l
}

/// A DNS failure as sendmail reports it: hostsignature() and getmxrr()
/// (deliver.c, domain.c) leave a host with no address EX_NOHOST with
/// status 5.1.2 and "550 Host unknown", a null MX (RFC 7505) EX_UNAVAILABLE
/// with 5.1.10 and "556 Host does not accept mail: MX 0 ."; giveresponse()
/// adds sm_errstring() of the resolver's h_errno: "Name server: NAME: host
/// not found" (HOST_NOT_FOUND), "no data known" (NO_DATA), "host name
/// lookup failure" (TRY_AGAIN, also a look-up that timed out), the last a
/// deferral (4.4.3 from makeconnection() for an address, 4.0.0 for the MX
/// look-up itself).
fn dns_words(f: &DnsFault, status: &str, rcpt: &str, transient: bool) -> Words {
    let name = match f {
        DnsFault::NoMxAddress { host, .. } => talking_to(host),
        f => f.name().to_string(),
    };
    let base = Words { relay: (!name.is_empty()).then(|| name.clone()), mailer: "esmtp", ..Words::default() };
    if transient {
        let (status, reason) = match f {
            DnsFault::Failed { qtype, .. } | DnsFault::NoAnswer { qtype, .. } => (
                if *qtype == "A" { "4.4.3" } else { "4.0.0" },
                format!("Deferred: Name server: {name}: host name lookup failure"),
            ),
            DnsFault::Other(text) => ("4.0.0", format!("Deferred: {text}")),
            // Not found is never for now; worded as a deferral all the same.
            _ => ("4.0.0", format!("Deferred: Name server: {name}: host not found")),
        };
        return Words { status: status.into(), transcript: vec![format!("<{rcpt}>... {reason}")], reason, ..base };
    }
    let host_unknown = |why: &str| {
        let reason = format!("Host unknown (Name server: {name}: {why})");
        Words {
            status: status.into(),
            transcript: vec![format!("550 5.1.2 <{rcpt}>... {reason}")],
            reason,
            reply: Some("550 Host unknown".into()),
            diagnostic: Some("SMTP; 550 Host unknown".into()),
            ..base.clone()
        }
    };
    match f {
        DnsFault::NullMx { .. } => Words {
            status: status.into(),
            reason: "Service unavailable".into(),
            reply: Some("556 Host does not accept mail: MX 0 .".into()),
            diagnostic: Some("SMTP; 556 Host does not accept mail: MX 0 .".into()),
            transcript: vec![format!("554 5.0.0 <{rcpt}>... Service unavailable")],
            ..base
        },
        DnsFault::NoData { .. } => host_unknown("no data known"),
        DnsFault::Other(text) => Words {
            status: status.into(),
            reason: text.clone(),
            diagnostic: Some(format!("X-Unix; {text}")),
            transcript: vec![format!("<{rcpt}>... {text}")],
            relay: None,
            ..base
        },
        _ => host_unknown("host not found"),
    }
}

/// convtime.c pintvl() in its long form: "5 days", "4 hours", "1 week, 2 days".
pub fn pintvl(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return "zero seconds".into();
    }
    let parts = [
        (s / 604_800, "week"),
        (s / 86_400 % 7, "day"),
        (s / 3600 % 24, "hour"),
        (s / 60 % 60, "minute"),
        (s % 60, "second"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// errbody(): the `Action:` of a report, with sendmail's comment.
fn action_text(action: &str) -> &str {
    match action {
        "delivered" => "delivered (to mailbox)",
        "relayed" => "relayed (to non-DSN-aware mailer)",
        "expanded" => "expanded (to multi-recipient alias)",
        a => a,
    }
}

/// errbody(): what the list of successful deliveries says of each.
fn success_note(action: &str) -> &str {
    match action {
        "relayed" => "relayed to non-DSN-aware mailer",
        "expanded" => "expanded by alias",
        _ => "successfully delivered to mailbox",
    }
}

/// deliver.c: what the transcript of a return receipt says of each.
fn success_transcript(action: &str) -> &str {
    match action {
        "relayed" => "relayed; expect no further notifications",
        "expanded" => "expanded to multiple addresses",
        _ => "Successfully delivered",
    }
}

const QID_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";

/// A sendmail queue id: time in base 60 (UTC), a sequence, and the PID.
pub fn qid(t: DateTime<FixedOffset>, seq: u32, pid: u32) -> String {
    let u = t.with_timezone(&Utc);
    let c = |n: u32| QID_CHARS[(n % 60) as usize] as char;
    let n = u.naive_utc();
    let year = (n.year() - 1900).max(0) as u32;
    // By hand (every message gets one): eight base-60 digits, six decimal ones.
    let mut s = String::with_capacity(14);
    for v in [year, n.month0(), n.day(), n.hour(), n.minute(), n.second(), seq / 60, seq] {
        s.push(c(v));
    }
    let pid = pid % 1_000_000;
    for d in [100_000, 10_000, 1_000, 100, 10, 1] {
        s.push(char::from(b'0' + (pid / d % 10) as u8));
    }
    s
}

/// sendmail's `delay=` form: `HH:MM:SS`, with `D+` for days.
pub fn delay(d: Duration) -> String {
    let s = d.as_secs();
    let (days, s) = (s / 86400, s % 86400);
    // By hand: three of these per delivered recipient.
    let mut out = if days > 0 { format!("{days}+") } else { String::with_capacity(8) };
    for (i, v) in [s / 3600, s % 3600 / 60, s % 60].into_iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(char::from(b'0' + (v / 10) as u8));
        out.push(char::from(b'0' + (v % 10) as u8));
    }
    out
}

impl Persona for Sendmail {
    fn flavour(&self) -> Flavour {
        Flavour::Sendmail
    }
    fn name(&self) -> &'static str {
        "sendmail"
    }

    fn greeting(&self, host: &str, date: &str) -> Reply {
        // Pieced together (one for every connection), as `{host} ESMTP Sendmail {VERSION}/{VERSION}; {date}`.
        Reply::new(220, [host, " ESMTP Sendmail ", VERSION, "/", VERSION, "; ", date].concat())
    }
    fn helo_greet(&self, host: &str, peer: &Peer) -> String {
        let mut s = String::with_capacity(host.len() + 80);
        s.push_str(host);
        s.push_str(" Hello ");
        push_relay(&mut s, peer);
        s.push_str(", pleased to meet you");
        s
    }
    fn extensions(&self, max_size: u64) -> Vec<String> {
        vec![
            "ENHANCEDSTATUSCODES".into(),
            "PIPELINING".into(),
            "8BITMIME".into(),
            format!("SIZE {max_size}"),
            "DSN".into(),
            "HELP".into(),
        ]
    }
    fn helo_syntax(&self, verb: &str) -> Reply {
        Reply::new(501, format!("5.0.0 {verb} requires domain address"))
    }
    /// srvrsmtp.c, HELO/EHLO: no argument is "501 %s requires domain
    /// address"; a name longer than MAXNAME (256, conf.h), or with any
    /// character but letters, digits and `[].-_#:` (a space followed by a
    /// second word, an octet past ASCII), is "501 Invalid domain name"
    /// (`confALLOW_BOGUS_HELO` is False by default; only white space at the
    /// end is allowed). usrerr() gives both the default 5.0.0. So sendmail
    /// keeps to RFC 5321's one domain or address literal, roughly: `EHLO a
    /// b` is refused and the client must say HELO again (or do without).
    fn helo_name(&self, verb: &str, arg: &str) -> Result<String, Reply> {
        const MAXNAME: usize = 256;
        if arg.is_empty() {
            return Err(self.helo_syntax(verb));
        }
        let fits = arg.len() <= MAXNAME && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"[].-_#:".contains(&b));
        if fits { Ok(arg.to_string()) } else { Err(Reply::new(501, "5.0.0 Invalid domain name")) }
    }
    /// srvrsmtp.c, MAIL, only with `PrivacyOptions=needmailhelo` (or
    /// `goaway`); AUTH before HELO is not refused by it.
    fn need_helo(&self) -> Reply {
        Reply::new(503, "5.0.0 Polite people say HELO first")
    }
    fn nested_mail(&self) -> Reply {
        Reply::new(503, "5.5.0 Sender already specified")
    }
    fn need_mail(&self) -> Reply {
        Reply::new(503, "5.0.0 Need MAIL before RCPT")
    }
    fn data_needs_mail(&self) -> Reply {
        // srvrsmtp.c smtp_data(): distinct from RCPT's "Need MAIL before RCPT".
        Reply::new(503, "5.0.0 Need MAIL command")
    }
    fn need_rcpt(&self) -> Reply {
        Reply::new(503, "5.0.0 Need RCPT (recipient)")
    }
    /// srvrsmtp.c skipword(): no colon after the word, a word that is not
    /// `from`, or nothing after the colon, is `usrerr("501 5.5.2 Syntax
    /// error in parameters scanning \"%s\"", SHOWSHRTCMDINREPLY(firstp))`,
    /// where firstp is the word as the client wrote it (the colon and the
    /// spaces after it made NULs): `"FROM"` for `MAIL FROM:`.
    fn mail_syntax(&self, word: &str) -> Reply {
        Reply::new(501, format!("5.5.2 Syntax error in parameters scanning \"{}\"", shorten(word, 203)))
    }
    fn rcpt_syntax(&self, word: &str) -> Reply {
        self.mail_syntax(word)
    }
    /// What sendmail 8.18 answers, with the default rule sets of
    /// cf/m4/proto.m4; err.c fmtmsg() puts the address as written (`e_to`)
    /// and `... ` before the text of a 553:
    /// - a `<` without `>`: parseaddr.c prescan() `usrerr("553 Unbalanced
    ///   '<'")`, usrerr() adding 5.0.0; `e_to` is then all that follows the
    ///   colon, parameters included;
    /// - `RCPT TO:<>`: Basic_check_rcpt `R<> $#error $@ nouser $: "553
    ///   User address required"` (buildaddr() → usrerr(), 5.0.0);
    /// - a sender without `@domain`: Basic_check_mail, for a client that
    ///   has an address: `"553 Domain name required for sender address "
    ///   $&f`, with 5.5.4;
    /// - a domain that starts with a dot or has two in a row: Parse0 (rule
    ///   set 0, which parseaddr() runs) `$#error $@ 5.1.2 $: "553 Invalid
    ///   host name"`.
    ///
    /// The rest of what maillab cannot read as an address (a local part
    /// with a space, a malformed address literal, …) passes sendmail's
    /// syntax checks or fails in ways the lab does not model (rule sets,
    /// DNS); those keep maillab's own 501 with the reason.
    fn bad_path(&self, rcpt: bool, written: &str, e: &AddressError) -> Reply {
        let written = shorten(written, 203);
        match e {
            AddressError::NoClosingBracket => Reply::new(553, format!("5.0.0 {written}... Unbalanced '<'")),
            AddressError::NullRecipient => Reply::new(553, format!("5.0.0 {written}... User address required")),
            AddressError::NoAt(addr) if !rcpt => {
                Reply::new(553, format!("5.5.4 {written}... Domain name required for sender address {addr}"))
            }
            AddressError::Domain(_, d) if matches!(&**d, AddressError::EmptyLabel(name) if name.starts_with('.') || name.contains("..")) => {
                Reply::new(553, format!("5.1.2 {written}... Invalid host name"))
            }
            _ => Reply::new(501, format!("5.1.3 Bad address syntax: {}", e.en())),
        }
    }
    /// srvrsmtp.c, MAIL: `usrerr("552 5.2.3 Message size exceeds fixed
    /// maximum message size (%ld)", MaxMessageSize)`. (Its "Message size
    /// exceeds maximum value" is for a SIZE= too large to be a number.)
    fn too_big(&self, limit: u64) -> Reply {
        Reply::new(552, format!("5.2.3 Message size exceeds fixed maximum message size ({limit})"))
    }
    /// collect.c: `usrerrenh("5.2.3", "552 Message exceeds maximum fixed
    /// size (%ld)", MaxMessageSize)`.
    fn too_big_data(&self, limit: u64) -> Reply {
        Reply::new(552, format!("5.2.3 Message exceeds maximum fixed size ({limit})"))
    }
    fn data_go(&self) -> Reply {
        Reply::new(354, "Enter mail, end with \".\" on a line by itself")
    }
    fn rset(&self) -> Reply {
        Reply::new(250, "2.0.0 Reset state")
    }
    fn noop(&self) -> Reply {
        Reply::new(250, "2.0.0 OK")
    }
    fn quit(&self, host: &str) -> Reply {
        Reply::new(221, ["2.0.0 ", host, " closing connection"].concat())
    }
    fn vrfy(&self, _arg: &str) -> Reply {
        Reply::new(252, "2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)")
    }
    fn expn(&self) -> Reply {
        Reply::new(502, "5.7.0 Sorry, we do not allow this operation")
    }
    /// srvrsmtp.c: `"500 5.5.1 Command unrecognized: \"%s\"", SHOWSHRTCMDINREPLY(inp)`:
    /// the line as typed, shortened as shortenstring() does to 203 characters.
    fn unknown(&self, line: &str) -> Reply {
        Reply::new(500, format!("5.5.1 Command unrecognized: \"{}\"", shorten(line, 203)))
    }
    fn empty_command(&self) -> Reply {
        Reply::new(500, "5.5.1 Command unrecognized: \"\"")
    }
    fn not_implemented(&self, verb: &str) -> Reply {
        self.unknown(verb)
    }
    fn auth_not_available(&self) -> Reply {
        Reply::new(503, "5.3.3 AUTH not available")
    }
    // srvrsmtp.c counts only unknown commands (`++n_badcmds > MAXBADCOMMANDS`, 25).
    fn counts_every_error(&self) -> bool {
        false
    }
    fn bad_command_limit(&self) -> u32 {
        25
    }
    fn too_many_errors(&self, host: &str) -> Reply {
        Reply::new(421, format!("4.7.0 {host} Too many bad commands; closing connection"))
    }
    fn too_many_recipients(&self) -> Reply {
        Reply::new(452, "4.5.3 Too many recipients")
    }
    /// A command read that timed out: srvrsmtp.c reports it as the lost
    /// input channel it gets from sfgets(); inside a message, collect.c's
    /// read timeout.
    fn idle_timeout(&self, host: &str, peer: &Peer, data_from: Option<&str>) -> Reply {
        match data_from {
            Some(from) => {
                let name = peer.name.clone().unwrap_or_else(|| format!("[{}]", peer.ip));
                Reply::new(421, format!("4.4.1 collect: read timeout on connection from {name}, from={from}"))
            }
            None => Reply::new(421, format!("4.4.1 {host} Lost input channel from {}", relay(peer))),
        }
    }
    fn starttls_syntax(&self) -> Reply {
        Reply::new(501, "5.5.2 Syntax error (no parameters allowed)")
    }
    fn tls_already_active(&self) -> Reply {
        Reply::new(454, "4.3.3 TLS not available after start")
    }
    // The AUTH replies of srvrsmtp.c (its `message(...)` calls in the AUTH case).
    fn already_authenticated(&self) -> Reply {
        Reply::new(503, "5.5.0 Already Authenticated")
    }
    fn auth_in_transaction(&self) -> Reply {
        Reply::new(503, "5.5.0 AUTH not permitted during a mail transaction")
    }
    fn auth_syntax(&self) -> Reply {
        Reply::new(501, "5.5.2 AUTH mechanism must be specified")
    }
    fn auth_mechanism_unknown(&self, mech: &str) -> Reply {
        // "504 5.3.3 AUTH mechanism %.32s not available"
        let mech: String = mech.chars().take(32).collect();
        Reply::new(504, format!("5.3.3 AUTH mechanism {mech} not available"))
    }
    fn auth_aborted(&self) -> Reply {
        Reply::new(501, "5.0.0 AUTH aborted")
    }
    fn auth_undecodable(&self) -> Reply {
        // sendmail adds what it could not decode ("... AUTH parameter %s");
        // left out here, so that a password typed without base64 never
        // shows in the trace.
        Reply::new(501, "5.5.4 cannot decode AUTH parameter")
    }
    fn auth_invalid_data(&self) -> Reply {
        // Decoded, but not what the mechanism expects: the SASL library
        // fails the step, and sendmail answers as for a wrong password.
        self.auth_failed()
    }
    fn auth_ok(&self) -> Reply {
        Reply::new(235, "2.0.0 OK Authenticated")
    }
    fn auth_failed(&self) -> Reply {
        Reply::new(535, "5.7.0 authentication failed")
    }

    fn fold_for_relay(&self, data: &[u8]) -> Option<Vec<u8>> {
        // The esmtp mailer's `L=990` (cf/README: SMTP_MAILER_LL); putxline()
        // in util.c ends each part cut off with `!` and begins the rest with
        // a space.
        super::fold_lines(data, 990, b"!")
    }
    fn auth_param(&self, value: Option<&str>, earlier: Option<&str>) -> Result<(), Reply> {
        // srvrsmtp.c mail_esmtp_args(), "auth", in its order.
        match value {
            None => Err(Reply::new(501, "5.5.2 AUTH= requires a value")),
            Some(_) if earlier.is_some() => Err(Reply::new(501, "5.5.0 Duplicate AUTH parameter")),
            Some(v) if crate::proto::smtp::envelope::xtext_decode(v).is_none() => {
                Err(Reply::new(501, "5.5.4 Syntax error in AUTH parameter value"))
            }
            Some(_) => Ok(()),
        }
    }
    fn unsupported_option(&self, option: &str) -> Reply {
        // srvrsmtp.c mail_esmtp_args()/rcpt_esmtp_args(): "%s parameter unrecognized" with the keyword.
        let key = option.split_once('=').map_or(option, |(k, _)| k);
        Reply::new(555, format!("5.5.4 {key} parameter unrecognized"))
    }
    fn dsn_param_error(&self, param: DsnParam, fault: DsnFault, _option: &str) -> Option<Reply> {
        // srvrsmtp.c mail_esmtp_args() and rcpt_esmtp_args().
        let name = param.name();
        Some(match (param, fault) {
            (_, DsnFault::NoValue) => Reply::new(501, format!("5.5.2 {name} requires a value")),
            // A second NOTIFY replaces the first: q_flags are reset and set anew.
            (DsnParam::Notify, DsnFault::Duplicate) => return None,
            (_, DsnFault::Duplicate) => Reply::new(501, format!("5.5.0 Duplicate {name} parameter")),
            (DsnParam::Ret, DsnFault::Bad(v)) => Reply::new(501, format!("5.5.2 Bad argument \"{v}\" to RET")),
            // Two spaces before "to", as in the source.
            (DsnParam::Notify, DsnFault::Bad(w)) => Reply::new(501, format!("5.5.4 Bad argument \"{w}\"  to NOTIFY")),
            (DsnParam::Envid | DsnParam::Orcpt, DsnFault::Bad(_)) => {
                Reply::new(501, format!("5.5.4 Syntax error in {name} parameter value"))
            }
        })
    }

    fn dsn_disabled(&self, param: DsnParam) -> Reply {
        // srvrsmtp.c with PrivacyOptions=noreceipts (PRIV_NORECEIPTS).
        Reply::new(504, format!("5.7.0 Sorry, {} not supported, we do not allow DSN", param.name()))
    }

    /// parseaddr.c parseaddr(): `e->e_to = addr`, the address as the
    /// client wrote it (copied up to its delimiter, brackets and all, and
    /// kept as the recipient's `q_paddr`); err.c fmtmsg() writes it before
    /// `... ` in a reply, and rscheck() logs it as `arg1=`.
    fn quoted_path(&self, as_sent: &str) -> String {
        as_sent.to_string()
    }
    fn mail_ok(&self, from: &str) -> Reply {
        Reply::new(250, ["2.1.0 ", from, "... Sender ok"].concat())
    }
    fn rcpt_ok(&self, to: &str) -> Reply {
        Reply::new(250, ["2.1.5 ", to, "... Recipient ok"].concat())
    }
    fn queued(&self, qid: &str) -> Reply {
        Reply::new(250, ["2.0.0 ", qid, " Message accepted for delivery"].concat())
    }
    fn relay_denied(&self, to: &str, auth_offered: bool) -> Reply {
        if auth_offered {
            // confRELAY_MSG when AUTH is configured (cf/m4/proto.m4).
            Reply::new(550, format!("5.7.1 {to}... Relaying denied. Proper authentication required."))
        } else {
            Reply::new(550, format!("5.7.1 {to}... Relaying denied"))
        }
    }
    fn user_unknown(&self, to: &str) -> Reply {
        Reply::new(550, format!("5.1.1 {to}... User unknown"))
    }

    /// queue.c `enoughdiskspace()` and `pickqdir()`: at least
    /// `MinFreeBlocks` blocks (100, the cf default) plus the SIZE announced,
    /// rounded up to whole blocks, must be free; blocks of 4,096 octets, as
    /// on an ext4 queue directory.
    fn storage_short(&self, free: u64, _limit: u64, declared: u64) -> bool {
        const BLOCK: u64 = 4096;
        const MIN_FREE_BLOCKS: u64 = 100;
        free / BLOCK < MIN_FREE_BLOCKS.saturating_add(declared.div_ceil(BLOCK))
    }
    /// srvrsmtp.c, MAIL.
    fn insufficient_storage(&self) -> Reply {
        Reply::new(452, "4.4.5 Insufficient disk space; try again later")
    }
    /// The refusal itself is a user error before `LogUsrErrs` is set;
    /// sendmail's `pickqdir()` also writes a LOG_ALERT "low on space" line,
    /// which the lab does not imitate.
    fn log_insufficient_storage(
        &self,
        _prog: Program,
        _peer: &Peer,
        _env: &Envelope,
        _sasl: Option<(&str, &str)>,
        _free: u64,
    ) -> Vec<(Program, String)> {
        Vec::new()
    }
    /// collect.c `dferror()` with ENOSPC: `usrerrenh("4.3.1", "452 Out of
    /// disk space for temp file")`. (It is also logged, as a user error
    /// after MAIL; the lab does not imitate that line.)
    fn out_of_space(&self) -> Reply {
        Reply::new(452, "4.3.1 Out of disk space for temp file")
    }
    fn log_out_of_space(&self, _qid: &str) -> Vec<(Program, String)> {
        Vec::new()
    }

    fn software(&self) -> String {
        [VERSION, "/", VERSION].concat()
    }
    /// confRECEIVED_HEADER: `from $s ($_)`. `$s` is the HELO name; a
    /// client that gave none gets `peerhostname` there (srvrsmtp.c, MAIL:
    /// "make sure we know who the sending host is"): its PTR name, or
    /// `[ADDRESS]` without one.
    fn received_from(&self, helo: Option<&str>, peer: &Peer) -> String {
        let mut s = String::with_capacity(helo.map_or(48, str::len) + 52);
        match (helo, peer.name.as_deref()) {
            (Some(h), _) | (None, Some(h)) => s.push_str(h),
            (None, None) => {
                s.push('[');
                crate::base::decimal::push_ipv4(&mut s, peer.ip);
                s.push(']');
            }
        }
        s.push_str(" (");
        push_relay(&mut s, peer);
        s.push(')');
        s
    }
    fn received_tls_after_by(&self, tls: &crate::proto::tls::TlsInfo) -> Option<String> {
        // cf/m4/cfhead.m4's confRECEIVED_HEADER: ${tls_version}, ${cipher},
        // ${cipher_bits}, ${verify} (NO: a client certificate was asked for, none came).
        Some(format!("(version={} cipher={} bits={} verify=NO)", tls.version, tls.cipher, tls.bits))
    }
    fn received_auth(&self, _user: &str) -> Option<String> {
        None
    }
    fn protocol_fixed_by_commands(&self) -> bool {
        true
    }
    fn keeps_helo_through_starttls(&self) -> bool {
        true
    }
    /// srvrsmtp.c, MAIL: `if (!gothello) auth_warning(e, "%s didn't use
    /// HELO protocol", CurSmtpClient)`; auth_warning() (main.c), with
    /// `PrivacyOptions=authwarnings` (the m4 default, cf/m4/cfhead.m4
    /// confPRIVACY_FLAGS), adds `X-Authentication-Warning: HOST: TEXT` to
    /// the message and logs `Authentication-Warning: %.400s` (LogLevel 9 >
    /// 3). HOST is myhostname() in a buffer of 48 octets; CurSmtpClient is
    /// the `$_` macro, the `relay=` form.
    fn no_helo_warning(&self, host: &str, peer: &Peer, qid: Option<&str>) -> Option<(String, String)> {
        let host: String = host.chars().take(47).collect();
        let text = format!("{host}: {} didn't use HELO protocol", relay(peer));
        let logged: String = text.chars().take(400).collect();
        Some((
            format!("X-Authentication-Warning: {text}\r\n"),
            format!("{}: Authentication-Warning: {logged}", qid.unwrap_or("NOQUEUE")),
        ))
    }
    fn received_submit(&self, by: &str, qid: &str, user: &str, date: &str) -> String {
        format!("Received: (from {user}@localhost)\r\n\tby {by} ({}/Submit) id {qid};\r\n\t{date}\r\n", self.software())
    }

    fn program_name(&self, _prog: Program) -> &'static str {
        "sendmail"
    }
    fn log_pid(&self, _prog: Program, pid: u32, _daemon_pid: u32) -> u32 {
        // sendmail delivers in the same process that received the message.
        pid
    }
    fn queue_id(
        &self,
        now: DateTime<FixedOffset>,
        pid: u32,
        seq: &mut dyn FnMut() -> u32,
        _random: &mut dyn FnMut() -> u64,
    ) -> String {
        qid(now, seq(), pid)
    }
    fn names_transaction_at_mail(&self) -> bool {
        true
    }
    fn log_connect(&self, _peer: &Peer) -> Option<String> {
        None
    }
    fn log_disconnect(&self, _peer: &Peer, _counts: &BTreeMap<String, (u32, u32)>) -> Option<String> {
        None
    }
    fn log_mail_reject(&self, peer: &Peer, env: &Envelope, reply: &Reply) -> String {
        format!("NOQUEUE: {}: MAIL FROM: {}, relay={}", env.from, reply.one_line(), relay(peer))
    }
    fn log_rcpt_reject(&self, peer: &Peer, qid: Option<&str>, _env: &Envelope, to: &str, reply: &Reply) -> String {
        let qid = qid.unwrap_or("NOQUEUE");
        if reply.enhanced() == Some("5.7.1") {
            format!("{qid}: ruleset=check_rcpt, arg1={to}, relay={}, reject={}", relay(peer), reply.one_line())
        } else {
            format!("{qid}: {to}... User unknown")
        }
    }
    /// srvrsmtp.c: `Milter: data, reject=%s` (at MilterLogLevel above 3).
    fn log_milter_reject(&self, qid: &str, _peer: &Peer, _env: &Envelope, reply: &Reply) -> String {
        format!("{qid}: Milter: data, reject={}", reply.one_line())
    }
    fn dnsbl_at_connect(&self) -> bool {
        true
    }
    fn dnsbl_asks_reason(&self) -> bool {
        false
    }
    fn dnsbl_reject(&self, ip: Ipv4Addr, zone: &str, _reason: Option<&str>) -> Reply {
        // cf/feature/dnsbl.m4: `"550 Rejected: " $&{client_addr} " listed at " zone`, 5.7.1.
        Reply::new(550, format!("5.7.1 Rejected: {ip} listed at {zone}"))
    }
    fn log_connect_reject(&self, peer: &Peer, reply: &Reply) -> Option<String> {
        // parseaddr.c rscheck(): no queue id yet; arg1 is the client's name
        // (`[ip]` without one), arg2 its address.
        // `{client_name}` is `[ip]` when there is no name or it is forged.
        let name = match &peer.name {
            Some(n) if !peer.forged => n.clone(),
            _ => format!("[{}]", peer.ip),
        };
        Some(format!(
            "ruleset=check_relay, arg1={name}, arg2={}, relay={}, reject={}",
            peer.ip,
            relay(peer),
            reply.one_line()
        ))
    }
    fn access_reply(&self, what: AccessCheck, _peer: &Peer, subject: &str, custom: Option<(&str, u16, &str)>) -> Reply {
        // proto.m4: REJECT is `$#error $@ 5.7.1 $: "550 Access denied"`
        // (confREJECT_MSG); ERROR:d.s.n:text is `$#error $@ d.s.n $: text`.
        // At MAIL and RCPT the reply names the address.
        let (status, code, text) = custom.unwrap_or(("5.7.1", 550, "Access denied"));
        match what {
            AccessCheck::Client => Reply::new(code, format!("{status} {text}")),
            AccessCheck::Sender | AccessCheck::Recipient => Reply::new(code, format!("{status} {subject}... {text}")),
        }
    }
    fn log_access(
        &self,
        what: AccessCheck,
        peer: &Peer,
        qid: Option<&str>,
        _env: Option<(&Envelope, &str)>,
        subject: &str,
        reply: Option<&Reply>,
    ) -> String {
        // parseaddr.c rscheck(): "ruleset=%s, arg1=%s%s, reject=%s", or
        // ", discard" when the ruleset discards.
        let end = match reply {
            Some(r) => format!("reject={}", r.one_line()),
            None => "discard".into(),
        };
        match what {
            AccessCheck::Client => {
                let name = match &peer.name {
                    Some(n) if !peer.forged => n.clone(),
                    _ => format!("[{}]", peer.ip),
                };
                format!("ruleset=check_relay, arg1={name}, arg2={}, relay={}, {end}", peer.ip, relay(peer))
            }
            AccessCheck::Sender | AccessCheck::Recipient => {
                let rs = if what == AccessCheck::Sender { "check_mail" } else { "check_rcpt" };
                format!("{}: ruleset={rs}, arg1={subject}, relay={}, {end}", qid.unwrap_or("NOQUEUE"), relay(peer))
            }
        }
    }
    fn relay_denied_forged(&self, to: &str, ip: Ipv4Addr) -> Option<Reply> {
        // cf/m4/proto.m4, Relay_ok: `R<FORGED> $#error $@ 5.7.1 $: "550
        // Relaying denied. IP name possibly forged " $&{client_name}`.
        Some(Reply::new(550, format!("5.7.1 {to}... Relaying denied. IP name possibly forged [{ip}]")))
    }
    fn log_forged(&self, _name: &str, _ip: Ipv4Addr, _why: Option<&str>) -> Option<String> {
        // No line of its own: `relay=` says "(may be forged)" wherever it appears.
        None
    }
    fn log_reload(&self, queue_interval: std::time::Duration) -> Vec<(Program, String)> {
        // sendmail/main.c restart_daemon(): on SIGHUP the daemon logs its
        // restart and re-executes itself with its command line
        // (`sendmail -bd -q…`), which reads sendmail.cf anew and logs its
        // start; children serving a session finish it as they are.
        let s = queue_interval.as_secs();
        vec![
            (Program::Master, "restarting /usr/sbin/sendmail due to signal".to_string()),
            (
                Program::Master,
                format!("starting daemon ({VERSION}): SMTP+queueing@{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
            ),
        ]
    }
    fn log_dnsbl_error(&self, _query: &str, _temporary: bool) -> Option<String> {
        // dnsbl.m4 without its third argument: a failed look-up is TMPOK, silently.
        None
    }
    fn log_client(
        &self,
        _qid: &str,
        _peer: &Peer,
        _sasl: Option<(&str, &str)>,
        _sasl_sender: Option<&str>,
    ) -> Option<String> {
        None
    }
    fn log_auth(&self, peer: &Peer, user: &str, mechanism: &str, ok: bool) -> Option<String> {
        Some(if ok {
            format!("NOQUEUE: AUTH=server, relay={}, authid={user}, mech={mechanism}, bits=0", relay(peer))
        } else {
            format!(
                "NOQUEUE: AUTH failure ({mechanism}): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user={user}, relay={}",
                relay(peer)
            )
        })
    }
    /// headers.c logsender(): `from=%.200s` of `e->e_from.q_paddr`, the
    /// path as parseaddr() copied it from the MAIL command: as the client
    /// wrote it, with or without angle brackets.
    fn arrival_from(&self, env: &Envelope) -> String {
        self.quoted_path(&env.from_as_sent)
    }
    fn log_arrival(&self, a: &Arrival) -> Vec<(Program, String)> {
        let Arrival { qid, from, size, nrcpts, msgid, .. } = a;
        // Pieced together by hand (every message gets this line).
        let mut l = String::with_capacity(160 + from.len() + msgid.len());
        for part in [qid, ": from=", from, ", size="] {
            l.push_str(part);
        }
        push_u64(&mut l, *size as u64);
        l.push_str(", class=0, nrcpts=");
        push_u64(&mut l, *nrcpts as u64);
        l.push_str(", msgid=<");
        l.push_str(msgid);
        l.push_str(">, ");
        match &a.source {
            Source::Smtp { peer, protocol } => {
                for part in ["proto=", protocol, ", daemon=MTA, relay="] {
                    l.push_str(part);
                }
                push_relay(&mut l, peer);
            }
            Source::Local { user } => {
                for part in ["relay=", user, "@localhost"] {
                    l.push_str(part);
                }
            }
        }
        vec![(Program::Smtpd, l)]
    }

    fn queue_times(&self) -> QueueTimes {
        // A queue run every 30 minutes (`sendmail -q30m`), Timeout.queuereturn=5d.
        QueueTimes {
            first_retry: Duration::from_secs(1800),
            max_backoff: Duration::from_secs(1800),
            lifetime: Duration::from_secs(5 * 86400),
        }
    }
    fn diagnostic_type(&self) -> &'static str {
        "X-Unix"
    }
    /// recipient.c: every address of an alias inherits the alias's NOTIFY
    /// flags and ORCPT (sendtolist()); an alias that became exactly one
    /// address hands it its "primaryness", so that address reports success
    /// itself; one that became several is marked QEXPANDED, its addresses
    /// report no success (errbody() skips non-primary addresses) and the
    /// alias gets the "expanded" report.
    fn alias_dsn(&self, targets: usize) -> AliasDsn {
        if targets == 1 { AliasDsn::PassOn } else { AliasDsn::Expanded }
    }
    fn duplicates(&self) -> Duplicates {
        Duplicates::ByAddress
    }
    /// recipient.c writes "<alias>... expanded to multiple addresses" into
    /// the transcript the return receipt carries.
    fn alias_expanded_diagnostic(&self) -> String {
        "expanded to multiple addresses".into()
    }
    /// The esmtp mailer's host is `$@ [ip]`, brackets and all (proto.m4,
    /// "numeric internet spec"), and deliver.c's logdelivery() writes that
    /// host, then the address: `relay=[192.0.2.25] [192.0.2.25]`.
    fn literal_host(&self, ip: Ipv4Addr) -> String {
        format!("[{ip}]")
    }
    fn connect_failure(&self, err: &std::io::Error, name: &str, _ip: Ipv4Addr, _port: u16) -> String {
        if err.kind() == std::io::ErrorKind::ConnectionRefused {
            format!("{err} by {name}.")
        } else {
            format!("{err} with {name}.")
        }
    }
    fn writes_delivered_to(&self) -> bool {
        false
    }
    fn log_delivered(&self, a: &Attempt, program: Option<&str>) -> (Program, String) {
        let Attempt { qid, rcpt, pri, .. } = a;
        let d = delay(a.delay);
        let msg = match program {
            None => {
                // `{qid}: to=<{rcpt}>, delay={d}, xdelay=00:00:00, mailer=local, pri={pri}, dsn=2.0.0, stat=Sent`
                let mut s = [qid, ": to=<", rcpt, ">, delay=", &d, ", xdelay=00:00:00, mailer=local, pri="].concat();
                push_u64(&mut s, *pri as u64);
                s.push_str(", dsn=2.0.0, stat=Sent");
                s
            }
            Some(cmd) => format!(
                "{qid}: to=\"|{cmd}\", ctladdr=<{rcpt}> (1001/1001), delay={d}, xdelay=00:00:00, mailer=prog, pri={pri}, dsn=2.0.0, stat=Sent"
            ),
        };
        (Program::Smtpd, msg)
    }
    fn log_relayed(&self, a: &Attempt, via: &str, xdelay: Duration, reply: &str) -> String {
        let Attempt { qid, rcpt, pri, .. } = a;
        let text = reply.split_once(' ').map(|p| p.1).unwrap_or(reply);
        format!(
            "{qid}: to=<{rcpt}>, delay={}, xdelay={}, mailer=esmtp, pri={pri}, relay={}, dsn=2.0.0, stat=Sent ({})",
            delay(a.delay),
            delay(xdelay),
            relay_host(via),
            text.trim_start_matches("2.0.0 ")
        )
    }
    /// deliver.c giveresponse() and markfailure(), with the texts of
    /// sm_sysexmsg() (libsm/strexit.c) and sm_errstring() (err.c).
    fn trouble(&self, t: &Trouble, rcpt: &str, transient: bool) -> Words {
        // usrerr()'s line in the transcript: `CODE D.S.N <rcpt>... text`
        // (fmtmsg() puts the recipient, e_to, in front).
        let usrerr = |code_dsn: &str, text: &str| format!("{code_dsn} <{rcpt}>... {text}");
        // message() for a deferral: `<rcpt>... Deferred: …` (MsgBuf past its code).
        let deferred = |text: &str| format!("<{rcpt}>... {text}");
        match t {
            Trouble::Refused { host, ip, reply, stage, command } => {
                // q_rstatus: the reply's first line (usersmtp.c reply()).
                let line = reply.wire_line(0);
                let relay = relay_host(&format!("{host} [{ip}]"));
                // usersmtp.c reply(): a 4xx or 5xx reply goes into the
                // transcript after the command it answered.
                let mut transcript = vec![format!("... while talking to {}:", talking_to(host))];
                if let Some(c) = command {
                    transcript.push(format!(">>> {c}"));
                }
                transcript.extend(reply.wire_lines().into_iter().map(|l| format!("<<< {l}")));
                if transient {
                    let reason = format!("Deferred: {line}");
                    transcript.push(deferred(&reason));
                    return Words {
                        status: reply.enhanced().unwrap_or("4.0.0").to_string(),
                        reason,
                        diagnostic: Some(format!("SMTP; {line}")),
                        reply: Some(line),
                        reply_logged: true,
                        relay: Some(relay),
                        mailer: "esmtp",
                        transcript,
                    };
                }
                // usersmtp.c: smtprcptstat() makes 550, 551 and 553 to RCPT
                // EX_NOUSER, any other 5xx EX_UNAVAILABLE; smtpmailfrom()
                // makes 501 and 553 to MAIL EX_DATAERR; DATA's 5xx is
                // EX_UNAVAILABLE.
                let (code_dsn, text, default) = match (stage, reply.code) {
                    (Stage::Rcpt, 550) => ("550 5.1.1", "User unknown", "5.1.1"),
                    (Stage::Rcpt, 551) => ("550 5.1.1", "User unknown", "5.1.6"),
                    (Stage::Rcpt, 553) => ("550 5.1.1", "User unknown", "5.1.3"),
                    (Stage::Mail, 501) => ("501 5.6.0", "Data format error", "5.5.2"),
                    (Stage::Mail, 553) => ("501 5.6.0", "Data format error", "5.1.3"),
                    _ => ("554 5.0.0", "Service unavailable", "5.0.0"),
                };
                transcript.push(usrerr(code_dsn, text));
                Words {
                    status: reply.enhanced().unwrap_or(default).to_string(),
                    reason: text.into(),
                    diagnostic: Some(format!("SMTP; {line}")),
                    reply: Some(line),
                    reply_logged: true,
                    relay: Some(relay),
                    mailer: "esmtp",
                    transcript,
                }
            }
            Trouble::Connect { host, ip, text } => {
                let reason = format!("Deferred: {text}");
                Words {
                    status: "4.0.0".into(),
                    transcript: vec![deferred(&reason)],
                    reason,
                    relay: Some(relay_host(&format!("{host} [{ip}]"))),
                    mailer: "esmtp",
                    ..Words::default()
                }
            }
            Trouble::Dns { fault, status } => dns_words(fault, status, rcpt, transient),
            Trouble::Other { status, text, local } => Words {
                status: status.to_string(),
                reason: text.to_string(),
                diagnostic: Some(format!("{}; {text}", self.diagnostic_type())),
                mailer: if *local { "local" } else { "esmtp" },
                transcript: vec![deferred(text)],
                ..Words::default()
            },
        }
    }
    /// envelope.c dropenvelope(): the message is older than
    /// Timeout.queuereturn; its undelivered recipients become 4.4.7 and the
    /// report says "Cannot send message for 5 days", its transcript
    /// "Message could not be delivered for 5 days" and "Message will be
    /// deleted from queue".
    fn expired(&self, w: &Words, lifetime: Duration, _via: Option<&str>, _rcpt: &str) -> Words {
        let span = pintvl(lifetime);
        let mut transcript = w.transcript.clone();
        transcript.push(format!("Message could not be delivered for {span}"));
        transcript.push("Message will be deleted from queue".into());
        Words { status: "4.4.7".into(), reason: format!("Cannot send message for {span}"), transcript, ..w.clone() }
    }
    fn logs_expiry_as_deferral(&self) -> bool {
        true
    }
    fn log_deferred(&self, a: &Attempt, w: &Words, xdelay: Duration) -> String {
        delivery_line(a, w, xdelay)
    }
    fn log_bounced(&self, a: &Attempt, w: &Words, _remote_mta: Option<&str>, xdelay: Duration) -> String {
        delivery_line(a, w, xdelay)
    }
    fn log_removed(&self, _qid: &str) -> Option<String> {
        None
    }
    /// savemail.c returntosender(): `sm_syslog(LOG_INFO, e->e_id, "%s: %s: %s",
    /// ee->e_id, p, msg)`: the line is the original message's (its id
    /// first), then the report's id, then what kind of report (`p`: "return
    /// to sender" for a report about a report, "sender notify" for a delay
    /// warning, "postmaster notify" for a postmaster bounce, else "DSN"),
    /// then `e_message`, the reason giveresponse() last gave.
    fn log_dsn(&self, qid: &str, new_qid: &str, kind: DsnKind, to: ReportTo, reason: &str, waited: Duration) -> String {
        let what = match (to, kind) {
            (ReportTo::PostmasterOfReport, _) => "return to sender",
            (_, DsnKind::Delay) => "sender notify",
            (ReportTo::PostmasterOfNullSender, _) => "postmaster notify",
            (ReportTo::Sender, _) => "DSN",
        };
        let msg = match kind {
            DsnKind::Delay => self.dsn_subject(kind, &pintvl(waited)),
            DsnKind::Success => "Return receipt".into(),
            DsnKind::Failure => reason.to_string(),
        };
        format!("{qid}: {new_qid}: {what}: {msg}")
    }
    /// savemail.c savemail(): a message from the null sender has no one to
    /// return to ("this is an error-error"), and a report that fails
    /// (EF_RESPONSE) goes to the postmaster: state ESM_POSTMASTER sends it
    /// to `DoubleBounceAddress`, `postmaster` by default (conf.c); only a
    /// report about a report is dropped.
    fn double_bounce(&self) -> DoubleBounce {
        DoubleBounce::Postmaster
    }

    fn dsn_sender(&self) -> &'static str {
        "Mail Delivery Subsystem"
    }
    /// cf/m4/proto.m4: `H?M?Message-Id: <$t.$i@$j>`, with `$t` the time as
    /// YYYYMMDDhhmm in GMT (envelope.c settime()) and `$i` the queue id.
    fn message_id(&self, now: DateTime<FixedOffset>, qid: &str, host: &str) -> String {
        format!("{}.{qid}@{host}", now.with_timezone(&Utc).format("%Y%m%d%H%M"))
    }
    /// cf/m4/proto.m4's default headers `H?D?Date: $a` and
    /// `H?M?Message-Id: <$t.$i@$j>`: both the local and the esmtp mailer
    /// have flags D and M, so a message that lacks either gets it, from
    /// any client. The defaults head the envelope's header list (headers.c
    /// chompheader()), so they come out under the new `Received:`, Date
    /// before Message-Id.
    fn missing_headers(
        &self,
        no_date: bool,
        no_msgid: bool,
        _own_client: bool,
        arrival: DateTime<FixedOffset>,
        qid: &str,
        host: &str,
    ) -> (Vec<String>, bool) {
        let mut out = Vec::new();
        if no_date {
            out.push(format!("Date: {}\r\n", crate::base::time::rfc5322(arrival)));
        }
        if no_msgid {
            out.push(format!("Message-Id: <{}>\r\n", self.message_id(arrival, qid, host)));
        }
        (out, true)
    }
    /// savemail.c returntosender() (the header, in the order sendmail
    /// writes it) and errbody() (the body).
    fn dsn_message(&self, r: &DsnFacts) -> Vec<u8> {
        let pm = r.to != ReportTo::Sender;
        let boundary = format!("{}.{}/{}", r.new_qid, r.now.timestamp(), r.reporting_mta);
        let (subject, auto) = match (r.kind, pm) {
            (DsnKind::Delay, _) => (self.dsn_subject(r.kind, &pintvl(r.waited)), "warning-timeout"),
            (DsnKind::Success, _) => ("Return receipt".to_string(), "return-receipt"),
            (DsnKind::Failure, true) => {
                ("Postmaster notify: see transcript for details".into(), "postmaster-notification")
            }
            (DsnKind::Failure, false) => (self.dsn_subject(r.kind, ""), "failure"),
        };
        let mut m = String::new();
        let date = crate::base::time::rfc5322(r.now);
        m.push_str(&format!("Date: {date}\r\n"));
        m.push_str(&format!("From: {} <MAILER-DAEMON@{}>\r\n", self.dsn_sender(), r.reporting_mta));
        m.push_str(&format!("Message-Id: <{}>\r\n", r.message_id));
        m.push_str(&format!("To: <{}>\r\n", r.rcpt_to));
        m.push_str("MIME-Version: 1.0\r\n");
        m.push_str(&format!(
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n"
        ));
        m.push_str(&format!("Subject: {subject}\r\n"));
        m.push_str(&format!("Auto-Submitted: auto-generated ({auto})\r\n"));
        m.push_str(&format!("\r\nThis is a MIME-encapsulated message\r\n\r\n--{boundary}\r\n\r\n"));
        if r.kind == DsnKind::Delay {
            for l in [
                "    **********************************************",
                "    **      THIS IS A WARNING MESSAGE ONLY      **",
                "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **",
                "    **********************************************",
                "",
            ] {
                m.push_str(l);
                m.push_str("\r\n");
            }
        }
        m.push_str(&format!("The original message was received at {}\r\n", r.arrival_date));
        // `from $_`: the client as the SMTP server knew it, or the local user.
        match r.origin {
            Some(super::Origin::Smtp(peer)) => m.push_str(&format!("from {}\r\n", relay(peer))),
            Some(super::Origin::Local { user }) => m.push_str(&format!("from {user}@localhost\r\n")),
            None => m.push_str("from localhost\r\n"),
        }
        if pm {
            m.push_str(&format!("with id {}\r\n", r.qid));
        }
        m.push_str("\r\n");
        let section = |m: &mut String, title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                m.push_str(&format!("   ----- The following addresses had {title} -----\r\n"));
                for l in lines {
                    m.push_str(&l);
                    m.push_str("\r\n");
                }
                m.push_str("\r\n");
            }
        };
        match r.kind {
            DsnKind::Failure => {
                let lines = r
                    .recipients
                    .iter()
                    .flat_map(|f| {
                        let mut v = vec![format!("<{}>", f.rcpt)];
                        if let Some(reply) = f.reply {
                            v.push(format!("    (reason: {reply})"));
                        }
                        v
                    })
                    .collect();
                section(&mut m, "permanent fatal errors", lines);
            }
            DsnKind::Success => {
                let lines =
                    r.recipients.iter().map(|f| format!("<{}>  ({})", f.rcpt, success_note(f.action))).collect();
                section(&mut m, "successful delivery notifications", lines);
            }
            // A delay lists its addresses only for Deliver-By (QBYNDELAY).
            DsnKind::Delay => {}
        }
        let mut transcript: Vec<String> = r.recipients.iter().flat_map(|f| f.transcript.iter().cloned()).collect();
        match r.kind {
            DsnKind::Delay => {
                transcript.push(format!("Warning: message still undelivered after {}", pintvl(r.waited)));
                transcript.push(format!("Will keep trying until message is {} old", pintvl(r.lifetime)));
            }
            DsnKind::Success => {
                transcript
                    .extend(r.recipients.iter().map(|f| format!("<{}>... {}", f.rcpt, success_transcript(f.action))));
            }
            DsnKind::Failure => {}
        }
        if !transcript.is_empty() {
            m.push_str("   ----- Transcript of session follows -----\r\n");
            for l in transcript {
                m.push_str(&l);
                m.push_str("\r\n");
            }
        }
        m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"));
        if let Some(id) = r.envid {
            m.push_str(&format!("Original-Envelope-Id: {id}\r\n"));
        }
        m.push_str(&format!("Reporting-MTA: dns; {}\r\n", r.reporting_mta));
        // Received-From-MTA: the client's name (RealHostName), of the
        // sender's mailer's MTA type, `DNS` (T=DNS/RFC822/SMTP).
        if let Some(super::Origin::Smtp(peer)) = r.origin {
            let name = match &peer.name {
                Some(n) => n.clone(),
                None => format!("[{}]", peer.ip),
            };
            m.push_str(&format!("Received-From-MTA: DNS; {name}\r\n"));
        }
        m.push_str(&format!("Arrival-Date: {}\r\n", r.arrival_date));
        for f in &r.recipients {
            m.push_str("\r\n");
            if let Some((t, a)) = f.orcpt {
                m.push_str(&format!("Original-Recipient: {t};{a}\r\n"));
            }
            m.push_str(&format!("Final-Recipient: RFC822; {}\r\n", f.rcpt));
            m.push_str(&format!("Action: {}\r\nStatus: {}\r\n", action_text(f.action), f.status));
            if let Some(mta) = f.remote_mta {
                m.push_str(&format!("Remote-MTA: DNS; {}\r\n", mta.trim_end_matches('.')));
            }
            if let Some(d) = f.diagnostic {
                m.push_str(&format!("Diagnostic-Code: {d}\r\n"));
            }
            m.push_str(&format!("Last-Attempt-Date: {date}\r\n"));
            if r.kind == DsnKind::Delay {
                let until = r.now + chrono::Duration::from_std(r.lifetime.saturating_sub(r.waited)).unwrap_or_default();
                m.push_str(&format!("Will-Retry-Until: {}\r\n", crate::base::time::rfc5322(until)));
            }
        }
        let content_type = if r.full { "message/rfc822" } else { "text/rfc822-headers" };
        m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: {content_type}\r\n\r\n"));
        let mut out = m.into_bytes();
        super::dsn_tail(&mut out, &boundary, r.full, r.original);
        out
    }
    fn dsn_subject(&self, kind: DsnKind, waited: &str) -> String {
        // savemail.c errbody(): "Warning: …", "Return receipt", "Returned mail: …".
        match kind {
            DsnKind::Delay => format!("Warning: could not send message for past {waited}"),
            DsnKind::Failure => "Returned mail: see transcript for details".into(),
            DsnKind::Success => "Return receipt".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_needs_min_free_blocks_and_the_announced_size_in_whole_blocks() {
        const B: u64 = 4096;
        assert!(Sendmail.storage_short(100 * B - 1, 0, 0));
        assert!(!Sendmail.storage_short(100 * B, 0, 0));
        // SIZE=4097 is two blocks (pickqdir rounds up).
        assert!(Sendmail.storage_short(102 * B - 1, 0, B + 1));
        assert!(!Sendmail.storage_short(102 * B, 0, B + 1));
        assert!(!Sendmail.storage_short(101 * B, 0, B));
        assert!(Sendmail.storage_short(u64::MAX, 0, u64::MAX), "no overflow");
    }

    #[test]
    fn qid_shape() {
        let t = DateTime::parse_from_rfc3339("2002-05-08T16:33:45+09:00").unwrap();
        let q = qid(t, 1, 15258);
        assert_eq!(q.len(), 14);
        // Year 102 -> 'g', May -> '4', day 8, 07 UTC -> '7'.
        assert!(q.starts_with("g487X"), "{q}");
        assert!(q.ends_with("015258"), "{q}");
    }

    #[test]
    fn delays() {
        assert_eq!(delay(Duration::from_secs(3661)), "01:01:01");
        assert_eq!(delay(Duration::from_secs(86400 + 5)), "1+00:00:05");
    }
}
