//! The scenario file as written: serde types with source positions.
//!
//! These types mirror the YAML one to one. `deny_unknown_fields` turns a
//! misspelt key into an error with its line and column. Everything that
//! needs cross-checking (host references, addresses, durations) is kept as a
//! `Spanned` string here and checked in [`super::validate`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

pub type S<T> = Spanned<T>;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[schemars(with = "u32")]
    pub version: S<u32>,
    #[schemars(with = "String")]
    pub name: S<String>,
    #[serde(default)]
    pub title: Option<Text>,
    #[serde(default)]
    pub description: Option<Text>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub start: Option<S<String>>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub network: Option<RawNetwork>,
    pub hosts: Vec<RawHost>,
    #[serde(default)]
    pub users: Vec<RawUser>,
    #[serde(default)]
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<S<RawStep>>,
    #[serde(default)]
    #[schemars(with = "Vec<RawExpect>")]
    pub expect: Vec<S<RawExpect>>,
    /// Per-student values: `${name}` elsewhere in the file is replaced by a
    /// student's value (see `maillab run --student`).
    #[serde(default)]
    pub variants: Option<RawVariants>,
}

/// A text in English and Japanese (either may be left out).
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub en: Option<String>,
    #[serde(default)]
    pub ja: Option<String>,
}

/// The start of the reader's error for a plain value where a [`Text`] is
/// expected (`title: Hello`, `options: ["25", "587"]`), the value after it;
/// the loader words it (`load::yaml_error`).
pub const PLAIN_TEXT: &str = "a plain value where a text with its languages is expected: ";

