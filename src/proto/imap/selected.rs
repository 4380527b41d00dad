//! Commands of the selected state (RFC 3501 §6.4): CLOSE, EXPUNGE, SEARCH,
//! FETCH, STORE, COPY and their UID forms.

use super::mime::{self, Section, SectionText};
use super::parse::{PResult, Parser, SeqSet, in_ranges};
use super::resp::W;
use super::search::{Candidate, parse_keys};
use super::{Done, Known, Output, Server, check_flags, find_pos, flag_list, shown};
use crate::store::{Message, Store};

/// One FETCH data item asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Att {
    Envelope,
    Flags,
    InternalDate,
    Rfc822,
    Rfc822Header,
    Rfc822Size,
    Rfc822Text,
    Body,
    BodyStructure,
    Uid,
    Section { peek: bool, section: Section, partial: Option<(u32, u32)> },
}

impl Att {
    /// Reading the content sets \Seen (RFC 3501 §6.4.5).
    fn sets_seen(&self) -> bool {
        matches!(self, Att::Rfc822 | Att::Rfc822Text | Att::Section { peek: false, .. })
    }

    /// Does answering it take the message's MIME structure? A section of
    /// the message itself (`BODY[HEADER]`, `BODY[TEXT]`, …) does not.
    fn needs_mime(&self) -> bool {
        match self {
            Att::Envelope | Att::Body | Att::BodyStructure => true,
            Att::Section { section, .. } => !section.path.is_empty() || section.text == SectionText::Mime,
            _ => false,
        }
    }
}

fn fetch_atts(p: &mut Parser) -> PResult<Vec<Att>> {
    use Att::*;
    if p.eat(b'(') {
        let mut v = vec![fetch_att(p)?];
        while !p.eat(b')') {
            p.sp()?;
            v.push(fetch_att(p)?);
        }
        return Ok(v);
    }
    for (name, atts) in [
        ("ALL", vec![Flags, InternalDate, Rfc822Size, Envelope]),
        ("FAST", vec![Flags, InternalDate, Rfc822Size]),
        ("FULL", vec![Flags, InternalDate, Rfc822Size, Envelope, Body]),
    ] {
        if p.peek_word(name) {
            p.word();
            return Ok(atts);
        }
    }
    Ok(vec![fetch_att(p)?])
}

fn fetch_att(p: &mut Parser) -> PResult<Att> {
    let name = p.word();
    Ok(match name.as_str() {
        "ENVELOPE" => Att::Envelope,
        "FLAGS" => Att::Flags,
        "INTERNALDATE" => Att::InternalDate,
        "RFC822" => Att::Rfc822,
        "RFC822.HEADER" => Att::Rfc822Header,
        "RFC822.SIZE" => Att::Rfc822Size,
        "RFC822.TEXT" => Att::Rfc822Text,
        "BODYSTRUCTURE" => Att::BodyStructure,
        "UID" => Att::Uid,
        "BODY" if p.peek() != Some(b'[') => Att::Body,
        "BODY" | "BODY.PEEK" => {
            let section = section(p)?;
            let partial = if p.eat(b'<') {
                let start = p.number()?;
                p.expect(b'.')?;
                let count = p.nz_number()?;
                p.expect(b'>')?;
                Some((start, count))
            } else {
                None
            };
            Att::Section { peek: name == "BODY.PEEK", section, partial }
        }
        "" => return Err("Expected a FETCH item".into()),
        other => return Err(format!("Unknown FETCH item {}", shown(other))),
    })
}

/// `[` section `]`: part numbers, then HEADER, HEADER.FIELDS[.NOT] (..), TEXT or MIME.
fn section(p: &mut Parser) -> PResult<Section> {
    p.expect(b'[')?;
    let mut path = Vec::new();
    let mut want_text = true;
    while p.peek().is_some_and(|c| c.is_ascii_digit()) {
        path.push(p.nz_number()?);
        if !p.eat(b'.') {
            want_text = false;
            break;
        }
    }
    let mut text = SectionText::Whole;
    if want_text && !(path.is_empty() && p.peek() == Some(b']')) {
        let name = p.word();
        text = match name.as_str() {
            "HEADER" => SectionText::Header,
            "TEXT" => SectionText::Text,
            "MIME" if !path.is_empty() => SectionText::Mime,
            "HEADER.FIELDS" | "HEADER.FIELDS.NOT" => {
                p.sp()?;
                p.expect(b'(')?;
                let mut names = vec![p.astring_text()?];
                while !p.eat(b')') {
                    p.sp()?;
                    names.push(p.astring_text()?);
                }
                if name == "HEADER.FIELDS" { SectionText::Fields(names) } else { SectionText::FieldsNot(names) }
            }
            other => return Err(format!("Invalid section [{}]", shown(other))),
        };
    }
    p.expect(b']')?;
    Ok(Section { path, text })
}

