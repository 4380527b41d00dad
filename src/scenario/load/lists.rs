//! A list host's `lists:`, checked into list-server settings.

use super::super::raw::{RawDigest, RawHost, RawList, S};
use super::Checker;
use crate::listserv::{Attachments, Delivery, DigestFormat, Kind, ListConfig, Member, Others, Subscribe, TooLarge};
use crate::scenario::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

impl Checker {
    /// The `lists:` of a list host, checked into list-server settings.
    pub(super) fn lists(
        &mut self,
        h: &RawHost,
        role: Role,
        domains: &[String],
        aliases: &BTreeMap<String, Vec<String>>,
    ) -> Vec<ListConfig> {
        if role != Role::List {
            if !h.lists.is_empty() {
                self.err(
                    &h.role,
                    format!("`lists` belong on a host with role list, not {}", role.name()),
                    "write `role: list` for the host that runs the lists",
                );
            }
            return Vec::new();
        }
        if h.lists.is_empty() {
            self.err(
                &h.role,
                "a list host needs at least one list",
                "add e.g. `lists: { ohanashi: { admin: [you@example.com], members: [...] } }`",
            );
        }
        let mut out = Vec::new();
        for (key, l) in &h.lists {
            let Some((name, domain)) = self.list_address(key, l, domains, aliases) else {
                continue;
            };
            let mut c = ListConfig::new(&name, &domain);
            if let Some(t) = &l.title
                && self.one_line(t, ("a list's title (it goes into List-Id:)", "リストの title (List-Id: に入ります) "))
            {
                c.title = Some(t.value.clone());
            }
            self.list_people(&mut c, l);
            self.list_policies(&mut c, l, h);
            if let Some(d) = &l.digest {
                self.list_digest(&mut c, d);
            }
            c.guide = l.guide.clone();
            if let Some(n) = l.bounce_limit {
                c.bounce_limit = (n > 0).then_some(n);
            }
            if let Some(lang) = &l.language {
                match crate::listserv::Lang::from_name(&lang.value) {
                    Some(x) => c.language = x,
                    None => self.err(lang, format!("unknown language `{}`", lang.value), "use en or ja"),
                }
            }
            out.push(c);
        }
        out
    }

    /// The list's name and domain from its key (`name` or `name@domain`), when usable.
    fn list_address(
        &mut self,
        key: &str,
        l: &RawList,
        domains: &[String],
        aliases: &BTreeMap<String, Vec<String>>,
    ) -> Option<(String, String)> {
        let (name, domain) = match key.split_once('@') {
            Some((n, d)) => (n.to_ascii_lowercase(), d.to_ascii_lowercase()),
            None => (key.to_ascii_lowercase(), domains.first().cloned().unwrap_or_default()),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            self.err(
                &l.admin,
                format!("list name `{key}` must be a local part such as `ohanashi`"),
                "use letters, digits, `.`, `_` and `-`",
            );
            return None;
        }
        if !domains.contains(&domain) {
            self.err(
                &l.admin,
                format!("the list `{key}` is in domain `{domain}`, which is not among this host's domains"),
                "add the domain to `domains:` or write the list as name@one-of-the-domains",
            );
            return None;
        }
        for suffix in ["", "-ctl", "-admin", "-request"] {
            if aliases.contains_key(&format!("{name}{suffix}")) {
                self.err(
                    &l.admin,
                    format!("`{name}{suffix}` is both an alias and an address of the list `{name}`"),
                    "remove the alias: the list server answers at that address",
                );
            }
        }
        Some((name, domain))
    }

