//! The mail store: accounts, mailboxes, messages with UIDs and flags.
//!
//! Pure data with no I/O, shared by the POP3 and IMAP cores and by local
//! delivery. UIDs follow RFC 3501 §2.3.1.1: they only ever grow within a
//! mailbox, and a mailbox that is deleted and created again gets a new
//! UIDVALIDITY, so a client's cached UIDs can never point at the wrong mail.
//!
//! The store lives in memory and starts empty whenever the lab starts, so
//! UIDs cannot persist from one run to the next: RFC 3501 then wants the
//! UIDVALIDITY to be greater each time. As Dovecot does, a mailbox's
//! UIDVALIDITY is the time it was created, in seconds since the epoch (or
//! one more than the account's last one, when the time is not larger). The
//! time is always the host's clock, handed in by the caller: real time in
//! `serve`, the scenario's start plus virtual time in `run`, so that runs
//! stay the same from one to the next.
//!
//! Every change another session could see (mail delivered or appended,
//! flags stored, messages expunged, mailboxes created, deleted or renamed)
//! raises the store's [`Store::version`]: the host compares it before and
//! after each use and wakes the sessions that wait (an IMAP client in IDLE
//! learns of it at once, whichever session or protocol made the change).
//! The store's own methods raise it; code that changes a [`Mailbox`] it got
//! from [`Store::mailbox_mut`] calls [`Store::touch`].

pub mod small;

use chrono::{DateTime, FixedOffset};
use small::{SmallMap, SmallSet};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub const INBOX: &str = "INBOX";

/// Flags a client may set (RFC 3501 §2.3.2); `\Recent` is managed by the server.
pub const SYSTEM_FLAGS: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

#[derive(Clone, Debug)]
pub struct Message {
    pub uid: u32,
    pub flags: BTreeSet<String>,
    pub internal_date: DateTime<FixedOffset>,
    pub data: Arc<Vec<u8>>,
    /// Octets with every line ended by CRLF (what POP3's LIST and STAT count), worked out once at delivery.
    pub wire_size: usize,
}

/// Size of `data` as sent on the wire with CRLF line ends: a bare LF counts
/// two octets, and an unterminated last line gets its CRLF.
pub fn crlf_size(data: &[u8]) -> usize {
    // Every delivery runs it: memchr finds the line ends many octets at a
    // time, and only those are looked at (mail off the wire is mostly CRLF).
    let bare_lf = memchr::memchr_iter(b'\n', data).filter(|&i| i == 0 || data[i - 1] != b'\r').count();
    let n = data.len() + bare_lf;
    match data.last() {
        None | Some(b'\n') => n,
        Some(b'\r') => n + 1,
        Some(_) => n + 2,
    }
}

impl Message {
    pub fn size(&self) -> usize {
        self.data.len()
    }
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// What a mailbox is for (RFC 6154 SPECIAL-USE), shown to IMAP clients as
/// a LIST attribute so that they file sent mail, drafts, deleted and junk
/// mail where every other client of the account does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
}

impl SpecialUse {
    pub const ALL: [SpecialUse; 4] = [SpecialUse::Sent, SpecialUse::Drafts, SpecialUse::Trash, SpecialUse::Junk];