enum StoreMode {
    Replace,
    Add,
    Remove,
}

impl Server {
    pub(super) fn cmd_close(&mut self, p: &mut Parser, store: &mut Store) -> PResult<Done> {
        p.end()?;
        if let (Some(sel), Some(user)) = (self.sel.take(), self.user.as_deref())
            && !sel.read_only
        {
            // CLOSE expunges without EXPUNGE responses (RFC 3501 §6.4.2).
            store.expunge(user, &sel.name);
        }
        Ok(Done::Ok("CLOSE completed".into()))
    }

    pub(super) fn cmd_expunge(&mut self, p: &mut Parser, store: &mut Store) -> PResult<Done> {
        p.end()?;
        let (Some(sel), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        if sel.read_only {
            return Ok(Done::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        store.expunge(user, &sel.name);
        // The EXPUNGE responses come from the sync before the tagged OK.
        Ok(Done::Ok("EXPUNGE completed".into()))
    }

    /// Indices into the session's view for a set of sequence numbers or UIDs.
    /// A sequence number past the last message (or `*` in an empty mailbox)
    /// is refused as Dovecot 2.3 refuses it: `imap_search_get_msgset_arg()`
    /// (src/imap/imap-search-args.c) fails `msgset_is_valid()` with "Invalid
    /// messageset", which `client_send_command_error()` sends as `BAD Error
    /// in IMAP command FETCH: Invalid messageset` (`cmd` is the command's name).
    pub(super) fn resolve(&self, set: &SeqSet, uid: bool, cmd: &str) -> PResult<Vec<usize>> {
        let Some(sel) = self.sel.as_ref() else {
            return Ok(Vec::new());
        };
        if uid {
            // Unknown UIDs are ignored; `n:*` always takes the highest UID.
            let max = sel.msgs.last().map_or(0, |k| k.uid);
            let r = set.ranges(max);
            return Ok(sel.msgs.iter().enumerate().filter(|(_, k)| in_ranges(&r, k.uid)).map(|(i, _)| i).collect());
        }
        let n = u32::try_from(sel.msgs.len()).unwrap_or(u32::MAX);
        if set.max_explicit() > n || (set.has_star() && n == 0) {
            return Err(format!("Error in IMAP command {cmd}: Invalid messageset"));
        }
        let r = set.ranges(n);
        Ok((1..=n).filter(|s| in_ranges(&r, *s)).map(|s| s as usize - 1).collect())
    }

    /// SEARCH, FETCH, STORE, COPY, with `uid` for their UID forms.
    pub(super) fn selected_cmd(&mut self, name: &str, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        match name {
            "SEARCH" => self.cmd_search(p, store, uid),
            "FETCH" => self.cmd_fetch(p, store, uid),
            "STORE" => self.cmd_store(p, store, uid),
            _ => self.cmd_copy(p, store, uid),
        }
    }

    fn cmd_search(&mut self, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        p.sp()?;
        if p.peek_word("CHARSET") {
            p.atom()?;
            p.sp()?;
            let cs = p.astring_text()?;
            if !cs.eq_ignore_ascii_case("UTF-8") && !cs.eq_ignore_ascii_case("US-ASCII") {
                return Ok(Done::No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset".into()));
            }
            p.sp()?;
        }
        let key = parse_keys(p)?;
        let (Some(sel), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        let mut hits = Vec::new();
        if let Some(mb) = store.mailbox(user, &sel.name) {
            let max_seq = u32::try_from(sel.msgs.len()).unwrap_or(u32::MAX);
            let max_uid = sel.msgs.last().map_or(0, |k| k.uid);
            for (i, k) in sel.msgs.iter().enumerate() {
                let Some(m) = find_pos(mb, k.uid).and_then(|pos| mb.messages.get(pos)) else {
                    continue;
                };
                let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
                if Candidate::new(seq, k.uid, m, k.recent, max_seq, max_uid).matches(&key) {
                    hits.push(if uid { k.uid } else { seq });
                }
            }
        }
        let list: String = hits.iter().map(|n| format!(" {n}")).collect();
        self.send(format!("* SEARCH{list}"));
        Ok(Done::Ok(format!("{}SEARCH completed", if uid { "UID " } else { "" })))
    }

    fn cmd_fetch(&mut self, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        p.sp()?;
        let set = p.seq_set()?;
        p.sp()?;
        let atts = fetch_atts(p)?;
        p.end()?;
        let idx = self.resolve(&set, uid, "FETCH")?;
        let (Some(sel), Some(user)) = (self.sel.as_mut(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        let Some(mb) = store.mailbox_mut(user, &sel.name) else {
            return Ok(Done::Ok("FETCH completed".into()));
        };
        let set_seen = !sel.read_only && atts.iter().any(Att::sets_seen);
        let mut outs = Vec::new();
        let mut touched = false;
        for i in idx {
            let Some(known) = sel.msgs.get_mut(i) else {
                continue;
            };
            // A message expunged by another session cannot be read any more.
            let Some(pos) = find_pos(mb, known.uid) else {
                continue;
            };
            let mut seen_now = false;
            if set_seen
                && let Some(m) = mb.messages.get_mut(pos)
                && !m.has("\\Seen")
            {
                m.flags.insert("\\Seen".into());
                seen_now = true;
            }
            if let Some(m) = mb.messages.get(pos) {
                outs.push(fetch_one(i + 1, m, known, &atts, uid, seen_now));
            }
            touched |= seen_now;
        }
        if touched {
            store.touch();
        }
        self.out.extend(outs);
        Ok(Done::Ok(format!("{}FETCH completed", if uid { "UID " } else { "" })))
    }

    fn cmd_store(&mut self, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        p.sp()?;
        let set = p.seq_set()?;
        p.sp()?;
        let item = p.atom()?.to_ascii_uppercase();
        p.sp()?;
        let flags = check_flags(p.flags_loose()?)?;
        p.end()?;
        let (mode, silent) = match item.as_str() {
            "FLAGS" => (StoreMode::Replace, false),
            "FLAGS.SILENT" => (StoreMode::Replace, true),
            "+FLAGS" => (StoreMode::Add, false),
            "+FLAGS.SILENT" => (StoreMode::Add, true),
            "-FLAGS" => (StoreMode::Remove, false),
            "-FLAGS.SILENT" => (StoreMode::Remove, true),
            other => return Err(format!("Unknown STORE item {}", shown(other))),
        };
        let idx = self.resolve(&set, uid, "STORE")?;
        let (Some(sel), Some(user)) = (self.sel.as_mut(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        if sel.read_only {
            return Ok(Done::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let Some(mb) = store.mailbox_mut(user, &sel.name) else {
            return Ok(Done::Ok("STORE completed".into()));
        };
        let mut lines = Vec::new();
        let mut touched = false;
        for i in idx {
            let Some(known) = sel.msgs.get_mut(i) else {
                continue;
            };
            let Some(m) = find_pos(mb, known.uid).and_then(|pos| mb.messages.get_mut(pos)) else {
                continue;
            };
            let before = m.flags.clone();
            match mode {
                StoreMode::Replace => m.flags = flags.clone(),
                StoreMode::Add => {
                    for f in &flags {
                        if !m.has(f) {
                            m.flags.insert(f.clone());
                        }
                    }
                }
                StoreMode::Remove => m.flags.retain(|x| !flags.iter().any(|f| f.eq_ignore_ascii_case(x))),
            }
            touched |= m.flags != before;
            known.flags = m.flags.clone();
            if !silent {
                let uid_part = if uid { format!(" UID {}", known.uid) } else { String::new() };
                lines.push(format!("* {} FETCH (FLAGS {}{uid_part})", i + 1, flag_list(&known.flags, known.recent)));
            }
        }
        if touched {
            store.touch();
        }
        for l in lines {
            self.send(l);
        }
        Ok(Done::Ok(format!("{}STORE completed", if uid { "UID " } else { "" })))
    }

    fn cmd_copy(&mut self, p: &mut Parser, store: &mut Store, uid: bool) -> PResult<Done> {
        p.sp()?;
        let set = p.seq_set()?;
        p.sp()?;
        let dest = crate::store::canonical(&p.astring_text()?);
        p.end()?;
        let idx = self.resolve(&set, uid, "COPY")?;
        let (Some(_), Some(user)) = (self.sel.as_ref(), self.user.as_deref()) else {
            return Ok(Done::No("No mailbox selected".into()));
        };
        if store.mailbox(user, &dest).is_none() {
            return Ok(Done::No(format!("[TRYCREATE] Mailbox doesn't exist: {}", shown(&dest))));
        }
        let code = match self.copy_into(&idx, &dest, store, false) {
            Ok((_, Some(c))) => format!("[{c}] "),
            Ok((_, None)) => String::new(),
            Err(refused) => return Ok(refused),
        };
        Ok(Done::Ok(format!("{code}{}COPY completed", if uid { "UID " } else { "" })))
    }
}

/// One `* n FETCH (...)` response. `seen_now`: this fetch set \Seen, so the
/// new flags go along even if not asked for.
fn fetch_one(seq: usize, m: &Message, known: &mut Known, atts: &[Att], uid: bool, seen_now: bool) -> Output {
    let data = m.data.as_slice();
    let tree = atts.iter().any(Att::needs_mime).then(|| mime::parse(data));
    let hdr_end = mime::split_header(data, 0..data.len());
    let mut w = W::new();
    w.text(&format!("* {seq} FETCH ("));
    let mut first = true;
    let mut item = |w: &mut W, name: &str| {
        if !first {
            w.text(" ");
        }
        first = false;
        w.text(name);
    };
    if uid && !atts.contains(&Att::Uid) {
        item(&mut w, &format!("UID {}", m.uid));
    }
    let mut flags_shown = false;
    for a in atts {
        match a {
            Att::Uid => item(&mut w, &format!("UID {}", m.uid)),
            Att::Flags => {
                item(&mut w, &format!("FLAGS {}", flag_list(&m.flags, known.recent)));
                flags_shown = true;
            }
            Att::InternalDate => {
                item(&mut w, &format!("INTERNALDATE \"{}\"", m.internal_date.format("%d-%b-%Y %H:%M:%S %z")));
            }
            Att::Rfc822Size => item(&mut w, &format!("RFC822.SIZE {}", m.size())),
            Att::Envelope => {
                item(&mut w, "ENVELOPE ");
                if let Some(t) = &tree {
                    mime::envelope(&mut w, data.get(t.hdr.clone()).unwrap_or_default());
                }
            }
            Att::Body | Att::BodyStructure => {
                let ext = *a == Att::BodyStructure;
                item(&mut w, if ext { "BODYSTRUCTURE " } else { "BODY " });
                if let Some(t) = &tree {
                    mime::body_structure(&mut w, data, t, ext);
                }
            }
            Att::Rfc822 => {
                item(&mut w, "RFC822 ");
                w.literal(data);
            }
            Att::Rfc822Header => {
                item(&mut w, "RFC822.HEADER ");
                w.literal(data.get(..hdr_end).unwrap_or_default());
            }
            Att::Rfc822Text => {
                item(&mut w, "RFC822.TEXT ");
                w.literal(data.get(hdr_end..).unwrap_or_default());
            }
            Att::Section { section, partial, .. } => {
                let origin = partial.map(|(s, _)| format!("<{s}>")).unwrap_or_default();
                item(&mut w, &format!("BODY[{}]{origin} ", section.spec()));
                let bytes = match &tree {
                    Some(t) => mime::section_bytes(data, t, section),
                    None if section.path.is_empty() => mime::top_section_bytes(data, hdr_end, &section.text),
                    None => None,
                };
                match bytes {
                    None => w.text("NIL"),
                    Some(bytes) => match partial {
                        Some((start, count)) => {
                            let s = usize::try_from(*start).unwrap_or(usize::MAX).min(bytes.len());
                            let e = s.saturating_add(usize::try_from(*count).unwrap_or(usize::MAX)).min(bytes.len());
                            w.literal(bytes.get(s..e).unwrap_or_default());
                        }
                        None => w.literal(&bytes),
                    },
                }
            }
        }
    }
    if seen_now && !flags_shown {
        item(&mut w, &format!("FLAGS {}", flag_list(&m.flags, known.recent)));
        flags_shown = true;
    }
    if flags_shown {
        known.flags = m.flags.clone();
    }
    w.text(")");
    w.finish()
}