/// A [`Text`] is a mapping of `en` and `ja`; anything else is refused with
/// [`PLAIN_TEXT`] and the value, so that the message can show how to write it.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Both {
            #[serde(default)]
            en: Option<String>,
            #[serde(default)]
            ja: Option<String>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a text with its languages (`en: …`, `ja: …`)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                let b = Both::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Text { en: b.en, ja: b.ja })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                Err(E::custom(format!("{PLAIN_TEXT}{v}")))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Text, E> {
                self.visit_str("")
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Text, E> {
                self.visit_str("")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub latency: Option<S<String>>,
    #[serde(default)]
    pub links: Vec<RawLink>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub run_limit: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    #[schemars(with = "Vec<String>")]
    pub between: S<Vec<S<String>>>,
    #[schemars(with = "String")]
    pub latency: S<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHost {
    #[schemars(with = "String")]
    pub name: S<String>,
    #[schemars(with = "String")]
    pub address: S<String>,
    #[schemars(with = "String")]
    pub role: S<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub hostname: Option<S<String>>,
    // --- MTA settings (relay, hub, mx) ---
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub flavour: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub domains: Vec<S<String>>,
    #[serde(default)]
    pub allow_relay: Option<RawRelay>,
    /// DNS blocklists (RFC 5782): zones the client's address is looked up in
    /// (`d.c.b.a.zone` A); a listed client is refused in the flavour's words.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub dnsbl: Vec<S<String>>,
    /// The access database, one entry a line as in sendmail's /etc/mail/access:
    /// `Connect:192.0.2 RELAY`, `From:spammer@example.com REJECT`,
    /// `To:partner.example RELAY`, `Connect:bad.example ERROR:5.7.1:550 text`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub access: Vec<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub smarthost: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub resolver: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub max_message_size: Option<S<u64>>,
    /// Octets of disk for the host's queue and mailboxes (0: no limit).
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub disk_space: Option<S<u64>>,
    #[serde(default)]
    pub queue: Option<RawQueue>,
    /// Like /etc/aliases: a local name expands to other addresses or names.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Vec<String>>")]
    pub aliases: IndexMap<String, S<Vec<S<String>>>>,
    /// SMTP AUTH: off (default), offered, or required.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub auth: Option<S<String>>,
    /// Show passwords and AUTH data in the trace instead of masking them.
    #[serde(default)]
    pub show_secrets: Option<bool>,
    /// Also listen on port 587 for message submission (RFC 6409): AUTH is
    /// offered there and required before MAIL, and only users who logged in may relay.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub submission: Option<S<bool>>,
    /// TLS with a certificate from the lab CA: off (default), offered (STARTTLS) or
    /// required (530 5.7.0 Must issue a STARTTLS command first before it).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tls: Option<S<String>>,
    /// Send relayed mail with BDAT (RFC 3030 CHUNKING) when the next hop offers it,
    /// instead of DATA (default false).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub chunking: Option<S<bool>>,
    /// Offer DSN (RFC 3461) in the EHLO reply (default true, as Postfix and sendmail do);
    /// false: as Postfix with `smtpd_discard_ehlo_keywords = dsn` or sendmail with
    /// `PrivacyOptions=noreceipts` (DSN parameters are then refused).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub offer_dsn: Option<S<bool>>,
    /// Refuse MAIL before HELO/EHLO with 503 (default false: both flavours take it,
    /// as they ship): Postfix with `smtpd_helo_required = yes` (`503 5.5.1 Error: send
    /// HELO/EHLO first`, also to AUTH), sendmail with `PrivacyOptions=needmailhelo`
    /// (`503 5.0.0 Polite people say HELO first`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub helo_required: Option<S<bool>>,
    /// Mailing lists served by a list host: name (or name@domain) -> settings.
    #[serde(default)]
    pub lists: IndexMap<String, RawList>,
    /// Sign outgoing mail with DKIM: `{domain: example.com, selector: mail}`. The key
    /// pair comes from the scenario seed; its record is published in the DNS host's zone.
    #[serde(default)]
    pub dkim: Option<RawDkim>,
    /// Check incoming mail (port 25) with SPF, DKIM and DMARC, add
    /// Authentication-Results: and refuse mail a DMARC p=reject policy refuses.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub check_auth: Option<S<bool>>,
    // --- DNS settings ---
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Vec<String>>")]
    pub zones: IndexMap<String, Vec<S<String>>>,
    #[serde(default)]
    pub reverse_dns: Option<bool>,
    /// A real server elsewhere (`address:port`) that plays this host in `maillab serve`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub external: Option<S<String>>,
}

/// A DKIM signing identity of an MTA.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDkim {
    /// The signing domain (`d=`): the domain of the From: addresses signed.
    #[schemars(with = "String")]
    pub domain: S<String>,
    /// The selector (`s=`): the key's record is SELECTOR._domainkey.DOMAIN.
    #[schemars(with = "String")]
    pub selector: S<String>,
}

/// A mailing list on a `list` host: NAME@ posts, NAME-ctl@ takes command mail, NAME-admin@ reaches the admins.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawList {
    /// participatory (members post; the default) or moderated (only moderators post).
    #[serde(default, rename = "type")]
    #[schemars(with = "Option<String>")]
    pub kind: Option<S<String>>,
    /// A description, shown in List-Id: and the guide (one line).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub title: Option<S<String>>,
    /// Addresses of the people who run the list (mail to NAME-admin goes to them).
    #[schemars(with = "Vec<String>")]
    pub admin: S<Vec<S<String>>>,
    /// Password for `admin pass` in command mail; without one there is no remote administration.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub moderators: Vec<S<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub members: Vec<S<String>>,
    /// Members who do not get each post: address -> digest | nomail (each is the default).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub delivery: IndexMap<String, S<String>>,
    /// Posts from someone who may not post: reject (default of participatory lists), hold (default of moderated lists) or ignore.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub others: Option<S<String>>,
    /// Largest post in octets; larger ones are handled as `too_large` says.
    #[serde(default)]
    pub max_size: Option<u64>,
    /// reject (default: tell the sender) or ignore.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub too_large: Option<S<String>>,
    /// keep (default), strip (distribute only the text) or reject.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub attachments: Option<S<String>>,
    /// confirm (default), confirm_then_approve or admin_only.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub subscribe: Option<S<String>>,
    /// Put `[name:00012]` in front of each subject (default true).
    #[serde(default)]
    pub subject_tag: Option<bool>,
    /// Add `Reply-To:` the list unless the poster set one (default true).
    #[serde(default)]
    pub reply_to_list: Option<bool>,
    #[serde(default)]
    pub digest: Option<RawDigest>,
    /// The text the `guide` command sends (a description of the list is made up otherwise).
    #[serde(default)]
    pub guide: Option<String>,
    /// Stop sending to a member after this many permanent bounces (default 5; 0 = never).
    #[serde(default)]
    pub bounce_limit: Option<u32>,
    /// The language of the mail the list writes for people (replies, notices, help, guide, digests' contents): en (default) or ja.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub language: Option<S<String>>,
}

