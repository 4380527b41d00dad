//! The list server: a mailing-list manager in the style of fml, sans-IO.
//!
//! A list `NAME@DOMAIN` has three addresses, as in the lecture's Ohanashi ML:
//! the posting address `NAME@`, the command address `NAME-ctl@` (command mail:
//! help, guide, subscribe, …) and the administrator's address `NAME-admin@`,
//! which is also the envelope sender of everything the list sends, so that
//! bounces come back to the list and not to the poster.
//!
//! [`List::receive`] takes one message the MTA delivered to one of those
//! addresses and returns what to do: log notes and new mail to submit.
//! [`List::digest`] builds the periodic digest. No sockets, clocks or
//! randomness: the time and a key source come in through [`Cx`].

pub mod command;
pub mod duration;
pub mod mime;

use chrono::{DateTime, FixedOffset};
use command::{Admin, Command, DigestArg};
use std::collections::BTreeMap;
use std::time::Duration;

/// Who may post: every member, or only the moderators (an announcement list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Participatory,
    Moderated,
}

/// What happens to a post from someone who may not post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Others {
    /// Sent back with a reason; the administrator is told.
    Reject,
    /// Kept until a moderator approves or rejects it by command mail.
    Hold,
    /// Dropped without a word (only the log knows).
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooLarge {
    Reject,
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attachments {
    Keep,
    /// Distribute only the text, with a note of what was removed.
    Strip,
    Reject,
}

/// How someone joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscribe {
    /// `subscribe`, then `confirm KEY` from the same address: member.
    Confirm,
    /// As `Confirm`, then the administrator adds the address by hand (`admin add`).
    ConfirmThenApprove,
    /// Requests go to the administrator, who adds members by hand.
    AdminOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Every post as it is distributed.
    Each,
    /// The posts of a period bundled into one message.
    Digest,
    /// Nothing (the member may still post, and read the archive).
    NoMail,
}

impl Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Each => "each",
            Delivery::Digest => "digest",
            Delivery::NoMail => "nomail",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestFormat {
    /// multipart/mixed: a table of contents, then a multipart/digest of message/rfc822 parts (RFC 2046).
    Mime,
    /// Plain text with the separators of RFC 1153.
    Rfc1153,
}

/// The language of everything the list writes for people to read: replies,
/// notices, the help text, the guide, digests' tables of contents. Trace
/// notes stay English; command words, keys and addresses are the same in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    /// Japanese, as fml answers on a Japanese list.
    Ja,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
    pub fn from_name(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub address: String,
    pub name: String,
    pub delivery: Delivery,
}

#[derive(Clone, Debug)]
pub struct ListConfig {
    pub name: String,
    pub domain: String,
    /// The phrase of List-Id: and the first line of the guide.
    pub title: Option<String>,
    pub kind: Kind,
    /// Where mail to NAME-admin goes (the people who run the list).
    pub admins: Vec<String>,
    /// For `admin pass`; without one, remote administration is off.
    pub password: Option<String>,
    pub moderators: Vec<String>,
    pub members: Vec<Member>,
    pub others: Others,
    pub max_size: Option<usize>,
    pub too_large: TooLarge,
    pub attachments: Attachments,
    pub subscribe: Subscribe,
    /// `[name:00012]` in front of the subject.
    pub subject_tag: bool,
    /// Add `Reply-To: NAME@DOMAIN` unless the poster set a Reply-To.
    pub reply_to_list: bool,
    pub digest_every: Duration,
    pub digest_format: DigestFormat,
    /// The text `guide` sends; a default one describes the list.
    pub guide: Option<String>,
    /// A subscription key is good for this long.
    pub confirm_expiry: Duration,
    /// After this many permanent bounces a member's delivery is stopped (as Mailman does); `None` = never.
    pub bounce_limit: Option<u32>,
    /// The language of the list's mail to people (en by default).
    pub language: Lang,
}

impl ListConfig {
    /// Settings as a new fml list has them: members post, others are rejected.
    pub fn new(name: &str, domain: &str) -> Self {
        ListConfig {
            name: name.to_ascii_lowercase(),
            domain: domain.to_ascii_lowercase(),
            title: None,
            kind: Kind::Participatory,
            admins: Vec::new(),
            password: None,
            moderators: Vec::new(),
            members: Vec::new(),
            others: Others::Reject,
            max_size: None,
            too_large: TooLarge::Reject,
            attachments: Attachments::Keep,
            subscribe: Subscribe::Confirm,
            subject_tag: true,
            reply_to_list: true,
            digest_every: Duration::from_secs(86400),
            digest_format: DigestFormat::Mime,
            guide: None,
            confirm_expiry: Duration::from_secs(7 * 86400),
            bounce_limit: Some(5),
            language: Lang::En,
        }
    }
    pub fn post_address(&self) -> String {
        format!("{}@{}", self.name, self.domain)
    }
    pub fn ctl_address(&self) -> String {
        format!("{}-ctl@{}", self.name, self.domain)
    }
    pub fn admin_address(&self) -> String {
        format!("{}-admin@{}", self.name, self.domain)
    }
    /// Which of this list's addresses a local part names.
    pub fn dest_of(&self, local: &str) -> Option<Dest> {
        let l = local.to_ascii_lowercase();
        if l == self.name {
            Some(Dest::Post)
        } else if l == format!("{}-ctl", self.name) {
            Some(Dest::Ctl)
        } else if l == format!("{}-admin", self.name) || l == format!("{}-request", self.name) {
            Some(Dest::Admin)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Post,
    Ctl,
    Admin,
}

impl Dest {
    pub fn name(self) -> &'static str {
        match self {
            Dest::Post => "posting address",
            Dest::Ctl => "command address",
            Dest::Admin => "administrator address",
        }
    }
}

/// What the caller supplies: the time, and random keys for confirmations and held posts.
pub struct Cx<'a> {
    pub now: DateTime<FixedOffset>,
    pub key: &'a mut dyn FnMut() -> u32,
}

/// What a note for the trace is about; the host records it as `list.KIND`
/// with KIND from [`NoteKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    /// An `admin` command, accepted or refused.
    Admin,
    /// A moderator let a held post through.
    Approve,
    /// A delivery failure reported to NAME-admin, or a member's count of them.
    Bounce,
    /// A member moved to a new address.
    Chaddr,
    /// Command mail was read.
    Command,
    /// A join request was confirmed and waits for the administrator.
    Confirm,
    /// A post was refused for its content (attachments).
    Content,
    /// A moderator turned a held post down.
    Decline,
    /// A member changed how posts reach them (each, digest, nomail).
    Delivery,
    /// A digest was sent.
    Digest,
    /// A member's mail bounced too often; delivery to it stopped.
    Disable,
    /// A post was numbered, archived and sent.
    Distribute,
    /// Mail was passed on to the administrators.
    Forward,
    /// A post was held for a moderator.
    Hold,
    /// Mail was dropped without a reply.
    Ignore,
    /// Someone confirmed and became a member.
    Join,
    /// A post that had been through this list already (a mail loop).
    Loop,
    /// A post from someone who may not post was refused.
    Reject,
    /// Mail over the size limit was refused.
    Size,
    /// Attachments were removed from a post.
    Strip,
    /// Someone asked to join.
    Subscribe,
    /// A member left.
    Unsubscribe,
}

impl NoteKind {
    pub const ALL: [NoteKind; 22] = [
        NoteKind::Admin,
        NoteKind::Approve,
        NoteKind::Bounce,
        NoteKind::Chaddr,
        NoteKind::Command,
        NoteKind::Confirm,
        NoteKind::Content,
        NoteKind::Decline,
        NoteKind::Delivery,
        NoteKind::Digest,
        NoteKind::Disable,
        NoteKind::Distribute,
        NoteKind::Forward,
        NoteKind::Hold,
        NoteKind::Ignore,
        NoteKind::Join,
        NoteKind::Loop,
        NoteKind::Reject,
        NoteKind::Size,
        NoteKind::Strip,
        NoteKind::Subscribe,
        NoteKind::Unsubscribe,
    ];

