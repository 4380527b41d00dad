//! The persona of an MTA: everything a sendmail or a Postfix host says.
//!
//! One module per flavour ([`sendmail`], [`postfix`]) holds its SMTP reply
//! texts, its maillog lines (program names, PIDs, queue ids, delays), the
//! flavour-specific parts of the Received: header and the DSN wording. The
//! rest of the code holds the facts (who connected, which queue id, how long
//! a message waited) and asks [`Flavour::persona`] for the words, so no
//! `match flavour` is needed anywhere else.
//!
//! The codes follow RFC 5321 and RFC 3463 in both flavours; the wording
//! follows what sendmail 8.18 and Postfix 3.x send, so a student who later
//! reads a real server's transcript or maillog recognises it. Replies both
//! flavours word alike are the trait's provided methods.

pub mod postfix;
pub mod sendmail;

use super::client::Stage;
use super::envelope::{Envelope, Peer};
use super::reply::Reply;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    #[default]
    Sendmail,
    Postfix,
}

impl Flavour {
    pub fn name(self) -> &'static str {
        self.persona().name()
    }

    /// The persona that words everything this flavour of MTA says.
    pub fn persona(self) -> &'static dyn Persona {
        match self {
            Flavour::Sendmail => &sendmail::Sendmail,
            Flavour::Postfix => &postfix::Postfix,
        }
    }
}

/// The programs of an MTA that write maillog lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// The SMTP server process of a session (sendmail's child, Postfix's smtpd).
    Smtpd,
    Cleanup,
    Qmgr,
    /// Outbound SMTP delivery.
    Smtp,
    Local,
    Bounce,
    /// Postfix's pickup: mail submitted on the host itself.
    Pickup,
    /// The SMTP server of the submission port (RFC 6409): Postfix's
    /// master.cf runs it with `syslog_name=postfix/submission`; sendmail's
    /// MSA is the same daemon.
    SubmissionSmtpd,
    /// The daemon that starts the others: Postfix's master (it logs a
    /// reload); sendmail's listening daemon (it logs its restart).
    Master,
}

/// How a message entered the queue, for the maillog line that records it.
pub enum Source<'a> {
    /// Received by SMTP from `peer`, with `protocol` (`ESMTP`, `ESMTPA`, `SMTP`).
    Smtp { peer: &'a Peer, protocol: &'a str },
    /// Written on the host itself by a local program run as `user`.
    Local { user: &'a str },
}

/// A message that just entered the queue.
pub struct Arrival<'a> {
    pub qid: &'a str,
    /// The envelope sender as written in the log (`<a@b>` or `<>`).
    pub from: &'a str,
    pub size: usize,
    pub nrcpts: usize,
    /// The Message-ID without its angle brackets.
    pub msgid: &'a str,
    pub source: Source<'a>,
}

/// One recipient of one delivery attempt, for the maillog line of its fate.
pub struct Attempt<'a> {
    pub qid: &'a str,
    /// The recipient without angle brackets.
    pub rcpt: &'a str,
    /// Time since the message arrived.
    pub delay: Duration,
    /// sendmail's queue priority.
    pub pri: usize,
}

/// A flavour's default queue timing.
#[derive(Clone, Copy, Debug)]
pub struct QueueTimes {
    pub first_retry: Duration,
    pub max_backoff: Duration,
    pub lifetime: Duration,
}

/// What an access-database entry was about (Postfix names it in its reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessCheck {
    Client,
    Sender,
    Recipient,
}

/// A DSN parameter of RFC 3461: two on MAIL, two on RCPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnParam {
    Ret,
    Envid,
    Notify,
    Orcpt,
}

impl DsnParam {
    pub fn name(self) -> &'static str {
        match self {
            DsnParam::Ret => "RET",
            DsnParam::Envid => "ENVID",
            DsnParam::Notify => "NOTIFY",
            DsnParam::Orcpt => "ORCPT",
        }
    }
}

/// What is wrong with a DSN parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnFault<'a> {
    /// `RET` with no `=value`.
    NoValue,
    /// The parameter came twice in one command (or one transaction, for RET and ENVID).
    Duplicate,
    /// A value that is not one of the parameter's: for NOTIFY the bad word.
    Bad(&'a str),
}

/// What became of a recipient, as a delivery status notification reports it
/// (RFC 3464 §2.3.3: the `Action:` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnKind {
    /// Failure reports (`failed`).
    Failure,
    /// A delay warning (`delayed`).
    Delay,
    /// A success report (`delivered` into a mailbox, or `relayed` to a host without DSN).
    Success,
}

/// How an MTA carries a recipient's DSN request through a local alias
/// (RFC 3461 §5.2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasDsn {
    /// The new address takes the recipient's `NOTIFY` and `ORCPT` as they
    /// were and no report is written for the alias (§5.2.7.2, an alias to
    /// one address).
    PassOn,
    /// The new addresses get `NOTIFY` without `SUCCESS` (`NEVER` if that was
    /// all) and the same `ORCPT`; a sender who asked for `SUCCESS` gets an
    /// `expanded` report for the alias itself (§5.2.7.3 (c)).
    Expanded,
}

/// Which later recipient of one message an MTA drops as a duplicate of an
/// earlier one, and what becomes of the dropped one's DSN request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duplicates {
    /// One copy per address (a local part in any case), the first kept:
    /// sendmail's recipient() (recipient.c) drops a later address that
    /// sameaddr() (parseaddr.c: mailer, user and host, never the DSN flags)
    /// matches. The kept one's DSN request stays as it was when it was
    /// given on RCPT (it is QPRIMARY and QRCPTOK: `new = q`); when it came
    /// through an alias, the dropped one's NOTIFY is added to it
    /// (`q->q_flags |= new->q_flags`), its ORCPT is not.
    ByAddress,
    /// A duplicate only when the address, the recipient it was given as
    /// (the alias, for an address an alias expanded to) and the DSN request
    /// (NOTIFY, ORCPT) are all the same, letters in any case: the key of
    /// Postfix's duplicate filter (cleanup_out_recipient.c: been_here() on
    /// `dsn_orcpt, dsn_notify, orcpt, recip`, folded, with the default
    /// enable_original_recipient = yes; local(8) delivers one recipient at
    /// a time, its duplicate filter new for each). Otherwise both are kept:
    /// each gets its own copy and its own report.
    ByAddressAndRequest,
}