/// When and how digests go out.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    /// How often (default 1d).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub every: Option<S<String>>,
    /// mime (default; multipart/digest) or rfc1153 (plain text).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub format: Option<S<String>>,
}

/// How an MTA retries what it cannot deliver now.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Wait before the first retry.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub retry: Option<S<String>>,
    /// Later waits double up to this.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_backoff: Option<S<String>>,
    /// Give up (bounce) after this long.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub lifetime: Option<S<String>>,
    /// Send one "delayed" notice to the sender after this long.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub warn_after: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRelay {
    /// Client networks (CIDR) allowed to relay.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub networks: Vec<S<String>>,
    /// Client domains (by the client's reverse DNS name) allowed to relay.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub client_domains: Vec<S<String>>,
    /// Destination domains this host relays to for anyone (a backup MX, a gateway).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub to_domains: Vec<S<String>>,
    /// After a POP3/IMAP login on this host, relay for that address this long.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub pop_before_smtp: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    #[schemars(with = "String")]
    pub address: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Give the mailbox Sent, Drafts, Trash and Junk folders, marked for
    /// IMAP clients as RFC 6154 special-use mailboxes.
    #[serde(default)]
    pub special_mailboxes: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub at: Option<S<String>>,
    #[serde(default)]
    pub note: Option<Text>,
    #[serde(default)]
    pub send: Option<RawSend>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub wait: Option<S<String>>,
    /// Take a host off the network (it answers nothing), optionally for a while.
    #[serde(default)]
    pub down: Option<RawHostFault>,
    /// Bring a host back.
    #[serde(default)]
    pub up: Option<RawHostFault>,
    /// Cut the link between two hosts.
    #[serde(default)]
    pub cut: Option<RawLinkFault>,
    /// Give a link a new latency.
    #[serde(default)]
    pub slow: Option<RawLinkFault>,
    /// Make a DNS host answer SERVFAIL to every query.
    #[serde(default)]
    pub servfail: Option<RawHostFault>,
    /// A MUA answers a message it fetched before (e.g. a list's confirmation request).
    #[serde(default)]
    pub reply: Option<RawReply>,
    /// A MUA downloads mail with POP3.
    #[serde(default)]
    pub pop3: Option<RawFetch>,
    /// A MUA reads mail with IMAP.
    #[serde(default)]
    pub imap: Option<RawFetch>,
    /// Change a running MTA's settings, as an administrator who edits its
    /// configuration and reloads the daemon.
    #[serde(default)]
    pub configure: Option<RawConfigure>,
}

/// `configure: {host: NAME, set: {...}}`: new values for some of an MTA
/// host's own keys. A key given replaces the host's value of that key; the
/// others stay. Sessions already open keep the old settings.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfigure {
    #[schemars(with = "String")]
    pub host: S<String>,
    #[schemars(with = "RawSet")]
    pub set: S<RawSet>,
}