    /// The word after `list.` in the trace kind.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Admin => "admin",
            NoteKind::Approve => "approve",
            NoteKind::Bounce => "bounce",
            NoteKind::Chaddr => "chaddr",
            NoteKind::Command => "command",
            NoteKind::Confirm => "confirm",
            NoteKind::Content => "content",
            NoteKind::Decline => "decline",
            NoteKind::Delivery => "delivery",
            NoteKind::Digest => "digest",
            NoteKind::Disable => "disable",
            NoteKind::Distribute => "distribute",
            NoteKind::Forward => "forward",
            NoteKind::Hold => "hold",
            NoteKind::Ignore => "ignore",
            NoteKind::Join => "join",
            NoteKind::Loop => "loop",
            NoteKind::Reject => "reject",
            NoteKind::Size => "size",
            NoteKind::Strip => "strip",
            NoteKind::Subscribe => "subscribe",
            NoteKind::Unsubscribe => "unsubscribe",
        }
    }
}

/// One thing the list did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// For the trace (as `list.KIND`) and the list's log.
    Note { kind: NoteKind, text: String, who: String },
    /// A message to submit to the local MTA. `from` is the envelope sender (`None` = `<>`).
    Mail(OutMail),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMail {
    /// distribute, reply, notice, forward, article, digest
    pub what: &'static str,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Article {
    pub n: u32,
    pub from: String,
    pub subject: String,
    pub date: DateTime<FixedOffset>,
    /// The article as distributed.
    pub data: Vec<u8>,
}

/// Why the list turned a post down or held it: in English for the trace and
/// the log, and in the list's language for the mail people read.
#[derive(Clone, Debug)]
struct Reason {
    note: String,
    text: String,
}

/// The Content-Transfer-Encoding line a text part needs: none for ASCII
/// (7bit is the default), 8bit for UTF-8 text.
fn cte_8bit(text: &str) -> &'static str {
    if text.is_ascii() { "" } else { "Content-Transfer-Encoding: 8bit\r\n" }
}

/// `7 日`, `1 時間 30 分`: a duration as a Japanese text says it.
fn duration_ja(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return duration::format_duration(d);
    }
    let mut out = Vec::new();
    let mut rest = s;
    for (unit, size) in [("日", 86_400u64), ("時間", 3600), ("分", 60), ("秒", 1)] {
        if rest >= size {
            out.push(format!("{} {unit}", rest / size));
            rest %= size;
        }
    }
    out.join(" ")
}

/// A part the list removed, described in Japanese.
fn removed_ja(r: &mime::Removed) -> String {
    format!("{} ({}, {} オクテット)", r.name, r.content_type, r.octets)
}

