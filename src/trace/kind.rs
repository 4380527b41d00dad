//! Every kind of trace event, with its metadata in one place: its name (as
//! written in JSON, expectations and lessons), who records it, the fields it
//! carries and what it means. The book's table of kinds is checked against
//! [`Kind::markdown_table`]; `maillab check` checks scenario and lesson
//! kinds against [`Kind::from_name`].

use super::field::Field;
use crate::base::diag::tr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Who writes an event of a kind into the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The server of a connection (`host` is the server, `peer` the client).
    Server,
    /// The client of a connection or a MUA (`host` is the client).
    Client,
    /// An MTA, list server or mail store about its own work (queue, log, delivery).
    Host,
    /// The run itself: steps, faults, expectations (`host` is `scenario`).
    Scenario,
    /// The simulated network (raw segments for a capture).
    Network,
}

macro_rules! kinds {
    ($( $(#[$m:meta])* $v:ident = $name:literal, $side:ident, [$($f:ident),*], $desc:literal; )*) => {
        /// What happened. Serialised as its dotted name (`smtp.reply`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $( $(#[$m])* $v ),* }

        impl Kind {
            /// Every kind, in the order of the book's table.
            pub const ALL: &'static [Kind] = &[ $( Kind::$v ),* ];

            /// The dotted name, as in JSON lines and expectations.
            pub fn name(self) -> &'static str {
                match self { $( Kind::$v => $name ),* }
            }
            /// Who records events of this kind.
            pub fn side(self) -> Side {
                match self { $( Kind::$v => Side::$side ),* }
            }
            /// The fields events of this kind may carry besides the common ones.
            pub fn fields(self) -> &'static [Field] {
                match self { $( Kind::$v => &[ $( Field::$f ),* ] ),* }
            }
            /// What an event of this kind means (Markdown, as in the book).
            pub fn description(self) -> &'static str {
                match self { $( Kind::$v => $desc ),* }
            }
        }
    };
}

