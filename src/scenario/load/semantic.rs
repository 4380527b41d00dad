//! Checks of a scenario as a whole, once every part is good on its own: what
//! would make a run go wrong without any single value being malformed. Most
//! are warnings (the file loads; `maillab check` prints
//! `FILE:LINE:COLUMN: warning: …` and exits 0): steps timed out of order or
//! after the run limit, an MX or A record that leads to no host, an MX or
//! NS record that names an alias (CNAME), a `dkim:`
//! signing domain no DNS zone can publish the key of, a send step
//! through a relay that will refuse it. The steps' total time is an error
//! (time arithmetic must not overflow).

use super::super::raw::{RawHost, RawScenario, S};
use super::Checker;
use crate::base::diag::tr;
use crate::proto::dns::{self, RecordData};
use crate::proto::smtp::address::parse_mailbox;
use crate::scenario::{Action, AuthMode, Expect, ExpectKind, Host, Role, Step, format_duration};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Duration;

/// The longest duration a scenario may write (`at:`, `run_limit:`, waits, timeouts, retry intervals).
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86400);
/// How far the steps may reach in virtual time, all waits added.
pub const MAX_STEPS_TIME: Duration = Duration::from_secs(10 * 365 * 86400);

impl Checker {
    /// `hosts: []` (or no host at all): nothing could run.
    pub(super) fn some_hosts(&mut self, raw: &RawScenario) {
        if raw.hosts.is_empty() {
            let line = self.src.lines().position(|l| l.starts_with("hosts:")).map(|i| i as u64 + 1).unwrap_or(1);
            self.diags.push(crate::base::diag::Diagnostic {
                file: self.file.clone(),
                line,
                column: 1,
                message: tr("the scenario has no hosts", "シナリオにホストがありません"),
                hint: Some(tr(
                    "list at least a mua and the server it sends through under `hosts:`; `maillab new scenario` writes a starting file",
                    "`hosts:` に少なくとも MUA と送信先のサーバを書いてください。`maillab new scenario` でひな形を作れます",
                )),
            });
        }
    }

    /// Steps in time order, within the run limit, and not beyond what time arithmetic holds.
    pub(super) fn timeline(&mut self, raw: &RawScenario, steps: &[Step], run_limit: Duration) {
        let mut t = Duration::ZERO;
        let mut warned_limit = false;
        for (i, (step, rs)) in steps.iter().zip(&raw.steps).enumerate() {
            let n = i + 1;
            if let (Some(at), Some(at_s)) = (step.at, &rs.value.at) {
                if at < t {
                    self.warn(
                        at_s,
                        tr(
                            format!(
                                "step {n} is timed at {}, but the steps before it already reach {}: it starts late, right after step {}",
                                format_duration(at),
                                format_duration(t),
                                n - 1
                            ),
                            format!(
                                "ステップ {n} は {} の予定ですが、前のステップがすでに {} まで進んでいます: ステップ {} の直後に遅れて始まります",
                                format_duration(at),
                                format_duration(t),
                                n - 1
                            ),
                        ),
                        tr(
                            "steps run in file order: move this step up, or give it a later `at:`",
                            "ステップはファイルの順に実行されます: このステップを前に移すか、`at:` を遅くしてください",
                        ),
                    );
                }
                t = t.max(at);
            }
            if !warned_limit && t > run_limit {
                warned_limit = true;
                let at = rs.value.at.as_ref().map(|a| a.referenced).unwrap_or(rs.referenced);
                self.warn(
                    &S { value: (), referenced: at, defined: at },
                    tr(
                        format!(
                            "step {n} starts at {}, after the run limit of {}: the run stops as soon as the steps are done, with mail still under way",
                            format_duration(t),
                            format_duration(run_limit)
                        ),
                        format!(
                            "ステップ {n} は {} に始まり、実行の上限 {} を過ぎています: ステップが終わるとすぐ、配送の途中でも実行が止まります",
                            format_duration(t),
                            format_duration(run_limit)
                        ),
                    ),
                    tr(
                        "raise `run_limit:` under `network:`, or start the step earlier",
                        "`network:` の `run_limit:` を延ばすか、ステップを早めてください",
                    ),
                );
            }
            if let Action::Wait(d) = step.action {
                t = t.saturating_add(d);
            }
            if t > MAX_STEPS_TIME {
                let at = rs.value.wait.as_ref().or(rs.value.at.as_ref()).map(|a| a.referenced).unwrap_or(rs.referenced);
                self.err(
                    &S { value: (), referenced: at, defined: at },
                    tr(
                        format!("the steps reach {} of virtual time here: at most 10 years", format_duration(t)),
                        format!("ここでステップの仮想時間が {} に達します: 上限は 10 年です", format_duration(t)),
                    ),
                    tr("shorten the waits", "待ち時間を短くしてください"),
                );
                return;
            }
        }
    }

