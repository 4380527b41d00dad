//! A list host's `lists:`, checked into list-server settings.

use super::super::raw::{RawDigest, RawHost, RawList, S};
use super::Checker;
use crate::base::diag::tr;
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
                    tr(
                        format!("`lists` belong on a host with role list, not {}", role.name()),
                        format!("`lists` は役割が list のホストに書きます ({} ではありません)", role.name()),
                    ),
                    tr(
                        "write `role: list` for the host that runs the lists",
                        "リストを動かすホストに `role: list` と書いてください",
                    ),
                );
            }
            return Vec::new();
        }
        if h.lists.is_empty() {
            self.err(
                &h.role,
                tr("a list host needs at least one list", "list ホストにはリストが 1 つ以上必要です"),
                tr(
                    "add e.g. `lists: { ohanashi: { admin: [you@example.com], members: [...] } }`",
                    "例えば `lists: { ohanashi: { admin: [you@example.com], members: [...] } }` を加えてください",
                ),
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
                    None => self.err(
                        lang,
                        tr(
                            format!("unknown language `{}`", lang.value),
                            format!("`{}` という言語は知りません", lang.value),
                        ),
                        tr("use en or ja", "en か ja を使ってください"),
                    ),
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
                tr(
                    format!("list name `{key}` must be a local part such as `ohanashi`"),
                    format!("リスト名 `{key}` は `ohanashi` のようなローカルパートでなければなりません"),
                ),
                tr("use letters, digits, `.`, `_` and `-`", "英字・数字・`.`・`_`・`-` を使ってください"),
            );
            return None;
        }
        if !domains.contains(&domain) {
            self.err(
                &l.admin,
                tr(
                    format!("the list `{key}` is in domain `{domain}`, which is not among this host's domains"),
                    format!("リスト `{key}` のドメイン `{domain}` は、このホストのドメインにありません"),
                ),
                tr(
                    "add the domain to `domains:` or write the list as name@one-of-the-domains",
                    "そのドメインを `domains:` に加えるか、リストを 名前@このホストのドメイン と書いてください",
                ),
            );
            return None;
        }
        for suffix in ["", "-ctl", "-admin", "-request"] {
            if aliases.contains_key(&format!("{name}{suffix}")) {
                self.err(
                    &l.admin,
                    tr(
                        format!("`{name}{suffix}` is both an alias and an address of the list `{name}`"),
                        format!("`{name}{suffix}` は別名 (alias) であり、リスト `{name}` のアドレスでもあります"),
                    ),
                    tr(
                        "remove the alias: the list server answers at that address",
                        "別名を削除してください: そのアドレスにはリストサーバーが応えます",
                    ),
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
                tr("a list needs at least one administrator", "リストには管理者が 1 人以上必要です"),
                tr(
                    "write `admin: [you@example.com]`: mail to NAME-admin and the list's notices go there",
                    "`admin: [you@example.com]` と書いてください: NAME-admin 宛のメールとリストの通知はそこへ届きます",
                ),
            );
        }
        c.moderators = addr_list(self, &l.moderators);
        c.password = l.password.clone();
        let mut seen = BTreeSet::new();
        for m in &l.members {
            if self.mailbox(m) {
                if !seen.insert(m.value.to_ascii_lowercase()) {
                    self.err(
                        m,
                        tr(format!("`{}` is listed twice", m.value), format!("`{}` が 2 回書かれています", m.value)),
                        tr("list each member once", "メンバーは 1 回ずつ書いてください"),
                    );
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
                    self.err(
                        mode,
                        tr(format!("unknown delivery `{other}`"), format!("`{other}` という配送方法はありません")),
                        tr("use each, digest or nomail", "each・digest・nomail のどれかを使ってください"),
                    );
                    continue;
                }
            };
            match c.members.iter_mut().find(|m| m.address.eq_ignore_ascii_case(addr)) {
                Some(m) => m.delivery = d,
                None => self.err(
                    mode,
                    tr(
                        format!("`{addr}` has a delivery mode but is not in `members`"),
                        format!("`{addr}` には配送方法がありますが、`members` にいません"),
                    ),
                    tr(
                        "add the address to members, or remove this line",
                        "アドレスを members に加えるか、この行を削除してください",
                    ),
                ),
            }
        }
    }

    /// Who may post, size and attachment limits, how people subscribe, and the tags.
    fn list_policies(&mut self, c: &mut ListConfig, l: &RawList, h: &RawHost) {
        c.kind = match self.choice(&l.kind, ("list type", "リストの種類"), &["participatory", "moderated"]) {
            Some(1) => Kind::Moderated,
            _ => Kind::Participatory,
        };
        c.others = match self.choice(
            &l.others,
            ("setting for others' posts", "メンバー以外の投稿の設定"),
            &["reject", "hold", "ignore"],
        ) {
            Some(0) => Others::Reject,
            Some(1) => Others::Hold,
            Some(_) => Others::Ignore,
            None if c.kind == Kind::Moderated => Others::Hold,
            None => Others::Reject,
        };
        c.max_size = l.max_size.map(|n| n as usize);
        c.too_large =
            match self.choice(&l.too_large, ("setting for large posts", "大きすぎる投稿の設定"), &["reject", "ignore"])
            {
                Some(1) => TooLarge::Ignore,
                _ => TooLarge::Reject,
            };
        c.attachments = match self.choice(
            &l.attachments,
            ("attachment setting", "添付ファイルの設定"),
            &["keep", "strip", "reject"],
        ) {
            Some(1) => Attachments::Strip,
            Some(2) => Attachments::Reject,
            _ => Attachments::Keep,
        };
        let subscribe = ["confirm", "confirm_then_approve", "admin_only"];
        c.subscribe = match self.choice(&l.subscribe, ("subscribe policy", "購読の方針"), &subscribe) {
            Some(1) => Subscribe::ConfirmThenApprove,
            Some(2) => Subscribe::AdminOnly,
            _ => Subscribe::Confirm,
        };
        if c.password.is_none() && c.subscribe != Subscribe::Confirm {
            self.err(
                l.subscribe.as_ref().unwrap_or(&h.role),
                tr(
                    "the administrator adds members by `admin add`, which needs a `password:`",
                    "管理者は `admin add` でメンバーを加えますが、それには `password:` が要ります",
                ),
                tr(
                    "give the list a password for remote administration",
                    "遠隔管理のためにリストにパスワードを付けてください",
                ),
            );
        }
        c.subject_tag = l.subject_tag.unwrap_or(true);
        c.reply_to_list = l.reply_to_list.unwrap_or(true);
    }

    fn list_digest(&mut self, c: &mut ListConfig, d: &RawDigest) {
        if let Some(e) = &d.every {
            match self.duration(e) {
                Some(x) if x < Duration::from_secs(60) => self.err(
                    e,
                    tr(
                        "digests more often than once a minute make no sense",
                        "1 分より短い間隔のダイジェストは意味がありません",
                    ),
                    tr("use e.g. 1h or 1d", "例えば 1h や 1d を使ってください"),
                ),
                Some(x) => c.digest_every = x,
                None => {}
            }
        }
        c.digest_format = match self.choice(&d.format, ("digest format", "ダイジェストの形式"), &["mime", "rfc1153"])
        {
            Some(1) => DigestFormat::Rfc1153,
            _ => DigestFormat::Mime,
        };
    }

    /// The index of a setting's value among its choices; `None` when absent or unknown (reported).
    fn choice(&mut self, v: &Option<S<String>>, what: (&str, &str), choices: &[&str]) -> Option<usize> {
        let v = v.as_ref()?;
        match choices.iter().position(|c| *c == v.value) {
            Some(i) => Some(i),
            None => {
                self.err(
                    v,
                    tr(
                        format!("unknown {} `{}`", what.0, v.value),
                        format!("`{}` という{}はありません", v.value, what.1),
                    ),
                    tr(
                        format!("use {}", choices.join(", ")),
                        format!("{} のどれかを使ってください", choices.join("・")),
                    ),
                );
                None
            }
        }
    }
}
