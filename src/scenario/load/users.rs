//! Users: each lives on the one MTA whose local domains include theirs; their
//! passwords are what the steps log in with.

use super::super::raw::{RawUser, S};
use super::Checker;
use crate::base::diag::tr;
use crate::proto::smtp::address::parse_mailbox;
use crate::scenario::{Host, User};
use std::collections::BTreeMap;

impl Checker {
    /// `hosts_ok`: every host was checked, so a domain no host lists is a mistake
    /// and not the echo of another.
    pub(super) fn users(&mut self, raw: &[RawUser], hosts: &[Host], hosts_ok: bool) -> Vec<User> {
        let mut users = Vec::new();
        let mut seen_users = BTreeMap::new();
        // Which hosts receive mail for each domain, worked out once: a host
        // can list a thousand domains and a scenario a hundred thousand users.
        let mut owners_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, h) in hosts.iter().enumerate() {
            for d in h.mta.iter().flat_map(|m| m.domains.iter()) {
                let owners = owners_of.entry(d.as_str()).or_default();
                if owners.last() != Some(&i) {
                    owners.push(i);
                }
            }
        }
        for u in raw {
            if !self.mailbox(&u.address) {
                continue;
            }
            let Ok(mb) = parse_mailbox(&u.address.value) else {
                continue;
            };
            // Alice@ and alice@ are one mailbox: MTAs fold a local part's
            // case (see `Store::resolve_user`).
            if let Some(first) = seen_users.insert(mb.key().to_ascii_lowercase(), mb.key()) {
                let (en, ja) = if first == mb.key() {
                    (
                        format!("user {} is listed twice", u.address.value),
                        format!("ユーザ {} が 2 回書かれています", u.address.value),
                    )
                } else {
                    (
                        format!(
                            "user {} is listed twice: {first} differs only in capital letters, and mail servers treat the two as one mailbox",
                            u.address.value
                        ),
                        format!(
                            "ユーザ {} が 2 回書かれています: {first} とは大文字・小文字が違うだけで、メールサーバは同じメールボックスとして扱います",
                            u.address.value
                        ),
                    )
                };
                self.err(&u.address, tr(en, ja), tr("list each user once", "ユーザは 1 回ずつ書いてください"));
                continue;
            }
            // A user at an address literal (`taro@[192.0.2.25]`) lives on the
            // MTA with that address: mail to its own literal is local there.
            let literal_owner: Vec<usize>;
            let owners: &[usize] = match mb.literal() {
                Some(ip) => {
                    literal_owner = hosts
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| h.mta.is_some() && std::net::IpAddr::V4(h.address) == ip)
                        .map(|(i, _)| i)
                        .collect();
                    if literal_owner.is_empty() && hosts_ok {
                        self.err(
                            &u.address,
                            tr(
                                format!("no mail server of this scenario has the address {ip} of this user's address literal"),
                                format!("このユーザのアドレスリテラルのアドレス {ip} を持つメールサーバがこのシナリオにありません"),
                            ),
                            tr(
                                "write the `address:` of the mail server (relay, hub, mx, mailstore or list host) that keeps this mailbox in the brackets, or use one of its domains",
                                "このメールボックスを持つメールサーバ (relay, hub, mx, mailstore, list のホスト) の `address:` を [ ] の中に書くか、そのホストのドメインを使ってください",
                            ),
                        );
                        continue;
                    }
                    &literal_owner
                }
                None => owners_of.get(mb.domain.as_str()).map(Vec::as_slice).unwrap_or(&[]),
            };
            match owners {
                [i] => users.push(User {
                    address: mb.key(),
                    name: u.name.clone(),
                    password: u.password.clone(),
                    host: *i,
                    special_mailboxes: u.special_mailboxes,
                }),
                [] if hosts_ok => self.err(
                    &u.address,
                    tr(
                        format!("no host receives mail for the domain {} of this user", mb.domain),
                        format!("このユーザのドメイン {} 宛のメールを受け取るホストがありません", mb.domain),
                    ),
                    tr(
                        format!("add `{}` to the `domains:` of the mx host that keeps this mailbox", mb.domain),
                        format!("このメールボックスを持つ mx ホストの `domains:` に `{}` を加えてください", mb.domain),
                    ),
                ),
                [] => {}
                _ => {
                    let names: Vec<String> = owners.iter().map(|i| format!("`{}`", hosts[*i].name)).collect();
                    let both = names.join(tr(" and ", " と ").as_str());
                    self.err(
                        &u.address,
                        tr(
                            format!("the mailbox of {} would be in two places: {both} both list {} in their `domains:`", mb.key(), mb.domain),
                            format!("{} のメールボックスが 2 か所になります: {both} のどちらも `domains:` に {} を挙げています", mb.key(), mb.domain),
                        ),
                        tr(
                            format!("a mailbox lives on one host: keep {} in the `domains:` of one of them only (a backup MX relays it with `allow_relay: to_domains:`)", mb.domain),
                            format!("メールボックスは 1 台のホストにあります: {} はどちらか一方の `domains:` にだけ書いてください (予備の MX は `allow_relay: to_domains:` で中継します)", mb.domain),
                        ),
                    )
                }
            }
        }
        users
    }

    /// The password for a login: given in the step, or the user's from `users:`.
    pub(super) fn password_for(&mut self, user: &S<String>, given: &Option<String>) -> Option<String> {
        if let Some(p) = given {
            return Some(p.clone());
        }
        let key = parse_mailbox(&user.value).map(|m| m.key()).unwrap_or_else(|_| user.value.clone());
        match self.passwords.get(&key.to_ascii_lowercase()).map(|(_, p)| p) {
            Some(Some(p)) => Some(p.clone()),
            Some(None) => {
                self.err(
                    user,
                    tr(
                        format!("user {} has no password", user.value),
                        format!("ユーザ {} にはパスワードがありません", user.value),
                    ),
                    tr(
                        "add `password:` to the user in `users:`, or to this step",
                        "`users:` のそのユーザか、このステップに `password:` を加えてください",
                    ),
                );
                None
            }
            None => {
                let near =
                    crate::base::diag::nearest(&key.to_ascii_lowercase(), self.passwords.keys().map(String::as_str));
                let hint = match near {
                    Some(u) => tr(format!("did you mean `{u}`?"), format!("`{u}` の書き間違いではありませんか?")),
                    None => tr(
                        "list the user under `users:` with a password, or give `password:` in this step",
                        "ユーザをパスワード付きで `users:` に書くか、このステップに `password:` を書いてください",
                    ),
                };
                self.err(
                    user,
                    tr(
                        format!("{} is not a user of this scenario", user.value),
                        format!("{} はこのシナリオのユーザではありません", user.value),
                    ),
                    hint,
                );
                None
            }
        }
    }
}

/// Every user's address as written and password, by the address in lower
/// case: a login name or a `configure` step reaches a user in any case, as
/// the servers find it (the last one wins for a user listed twice).
pub(super) fn passwords(raw: &[RawUser]) -> BTreeMap<String, (String, Option<String>)> {
    raw.iter()
        .filter_map(|u| {
            let m = parse_mailbox(&u.address.value).ok()?;
            Some((m.key().to_ascii_lowercase(), (m.key(), u.password.clone())))
        })
        .collect()
}