/// The usage line of a command (from [`command`]), with its note in Japanese.
fn usage_ja(u: &'static str) -> &'static str {
    match u {
        command::USAGE_GET => "get N   (get N-M も可。一度に 10 件まで)",
        command::USAGE_CONFIRM => "confirm KEY YOUR NAME   (参加確認のお願いのメールにある行をそのまま写してください)",
        command::USAGE_APPROVE => "approve KEY   (KEY は保留の通知に書かれている鍵)",
        command::USAGE_REJECT => "reject KEY   (KEY は保留の通知に書かれている鍵)",
        other => other,
    }
}

#[derive(Clone, Debug)]
struct Held {
    from: String,
    subject: String,
    data: Vec<u8>,
    reason: String,
}

#[derive(Clone, Debug)]
struct Pending {
    address: String,
    name: String,
    at: DateTime<FixedOffset>,
}

pub struct List {
    pub cfg: ListConfig,
    members: Vec<Member>,
    moderators: Vec<String>,
    seq: u32,
    archive: Vec<Article>,
    held: BTreeMap<String, Held>,
    pending: BTreeMap<String, Pending>,
    /// Confirmed, waiting for the administrator (ConfirmThenApprove).
    awaiting: BTreeMap<String, Pending>,
    digest_queue: Vec<u32>,
    digest_issue: u32,
    mails: u32,
    /// Permanent bounces per member address (lower case).
    bounces: BTreeMap<String, u32>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl List {
    pub fn new(mut cfg: ListConfig) -> Self {
        let members = std::mem::take(&mut cfg.members);
        let moderators = cfg.moderators.clone();
        List {
            cfg,
            members,
            moderators,
            seq: 0,
            archive: Vec::new(),
            held: BTreeMap::new(),
            pending: BTreeMap::new(),
            awaiting: BTreeMap::new(),
            digest_queue: Vec::new(),
            digest_issue: 0,
            mails: 0,
            bounces: BTreeMap::new(),
        }
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }
    pub fn archive(&self) -> &[Article] {
        &self.archive
    }
    pub fn held_keys(&self) -> Vec<String> {
        self.held.keys().cloned().collect()
    }
    /// Posts waiting for the next digest, with someone to send it to.
    pub fn digest_pending(&self) -> bool {
        !self.digest_queue.is_empty() && self.members.iter().any(|m| m.delivery == Delivery::Digest)
    }

    fn member(&self, a: &str) -> Option<&Member> {
        self.members.iter().find(|m| same(&m.address, a))
    }
    fn is_member(&self, a: &str) -> bool {
        self.member(a).is_some()
    }
    fn is_moderator(&self, a: &str) -> bool {
        self.moderators.iter().any(|m| same(m, a)) || self.is_admin(a)
    }
    fn is_admin(&self, a: &str) -> bool {
        self.cfg.admins.iter().any(|m| same(m, a))
    }
    fn may_post(&self, a: &str) -> bool {
        match self.cfg.kind {
            Kind::Participatory => self.is_member(a) || self.is_moderator(a),
            Kind::Moderated => self.is_moderator(a),
        }
    }
    fn ml(&self) -> String {
        format!("{} ML", self.cfg.name)
    }
    /// The text in the list's language: `en` on an English list, `ja` on a Japanese one.
    fn tr<T>(&self, en: T, ja: T) -> T {
        match self.cfg.language {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
    fn reason(&self, note: String, ja: String) -> Reason {
        let text = match self.cfg.language {
            Lang::En => note.clone(),
            Lang::Ja => ja,
        };
        Reason { note, text }
    }
    /// How long something lasts, as the list's language writes it.
    fn duration_text(&self, d: Duration) -> String {
        match self.cfg.language {
            Lang::En => duration::format_duration(d),
            Lang::Ja => duration_ja(d),
        }
    }
    /// `no name given`, for a join request without a name.
    fn name_or_none<'a>(&self, name: &'a str) -> &'a str {
        if name.is_empty() { self.tr("no name given", "名前なし") } else { name }
    }
    fn note(kind: NoteKind, text: impl Into<String>, who: &str) -> Out {
        Out::Note { kind, text: text.into(), who: who.to_string() }
    }

    /// Header fields every message from the list carries (RFC 2369, RFC 2919).
    fn list_fields(&self) -> String {
        let c = &self.cfg;
        let id = format!("<{}.{}>", c.name, c.domain);
        let list_id = match &c.title {
            Some(t) => format!("{} {id}", mime::encode_word(t)),
            None => id,
        };
        let post = match c.kind {
            Kind::Participatory => format!("<mailto:{}>", c.post_address()),
            Kind::Moderated => "NO".into(),
        };
        let ctl = c.ctl_address();
        format!(
            "List-Id: {list_id}\r\nList-Post: {post}\r\nList-Help: <mailto:{ctl}?body=help>\r\n\
             List-Subscribe: <mailto:{ctl}?body=subscribe>\r\nList-Unsubscribe: <mailto:{ctl}?body=unsubscribe>\r\n\
             List-Owner: <mailto:{}>\r\n",
            c.admin_address()
        )
    }

    /// A message written by the list itself (replies, notices, digests).
    /// `auto`: RFC 3834's Auto-Submitted value (auto-replied for answers to command mail, auto-generated otherwise).
    fn compose(&mut self, cx: &Cx, auto: &str, to: &str, subject: &str, content: &str) -> Vec<u8> {
        self.mails += 1;
        let c = &self.cfg;
        let mut m = format!(
            "Date: {}\r\nFrom: {} <{}>\r\nTo: {to}\r\nSubject: {}\r\nMessage-ID: <{}.ml{}.{}@{}>\r\n\
             Reply-To: {}\r\nX-ML-Name: {}\r\n",
            crate::env::rfc5322(cx.now),
            self.ml(),
            c.admin_address(),
            mime::encode_word(subject),
            cx.now.format("%Y%m%d%H%M%S"),
            self.mails,
            c.name,
            c.domain,
            c.ctl_address(),
            c.name,
        );
        m.push_str(&self.list_fields());
        m.push_str(&format!("Precedence: list\r\nAuto-Submitted: {auto}\r\n"));
        m.push_str(content);
        m.into_bytes()
    }

    fn text_mail(&mut self, cx: &Cx, what: &'static str, to: &str, subject: &str, body: &str) -> Out {
        let body = mime::crlf(body);
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: {}\r\n\r\n{body}",
            if body.is_ascii() { "7bit" } else { "8bit" }
        );
        let auto = if what == "reply" { "auto-replied" } else { "auto-generated" };
        let data = self.compose(cx, auto, to, subject, &content);
        Out::Mail(OutMail { what, from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }

    fn notify_admins(&mut self, cx: &Cx, subject: &str, body: &str) -> Vec<Out> {
        let admins = self.cfg.admins.clone();
        admins.iter().map(|a| self.text_mail(cx, "notice", a, subject, body)).collect()
    }

    /// Take one message delivered to one of the list's addresses.
    pub fn receive(&mut self, dest: Dest, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        match dest {
            Dest::Post => self.post(envelope_from, data, cx),
            Dest::Ctl => self.commands(envelope_from, data, cx),
            Dest::Admin => self.admin_mail(envelope_from, data, cx),
        }
    }

    /// May the list answer this message? Never to `<>`, to itself, or to automatic mail (RFC 3834).
    fn answerable(&self, envelope_from: Option<&str>, from: &str, data: &[u8]) -> bool {
        if envelope_from.is_none() || from.is_empty() {
            return false;
        }
        let c = &self.cfg;
        if [c.post_address(), c.ctl_address(), c.admin_address()].iter().any(|a| same(a, from)) {
            return false;
        }
        let hs = crate::message::headers(data);
        let auto = crate::message::first(&hs, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"));
        let bulk = crate::message::first(&hs, "Precedence")
            .is_some_and(|v| ["bulk", "list", "junk"].iter().any(|p| v.eq_ignore_ascii_case(p)));
        !(auto || bulk)
    }

    fn post(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let subject = mime::subject(data);
        let hs = crate::message::headers(data);
        let mut out = Vec::new();
        // A post that already went through this list is a loop.
        let ours = crate::message::values(&hs, "X-ML-Name").iter().any(|v| same(v.trim(), &self.cfg.name));
        if ours {
            out.push(Self::note(
                NoteKind::Loop,
                "dropped: the message already carries this list's X-ML-Name (a mail loop)",
                &from,
            ));
            return out;
        }
        if envelope_from.is_none() {
            out.push(Self::note(
                NoteKind::Forward,
                "a message from the null sender <> (a bounce?) reached the posting address; passed to the administrator",
                &from,
            ));
            out.push(self.forward_admin(None, data));
            return out;
        }
        if !self.may_post(&from) {
            let (who, who_ja) = match self.cfg.kind {
                Kind::Participatory => ("only members may post", "投稿できるのはメンバーだけです"),
                Kind::Moderated => (
                    "only the moderators may post to this announcement list",
                    "このお知らせ用のリストに投稿できるのはモデレータだけです",
                ),
            };
            let why =
                self.reason(format!("{from} may not post: {who}"), format!("{from} からは投稿できません（{who_ja}）"));
            return match self.cfg.others {
                Others::Hold => self.hold(cx, &from, &subject, data, &why),
                Others::Reject => self.refuse(cx, NoteKind::Reject, false, &from, envelope_from, data, &why),
                Others::Ignore => self.refuse(cx, NoteKind::Reject, true, &from, envelope_from, data, &why),
            };
        }
        // Outsiders are sorted out first, so that an oversized spam is not answered.
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = self.reason(
                format!("{} octets is over the limit of {max}", data.len()),
                format!("{} オクテットで、上限の {max} オクテットを超えています", data.len()),
            );
            return self.refuse(
                cx,
                NoteKind::Size,
                self.cfg.too_large == TooLarge::Ignore,
                &from,
                envelope_from,
                data,
                &why,
            );
        }
        self.accept(cx, &from, data)
    }

    /// Run the content checks on a post that may be distributed, then distribute it.
    fn accept(&mut self, cx: &mut Cx, from: &str, data: &[u8]) -> Vec<Out> {
        let mut out = Vec::new();
        let mut body = data.to_vec();
        match self.cfg.attachments {
            Attachments::Keep => {}
            Attachments::Strip => {
                let intro = self.tr(
                    "[The list removed these parts before distribution:]",
                    "[リストが配信の前に次のパートを削除しました:]",
                );
                let item: fn(&mime::Removed) -> String = match self.cfg.language {
                    Lang::En => |r: &mime::Removed| r.to_string(),
                    Lang::Ja => removed_ja,
                };
                if let Some((stripped, removed)) = mime::strip_attachments_with(data, intro, item) {
                    let list: Vec<String> = removed.iter().map(|r| r.to_string()).collect();
                    out.push(Self::note(
                        NoteKind::Strip,
                        format!("removed {} part(s): {}", removed.len(), list.join(", ")),
                        from,
                    ));
                    body = stripped;
                }
            }
            Attachments::Reject => {
                let extra = mime::extra_parts(data);
                if !extra.is_empty() {
                    let list: Vec<String> = extra.iter().map(|r| r.to_string()).collect();
                    let list_ja: Vec<String> = extra.iter().map(removed_ja).collect();
                    let why = self.reason(
                        format!("attachments are not allowed on this list: {}", list.join(", ")),
                        format!("このリストには添付ファイルを送れません: {}", list_ja.join(", ")),
                    );
                    out.extend(self.refuse(cx, NoteKind::Content, false, from, Some(from), data, &why));
                    return out;
                }
            }
        }
        out.extend(self.distribute(cx, from, &body));
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn refuse(
        &mut self,
        cx: &Cx,
        kind: NoteKind,
        silent: bool,
        from: &str,
        envelope_from: Option<&str>,
        data: &[u8],
        why: &Reason,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        if silent {
            out.push(Self::note(NoteKind::Ignore, format!("ignored without reply: {}", why.note), from));
            return out;
        }
        out.push(Self::note(kind, format!("rejected: {}", why.note), from));
        let why = &why.text;
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        if self.answerable(envelope_from, from, data) {
            let subject = mime::subject(data);
            let size = data.len();
            let body = self.tr(
                format!(
                    "Your message to {post} was not distributed.\n\nReason: {why}\n\n  Subject: {subject}\n  Size: {size} octets\n\n\
                     For help, send a mail with the single word \"help\" in the body to {ctl}.\n"
                ),
                format!(
                    "{post} 宛てのあなたのメールは配信されませんでした。\n\n理由: {why}\n\n  件名: {subject}\n  大きさ: {size} オクテット\n\n\
                     使い方を知りたいときは、本文に「help」とだけ書いたメールを {ctl} に送ってください。\n"
                ),
            );
            let title =
                self.tr(format!("Your post was not distributed ({ml})"), format!("投稿は配信されませんでした ({ml})"));
            out.push(self.text_mail(cx, "reply", from, &title, &body));
        }
        let subject = mime::subject(data);
        let body = self.tr(
            format!("The list turned a message down.\n\n  From: {from}\n  Subject: {subject}\n  Reason: {why}\n"),
            format!("リストがメールの配信を断りました。\n\n  差出人: {from}\n  件名: {subject}\n  理由: {why}\n"),
        );
        let title = self.tr(format!("Post refused ({ml})"), format!("配信を断った投稿 ({ml})"));
        out.extend(self.notify_admins(cx, &title, &body));
        out
    }

    fn hold(&mut self, cx: &mut Cx, from: &str, subject: &str, data: &[u8], why: &Reason) -> Vec<Out> {
        let key = loop {
            let k = format!("{:08}", (cx.key)() % 100_000_000);
            if !self.held.contains_key(&k) {
                break k;
            }
        };
        self.held.insert(
            key.clone(),
            Held { from: from.into(), subject: subject.into(), data: data.to_vec(), reason: why.text.clone() },
        );
        let mut out = vec![Self::note(NoteKind::Hold, format!("held for a moderator as {key}: {}", why.note), from)];
        let why = &why.text;
        let mut quoted = String::new();
        for l in mime::body_text(data).lines().take(40) {
            quoted.push_str(&format!("> {l}\n"));
        }
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        let notice = self.tr(
            format!(
                "A post to {post} is waiting for your decision.\n\n  From: {from}\n  Subject: {subject}\n  Why it was held: {why}\n\n\
                 To distribute it, send this line in the body of a mail to {ctl}:\n\napprove {key}\n\n\
                 To turn it down instead, send:\n\nreject {key}\n\nThe post begins:\n\n{quoted}"
            ),
            format!(
                "{post} への投稿が、あなたの判断を待っています。\n\n  差出人: {from}\n  件名: {subject}\n  保留の理由: {why}\n\n\
                 配信するには、次の行を本文に書いたメールを {ctl} に送ってください:\n\napprove {key}\n\n\
                 配信しないときは、次の行を送ってください:\n\nreject {key}\n\n投稿の始めの部分:\n\n{quoted}"
            ),
        );
        let mods: Vec<String> =
            if self.moderators.is_empty() { self.cfg.admins.clone() } else { self.moderators.clone() };
        let title = self
            .tr(format!("Post held for approval: \"{subject}\" ({ml})"), format!("承認待ちの投稿:「{subject}」({ml})"));
        for m in &mods {
            out.push(self.text_mail(cx, "notice", m, &title, &notice));
        }
        // Only members hear about it: telling a stranger would send mail to forged senders (backscatter).
        if self.is_member(from) && self.answerable(Some(from), from, data) {
            let body = self.tr(
                format!(
                    "Your message \"{subject}\" to {post} is waiting for a moderator.\nYou will hear from the list if it is turned down.\n"
                ),
                format!(
                    "{post} へのあなたの投稿「{subject}」は、モデレータの承認を待っています。\n配信しないことになったときは、リストからお知らせします。\n"
                ),
            );
            let title = self.tr(
                format!("Your post is waiting for a moderator ({ml})"),
                format!("投稿はモデレータの承認待ちです ({ml})"),
            );
            out.push(self.text_mail(cx, "reply", from, &title, &body));
        }
        out
    }

    fn tagged_subject(&self, n: u32, subject: &str) -> String {
        let mut rest = subject.trim();
        let mut re = false;
        let open = format!("[{}:", self.cfg.name);
        loop {
            // `get` rather than indexing: a subject is any UTF-8, and a cut inside a character is no prefix.
            if rest.get(..open.len()).is_some_and(|p| p.eq_ignore_ascii_case(&open)) {
                match rest.find(']') {
                    Some(end) => rest = rest[end + 1..].trim_start(),
                    None => break,
                }
            } else if rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
                re = true;
                rest = rest[3..].trim_start();
            } else {
                break;
            }
        }
        let body = if re { format!("Re: {rest}") } else { rest.to_string() };
        if self.cfg.subject_tag {
            format!("[{}:{n:05}] {}", self.cfg.name, mime::encode_word(&body))
        } else {
            mime::encode_word(&body)
        }
    }

    /// Number, archive and send a post.
    fn distribute(&mut self, cx: &Cx, from: &str, data: &[u8]) -> Vec<Out> {
        self.seq += 1;
        let n = self.seq;
        let subject = mime::subject(data);
        let (header, body) = mime::split(data);
        let mut h = String::new();
        let (mut had_subject, mut had_reply_to) = (false, false);
        for f in mime::fields(header) {
            let name = mime::field_name(&f).to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "return-path"
                    | "delivered-to"
                    | "x-ml-name"
                    | "x-mail-count"
                    | "x-ml-info"
                    | "precedence"
                    | "errors-to"
            ) || name.starts_with("list-")
            {
                continue;
            }
            if name == "subject" {
                if !had_subject {
                    h.push_str(&format!("Subject: {}\r\n", self.tagged_subject(n, &subject)));
                }
                had_subject = true;
                continue;
            }
            if name == "reply-to" {
                had_reply_to = true;
            }
            h.push_str(&f);
            h.push_str("\r\n");
        }
        if !had_subject {
            h.push_str(&format!("Subject: {}\r\n", self.tagged_subject(n, "(no subject)")));
        }
        if self.cfg.reply_to_list && !had_reply_to && self.cfg.kind == Kind::Participatory {
            h.push_str(&format!("Reply-To: {}\r\n", self.cfg.post_address()));
        }
        h.push_str(&format!(
            "X-ML-Name: {}\r\nX-Mail-Count: {n:05}\r\nX-ML-Info: Questions? Mail the word \"help\" to {}\r\n",
            self.cfg.name,
            self.cfg.ctl_address()
        ));
        h.push_str(&self.list_fields());
        h.push_str("Precedence: list\r\n\r\n");
        let mut article = h.into_bytes();
        article.extend_from_slice(body);
        self.archive.push(Article {
            n,
            from: from.into(),
            subject: subject.clone(),
            date: cx.now,
            data: article.clone(),
        });
        let each: Vec<String> =
            self.members.iter().filter(|m| m.delivery == Delivery::Each).map(|m| m.address.clone()).collect();
        let digest = self.members.iter().filter(|m| m.delivery == Delivery::Digest).count();
        let nomail = self.members.iter().filter(|m| m.delivery == Delivery::NoMail).count();
        // Only while someone reads digests: a member who turns them on later starts from there.
        if digest > 0 {
            self.digest_queue.push(n);
        }
        let mut out = vec![Self::note(
            NoteKind::Distribute,
            format!(
                "ARTICLE {n}: \"{subject}\" archived; sent to {} member(s), {digest} get it in the next digest, {nomail} receive no mail",
                each.len()
            ),
            from,
        )];
        if !each.is_empty() {
            out.push(Out::Mail(OutMail {
                what: "distribute",
                from: Some(self.cfg.admin_address()),
                to: each,
                data: article,
            }));
        }
        out
    }

    fn forward_admin(&self, envelope_from: Option<&str>, data: &[u8]) -> Out {
        Out::Mail(OutMail {
            what: "forward",
            from: envelope_from.map(str::to_string),
            to: self.cfg.admins.clone(),
            data: data.to_vec(),
        })
    }

    /// Mail to NAME-admin: bounces of distributed mail, and questions for the people running the list.
    fn admin_mail(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_else(|| "<>".into());
        let mut out = Vec::new();
        if envelope_from.is_none() {
            // A delivery status notification: name the failed members.
            let text = String::from_utf8_lossy(data);
            let mut failed = Vec::new();
            let mut status = String::new();
            for l in text.lines() {
                let l = l.trim();
                if let Some(v) = l.strip_prefix("Final-Recipient:") {
                    failed.push(v.split(';').next_back().unwrap_or(v).trim().to_string());
                } else if let Some(v) = l.strip_prefix("Status:") {
                    status = v.trim().to_string();
                }
            }
            if failed.is_empty() {
                out.push(Self::note(NoteKind::Bounce, "a message from <> that names no failed recipient", &from));
            } else {
                for f in &failed {
                    let m = if self.is_member(f) { "member" } else { "address" };
                    out.push(Self::note(NoteKind::Bounce, format!("delivery to {m} {f} failed ({status})"), &from));
                    if self.is_member(f) && status.starts_with('5') {
                        out.extend(self.count_bounce(f, cx));
                    }
                }
            }
        } else {
            out.push(Self::note(NoteKind::Forward, "mail for the administrator", &from));
        }
        out.push(self.forward_admin(envelope_from, data));
        out
    }

    /// One more permanent bounce for a member; at the limit, stop sending to it.
    fn count_bounce(&mut self, addr: &str, cx: &Cx) -> Vec<Out> {
        let Some(limit) = self.cfg.bounce_limit else { return Vec::new() };
        let n = self.bounces.entry(addr.to_ascii_lowercase()).or_insert(0);
        *n += 1;
        let n = *n;
        if n < limit {
            return vec![Self::note(
                NoteKind::Bounce,
                format!("{addr} has bounced {n} time(s); delivery stops at {limit}"),
                addr,
            )];
        }
        match self.members.iter_mut().find(|m| same(&m.address, addr)) {
            Some(m) if m.delivery != Delivery::NoMail => {
                m.delivery = Delivery::NoMail;
                let (ctl, ml) = (self.cfg.ctl_address(), self.ml());
                let body = self.tr(
                    format!(
                        "Mail to {addr} has bounced {n} time(s), so the list no longer sends there.\n\
                         The address is still a member. To remove it, send to {ctl}:\n\nadmin pass PASSWORD\nadmin bye {addr}\n"
                    ),
                    format!(
                        "{addr} 宛てのメールが {n} 回エラーで戻ってきたので、リストはこのアドレスに配信するのをやめました。\n\
                         アドレスはメンバーのままです。削除するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin bye {addr}\n"
                    ),
                );
                let title = self
                    .tr(format!("Delivery stopped for {addr} ({ml})"), format!("{addr} への配信を止めました ({ml})"));
                let mut out = self.notify_admins(cx, &title, &body);
                out.insert(0, Self::note(
                    NoteKind::Disable,
                    format!("{addr} bounced {n} time(s): no more mail is sent there (still a member; the administrator may remove it)"),
                    addr,
                ));
                out
            }
            _ => Vec::new(),
        }
    }

    /// Command mail to NAME-ctl: run each line, answer with one status report.
    fn commands(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let mut out = Vec::new();
        if !self.answerable(envelope_from, &from, data) {
            out.push(Self::note(NoteKind::Ignore, "command mail from <> or an automatic sender: not answered", &from));
            return out;
        }
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = self.reason(
                format!("{} octets is over the limit of {max}; commands in it were not read", data.len()),
                format!(
                    "{} オクテットで、上限の {max} オクテットを超えているため、コマンドは読んでいません",
                    data.len()
                ),
            );
            return self.refuse(
                cx,
                NoteKind::Size,
                self.cfg.too_large == TooLarge::Ignore,
                &from,
                envelope_from,
                data,
                &why,
            );
        }
        let lines = command::command_lines(&mime::body_text(data));
        let mut report = String::new();
        let mut admin_ok = false;
        let ml = self.ml();
        let mut subject = self.tr(format!("Command results ({ml})"), format!("コマンドの処理結果 ({ml})"));
        if lines.is_empty() {
            report.push_str(self.tr(
                "Your mail had no commands in it. Send \"help\" for the list of commands.\n",
                "メールにコマンドが書かれていませんでした。コマンドの一覧は「help」を送ると届きます。\n",
            ));
        }
        let mut read = 0;
        for (i, line) in lines.iter().enumerate() {
            if i == command::MAX_COMMANDS {
                let max = command::MAX_COMMANDS;
                report.push_str(&self.tr(
                    format!("\n(only the first {max} lines are read; the rest was ignored)\n"),
                    format!("\n（読むのは最初の {max} 行までです。残りは読みませんでした）\n"),
                ));
                break;
            }
            let cmd = command::parse(line);
            read += 1;
            let shown = if line.to_ascii_lowercase().starts_with("admin pass") { "admin pass ********" } else { line };
            report.push_str(&format!(">>> {shown}\n"));
            if cmd == Command::End {
                report.push_str(self.tr("   (the rest of the mail is not read)\n", "   （ここから後は読みません）\n"));
                break;
            }
            if matches!(cmd, Command::Subscribe { .. }) && self.cfg.subscribe != Subscribe::AdminOnly {
                subject = self.tr(format!("Subscribe confirmation request ({ml})"), format!("参加確認のお願い ({ml})"));
            }
            let (text, mut mails) = self.run(cx, &from, cmd, &mut admin_ok);
            for l in text.lines() {
                report.push_str(&format!("   {l}\n"));
            }
            report.push('\n');
            out.append(&mut mails);
        }
        out.insert(0, Self::note(NoteKind::Command, format!("{read} command line(s) read"), &from));
        let reply = self.text_mail(cx, "reply", &from, &subject, &report);
        out.push(reply);
        out
    }

    fn members_only(&self, from: &str) -> Option<String> {
        if self.is_member(from) || self.is_moderator(from) {
            None
        } else {
            Some(self.tr(
                format!(
                    "Refused: this command is for members, and {from} is not one.\nTo join, send \"subscribe YOUR NAME\"."
                ),
                format!(
                    "お断りします: このコマンドはメンバー専用で、{from} はメンバーではありません。\n参加するには「subscribe YOUR NAME」を送ってください。"
                ),
            ))
        }
    }

    /// One command; the text for the report and any extra mail.
    fn run(&mut self, cx: &mut Cx, from: &str, cmd: Command, admin_ok: &mut bool) -> (String, Vec<Out>) {
        let mut mails = Vec::new();
        let text = match cmd {
            Command::Help => self.help_text(),
            Command::Guide => self.guide_text(),
            Command::Subscribe { name } => self.subscribe(cx, from, &name, &mut mails),
            Command::Confirm { key, name } => self.confirm(cx, from, &key, &name, &mut mails),
            Command::Unsubscribe => match self.members.iter().position(|m| same(&m.address, from)) {
                Some(i) => {
                    self.members.remove(i);
                    mails.push(Self::note(NoteKind::Unsubscribe, format!("{from} left the list"), from));
                    self.tr(
                        format!("{from} has left the list. Goodbye!"),
                        format!("{from} はリストから退会しました。これまでありがとうございました。"),
                    )
                }
                None => self.tr(
                    format!("{from} is not a member, so there is nothing to leave."),
                    format!("{from} はメンバーではないので、退会の手続きはいりません。"),
                ),
            },
            Command::Members => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let n = self.members.len();
                    let mut t = self.tr(format!("{n} member(s):\n"), format!("メンバーは {n} 人です:\n"));
                    for m in &self.members {
                        t.push_str(&format!("  {}  ({})\n", m.address, m.delivery.name()));
                    }
                    t
                }
            },
            Command::Index => match self.members_only(from) {
                Some(r) => r,
                None if self.archive.is_empty() => self
                    .tr("The archive is empty: nothing has been posted yet.", "アーカイブは空です。まだ投稿がありません。")
                    .into(),
                None => {
                    let n = self.archive.len();
                    let mut t = self.tr(
                        format!("{n} article(s) in the archive; ask for one with \"get N\":\n"),
                        format!("アーカイブには {n} 件の記事があります。取り寄せるには「get N」を送ってください:\n"),
                    );
                    for a in &self.archive {
                        t.push_str(&format!(
                            "  {:5}  {}  {}  {}\n",
                            a.n,
                            a.date.format("%Y-%m-%d %H:%M"),
                            a.from,
                            a.subject
                        ));
                    }
                    t
                }
            },
            Command::Get(ns) => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let mut t = String::new();
                    for n in ns {
                        match self.archive.iter().find(|a| a.n == n).cloned() {
                            Some(a) => {
                                mails.push(self.article_mail(cx, from, &a));
                                t.push_str(&self.tr(
                                    format!("Article {n} is sent to you in a separate mail.\n"),
                                    format!("記事 {n} を別のメールでお送りします。\n"),
                                ));
                            }
                            None => t.push_str(&self.tr(
                                format!("Article {n} is not in the archive.\n"),
                                format!("記事 {n} はアーカイブにありません。\n"),
                            )),
                        }
                    }
                    t
                }
            },
            Command::Chaddr { old, new } => {
                if !same(&old, from) {
                    self.tr(
                        format!("Refused: send chaddr from the old address ({old}); this mail came from {from}."),
                        format!("お断りします: chaddr は古いアドレス ({old}) から送ってください。このメールは {from} から届きました。"),
                    )
                } else if self.is_member(&new) {
                    self.tr(
                        format!("Refused: {new} is already a member."),
                        format!("お断りします: {new} はすでにメンバーです。"),
                    )
                } else {
                    let done = self.tr(
                        format!("Done: the list now sends to {new} instead of {old}."),
                        format!("変更しました: これからは {old} ではなく {new} に配信します。"),
                    );
                    let not_member = self.tr(
                        format!("Refused: {old} is not a member."),
                        format!("お断りします: {old} はメンバーではありません。"),
                    );
                    match self.members.iter_mut().find(|m| same(&m.address, &old)) {
                        Some(m) => {
                            m.address = new.clone();
                            mails.push(Self::note(NoteKind::Chaddr, format!("{old} is now {new}"), from));
                            done
                        }
                        None => not_member,
                    }
                }
            }
            Command::Digest(arg) => {
                let every = self.duration_text(self.cfg.digest_every);
                let format = match self.cfg.digest_format {
                    DigestFormat::Mime => self.tr("a MIME digest", "MIME 形式のダイジェスト"),
                    DigestFormat::Rfc1153 => self.tr("an RFC 1153 text digest", "RFC 1153 形式のテキストのダイジェスト"),
                };
                let lang = self.cfg.language;
                let tr = |en: String, ja: String| if lang == Lang::Ja { ja } else { en };
                match self.members.iter_mut().find(|m| same(&m.address, from)) {
                    Some(m) => {
                        m.delivery = match arg {
                            DigestArg::On => Delivery::Digest,
                            DigestArg::Off => Delivery::Each,
                            DigestArg::NoMail => Delivery::NoMail,
                        };
                        let d = m.delivery;
                        mails.push(Self::note(NoteKind::Delivery, format!("{from} now receives: {}", d.name()), from));
                        match d {
                            Delivery::Digest => tr(
                                format!("From now on you get {format} every {every} instead of each post."),
                                format!("これからは投稿を 1 通ずつではなく、{every}ごとに、{format}でお届けします。"),
                            ),
                            Delivery::Each => tr(
                                "From now on you get each post as it is sent.".into(),
                                "これからは投稿を 1 通ずつ、配信のたびにお届けします。".into(),
                            ),
                            Delivery::NoMail => tr(
                                "From now on the list sends you no posts; you stay a member (you may post, and read with index/get).".into(),
                                "これからは投稿をお送りしません。メンバーのままなので、投稿することも、index と get で記事を読むこともできます。".into(),
                            ),
                        }
                    }
                    None => tr(
                        format!("Refused: {from} is not a member."),
                        format!("お断りします: {from} はメンバーではありません。"),
                    ),
                }
            }
            Command::Approve(key) | Command::Reject(key) if !self.is_moderator(from) && !*admin_ok => {
                let _ = key;
                self.tr(
                    format!("Refused: only a moderator may decide on held posts, and {from} is not one."),
                    format!("お断りします: 保留中の投稿を判断できるのはモデレータだけで、{from} はモデレータではありません。"),
                )
            }
            Command::Approve(key) => match self.held.remove(&key) {
                Some(h) => {
                    mails.push(Self::note(
                        NoteKind::Approve,
                        format!("held post {key} from {} approved by {from}", h.from),
                        from,
                    ));
                    let mut dist = self.accept(cx, &h.from, &h.data);
                    mails.append(&mut dist);
                    self.tr(
                        format!("Approved: \"{}\" from {} is distributed.", h.subject, h.from),
                        format!("承認しました: {} からの「{}」を配信しました。", h.from, h.subject),
                    )
                }
                None => self.no_held(&key),
            },
            Command::Reject(key) => match self.held.remove(&key) {
                Some(h) => {
                    mails.push(Self::note(
                        NoteKind::Decline,
                        format!("held post {key} from {} declined by {from}", h.from),
                        from,
                    ));
                    let told = self.is_member(&h.from) && self.answerable(Some(&h.from), &h.from, &h.data);
                    if told {
                        let (post, ml, subject, reason) = (self.cfg.post_address(), self.ml(), &h.subject, &h.reason);
                        let body = self.tr(
                            format!(
                                "A moderator decided not to distribute your message \"{subject}\" to {post}.\n(It was held because {reason}.)\n"
                            ),
                            format!(
                                "{post} へのあなたの投稿「{subject}」は、モデレータの判断で配信しないことになりました。\n（保留の理由: {reason}）\n"
                            ),
                        );
                        let title = self.tr(
                            format!("Your post was not distributed ({ml})"),
                            format!("投稿は配信されませんでした ({ml})"),
                        );
                        let to = h.from.clone();
                        mails.push(self.text_mail(cx, "reply", &to, &title, &body));
                    }
                    let tell = match (told, self.cfg.language) {
                        (true, Lang::En) => "the sender is told",
                        (false, Lang::En) => "the sender is not a member and is not told (it may be a forged address)",
                        (true, Lang::Ja) => "送信者にはそのことを知らせました",
                        (false, Lang::Ja) => {
                            "送信者はメンバーではないので知らせていません（アドレスが偽物かもしれないため）"
                        }
                    };
                    self.tr(
                        format!("Rejected: \"{}\" from {} is not distributed; {tell}.", h.subject, h.from),
                        format!("却下しました: {} からの「{}」は配信しません。{tell}。", h.from, h.subject),
                    )
                }
                None => self.no_held(&key),
            },
            Command::Admin(a) => self.admin(cx, from, a, admin_ok, &mut mails),
            Command::Usage { command, usage } => self.tr(
                format!("\"{command}\" needs other arguments. Usage: {usage}"),
                format!("「{command}」の引数が違います。使い方: {}", usage_ja(usage)),
            ),
            Command::Unknown(w) => self.tr(
                format!("Unknown command \"{w}\". Commands are read one per line; send \"help\" for the list of them."),
                format!("「{w}」というコマンドはありません。コマンドは 1 行に 1 つずつ書きます。一覧は「help」を送ると届きます。"),
            ),
            Command::End => String::new(),
        };
        (text, mails)
    }

    fn no_held(&self, key: &str) -> String {
        self.tr(
            format!("No held post has the key {key} (already decided, or mistyped)."),
            format!("鍵 {key} の保留中の投稿はありません（判断済みか、鍵の打ち間違いです）。"),
        )
    }

    fn already_member(&self, address: &str) -> String {
        self.tr(format!("{address} is already a member."), format!("{address} はすでにメンバーです。"))
    }

    fn subscribe(&mut self, cx: &mut Cx, from: &str, name: &str, mails: &mut Vec<Out>) -> String {
        if self.is_member(from) {
            return self.already_member(from);
        }
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        if self.cfg.subscribe == Subscribe::AdminOnly {
            mails.push(Self::note(
                NoteKind::Subscribe,
                format!("join request from {from}: passed to the administrator"),
                from,
            ));
            let who = self.name_or_none(name);
            let body = self.tr(
                format!(
                    "{from} ({who}) asks to join {post}.\nTo add them, send to {ctl}:\n\nadmin pass PASSWORD\nadmin add {from}\n"
                ),
                format!(
                    "{from}（{who}）から {post} に参加したいという申し込みがありました。\n\
                     登録するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin add {from}\n"
                ),
            );
            let title = self.tr(format!("Join request ({ml})"), format!("参加の申し込み ({ml})"));
            mails.extend(self.notify_admins(cx, &title, &body));
            return self
                .tr(
                    "This list adds members by hand: your request has gone to the administrator.",
                    "このリストでは管理者が手作業でメンバーを登録します。参加の申し込みを管理者に伝えました。",
                )
                .into();
        }
        let key = format!("{:08}", (cx.key)() % 100_000_000);
        let shown_name = if name.is_empty() { "YOUR NAME".to_string() } else { name.to_string() };
        self.pending.insert(key.clone(), Pending { address: from.into(), name: name.into(), at: cx.now });
        mails.push(Self::note(
            NoteKind::Subscribe,
            format!("join request from {from}: confirmation key {key} sent"),
            from,
        ));
        let expiry = self.duration_text(self.cfg.confirm_expiry);
        self.tr(
            format!(
                "Please confirm that {from} wants to join {post}.\n\
                 Reply to this mail (to {ctl}) with this line in the body:\n\nconfirm {key} {shown_name}\n\n\
                 The key is good for {expiry}. If you did not ask to join, do nothing."
            ),
            format!(
                "{from} から {post} への参加の申し込みがありました。\n\
                 ご本人の確認のため、次の行を本文に入れて、このメールに返信してください（返信先は {ctl} です）:\n\n\
                 confirm {key} {shown_name}\n\n\
                 この鍵の有効期間は {expiry}です。申し込んだ覚えがなければ、何もしないでください。"
            ),
        )
    }

    fn confirm(&mut self, cx: &mut Cx, from: &str, key: &str, name: &str, mails: &mut Vec<Out>) -> String {
        let Some(p) = self.pending.get(key).cloned() else {
            return self
                .tr(
                    "That key is unknown (mistyped, already used, or expired). Send \"subscribe YOUR NAME\" to get a new one.",
                    "その鍵は見つかりません（打ち間違い、使用済み、または期限切れです）。新しい鍵は「subscribe YOUR NAME」を送ると届きます。",
                )
                .into();
        };
        let age = (cx.now - p.at).to_std().unwrap_or_default();
        if age > self.cfg.confirm_expiry {
            self.pending.remove(key);
            return self
                .tr(
                    "That key has expired. Send \"subscribe YOUR NAME\" to start again.",
                    "その鍵は有効期間が過ぎています。「subscribe YOUR NAME」を送って、初めからやり直してください。",
                )
                .into();
        }
        if !same(&p.address, from) {
            let to = &p.address;
            return self.tr(
                format!("Refused: key {key} was sent to {to}, not to {from}. Confirm from that address."),
                format!("お断りします: 鍵 {key} は {from} ではなく {to} に送ったものです。そのアドレスから確認してください。"),
            );
        }
        self.pending.remove(key);
        let name = if name.is_empty() { p.name.clone() } else { name.to_string() };
        if self.is_member(from) {
            return self.already_member(from);
        }
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        let who = self.name_or_none(&name).to_string();
        match self.cfg.subscribe {
            Subscribe::Confirm | Subscribe::AdminOnly => {
                self.members.push(Member { address: from.into(), name: name.clone(), delivery: Delivery::Each });
                mails.push(Self::note(NoteKind::Join, format!("{from} confirmed and joined"), from));
                let n = self.members.len();
                let body = self.tr(
                    format!("{from} ({who}) joined {post} after confirming; the list now has {n} member(s).\n"),
                    format!("{from}（{who}）が確認を済ませて {post} に参加しました。メンバーは {n} 人になりました。\n"),
                );
                let title = self.tr(format!("New member ({ml})"), format!("新しいメンバー ({ml})"));
                mails.extend(self.notify_admins(cx, &title, &body));
                let guide = self.cfg.guide.as_deref().map(|g| format!("\n{g}")).unwrap_or_default();
                self.tr(
                    format!(
                        "Welcome! {from} is now a member of {post}.\nPost by writing to {post}; send \"help\" to {ctl} for the commands.\n{guide}"
                    ),
                    format!(
                        "ようこそ！{from} は {post} のメンバーになりました。\n\
                         投稿は {post} 宛てに送ってください。コマンドの一覧は {ctl} に「help」を送ると届きます。\n{guide}"
                    ),
                )
            }
            Subscribe::ConfirmThenApprove => {
                self.awaiting.insert(
                    from.to_ascii_lowercase(),
                    Pending { address: from.into(), name: name.clone(), at: cx.now },
                );
                mails.push(Self::note(
                    NoteKind::Confirm,
                    format!("{from} confirmed; waiting for the administrator"),
                    from,
                ));
                let body = self.tr(
                    format!(
                        "{from} ({who}) confirmed a request to join {post}.\nTo let them in, send to {ctl}:\n\nadmin pass PASSWORD\nadmin add {from}\n"
                    ),
                    format!(
                        "{from}（{who}）が {post} への参加の申し込みを確認しました。\n\
                         登録するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin add {from}\n"
                    ),
                );
                let title =
                    self.tr(format!("Join request to approve ({ml})"), format!("承認待ちの参加の申し込み ({ml})"));
                mails.extend(self.notify_admins(cx, &title, &body));
                self.tr(
                    "Thank you: your address is confirmed. The administrator checks every new member by hand; you will get a welcome mail when you are added.",
                    "ありがとうございます。アドレスの確認ができました。新しいメンバーは管理者が一人ずつ確かめて登録します。登録されると歓迎のメールが届きます。",
                )
                .into()
            }
        }
    }

    fn admin(&mut self, cx: &mut Cx, from: &str, a: Admin, admin_ok: &mut bool, mails: &mut Vec<Out>) -> String {
        if let Admin::Pass(pw) = &a {
            let Some(want) = &self.cfg.password else {
                mails.push(Self::note(NoteKind::Admin, "admin pass refused: remote administration is off", from));
                return self
                    .tr(
                        "Refused: this list has no remote administration.",
                        "お断りします: このリストはメールによる遠隔管理をしていません。",
                    )
                    .into();
            };
            if !self.is_admin(from) {
                mails.push(Self::note(
                    NoteKind::Admin,
                    format!("admin pass refused: {from} is not an administrator"),
                    from,
                ));
                return self.tr(
                    format!("Refused: {from} is not an administrator of this list."),
                    format!("お断りします: {from} はこのリストの管理者ではありません。"),
                );
            }
            if pw != want {
                *admin_ok = false;
                mails.push(Self::note(NoteKind::Admin, "admin pass refused: wrong password", from));
                return self
                    .tr(
                        "Refused: wrong password. Admin commands in this mail will not run.",
                        "お断りします: パスワードが違います。このメールの admin コマンドは実行しません。",
                    )
                    .into();
            }
            *admin_ok = true;
            mails.push(Self::note(NoteKind::Admin, "admin pass accepted", from));
            return self
                .tr(
                    "Password accepted: admin commands in the rest of this mail will run.",
                    "パスワードを確認しました。このメールの残りの admin コマンドを実行します。",
                )
                .into();
        }
        if a == Admin::Help {
            return self
                .tr(
                    "Administrator commands (after \"admin pass PASSWORD\", from an administrator's address):\n  \
                     admin add ADDRESS [NAME]   add a member\n  admin bye ADDRESS          remove a member\n  \
                     admin moderate ADDRESS     make a member a moderator",
                    "管理者用のコマンド（管理者のアドレスから、「admin pass PASSWORD」の行の後に書きます）:\n  \
                     admin add ADDRESS [NAME]   メンバーを登録する\n  admin bye ADDRESS          メンバーを削除する\n  \
                     admin moderate ADDRESS     メンバーをモデレータにする",
                )
                .into();
        }
        if !*admin_ok {
            mails.push(Self::note(NoteKind::Admin, "admin command refused: no valid \"admin pass\" before it", from));
            return self
                .tr(
                    "Refused: start the mail with \"admin pass PASSWORD\" (from an administrator's address).",
                    "お断りします: メールの初めに「admin pass PASSWORD」の行を書いてください（管理者のアドレスから送ること）。",
                )
                .into();
        }
        match a {
            Admin::Add { address, name } => {
                if self.is_member(&address) {
                    return self.already_member(&address);
                }
                let name = if name.is_empty() {
                    self.awaiting.get(&address.to_ascii_lowercase()).map(|p| p.name.clone()).unwrap_or_default()
                } else {
                    name
                };
                self.awaiting.remove(&address.to_ascii_lowercase());
                self.members.push(Member { address: address.clone(), name, delivery: Delivery::Each });
                mails.push(Self::note(NoteKind::Admin, format!("admin add {address}"), from));
                let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
                let guide = self.cfg.guide.as_deref().map(|g| format!("\n{g}")).unwrap_or_default();
                let body = self.tr(
                    format!(
                        "Welcome! The administrator has added {address} to {post}.\nPost by writing to {post}; send \"help\" to {ctl} for the commands.\n{guide}"
                    ),
                    format!(
                        "ようこそ！管理者が {address} を {post} のメンバーに登録しました。\n\
                         投稿は {post} 宛てに送ってください。コマンドの一覧は {ctl} に「help」を送ると届きます。\n{guide}"
                    ),
                );
                let title = self.tr(format!("Welcome to the {ml}"), format!("{ml} へようこそ"));
                mails.push(self.text_mail(cx, "reply", &address, &title, &body));
                let n = self.members.len();
                self.tr(
                    format!("Added {address}; the list now has {n} member(s)."),
                    format!("{address} を登録しました。メンバーは {n} 人になりました。"),
                )
            }
            Admin::Bye(address) => match self.members.iter().position(|m| same(&m.address, &address)) {
                Some(i) => {
                    self.members.remove(i);
                    mails.push(Self::note(NoteKind::Admin, format!("admin bye {address}"), from));
                    let n = self.members.len();
                    self.tr(
                        format!("Removed {address}; the list now has {n} member(s)."),
                        format!("{address} を削除しました。メンバーは {n} 人になりました。"),
                    )
                }
                None => self.tr(format!("{address} is not a member."), format!("{address} はメンバーではありません。")),
            },
            Admin::Moderate(address) => {
                if self.moderators.iter().any(|m| same(m, &address)) {
                    return self.tr(
                        format!("{address} is already a moderator."),
                        format!("{address} はすでにモデレータです。"),
                    );
                }
                self.moderators.push(address.clone());
                mails.push(Self::note(NoteKind::Admin, format!("admin moderate {address}"), from));
                self.tr(format!("{address} is now a moderator."), format!("{address} をモデレータにしました。"))
            }
            Admin::Usage(u) => self.tr(format!("Usage: {u}"), format!("使い方: {}", usage_ja(u))),
            Admin::Unknown(w) => self.tr(
                format!("Unknown admin command \"{w}\"; send \"admin help\"."),
                format!("「{w}」という admin コマンドはありません。一覧は「admin help」を送ると届きます。"),
            ),
            Admin::Pass(_) | Admin::Help => String::new(),
        }
    }

    fn help_text(&self) -> String {
        let c = &self.cfg;
        let (post, ctl) = (c.post_address(), c.ctl_address());
        self.tr(
            format!(
                "Commands for {post}: write them in the body of a mail to {ctl}, one per line.\n\n\
                 help                   this text\n\
                 guide                  what the list is and how to join\n\
                 subscribe YOUR NAME    ask to join (you get a key to confirm)\n\
                 confirm KEY YOUR NAME  finish joining with the key you were sent\n\
                 unsubscribe            leave the list\n\
                 members                who is on the list (members only)\n\
                 index                  the archived articles (members only)\n\
                 get N                  article N from the archive, also get 3-5 (members only)\n\
                 chaddr OLD NEW         move your membership to a new address (send from OLD)\n\
                 digest on|off|nomail   get a digest / each post / no mail\n\
                 approve KEY, reject KEY   decide on a held post (moderators)\n\
                 admin pass PASSWORD    then admin add, admin bye, admin moderate (administrators)\n\
                 end                    stop reading (put it before your signature)\n"
            ),
            format!(
                "{post} のコマンド: {ctl} 宛てのメールの本文に、1 行に 1 つずつ書いてください。\n\n\
                 help                   この説明\n\
                 guide                  リストの案内と参加の方法\n\
                 subscribe YOUR NAME    参加を申し込む（確認用の鍵が届きます）\n\
                 confirm KEY YOUR NAME  届いた鍵で参加の手続きを終える\n\
                 unsubscribe            リストから退会する\n\
                 members                メンバーの一覧（メンバーのみ）\n\
                 index                  アーカイブの記事の一覧（メンバーのみ）\n\
                 get N                  アーカイブの記事 N を取り寄せる。get 3-5 も可（メンバーのみ）\n\
                 chaddr OLD NEW         登録アドレスを NEW に変える（OLD から送ること）\n\
                 digest on|off|nomail   ダイジェストで / 1 通ずつ / 配信なしで受け取る\n\
                 approve KEY, reject KEY   保留中の投稿を配信する / しない（モデレータ）\n\
                 admin pass PASSWORD    続けて admin add, admin bye, admin moderate（管理者）\n\
                 end                    ここで読むのをやめる（署名の前に書きます）\n"
            ),
        )
    }

    fn guide_text(&self) -> String {
        if let Some(g) = &self.cfg.guide {
            return g.clone();
        }
        let c = &self.cfg;
        let what = match c.kind {
            Kind::Participatory => self.tr(
                "Every member may post; a post is sent to all members.",
                "参加型のリストです。メンバーは誰でも投稿でき、投稿はメンバー全員に届きます。",
            ),
            Kind::Moderated => self.tr(
                "This is an announcement list: only its moderators post, members receive.",
                "お知らせ用のリストです。投稿するのはモデレータだけで、メンバーは受け取るだけです。",
            ),
        };
        let join = match c.subscribe {
            Subscribe::Confirm => self.tr(
                "To join, send \"subscribe YOUR NAME\"; you will be sent a key to confirm.",
                "参加するには「subscribe YOUR NAME」を送ってください。確認用の鍵が届きます。",
            ),
            Subscribe::ConfirmThenApprove => self.tr(
                "To join, send \"subscribe YOUR NAME\" and confirm with the key you are sent; the administrator then adds you by hand.",
                "参加するには「subscribe YOUR NAME」を送り、届いた鍵で確認してください。そのあと管理者が手作業で登録します。",
            ),
            Subscribe::AdminOnly => self.tr(
                "Members are added by the administrator; \"subscribe\" passes your request on.",
                "メンバーは管理者が登録します。「subscribe」を送ると、参加の申し込みが管理者に伝わります。",
            ),
        };
        let title = c.title.as_deref().map(|t| format!("{t} — ")).unwrap_or_default();
        let (post, ctl, admin) = (c.post_address(), c.ctl_address(), c.admin_address());
        self.tr(
            format!(
                "{title}{post}\n\n{what}\n  posting address:  {post}\n  command address:  {ctl} (send \"help\" there)\n  administrator:    {admin}\n\n{join}\n"
            ),
            format!(
                "{title}{post}\n\n{what}\n  投稿用アドレス:        {post}\n  コマンド受付アドレス:  {ctl}（「help」を送るとコマンドの一覧が届きます）\n  管理者アドレス:        {admin}\n\n{join}\n"
            ),
        )
    }

    fn article_mail(&mut self, cx: &Cx, to: &str, a: &Article) -> Out {
        let boundary = format!("=_article_{}_{}", a.n, self.mails + 1);
        let (n, post, ml) = (a.n, self.cfg.post_address(), self.ml());
        let text = self.tr(
            format!("Article {n} of {post}, as it was distributed, is attached."),
            format!("{post} の記事 {n} を、配信されたときのままの形で添付します。"),
        );
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n{}\r\n\
             {text}\r\n\
             --{boundary}\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--{boundary}--\r\n",
            cte_8bit(&text),
            String::from_utf8_lossy(&a.data).trim_end()
        );
        let subject = self.tr(format!("Article {n} ({ml})"), format!("記事 {n} ({ml})"));
        let data = self.compose(cx, "auto-replied", to, &subject, &content);
        Out::Mail(OutMail { what: "article", from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }

    /// The digest of the posts since the last one, for the members who chose it.
    pub fn digest(&mut self, cx: &Cx) -> Vec<Out> {
        let to: Vec<String> =
            self.members.iter().filter(|m| m.delivery == Delivery::Digest).map(|m| m.address.clone()).collect();
        if self.digest_queue.is_empty() || to.is_empty() {
            return Vec::new();
        }
        let ns = std::mem::take(&mut self.digest_queue);
        let arts: Vec<Article> = self.archive.iter().filter(|a| ns.contains(&a.n)).cloned().collect();
        self.digest_issue += 1;
        let issue = self.digest_issue;
        let first = ns.first().copied().unwrap_or(0);
        let last = ns.last().copied().unwrap_or(0);
        // `range` in English for the trace; `shown` in the list's language for the digest itself.
        let range = if first == last { format!("article {first}") } else { format!("articles {first}-{last}") };
        let shown = match self.cfg.language {
            Lang::En => range.clone(),
            Lang::Ja if first == last => format!("記事 {first}"),
            Lang::Ja => format!("記事 {first}-{last}"),
        };
        let name = self.cfg.name.clone();
        let mut topics = String::new();
        for a in &arts {
            topics.push_str(&format!("  {:5}. {} ({})\r\n", a.n, a.subject, a.from));
        }
        let count = arts.len();
        let (subject, content) = match self.cfg.digest_format {
            DigestFormat::Mime => {
                let b = format!("=_digest_{issue}_outer");
                let d = format!("=_digest_{issue}_parts");
                let toc = self.tr(
                    format!("{name} digest, issue {issue}: {count} article(s), {shown}\r\n\r\nTopics:\r\n{topics}"),
                    format!("{name} ダイジェスト 第 {issue} 号: {count} 件（{shown}）\r\n\r\n目次:\r\n{topics}"),
                );
                let mut c = format!(
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                     --{b}\r\nContent-Type: text/plain; charset=UTF-8\r\n{}\r\n{toc}\
                     \r\n--{b}\r\nContent-Type: multipart/digest; boundary=\"{d}\"\r\n\r\n",
                    cte_8bit(&toc)
                );
                for a in &arts {
                    // In multipart/digest each part is message/rfc822 unless it says otherwise (RFC 2046 §5.1.5).
                    c.push_str(&format!("--{d}\r\n\r\n{}\r\n", String::from_utf8_lossy(&a.data).trim_end()));
                }
                c.push_str(&format!("--{d}--\r\n\r\n--{b}--\r\n"));
                (
                    self.tr(
                        format!("{name} digest, issue {issue} ({shown})"),
                        format!("{name} ダイジェスト 第 {issue} 号 ({shown})"),
                    ),
                    c,
                )
            }
            DigestFormat::Rfc1153 => {
                let mut c = String::from("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n");
                c.push_str(&format!(
                    "{name} Digest\t\t{}\t\tVolume 1 : Issue {issue}\r\n\r\nToday's Topics:\r\n\r\n",
                    cx.now.format("%a, %e %b %Y")
                ));
                for a in &arts {
                    c.push_str(&format!("    {}\r\n", a.subject));
                }
                c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(70)));
                for a in &arts {
                    let hs = crate::message::headers(&a.data);
                    for f in ["Date", "From", "Subject", "Message-ID"] {
                        if let Some(v) = crate::message::first(&hs, f) {
                            c.push_str(&format!("{f}: {v}\r\n"));
                        }
                    }
                    c.push_str("\r\n");
                    for l in mime::body_text(&a.data).lines() {
                        c.push_str(l);
                        c.push_str("\r\n");
                    }
                    c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(30)));
                }
                let end = format!("End of {name} Digest V1 Issue #{issue}");
                c.push_str(&format!("{end}\r\n{}\r\n", "*".repeat(end.len())));
                (format!("{name} Digest V1 #{issue}"), c)
            }
        };
        let post = self.cfg.post_address();
        let data = self.compose(cx, "auto-generated", &post, &subject, &content);
        vec![
            Self::note(
                NoteKind::Digest,
                format!("digest issue {issue} ({range}) sent to {} member(s)", to.len()),
                &self.cfg.admin_address(),
            ),
            Out::Mail(OutMail { what: "digest", from: Some(self.cfg.admin_address()), to, data }),
        ]
    }
}

#[cfg(test)]
mod tests;