/// The keys a `configure` step may set, written as on the host.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSet {
    /// Who may relay (replaces the host's `allow_relay:` as a whole).
    #[serde(default)]
    pub allow_relay: Option<RawRelay>,
    /// The access database (replaces every entry).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub access: Option<Vec<S<String>>>,
    /// DNS blocklist zones (`[]`: none).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub dnsbl: Option<Vec<S<String>>>,
    /// SMTP AUTH: off, offered or required.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub auth: Option<S<String>>,
    /// The largest message accepted, in octets.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub max_message_size: Option<S<u64>>,
    /// Refuse MAIL before HELO/EHLO with 503 (as the host's `helo_required`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub helo_required: Option<S<bool>>,
    /// Settings of the host's mailing lists: list name (as under the host's
    /// `lists:`) -> the settings that change; the others stay, and so do the
    /// members, held posts and archive.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawListSet>")]
    pub lists: Option<S<IndexMap<String, RawListSet>>>,
    /// Accounts of users in `users:` whose mailboxes or logins this host
    /// keeps: address -> a new password, or `login: false` to lock the
    /// account (mail is still delivered; POP3, IMAP and SMTP AUTH refuse it).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawUserSet>")]
    pub users: Option<S<IndexMap<String, RawUserSet>>>,
}

/// A change to one account (a `configure` step's `users:`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUserSet {
    /// The new password; later steps of this user log in with it.
    #[serde(default)]
    pub password: Option<String>,
    /// `false` locks the account, `true` opens it again.
    #[serde(default)]
    pub login: Option<bool>,
}

/// The settings of a running list that a `configure` step may change
/// (written as under `lists:`). Membership is not among them: members join
/// and leave by command mail (`subscribe`, `admin add`), as on a real list.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawListSet {
    /// participatory or moderated.
    #[serde(default, rename = "type")]
    #[schemars(with = "Option<String>")]
    pub kind: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub title: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub admin: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub moderators: Option<Vec<S<String>>>,
    /// reject, hold or ignore.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub others: Option<S<String>>,
    #[serde(default)]
    pub max_size: Option<u64>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub too_large: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub attachments: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub subscribe: Option<S<String>>,
    #[serde(default)]
    pub subject_tag: Option<bool>,
    #[serde(default)]
    pub reply_to_list: Option<bool>,
    #[serde(default)]
    pub guide: Option<String>,
    #[serde(default)]
    pub bounce_limit: Option<u32>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub language: Option<S<String>>,
}

impl RawListSet {
    /// `key value` for each setting given, in the order of the keys, for the trace.
    pub fn describe(&self) -> Vec<String> {
        let list = |v: &[S<String>]| v.iter().map(|s| s.value.as_str()).collect::<Vec<_>>().join(", ");
        let mut out = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push(format!("{k} {v}"));
            }
        };
        put("type", self.kind.as_ref().map(|s| s.value.clone()));
        put("title", self.title.as_ref().map(|s| s.value.clone()));
        put("admin", self.admin.as_ref().map(|a| list(&a.value)));
        put("password", self.password.as_ref().map(|_| "(changed)".to_string()));
        put("moderators", self.moderators.as_ref().map(|m| if m.is_empty() { "none".into() } else { list(m) }));
        put("others", self.others.as_ref().map(|s| s.value.clone()));
        put("max_size", self.max_size.map(|n| n.to_string()));
        put("too_large", self.too_large.as_ref().map(|s| s.value.clone()));
        put("attachments", self.attachments.as_ref().map(|s| s.value.clone()));
        put("subscribe", self.subscribe.as_ref().map(|s| s.value.clone()));
        put("subject_tag", self.subject_tag.map(|b| b.to_string()));
        put("reply_to_list", self.reply_to_list.map(|b| b.to_string()));
        put("guide", self.guide.as_ref().map(|_| "(changed)".to_string()));
        put("bounce_limit", self.bounce_limit.map(|n| n.to_string()));
        put("language", self.language.as_ref().map(|s| s.value.clone()));
        out
    }

    /// Put the settings given into `l`, a list as the host declares it.
    pub fn apply(&self, l: &mut RawList) {
        if let Some(v) = &self.kind {
            l.kind = Some(v.clone());
        }
        if let Some(v) = &self.title {
            l.title = Some(v.clone());
        }
        if let Some(v) = &self.admin {
            l.admin = v.clone();
        }
        if let Some(v) = &self.password {
            l.password = Some(v.clone());
        }
        if let Some(v) = &self.moderators {
            l.moderators = v.clone();
        }
        if let Some(v) = &self.others {
            l.others = Some(v.clone());
        }
        if let Some(v) = self.max_size {
            l.max_size = Some(v);
        }
        if let Some(v) = &self.too_large {
            l.too_large = Some(v.clone());
        }
        if let Some(v) = &self.attachments {
            l.attachments = Some(v.clone());
        }
        if let Some(v) = &self.subscribe {
            l.subscribe = Some(v.clone());
        }
        if let Some(v) = self.subject_tag {
            l.subject_tag = Some(v);
        }
        if let Some(v) = self.reply_to_list {
            l.reply_to_list = Some(v);
        }
        if let Some(v) = &self.guide {
            l.guide = Some(v.clone());
        }
        if let Some(v) = self.bounce_limit {
            l.bounce_limit = Some(v);
        }
        if let Some(v) = &self.language {
            l.language = Some(v.clone());
        }
    }
}

