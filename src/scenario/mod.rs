//! Scenarios: the lab's networks and what happens in them.
//!
//! [`raw`] is the file as written; [`load`] reads it with serde-saphyr and
//! checks it into the [`Scenario`] model below, where every reference is
//! resolved (host names to indices, addresses parsed, durations in
//! `Duration`), so the simulator never meets a bad value.

pub mod access;
pub mod load;
pub mod placeholders;
pub mod raw;
pub mod vary;

use crate::proto::dns::ZoneRecord;
use crate::proto::smtp::Flavour;
use chrono::{DateTime, FixedOffset};
use std::net::Ipv4Addr;
use std::time::Duration;

// Duration text lives with the list server, the lowest layer that writes it; kept here under its old paths.
pub use crate::listserv::duration::{format_duration, parse_duration};
pub use raw::Text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Mua,
    Relay,
    Hub,
    Mx,
    /// An MX that also serves its mailboxes over POP3 and IMAP.
    Mailstore,
    /// An MX that runs mailing lists (posting, -ctl and -admin addresses).
    List,
    Dns,
}

impl Role {
    pub const ALL: [(&'static str, Role); 7] = [
        ("mua", Role::Mua),
        ("relay", Role::Relay),
        ("hub", Role::Hub),
        ("mx", Role::Mx),
        ("mailstore", Role::Mailstore),
        ("list", Role::List),
        ("dns", Role::Dns),
    ];
    pub fn name(self) -> &'static str {
        Role::ALL.iter().find(|(_, r)| *r == self).map(|(n, _)| *n).unwrap_or("?")
    }
    pub fn is_mta(self) -> bool {
        matches!(self, Role::Relay | Role::Hub | Role::Mx | Role::Mailstore | Role::List)
    }
    /// Receives mail for its own domains into local mailboxes.
    pub fn is_final(self) -> bool {
        matches!(self, Role::Mx | Role::Mailstore | Role::List)
    }
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub file: String,
    pub name: String,
    pub title: Text,
    pub description: Text,
    pub start: DateTime<FixedOffset>,
    pub seed: u64,
    pub latency: Duration,
    pub links: Vec<(usize, usize, Duration)>,
    /// The run stops after this much virtual time even if mail is still queued.
    pub run_limit: Duration,
    pub hosts: Vec<Host>,
    pub users: Vec<User>,
    pub steps: Vec<Step>,
    pub expect: Vec<Expect>,
    /// The per-student values this scenario was loaded with (`variants:`; empty without).
    pub variant: vary::Variant,
    /// What `maillab check` warns about (the scenario runs, but likely not as meant).
    pub warnings: Vec<crate::base::diag::Diagnostic>,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub address: Ipv4Addr,
    pub hostname: String,
    pub role: Role,
    pub mta: Option<MtaConfig>,
    pub dns: Option<DnsConfig>,
    /// Played by a real server elsewhere (only in `maillab serve`); not started here.
    pub external: Option<std::net::SocketAddrV4>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub net: Ipv4Addr,
    pub bits: u8,
}

impl Cidr {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.bits == 0 { 0 } else { u32::MAX << (32 - u32::from(self.bits)) };
        (u32::from(ip) & mask) == (u32::from(self.net) & mask)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.bits)
    }
}

