//! `configure` steps: new values for some of a running MTA's own keys,
//! checked exactly as the host's keys are (the host's settings with the new
//! values in place are checked whole), one step after another.

use super::super::raw::{RawConfigure, RawHost};
use super::{Checker, MTA_ROLES, role_of};
use crate::base::diag::{nearest, tr};
use crate::proto::smtp::address::parse_mailbox;
use crate::scenario::{Action, Role, UserChange};
use std::collections::BTreeMap;

impl Checker {
    pub(super) fn configure(
        &mut self,
        c: &RawConfigure,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
    ) -> Option<Action> {
        let i = self.host_ref(names, hosts, &c.host, MTA_ROLES, "the host a `configure` step changes")?;
        let set = &c.set.value;
        let keys = set.keys();
        if keys.is_empty() {
            self.err(
                &c.set,
                tr("this `configure` step sets nothing", "この `configure` ステップは何も設定していません"),
                tr("give `set:` one or more of allow_relay, access, dnsbl, auth, max_message_size, helo_required, lists, users", "`set:` に allow_relay・access・dnsbl・auth・max_message_size・helo_required・lists・users のどれか 1 つ以上を書いてください"),
            );
            return None;
        }
        // The host as the steps before left it, with this step's values in place.
        let mut h = self.configured.get(&i).cloned().unwrap_or_else(|| hosts[i].clone());
        if let Some(r) = &set.allow_relay {
            h.allow_relay = Some(r.clone());
        }
        if let Some(a) = &set.access {
            h.access = a.clone();
        }
        if let Some(d) = &set.dnsbl {
            h.dnsbl = d.clone();
        }
        if let Some(a) = &set.auth {
            h.auth = Some(a.clone());
        }
        if let Some(m) = &set.max_message_size {
            h.max_message_size = Some(m.clone());
        }
        if let Some(r) = &set.helo_required {
            h.helo_required = Some(r.clone());
        }
        if let Some(ls) = &set.lists {
            for (name, change) in &ls.value {
                let Some(key) = h.lists.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned() else {
                    let known: Vec<&str> = h.lists.keys().map(String::as_str).collect();
                    let hint = match (nearest(name, known.iter().copied()), known.is_empty()) {
                        (_, true) => tr(
                            format!("`{}` serves no mailing list: give it one under `lists:` first", c.host.value),
                            format!(
                                "`{}` はメーリングリストを持っていません。まずホストの `lists:` に書いてください",
                                c.host.value
                            ),
                        ),
                        (Some(k), _) => tr(
                            format!("did you mean `{k}`? (its lists are: {})", known.join(", ")),
                            format!("`{k}` の書き間違いではありませんか? (リスト: {})", known.join(", ")),
                        ),
                        (None, _) => {
                            tr(format!("its lists are: {}", known.join(", ")), format!("リスト: {}", known.join(", ")))
                        }
                    };
                    self.err(
                        ls,
                        tr(
                            format!("`{}` has no mailing list `{name}`", c.host.value),
                            format!("`{}` に `{name}` というメーリングリストはありません", c.host.value),
                        ),
                        hint,
                    );
                    return None;
                };
                if let Some(l) = h.lists.get_mut(&key) {
                    change.apply(l);
                }
            }
        }
        let mut users = Vec::new();
        if let Some(us) = &set.users {
            for (address, change) in &us.value {
                let written = parse_mailbox(address).map(|m| m.key()).unwrap_or_else(|_| address.clone());
                let Some(key) = self.passwords.get(&written.to_ascii_lowercase()).map(|(k, _)| k.clone()) else {
                    let known: Vec<&str> = self.passwords.values().map(|(k, _)| k.as_str()).collect();
                    let hint = match nearest(&written, known.iter().copied()) {
                        Some(k) => tr(format!("did you mean `{k}`?"), format!("`{k}` の書き間違いではありませんか?")),
                        None => tr(
                            "an account belongs to a user listed under `users:`; add the user there first",
                            "アカウントは `users:` に書いたユーザのものです。まずそこにユーザを加えてください",
                        ),
                    };
                    self.err(
                        us,
                        tr(
                            format!("`{address}` is not a user of this scenario"),
                            format!("`{address}` はこのシナリオのユーザではありません"),
                        ),
                        hint,
                    );
                    return None;
                };
                if change.password.is_none() && change.login.is_none() {
                    self.err(
                        us,
                        tr(
                            format!("the change to `{address}` sets nothing"),
                            format!("`{address}` への変更に何も書かれていません"),
                        ),
                        tr(
                            "give `password: NEW` or `login: false`",
                            "`password: 新しいパスワード` か `login: false` を書いてください",
                        ),
                    );
                    return None;
                }
                if let Some(p) = &change.password {
                    // Later steps of this user log in with the new password.
                    self.passwords.insert(key.to_ascii_lowercase(), (key.clone(), Some(p.clone())));
                }
                users.push(UserChange { address: key, password: change.password.clone(), login: change.login });
            }
        }
        let role = role_of(&h)?;
        let dns_hosts: Vec<usize> =
            hosts.iter().enumerate().filter(|(_, h)| role_of(h) == Some(Role::Dns)).map(|(j, _)| j).collect();
        // The host's own keys were checked already: only what this step adds is new.
        let (diags, warns) = (self.diags.len(), self.warns.len());
        let cfg = self.mta_config(&h, role, hosts, names, &dns_hosts);
        dedup_after(&mut self.diags, diags);
        dedup_after(&mut self.warns, warns);
        if self.diags.len() > diags {
            return None;
        }
        let cfg = cfg?;
        let changes = describe(c);
        self.configured.insert(i, h);
        Some(Action::Configure { host: i, cfg: Box::new(cfg), changes, users })
    }
}