    /// The LIST attribute: `\Sent`, `\Drafts`, `\Trash`, `\Junk`.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Junk => "\\Junk",
        }
    }

    /// The mailbox name Thunderbird gives it.
    pub fn default_name(self) -> &'static str {
        match self {
            SpecialUse::Sent => "Sent",
            SpecialUse::Drafts => "Drafts",
            SpecialUse::Trash => "Trash",
            SpecialUse::Junk => "Junk",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Mailbox {
    /// What the mailbox is for, if it is one of the special ones.
    pub special_use: Option<SpecialUse>,
    pub uid_validity: u32,
    pub uid_next: u32,
    pub messages: Vec<Message>,
    /// UIDs that are \Recent: arrived since the last session that selected the mailbox.
    pub recent: BTreeSet<u32>,
    /// Octets of `messages`, kept as they come and go (the quota reads it
    /// at every save); the store's methods add and remove messages.
    bytes: u64,
}

impl Mailbox {
    fn new(uid_validity: u32) -> Self {
        Mailbox {
            special_use: None,
            uid_validity,
            uid_next: 1,
            messages: Vec::new(),
            recent: BTreeSet::new(),
            bytes: 0,
        }
    }
    pub fn append(&mut self, data: Arc<Vec<u8>>, flags: BTreeSet<String>, date: DateTime<FixedOffset>) -> u32 {
        let uid = self.uid_next;
        self.uid_next += 1;
        let wire_size = crlf_size(&data);
        self.bytes += data.len() as u64;
        // Most mailboxes of a large run hold one message: room for one, not
        // the four a vector's first growth makes (the next ones grow as usual).
        if self.messages.capacity() == 0 {
            self.messages.reserve_exact(1);
        }
        self.messages.push(Message { uid, flags, internal_date: date, data, wire_size });
        self.recent.insert(uid);
        uid
    }
    pub fn unseen(&self) -> usize {
        self.messages.iter().filter(|m| !m.has("\\Seen")).count()
    }
    pub fn by_uid(&self, uid: u32) -> Option<&Message> {
        self.messages.iter().find(|m| m.uid == uid)
    }
}

#[derive(Clone, Debug)]
pub struct Account {
    /// The login name (the mail address).
    pub user: String,
    pub password: String,
    /// False for a system mailbox (such as `postmaster`): mail is delivered
    /// to it, but no password opens it over POP3 or IMAP.
    pub login: bool,
    pub mailboxes: SmallMap<String, Mailbox>,
    pub subscribed: SmallSet<String>,
    /// The smallest UIDVALIDITY the account's next mailbox may get: one
    /// more than the last one given. A new mailbox gets the time it is
    /// created (seconds since the epoch), or this when the time is not
    /// larger (two mailboxes created in the same second, or one deleted
    /// and created again), as Dovecot's `mailbox_uidvalidity_next_fallback()`
    /// does (src/lib-storage/mailbox-uidvalidity.c; Dovecot keeps the last
    /// value per user in its `dovecot-uidvalidity` file).
    next_validity: u32,
}

impl Account {
    /// The UIDVALIDITY of a mailbox the account gets at `now`.
    fn validity(&mut self, now: DateTime<FixedOffset>) -> u32 {
        let v = validity_at(now).max(self.next_validity);
        // Past u32::MAX the count starts again at 1 (a UIDVALIDITY is a nz-number).
        self.next_validity = v.checked_add(1).unwrap_or(1);
        v
    }
}

/// The UIDVALIDITY a mailbox created at `now` starts from: the time in
/// seconds since the epoch, taken to 32 bits as Dovecot stores
/// `ioloop_time` in a `uint32_t` (so a run dated after February 2106 counts
/// from small numbers again instead of sticking at the largest), and never 0,
/// which is no UIDVALIDITY (RFC 3501's nz-number).
pub fn validity_at(now: DateTime<FixedOffset>) -> u32 {
    u32::try_from(now.timestamp().rem_euclid(1 << 32)).unwrap_or(1).max(1)
}

/// What an account may hold when a client saves mail into it over IMAP
/// (APPEND, COPY), as Dovecot's quota plugin enforces a
/// `quota_rule = *:storage=…:messages=…`: a save that would go over is
/// refused with `NO [OVERQUOTA]`. Mail delivered by the MTA is not checked
/// (Postfix's local(8) knows only `mailbox_size_limit`), and MOVE within the
/// account changes nothing. Dovecot has no quota unless one is set up; the
/// lab always has one, since its mail lives in memory and a client that
/// copies `1:*` into the same mailbox again and again doubles it each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Messages in all the account's mailboxes together.
    pub messages: usize,
    /// Octets of those messages.
    pub bytes: u64,
}

impl Default for Quota {
    /// 100,000 messages and 1 GiB (Dovecot's example rule is `*:storage=1G`).
    fn default() -> Self {
        Quota { messages: 100_000, bytes: 1 << 30 }
    }
}