impl Duplicates {
    /// What two recipients share when one is a duplicate of the other:
    /// `r`, given itself or through the alias `via`.
    pub fn key(self, r: &super::envelope::Rcpt, via: Option<&super::Mailbox>) -> String {
        let addr = r.addr.key().to_ascii_lowercase();
        match self {
            Duplicates::ByAddress => addr,
            // Given itself, with no request: the address alone, as a list's
            // thousands of recipients are (no address holds a line feed).
            Duplicates::ByAddressAndRequest if r.dsn.is_empty() && via.is_none() => addr,
            Duplicates::ByAddressAndRequest => {
                let notify = r.dsn.notify.map(|n| n.value()).unwrap_or_default();
                let orcpt = r.dsn.orcpt.as_ref().map(|(t, a)| format!("{t};{a}")).unwrap_or_default();
                let given_as = via.map_or_else(|| addr.clone(), |v| v.key().to_ascii_lowercase());
                format!("{}\n{notify}\n{given_as}\n{addr}", orcpt.to_ascii_lowercase())
            }
        }
    }
}

/// Why a DNS look-up gave the queue no place to deliver to: facts the
/// persona words ([`Persona::trouble`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsFault {
    /// NXDOMAIN for `name` asked as `qtype` (`MX` or `A`).
    NotFound { name: String, qtype: &'static str },
    /// The name exists but has no `qtype` record.
    NoData { name: String, qtype: &'static str },
    /// The server answered with an error `rcode` (SERVFAIL…): try again.
    Failed { name: String, qtype: &'static str, rcode: String },
    /// The DNS server `server` did not answer.
    NoAnswer { name: String, qtype: &'static str, server: Ipv4Addr },
    /// The domain publishes a null MX (RFC 7505).
    NullMx { domain: String },
    /// None of the domain's MX hosts has an address; `host` is the last tried.
    NoMxAddress { domain: String, host: String },
    /// A reason in the lab's own words (a truncated answer, a loop, no route).
    Other(String),
}

impl DnsFault {
    /// The name the look-up was about.
    pub fn name(&self) -> &str {
        match self {
            DnsFault::NotFound { name, .. }
            | DnsFault::NoData { name, .. }
            | DnsFault::Failed { name, .. }
            | DnsFault::NoAnswer { name, .. } => name,
            DnsFault::NullMx { domain } => domain,
            DnsFault::NoMxAddress { host, .. } => host,
            DnsFault::Other(_) => "",
        }
    }
}

/// What went wrong with one recipient in one delivery attempt.
pub enum Trouble<'a> {
    /// The next hop `host` (its name, as the MX record or smarthost gives
    /// it) at `ip` answered `reply` to `command` (as sent, if any) at `stage`.
    Refused { host: &'a str, ip: Ipv4Addr, reply: &'a Reply, stage: Stage, command: Option<&'a str> },
    /// No connection to `host` at `ip`: `text` from [`Persona::connect_failure`].
    Connect { host: &'a str, ip: Ipv4Addr, text: &'a str },
    /// The DNS gave no next hop; `status` is the report's for a permanent failure.
    Dns { fault: &'a DnsFault, status: &'a str },
    /// A failure in the lab's words (an alias loop, no such local user),
    /// with its status; `local`: at local delivery.
    Other { status: &'a str, text: &'a str, local: bool },
}

/// A recipient's failure in one flavour's words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words {
    /// The RFC 3463 status (`dsn=`, `Status:`).
    pub status: String,
    /// The reason as the maillog line gives it (sendmail's `stat=`,
    /// Postfix's `status=… (reason)`) and the report's text.
    pub reason: String,
    /// The report's `Diagnostic-Code:` (type and text), if it has one.
    pub diagnostic: Option<String>,
    /// The next hop's reply (sendmail's `(reason: …)`, and `reply=` when
    /// `reply_logged`).
    pub reply: Option<String>,
    /// The maillog line names `reply` (sendmail logs the recipient's own
    /// reply only; a DNS failure's status is the envelope's).
    pub reply_logged: bool,
    /// The `relay=` value of the maillog line.
    pub relay: Option<String>,
    /// sendmail's mailer (`esmtp`, `local`).
    pub mailer: &'static str,
    /// Lines of the session transcript a sendmail report quotes.
    pub transcript: Vec<String>,
}

/// Who a report goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTo {
    /// The envelope sender.
    Sender,
    /// The postmaster, because the message that failed was itself a
    /// report this MTA wrote (sendmail's EF_RESPONSE).
    PostmasterOfReport,
    /// The postmaster, because the message came from the null sender.
    PostmasterOfNullSender,
}

/// What an MTA does with a failed message that came from the null sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoubleBounce {
    /// Throws it away (Postfix: `notify_classes` has no `2bounce` by default).
    Discard,
    /// Sends it to the postmaster (sendmail's `DoubleBounceAddress`,
    /// `postmaster` by default), unless it was that notice itself.
    Postmaster,
}

/// Where a queued message came from, for a sendmail report's "from …" and
/// `Received-From-MTA:`.
#[derive(Clone, Debug)]
pub enum Origin {
    Smtp(Peer),
    Local { user: String },
}