kinds! {
    SmtpCmd = "smtp.cmd", Server, [Tls],
        "a command line the SMTP server received (AUTH data masked unless `show_secrets`)";
    SmtpReply = "smtp.reply", Server, [Code, Tls],
        "one reply line the SMTP server sent";
    SmtpData = "smtp.data", Server, [Octets, Tls],
        "the message content the SMTP server received after `DATA`";
    AuthSpf = "auth.spf", Server, [Result, Domain],
        "an MTA with `check_auth` checked SPF (RFC 7208) at the end of `DATA`: may the client's address send mail for the MAIL FROM domain? `result` (`pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror`), the reason in the line";
    AuthDkim = "auth.dkim", Server, [Result, Domain],
        "an MTA with `check_auth` verified a `DKIM-Signature:` (RFC 6376) with the key published at `SELECTOR._domainkey.DOMAIN`: `result`, the signing `domain` (`d=`); `none` when the message is not signed";
    AuthDmarc = "auth.dmarc", Server, [Result, Domain, Policy, Disposition],
        "an MTA with `check_auth` applied DMARC (RFC 7489): does an SPF or DKIM pass align with the From: `domain`? `result`, the `policy` the domain publishes and what the MTA does (`dis=`, the `disposition`: the policy, or one step down when `pct=` left the message out of the sample; quarantined mail goes to the recipient's `Junk`)";
    AuthSign = "auth.sign", Host, [Qid, Domain],
        "an MTA with `dkim:` signed a message it queued: the `DKIM-Signature:` field for `domain` (`d=`) was added";
    Pop3Cmd = "pop3.cmd", Server, [Tls],
        "a command line the POP3 server of a `mailstore` received (the password masked)";
    Pop3Reply = "pop3.reply", Server, [Tls],
        "one line the POP3 server sent";
    ImapCmd = "imap.cmd", Server, [Tls],
        "a command line the IMAP server of a `mailstore` received (the password masked)";
    ImapReply = "imap.reply", Server, [Tls],
        "one line the IMAP server sent";
    TcpConnect = "tcp.connect", Client, [Step],
        "a client opened a connection (`host` is the client)";
    TcpAccept = "tcp.accept", Server, [],
        "a server accepted a connection";
    TcpClose = "tcp.close", Server, [],
        "the server closed the connection";
    TcpRefuse = "tcp.refuse", Server, [Ip, Count],
        "a server turned a connection away at once: too many sessions of the service (`count` at once), or too many from one client address (`ip`); the protocol's refusal follows (SMTP `421 4.7.0`, POP3 `-ERR [SYS/TEMP]`, IMAP `* BYE`; DNS over TCP closes unanswered)";
    AcceptError = "tcp.accept_error", Server, [Failures],
        "`maillab serve` only: a listener could not take a connection (e.g. the process is out of file descriptors); it waits 100 ms and tries again. One line when the trouble starts and one, with the number of `failures`, when connections are taken again";
    TlsHandshake = "tls.handshake", Server, [TlsVersion, Cipher, Subject],
        "a TLS handshake finished (after `STARTTLS`/`STLS`, or at once on an implicit-TLS port): version, cipher suite, the server certificate's subject; every later line of the connection carries `tls: true` (it crossed the network encrypted)";
    TlsError = "tls.error", Server, [],
        "a TLS handshake failed, or TLS was asked for and could not be had; the connection ends (`host` is the end that noticed)";
    TcpError = "tcp.error", Client, [Step],
        "a connection could not be opened: refused, or timed out";
    DnsQuery = "dns.query", Server, [Id],
        "the DNS host received a question (`host` is the DNS server, `peer` who asked)";
    DnsAnswer = "dns.answer", Server, [Id, Rcode],
        "the DNS host answered";
    DnsTimeout = "dns.timeout", Client, [],
        "a host's DNS look-up got no answer in time (`host` is the one that asked)";
    DnsError = "dns.error", Server, [],
        "the DNS host received a query it could not read";
    Log = "log", Host, [Flavour, Program],
        "a maillog line";
    QueueAdd = "queue.add", Host, [Qid, Rcpts],
        "a message entered an MTA's queue";
    QueueRetry = "queue.retry", Host, [Qid],
        "a new delivery attempt for a queued message";
    QueueRoute = "queue.route", Host, [Qid, Domain, Ip],
        "the queue sends mail for an address literal (`user@[192.0.2.25]`, the `domain`) straight to its address (`ip`): no MX or A look-up (RFC 5321 §4.1.3; Postfix and sendmail alike, when no smarthost takes the mail)";
    QueueDeferred = "queue.deferred", Host, [Qid, Rcpt],
        "a recipient must wait for a retry; the line gives the reason and the wait";
    QueueDone = "queue.done", Host, [Qid],
        "every recipient of a queued message has been dealt with; it leaves the queue";
    QueueLeft = "queue.left", Host, [Qid, Rcpts],
        "a message still queued when the run ended";
    Relay = "relay", Host, [Qid, Rcpt],
        "a recipient handed to the next MTA, which accepted it";
    Deliver = "deliver", Host, [Qid, Mailbox, Message],
        "a message put into a local mailbox";
    Bounce = "bounce", Host, [Qid, Rcpt, Status],
        "a recipient failed for good; a bounce goes to the sender";
    BounceDiscard = "bounce.discard", Host, [Qid],
        "no bounce sent: the message came from the null sender, or the sender asked NOTIFY without FAILURE (RFC 3461)";
    AliasExpand = "alias.expand", Host, [Qid, Rcpt, Added],
        "an MTA replaced a local alias by the addresses it stands for";
    RcptDuplicate = "rcpt.duplicate", Host, [Qid, Rcpt],
        "a recipient reached twice in one message gets one copy; the second is dropped (sendmail: the same address, given itself or through an alias, and a NOTIFY it asked may join a kept address an alias gave; Postfix: the same address, given as the same recipient with the same DSN request)";
    ListReceive = "list.receive", Host, [Qid, Rcpt],
        "a `list` host's MTA handed a message to the list server; the line says which of the list's addresses it came to (`posting address`, `command address`, `administrator address`)";
    ListSend = "list.send", Host, [List, What, Qid, Rcpts],
        "the list server queued a message of its own as a local submission, from `NAME-admin@`; `what` is `distribute`, `reply`, `notice`, `forward`, `article` or `digest`";
    ListDistribute = "list.distribute", Host, [List, Who],
        "a post was numbered, archived and sent out; the line counts the members who get it now, in the next digest, or not at all";
    ListHold = "list.hold", Host, [List, Who],
        "a post from someone who may not post was kept for a moderator (`others: hold`), with its key";
    ListApprove = "list.approve", Host, [List, Who],
        "a moderator approved a held post (it is then distributed)";
    ListReject = "list.reject", Host, [List, Who],
        "a post from someone who may not post was refused, with the reason to the sender and a notice to the administrators (`others: reject`)";
    ListContent = "list.content", Host, [List, Who],
        "a post with attachments was refused on an `attachments: reject` list, with the list of its parts to the sender and a notice to the administrators";
    ListDecline = "list.decline", Host, [List, Who],
        "a moderator turned a held post down with `reject KEY` (only a sender who is a member is told)";
    ListIgnore = "list.ignore", Host, [List, Who],
        "a message was dropped without an answer: a post from someone who may not post (`others: ignore`), a post over `max_size` with `too_large: ignore`, or command mail from `<>` or an automatic sender";
    ListSize = "list.size", Host, [List, Who],
        "a post or command mail over `max_size` was refused, and the sender told why (`too_large: reject`)";
    ListStrip = "list.strip", Host, [List, Who],
        "attachments were removed from a post before distribution (`attachments: strip`)";
    ListLoop = "list.loop", Host, [List, Who],
        "a post that already carried this list's `X-ML-Name:` was dropped (a mail loop)";
    ListForward = "list.forward", Host, [List, Who],
        "mail for the administrators (to `NAME-admin@`, or from `<>` to the posting address) was passed on to them";
    ListBounce = "list.bounce", Host, [List, Who],
        "a bounce reached `NAME-admin@`; the line names the failed member or address and the status code. A second line counts a member's permanent (`5.x.x`) failures until `bounce_limit` is reached (`… has bounced 1 time(s); delivery stops at 2`)";
    ListDisable = "list.disable", Host, [List, Who],
        "a member's address reached `bounce_limit` permanent bounces: no more mail is sent there (delivery `nomail`; still a member), and the administrators are told";
    ListCommand = "list.command", Host, [List, Who],
        "a command mail arrived at `NAME-ctl@`: how many command lines were read (up to and including an `end`); `who` is the sender";
    ListSubscribe = "list.subscribe", Host, [List, Who],
        "a join request: a confirmation key was sent, or (`subscribe: admin_only`) the request was passed to the administrators";
    ListConfirm = "list.confirm", Host, [List, Who],
        "an address confirmed its key and now waits for the administrator (`subscribe: confirm_then_approve`)";
    ListJoin = "list.join", Host, [List, Who],
        "an address confirmed its key and became a member (`subscribe: confirm`)";
    ListUnsubscribe = "list.unsubscribe", Host, [List, Who],
        "a member left with `unsubscribe`";
    ListChaddr = "list.chaddr", Host, [List, Who],
        "a member moved to a new address with `chaddr`";
    ListDelivery = "list.delivery", Host, [List, Who],
        "a member changed how posts arrive (`digest on`, `digest off`, `digest nomail`)";
    ListAdmin = "list.admin", Host, [List, Who],
        "an `admin` command: a password accepted or refused, a member added or removed, a moderator named";
    ListDigest = "list.digest", Host, [List, Who],
        "a digest went out: its issue, the articles in it (`articles 1-3`, or `article 3` for one), how many members get it";
    PopauthAdd = "popauth.add", Host, [Ip],
        "a POP3/IMAP login opened the relay for the client's address (POP-before-SMTP)";
    PopauthExpire = "popauth.expire", Host, [Ip],
        "that address's POP-before-SMTP window has closed";
    AuthDelay = "auth.delay", Server, [Ip, Failures, DelayMs],
        "a POP3/IMAP login or an SMTP `AUTH` failed; the server holds back its negative answer (2 s, doubled for each recent failure from the same address on any of the three, at most 15 s)";
    MuaResult = "mua.result", Client, [Step, Accepted],
        "the outcome of a MUA's submission: recipients accepted, reasons for refusals";
    MuaFetch = "mua.fetch", Client, [Step, Count],
        "the outcome of a `pop3` or `imap` step: how many messages were read, or why it failed";
    MuaMessage = "mua.message", Client, [Step, Message],
        "one message a POP3/IMAP client read: subject, sender, size";
    Fault = "fault", Scenario, [],
        "a step changed the network (a host down or up, a link cut or slowed, a DNS server failing), or such a change was undone";
    Step = "step", Scenario, [Step, Note, NoteJa],
        "a step started";
    Summary = "summary", Host, [Accepted, Delivered, Relayed, Bounced, Queued],
        "per-MTA accounting at the end";
    HostExternal = "host.external", Host, [],
        "a host is played by a real server (`external`) and is not started";
    HostError = "host.error", Host, [],
        "a host's service stopped unexpectedly";
    HostConfigure = "host.configure", Host, [Step],
        "a `configure` step changed an MTA's settings (relay rules, access entries, DNSBLs, AUTH, size limit, list settings, accounts) and the MTA reloaded them; sessions already open keep the old ones";
    HttpRequest = "http.request", Server, [Code],
        "`maillab serve` only: a request to the mail-client autoconfiguration service over HTTP, with its status";
    RunStart = "run.start", Scenario, [],
        "the run started";
    RunEnd = "run.end", Scenario, [],
        "the run ended, with the virtual time it took";
    RunLimit = "run.limit", Scenario, [],
        "the run stopped at its `run_limit` with work still pending";
    ExpectPass = "expect.pass", Scenario, [ExpectLine, LineJa],
        "one expectation held";
    ExpectFail = "expect.fail", Scenario, [ExpectLine, LineJa],
        "one expectation did not hold";
    /// Raw segments and datagrams, kept only for `--pcap`; never shown.
    Wire = "wire", Network, [Src, Dst, Proto, Flags, Data],
        "one TCP segment or UDP datagram, recorded only when a capture is asked for (never in the JSON view)";
}