/// The text of a refused save: Dovecot's default `quota_exceeded_message`
/// (src/plugins/quota/quota.c), after the `[OVERQUOTA]` code of RFC 5530.
pub const QUOTA_EXCEEDED: &str = "Quota exceeded (mailbox for user is full)";

/// All accounts of one mailstore host.
#[derive(Clone, Debug, Default)]
pub struct Store {
    /// Found by name in one hash (a list host has 100,000 accounts, looked
    /// up for every recipient); never iterated, so its order never shows.
    accounts: HashMap<String, Account>,
    /// The users in their order, for everything that lists them.
    names: BTreeSet<String>,
    /// Accounts whose names have capital letters, by their names in lower
    /// case (see [`Store::resolve_user`]); empty in the usual store.
    folded: HashMap<String, String>,
    /// What each account may hold by IMAP saves.
    quota: Quota,
    /// Raised by every change a session could see (see the module's text).
    version: u64,
    /// Octets of every message in every account, kept as they come and go
    /// (the MTA reads it at every MAIL: its `disk_space`).
    octets: u64,
    /// The host's `disk_space` (0: no limit): what IMAP saves may fill.
    disk: u64,
}

/// Mailbox names are case-sensitive except INBOX (RFC 3501 §5.1).
pub fn canonical(name: &str) -> String {
    canonical_str(name).to_string()
}

/// [`canonical`] without a copy (for a look-up).
fn canonical_str(name: &str) -> &str {
    if name.eq_ignore_ascii_case(INBOX) { INBOX } else { name }
}

impl Store {
    pub fn new() -> Self {
        Store {
            accounts: HashMap::new(),
            names: BTreeSet::new(),
            folded: HashMap::new(),
            quota: Quota::default(),
            version: 0,
            octets: 0,
            disk: 0,
        }
    }

    /// The host's `disk_space` (0: no limit), which IMAP saves
    /// (`APPEND`, `COPY`) must fit in besides the quota.
    pub fn set_disk_space(&mut self, octets: u64) {
        self.disk = octets;
    }

    /// Do `bytes` more octets fit on the disk? The mailboxes' share only:
    /// the queue's is the MTA's (see `Mta::free_octets`).
    pub fn disk_fits(&self, bytes: u64) -> bool {
        self.disk == 0 || self.octets.saturating_add(bytes) <= self.disk
    }

    /// Every account's limit for IMAP saves from now on.
    pub fn set_quota(&mut self, quota: Quota) {
        self.quota = quota;
    }

    /// Octets of every message in every account (what the host's
    /// `disk_space` holds besides its queue).
    pub fn octets(&self) -> u64 {
        debug_assert_eq!(
            self.octets,
            self.accounts.values().flat_map(|a| a.mailboxes.values()).map(|mb| mb.bytes).sum::<u64>(),
            "the running total drifted from the mailboxes"
        );
        self.octets
    }

    /// Messages and octets in all of a user's mailboxes.
    pub fn usage(&self, user: &str) -> (usize, u64) {
        let Some(a) = self.accounts.get(user) else { return (0, 0) };
        a.mailboxes.values().fold((0, 0), |(n, b), mb| (n + mb.messages.len(), b + mb.bytes))
    }

    /// Whether `messages` more messages of `bytes` octets in all fit in the
    /// user's quota.
    pub fn fits(&self, user: &str, messages: usize, bytes: u64) -> bool {
        let (n, b) = self.usage(user);
        n.saturating_add(messages) <= self.quota.messages && b.saturating_add(bytes) <= self.quota.bytes
    }