/// One recipient of a delivery status notification.
pub struct DsnRcpt<'a> {
    pub rcpt: &'a str,
    /// The sender's ORCPT: type and address.
    pub orcpt: Option<(&'a str, &'a str)>,
    pub action: &'a str,
    pub status: &'a str,
    pub diagnostic: Option<&'a str>,
    pub reason: &'a str,
    pub remote_mta: Option<&'a str>,
    pub reply: Option<&'a str>,
    pub transcript: &'a [String],
}

/// Everything a delivery status notification (RFC 3464) says, as facts.
pub struct DsnFacts<'a> {
    pub kind: DsnKind,
    pub to: ReportTo,
    pub reporting_mta: &'a str,
    /// The queue id of the message reported on, and of the report.
    pub qid: &'a str,
    pub new_qid: &'a str,
    /// The report's recipient.
    pub rcpt_to: &'a str,
    pub now: DateTime<FixedOffset>,
    pub arrival_date: &'a str,
    /// How long it waited (a delay warning: the warning interval).
    pub waited: Duration,
    pub lifetime: Duration,
    /// The report's own Message-ID, without angle brackets.
    pub message_id: &'a str,
    pub origin: Option<&'a Origin>,
    pub envid: Option<&'a str>,
    /// The whole message comes back, else its header section.
    pub full: bool,
    pub original: &'a [u8],
    pub recipients: Vec<DsnRcpt<'a>>,
}

/// The header section of a message (up to the first empty line).
pub fn header_section(msg: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < msg.len() {
        let end = msg[i..].iter().position(|&b| b == b'\n').map(|p| i + p + 1).unwrap_or(msg.len());
        let line = &msg[i..end];
        if line == b"\r\n" || line == b"\n" {
            return &msg[..i];
        }
        i = end;
    }
    msg
}

