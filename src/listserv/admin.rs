//! `admin` commands: after `admin pass PASSWORD` from an administrator's
//! address, the rest of the mail may add and remove members and name
//! moderators (fml's remote administration).

use super::command::Admin;
use super::{Cx, Delivery, List, Member, NoteKind, Out, same};

impl List {
    pub(super) fn admin(
        &mut self,
        cx: &mut Cx,
        from: &str,
        a: Admin,
        admin_ok: &mut bool,
        mails: &mut Vec<Out>,
    ) -> String {
        let t = self.texts();
        if let Admin::Pass(pw) = &a {
            let Some(want) = &self.cfg.password else {
                mails.push(Self::note(NoteKind::Admin, "admin pass refused: remote administration is off", from));
                return t.no_remote_admin().into();
            };
            if !self.is_admin(from) {
                mails.push(Self::note(
                    NoteKind::Admin,
                    format!("admin pass refused: {from} is not an administrator"),
                    from,
                ));
                return t.not_admin(from);
            }
            if pw != want {
                *admin_ok = false;
                mails.push(Self::note(NoteKind::Admin, "admin pass refused: wrong password", from));
                return t.wrong_password().into();
            }
            *admin_ok = true;
            mails.push(Self::note(NoteKind::Admin, "admin pass accepted", from));
            return t.password_accepted().into();
        }
        if a == Admin::Help {
            return t.admin_help().into();
        }
        if !*admin_ok {
            mails.push(Self::note(NoteKind::Admin, "admin command refused: no valid \"admin pass\" before it", from));
            return t.admin_pass_first().into();
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
                let body = t.welcome_added(&address, &post, &ctl, &guide);
                mails.push(self.text_mail(cx, "reply", &address, &t.welcome_subject(&ml), &body));
                t.added(&address, self.members.len())
            }
            Admin::Bye(address) => match self.members.iter().position(|m| same(&m.address, &address)) {
                Some(i) => {
                    self.members.remove(i);
                    mails.push(Self::note(NoteKind::Admin, format!("admin bye {address}"), from));
                    t.removed(&address, self.members.len())
                }
                None => t.not_member(&address),
            },
            Admin::Moderate(address) => {
                if self.moderators.iter().any(|m| same(m, &address)) {
                    return t.already_moderator(&address);
                }
                self.moderators.push(address.clone());
                mails.push(Self::note(NoteKind::Admin, format!("admin moderate {address}"), from));
                t.now_moderator(&address)
            }
            Admin::Usage(u) => t.admin_usage(u),
            Admin::Unknown(w) => t.admin_unknown(&w),
            Admin::Pass(_) | Admin::Help => String::new(),
        }
    }
}