/// The extra fields of the book's table, per kind (the book lists only the
/// ones a reader looks for, in this order).
fn book_fields(k: Kind) -> Vec<&'static str> {
    let f: Vec<&str> = k.fields().iter().map(|f| f.name()).collect();
    match k {
        Kind::TcpConnect | Kind::TcpError => vec!["`step` when a MUA connects"],
        Kind::Log => {
            vec!["`flavour`, or `program` for the lines of the POP3/IMAP server and of the list server (`listserv`)"]
        }
        Kind::Deliver => vec!["`qid`", "`mailbox`", "`message` (the whole message)"],
        Kind::MuaMessage => vec!["`step`", "`message` (the whole message)"],
        Kind::ExpectPass | Kind::ExpectFail => {
            vec!["`expect_line` (its line in the scenario file)", "`line_ja` (the result in Japanese)"]
        }
        _ => f,
    }
}

/// A family of event kinds, for filters and colours (the browser lab's
/// event list): every kind belongs to exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Smtp,
    Dns,
    Pop3,
    Imap,
    Tcp,
    Queue,
    Maillog,
    List,
    Mua,
    Scenario,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Smtp,
        Category::Dns,
        Category::Pop3,
        Category::Imap,
        Category::Tcp,
        Category::Queue,
        Category::Maillog,
        Category::List,
        Category::Mua,
        Category::Scenario,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Category::Smtp => "smtp",
            Category::Dns => "dns",
            Category::Pop3 => "pop3",
            Category::Imap => "imap",
            Category::Tcp => "tcp",
            Category::Queue => "queue",
            Category::Maillog => "maillog",
            Category::List => "list",
            Category::Mua => "mua",
            Category::Scenario => "scenario",
        }
    }
    pub fn from_name(s: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.name() == s)
    }
}

