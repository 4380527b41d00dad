//! Extensions of RFC 3501 that today's clients probe for: NAMESPACE
//! (RFC 2342), ID (RFC 2971), ENABLE (RFC 5161), UNSELECT (RFC 3691),
//! UIDPLUS (RFC 4315: `UID EXPUNGE` here; `APPENDUID` and `COPYUID` where
//! APPEND and COPY answer) and MOVE (RFC 6851). SPECIAL-USE (RFC 6154) is
//! a LIST attribute (`mailbox.rs`).

use super::parse::{PResult, Parser};
use super::{Done, Server, no_space, over_quota, shown};
use crate::store::{Message, Store, canonical};
use std::collections::BTreeSet;

/// RFC 2971 §3.3: at most 30 field-value pairs, fields of at most 30
/// octets, values of at most 1024.
const ID_MAX_PAIRS: usize = 30;
const ID_MAX_FIELD: usize = 30;
const ID_MAX_VALUE: usize = 1024;

/// A UID set in its short form: `3:5,8`.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    let flush = |r: (u32, u32), out: &mut Vec<String>| {
        out.push(if r.0 == r.1 { r.0.to_string() } else { format!("{}:{}", r.0, r.1) });
    };
    for &u in uids {
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(u) => Some((a, u)),
            Some(r) => {
                flush(r, &mut out);
                Some((u, u))
            }
            None => Some((u, u)),
        };
    }
    if let Some(r) = run {
        flush(r, &mut out);
    }
    out.join(",")
}

impl Server {
    pub(super) fn cmd_namespace(&mut self, p: &mut Parser) -> PResult<Done> {
        p.end()?;
        // One personal namespace without a prefix, "/" between levels; no
        // other users' and no shared namespace.
        self.send("* NAMESPACE ((\"\" \"/\")) NIL NIL");
        Ok(Done::Ok("NAMESPACE completed".into()))
    }

    pub(super) fn cmd_id(&mut self, p: &mut Parser) -> PResult<Done> {
        p.sp()?;
        if p.peek_word("NIL") {
            p.atom()?;
        } else {
            p.expect(b'(')?;
            let mut pairs = 0;
            while !p.eat(b')') {
                if pairs > 0 {
                    p.sp()?;
                }
                let field = p.string()?;
                p.sp()?;
                let value = if p.peek_word("NIL") {
                    p.atom()?;
                    Vec::new()
                } else {
                    p.string()?
                };
                pairs += 1;
                if pairs > ID_MAX_PAIRS {
                    return Err(format!("ID takes at most {ID_MAX_PAIRS} field-value pairs"));
                }
                if field.len() > ID_MAX_FIELD || value.len() > ID_MAX_VALUE {
                    return Err(format!("ID fields are at most {ID_MAX_FIELD} octets, values at most {ID_MAX_VALUE}"));
                }
            }
        }
        p.end()?;
        self.send("* ID (\"name\" \"maillab\")");
        Ok(Done::Ok("ID completed".into()))
    }

    pub(super) fn cmd_enable(&mut self, p: &mut Parser) -> PResult<Done> {
        let mut asked = 0;
        while !p.at_end() {
            p.sp()?;
            p.atom()?;
            asked += 1;
        }
        if asked == 0 {
            return Err("ENABLE needs at least one capability".into());
        }
        // None of the capabilities ENABLE turns on (CONDSTORE, QRESYNC,
        // UTF8=ACCEPT, …) is offered here, and ENABLED lists only what was
        // enabled (RFC 5161 §3.1).
        self.send("* ENABLED");
        Ok(Done::Ok("ENABLE completed".into()))
    }

    /// Leave the selected mailbox without expunging (unlike CLOSE).
    pub(super) fn cmd_unselect(&mut self, p: &mut Parser) -> PResult<Done> {
        p.end()?;
        self.sel = None;
        Ok(Done::Ok("UNSELECT completed".into()))
    }