#[derive(Clone, Debug)]
pub struct MtaConfig {
    pub flavour: Flavour,
    /// Final-destination domains: mail for them goes into local mailboxes.
    pub domains: Vec<String>,
    pub relay_networks: Vec<Cidr>,
    pub relay_client_domains: Vec<String>,
    pub relay_to_domains: Vec<String>,
    /// DNS blocklist zones (RFC 5782) the client's address is looked up in.
    pub dnsbl: Vec<String>,
    /// The access database: `Connect:`, `From:` and `To:` entries.
    pub access: Vec<access::Entry>,
    /// Host index of the smarthost; `None` = route by DNS MX.
    pub smarthost: Option<usize>,
    /// Host index of the DNS server this MTA asks.
    pub resolver: Option<usize>,
    pub max_message_size: u64,
    /// Octets the host's queue and mailboxes may hold together, the lab's
    /// stand-in for the disk they live on (0: no limit). MAIL is refused
    /// when it runs short, as Postfix and sendmail refuse it when the
    /// queue's file system is nearly full.
    pub disk_space: u64,
    pub queue: QueueConfig,
    pub auth: AuthMode,
    pub show_secrets: bool,
    /// Also serve message submission (RFC 6409) on port 587.
    pub submission: bool,
    /// STARTTLS (SMTP; POP3 STLS and IMAP STARTTLS on a mailstore).
    pub tls: crate::proto::tls::TlsMode,
    /// Relay with BDAT (RFC 3030) to a next hop that offers CHUNKING.
    pub chunking: bool,
    /// Offer DSN (RFC 3461) in EHLO (default true).
    pub offer_dsn: bool,
    /// Refuse MAIL before HELO/EHLO (Postfix's `smtpd_helo_required`,
    /// sendmail's `needmailhelo`); default false, as both ship.
    pub helo_required: bool,
    /// Relay for a client address this long after a POP3/IMAP login from it.
    pub pop_before_smtp: Option<Duration>,
    /// Local name -> targets (full addresses, or other local names).
    pub aliases: std::collections::BTreeMap<String, Vec<String>>,
    /// Mailing lists (list hosts only).
    pub lists: Vec<crate::listserv::ListConfig>,
    /// Sign outgoing mail with DKIM (RFC 6376) for this domain and selector.
    pub dkim: Option<DkimSign>,
    /// Check incoming mail on port 25 with SPF, DKIM and DMARC, add
    /// `Authentication-Results:` and refuse what DMARC `p=reject` refuses.
    pub check_auth: bool,
}

/// A DKIM signing identity: the key's record is `SELECTOR._domainkey.DOMAIN`.
#[derive(Clone, Debug)]
pub struct DkimSign {
    pub domain: String,
    pub selector: String,
}

impl MtaConfig {
    /// The settings a reload (a `configure` step) changes, taken from
    /// `new`; the rest (flavour, domains, routes, queue, TLS, aliases)
    /// stay as the host started with them. Lists take their new settings;
    /// their members, held posts and archives stay (see `List::reconfigure`).
    pub fn reloaded(&self, new: &MtaConfig) -> MtaConfig {
        MtaConfig {
            relay_networks: new.relay_networks.clone(),
            relay_client_domains: new.relay_client_domains.clone(),
            relay_to_domains: new.relay_to_domains.clone(),
            dnsbl: new.dnsbl.clone(),
            access: new.access.clone(),
            auth: new.auth,
            max_message_size: new.max_message_size,
            helo_required: new.helo_required,
            pop_before_smtp: new.pop_before_smtp,
            lists: new.lists.clone(),
            ..self.clone()
        }
    }

    /// May this client relay to this recipient? (Local recipients never ask.)
    /// `ptr` is the client's name only when it was confirmed forwards.
    pub fn relay_allowed(&self, ip: Ipv4Addr, ptr: Option<&str>, rcpt: &crate::proto::smtp::Mailbox) -> bool {
        let under = |name: &str, d: &String| name == d || name.ends_with(&format!(".{d}"));
        let by_domain = ptr.is_some_and(|n| self.relay_client_domains.iter().any(|d| under(n, d)));
        let to_domain = self.relay_to_domains.iter().any(|d| under(&rcpt.domain, d));
        self.in_relay_networks(ip) || by_domain || to_domain
    }