/// Drop the diagnostics from `from` on that repeat one made before.
fn dedup_after(d: &mut Vec<crate::base::diag::Diagnostic>, from: usize) {
    let mut k = from;
    while k < d.len() {
        let same =
            d[..from].iter().any(|o| o.line == d[k].line && o.column == d[k].column && o.message == d[k].message);
        if same {
            d.remove(k);
        } else {
            k += 1;
        }
    }
}

/// What the step sets, one `key: value` text a key, for the trace.
fn describe(c: &RawConfigure) -> Vec<String> {
    let set = &c.set.value;
    let list = |v: &[serde_saphyr::Spanned<String>]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|s| s.value.as_str()).collect::<Vec<_>>().join(", ")
        }
    };
    let mut out = Vec::new();
    if let Some(r) = &set.allow_relay {
        let mut parts = Vec::new();
        for (name, v) in
            [("networks", &r.networks), ("client_domains", &r.client_domains), ("to_domains", &r.to_domains)]
        {
            if !v.is_empty() {
                parts.push(format!("{name} {}", list(v)));
            }
        }
        if let Some(p) = &r.pop_before_smtp {
            parts.push(format!("pop_before_smtp {}", p.value));
        }
        if parts.is_empty() {
            parts.push("nobody".into());
        }
        out.push(format!("allow_relay: {}", parts.join("; ")));
    }
    if let Some(a) = &set.access {
        out.push(format!("access: {}", list(a)));
    }
    if let Some(d) = &set.dnsbl {
        out.push(format!("dnsbl: {}", list(d)));
    }
    if let Some(a) = &set.auth {
        out.push(format!("auth: {}", a.value));
    }
    if let Some(m) = &set.max_message_size {
        out.push(format!("max_message_size: {}", m.value));
    }
    if let Some(r) = &set.helo_required {
        out.push(format!("helo_required: {}", r.value));
    }
    if let Some(ls) = &set.lists {
        for (name, change) in &ls.value {
            out.push(format!("list {name}: {}", change.describe().join(", ")));
        }
    }
    if let Some(us) = &set.users {
        for (address, change) in &us.value {
            let mut what = Vec::new();
            if change.password.is_some() {
                what.push("new password");
            }
            match change.login {
                Some(false) => what.push("login locked"),
                Some(true) => what.push("login open"),
                None => {}
            }
            out.push(format!("user {address}: {}", what.join(", ")));
        }
    }
    out
}