    /// A `dkim:` signing domain whose key record no DNS host can publish:
    /// no zone holds `SELECTOR._domainkey.DOMAIN`, so every receiver finds
    /// no key and the signature fails.
    pub(super) fn dkim_keys_published(&mut self, raw: &[RawHost], hosts: &[Host]) {
        let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
        let origins: Vec<String> =
            raw.iter().filter(|h| h.role.value == "dns").flat_map(|h| h.zones.keys().map(|o| norm(o))).collect();
        for h in hosts {
            let Some(sign) = h.mta.as_ref().and_then(|m| m.dkim.as_ref()) else { continue };
            let Some(at) = raw.iter().find(|r| r.name.value == h.name).and_then(|r| r.dkim.as_ref()) else { continue };
            let name = format!("{}._domainkey.{}", sign.selector, sign.domain);
            if origins.iter().any(|o| name == *o || name.ends_with(&format!(".{o}"))) {
                continue;
            }
            let d = &sign.domain;
            self.warn(
                &at.domain,
                tr(
                    format!(
                        "`{}` signs for `{d}`, but no DNS host has a zone for `{name}`: the key cannot be published, so every receiver finds no key and the DKIM signature fails",
                        h.name
                    ),
                    format!(
                        "`{}` は `{d}` として署名しますが、`{name}` を含むゾーンを持つ DNS ホストがありません: 公開鍵を公開できないので、受信側は鍵を見つけられず DKIM 署名は失敗します",
                        h.name
                    ),
                ),
                tr(
                    format!("add a zone for `{d}` under `zones:` of a `dns` host (maillab publishes the key there), or sign for a domain that has one"),
                    format!("`dns` ホストの `zones:` に `{d}` のゾーンを加えるか (maillab が鍵をそこに公開します)、ゾーンのあるドメインで署名してください"),
                ),
            );
        }
    }