impl RawSet {
    /// The names of the keys given, in the order of the host's keys.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut k = Vec::new();
        for (name, given) in [
            ("allow_relay", self.allow_relay.is_some()),
            ("access", self.access.is_some()),
            ("dnsbl", self.dnsbl.is_some()),
            ("auth", self.auth.is_some()),
            ("max_message_size", self.max_message_size.is_some()),
            ("helo_required", self.helo_required.is_some()),
            ("lists", self.lists.is_some()),
            ("users", self.users.is_some()),
        ] {
            if given {
                k.push(name);
            }
        }
        k
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHostFault {
    #[schemars(with = "String")]
    pub host: S<String>,
    #[serde(default, rename = "for")]
    #[schemars(with = "Option<String>")]
    pub duration: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLinkFault {
    #[schemars(with = "Vec<String>")]
    pub between: S<Vec<S<String>>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub latency: Option<S<String>>,
    #[serde(default, rename = "for")]
    #[schemars(with = "Option<String>")]
    pub duration: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSend {
    /// The MUA host that sends.
    #[schemars(with = "String")]
    pub from_host: S<String>,
    /// The server it submits to.
    #[schemars(with = "String")]
    pub via: S<String>,
    /// Envelope sender (MAIL FROM). Also the From: header unless `header_from` is given.
    /// May carry a display name, `山田 太郎 <taro@example.jp>`: the name goes only into the header.
    #[schemars(with = "String")]
    pub from: S<String>,
    /// Envelope recipients (RCPT TO), each `user@example` or `Display Name <user@example>`
    /// (the name goes only into the To: header).
    #[schemars(with = "Vec<String>")]
    pub to: S<Vec<S<String>>>,
    /// The From: header, when it differs from the envelope sender (`Name <addr>` or `addr`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub header_from: Option<S<String>>,
    /// The charset the mail client writes: `utf-8` (the default: 8bit body, `=?UTF-8?B?…?=` header words)
    /// or `iso-2022-jp` (7bit body with escape sequences, `=?ISO-2022-JP?B?…?=` header words), as
    /// Japanese mail clients long did.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub charset: Option<S<String>>,
    /// The `Subject:` field: one line.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub subject: Option<S<String>>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub helo: Option<S<String>>,
    /// More header fields (not the ones the mail client writes itself: From, To, Subject, Date,
    /// Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub headers: IndexMap<S<String>, S<String>>,
    /// Authenticate with SMTP AUTH before sending.
    #[serde(default)]
    pub auth: Option<RawAuth>,
    /// The server's port: 25 (SMTP, the default), 587 (submission; the `via` host needs `submission: true`)
    /// or 465 (submission over implicit TLS; the `via` host also needs `tls`).
    #[serde(default)]
    #[schemars(with = "Option<u16>")]
    pub port: Option<S<u16>>,
    /// Files to attach (the message becomes multipart/mixed).
    #[serde(default)]
    pub attachments: Vec<RawAttachment>,
    /// Delivery status notifications the sender asks for (RFC 3461), sent
    /// as `RET`/`ENVID` on MAIL and `NOTIFY`/`ORCPT` on each RCPT when the
    /// server offers DSN.
    #[serde(default)]
    pub dsn: Option<RawDsn>,
}

/// `dsn:` of a send step: which reports come back, and with what.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDsn {
    /// When to report on each recipient: `[never]`, or any of `success`, `failure`, `delay`
    /// (without it the MTAs report failures and delays).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub notify: Option<S<Vec<S<String>>>>,
    /// What a failure report returns of the message: `hdrs` (its header section) or `full`
    /// (all of it; the MTAs' default).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ret: Option<S<String>>,
    /// The sender's own name for this message (ENVID), quoted back in every report.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub envid: Option<S<String>>,
}

/// An attached file, filled with made-up content of the given size.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAttachment {
    #[schemars(with = "String")]
    pub name: S<String>,
    /// MIME type (default application/octet-stream).
    #[serde(default, rename = "type")]
    #[schemars(with = "Option<String>")]
    pub content_type: Option<S<String>>,
    /// Size of the file in octets before base64 (default 1024).
    #[serde(default)]
    pub octets: Option<u64>,
}

/// Reply to the newest message the MUA fetched with pop3/imap (that matches `subject`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReply {
    #[schemars(with = "String")]
    pub from_host: S<String>,
    #[schemars(with = "String")]
    pub via: S<String>,
    /// Envelope sender and From: of the reply.
    #[schemars(with = "String")]
    pub from: S<String>,
    /// Only a message whose Subject: contains this text.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub subject: Option<S<String>>,
    /// Copy the body lines of that message that start with this word (e.g. `confirm`, `approve`).
    #[serde(default)]
    pub keep: Option<String>,
    /// More text for the reply's body.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub auth: Option<RawAuth>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    #[schemars(with = "String")]
    pub user: S<String>,
    /// Defaults to the user's password in `users:`.
    #[serde(default)]
    pub password: Option<String>,
    /// PLAIN (default), LOGIN or CRAM-MD5.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub mechanism: Option<S<String>>,
}