    /// Is `ip` in the networks this host relays for (Postfix's `mynetworks`)?
    pub fn in_relay_networks(&self, ip: Ipv4Addr) -> bool {
        self.relay_networks.iter().any(|c| c.contains(ip))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    #[default]
    Off,
    /// AUTH is advertised; authenticated clients may relay.
    Offered,
    /// Every sender must authenticate first (530 5.7.0 otherwise).
    Required,
}

/// Overrides of the flavour's retry defaults.
#[derive(Clone, Debug, Default)]
pub struct QueueConfig {
    pub retry: Option<Duration>,
    pub max_backoff: Option<Duration>,
    pub lifetime: Option<Duration>,
    pub warn_after: Option<Duration>,
}

#[derive(Clone, Debug)]
pub struct DnsConfig {
    pub zones: Vec<(String, Vec<ZoneRecord>)>,
    pub reverse: bool,
}

#[derive(Clone, Debug)]
pub struct User {
    pub address: String,
    pub name: Option<String>,
    pub password: Option<String>,
    /// The MTA host whose local domain holds this mailbox.
    pub host: usize,
    /// Sent, Drafts, Trash and Junk exist from the start, marked for IMAP
    /// (RFC 6154 SPECIAL-USE).
    pub special_mailboxes: bool,
}

#[derive(Clone, Debug)]
pub struct Step {
    /// Virtual time offset from the start; `None` = right after the step before.
    pub at: Option<Duration>,
    pub note: Text,
    pub action: Action,
    pub line: u64,
}

#[derive(Clone, Debug)]
pub enum Action {
    Send(Box<Send>),
    Fetch(Fetch),
    Wait(Duration),
    Fault {
        fault: Fault,
        undo_after: Option<Duration>,
    },
    /// An MTA reloads its settings: those a reload changes are taken from
    /// `cfg` (see [`MtaConfig::reloaded`]); `changes` says what was set.
    Configure {
        host: usize,
        cfg: Box<MtaConfig>,
        changes: Vec<String>,
        users: Vec<UserChange>,
    },
}

/// A `configure` step's change to one account on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserChange {
    /// The address, lower case where case does not matter (the store's key).
    pub address: String,
    pub password: Option<String>,
    pub login: Option<bool>,
}

/// A change to the network, made by a step and possibly undone later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    Down(usize),
    Up(usize),
    Cut(usize, usize),
    Restore(usize, usize),
    Latency(usize, usize, Duration),
    ServFail(usize, bool),
}

#[derive(Clone, Debug)]
pub struct Send {
    pub mua: usize,
    pub via: usize,
    /// The envelope sender's address.
    pub from: String,
    /// The sender's display name for the From: header.
    pub from_name: Option<String>,
    /// The envelope recipients' addresses.
    pub to: Vec<String>,
    /// Display names for the To: header, one per recipient (empty: none).
    pub to_names: Vec<Option<String>>,
    pub header_from: Option<String>,
    /// What the mail client writes header words and the body in.
    pub charset: crate::base::rfc2047::Charset,
    pub subject: String,
    pub body: String,
    pub helo: Option<String>,
    pub headers: Vec<(String, String)>,
    pub auth: Option<SmtpAuth>,
    /// The server port the MUA connects to (25 or 587).
    pub port: u16,
    /// Fill in recipient, subject and body from a fetched message when the step runs.
    pub reply: Option<ReplyTo>,
    pub attachments: Vec<Attachment>,
    /// The DSN the sender asks for (RFC 3461), if any.
    pub dsn: Option<DsnRequest>,
}

/// What a send step asks of delivery status notifications (RFC 3461).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DsnRequest {
    /// NOTIFY for every recipient; `None`: not given.
    pub notify: Option<crate::proto::smtp::envelope::Notify>,
    pub ret: Option<crate::proto::smtp::envelope::Ret>,
    pub envid: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub octets: usize,
}

