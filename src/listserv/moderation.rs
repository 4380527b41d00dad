//! Held posts: kept for a moderator, who approves or rejects them by command mail.

use super::{Cx, List, NoteKind, Out, Reason, mime};

/// A post waiting for a moderator's decision.
#[derive(Clone, Debug)]
pub(super) struct Held {
    pub(super) from: String,
    pub(super) subject: String,
    pub(super) data: Vec<u8>,
    /// Why it was held, in the list's language.
    pub(super) reason: String,
}

impl List {
    /// Keep a post for a moderator: tell the moderators (the administrators if
    /// there are none) and, if the poster is a member, the poster.
    pub(super) fn hold(&mut self, cx: &mut Cx, from: &str, subject: &str, data: &[u8], why: &Reason) -> Vec<Out> {
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
        let t = self.texts();
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        let notice = t.held_notice(&post, from, subject, why, &ctl, &key, &quoted);
        let mods: Vec<String> =
            if self.moderators.is_empty() { self.cfg.admins.clone() } else { self.moderators.clone() };
        let title = t.held_notice_subject(subject, &ml);
        for m in &mods {
            out.push(self.text_mail(cx, "notice", m, &title, &notice));
        }
        // Only members hear about it: telling a stranger would send mail to forged senders (backscatter).
        if self.is_member(from) && self.answerable(Some(from), from, data) {
            let body = t.held_reply(&post, subject);
            out.push(self.text_mail(cx, "reply", from, &t.held_reply_subject(&ml), &body));
        }
        out
    }

    /// `approve KEY` from a moderator (or an administrator after `admin pass`).
    pub(super) fn approve(&mut self, cx: &mut Cx, from: &str, key: &str, mails: &mut Vec<Out>) -> String {
        let Some(h) = self.held.remove(key) else { return self.texts().no_held(key) };
        mails.push(Self::note(NoteKind::Approve, format!("held post {key} from {} approved by {from}", h.from), from));
        let mut dist = self.accept(cx, &h.from, &h.data);
        mails.append(&mut dist);
        self.texts().approved(&h.subject, &h.from)
    }

    /// `reject KEY`: the post is dropped; a member who sent it is told.
    pub(super) fn reject(&mut self, cx: &mut Cx, from: &str, key: &str, mails: &mut Vec<Out>) -> String {
        let Some(h) = self.held.remove(key) else { return self.texts().no_held(key) };
        mails.push(Self::note(NoteKind::Decline, format!("held post {key} from {} declined by {from}", h.from), from));
        let t = self.texts();
        let told = self.is_member(&h.from) && self.answerable(Some(&h.from), &h.from, &h.data);
        if told {
            let (post, ml) = (self.cfg.post_address(), self.ml());
            let body = t.declined_reply(&h.subject, &post, &h.reason);
            mails.push(self.text_mail(cx, "reply", &h.from, &t.not_distributed_subject(&ml), &body));
        }
        t.rejected(&h.subject, &h.from, told)
    }
}