/// A mail client reads its mailbox.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    #[schemars(with = "String")]
    pub from_host: S<String>,
    #[schemars(with = "String")]
    pub server: S<String>,
    #[schemars(with = "String")]
    pub user: S<String>,
    /// Defaults to the user's password in `users:`.
    #[serde(default)]
    pub password: Option<String>,
    /// POP3 only: log in with APOP instead of USER/PASS.
    #[serde(default)]
    pub apop: bool,
    /// POP3 only: delete the messages on the server after download (default true, as the lecture describes POP).
    #[serde(default)]
    pub delete: Option<bool>,
    /// Connect to the implicit-TLS port (995 for POP3, 993 for IMAP, RFC 8314); the server needs `tls`.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub tls: Option<S<bool>>,
    /// STLS (POP3) / STARTTLS (IMAP) on port 110/143: `offered` (use it when the server offers it,
    /// else read in the clear; the default when the server has `tls`), `off` (never; the default
    /// otherwise), or `required` (leave a server that does not offer it before sending the password).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub starttls: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    #[serde(default)]
    pub reply: Option<RawExpectReply>,
    #[serde(default)]
    pub delivered: Option<RawExpectDelivered>,
    #[serde(default)]
    pub header: Option<RawExpectHeader>,
    #[serde(default)]
    pub received_chain: Option<RawExpectChain>,
    #[serde(default)]
    pub log: Option<RawExpectLog>,
    #[serde(default)]
    pub fetched: Option<RawExpectFetched>,
    #[serde(default)]
    pub trace: Option<RawExpectTrace>,
}

/// Any trace event of a kind, optionally on one host, whose line matches.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectTrace {
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub host: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub matches: Option<S<String>>,
    #[serde(default)]
    pub absent: bool,
}