    /// Administrators, moderators, the password, members and their delivery modes.
    fn list_people(&mut self, c: &mut ListConfig, l: &RawList) {
        let addr_list = |this: &mut Self, v: &[S<String>]| -> Vec<String> {
            v.iter().filter(|a| this.mailbox(a)).map(|a| a.value.clone()).collect()
        };
        c.admins = addr_list(self, &l.admin.value);
        if l.admin.value.is_empty() {
            self.err(
                &l.admin,
                "a list needs at least one administrator",
                "write `admin: [you@example.com]`: mail to NAME-admin and the list's notices go there",
            );
        }
        c.moderators = addr_list(self, &l.moderators);
        c.password = l.password.clone();
        let mut seen = BTreeSet::new();
        for m in &l.members {
            if self.mailbox(m) {
                if !seen.insert(m.value.to_ascii_lowercase()) {
                    self.err(m, format!("`{}` is listed twice", m.value), "list each member once");
                    continue;
                }
                c.members.push(Member { address: m.value.clone(), name: String::new(), delivery: Delivery::Each });
            }
        }
        for (addr, mode) in &l.delivery {
            let d = match mode.value.as_str() {
                "each" => Delivery::Each,
                "digest" => Delivery::Digest,
                "nomail" => Delivery::NoMail,
                other => {
                    self.err(mode, format!("unknown delivery `{other}`"), "use each, digest or nomail");
                    continue;
                }
            };
            match c.members.iter_mut().find(|m| m.address.eq_ignore_ascii_case(addr)) {
                Some(m) => m.delivery = d,
                None => self.err(
                    mode,
                    format!("`{addr}` has a delivery mode but is not in `members`"),
                    "add the address to members, or remove this line",
                ),
            }
        }
    }

    /// Who may post, size and attachment limits, how people subscribe, and the tags.
    fn list_policies(&mut self, c: &mut ListConfig, l: &RawList, h: &RawHost) {
        c.kind = match self.choice(&l.kind, "list type", &["participatory", "moderated"]) {
            Some(1) => Kind::Moderated,
            _ => Kind::Participatory,
        };
        c.others = match self.choice(&l.others, "setting for others' posts", &["reject", "hold", "ignore"]) {
            Some(0) => Others::Reject,
            Some(1) => Others::Hold,
            Some(_) => Others::Ignore,
            None if c.kind == Kind::Moderated => Others::Hold,
            None => Others::Reject,
        };
        c.max_size = l.max_size.map(|n| n as usize);
        c.too_large = match self.choice(&l.too_large, "setting for large posts", &["reject", "ignore"]) {
            Some(1) => TooLarge::Ignore,
            _ => TooLarge::Reject,
        };
        c.attachments = match self.choice(&l.attachments, "attachment setting", &["keep", "strip", "reject"]) {
            Some(1) => Attachments::Strip,
            Some(2) => Attachments::Reject,
            _ => Attachments::Keep,
        };
        let subscribe = ["confirm", "confirm_then_approve", "admin_only"];
        c.subscribe = match self.choice(&l.subscribe, "subscribe policy", &subscribe) {
            Some(1) => Subscribe::ConfirmThenApprove,
            Some(2) => Subscribe::AdminOnly,
            _ => Subscribe::Confirm,
        };
        if c.password.is_none() && c.subscribe != Subscribe::Confirm {
            self.err(
                l.subscribe.as_ref().unwrap_or(&h.role),
                "the administrator adds members by `admin add`, which needs a `password:`",
                "give the list a password for remote administration",
            );
        }
        c.subject_tag = l.subject_tag.unwrap_or(true);
        c.reply_to_list = l.reply_to_list.unwrap_or(true);
    }

    fn list_digest(&mut self, c: &mut ListConfig, d: &RawDigest) {
        if let Some(e) = &d.every {
            match self.duration(e) {
                Some(x) if x < Duration::from_secs(60) => {
                    self.err(e, "digests more often than once a minute make no sense", "use e.g. 1h or 1d")
                }
                Some(x) => c.digest_every = x,
                None => {}
            }
        }
        c.digest_format = match self.choice(&d.format, "digest format", &["mime", "rfc1153"]) {
            Some(1) => DigestFormat::Rfc1153,
            _ => DigestFormat::Mime,
        };
    }

    /// The index of a setting's value among its choices; `None` when absent or unknown (reported).
    fn choice(&mut self, v: &Option<S<String>>, what: &str, choices: &[&str]) -> Option<usize> {
        let v = v.as_ref()?;
        match choices.iter().position(|c| *c == v.value) {
            Some(i) => Some(i),
            None => {
                self.err(v, format!("unknown {what} `{}`", v.value), format!("use {}", choices.join(", ")));
                None
            }
        }
    }
}