    /// How many changes the store has seen: compare two readings to know
    /// whether anything changed in between.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Something in a mailbox changed (flags, messages): sessions waiting
    /// on the store are to look again.
    pub fn touch(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// An account with its INBOX, created at `now` (the host's clock).
    pub fn add_account(&mut self, user: &str, password: &str, now: DateTime<FixedOffset>) {
        self.add(user, password, true, now);
    }

    /// A mailbox that receives mail but cannot be logged into, like root's
    /// mailbox on a Unix host (the MTA's `postmaster`).
    pub fn add_system_account(&mut self, user: &str, now: DateTime<FixedOffset>) {
        self.add(user, "", false, now);
    }

    fn add(&mut self, user: &str, password: &str, login: bool, now: DateTime<FixedOffset>) {
        let v = validity_at(now);
        let mut mailboxes = SmallMap::new();
        mailboxes.insert(INBOX.to_string(), Mailbox::new(v));
        let mut subscribed = SmallSet::new();
        subscribed.insert(INBOX.to_string());
        self.names.insert(user.to_string());
        let lower = user.to_ascii_lowercase();
        if lower != user {
            self.folded.insert(lower, user.to_string());
        }
        self.accounts.insert(
            user.to_string(),
            Account {
                user: user.to_string(),
                password: password.to_string(),
                login,
                mailboxes,
                subscribed,
                next_validity: v.saturating_add(1),
            },
        );
    }

    pub fn account(&self, user: &str) -> Option<&Account> {
        self.accounts.get(user)
    }
    pub fn account_mut(&mut self, user: &str) -> Option<&mut Account> {
        self.accounts.get_mut(user)
    }
    pub fn has_user(&self, user: &str) -> bool {
        self.accounts.contains_key(user)
    }
    /// The account an address or login name reaches: its own name, else
    /// one that differs only in the case of its letters. Mail systems
    /// match a local part without regard to case: Postfix's local(8) folds
    /// it to lower case before every decision, and sendmail's local mailer
    /// (no `F=u`) does the same; a login name here is an address too.
    pub fn resolve_user(&self, name: &str) -> Option<&str> {
        if let Some((k, _)) = self.accounts.get_key_value(name) {
            return Some(k);
        }
        let lower = name.to_ascii_lowercase();
        match self.accounts.get_key_value(&lower) {
            Some((k, _)) => Some(k),
            None => self.folded.get(&lower).map(String::as_str),
        }
    }
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
    /// Every account, in the order of their users.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.names.iter().filter_map(|n| self.accounts.get(n))
    }

    /// A new password and/or the login locked (`Some(false)`) or opened
    /// again, for an account this store has (others are left alone).
    pub fn change_account(&mut self, user: &str, password: Option<&str>, login: Option<bool>) {
        if let Some(a) = self.accounts.get_mut(user) {
            if let Some(p) = password {
                a.password = p.to_string();
            }
            if let Some(l) = login {
                a.login = l;
            }
        }
    }

    /// Check a password; `None` if the user does not exist.
    pub fn check_password(&self, user: &str, password: &str) -> Option<bool> {
        self.accounts.get(user).map(|a| a.login && a.password == password)
    }

    /// The password, for a challenge-response login; `None` if the user does
    /// not exist or cannot log in.
    pub fn password(&self, user: &str) -> Option<&str> {
        self.accounts.get(user).filter(|a| a.login).map(|a| a.password.as_str())
    }

    /// Local delivery into a user's INBOX; returns the new UID.
    pub fn deliver(&mut self, user: &str, data: Arc<Vec<u8>>, date: DateTime<FixedOffset>) -> Option<u32> {
        let (uid, _) = self.append(user, INBOX, data, BTreeSet::new(), date)?;
        self.touch();
        Some(uid)
    }

    /// Add a message to a mailbox (delivery, IMAP APPEND and COPY); its UID
    /// and the mailbox's UIDVALIDITY. The caller raises the version.
    pub fn append(
        &mut self,
        user: &str,
        name: &str,
        data: Arc<Vec<u8>>,
        flags: BTreeSet<String>,
        date: DateTime<FixedOffset>,
    ) -> Option<(u32, u32)> {
        let len = data.len() as u64;
        let mb = self.accounts.get_mut(user)?.mailboxes.get_mut(canonical_str(name))?;
        let uid = mb.append(data, flags, date);
        let validity = mb.uid_validity;
        self.octets += len;
        Some((uid, validity))
    }