/// The returned message or its headers, and the closing boundary.
pub fn dsn_tail(out: &mut Vec<u8>, boundary: &str, full: bool, original: &[u8]) {
    if full {
        out.extend_from_slice(original);
        if !original.is_empty() && !original.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    } else {
        out.extend_from_slice(header_section(original));
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
}

/// Errors after which a server gives up on its client (Postfix's
/// `smtpd_hard_error_limit`, 20); the server's `MAX_ERRORS`.
pub const HARD_ERROR_LIMIT: u32 = 20;

/// Everything an MTA says, in one flavour's words.
pub trait Persona: Sync {
    fn flavour(&self) -> Flavour;
    /// `sendmail` or `postfix`, as in the trace's `flavour` field.
    fn name(&self) -> &'static str;

    // --- SMTP replies of the server core ---

    /// `date` is an RFC 5322 date-time.
    fn greeting(&self, host: &str, date: &str) -> Reply;
    /// The text of the first line of the HELO/EHLO reply.
    fn helo_greet(&self, host: &str, peer: &Peer) -> String;
    /// EHLO keywords in the order the flavour lists them (AUTH is added by the core).
    fn extensions(&self, max_size: u64) -> Vec<String>;
    fn helo_syntax(&self, verb: &str) -> Reply;
    /// The name a client gives with HELO or EHLO (`arg`: the rest of the
    /// line, white space trimmed), as this flavour keeps it for Received:
    /// and the log, or its refusal. RFC 5321 §4.1.1.1 allows one domain or
    /// address literal; each flavour checks its own way.
    fn helo_name(&self, verb: &str, arg: &str) -> Result<String, Reply>;
    /// MAIL (and, where [`Persona::helo_required_covers_auth`], AUTH) before
    /// HELO/EHLO on a host that requires HELO (the host's `helo_required`).
    fn need_helo(&self) -> Reply;
    /// Does requiring HELO refuse AUTH before it as well as MAIL?
    fn helo_required_covers_auth(&self) -> bool {
        false
    }
    fn nested_mail(&self) -> Reply;
    /// RCPT before MAIL.
    fn need_mail(&self) -> Reply;
    /// DATA before MAIL.
    fn data_needs_mail(&self) -> Reply;
    /// DATA in a transaction with no accepted recipient.
    fn need_rcpt(&self) -> Reply;
    /// `MAIL` without `FROM:` and a path; `word` is what the client wrote
    /// where `FROM` belongs (up to a colon or white space).
    fn mail_syntax(&self, word: &str) -> Reply;
    /// `RCPT` without `TO:` and a path; `word` as for [`Persona::mail_syntax`].
    fn rcpt_syntax(&self, word: &str) -> Reply;
    /// A path refused at `MAIL FROM` (`rcpt` false) or `RCPT TO` (true):
    /// `written` is the path as the client wrote it (for a `<` without `>`,
    /// the whole rest of the line), `e` what is wrong with it (never
    /// [`AddressError::NoPath`](super::address::AddressError::NoPath), which
    /// gets the syntax reply above).
    fn bad_path(&self, rcpt: bool, written: &str, e: &super::address::AddressError) -> Reply;
    /// MAIL announced a SIZE over the host's `limit` (octets).
    fn too_big(&self, limit: u64) -> Reply;
    /// The content outgrew `limit` (refused after DATA or the last BDAT chunk).
    fn too_big_data(&self, limit: u64) -> Reply {
        self.too_big(limit)
    }
    fn data_go(&self) -> Reply;
    fn rset(&self) -> Reply;
    fn noop(&self) -> Reply;
    fn quit(&self, host: &str) -> Reply;
    fn vrfy(&self, arg: &str) -> Reply;
    fn expn(&self) -> Reply;
    /// An unknown command (`line`: the whole command line as the client sent it).
    fn unknown(&self, line: &str) -> Reply;
    fn empty_command(&self) -> Reply;
    fn not_implemented(&self, verb: &str) -> Reply;
    fn auth_not_available(&self) -> Reply;

    // --- SMTP replies chosen by the mail system's policy ---

    /// How a reply, or a line logged at MAIL or RCPT, writes an address
    /// the client sent as `as_sent` (the path as written, with its angle
    /// brackets if it had them: both take a path without). Both MTAs quote the client's own writing, not a
    /// normalised form: an address literal `[192.0.2.025]` stays so, and so
    /// does the case of a domain (the lab keeps `[192.0.2.25]` and lower
    /// case inside, [`Mailbox`](super::address::Mailbox)).
    fn quoted_path(&self, as_sent: &str) -> String;
    fn mail_ok(&self, from: &str) -> Reply;
    fn rcpt_ok(&self, to: &str) -> Reply;
    fn queued(&self, qid: &str) -> Reply;
    /// `to` is written with its angle brackets; `auth_offered`: the host offers SMTP AUTH.
    fn relay_denied(&self, to: &str, auth_offered: bool) -> Reply;
    fn user_unknown(&self, to: &str) -> Reply;

    // --- A full disk (the host's `disk_space`: its queue and mailboxes) ---

    /// Is MAIL refused for want of space? `free`: octets left; `limit`:
    /// the host's message size limit (0: none); `declared`: the SIZE the
    /// client announced (0 without one).
    fn storage_short(&self, free: u64, limit: u64, declared: u64) -> bool;
    /// The reply to that MAIL.
    fn insufficient_storage(&self) -> Reply;
    /// Its maillog lines (`free` as above; `prog`: the session's SMTP
    /// server, smtpd or the submission service; `sasl`: mechanism and user
    /// of an authenticated client).
    fn log_insufficient_storage(
        &self,
        prog: Program,
        peer: &Peer,
        env: &Envelope,
        sasl: Option<(&str, &str)>,
        free: u64,
    ) -> Vec<(Program, String)>;
    /// The reply at the end of DATA when the message does not fit in what is left.
    fn out_of_space(&self) -> Reply;
    /// Its maillog lines.
    fn log_out_of_space(&self, qid: &str) -> Vec<(Program, String)>;

    // --- SMTP replies both flavours word alike ---

    /// The message as this MTA's SMTP client sends it on: lines longer than
    /// it sends are broken (RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF).
    /// Postfix's `smtp_line_length_limit = 998`: "Longer lines are broken
    /// by inserting `<CR><LF><SPACE>`, to minimize the damage to MIME
    /// formatted mail" (postconf(5)). `None`: every line fits, send as is.
    fn fold_for_relay(&self, data: &[u8]) -> Option<Vec<u8>> {
        fold_lines(data, 998, b"")
    }
    /// `extra`: the commands of the extensions this session offers now
    /// (STARTTLS, AUTH, BDAT), listed after the base ones.
    fn help(&self, extra: &[&str]) -> Reply {
        let mut lines: Vec<String> = [
            "2.0.0 This is a maillab teaching server.",
            "2.0.0 Commands:",
            "2.0.0     HELO    EHLO    MAIL    RCPT    DATA",
            "2.0.0     RSET    NOOP    QUIT    HELP    VRFY",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if !extra.is_empty() {
            let cmds: Vec<String> = extra.iter().map(|c| format!("{c:<8}")).collect();
            lines.push(format!("2.0.0     {}", cmds.join("").trim_end()));
        }
        lines.push("2.0.0 End of HELP info".into());
        Reply::multi(214, lines)
    }
    /// Any command but QUIT after a refusing greeting (RFC 5321 §3.1).
    fn bad_sequence(&self) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn too_many_errors(&self, host: &str) -> Reply {
        Reply::new(421, format!("4.7.0 {host} Error: too many errors"))
    }
    fn line_too_long(&self) -> Reply {
        Reply::new(500, "5.5.2 Line too long")
    }
    fn bad_size_parameter(&self) -> Reply {
        Reply::new(501, "5.5.4 Bad SIZE parameter")
    }
    /// A MAIL or RCPT parameter the server does not know or offer;
    /// `option` as the client wrote it (`KEY=value`).
    fn unsupported_option(&self, option: &str) -> Reply {
        Reply::new(555, format!("5.5.4 Unsupported option: {option}"))
    }
    /// The refusal of a malformed or repeated DSN parameter (RFC 3461);
    /// `None`: the flavour takes it (sendmail's second NOTIFY replaces the first).
    /// `option` is the whole `KEY=value` as written.
    fn dsn_param_error(&self, param: DsnParam, fault: DsnFault, option: &str) -> Option<Reply>;
    /// A DSN parameter on a server whose DSN is switched off.
    fn dsn_disabled(&self, param: DsnParam) -> Reply;
    /// `MAIL FROM:<…> AUTH=<mailbox>` (RFC 4954 §5) on a server that offers
    /// AUTH: `value` is `None` for `AUTH` without `=`, `earlier` the value
    /// of an AUTH= before it in the same command. `Err` refuses the MAIL.
    /// Postfix (smtpd_sasl_mail_opt()) keeps any value but `<>`, and
    /// refuses a second only after one it kept; a bare `AUTH` is an option
    /// it does not know.
    fn auth_param(&self, value: Option<&str>, earlier: Option<&str>) -> Result<(), Reply> {
        match value {
            None => Err(self.unsupported_option("AUTH")),
            Some(_) if earlier.is_some_and(|e| e != "<>") => {
                Err(Reply::new(503, "5.5.4 Error: multiple AUTH= options"))
            }
            Some(_) => Ok(()),
        }
    }
    /// Whether a refused RCPT counts toward the errors after which the
    /// server gives up on the client ([`HARD_ERROR_LIMIT`]).
    fn refusal_counts_as_error(&self) -> bool {
        false
    }
    /// Whether every error reply counts toward that limit (Postfix's
    /// `smtpd_hard_error_limit`, 20), or only unknown commands toward
    /// [`Persona::bad_command_limit`] (sendmail's MAXBADCOMMANDS).
    fn counts_every_error(&self) -> bool {
        true
    }
    /// Unknown commands after which the server says
    /// [`Persona::too_many_errors`] instead of answering the next one.
    fn bad_command_limit(&self) -> u32 {
        HARD_ERROR_LIMIT
    }
    fn too_many_recipients(&self) -> Reply {
        Reply::new(452, "4.5.3 Error: too many recipients")
    }
    /// DATA or RSET with an argument.
    fn takes_no_argument(&self, verb: &str) -> Reply {
        Reply::new(501, format!("5.5.4 Syntax error: {verb} takes no argument"))
    }
    fn vrfy_syntax(&self) -> Reply {
        Reply::new(501, "5.5.4 Syntax: VRFY address")
    }
    fn already_authenticated(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: already authenticated")
    }
    fn auth_in_transaction(&self) -> Reply {
        Reply::new(503, "5.5.1 Error: MAIL transaction in progress")
    }
    fn auth_syntax(&self) -> Reply {
        Reply::new(501, "5.5.4 Syntax: AUTH mechanism")
    }
    /// AUTH with a mechanism not offered (`mech` as the client wrote it).
    fn auth_mechanism_unknown(&self, _mech: &str) -> Reply {
        Reply::new(504, "5.5.4 Unrecognized authentication type")
    }
    /// An initial response to a mechanism in which the server speaks first
    /// (CRAM-MD5): RFC 4954 §4 says the server MUST refuse the AUTH with
    /// 501, enhanced code 5.7.0, rather than call the mechanism unknown.
    /// (Real servers differ here: Dovecot's CRAM-MD5 ignores the response
    /// and sends its challenge; the lab keeps to the RFC in both flavours.)
    fn auth_initial_response_refused(&self, mech: &str) -> Reply {
        Reply::new(
            501,
            format!("5.7.0 {mech} takes no initial response: send AUTH {mech} alone and answer the challenge"),
        )
    }
    fn auth_aborted(&self) -> Reply {
        Reply::new(501, "5.7.0 Authentication aborted")
    }
    fn auth_undecodable(&self) -> Reply {
        Reply::new(501, "5.5.2 Cannot decode response")
    }
    fn auth_invalid_data(&self) -> Reply {
        Reply::new(501, "5.5.2 Invalid authentication data")
    }
    fn auth_ok(&self) -> Reply {
        Reply::new(235, "2.7.0 Authentication successful")
    }
    fn auth_failed(&self) -> Reply {
        Reply::new(535, "5.7.8 Error: authentication failed: authentication failure")
    }
    /// The answer to STARTTLS (RFC 3207 §4).
    fn starttls_ready(&self) -> Reply {
        Reply::new(220, "2.0.0 Ready to start TLS")
    }
    /// A command other than EHLO, NOOP, QUIT or STARTTLS before TLS, on a
    /// server that requires it (RFC 3207 §4).
    fn must_starttls(&self) -> Reply {
        Reply::new(530, "5.7.0 Must issue a STARTTLS command first")
    }
    /// STARTTLS with an argument.
    fn starttls_syntax(&self) -> Reply {
        Reply::new(501, "5.5.4 Syntax: STARTTLS")
    }
    /// STARTTLS inside TLS.
    fn tls_already_active(&self) -> Reply {
        Reply::new(554, "5.5.1 Error: TLS already active")
    }
    /// TLS cannot be had (RFC 3207 §4: the server's certificate is missing, say).
    fn tls_not_available(&self) -> Reply {
        Reply::new(454, "4.7.0 TLS not available due to local problem")
    }
    fn auth_required(&self) -> Reply {
        Reply::new(530, "5.7.0 Authentication required")
    }
    /// The message already carries `hops` Received: fields, `max` or more.
    fn too_many_hops(&self, hops: usize, max: usize, from: &str, host: &str, to: &str) -> Reply {
        Reply::new(554, format!("5.4.6 Too many hops {} ({max} max): from {from} via {host}, to {to}", hops + 1))
    }
    /// The answer to a connection over the session limit.
    fn too_many_connections(&self, host: &str) -> Reply {
        Reply::new(421, format!("4.7.0 {host} Error: too many connections"))
    }
    /// The answer to a connection from an address that already has as
    /// many sessions as one client may (Postfix's anvil and
    /// `smtpd_client_connection_count_limit`).
    fn too_many_connections_from(&self, host: &str, ip: std::net::Ipv4Addr) -> Reply {
        Reply::new(421, format!("4.7.0 {host} Error: too many connections from {ip}"))
    }
    /// The client stayed silent longer than the idle timeout (`data_from`:
    /// the sender as MAIL gave it, `<...>`, when it happened inside a message).
    fn idle_timeout(&self, host: &str, _peer: &Peer, _data_from: Option<&str>) -> Reply {
        Reply::new(421, format!("4.4.2 {host} Error: timeout exceeded"))
    }

    // --- SMTPUTF8 (RFC 6531) ---

    /// A UTF-8 address in a transaction without the SMTPUTF8 parameter
    /// (Postfix's smtpd.c with `strict_smtputf8 = yes`).
    fn needs_smtputf8(&self) -> Reply {
        Reply::new(553, "5.6.7 Must declare SMTPUTF8 to send unicode address")
    }
    /// The diagnostic of a message that needs SMTPUTF8 when the next hop
    /// `server` (`name[ip]`) does not offer it (Postfix's smtp_proto.c).
    fn smtputf8_not_offered(&self, server: &str) -> String {
        format!(
            "message requires SMTPUTF8, but no server was found that supports SMTPUTF8. The last attempted server was {server}"
        )
    }

    // --- CHUNKING (RFC 3030): Postfix's smtpd.c bdat_cmd() and skip_bdat() ---

    /// A malformed BDAT: the session ends (the next input would be raw content).
    fn bdat_syntax(&self) -> Reply {
        Reply::new(521, "5.5.4 Syntax: BDAT count [LAST]")
    }
    /// `BDAT 0` without LAST.
    fn bdat_null(&self) -> Reply {
        Reply::new(551, "5.7.1 Null BDAT request")
    }
    /// A chunk after a failed one in the same transaction.
    fn bdat_discarded(&self, octets: u64) -> Reply {
        Reply::new(551, format!("5.0.0 Discarded {octets} bytes after earlier error"))
    }
    /// A chunk that would take the message over the size limit.
    fn bdat_too_big(&self) -> Reply {
        Reply::new(552, "5.3.4 Chunk exceeds message size limit")
    }
    /// A chunk other than the last was taken.
    fn bdat_ok(&self, octets: u64) -> Reply {
        Reply::new(250, format!("2.0.0 Ok: {octets} bytes"))
    }
    /// MAIL, RCPT or DATA while BDAT chunks are being collected.
    fn after_bdat(&self, verb: &str) -> Reply {
        Reply::new(503, format!("5.5.1 Error: {verb} after BDAT"))
    }
    /// The message that came in BDAT chunks was queued.
    fn queued_chunks(&self, qid: &str, octets: usize) -> Reply {
        Reply::new(250, format!("2.0.0 Ok: {octets} bytes queued as {qid}"))
    }

    // --- Received: header parts (see super::received) ---

    /// The `(…)` part of a Received: header's `by` clause.
    fn software(&self) -> String;
    /// Comment lines about the session's TLS that come before `by` in
    /// `Received:` (Postfix's `smtpd_tls_received_header = yes`).
    fn received_tls_before_by(&self, _tls: &crate::proto::tls::TlsInfo) -> Vec<String> {
        Vec::new()
    }
    /// A comment about the session's TLS after `by … id …` (sendmail's
    /// default `Received:` template has `(version=… cipher=… bits=… verify=…)`).
    fn received_tls_after_by(&self, _tls: &crate::proto::tls::TlsInfo) -> Option<String> {
        None
    }
    /// The `from` clause after `from `: the HELO name (`None`: the client
    /// gave none) and what is known of the client.
    fn received_from(&self, helo: Option<&str>, peer: &Peer) -> String;
    /// What the MTA records of a client that gave MAIL without HELO or
    /// EHLO, when it records anything: a header field for the message (its
    /// whole line, CRLF included) and a maillog line (`qid`: the
    /// transaction's, if it has one yet).
    fn no_helo_warning(&self, _host: &str, _peer: &Peer, _qid: Option<&str>) -> Option<(String, String)> {
        None
    }
    /// Is the protocol (`with …`, RFC 3848) worked out when the MTA answers
    /// EHLO, HELO or AUTH, and kept as it was then, rather than when the
    /// message comes? sendmail's is (srvrsmtp.c: `protocol =
    /// GET_PROTOCOL()` at EHLO and at AUTH's `235`, with the `S` and `A` of
    /// that moment; `"SMTP"` at HELO; nothing else changes it, STARTTLS
    /// included): after HELO, or AUTH without HELO, `with ESMTPA`. Postfix
    /// keeps only SMTP or ESMTP (smtpd.c `state->protocol`: SMTP at the
    /// start, ESMTP from EHLO on, and HELO does not downgrade it) and adds
    /// `S` and `A` to ESMTP as it writes the field, for the TLS and the
    /// login the session has then (common_pre_message_handling()).
    fn protocol_fixed_by_commands(&self) -> bool {
        false
    }
    /// Does the MTA still know the client's HELO/EHLO name after STARTTLS,
    /// when the client goes on without a new EHLO? RFC 3207 §4.2 says the
    /// server must forget it, and Postfix does (smtpd.c starttls_cmd():
    /// helo_reset(); its protocol stays ESMTP). sendmail does not: its
    /// STARTTLS starts only `first` and `n_helo` again (srvrsmtp.c), and
    /// `gothello`, the name in `$s` and `protocol` stay.
    fn keeps_helo_through_starttls(&self) -> bool {
        false
    }
    /// A comment line naming the authenticated sender, if the flavour writes one.
    fn received_auth(&self, user: &str) -> Option<String>;
    /// The whole field for mail a local program submitted as `user`.
    fn received_submit(&self, by: &str, qid: &str, user: &str, date: &str) -> String;

    // --- the maillog ---

    /// The syslog tag of a program (`sendmail`, `postfix/smtpd`, …).
    fn program_name(&self, prog: Program) -> &'static str;
    /// The PID a line of `prog` carries: `pid` of the session or the fixed daemon's.
    fn log_pid(&self, prog: Program, pid: u32, daemon_pid: u32) -> u32;
    /// A new queue id. `seq` gives the next number of a per-host sequence and
    /// `random` 40 random bits; each is called only if the flavour needs it.
    fn queue_id(
        &self,
        now: DateTime<FixedOffset>,
        pid: u32,
        seq: &mut dyn FnMut() -> u32,
        random: &mut dyn FnMut() -> u64,
    ) -> String;
    /// sendmail names the transaction at MAIL; Postfix only once a recipient is accepted.
    fn names_transaction_at_mail(&self) -> bool;
    /// The smtpd line when a client connects, if the flavour writes one.
    fn log_connect(&self, peer: &Peer) -> Option<String>;
    /// The smtpd line when a client leaves; `counts`: verb -> (accepted, sent).
    fn log_disconnect(&self, peer: &Peer, counts: &BTreeMap<String, (u32, u32)>) -> Option<String>;
    /// MAIL refused (authentication required).
    fn log_mail_reject(&self, peer: &Peer, env: &Envelope, reply: &Reply) -> String;
    /// RCPT refused; `to` with angle brackets, `qid` if the transaction has one.
    fn log_rcpt_reject(&self, peer: &Peer, qid: Option<&str>, env: &Envelope, to: &str, reply: &Reply) -> String;
    /// The transaction got its queue id at the first accepted recipient;
    /// `sasl` is `(mechanism, user)` of an authenticated client,
    /// `sasl_sender` the MAIL command's `AUTH=` mailbox.
    fn log_client(
        &self,
        qid: &str,
        peer: &Peer,
        sasl: Option<(&str, &str)>,
        sasl_sender: Option<&str>,
    ) -> Option<String>;
    /// An AUTH exchange ended.
    fn log_auth(&self, peer: &Peer, user: &str, mechanism: &str, ok: bool) -> Option<String>;
    /// A message entered the queue.
    fn log_arrival(&self, a: &Arrival) -> Vec<(Program, String)>;
    /// The sender of a message that came by SMTP as [`Persona::log_arrival`]
    /// writes it (`from=`): `<>` or `<local@domain>`, the lab's form.
    fn arrival_from(&self, env: &Envelope) -> String {
        env.from.bracketed()
    }
    /// A message refused for its hop count.
    fn log_hops(&self, qid: &str, reply: &Reply) -> String {
        format!("{qid}: {}", reply.one_line())
    }

    // --- Mail authentication (the OpenDMARC milter on either flavour) ---

    /// The end-of-DATA refusal of a message whose From: domain's DMARC
    /// policy is `p=reject` and that failed: OpenDMARC's `RejectFailures`
    /// reply (opendmarc.c: `"rejected by DMARC policy for %s"` with
    /// `DMARC_REJECT_SMTP` 550 and `DMARC_REJECT_ESC` 5.7.1).
    fn dmarc_reject(&self, domain: &str) -> Reply {
        Reply::new(550, format!("5.7.1 rejected by DMARC policy for {domain}"))
    }
    /// The MTA's log line for a message a milter refused at the end of DATA.
    fn log_milter_reject(&self, qid: &str, peer: &Peer, env: &Envelope, reply: &Reply) -> String;

    // --- DNS blocklists (RFC 5782) ---

    /// Does the flavour look the client up in its DNSBLs when it connects
    /// (sendmail: `FEATURE(dnsbl)` in the check_relay ruleset) rather than
    /// at each RCPT (Postfix: `reject_rbl_client` with the default
    /// `smtpd_delay_reject = yes`)?
    fn dnsbl_at_connect(&self) -> bool;
    /// Does it also ask the list's TXT record, to quote its reason?
    fn dnsbl_asks_reason(&self) -> bool;
    /// The refusal of a client whose address is listed at `zone`.
    fn dnsbl_reject(&self, ip: Ipv4Addr, zone: &str, reason: Option<&str>) -> Reply;
    /// The maillog line of a client refused when it connected (sendmail's
    /// check_relay); `None` when the flavour logs refusals per command.
    fn log_connect_reject(&self, peer: &Peer, reply: &Reply) -> Option<String>;
    /// The refusal to relay for a client whose name is forged, when the
    /// flavour words it apart from [`Persona::relay_denied`] (sendmail's
    /// Relay_ok ruleset: `{client_resolve}` is FORGED).
    fn relay_denied_forged(&self, _to: &str, _ip: Ipv4Addr) -> Option<Reply> {
        None
    }
    /// The maillog line when a client's PTR name `name` does not lead back
    /// to `ip`; `why`: the resolver's reason when the name has no address at all.
    fn log_forged(&self, name: &str, ip: Ipv4Addr, why: Option<&str>) -> Option<String>;
    /// The maillog lines of a configuration reload (a `configure` step);
    /// `queue_interval`: how often the daemon runs its queue (sendmail's `-q`).
    fn log_reload(&self, queue_interval: std::time::Duration) -> Vec<(Program, String)>;
    /// A refusal by the access database: `subject` is the address in angle
    /// brackets (unused for the client); `custom` is an `ERROR:` entry's
    /// (status, code, text).
    fn access_reply(&self, what: AccessCheck, peer: &Peer, subject: &str, custom: Option<(&str, u16, &str)>) -> Reply;
    /// The maillog line of a refusal (`reply`) or, with `None`, a DISCARD by
    /// the access database, for `what` = `subject`; `env` is the transaction
    /// and the recipient (`<a@b>`) being answered, at RCPT.
    fn log_access(
        &self,
        what: AccessCheck,
        peer: &Peer,
        qid: Option<&str>,
        env: Option<(&Envelope, &str)>,
        subject: &str,
        reply: Option<&Reply>,
    ) -> String;
    /// The maillog line when a DNSBL look-up of `query` fails: `temporary`
    /// for a timeout or SERVFAIL, else a refusal such as REFUSED.
    fn log_dnsbl_error(&self, query: &str, temporary: bool) -> Option<String>;

    // --- the queue ---

    fn queue_times(&self) -> QueueTimes;
    /// The diagnostic type of a DSN for a failure that is not an SMTP reply.
    fn diagnostic_type(&self) -> &'static str;
    /// What a success report says of a local delivery (`what`: "delivered
    /// to mailbox", "delivered to command: …"), after the diagnostic type.
    fn delivered_diagnostic(&self, what: &str) -> String {
        what.to_string()
    }
    /// How a local alias expanding to `targets` addresses carries the
    /// recipient's DSN request (RFC 3461 §5.2.7).
    fn alias_dsn(&self, targets: usize) -> AliasDsn;
    /// Which later recipient of a message is a duplicate of an earlier one.
    fn duplicates(&self) -> Duplicates;
    /// What an `expanded` success report says of an alias, after the
    /// diagnostic type.
    fn alias_expanded_diagnostic(&self) -> String;
    /// Does a report's text name the address a recipient was expanded from
    /// (`<a@x> (expanded from <team@x>): …`)?
    fn dsn_names_expansion(&self) -> bool {
        false
    }
    /// The name of the next hop an address literal (`user@[ip]`) leads to,
    /// as the delivery lines write it before `[ip]`.
    fn literal_host(&self, ip: Ipv4Addr) -> String;
    /// Why a connection to the next hop failed.
    fn connect_failure(&self, err: &std::io::Error, name: &str, ip: Ipv4Addr, port: u16) -> String;
    /// Local delivery adds `Delivered-To:` under `Return-Path:`.
    fn writes_delivered_to(&self) -> bool;
    /// Delivered to a mailbox, or piped to `program`.
    fn log_delivered(&self, a: &Attempt, program: Option<&str>) -> (Program, String);
    /// The next hop `via` (`name [ip]`) took it after `xdelay` with `reply`.
    fn log_relayed(&self, a: &Attempt, via: &str, xdelay: Duration, reply: &str) -> String;
    /// How the flavour words a recipient's failure, permanent or (with
    /// `transient`) for now: its status, reason, diagnostic and the rest.
    fn trouble(&self, t: &Trouble, rcpt: &str, transient: bool) -> Words;
    /// A recipient deferred until the queue lifetime ran out: the words of
    /// its failure (`w`: those of its last deferral; `via`: the next hop
    /// it last tried, `name [ip]`).
    fn expired(&self, w: &Words, lifetime: Duration, via: Option<&str>, rcpt: &str) -> Words;
    /// Does the last attempt of an expired recipient log as a deferral
    /// (sendmail: the bounce comes from dropenvelope(), after it) rather
    /// than as a bounce?
    fn logs_expiry_as_deferral(&self) -> bool {
        false
    }
    /// A recipient waits for the next try; `w` from [`Persona::trouble`].
    fn log_deferred(&self, a: &Attempt, w: &Words, xdelay: Duration) -> String;
    /// A recipient failed for good; `remote_mta` is the host that refused it.
    fn log_bounced(&self, a: &Attempt, w: &Words, remote_mta: Option<&str>, xdelay: Duration) -> String;
    /// The message left the queue.
    fn log_removed(&self, qid: &str) -> Option<String>;
    /// A report `new_qid` about `qid` was queued for `to`; `reason` is what
    /// the report is about (the last failure's reason); `waited`: a delay
    /// warning's interval.
    fn log_dsn(&self, qid: &str, new_qid: &str, kind: DsnKind, to: ReportTo, reason: &str, waited: Duration) -> String;
    /// What becomes of a failure report that cannot be delivered: it came
    /// from the null sender, so no bounce can go back (RFC 5321 §4.5.5).
    fn double_bounce(&self) -> DoubleBounce;

    // --- delivery status notifications ---

    /// The display name of the DSN's From: (`MAILER-DAEMON@host`).
    fn dsn_sender(&self) -> &'static str;
    /// A Message-ID the MTA makes for message `qid` at `now`, without
    /// angle brackets.
    fn message_id(&self, now: DateTime<FixedOffset>, qid: &str, host: &str) -> String;
    /// The fields (each with its CRLF) the MTA adds to a message that has
    /// no `Date:` (`no_date`) or no `Message-ID:` (`no_msgid`), received at
    /// `arrival` as `qid` from a client on the host itself (`own_client`)
    /// or elsewhere; and whether they go at the top, under the MTA's
    /// `Received:`, rather than at the end of the header section.
    fn missing_headers(
        &self,
        no_date: bool,
        no_msgid: bool,
        own_client: bool,
        arrival: DateTime<FixedOffset>,
        qid: &str,
        host: &str,
    ) -> (Vec<String>, bool);
    /// The whole report, header and body (without `Received:`).
    fn dsn_message(&self, r: &DsnFacts) -> Vec<u8>;
    /// The Subject: of a DSN; `waited` is how long a delayed message has waited, as written.
    fn dsn_subject(&self, kind: DsnKind, waited: &str) -> String;
    /// Does a failure report without `RET=` return the whole message rather
    /// than its header section? Both flavours do: Postfix's bounce(8) "a
    /// full copy is sent to the originator", sendmail unless its
    /// PrivacyOptions say `nobodyreturn`. Success reports return only the
    /// headers in both (Postfix's bounce_trace_service.c, sendmail's
    /// "Return receipt"; RFC 3461 §4.3).
    fn dsn_returns_full_by_default(&self) -> bool {
        true
    }
}

/// `data` as an MTA's client sends it with a line limit of `limit` octets
/// (CRLF not counted): a longer line is cut, `mark` ends the part cut off,
/// and the rest goes on in a new line that starts with a space (which
/// counts toward that line's limit). `None` if no line is that long.
pub fn fold_lines(data: &[u8], limit: usize, mark: &[u8]) -> Option<Vec<u8>> {
    let eol_len = |l: &[u8]| {
        if l.ends_with(b"\r\n") { 2 } else { usize::from(l.ends_with(b"\n")) }
    };
    let long = data.split_inclusive(|&b| b == b'\n').any(|l| l.len() - eol_len(l) > limit);
    if !long || limit <= mark.len() + 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + 2 * data.len() / limit * (mark.len() + 3));
    for line in data.split_inclusive(|&b| b == b'\n') {
        let (mut body, eol) = line.split_at(line.len() - eol_len(line));
        // `slop`: the space that begins a continuation line.
        let mut slop = 0;
        while body.len() + slop > limit {
            let (head, rest) = body.split_at(limit - slop - mark.len());
            out.extend_from_slice(head);
            out.extend_from_slice(mark);
            out.extend_from_slice(b"\r\n ");
            body = rest;
            slop = 1;
        }
        out.extend_from_slice(body);
        out.extend_from_slice(eol);
    }
    Some(out)
}