/// Which fetched message a `reply` step answers, and what it copies.
#[derive(Clone, Debug)]
pub struct ReplyTo {
    pub subject: Option<String>,
    pub keep: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SmtpAuth {
    pub user: String,
    pub password: String,
    pub mechanism: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchProtocol {
    Pop3,
    Imap,
}

#[derive(Clone, Debug)]
pub struct Fetch {
    pub protocol: FetchProtocol,
    pub mua: usize,
    pub server: usize,
    pub user: String,
    pub password: String,
    pub apop: bool,
    pub delete: bool,
    /// Over implicit TLS (995/993).
    pub tls: bool,
    /// STLS/STARTTLS on 110/143: when offered (the default if the server has TLS), never, or required.
    pub starttls: crate::proto::fetch::StartTls,
}

#[derive(Clone, Debug)]
pub struct Expect {
    pub kind: ExpectKind,
    /// Line in the scenario file, for reports.
    pub line: u64,
}

#[derive(Clone, Debug)]
pub enum ExpectKind {
    Reply { step: usize, code: u16, command: Option<String> },
    Delivered { to: String, count: Option<usize>, subject: Option<String>, contains: Option<String> },
    Header { to: String, name: String, message: usize, count: Option<usize>, contains: Option<String> },
    ReceivedChain { to: String, hops: Vec<usize>, message: usize },
    Log { host: usize, pattern: String, absent: bool },
    Fetched { step: usize, count: usize },
    Trace { kind: crate::trace::Kind, host: Option<usize>, pattern: String, absent: bool },
}

/// Load a scenario file; one with `variants:` gets its first values (see
/// [`vary`] for a student's).
pub fn load_file(path: &std::path::Path) -> Result<Scenario, crate::base::diag::Diagnostics> {
    vary::load_file(path, None)
}

/// Load a scenario source; one with `variants:` gets its first values.
pub fn load_str(src: &str, file: &str) -> Result<Scenario, crate::base::diag::Diagnostics> {
    vary::load_str(src, file, None)
}

impl Scenario {
    pub fn host_by_name(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_language_is_read_from_a_scenario() {
        use crate::listserv::Lang;
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/list-join.yaml"))
            .expect("the shipped scenario");
        let with = |lang: &str| {
            src.replace(
                "        title: Ohanashi chat\n",
                &format!("        title: Ohanashi chat\n        language: {lang}\n"),
            )
        };
        let sc = load_str(&with("ja"), "ja.yaml").unwrap_or_else(|d| panic!("{d}"));
        let list = sc.hosts.iter().filter_map(|h| h.mta.as_ref()).flat_map(|m| &m.lists).next().expect("a list");
        assert_eq!(list.language, Lang::Ja);
        let err = load_str(&with("fr"), "fr.yaml").expect_err("refused").to_string();
        assert!(err.contains("unknown language `fr`"), "{err}");
        assert!(err.contains("use en or ja"), "{err}");
    }

    #[test]
    fn a_misspelt_event_kind_is_refused_with_a_hint() {
        let src = include_str!("../../scenarios/aliases-list.yaml");
        let (good, bad) = ("kind: alias.expand", "kind: alias.expnad");
        assert!(src.contains(good), "the scenario still has an alias.expand expectation");
        assert!(super::load_str(src, "aliases-list.yaml").is_ok());
        let line = src[..src.find(good).unwrap_or(0)].lines().count() as u64;
        let Err(d) = super::load_str(&src.replacen(good, bad, 1), "aliases-list.yaml") else {
            panic!("a misspelt kind was accepted")
        };
        let d = d.0.first().expect("one diagnostic");
        assert_eq!(d.line, line);
        assert_eq!(d.message, "`alias.expnad` is not an event kind");
        assert!(d.hint.as_deref().is_some_and(|h| h.contains("did you mean `alias.expand`?")), "{d:?}");
    }

    #[test]
    fn cidr() {
        let c = Cidr { net: Ipv4Addr::new(192, 0, 2, 0), bits: 24 };
        assert!(c.contains(Ipv4Addr::new(192, 0, 2, 200)));
        assert!(!c.contains(Ipv4Addr::new(192, 0, 3, 1)));
        assert!(Cidr { net: Ipv4Addr::UNSPECIFIED, bits: 0 }.contains(Ipv4Addr::new(8, 8, 8, 8)));
    }
}
