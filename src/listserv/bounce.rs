//! Mail to NAME-admin: delivery reports for distributed mail (counted
//! against the member until its delivery stops) and questions, passed on to
//! the people who run the list.

use super::{Cx, Delivery, List, NoteKind, Out, OutMail, mime, same};

impl List {
    pub(super) fn forward_admin(&self, envelope_from: Option<&str>, data: &[u8]) -> Out {
        Out::Mail(OutMail {
            what: "forward",
            from: envelope_from.map(str::to_string),
            to: self.cfg.admins.clone(),
            data: data.to_vec(),
        })
    }

    /// Mail to NAME-admin: bounces of distributed mail, and questions for the people running the list.
    pub(super) fn admin_mail(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_else(|| "<>".into());
        let mut out = Vec::new();
        if envelope_from.is_none() {
            // A delivery status notification: name the failed members.
            let text = String::from_utf8_lossy(data);
            let mut failed = Vec::new();
            let mut status = String::new();
            for l in text.lines() {
                let l = l.trim();
                if let Some(v) = l.strip_prefix("Final-Recipient:") {
                    failed.push(v.split(';').next_back().unwrap_or(v).trim().to_string());
                } else if let Some(v) = l.strip_prefix("Status:") {
                    status = v.trim().to_string();
                }
            }
            if failed.is_empty() {
                out.push(Self::note(NoteKind::Bounce, "a message from <> that names no failed recipient", &from));
            } else {
                for f in &failed {
                    let m = if self.is_member(f) { "member" } else { "address" };
                    out.push(Self::note(NoteKind::Bounce, format!("delivery to {m} {f} failed ({status})"), &from));
                    if self.is_member(f) && status.starts_with('5') {
                        out.extend(self.count_bounce(f, cx));
                    }
                }
            }
        } else {
            out.push(Self::note(NoteKind::Forward, "mail for the administrator", &from));
        }
        out.push(self.forward_admin(envelope_from, data));
        out
    }

    /// One more permanent bounce for a member; at the limit, stop sending to it.
    fn count_bounce(&mut self, addr: &str, cx: &Cx) -> Vec<Out> {
        let Some(limit) = self.cfg.bounce_limit else { return Vec::new() };
        let n = self.bounces.entry(addr.to_ascii_lowercase()).or_insert(0);
        *n += 1;
        let n = *n;
        if n < limit {
            return vec![Self::note(
                NoteKind::Bounce,
                format!("{addr} has bounced {n} time(s); delivery stops at {limit}"),
                addr,
            )];
        }
        match self.members.iter_mut().find(|m| same(&m.address, addr)) {
            Some(m) if m.delivery != Delivery::NoMail => {
                m.delivery = Delivery::NoMail;
                let (ctl, ml) = (self.cfg.ctl_address(), self.ml());
                let t = self.texts();
                let body = t.delivery_stopped(addr, n, &ctl);
                let title = t.delivery_stopped_subject(addr, &ml);
                let mut out = self.notify_admins(cx, &title, &body);
                out.insert(0, Self::note(
                    NoteKind::Disable,
                    format!("{addr} bounced {n} time(s): no more mail is sent there (still a member; the administrator may remove it)"),
                    addr,
                ));
                out
            }
            _ => Vec::new(),
        }
    }
}
