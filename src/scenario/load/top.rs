//! The top of a scenario: version, name, start, network and links, and the
//! order in which hosts, users, steps and expectations are checked.

use super::super::raw::{RawHost, RawNetwork, RawScenario, S};
use super::{Checker, DEFAULT_LATENCY, DEFAULT_RUN_LIMIT, DEFAULT_START};
use crate::base::diag::tr;
use crate::scenario::{Role, Scenario};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::time::Duration;

impl Checker {
    pub(super) fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        self.version_and_name(&raw);
        let start = self.start(&raw.start);
        let (latency, run_limit) = self.network(&raw.network);

        // Hosts: names and addresses first, so that references can be checked.
        let names = self.host_names(&raw.hosts);
        let dns_hosts: Vec<usize> = raw
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| super::role_of(h) == Some(Role::Dns))
            .map(|(i, _)| i)
            .collect();
        let mut hosts = Vec::new();
        for h in &raw.hosts {
            if let Some(host) = self.host(h, &raw.hosts, &names, &dns_hosts) {
                hosts.push(host);
            }
        }
        let hosts_ok = hosts.len() == raw.hosts.len();
        let links = self.links(&raw.network, &raw.hosts, &names);
        let users = self.users(&raw.users, &hosts, hosts_ok);
        self.passwords = super::users::passwords(&raw.users);
        let mut steps = Vec::new();
        for (i, s) in raw.steps.iter().enumerate() {
            if let Some(st) = self.step(i + 1, s, &raw.hosts, &names) {
                steps.push(st);
            }
        }
        let mut expect = Vec::new();
        for e in &raw.expect {
            if let Some(x) = self.expect(e, &raw.steps, &raw.hosts, &raw.users, &names) {
                expect.push(x);
            }
        }
        self.some_hosts(&raw);
        if !self.diags.is_empty() {
            return None;
        }
        // The whole: only once every part is good (the indices line up).
        self.timeline(&raw, &steps, run_limit);
        self.dns_leads_somewhere(&raw.hosts, &hosts);
        self.dkim_keys_published(&raw.hosts, &hosts);
        self.relays_accept(&raw, &hosts, &steps, &expect);
        if !self.diags.is_empty() {
            return None;
        }
        Some(Scenario {
            file: self.file.clone(),
            name: raw.name.value,
            title: raw.title.unwrap_or_default(),
            description: raw.description.unwrap_or_default(),
            start: start?,
            seed: raw.seed.unwrap_or(1),
            latency,
            links,
            run_limit,
            hosts,
            users,
            steps,
            expect,
            variant: Default::default(),
            warnings: Vec::new(),
        })
    }

    fn version_and_name(&mut self, raw: &RawScenario) {
        if raw.version.value != 1 {
            self.err(
                &raw.version,
                tr(
                    format!("unknown scenario version {}", raw.version.value),
                    format!("シナリオのバージョン {} は知りません", raw.version.value),
                ),
                tr("this maillab reads `version: 1`", "この maillab が読めるのは `version: 1` です"),
            );
        }
        if raw.name.value.trim().is_empty() {
            self.err(
                &raw.name,
                tr("the scenario name is empty", "シナリオの名前が空です"),
                tr("give it a short name, e.g. relay-chain", "短い名前を付けてください (例: relay-chain)"),
            );
        }
    }

    fn start(&mut self, start: &Option<S<String>>) -> Option<DateTime<FixedOffset>> {
        match start {
            None => DateTime::parse_from_rfc3339(DEFAULT_START).ok(),
            Some(s) => match DateTime::parse_from_rfc3339(&s.value) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(
                        s,
                        tr(
                            format!("`{}` is not a date and time: {e}", s.value),
                            format!("`{}` は日時として読めません: {}", s.value, chrono_reason_ja(&e)),
                        ),
                        tr(
                            "write it as 2026-04-01T10:00:00+09:00 (RFC 3339, with a zone offset)",
                            "2026-04-01T10:00:00+09:00 のように書いてください (RFC 3339、時差付き)",
                        ),
                    );
                    None
                }
            },
        }
    }

    /// The default latency and the run limit.
    fn network(&mut self, network: &Option<RawNetwork>) -> (Duration, Duration) {
        let (mut latency, mut run_limit) = (DEFAULT_LATENCY, DEFAULT_RUN_LIMIT);
        if let Some(n) = network {
            if let Some(l) = &n.latency {
                latency = self.duration(l).unwrap_or(latency);
            }
            if let Some(l) = &n.run_limit {
                run_limit = self.duration(l).unwrap_or(run_limit);
            }
        }
        (latency, run_limit)
    }

    /// Links with their own latency.
    fn links(
        &mut self,
        network: &Option<RawNetwork>,
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
    ) -> Vec<(usize, usize, Duration)> {
        let mut links = Vec::new();
        let Some(n) = network else {
            return links;
        };
        let any = Role::ALL.map(|r| r.1);
        for l in &n.links {
            if l.between.value.len() != 2 {
                self.err(
                    &l.between,
                    tr("a link is between exactly two hosts", "リンクはちょうど 2 つのホストの間に張ります"),
                    tr("write between: [a, b]", "between: [a, b] と書いてください"),
                );
                continue;
            }
            let a = self.host_ref(names, hosts, &l.between.value[0], &any, "a link end");
            let b = self.host_ref(names, hosts, &l.between.value[1], &any, "a link end");
            let d = self.duration(&l.latency);
            if let (Some(a), Some(b), Some(d)) = (a, b, d) {
                links.push((a, b, d));
            }
        }
        links
    }
}

/// chrono's reason for a date it cannot read, in Japanese (its own text is English).
fn chrono_reason_ja(e: &chrono::ParseError) -> &'static str {
    use chrono::format::ParseErrorKind as K;
    match e.kind() {
        K::OutOfRange => "範囲外の値があります",
        K::Impossible => "ありえない日時です",
        K::NotEnough => "日時を決めるのに足りない部分があります",
        K::Invalid => "書式に合わない文字があります",
        K::TooShort => "途中で終わっています",
        K::TooLong => "後ろに余分な文字があります",
        _ => "書式に合いません",
    }
}