    /// Local delivery into a user's junk mailbox (the one marked `\Junk`,
    /// else `Junk`, created and marked if missing); returns the new UID.
    /// `date` is the time of delivery (the host's clock): a `Junk` made
    /// for it is created then.
    pub fn deliver_junk(&mut self, user: &str, data: Arc<Vec<u8>>, date: DateTime<FixedOffset>) -> Option<u32> {
        let acct = self.accounts.get(user)?;
        let marked =
            acct.mailboxes.iter().find(|(_, m)| m.special_use == Some(SpecialUse::Junk)).map(|(n, _)| n.clone());
        let name = match marked {
            Some(n) => n,
            None => {
                let name = SpecialUse::Junk.default_name();
                if self.mailbox(user, name).is_none() {
                    self.create(user, name, date).ok()?;
                }
                if let Some(mb) = self.mailbox_mut(user, name) {
                    mb.special_use = Some(SpecialUse::Junk);
                }
                name.to_string()
            }
        };
        let (uid, _) = self.append(user, &name, data, BTreeSet::new(), date)?;
        self.touch();
        Some(uid)
    }

    pub fn mailbox(&self, user: &str, name: &str) -> Option<&Mailbox> {
        self.accounts.get(user)?.mailboxes.get(canonical_str(name))
    }
    pub fn mailbox_mut(&mut self, user: &str, name: &str) -> Option<&mut Mailbox> {
        self.accounts.get_mut(user)?.mailboxes.get_mut(canonical_str(name))
    }

    /// A new mailbox, created at `now` (the host's clock).
    pub fn create(&mut self, user: &str, name: &str, now: DateTime<FixedOffset>) -> Result<(), String> {
        let name = canonical(name);
        let acct = self.accounts.get_mut(user).ok_or("no such user")?;
        if acct.mailboxes.contains_key(&name) {
            return Err(format!("mailbox {name} already exists"));
        }
        let v = acct.validity(now);
        acct.mailboxes.insert(name, Mailbox::new(v));
        self.touch();
        Ok(())
    }

    pub fn delete(&mut self, user: &str, name: &str) -> Result<(), String> {
        let name = canonical(name);
        if name == INBOX {
            return Err("INBOX cannot be deleted".into());
        }
        let acct = self.accounts.get_mut(user).ok_or("no such user")?;
        let gone = acct.mailboxes.remove(&name).ok_or_else(|| format!("no mailbox {name}"))?;
        self.octets -= gone.bytes;
        self.touch();
        Ok(())
    }

    /// Renaming INBOX moves its messages to the new mailbox and leaves INBOX
    /// empty (RFC 3501 §6.3.5): both are new mailboxes, created at `now`.
    pub fn rename(&mut self, user: &str, from: &str, to: &str, now: DateTime<FixedOffset>) -> Result<(), String> {
        let (from, to) = (canonical(from), canonical(to));
        let acct = self.accounts.get_mut(user).ok_or("no such user")?;
        if !acct.mailboxes.contains_key(&from) {
            return Err(format!("no mailbox {from}"));
        }
        if acct.mailboxes.contains_key(&to) {
            return Err(format!("mailbox {to} already exists"));
        }
        if from == INBOX {
            let v = acct.validity(now);
            let v2 = acct.validity(now);
            let old = acct.mailboxes.insert(INBOX.to_string(), Mailbox::new(v2)).ok_or("no INBOX")?;
            let mut moved = Mailbox::new(v);
            for m in old.messages {
                moved.append(m.data, m.flags, m.internal_date);
            }
            acct.mailboxes.insert(to, moved);
        } else if let Some(mb) = acct.mailboxes.remove(&from) {
            acct.mailboxes.insert(to, mb);
        }
        self.touch();
        Ok(())
    }

