//! What a paused run looks like inside: every host's queue, mailboxes,
//! POP-before-SMTP table, lists and DNS data, and the maillog so far.
//! Plain data (serialisable), read by the browser lab and by tests.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Snapshot {
    /// How many trace events have been recorded (the run is paused after them).
    pub events: usize,
    /// The virtual time, RFC 3339.
    pub time: String,
    /// The last scenario step that has started (0 before the first).
    pub step: usize,
    /// The run has nothing left to do.
    pub finished: bool,
    pub hosts: Vec<HostSnapshot>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HostSnapshot {
    pub name: String,
    pub role: String,
    pub address: String,
    /// Taken down by a `down` step and not up again.
    pub down: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<QueuedMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<MailboxSnapshot>,
    /// POP-before-SMTP: addresses allowed to relay, and until when.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub popauth: Vec<PopAuth>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ListSnapshot>,
    /// A DNS host's records, as zone-file lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// This host's maillog lines so far.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maillog: Vec<String>,
    /// How much there is in all when a [`Limits`] snapshot lists only the
    /// first mailboxes, members and zone lines (`None`: the lists are whole).
    #[serde(skip)]
    pub totals: Option<Totals>,
}

/// The sizes of what a limited snapshot cut short.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub queue: usize,
    pub mailboxes: usize,
    pub messages: usize,
    /// Members of each list, in the order of `lists`.
    pub members: Vec<usize>,
    pub dns: usize,
}

/// How much of each host a snapshot lists: a view that draws the first
/// few hundred of a host's 10,000 mailboxes need not copy them all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The maillog lines (read from the trace).
    pub maillog: bool,
    pub queue: usize,
    pub mailboxes: usize,
    pub members: usize,
    pub dns: usize,
}

impl Limits {
    /// Everything.
    pub const ALL: Limits =
        Limits { maillog: true, queue: usize::MAX, mailboxes: usize::MAX, members: usize::MAX, dns: usize::MAX };
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QueuedMessage {
    pub qid: String,
    pub from: String,
    pub rcpts: Vec<String>,
    pub size: usize,
    pub arrival: String,
    pub attempts: u32,
    /// When the next delivery attempt is due (virtual time, RFC 3339).
    pub next_try: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MailboxSnapshot {
    pub user: String,
    pub mailbox: String,
    pub uid_validity: u32,
    pub uid_next: u32,
    pub messages: Vec<StoredMessage>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StoredMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub size: usize,
    pub from: String,
    pub subject: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PopAuth {
    pub ip: String,
    pub until: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ListSnapshot {
    pub name: String,
    pub members: Vec<ListMember>,
    /// Keys of posts held for a moderator.
    pub held: Vec<String>,
    /// Archived articles: number, sender, subject.
    pub archive: Vec<(u32, String, String)>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ListMember {
    pub address: String,
    /// `each`, `digest` or `nomail`.
    pub delivery: &'static str,
}

impl Snapshot {
    pub fn host(&self, name: &str) -> Option<&HostSnapshot> {
        self.hosts.iter().find(|h| h.name == name)
    }
}