/// How many messages a POP3/IMAP step downloaded.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectFetched {
    #[schemars(with = "usize")]
    pub step: S<usize>,
    pub count: usize,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectReply {
    #[schemars(with = "usize")]
    pub step: S<usize>,
    #[schemars(with = "u16")]
    pub code: S<u16>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub command: Option<S<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectDelivered {
    #[schemars(with = "String")]
    pub to: S<String>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Text that must appear somewhere in the message (headers or body).
    #[serde(default)]
    pub contains: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectHeader {
    #[schemars(with = "String")]
    pub to: S<String>,
    #[schemars(with = "String")]
    pub name: S<String>,
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub message: Option<S<usize>>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub contains: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectChain {
    #[schemars(with = "String")]
    pub to: S<String>,
    /// Hosts that must appear in the `by` part of the Received: headers, newest (top) first.
    #[schemars(with = "Vec<String>")]
    pub hops: S<Vec<S<String>>>,
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub message: Option<S<usize>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectLog {
    #[schemars(with = "String")]
    pub host: S<String>,
    #[schemars(with = "String")]
    pub matches: S<String>,
    #[serde(default)]
    pub absent: bool,
}

// --- Per-student variants (read and applied by [`super::vary`]) ---

/// `variants:` as written.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVariants {
    /// The values, by name; `${name}` in the scenario (and its lessons) is replaced by the value.
    pub vars: BTreeMap<String, RawVar>,
    /// How many variants `maillab check` runs when there are more than 64 (default 16).
    #[serde(default)]
    pub sample: Option<usize>,
}

/// One value: exactly one of `choices` and `range`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVar {
    /// The values to pick from; a choice may be a map, setting `${name.key}` for each key.
    #[serde(default)]
    pub choices: Option<Vec<RawChoice>>,
    /// Whole numbers from the first to the second, both included.
    #[serde(default)]
    pub range: Option<[i64; 2]>,
    /// The distance between numbers of the range (default 1).
    #[serde(default)]
    pub step: Option<i64>,
}

// A choice: a number, a word, or a map of them. Read by hand (below) rather
// than as an untagged enum: serde buffers an untagged enum's map, and there a
// key such as `n` or `y` is already YAML 1.1's false or true and no longer
// fits a text key (the reader then says only "did not match any variant of
// untagged enum RawChoice"). Here each key is read as the text it is written
// as. (A plain comment: a doc comment would go into the JSON schema.)
#[derive(Clone, Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawChoice {
    Int(i64),
    Text(String),
    Group(BTreeMap<String, RawScalar>),
}

#[derive(Clone, Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawScalar {
    Int(i64),
    Text(String),
}

/// The start of the reader's error for a choice (or a value in a choice's
/// map) that is not a number or a word, then its kind: `bool`, `empty`,
/// `list` or `nested`; the loader words it (`load::yaml_error`).
pub const BAD_CHOICE: &str = "a variant's choice that is not a number, a word or a map of them: ";

/// Numbers and words, shared by a choice and a value in a choice's map.
struct Scalar<T>(fn(i64) -> T, fn(String) -> T, &'static str);

impl<'de, T> serde::de::Visitor<'de> for Scalar<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number or a word")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Ok((self.0)(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Ok(i64::try_from(v).map_or_else(|_| (self.1)(v.to_string()), self.0))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        Ok((self.1)(v.to_string()))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.1)(v.to_string()))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<T, E> {
        Err(E::custom(format!("{BAD_CHOICE}bool")))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Err(E::custom(format!("{BAD_CHOICE}empty")))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<T, E> {
        self.visit_unit()
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(serde::de::Error::custom(format!("{BAD_CHOICE}{}", self.2)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(serde::de::Error::custom(format!("{BAD_CHOICE}nested")))
    }
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Scalar(RawScalar::Int, RawScalar::Text, "nested"))
    }
}

impl<'de> Deserialize<'de> for RawChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a word or a map of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawChoice, A::Error> {
                let mut group = BTreeMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<RawScalar>()?;
                    group.insert(k, v);
                }
                Ok(RawChoice::Group(group))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_i64(v)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_u64(v)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_f64(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_str(v)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_bool(v)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<RawChoice, E> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_unit()
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<RawChoice, E> {
                self.visit_unit()
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, s: A) -> Result<RawChoice, A::Error> {
                Scalar(RawChoice::Int, RawChoice::Text, "list").visit_seq(s)
            }
        }
        d.deserialize_any(V)
    }
}

impl RawScalar {
    pub fn text(&self) -> String {
        match self {
            RawScalar::Int(i) => i.to_string(),
            RawScalar::Text(t) => t.clone(),
        }
    }
}