    /// Give `user` the special-use mailboxes under Thunderbird's names (Sent,
    /// Drafts, Trash, Junk), subscribed, created at `now`; a mailbox of that
    /// name that exists already is marked.
    pub fn add_special_mailboxes(&mut self, user: &str, now: DateTime<FixedOffset>) -> Result<(), String> {
        for u in SpecialUse::ALL {
            let name = u.default_name();
            if self.mailbox(user, name).is_none() {
                self.create(user, name, now)?;
            }
            let acct = self.accounts.get_mut(user).ok_or("no such user")?;
            if let Some(mb) = acct.mailboxes.get_mut(name) {
                mb.special_use = Some(u);
            }
            acct.subscribed.insert(name.to_string());
        }
        Ok(())
    }

    /// Remove the messages with these UIDs, whatever their flags (UID
    /// EXPUNGE picks the \Deleted ones first; MOVE removes what it moved);
    /// returns how many went.
    pub fn remove_uids(&mut self, user: &str, name: &str, uids: &BTreeSet<u32>) -> usize {
        let Some(mb) = self.mailbox_mut(user, name) else {
            return 0;
        };
        let before = mb.messages.len();
        let mut freed = 0;
        mb.messages.retain(|m| {
            let keep = !uids.contains(&m.uid);
            if !keep {
                freed += m.size() as u64;
            }
            keep
        });
        mb.bytes -= freed;
        mb.recent.retain(|u| !uids.contains(u));
        let gone = before - mb.messages.len();
        self.octets -= freed;
        if gone > 0 {
            self.touch();
        }
        gone
    }

    /// Remove every message flagged \Deleted; returns their sequence numbers,
    /// highest first is NOT used: they are returned in the order an IMAP
    /// server reports them (each number valid at the time it is sent).
    pub fn expunge(&mut self, user: &str, name: &str) -> Vec<u32> {
        let Some(mb) = self.mailbox_mut(user, name) else {
            return Vec::new();
        };
        let mut gone = Vec::new();
        let mut freed = 0;
        let mut i = 0;
        while i < mb.messages.len() {
            if mb.messages[i].has("\\Deleted") {
                let m = mb.messages.remove(i);
                mb.bytes -= m.size() as u64;
                freed += m.size() as u64;
                mb.recent.remove(&m.uid);
                gone.push(i as u32 + 1);
            } else {
                i += 1;
            }
        }
        self.octets -= freed;
        if !gone.is_empty() {
            self.touch();
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").unwrap()
    }

    #[test]
    fn uids_grow_and_validity_changes_on_recreate() {
        let mut s = Store::new();
        s.add_account("alice@example.com", "pw", t());
        let d = Arc::new(b"Subject: x\r\n\r\nhi\r\n".to_vec());
        assert_eq!(s.deliver("alice@example.com", d.clone(), t()), Some(1));
        assert_eq!(s.deliver("alice@example.com", d.clone(), t()), Some(2));
        s.create("alice@example.com", "Work", t()).unwrap();
        let v1 = s.mailbox("alice@example.com", "Work").unwrap().uid_validity;
        s.delete("alice@example.com", "Work").unwrap();
        s.create("alice@example.com", "Work", t()).unwrap();
        assert_ne!(v1, s.mailbox("alice@example.com", "Work").unwrap().uid_validity);
        assert!(s.delete("alice@example.com", "inbox").is_err());
        assert_eq!(s.mailbox("alice@example.com", "inbox").unwrap().messages.len(), 2);
    }

    /// A run dated after 2106 (the scenario loader takes it) counts the
    /// seconds in 32 bits as Dovecot does, instead of giving every mailbox
    /// the largest value (review h20); never 0.
    #[test]
    fn uidvalidity_past_2106_wraps_and_is_never_zero() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        assert_eq!(validity_at(at("2110-01-01T00:00:00Z")), (4_417_977_600u64 % (1 << 32)) as u32);
        assert_eq!(validity_at(at("2106-02-07T06:28:16Z")), 1, "2^32 seconds is 0, which is no UIDVALIDITY");
        assert!(validity_at(at("1960-01-01T00:00:00Z")) > 0);
        let mut s = Store::new();
        s.add_account("u", "p", at("2110-01-01T00:00:00Z"));
        s.create("u", "A", at("2110-01-01T00:00:00Z")).unwrap();
        s.create("u", "B", at("2110-01-01T00:00:00Z")).unwrap();
        let v = |n| s.mailbox("u", n).unwrap().uid_validity;
        assert!(v("A") < v("B") && v("A") < 200_000_000, "{} {}", v("A"), v("B"));
    }

