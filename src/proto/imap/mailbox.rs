//! Commands of the authenticated state (RFC 3501 §6.3): SELECT, EXAMINE,
//! CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, APPEND.
//! The hierarchy delimiter is `/`.

use super::parse::{PResult, Parser};
use super::resp::W;
use super::{Done, Known, Selected, Server, check_flags, no_space, over_quota, shown};
use crate::store::{INBOX, SYSTEM_FLAGS, Store, canonical};
use chrono::{DateTime, FixedOffset};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Longest mailbox name accepted, in characters.
const MAX_NAME: usize = 1024;

fn mailbox_arg(p: &mut Parser) -> PResult<String> {
    Ok(canonical(&p.astring_text()?))
}

/// A name a client may create: no wildcards or control characters, no
/// empty hierarchy levels.
fn valid_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Empty mailbox name".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err("Mailbox name too long".into());
    }
    if name.chars().any(|c| c == '*' || c == '%' || c.is_control()) {
        return Err("Mailbox names may not contain *, % or control characters".into());
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err("Invalid hierarchy in mailbox name".into());
    }
    Ok(())
}

/// `a/b/c` -> `a`, `a/b`.
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/').filter_map(move |(i, _)| name.get(..i)).filter(|a| !a.is_empty())
}

/// LIST pattern match: `*` matches anything, `%` anything but `/`. The
/// INBOX part of a name matches in any case.
fn wildcard(pat: &[char], name: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let inbox = name.starts_with(INBOX) && matches!(n.get(5), None | Some('/'));
    let mut cur = vec![false; n.len() + 1];
    if let Some(c) = cur.first_mut() {
        *c = true;
    }
    for &pc in pat {
        let mut next = vec![false; n.len() + 1];
        match pc {
            '*' => {
                let mut any = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    any |= cur.get(j).copied().unwrap_or(false);
                    *slot = any;
                }
            }
            '%' => {
                for j in 0..next.len() {
                    let extend =
                        j > 0 && next.get(j - 1).copied().unwrap_or(false) && n.get(j - 1).is_some_and(|&c| c != '/');
                    if let Some(slot) = next.get_mut(j) {
                        *slot = cur.get(j).copied().unwrap_or(false) || extend;
                    }
                }
            }
            _ => {
                for j in 1..next.len() {
                    let same =
                        n.get(j - 1).is_some_and(|&c| c == pc || (inbox && j <= 5 && c.eq_ignore_ascii_case(&pc)));
                    if let Some(slot) = next.get_mut(j) {
                        *slot = same && cur.get(j - 1).copied().unwrap_or(false);
                    }
                }
            }
        }
        cur = next;
        if !cur.contains(&true) {
            return false;
        }
    }
    cur.last().copied().unwrap_or(false)
}

