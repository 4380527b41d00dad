//! Steps: exactly one action each (send, reply, pop3, imap, wait, or a fault:
//! down, up, cut, slow, servfail; or configure), at an optional time.

use super::super::raw::{RawFetch, RawHost, RawStep, S};
use super::Checker;
use crate::base::diag::{Diagnostic, tr};
use crate::proto::smtp::address::parse_mailbox;
use crate::scenario::{Action, Fault, Fetch, FetchProtocol, Role, Step};
use std::collections::BTreeMap;

impl Checker {
    pub(super) fn step(
        &mut self,
        n: usize,
        spanned: &S<RawStep>,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
    ) -> Option<Step> {
        let s = &spanned.value;
        let at = match &s.at {
            Some(a) => Some(self.duration(a)?),
            None => None,
        };
        let line = step_line(spanned);
        let set = [
            s.send.is_some(),
            s.reply.is_some(),
            s.wait.is_some(),
            s.down.is_some(),
            s.up.is_some(),
            s.cut.is_some(),
            s.slow.is_some(),
            s.servfail.is_some(),
            s.pop3.is_some(),
            s.imap.is_some(),
            s.configure.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set != 1 {
            self.diags.push(Diagnostic {
                file: self.file.clone(),
                line,
                column: if line == spanned.referenced.line() { spanned.referenced.column() } else { 1 },
                message: if set == 0 {
                    tr(format!("step {n} does nothing"), format!("ステップ {n} は何もしません"))
                } else {
                    tr(format!("step {n} has more than one action"), format!("ステップ {n} に動作が 2 つ以上あります"))
                },
                hint: Some(
                    tr("give each step exactly one of send, reply, pop3, imap, wait, down, up, cut, slow, servfail, configure", "各ステップには send・reply・pop3・imap・wait・down・up・cut・slow・servfail・configure のどれか 1 つだけを書いてください"),
                ),
            });
            return None;
        }
        let action = self.action(s, hosts, names)?;
        Some(Step { at, note: s.note.clone().unwrap_or_default(), action, line })
    }

    /// The step's one action.
    fn action(&mut self, s: &RawStep, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Action> {
        Some(if let Some(send) = &s.send {
            Action::Send(Box::new(self.send(send, hosts, names)?))
        } else if let Some(r) = &s.reply {
            Action::Send(Box::new(self.reply(r, hosts, names)?))
        } else if let Some(f) = &s.pop3 {
            Action::Fetch(self.fetch(f, FetchProtocol::Pop3, hosts, names)?)
        } else if let Some(f) = &s.imap {
            Action::Fetch(self.fetch(f, FetchProtocol::Imap, hosts, names)?)
        } else if let Some(w) = &s.wait {
            Action::Wait(self.duration(w)?)
        } else if s.down.is_some() || s.up.is_some() || s.servfail.is_some() {
            self.host_fault(s, hosts, names)?
        } else if s.cut.is_some() || s.slow.is_some() {
            self.link_fault(s, hosts, names)?
        } else if let Some(c) = &s.configure {
            self.configure(c, hosts, names)?
        } else {
            return None;
        })
    }

    /// `down`, `up` or `servfail` of one host.
    fn host_fault(&mut self, s: &RawStep, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Action> {
        let f = s.down.as_ref().or(s.up.as_ref()).or(s.servfail.as_ref())?;
        let any = Role::ALL.map(|r| r.1);
        let want: &[Role] = if s.servfail.is_some() { &[Role::Dns] } else { &any };
        let h = self.host_ref(names, hosts, &f.host, want, "this step's host")?;
        let undo_after = match &f.duration {
            Some(d) => Some(self.duration(d)?),
            None => None,
        };
        if s.up.is_some() && undo_after.is_some() {
            self.err(
                &f.host,
                tr("`up` takes no `for`", "`up` には `for` を付けられません"),
                tr(
                    "to bring a host back for a while, use `down` with `for`",
                    "ホストを一時的に止めるには `down` に `for` を付けてください",
                ),
            );
            return None;
        }
        let fault = if s.down.is_some() {
            Fault::Down(h)
        } else if s.up.is_some() {
            Fault::Up(h)
        } else {
            Fault::ServFail(h, true)
        };
        Some(Action::Fault { fault, undo_after })
    }

    /// `cut` or `slow` of the link between two hosts.
    fn link_fault(&mut self, s: &RawStep, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Action> {
        let f = s.cut.as_ref().or(s.slow.as_ref())?;
        if f.between.value.len() != 2 {
            self.err(
                &f.between,
                tr("a link is between exactly two hosts", "リンクはちょうど 2 つのホストの間に張ります"),
                tr("write between: [a, b]", "between: [a, b] と書いてください"),
            );
            return None;
        }
        let any = Role::ALL.map(|r| r.1);
        let a = self.host_ref(names, hosts, &f.between.value[0], &any, "a link end");
        let b = self.host_ref(names, hosts, &f.between.value[1], &any, "a link end");
        let (a, b) = (a?, b?);
        let undo_after = match &f.duration {
            Some(d) => Some(self.duration(d)?),
            None => None,
        };
        let fault = if s.cut.is_some() {
            if let Some(l) = &f.latency {
                self.err(
                    l,
                    tr("`cut` takes no latency", "`cut` には latency を付けられません"),
                    tr("use `slow` to change a link's latency", "リンクの遅延を変えるには `slow` を使ってください"),
                );
                return None;
            }
            Fault::Cut(a, b)
        } else {
            let Some(l) = &f.latency else {
                self.err(
                    &f.between,
                    tr("`slow` needs a `latency`", "`slow` には `latency` が必要です"),
                    tr("add e.g. latency: 2s", "例えば latency: 2s を加えてください"),
                );
                return None;
            };
            Fault::Latency(a, b, self.duration(l)?)
        };
        Some(Action::Fault { fault, undo_after })
    }

    /// A `pop3` or `imap` step: a MUA reads a mailbox on a mailstore.
    fn fetch(
        &mut self,
        f: &RawFetch,
        protocol: FetchProtocol,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
    ) -> Option<Fetch> {
        let mua = self.host_ref(names, hosts, &f.from_host, &[Role::Mua], "the reading host (from_host)");
        let server = self.host_ref(names, hosts, &f.server, &[Role::Mailstore], "the POP3/IMAP server");
        let password = self.password_for(&f.user, &f.password);
        if protocol == FetchProtocol::Imap && (f.apop || f.delete.is_some()) {
            self.err(
                &f.from_host,
                tr("`apop` and `delete` are POP3 settings", "`apop` と `delete` は POP3 の設定です"),
                tr(
                    "IMAP leaves mail on the server; remove them",
                    "IMAP はメールをサーバーに残します。これらを削除してください",
                ),
            );
            return None;
        }
        let tls = f.tls.as_ref().is_some_and(|t| t.value);
        if let (Some(t), Some(i)) = (&f.tls, server)
            && t.value
            && hosts[i].tls.as_ref().is_none_or(|m| m.value == "off")
        {
            self.err(
                t,
                tr(
                    format!("host `{}` has no TLS", hosts[i].name.value),
                    format!("ホスト `{}` には TLS がありません", hosts[i].name.value),
                ),
                tr(
                    format!("give host `{}` the setting `tls: offered` (or required)", hosts[i].name.value),
                    format!("ホスト `{}` に `tls: offered` (または required) を設定してください", hosts[i].name.value),
                ),
            );
            return None;
        }
        use crate::proto::fetch::StartTls;
        // Unset: a client set up for the server it reads, which asks CAPA
        // and upgrades only where the scenario gave the server TLS.
        let server_tls = server.is_some_and(|i| hosts[i].tls.as_ref().is_some_and(|m| m.value != "off"));
        let starttls = match f.starttls.as_ref().map(|s| s.value.as_str()) {
            None if !server_tls => StartTls::Never,
            None | Some("offered") => StartTls::IfOffered,
            Some("off") => StartTls::Never,
            Some("required") => StartTls::Required,
            Some(other) => {
                if let Some(s) = &f.starttls {
                    self.err(
                        s,
                        tr(
                            format!("unknown starttls setting `{other}`"),
                            format!("`{other}` という starttls の設定はありません"),
                        ),
                        tr("use off, offered or required", "off・offered・required のどれかを使ってください"),
                    );
                }
                return None;
            }
        };
        if let Some(s) = &f.starttls
            && tls
        {
            self.err(
                s,
                tr(
                    "`starttls` is for ports 110/143; with `tls: true` TLS starts at once",
                    "`starttls` はポート 110/143 用です。`tls: true` なら TLS はすぐに始まります",
                ),
                tr("remove one of them", "どちらかを削除してください"),
            );
            return None;
        }
        Some(Fetch {
            tls,
            starttls,
            protocol,
            mua: mua?,
            server: server?,
            user: parse_mailbox(&f.user.value).map(|m| m.key()).unwrap_or_else(|_| f.user.value.clone()),
            password: password?,
            apop: f.apop,
            delete: f.delete.unwrap_or(true),
        })
    }
}

/// The line a step is reported at: its `at:`, else its action's first key.
fn step_line(spanned: &S<RawStep>) -> u64 {
    let s = &spanned.value;
    s.at.as_ref()
        .map(|a| a.referenced.line())
        .or_else(|| s.send.as_ref().map(|x| x.from_host.referenced.line()))
        .or_else(|| s.reply.as_ref().map(|x| x.from_host.referenced.line()))
        .or_else(|| s.wait.as_ref().map(|w| w.referenced.line()))
        .or_else(|| [&s.down, &s.up, &s.servfail].iter().find_map(|f| f.as_ref().map(|f| f.host.referenced.line())))
        .or_else(|| [&s.cut, &s.slow].iter().find_map(|f| f.as_ref().map(|f| f.between.referenced.line())))
        .or_else(|| [&s.pop3, &s.imap].iter().find_map(|f| f.as_ref().map(|f| f.from_host.referenced.line())))
        .unwrap_or(spanned.referenced.line())
}