    #[test]
    fn uidvalidity_is_the_time_a_mailbox_is_created() {
        let later = |secs| t() + chrono::Duration::seconds(secs);
        let mut s = Store::new();
        s.add_account("u", "p", t());
        s.add_special_mailboxes("u", t()).unwrap();
        let v = |s: &Store, name| s.mailbox("u", name).unwrap().uid_validity;
        // 2026-04-01T01:00:00Z in seconds since the epoch.
        assert_eq!(v(&s, INBOX), 1_775_005_200);
        // Mailboxes made in the same second take the next values.
        let made: Vec<u32> = ["Sent", "Drafts", "Trash", "Junk"].iter().map(|n| v(&s, n)).collect();
        assert_eq!(made, vec![1_775_005_201, 1_775_005_202, 1_775_005_203, 1_775_005_204]);
        s.create("u", "Work", later(60)).unwrap();
        assert_eq!(v(&s, "Work"), 1_775_005_260);
        // Deleted and made again in the same second: a greater one still.
        s.delete("u", "Work").unwrap();
        s.create("u", "Work", later(60)).unwrap();
        assert_eq!(v(&s, "Work"), 1_775_005_261);
        // A renamed INBOX: the moved mail and the new INBOX are new mailboxes.
        s.rename("u", INBOX, "Old", later(120)).unwrap();
        assert_eq!((v(&s, "Old"), v(&s, INBOX)), (1_775_005_320, 1_775_005_321));
        // Another account counts on its own; a junk folder made for
        // delivery has the time of the delivery.
        s.add_account("w", "p", t());
        s.deliver_junk("w", Arc::new(b"x\r\n".to_vec()), later(5));
        assert_eq!(s.mailbox("w", INBOX).unwrap().uid_validity, 1_775_005_200);
        assert_eq!(s.mailbox("w", "Junk").unwrap().uid_validity, 1_775_005_205);
    }

    #[test]
    fn a_store_made_again_later_has_greater_uidvalidities() {
        // The lab keeps mail in memory: started again, it starts empty, and
        // the clients' cached UIDs must not fit its mailboxes (RFC 3501 §2.3.1.1).
        let make = |at| {
            let mut s = Store::new();
            s.add_account("u", "p", at);
            s.add_special_mailboxes("u", at).unwrap();
            s
        };
        let (first, again) = (make(t()), make(t() + chrono::Duration::seconds(1)));
        for name in [INBOX, "Drafts", "Junk", "Sent", "Trash"] {
            let (a, b) = (first.mailbox("u", name).unwrap(), again.mailbox("u", name).unwrap());
            assert!(b.uid_validity > a.uid_validity, "{name}: {} then {}", a.uid_validity, b.uid_validity);
        }
    }

    #[test]
    fn expunge_reports_sequence_numbers_as_sent() {
        let mut s = Store::new();
        s.add_account("u", "p", t());
        for _ in 0..4 {
            s.deliver("u", Arc::new(b"x\r\n".to_vec()), t());
        }
        let mb = s.mailbox_mut("u", INBOX).unwrap();
        mb.messages[1].flags.insert("\\Deleted".into());
        mb.messages[2].flags.insert("\\Deleted".into());
        // Messages 2 and 3 go: after 2 is expunged, old 3 is the new 2.
        assert_eq!(s.expunge("u", INBOX), vec![2, 2]);
        let uids: Vec<u32> = s.mailbox("u", INBOX).unwrap().messages.iter().map(|m| m.uid).collect();
        assert_eq!(uids, vec![1, 4]);
        // New mail never reuses a UID.
        assert_eq!(s.deliver("u", Arc::new(b"y\r\n".to_vec()), t()), Some(5));
    }

