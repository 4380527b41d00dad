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
//!
//! The parts: `config.rs` (settings), `post.rs` (posts: checks, numbering,
//! headers, the archive), `moderation.rs` (held posts), `ctl.rs` (command
//! mail; `command.rs` parses it), `membership.rs` (joining, leaving,
//! changing address), `admin.rs` (`admin` commands), `bounce.rs` (mail to
//! NAME-admin), `digest.rs`, `compose.rs` (the list's own mail), `texts/`
//! (everything people read, one table per language), `mime.rs`,
//! `duration.rs`. This module depends on no other part of the crate but the
//! pure helpers `message.rs`, `base::time::rfc5322` and the SMTP address parser.

mod admin;
mod bounce;
pub mod command;
mod compose;
mod config;
mod ctl;
mod digest;
pub mod duration;
mod membership;
pub mod mime;
mod moderation;
mod post;
pub mod texts;

pub use config::{
    Attachments, Delivery, Dest, DigestFormat, Kind, Lang, ListConfig, Member, Others, Subscribe, TooLarge,
};

use chrono::{DateTime, FixedOffset};
use membership::Pending;
use moderation::Held;
use std::collections::BTreeMap;
use texts::Texts;

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

    /// New settings for a running list (a `configure` step): the members,
    /// held posts, pending subscriptions, archive and counters stay. The
    /// moderators are replaced only when the new settings name others than
    /// the old ones did (so a moderator added by command mail stays).
    pub fn reconfigure(&mut self, mut cfg: ListConfig) {
        cfg.members.clear();
        if cfg.moderators != self.cfg.moderators {
            self.moderators = cfg.moderators.clone();
        }
        self.cfg = cfg;
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

    /// Take one message delivered to one of the list's addresses.
    pub fn receive(&mut self, dest: Dest, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        match dest {
            Dest::Post => self.post(envelope_from, data, cx),
            Dest::Ctl => self.commands(envelope_from, data, cx),
            Dest::Admin => self.admin_mail(envelope_from, data, cx),
        }
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
    /// The texts in the list's language.
    fn texts(&self) -> &'static dyn Texts {
        texts::for_lang(self.cfg.language)
    }
    /// A reason written by `f`: in English for the trace, in the list's language for people.
    fn reason(&self, f: impl Fn(&dyn Texts) -> String) -> Reason {
        Reason { note: f(&texts::en::En), text: f(self.texts()) }
    }
    /// `no name given`, for a join request without a name.
    fn name_or_none<'a>(&self, name: &'a str) -> &'a str {
        if name.is_empty() { self.texts().no_name() } else { name }
    }
    fn note(kind: NoteKind, text: impl Into<String>, who: &str) -> Out {
        Out::Note { kind, text: text.into(), who: who.to_string() }
    }
}

#[cfg(test)]
mod tests;
