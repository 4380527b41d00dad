//! Expectations: one kind each (reply, delivered, header, received_chain,
//! log, fetched, trace), checked against the steps and hosts they name.

use super::super::raw::{
    RawExpect, RawExpectChain, RawExpectFetched, RawExpectHeader, RawExpectLog, RawExpectReply, RawExpectTrace,
    RawHost, RawStep, RawUser, S,
};
use super::{Checker, MTA_ROLES, SMTP_COMMANDS, norm};
use crate::base::diag::{Diagnostic, tr};
use crate::scenario::{Expect, ExpectKind, Role};
use std::collections::BTreeMap;

/// The kinds found in one expectation, each with the line to report it at.
type Kinds = Vec<(ExpectKind, u64)>;

impl Checker {
    pub(super) fn expect(
        &mut self,
        spanned: &S<RawExpect>,
        steps: &[S<RawStep>],
        hosts: &[RawHost],
        users: &[RawUser],
        names: &BTreeMap<String, usize>,
    ) -> Option<Expect> {
        let e = &spanned.value;
        let steps: Vec<&RawStep> = steps.iter().map(|s| &s.value).collect();
        let mut kinds = Vec::new();
        if let Some(r) = &e.reply {
            self.expect_reply(r, &steps, &mut kinds);
        }
        if let Some(d) = &e.delivered
            && self.mailbox(&d.to)
            && self.names_a_mailbox(&d.to, users)
        {
            kinds.push((
                ExpectKind::Delivered {
                    to: norm(&d.to.value),
                    count: d.count,
                    subject: d.subject.clone(),
                    contains: d.contains.clone(),
                },
                d.to.referenced.line(),
            ));
        }
        if let Some(h) = &e.header {
            self.expect_header(h, &mut kinds)?;
        }
        if let Some(c) = &e.received_chain {
            self.expect_chain(c, hosts, names, &mut kinds)?;
        }
        if let Some(l) = &e.log {
            self.expect_log(l, hosts, names, &mut kinds);
        }
        if let Some(f) = &e.fetched {
            self.expect_fetched(f, &steps, &mut kinds);
        }
        if let Some(t) = &e.trace {
            self.expect_trace(t, hosts, names, &mut kinds);
        }
        self.one_kind(spanned, kinds)
    }