    #[test]
    fn usage_follows_every_change() {
        let mut s = Store::new();
        s.add_account("u", "p", t());
        let recount = |s: &Store| {
            let a = s.account("u").unwrap();
            let all = a.mailboxes.values().flat_map(|mb| &mb.messages);
            all.fold((0, 0), |(n, b), m| (n + 1, b + m.size() as u64))
        };
        for body in ["a\r\n", "bb\r\n", "ccc\r\n", "dddd\r\n"] {
            s.deliver("u", Arc::new(body.as_bytes().to_vec()), t());
        }
        assert_eq!(s.usage("u"), (4, 18));
        s.mailbox_mut("u", INBOX).unwrap().messages[0].flags.insert("\\Deleted".into());
        s.expunge("u", INBOX);
        assert_eq!(s.usage("u"), (3, 15));
        s.remove_uids("u", INBOX, &BTreeSet::from([3]));
        assert_eq!(s.usage("u"), (2, 10));
        s.rename("u", INBOX, "Old", t()).unwrap();
        s.deliver("u", Arc::new(b"e\r\n".to_vec()), t());
        assert_eq!(s.usage("u"), (3, 13));
        assert_eq!(s.usage("u"), recount(&s));
        s.delete("u", "Old").unwrap();
        assert_eq!(s.usage("u"), (1, 3));
        assert_eq!(s.usage("u"), recount(&s));
    }

    #[test]
    fn the_store_total_follows_every_change_of_every_account() {
        let mut s = Store::new();
        let scan = |s: &Store| s.accounts().flat_map(|a| a.mailboxes.values()).map(|mb| mb.bytes).sum::<u64>();
        for u in ["u", "v"] {
            s.add_account(u, "p", t());
            for body in ["a\r\n", "bb\r\n", "ccc\r\n"] {
                s.deliver(u, Arc::new(body.as_bytes().to_vec()), t());
            }
        }
        assert_eq!(s.octets(), 24);
        s.create("v", "Work", t()).unwrap();
        assert_eq!(s.append("v", "work", Arc::new(b"nope\r\n".to_vec()), BTreeSet::new(), t()), None, "case matters");
        let (uid, _) = s.append("v", "Work", Arc::new(b"12345\r\n".to_vec()), BTreeSet::new(), t()).unwrap();
        assert_eq!((uid, s.octets()), (1, 31));
        s.deliver_junk("u", Arc::new(b"spam\r\n".to_vec()), t());
        assert_eq!(s.octets(), 37);
        s.mailbox_mut("u", INBOX).unwrap().messages[0].flags.insert("\\Deleted".into());
        s.expunge("u", INBOX);
        s.remove_uids("v", INBOX, &BTreeSet::from([2, 3]));
        assert_eq!(s.octets(), 25);
        s.rename("v", INBOX, "Old", t()).unwrap();
        s.delete("v", "Work").unwrap();
        assert_eq!(s.octets(), 18);
        assert_eq!(s.octets(), scan(&s));
    }

    #[test]
    fn a_user_is_found_whatever_the_case_of_its_letters() {
        let mut s = Store::new();
        s.add_account("alice@example.com", "pw", t());
        s.add_account("Carol@example.com", "pw", t());
        assert_eq!(s.resolve_user("alice@example.com"), Some("alice@example.com"));
        assert_eq!(s.resolve_user("ALICE@Example.COM"), Some("alice@example.com"));
        assert_eq!(s.resolve_user("Carol@example.com"), Some("Carol@example.com"));
        assert_eq!(s.resolve_user("carol@example.com"), Some("Carol@example.com"));
        assert_eq!(s.resolve_user("bob@example.com"), None);
    }

    #[test]
    fn rename_inbox_moves_mail() {
        let mut s = Store::new();
        s.add_account("u", "p", t());
        s.deliver("u", Arc::new(b"x\r\n".to_vec()), t());
        s.rename("u", "INBOX", "Old", t()).unwrap();
        assert_eq!(s.mailbox("u", "Old").unwrap().messages.len(), 1);
        assert!(s.mailbox("u", INBOX).unwrap().messages.is_empty());
    }
}