impl Server {
    fn user_name(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    pub(super) fn cmd_select(&mut self, p: &mut Parser, store: &mut Store, read_only: bool) -> PResult<Done> {
        p.sp()?;
        let name = mailbox_arg(p)?;
        p.end()?;
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        self.sel = None;
        let user = self.user_name();
        let Some(mb) = store.mailbox_mut(&user, &name) else {
            return Ok(Done::No(format!("Mailbox doesn't exist: {}", shown(&name))));
        };
        let msgs: Vec<Known> = mb
            .messages
            .iter()
            .map(|m| Known { uid: m.uid, flags: m.flags.clone(), recent: mb.recent.contains(&m.uid) })
            .collect();
        if !read_only {
            // This session takes the \Recent flags (RFC 3501 §2.3.2).
            mb.recent.clear();
        }
        let mut flags: Vec<String> = SYSTEM_FLAGS.iter().map(|s| s.to_string()).collect();
        let keywords: BTreeSet<&String> = msgs.iter().flat_map(|k| &k.flags).filter(|f| !f.starts_with('\\')).collect();
        flags.extend(keywords.into_iter().cloned());
        let mut lines = vec![format!("* FLAGS ({})", flags.join(" "))];
        lines.push(if read_only {
            "* OK [PERMANENTFLAGS ()] Read-only mailbox".into()
        } else {
            format!("* OK [PERMANENTFLAGS ({} \\*)] Flags permitted", SYSTEM_FLAGS.join(" "))
        });
        lines.push(format!("* {} EXISTS", msgs.len()));
        lines.push(format!("* {} RECENT", msgs.iter().filter(|k| k.recent).count()));
        if let Some(i) = msgs.iter().position(|k| !k.flags.contains("\\Seen")) {
            lines.push(format!("* OK [UNSEEN {}] Message {} is the first unseen", i + 1, i + 1));
        }
        lines.push(format!("* OK [UIDVALIDITY {}] UIDs valid", mb.uid_validity));
        lines.push(format!("* OK [UIDNEXT {}] Predicted next UID", mb.uid_next));
        self.sel = Some(Selected { name, read_only, validity: mb.uid_validity, msgs, next_uid: mb.uid_next });
        for l in lines {
            self.send(l);
        }
        Ok(Done::Ok(if read_only {
            "[READ-ONLY] EXAMINE completed".into()
        } else {
            "[READ-WRITE] SELECT completed".into()
        }))
    }

    pub(super) fn cmd_create(
        &mut self,
        p: &mut Parser,
        store: &mut Store,
        now: DateTime<FixedOffset>,
    ) -> PResult<Done> {
        p.sp()?;
        let raw = p.astring_text()?;
        p.end()?;
        // A trailing delimiter only says the client means to create children.
        let name = canonical(raw.strip_suffix('/').unwrap_or(&raw));
        if let Err(e) = valid_name(&name) {
            return Ok(Done::No(e));
        }
        let user = self.user_name();
        if store.mailbox(&user, &name).is_some() {
            return Ok(Done::No(format!("[ALREADYEXISTS] Mailbox already exists: {}", shown(&name))));
        }
        // Superior levels are created too (RFC 3501 §6.3.3).
        for a in ancestors(&name) {
            if store.mailbox(&user, a).is_none() {
                let _ = store.create(&user, a, now);
            }
        }
        Ok(match store.create(&user, &name, now) {
            Ok(()) => Done::Ok("CREATE completed".into()),
            Err(e) => Done::No(e),
        })
    }

    pub(super) fn cmd_delete(&mut self, p: &mut Parser, store: &mut Store) -> PResult<Done> {
        p.sp()?;
        let name = mailbox_arg(p)?;
        p.end()?;
        let user = self.user_name();
        if name == INBOX {
            return Ok(Done::No("INBOX cannot be deleted".into()));
        }
        if store.mailbox(&user, &name).is_none() {
            return Ok(Done::No(format!("Mailbox doesn't exist: {}", shown(&name))));
        }
        if self.sel.as_ref().is_some_and(|s| s.name == name) {
            self.sel = None;
        }
        Ok(match store.delete(&user, &name) {
            Ok(()) => Done::Ok("DELETE completed".into()),
            Err(e) => Done::No(e),
        })
    }

    pub(super) fn cmd_rename(
        &mut self,
        p: &mut Parser,
        store: &mut Store,
        now: DateTime<FixedOffset>,
    ) -> PResult<Done> {
        p.sp()?;
        let from = mailbox_arg(p)?;
        p.sp()?;
        let raw = p.astring_text()?;
        p.end()?;
        let to = canonical(raw.strip_suffix('/').unwrap_or(&raw));
        if let Err(e) = valid_name(&to) {
            return Ok(Done::No(e));
        }
        let user = self.user_name();
        let Some(acct) = store.account(&user) else {
            return Ok(Done::No("No such user".into()));
        };
        if !acct.mailboxes.contains_key(&from) {
            return Ok(Done::No(format!("Mailbox doesn't exist: {}", shown(&from))));
        }
        if to == INBOX || acct.mailboxes.contains_key(&to) {
            return Ok(Done::No(format!("[ALREADYEXISTS] Mailbox already exists: {}", shown(&to))));
        }
        // Inferior names move along, except under INBOX (RFC 3501 §6.3.5).
        let prefix = format!("{from}/");
        let inferiors: Vec<String> = if from == INBOX {
            Vec::new()
        } else {
            acct.mailboxes.keys().filter(|n| n.starts_with(&prefix)).cloned().collect()
        };
        if let Err(e) = store.rename(&user, &from, &to, now) {
            return Ok(Done::No(e));
        }
        for old in &inferiors {
            let new = format!("{to}/{}", old.get(prefix.len()..).unwrap_or_default());
            let _ = store.rename(&user, old, &new, now);
        }
        if let Some(sel) = self.sel.as_mut() {
            if sel.name == from {
                if from == INBOX {
                    // INBOX stays, emptied, with a new UIDVALIDITY: start over.
                    self.sel = None;
                } else {
                    sel.name = to.clone();
                }
            } else if let Some(rest) = sel.name.strip_prefix(&prefix).filter(|_| from != INBOX) {
                sel.name = format!("{to}/{rest}");
            }
        }
        Ok(Done::Ok("RENAME completed".into()))
    }

    pub(super) fn cmd_subscribe(&mut self, p: &mut Parser, store: &mut Store, on: bool) -> PResult<Done> {
        p.sp()?;
        let name = mailbox_arg(p)?;
        p.end()?;
        let user = self.user_name();
        let Some(acct) = store.account_mut(&user) else {
            return Ok(Done::No("No such user".into()));
        };
        if on {
            if !acct.mailboxes.contains_key(&name) {
                return Ok(Done::No(format!("Mailbox doesn't exist: {}", shown(&name))));
            }
            acct.subscribed.insert(name);
            Ok(Done::Ok("SUBSCRIBE completed".into()))
        } else {
            acct.subscribed.remove(&name);
            Ok(Done::Ok("UNSUBSCRIBE completed".into()))
        }
    }

    pub(super) fn cmd_list(&mut self, p: &mut Parser, store: &mut Store, lsub: bool) -> PResult<Done> {
        let verb = if lsub { "LSUB" } else { "LIST" };
        p.sp()?;
        let reference = String::from_utf8_lossy(&p.astring()?).into_owned();
        p.sp()?;
        let pattern = String::from_utf8_lossy(&p.list_mailbox()?).into_owned();
        p.end()?;
        if pattern.is_empty() {
            // `LIST "" ""` asks for the hierarchy delimiter (RFC 3501 §6.3.8).
            if !lsub {
                self.send("* LIST (\\Noselect) \"/\" \"\"");
            }
            return Ok(Done::Ok(format!("{verb} completed")));
        }
        let full: Vec<char> = reference.chars().chain(pattern.chars()).collect();
        if full.len() > 2 * MAX_NAME {
            return Err("Mailbox pattern too long".into());
        }
        let user = self.user_name();
        let Some(acct) = store.account(&user) else {
            return Ok(Done::Ok(format!("{verb} completed")));
        };
        let existing: BTreeSet<&str> = acct.mailboxes.keys().map(String::as_str).collect();
        let base: BTreeSet<&str> =
            if lsub { acct.subscribed.iter().map(String::as_str).collect() } else { existing.clone() };
        // Every name and its superior levels; the latter may not exist.
        let mut names: BTreeMap<&str, bool> = BTreeMap::new();
        for &n in &base {
            names.insert(n, true);
            for a in ancestors(n) {
                names.entry(a).or_insert(false);
            }
        }
        let mut order: Vec<(&str, bool)> = names.into_iter().filter(|(n, _)| wildcard(&full, n)).collect();
        order.sort_by_key(|(n, _)| (*n != INBOX, *n));
        let mut out = Vec::new();
        for (n, real) in order {
            let below = format!("{n}/");
            let mut attrs = Vec::new();
            if !real {
                // LSUB shows an unsubscribed level only if "%" hid its children (RFC 3501 §6.3.9).
                if lsub && base.iter().any(|d| d.starts_with(&below) && wildcard(&full, d)) {
                    continue;
                }
                attrs.push("\\Noselect");
            }
            if !lsub {
                let children = existing.iter().any(|d| d.starts_with(&below));
                attrs.push(if children { "\\HasChildren" } else { "\\HasNoChildren" });
            }
            // SPECIAL-USE (RFC 6154 §2): what the mailbox is for, in LIST and LSUB alike.
            if let Some(u) = acct.mailboxes.get(n).and_then(|m| m.special_use) {
                attrs.push(u.attribute());
            }
            let mut w = W::new();
            w.text(&format!("* {verb} ({}) \"/\" ", attrs.join(" ")));
            w.string(n.as_bytes());
            out.push(w.finish());
        }
        self.out.extend(out);
        Ok(Done::Ok(format!("{verb} completed")))
    }

    pub(super) fn cmd_status(&mut self, p: &mut Parser, store: &mut Store) -> PResult<Done> {
        p.sp()?;
        let name = mailbox_arg(p)?;
        p.sp()?;
        p.expect(b'(')?;
        let mut items = Vec::new();
        while !p.eat(b')') {
            if !items.is_empty() {
                p.sp()?;
            }
            let item = p.atom()?.to_ascii_uppercase();
            if !["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"].contains(&item.as_str()) {
                return Err(format!("Unknown STATUS item {}", shown(&item)));
            }
            items.push(item);
        }
        p.end()?;
        if items.is_empty() {
            return Err("STATUS needs at least one item".into());
        }
        let user = self.user_name();
        let Some(mb) = store.mailbox(&user, &name) else {
            return Ok(Done::No(format!("Mailbox doesn't exist: {}", shown(&name))));
        };
        let values: Vec<String> = items
            .iter()
            .map(|i| {
                let v = match i.as_str() {
                    "MESSAGES" => mb.messages.len(),
                    "RECENT" => mb.messages.iter().filter(|m| mb.recent.contains(&m.uid)).count(),
                    "UIDNEXT" => mb.uid_next as usize,
                    "UIDVALIDITY" => mb.uid_validity as usize,
                    _ => mb.unseen(),
                };
                format!("{i} {v}")
            })
            .collect();
        let mut w = W::new();
        w.text("* STATUS ");
        w.string(name.as_bytes());
        w.text(&format!(" ({})", values.join(" ")));
        self.out.push_back(w.finish());
        Ok(Done::Ok("STATUS completed".into()))
    }

    pub(super) fn cmd_append(
        &mut self,
        p: &mut Parser,
        store: &mut Store,
        now: DateTime<FixedOffset>,
    ) -> PResult<Done> {
        p.sp()?;
        let name = mailbox_arg(p)?;
        p.sp()?;
        let mut flags = Vec::new();
        if p.peek() == Some(b'(') {
            flags = p.flag_list()?;
            p.sp()?;
        }
        let mut date = None;
        let mut data = p.string()?;
        if !p.at_end() {
            // What came first was the date-time (a quoted string).
            let text = String::from_utf8_lossy(&data).into_owned();
            date = Some(
                super::parse::parse_date_time(&text)
                    .ok_or_else(|| "Invalid date-time, expected e.g. \"17-Jul-1996 02:44:25 -0700\"".to_string())?,
            );
            p.sp()?;
            data = p.string()?;
        }
        p.end()?;
        let flags = check_flags(flags)?;
        if data.is_empty() {
            return Ok(Done::No("Refusing to store an empty message".into()));
        }
        let user = self.user_name();
        // A missing mailbox is answered below (TRYCREATE), before any room is counted.
        if store.mailbox(&user, &name).is_some() {
            if !store.fits(&user, 1, data.len() as u64) {
                return Ok(over_quota());
            }
            if !store.disk_fits(data.len() as u64) {
                return Ok(no_space());
            }
        }
        let Some((uid, validity)) = store.append(&user, &name, Arc::new(data), flags, date.unwrap_or(now)) else {
            return Ok(Done::No(format!("[TRYCREATE] Mailbox doesn't exist: {}", shown(&name))));
        };
        store.touch();
        // UIDPLUS (RFC 4315 §3).
        Ok(Done::Ok(format!("[APPENDUID {validity} {uid}] APPEND completed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        wildcard(&p.chars().collect::<Vec<_>>(), n)
    }

    #[test]
    fn patterns() {
        assert!(m("*", "a/b/c"));
        assert!(m("%", "INBOX"));
        assert!(!m("%", "a/b"));
        assert!(m("a/%", "a/b"));
        assert!(!m("a/%", "a/b/c"));
        assert!(m("a/*", "a/b/c"));
        assert!(m("inbox", "INBOX"));
        assert!(m("Inbox/%", "INBOX/x"));
        assert!(!m("work", "Work"));
        assert!(m("*o*k", "Work"));
        assert!(!m("", "x"));
        assert!(m("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%*a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbba"));
    }

    #[test]
    fn names() {
        assert!(valid_name("a/b").is_ok());
        assert!(valid_name("").is_err());
        assert!(valid_name("a//b").is_err());
        assert!(valid_name("/a").is_err());
        assert!(valid_name("a*").is_err());
        assert!(valid_name("a\r\nb").is_err());
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a", "a/b"]);
    }
}