    /// An MX that names a host name with no A record, or an alias (an MX or
    /// NS naming a CNAME, in any DNS host's zones); an A record whose address
    /// no host has.
    pub(super) fn dns_leads_somewhere(&mut self, raw: &[RawHost], hosts: &[Host]) {
        let mut recs: Vec<(&S<String>, dns::ZoneRecord)> = Vec::new();
        for h in raw.iter().filter(|h| h.role.value == "dns") {
            for (origin, lines) in &h.zones {
                let origin = origin.trim_end_matches('.').to_ascii_lowercase();
                for l in lines {
                    if let Ok(r) = dns::parse_record(&l.value, &origin) {
                        recs.push((l, r));
                    }
                }
            }
        }
        let lines: Vec<(&str, &dns::ZoneRecord)> = recs.iter().map(|(l, r)| (l.value.as_str(), r)).collect();
        for (i, e) in dns::alias_targets(&lines) {
            let at = recs[i].0;
            self.warns.push(crate::base::diag::Diagnostic {
                file: self.file.clone(),
                line: at.referenced.line(),
                column: super::value_column(&self.src, at, e.column),
                message: e.message,
                hint: Some(e.hint),
            });
        }
        let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
        let with_address: BTreeSet<String> = recs
            .iter()
            .filter(|(_, r)| matches!(r.data, RecordData::A(_) | RecordData::Cname(_)))
            .map(|(_, r)| norm(&r.name))
            .collect();
        let addresses: BTreeMap<Ipv4Addr, &str> = hosts.iter().map(|h| (h.address, h.name.as_str())).collect();
        for (at, r) in &recs {
            match &r.data {
                RecordData::Mx { exchange, .. } if !exchange.is_empty() && exchange != "." => {
                    let x = norm(exchange);
                    if !with_address.contains(&x) {
                        self.warn(
                            *at,
                            tr(
                                format!("the MX names `{x}`, which has no address: no zone has an A record for it"),
                                format!("MX が指す `{x}` にはアドレスがありません: どのゾーンにもその A レコードがありません"),
                            ),
                            tr(
                                format!("add an A record for `{x}` with the address of the mail host, or point the MX at a name that has one"),
                                format!("`{x}` の A レコード (メールホストのアドレス) を書き足すか、A レコードのある名前を MX に指定してください"),
                            ),
                        );
                    }
                }
                // 127.0.0.0/8 answers are DNSBL codes, not hosts.
                RecordData::A(ip) if !ip.is_loopback() && !addresses.contains_key(ip) => {
                    let known: Vec<String> = hosts
                        .iter()
                        .filter(|h| h.role != Role::Dns)
                        .map(|h| format!("{} {}", h.name, h.address))
                        .collect();
                    self.warn(
                        *at,
                        tr(
                            format!(
                                "no host has the address {ip}: connections to `{}` will get no answer",
                                norm(&r.name)
                            ),
                            format!(
                                "アドレス {ip} のホストはありません: `{}` への接続には応答がありません",
                                norm(&r.name)
                            ),
                        ),
                        tr(
                            format!("use the address of the host meant ({})", known.join(", ")),
                            format!("意図したホストのアドレスを書いてください ({})", known.join(", ")),
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    /// A send step whose server will refuse to relay for the sending host.
    /// A step whose expectations ask for a refusal (a reply of 400 or more) is left alone.
    pub(super) fn relays_accept(&mut self, raw: &RawScenario, hosts: &[Host], steps: &[Step], expect: &[Expect]) {
        let refusal_expected = |n: usize| {
            expect.iter().any(|e| matches!(e.kind, ExpectKind::Reply { step, code, .. } if step == n && code >= 400))
        };
        // Each MTA's settings as the `configure` steps so far left them.
        let mut now: BTreeMap<usize, &crate::scenario::MtaConfig> = BTreeMap::new();
        for (i, (step, rs)) in steps.iter().zip(&raw.steps).enumerate() {
            if let Action::Configure { host, cfg, .. } = &step.action {
                now.insert(*host, cfg);
                continue;
            }
            if refusal_expected(i + 1) {
                continue;
            }
            let (Action::Send(s), Some(rsend)) = (&step.action, &rs.value.send) else { continue };
            if s.reply.is_some() || s.auth.is_some() || s.port != crate::proto::ports::SMTP {
                continue;
            }
            let (Some(via), Some(mua)) = (hosts.get(s.via), hosts.get(s.mua)) else { continue };
            let Some(m) = now.get(&s.via).copied().or(via.mta.as_ref()) else { continue };
            // Relaying by the client's reverse-DNS name or after a POP3/IMAP login depends on the run,
            // and access entries that grant relaying (RELAY, or OK) are the access database's to decide.
            let grants = |e: &crate::scenario::access::Entry| {
                matches!(e.action, crate::scenario::access::Action::Relay | crate::scenario::access::Action::Ok)
            };
            if !m.relay_client_domains.is_empty() || m.pop_before_smtp.is_some() || m.access.iter().any(grants) {
                continue;
            }
            if m.relay_networks.iter().any(|c| c.contains(mua.address)) {
                continue;
            }
            for (to, at) in s.to.iter().zip(&rsend.to.value) {
                let Ok(mb) = parse_mailbox(to) else { continue };
                let d = &mb.domain;
                let under = |x: &String| d == x || d.ends_with(&format!(".{x}"));
                // The relay's own address literal is local there (`Mta::is_own_literal`).
                let own = mb.literal().is_some_and(|ip| ip == via.address || ip == std::net::Ipv4Addr::LOCALHOST);
                if own || m.domains.contains(d) || m.relay_to_domains.iter().any(under) {
                    continue;
                }
                let nets: Vec<String> = m.relay_networks.iter().map(|c| c.to_string()).collect();
                let now = if nets.is_empty() {
                    tr("it has none", "今は何もありません")
                } else {
                    tr(format!("now {}", nets.join(", ")), format!("今は {}", nets.join(", ")))
                };
                let auth = if m.auth == AuthMode::Off {
                    tr(
                        format!("give `{}` the setting `auth: offered` and the step an `auth:`", via.name),
                        format!("`{}` に `auth: offered` を設定し、ステップに `auth:` を書く", via.name),
                    )
                } else {
                    tr(
                        "give the step an `auth:` (the host offers SMTP AUTH)",
                        "ステップに `auth:` を書く (このホストは SMTP AUTH を提供しています)",
                    )
                };
                self.warn(
                    at,
                    tr(
                        format!(
                            "host `{}` will refuse to relay mail from `{}` ({}) to {to}: {} is not one of its domains and the client is not allowed to relay (the run will show \"Relaying denied\")",
                            via.name, mua.name, mua.address, d
                        ),
                        format!(
                            "ホスト `{}` は `{}` ({}) からの {to} 宛のメールの中継を拒否します: {} は自分のドメインではなく、このクライアントには中継が許されていません (実行すると \"Relaying denied\" になります)",
                            via.name, mua.name, mua.address, d
                        ),
                    ),
                    tr(
                        format!(
                            "the relay policy is `allow_relay:` of host `{}`: add the client's network to `networks:` ({now}), e.g. {}/24, or {auth}",
                            via.name,
                            Ipv4Addr::from(u32::from(mua.address) & 0xffff_ff00)
                        ),
                        format!(
                            "中継の方針はホスト `{}` の `allow_relay:` です: `networks:` ({now}) にクライアントのネットワーク (例 {}/24) を加えるか、{auth}",
                            via.name,
                            Ipv4Addr::from(u32::from(mua.address) & 0xffff_ff00)
                        ),
                    ),
                );
            }
        }
    }
}
