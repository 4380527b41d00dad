//! A list's settings, as the scenario file gives them, and its three addresses.

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