    /// `UID EXPUNGE set`: expunge the \Deleted messages among these UIDs only.
    pub(super) fn cmd_uid_expunge(&mut self, p: &mut Parser, store: &mut Store) -> PResult<Done> {
        p.sp()?;
        let set = p.seq_set()?;
        p.end()?;
        let idx = self.resolve(&set, true, "UID EXPUNGE")?;
        let (Some(sel), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        if sel.read_only {
            return Ok(Done::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let asked: BTreeSet<u32> = idx.iter().filter_map(|&i| sel.msgs.get(i)).map(|k| k.uid).collect();
        let doomed: BTreeSet<u32> = store
            .mailbox(user, &sel.name)
            .map(|mb| {
                mb.messages.iter().filter(|m| asked.contains(&m.uid) && m.has("\\Deleted")).map(|m| m.uid).collect()
            })
            .unwrap_or_default();
        store.remove_uids(user, &sel.name, &doomed);
        // The EXPUNGE responses come from the sync before the tagged OK.
        Ok(Done::Ok("UID EXPUNGE completed".into()))
    }

    /// Copy the messages at `idx` of the client's view into `dest` (which
    /// exists); returns their UIDs and the `COPYUID` response code, or
    /// `None` when nothing was copied. A copy (not a move, which leaves the
    /// account's usage as it was) that would go over the quota copies
    /// nothing: `Err` with the refusal.
    pub(super) fn copy_into(
        &self,
        idx: &[usize],
        dest: &str,
        store: &mut Store,
        moving: bool,
    ) -> Result<(Vec<u32>, Option<String>), Done> {
        let (Some(sel), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok((Vec::new(), None));
        };
        let copies: Vec<Message> = match store.mailbox(user, &sel.name) {
            Some(mb) => idx.iter().filter_map(|&i| sel.msgs.get(i)).filter_map(|k| mb.by_uid(k.uid)).cloned().collect(),
            None => Vec::new(),
        };
        if !moving && !store.fits(user, copies.len(), copies.iter().map(|m| m.size() as u64).sum()) {
            return Err(over_quota());
        }
        if !moving && !store.disk_fits(copies.iter().map(|m| m.size() as u64).sum()) {
            return Err(no_space());
        }
        let Some(validity) = store.mailbox(user, dest).map(|d| d.uid_validity) else {
            return Ok((Vec::new(), None));
        };
        if copies.is_empty() {
            return Ok((Vec::new(), None));
        }
        let src: Vec<u32> = copies.iter().map(|m| m.uid).collect();
        let dst: Vec<u32> = copies
            .into_iter()
            .filter_map(|m| store.append(user, dest, m.data, m.flags, m.internal_date).map(|(uid, _)| uid))
            .collect();
        let code = format!("COPYUID {validity} {} {}", uid_set(&src), uid_set(&dst));
        store.touch();
        Ok((src, Some(code)))
    }

    /// MOVE and UID MOVE: COPY, then the originals are expunged; the
    /// `COPYUID` comes first in an untagged OK, then the EXPUNGEs.
    pub(super) fn cmd_move(&mut self, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        p.sp()?;
        let set = p.seq_set()?;
        p.sp()?;
        let dest = canonical(&p.astring_text()?);
        p.end()?;
        let idx = self.resolve(&set, uid, "MOVE")?;
        let (Some(sel), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        if sel.read_only {
            return Ok(Done::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        if store.mailbox(user, &dest).is_none() {
            return Ok(Done::No(format!("[TRYCREATE] Mailbox doesn't exist: {}", shown(&dest))));
        }
        let (name, user) = (sel.name.clone(), user.to_string());
        let (moved, code) = match self.copy_into(&idx, &dest, store, true) {
            Ok(done) => done,
            Err(refused) => return Ok(refused),
        };
        if let Some(code) = code {
            self.send(format!("* OK [{code}] Moved UIDs."));
        }
        store.remove_uids(&user, &name, &moved.into_iter().collect());
        Ok(Done::Ok(format!("{}MOVE completed", if uid { "UID " } else { "" })))
    }
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_are_short() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), format!("{}:{}", u32::MAX - 1, u32::MAX));
    }
}