impl Kind {
    /// A command line a server received (SMTP, POP3, IMAP).
    pub fn is_command(self) -> bool {
        matches!(self, Kind::SmtpCmd | Kind::Pop3Cmd | Kind::ImapCmd)
    }
    /// A reply line a server sent (SMTP, POP3, IMAP).
    pub fn is_reply(self) -> bool {
        matches!(self, Kind::SmtpReply | Kind::Pop3Reply | Kind::ImapReply)
    }
    /// The family this kind belongs to. POP-before-SMTP and the login delay
    /// count as `pop3` (they follow a POP3 or IMAP login), the autoconfig
    /// service's `http.request`, the TLS handshake (`tls.*`, a layer of the
    /// connection) and raw `wire` records as `tcp`, and the
    /// end-of-run accounting (`summary`) as `queue`.
    pub fn category(self) -> Category {
        use Kind::*;
        match self {
            SmtpCmd | SmtpReply | SmtpData | AuthSpf | AuthDkim | AuthDmarc | AuthSign => Category::Smtp,
            Pop3Cmd | Pop3Reply | PopauthAdd | PopauthExpire | AuthDelay => Category::Pop3,
            ImapCmd | ImapReply => Category::Imap,
            TcpConnect | TcpAccept | TcpClose | TcpRefuse | AcceptError | TcpError | TlsHandshake | TlsError
            | HttpRequest | Wire => Category::Tcp,
            DnsQuery | DnsAnswer | DnsTimeout | DnsError => Category::Dns,
            Log => Category::Maillog,
            QueueAdd | QueueRetry | QueueRoute | QueueDeferred | QueueDone | QueueLeft | Relay | Deliver | Bounce
            | BounceDiscard | AliasExpand | RcptDuplicate | Summary => Category::Queue,
            ListReceive | ListSend | ListDistribute | ListHold | ListApprove | ListReject | ListContent
            | ListDecline | ListIgnore | ListSize | ListStrip | ListLoop | ListForward | ListBounce | ListDisable
            | ListCommand | ListSubscribe | ListConfirm | ListJoin | ListUnsubscribe | ListChaddr | ListDelivery
            | ListAdmin | ListDigest => Category::List,
            MuaResult | MuaFetch | MuaMessage => Category::Mua,
            Fault | Step | HostExternal | HostError | HostConfigure | RunStart | RunEnd | RunLimit | ExpectPass
            | ExpectFail => Category::Scenario,
        }
    }
    /// A kind by its dotted name.
    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == s)
    }

    /// The known kind nearest to a misspelt name, for a "did you mean" hint.
    pub fn nearest(s: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .filter(|k| *k != Kind::Wire)
            .map(|k| (edit_distance(s, k.name()), k))
            .filter(|(d, k)| *d <= 3.max(k.name().len() / 3))
            .min_by_key(|(d, _)| *d)
            .map(|(_, k)| k)
    }

    /// The error text and hint for a name that is not a kind, in the diagnostics' language.
    pub fn unknown(s: &str) -> (String, String) {
        let hint = match Kind::nearest(s) {
            Some(k) => tr(
                format!(
                    "did you mean `{}`? (every kind is listed in the book, Running a scenario → Event kinds)",
                    k.name()
                ),
                format!(
                    "`{}` の書き間違いではありませんか? (種類はすべて本の「シナリオを実行する → イベントの種類」にあります)",
                    k.name()
                ),
            ),
            None => tr(
                "kinds look like smtp.reply, dns.answer, popauth.add, mua.fetch; every kind is listed in the book (Running a scenario → Event kinds)",
                "種類は smtp.reply、dns.answer、popauth.add、mua.fetch のような名前です。\
                 すべての種類は本の「シナリオを実行する → イベントの種類」にあります",
            ),
        };
        (tr(not_a_kind(s), format!("`{s}` はイベントの種類ではありません")), hint)
    }

    /// The book's table of kinds (book/src/running.md), made from this enum.
    /// `expect.pass` and `expect.fail` share a row; `wire` is not listed.
    pub fn markdown_table() -> String {
        let mut s = String::from("| `kind` | meaning | extra fields |\n|---|---|---|\n");
        for k in Kind::ALL.iter().copied() {
            match k {
                Kind::Wire | Kind::ExpectFail => continue,
                Kind::ExpectPass => {
                    s.push_str("| `expect.pass`, `expect.fail` | one expectation's result | ");
                }
                _ => s.push_str(&format!("| `{}` | {} | ", k.name(), k.description())),
            }
            let f = book_fields(k);
            let f: Vec<String> =
                f.iter().map(|x| if x.starts_with('`') { x.to_string() } else { format!("`{x}`") }).collect();
            s.push_str(&f.join(", "));
            s.push_str(if f.is_empty() { "|\n" } else { " |\n" });
        }
        s
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kind::from_name(&s).ok_or_else(|| serde::de::Error::custom(not_a_kind(&s)))
    }
}

