//! Joining, leaving and changing address: `subscribe` and `confirm` (with a
//! key that expires), `unsubscribe`, `chaddr`, and `digest on|off|nomail`.

use super::command::DigestArg;
use super::{Cx, Delivery, List, Member, NoteKind, Out, Subscribe, same};
use chrono::{DateTime, FixedOffset};

/// A join request: waiting for its key, or confirmed and waiting for the administrator.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) address: String,
    pub(super) name: String,
    pub(super) at: DateTime<FixedOffset>,
}

impl List {
    pub(super) fn already_member(&self, address: &str) -> String {
        self.texts().already_member(address)
    }

    pub(super) fn subscribe(&mut self, cx: &mut Cx, from: &str, name: &str, mails: &mut Vec<Out>) -> String {
        if self.is_member(from) {
            return self.already_member(from);
        }
        let t = self.texts();
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        if self.cfg.subscribe == Subscribe::AdminOnly {
            mails.push(Self::note(
                NoteKind::Subscribe,
                format!("join request from {from}: passed to the administrator"),
                from,
            ));
            let body = t.join_request_notice(from, self.name_or_none(name), &post, &ctl);
            mails.extend(self.notify_admins(cx, &t.join_request_subject(&ml), &body));
            return t.join_request_passed_on().into();
        }
        let key = format!("{:08}", (cx.key)() % 100_000_000);
        let shown_name = if name.is_empty() { "YOUR NAME".to_string() } else { name.to_string() };
        self.pending.insert(key.clone(), Pending { address: from.into(), name: name.into(), at: cx.now });
        mails.push(Self::note(
            NoteKind::Subscribe,
            format!("join request from {from}: confirmation key {key} sent"),
            from,
        ));
        let expiry = t.duration(self.cfg.confirm_expiry);
        t.confirm_request(from, &post, &ctl, &key, &shown_name, &expiry)
    }

    pub(super) fn confirm(&mut self, cx: &mut Cx, from: &str, key: &str, name: &str, mails: &mut Vec<Out>) -> String {
        let t = self.texts();
        let Some(p) = self.pending.get(key).cloned() else {
            return t.key_unknown().into();
        };
        let age = (cx.now - p.at).to_std().unwrap_or_default();
        if age > self.cfg.confirm_expiry {
            self.pending.remove(key);
            return t.key_expired().into();
        }
        if !same(&p.address, from) {
            return t.key_for_another(key, &p.address, from);
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
                let body = t.new_member_notice(from, &who, &post, self.members.len());
                mails.extend(self.notify_admins(cx, &t.new_member_subject(&ml), &body));
                let guide = self.cfg.guide.as_deref().map(|g| format!("\n{g}")).unwrap_or_default();
                t.welcome_confirmed(from, &post, &ctl, &guide)
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
                let body = t.confirmed_notice(from, &who, &post, &ctl);
                mails.extend(self.notify_admins(cx, &t.confirmed_notice_subject(&ml), &body));
                t.confirmed_waiting().into()
            }
        }
    }

    pub(super) fn unsubscribe(&mut self, from: &str, mails: &mut Vec<Out>) -> String {
        match self.members.iter().position(|m| same(&m.address, from)) {
            Some(i) => {
                self.members.remove(i);
                mails.push(Self::note(NoteKind::Unsubscribe, format!("{from} left the list"), from));
                self.texts().left(from)
            }
            None => self.texts().nothing_to_leave(from),
        }
    }

    /// `chaddr OLD NEW`, sent from OLD.
    pub(super) fn chaddr(&mut self, from: &str, old: &str, new: &str, mails: &mut Vec<Out>) -> String {
        let t = self.texts();
        if !same(old, from) {
            return t.chaddr_wrong_sender(old, from);
        }
        if self.is_member(new) {
            return t.refused_already_member(new);
        }
        match self.members.iter_mut().find(|m| same(&m.address, old)) {
            Some(m) => {
                m.address = new.to_string();
                mails.push(Self::note(NoteKind::Chaddr, format!("{old} is now {new}"), from));
                t.chaddr_done(old, new)
            }
            None => t.refused_not_member(old),
        }
    }

    /// `digest on|off|nomail`: how posts reach a member.
    pub(super) fn set_delivery(&mut self, from: &str, arg: DigestArg, mails: &mut Vec<Out>) -> String {
        let t = self.texts();
        let every = t.duration(self.cfg.digest_every);
        let format = self.cfg.digest_format;
        match self.members.iter_mut().find(|m| same(&m.address, from)) {
            Some(m) => {
                m.delivery = match arg {
                    DigestArg::On => Delivery::Digest,
                    DigestArg::Off => Delivery::Each,
                    DigestArg::NoMail => Delivery::NoMail,
                };
                let d = m.delivery;
                mails.push(Self::note(NoteKind::Delivery, format!("{from} now receives: {}", d.name()), from));
                t.delivery_now(d, format, &every)
            }
            None => t.refused_not_member(from),
        }
    }
}