    /// An expectation has exactly one kind.
    fn one_kind(&mut self, spanned: &S<RawExpect>, mut kinds: Kinds) -> Option<Expect> {
        let e = &spanned.value;
        let count = [
            e.trace.is_some(),
            e.reply.is_some(),
            e.delivered.is_some(),
            e.header.is_some(),
            e.received_chain.is_some(),
            e.log.is_some(),
            e.fetched.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        match count {
            0 => {
                self.diags.push(Diagnostic {
                    file: self.file.clone(),
                    line: spanned.referenced.line(),
                    column: spanned.referenced.column(),
                    message: tr("an expectation is empty", "期待値が空です"),
                    hint: Some(tr(
                        "each item under `expect:` needs one of reply, delivered, header, received_chain, log, fetched, trace",
                        "`expect:` の各項目には reply・delivered・header・received_chain・log・fetched・trace のどれか 1 つが要ります",
                    )),
                });
                None
            }
            1 => kinds.pop().map(|(kind, line)| Expect { kind, line }),
            _ => {
                let line = kinds.first().map(|k| k.1).unwrap_or(0);
                self.diags.push(Diagnostic {
                    file: self.file.clone(),
                    line,
                    column: 1,
                    message: tr("one expectation has several kinds", "1 つの期待値に複数の種類が書かれています"),
                    hint: Some(tr(
                        "start each with its own `- ` list item",
                        "それぞれを別の `- ` のリスト項目で始めてください",
                    )),
                });
                None
            }
        }
    }

    fn expect_reply(&mut self, r: &RawExpectReply, steps: &[&RawStep], kinds: &mut Kinds) {
        let line = r.step.referenced.line();
        let ok_step = match steps.get(r.step.value.wrapping_sub(1)) {
            Some(s) if s.send.is_some() || s.reply.is_some() => true,
            Some(_) => {
                self.err(
                    &r.step,
                    tr(
                        format!("step {} sends nothing, so it has no SMTP replies", r.step.value),
                        format!("ステップ {} は何も送らないので、SMTP の応答がありません", r.step.value),
                    ),
                    tr("point at a step with `send:`", "`send:` のあるステップを指してください"),
                );
                false
            }
            None => {
                self.err(
                    &r.step,
                    tr(
                        format!(
                            "there is no step {} (steps are numbered from 1; this scenario has {})",
                            r.step.value,
                            steps.len()
                        ),
                        format!(
                            "ステップ {} はありません (ステップは 1 から数えます。このシナリオには {} あります)",
                            r.step.value,
                            steps.len()
                        ),
                    ),
                    "",
                );
                false
            }
        };
        if !(200..=599).contains(&r.code.value) {
            self.err(
                &r.code,
                tr(
                    format!("{} is not an SMTP reply code", r.code.value),
                    format!("{} は SMTP の応答コードではありません", r.code.value),
                ),
                tr(
                    "reply codes run from 200 to 599, e.g. 250 or 550",
                    "応答コードは 200 から 599 までです (例: 250、550)",
                ),
            );
        }
        let command = r.command.as_ref().map(|c| c.value.to_ascii_uppercase());
        if let (Some(c), Some(raw)) = (&command, &r.command)
            && !SMTP_COMMANDS.contains(&c.as_str())
        {
            let hint = tr(
                "use CONNECT (the greeting), EHLO, HELO, AUTH, MAIL, RCPT, DATA, QUIT or RSET; the reply to the message itself is under DATA too",
                "CONNECT (グリーティング)・EHLO・HELO・AUTH・MAIL・RCPT・DATA・QUIT・RSET のどれかを使ってください。メッセージ本体への応答も DATA です",
            );
            self.err(
                raw,
                tr(format!("`{c}` is not an SMTP command"), format!("`{c}` は SMTP のコマンドではありません")),
                crate::base::diag::did_you_mean(c, SMTP_COMMANDS, hint),
            );
        }
        if ok_step {
            kinds.push((ExpectKind::Reply { step: r.step.value, code: r.code.value, command }, line));
        }
    }

    /// `None` when the message number is bad: the expectation is not checked further.
    fn expect_header(&mut self, h: &RawExpectHeader, kinds: &mut Kinds) -> Option<()> {
        let ok = self.mailbox(&h.to);
        if h.name.value.is_empty() || h.name.value.contains(':') || h.name.value.contains(' ') {
            self.err(
                &h.name,
                tr(
                    format!("`{}` is not a header field name", h.name.value),
                    format!("`{}` はヘッダフィールドの名前ではありません", h.name.value),
                ),
                tr(
                    "write the name without the colon, e.g. Received",
                    "コロンを付けずに名前を書いてください (例: Received)",
                ),
            );
        } else if ok {
            kinds.push((
                ExpectKind::Header {
                    to: norm(&h.to.value),
                    name: h.name.value.clone(),
                    message: self.index(&h.message)?,
                    count: h.count,
                    contains: h.contains.clone(),
                },
                h.to.referenced.line(),
            ));
        }
        Some(())
    }

    /// `None` when the message number is bad: the expectation is not checked further.
    fn expect_chain(
        &mut self,
        c: &RawExpectChain,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
        kinds: &mut Kinds,
    ) -> Option<()> {
        let ok = self.mailbox(&c.to);
        let mut hops = Vec::new();
        for hp in &c.hops.value {
            if let Some(i) = self.host_ref(names, hosts, hp, MTA_ROLES, "a hop of a Received: chain") {
                hops.push(i);
            }
        }
        if c.hops.value.is_empty() {
            self.err(
                &c.hops,
                tr("the chain names no hops", "チェーンに中継 (hop) が 1 つも書かれていません"),
                tr("list the MTAs, newest first: [mx, hub, dept]", "MTA を新しい順に並べてください: [mx, hub, dept]"),
            );
        } else if ok && hops.len() == c.hops.value.len() {
            kinds.push((
                ExpectKind::ReceivedChain { to: norm(&c.to.value), hops, message: self.index(&c.message)? },
                c.to.referenced.line(),
            ));
        }
        Some(())
    }

    fn expect_log(&mut self, l: &RawExpectLog, hosts: &[RawHost], names: &BTreeMap<String, usize>, kinds: &mut Kinds) {
        let host = self.host_ref(names, hosts, &l.host, &Role::ALL.map(|r| r.1), "a log's host");
        if let Err(e) = crate::base::pattern::compile(&l.matches.value) {
            let d = super::bad_pattern(&self.file, &self.src, &l.matches, 0, &l.matches.value, &e);
            self.diags.push(d);
        } else if let Some(h) = host {
            kinds.push((
                ExpectKind::Log { host: h, pattern: l.matches.value.clone(), absent: l.absent },
                l.host.referenced.line(),
            ));
        }
    }

    fn expect_fetched(&mut self, f: &RawExpectFetched, steps: &[&RawStep], kinds: &mut Kinds) {
        match steps.get(f.step.value.wrapping_sub(1)) {
            Some(s) if s.pop3.is_some() || s.imap.is_some() => {
                kinds.push((ExpectKind::Fetched { step: f.step.value, count: f.count }, f.step.referenced.line()))
            }
            Some(_) => self.err(
                &f.step,
                tr(
                    format!("step {} reads no mail", f.step.value),
                    format!("ステップ {} はメールを読みません", f.step.value),
                ),
                tr("point at a step with `pop3:` or `imap:`", "`pop3:` か `imap:` のあるステップを指してください"),
            ),
            None => self.err(
                &f.step,
                tr(format!("there is no step {}", f.step.value), format!("ステップ {} はありません", f.step.value)),
                "",
            ),
        }
    }

    fn expect_trace(
        &mut self,
        t: &RawExpectTrace,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
        kinds: &mut Kinds,
    ) {
        let host = match &t.host {
            Some(h) => self.host_ref(names, hosts, h, &Role::ALL.map(|r| r.1), "the trace event's host"),
            None => None,
        };
        let pattern = t.matches.as_ref().map(|m| m.value.clone()).unwrap_or_default();
        let re_ok = match &t.matches {
            Some(m) => match crate::base::pattern::compile(&m.value) {
                Ok(_) => true,
                Err(e) => {
                    let d = super::bad_pattern(&self.file, &self.src, m, 0, &m.value, &e);
                    self.diags.push(d);
                    false
                }
            },
            None => true,
        };
        match crate::trace::Kind::from_name(&t.kind.value) {
            None => {
                let (message, hint) = crate::trace::Kind::unknown(&t.kind.value);
                self.err(&t.kind, message, hint);
            }
            Some(kind) if re_ok && (t.host.is_none() || host.is_some()) => {
                kinds.push((ExpectKind::Trace { kind, host, pattern, absent: t.absent }, t.kind.referenced.line()));
            }
            Some(_) => {}
        }
    }

    /// A `delivered:` expectation names a mailbox. An address literal
    /// (`taro@[192.0.2.25]`) reaches the mailbox of a user of that host, and
    /// the delivery is recorded under the user's address, so an expectation
    /// written with the literal would never match, unless a user is
    /// written with that very literal.
    fn names_a_mailbox(&mut self, to: &S<String>, users: &[RawUser]) -> bool {
        let Some((_, domain)) = to.value.rsplit_once('@') else { return true };
        if !domain.starts_with('[') || users.iter().any(|u| u.address.value.eq_ignore_ascii_case(&to.value)) {
            return true;
        }
        self.err(
            to,
            tr(
                format!("`{}` is an address literal, not a mailbox: mail sent to it is delivered to the mailbox of the host's user with that local part", to.value),
                format!("`{}` はアドレスリテラルで、メールボックスの名前ではありません: これに送ったメールは、そのホストのユーザのうち同じローカル部を持つ人のメールボックスに配送されます", to.value),
            ),
            tr(
                "write the user's address as in `users:` (e.g. taro@example.ac.jp)",
                "`users:` にあるとおりのユーザのアドレスを書いてください（例: taro@example.ac.jp）",
            ),
        );
        false
    }

    /// `message:` of a header or chain expectation: which delivered message, from 1.
    fn index(&mut self, m: &Option<S<usize>>) -> Option<usize> {
        match m {
            None => Some(1),
            Some(s) if s.value >= 1 => Some(s.value),
            Some(s) => {
                self.err(
                    s,
                    tr("messages are counted from 1", "メッセージは 1 から数えます"),
                    tr(
                        "write message: 1 for the first message delivered",
                        "最初に配送されたメッセージは message: 1 と書きます",
                    ),
                );
                None
            }
        }
    }
}