/// A trace read back names a kind this build does not know (always English, as serde's own errors are).
fn not_a_kind(s: &str) -> String {
    format!("`{s}` is not an event kind")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.name()), "{} twice", k.name());
            assert_eq!(Kind::from_name(k.name()), Some(*k));
            assert_eq!(serde_json::to_string(k).ok(), Some(format!("\"{}\"", k.name())));
        }
        assert_eq!(Kind::from_name("smtp.replies"), None);
    }

    #[test]
    fn a_misspelt_kind_gets_a_hint() {
        assert_eq!(Kind::nearest("smtp.replay"), Some(Kind::SmtpReply));
        assert_eq!(Kind::nearest("list.distibute"), Some(Kind::ListDistribute));
        assert_eq!(Kind::nearest("queue.deffered"), Some(Kind::QueueDeferred));
        assert_eq!(Kind::nearest("nothing.like.it.at.all"), None);
        assert!(Kind::unknown("popauth.ad").1.contains("`popauth.add`"));
    }

    #[test]
    fn the_books_table_is_made_from_the_enum() {
        let book = include_str!("../../book/src/running.md");
        let table = Kind::markdown_table();
        assert!(
            book.contains(&table),
            "book/src/running.md's table of event kinds differs from trace::Kind; replace it with:\n{table}"
        );
    }
}
