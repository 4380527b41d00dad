//! Read a scenario file and check it, collecting every problem with its position.

use super::raw::{RawExpect, RawHost, RawScenario, RawStep, S};
use super::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::dns;
use crate::proto::smtp::address::{check_domain, parse_mailbox};
use std::collections::BTreeMap;

pub const DEFAULT_START: &str = "2026-04-01T10:00:00+09:00";
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(5);
pub const DEFAULT_RUN_LIMIT: Duration = Duration::from_secs(10 * 86400);
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 10_240_000;

/// The largest attachment a send step may make up (10 MB).
const MAX_ATTACHMENT: u64 = 10_000_000;

pub fn load_file(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(src) => load_str(&src, &file),
        Err(e) => Err(Diagnostics(vec![Diagnostic::whole_file(
            &file,
            format!("cannot read the file: {e}"),
            Some("check the path; scenarios ship in the scenarios/ folder".into()),
        )])),
    }
}

/// The reader's safety limits, raised for big generated labs (a list of
/// 100,000 members) while still stopping runaway input.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 5_000_000;
    budget.max_events = 20_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Turn a serde-saphyr error into a diagnostic with a hint.
pub fn yaml_error(file: &str, e: &serde_saphyr::Error, what: &str) -> Diagnostic {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
    let raw = e.without_snippet().to_string();
    let message = match raw.rfind(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw,
    };
    let hint = if message.starts_with("unknown field") {
        format!("remove the key or correct its spelling; the {what} format is described in the book (`book/src/`)")
    } else if message.starts_with("missing field") {
        "add the missing key here".to_string()
    } else if message.starts_with("unknown variant") {
        "use one of the values listed".to_string()
    } else if message.starts_with("budget breached") {
        "the file is larger than maillab reads (5 million YAML nodes); split the scenario".to_string()
    } else if message.starts_with("invalid") || message.starts_with("expected") {
        "this value has the wrong type: check quoting, and whether a list or a single value is wanted".to_string()
    } else {
        "check the YAML syntax near here: indentation, a missing `:` or an unclosed bracket or quote".to_string()
    };
    Diagnostic { file: file.to_string(), line, column, message, hint: Some(hint) }
}

pub fn load_str(src: &str, file: &str) -> Result<Scenario, Diagnostics> {
    let raw: RawScenario = match serde_saphyr::from_str_with_options(src, yaml_options()) {
        Ok(r) => r,
        Err(e) => return Err(Diagnostics(vec![yaml_error(file, &e, "scenario")])),
    };
    let mut c = Checker { file: file.to_string(), diags: Vec::new(), passwords: BTreeMap::new() };
    let sc = c.scenario(raw);
    if c.diags.is_empty()
        && let Some(sc) = sc
    {
        return Ok(sc);
    }
    let mut d = Diagnostics(c.diags);
    d.sort();
    Err(d)
}

struct Checker {
    file: String,
    diags: Vec<Diagnostic>,
    /// Users' passwords by address, for steps that log in.
    passwords: BTreeMap<String, Option<String>>,
}

impl Checker {
    fn err<T>(&mut self, at: &S<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::at(&self.file, at, message, hint));
    }

    fn duration(&mut self, s: &S<String>) -> Option<Duration> {
        match parse_duration(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(s, e, "write a number and a unit: 20ms, 30s, 5m, 2h, 5d (or 1h30m)");
                None
            }
        }
    }

    fn mailbox(&mut self, s: &S<String>) -> bool {
        match parse_mailbox(&s.value) {
            Ok(_) => true,
            Err(e) => {
                self.err(s, format!("malformed mail address: {e}"), "write it as user@example.com");
                false
            }
        }
    }

    fn domain(&mut self, s: &S<String>) -> Option<String> {
        match check_domain(&s.value) {
            Ok(()) => Some(s.value.to_ascii_lowercase()),
            Err(e) => {
                self.err(s, format!("malformed domain name: {e}"), "write it as example.com");
                None
            }
        }
    }

    fn host_ref(
        &mut self,
        names: &BTreeMap<String, usize>,
        hosts: &[RawHost],
        s: &S<String>,
        want: &[Role],
        what: &str,
    ) -> Option<usize> {
        let Some(&i) = names.get(&s.value) else {
            let known: Vec<&str> = names.keys().map(String::as_str).collect();
            self.err(s, format!("there is no host named `{}`", s.value), format!("hosts are: {}", known.join(", ")));
            return None;
        };
        let role = role_of(&hosts[i]);
        if let Some(r) = role
            && !want.contains(&r)
        {
            let wanted: Vec<&str> = want.iter().map(|r| r.name()).collect();
            self.err(
                s,
                format!("{what} must be a host with role {}, but `{}` is a {}", wanted.join(" or "), s.value, r.name()),
                "name another host, or change that host's role",
            );
            return None;
        }
        Some(i)
    }

    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        if raw.version.value != 1 {
            self.err(
                &raw.version,
                format!("unknown scenario version {}", raw.version.value),
                "this maillab reads `version: 1`",
            );
        }
        if raw.name.value.trim().is_empty() {
            self.err(&raw.name, "the scenario name is empty", "give it a short name, e.g. relay-chain");
        }
        let start = match &raw.start {
            None => DateTime::parse_from_rfc3339(DEFAULT_START).ok(),
            Some(s) => match DateTime::parse_from_rfc3339(&s.value) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(
                        s,
                        format!("`{}` is not a date and time: {e}", s.value),
                        "write it as 2026-04-01T10:00:00+09:00 (RFC 3339, with a zone offset)",
                    );
                    None
                }
            },
        };
        let (mut latency, mut run_limit) = (DEFAULT_LATENCY, DEFAULT_RUN_LIMIT);
        if let Some(n) = &raw.network {
            if let Some(l) = &n.latency {
                latency = self.duration(l).unwrap_or(latency);
            }
            if let Some(l) = &n.run_limit {
                run_limit = self.duration(l).unwrap_or(run_limit);
            }
        }

        // Hosts: names and addresses first, so that references can be checked.
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut addrs: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        for (i, h) in raw.hosts.iter().enumerate() {
            let n = &h.name.value;
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                self.err(
                    &h.name,
                    format!("`{n}` is not a usable host name"),
                    "use letters, digits, `-` and `_` only, e.g. dept-relay",
                );
            }
            if names.insert(n.clone(), i).is_some() {
                self.err(&h.name, format!("a second host is named `{n}`"), "host names must be unique");
            }
            match h.address.value.parse::<Ipv4Addr>() {
                Ok(a) => {
                    if let Some(other) = addrs.insert(a, n.clone()) {
                        self.err(
                            &h.address,
                            format!("address {a} is already used by host `{other}`"),
                            "give every host its own address",
                        );
                    }
                }
                Err(_) => self.err(
                    &h.address,
                    format!("`{}` is not an IPv4 address", h.address.value),
                    "write four numbers 0-255 with dots, e.g. 192.0.2.10",
                ),
            }
            if role_of(h).is_none() {
                let all: Vec<&str> = Role::ALL.iter().map(|(n, _)| *n).collect();
                self.err(&h.role, format!("unknown role `{}`", h.role.value), format!("roles are: {}", all.join(", ")));
            }
        }
        let dns_hosts: Vec<usize> =
            raw.hosts.iter().enumerate().filter(|(_, h)| role_of(h) == Some(Role::Dns)).map(|(i, _)| i).collect();

        let mut hosts = Vec::new();
        for h in &raw.hosts {
            if let Some(host) = self.host(h, &raw.hosts, &names, &dns_hosts) {
                hosts.push(host);
            }
        }
        let hosts_ok = hosts.len() == raw.hosts.len();

        let mut links = Vec::new();
        if let Some(n) = &raw.network {
            for l in &n.links {
                if l.between.value.len() != 2 {
                    self.err(&l.between, "a link is between exactly two hosts", "write between: [a, b]");
                    continue;
                }
                let a = self.host_ref(&names, &raw.hosts, &l.between.value[0], &Role::ALL.map(|r| r.1), "a link end");
                let b = self.host_ref(&names, &raw.hosts, &l.between.value[1], &Role::ALL.map(|r| r.1), "a link end");
                let d = self.duration(&l.latency);
                if let (Some(a), Some(b), Some(d)) = (a, b, d) {
                    links.push((a, b, d));
                }
            }
        }

        // Users live on the MTA whose local domains include theirs.
        let mut users = Vec::new();
        let mut seen_users = BTreeMap::new();
        for u in &raw.users {
            if !self.mailbox(&u.address) {
                continue;
            }
            let Ok(mb) = parse_mailbox(&u.address.value) else {
                continue;
            };
            if seen_users.insert(mb.key(), ()).is_some() {
                self.err(&u.address, format!("user {} is listed twice", u.address.value), "list each user once");
                continue;
            }
            let owners: Vec<usize> = hosts
                .iter()
                .enumerate()
                .filter(|(_, h)| h.mta.as_ref().is_some_and(|m| m.domains.contains(&mb.domain)))
                .map(|(i, _)| i)
                .collect();
            match owners.as_slice() {
                [i] => {
                    users.push(User { address: mb.key(), name: u.name.clone(), password: u.password.clone(), host: *i })
                }
                [] if hosts_ok => self.err(
                    &u.address,
                    format!("no host receives mail for the domain {} of this user", mb.domain),
                    format!("add `{}` to the `domains:` of the mx host that keeps this mailbox", mb.domain),
                ),
                [] => {}
                _ => self.err(
                    &u.address,
                    format!("several hosts list {} in their domains", mb.domain),
                    "a mailbox lives on one host: list the domain on one mx only",
                ),
            }
        }

        self.passwords = raw
            .users
            .iter()
            .filter_map(|u| parse_mailbox(&u.address.value).ok().map(|m| (m.key(), u.password.clone())))
            .collect();
        let mut steps = Vec::new();
        for (i, s) in raw.steps.iter().enumerate() {
            if let Some(st) = self.step(i + 1, s, &raw.hosts, &names) {
                steps.push(st);
            }
        }
        let mut expect = Vec::new();
        for e in &raw.expect {
            if let Some(x) = self.expect(e, &raw.steps, &raw.hosts, &names) {
                expect.push(x);
            }
        }
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
        })
    }

    fn host(
        &mut self,
        h: &RawHost,
        all: &[RawHost],
        names: &BTreeMap<String, usize>,
        dns_hosts: &[usize],
    ) -> Option<Host> {
        let role = role_of(h)?;
        let address = h.address.value.parse::<Ipv4Addr>().ok()?;
        let hostname = match &h.hostname {
            Some(n) => self.domain(n)?,
            None => h.name.value.to_ascii_lowercase(),
        };
        let mta_only = |c: &mut Checker, present: bool, at: Option<&S<String>>, key: &str| {
            if present && !role.is_mta() {
                if let Some(at) = at {
                    c.err(
                        at,
                        format!(
                            "`{key}` is a setting of relay, hub, mx, mailstore and list hosts, not of a {}",
                            role.name()
                        ),
                        "remove it, or change the role",
                    );
                } else {
                    c.err(
                        &h.role,
                        format!(
                            "`{key}` is a setting of relay, hub, mx, mailstore and list hosts, not of a {}",
                            role.name()
                        ),
                        "remove it, or change the role",
                    );
                }
            }
        };
        mta_only(self, h.flavour.is_some(), h.flavour.as_ref(), "flavour");
        mta_only(self, !h.domains.is_empty(), h.domains.first(), "domains");
        mta_only(self, h.allow_relay.is_some(), None, "allow_relay");
        mta_only(self, h.smarthost.is_some(), h.smarthost.as_ref(), "smarthost");
        mta_only(self, h.resolver.is_some(), h.resolver.as_ref(), "resolver");
        mta_only(self, h.queue.is_some(), None, "queue");
        mta_only(self, !h.aliases.is_empty(), None, "aliases");
        mta_only(self, h.auth.is_some(), h.auth.as_ref(), "auth");
        mta_only(self, h.show_secrets.is_some(), None, "show_secrets");
        mta_only(self, h.max_message_size.is_some(), None, "max_message_size");
        if role != Role::Dns && (!h.zones.is_empty() || h.reverse_dns.is_some()) {
            self.err(
                &h.role,
                format!("`zones` and `reverse_dns` are settings of a dns host, not of a {}", role.name()),
                "move the zones to the dns host",
            );
        }
        let mut mta = None;
        if role.is_mta() {
            let flavour = match h.flavour.as_ref().map(|f| f.value.as_str()) {
                None | Some("sendmail") => Flavour::Sendmail,
                Some("postfix") => Flavour::Postfix,
                Some(other) => {
                    if let Some(f) = &h.flavour {
                        self.err(f, format!("unknown MTA flavour `{other}`"), "use sendmail or postfix");
                    }
                    Flavour::Sendmail
                }
            };
            let domains: Vec<String> = h.domains.iter().filter_map(|d| self.domain(d)).collect();
            if role.is_final() && h.domains.is_empty() {
                self.err(
                    &h.role,
                    "an mx host needs the domains it receives mail for",
                    "add e.g. `domains: [example.com]`",
                );
            }
            let (mut nets, mut cds, mut tds) = (Vec::new(), Vec::new(), Vec::new());
            if let Some(r) = &h.allow_relay {
                for n in &r.networks {
                    match parse_cidr(&n.value) {
                        Ok(c) => nets.push(c),
                        Err(e) => self.err(n, e, "write a network as 192.0.2.0/24"),
                    }
                }
                cds = r.client_domains.iter().filter_map(|d| self.domain(d)).collect();
                tds = r.to_domains.iter().filter_map(|d| self.domain(d)).collect();
            }
            let smarthost = match &h.smarthost {
                Some(s) => {
                    let i = self.host_ref(
                        names,
                        all,
                        s,
                        &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List],
                        "a smarthost",
                    )?;
                    if all[i].name.value == h.name.value {
                        self.err(s, "a host cannot be its own smarthost", "name the hub it forwards to");
                        return None;
                    }
                    Some(i)
                }
                None => None,
            };
            let resolver = match &h.resolver {
                Some(s) => Some(self.host_ref(names, all, s, &[Role::Dns], "the resolver")?),
                None => match dns_hosts {
                    [one] => Some(*one),
                    _ => None,
                },
            };
            // An MX that only receives may do without DNS; a relay or hub forwards, so it needs a route.
            // A list host sends too: its distributions and answers.
            if smarthost.is_none() && resolver.is_none() && (!role.is_final() || role == Role::List) {
                let hint = if dns_hosts.is_empty() {
                    "add a host with role dns (and its zones), or give this host a `smarthost:`"
                } else {
                    "there are several dns hosts: say which with `resolver: NAME`"
                };
                self.err(
                    &h.role,
                    format!("host `{}` sends mail by DNS MX look-up but has no DNS server to ask", h.name.value),
                    hint,
                );
            }
            let max_message_size = h.max_message_size.as_ref().map(|s| s.value).unwrap_or(DEFAULT_MAX_MESSAGE_SIZE);
            let mut queue = QueueConfig::default();
            if let Some(q) = &h.queue {
                let mut d = |x: &Option<S<String>>| x.as_ref().and_then(|v| self.duration(v));
                queue = QueueConfig {
                    retry: d(&q.retry),
                    max_backoff: d(&q.max_backoff),
                    lifetime: d(&q.lifetime),
                    warn_after: d(&q.warn_after),
                };
                if let (Some(r), Some(m)) = (queue.retry, queue.max_backoff)
                    && m < r
                    && let Some(at) = &q.max_backoff
                {
                    self.err(
                        at,
                        "max_backoff is shorter than retry",
                        "the first wait is `retry`; later waits double up to `max_backoff`",
                    );
                }
                if queue.retry.is_some_and(|r| r.is_zero())
                    && let Some(at) = &q.retry
                {
                    self.err(
                        at,
                        "a retry interval of zero would retry without pause",
                        "use at least a few seconds, e.g. 5m",
                    );
                }
            }
            let auth = match h.auth.as_ref().map(|a| a.value.as_str()) {
                None | Some("off") => AuthMode::Off,
                Some("offered") => AuthMode::Offered,
                Some("required") => AuthMode::Required,
                Some(other) => {
                    if let Some(a) = &h.auth {
                        self.err(a, format!("unknown auth mode `{other}`"), "use off, offered or required");
                    }
                    AuthMode::Off
                }
            };
            let mut pop_before_smtp = None;
            if let Some(p) = h.allow_relay.as_ref().and_then(|r| r.pop_before_smtp.as_ref()) {
                if role != Role::Mailstore {
                    self.err(
                        p,
                        "POP-before-SMTP needs the POP3/IMAP server on the same host",
                        "give this host the role mailstore, so that its own logins open the relay",
                    );
                }
                pop_before_smtp = self.duration(p);
            }
            let mut aliases = std::collections::BTreeMap::new();
            for (name, targets) in &h.aliases {
                if name.is_empty()
                    || name.contains('@')
                    || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
                {
                    self.err(
                        targets,
                        format!("alias name `{name}` must be a local part (no @)"),
                        "write e.g. `ohanashi: [yamada@example.com]`",
                    );
                    continue;
                }
                let mut list = Vec::new();
                for t in &targets.value {
                    if t.value.contains('@') {
                        if self.mailbox(t) {
                            list.push(parse_mailbox(&t.value).map(|m| m.key()).unwrap_or_default());
                        }
                    } else if h.aliases.contains_key(&t.value) {
                        list.push(t.value.clone());
                    } else {
                        self.err(
                            t,
                            format!("`{}` is neither a mail address nor another alias of this host", t.value),
                            "write a full address (user@domain) or the name of an alias defined here",
                        );
                    }
                }
                if list.is_empty() {
                    self.err(targets, format!("alias `{name}` has no targets"), "list at least one address");
                }
                aliases.insert(name.to_ascii_lowercase(), list);
            }
            if !h.aliases.is_empty() && h.domains.is_empty() {
                self.err(&h.role, "aliases need the local domains they apply to", "add `domains:` to this host");
            }
            let lists = self.lists(h, role, &domains, &aliases);
            mta = Some(MtaConfig {
                flavour,
                domains,
                relay_networks: nets,
                relay_client_domains: cds,
                relay_to_domains: tds,
                smarthost,
                resolver,
                max_message_size,
                queue,
                auth,
                show_secrets: h.show_secrets.unwrap_or(false),
                pop_before_smtp,
                aliases,
                lists,
            });
        }
        let mut dnsc = None;
        if role == Role::Dns {
            let mut zones = Vec::new();
            for (origin, recs) in &h.zones {
                let origin_l = origin.trim_end_matches('.').to_ascii_lowercase();
                if let Err(e) = check_domain(&origin_l) {
                    let at = recs
                        .first()
                        .map(|r| (r.referenced.line(), r.referenced.column()))
                        .unwrap_or((h.role.referenced.line(), 1));
                    self.diags.push(Diagnostic {
                        file: self.file.clone(),
                        line: at.0,
                        column: at.1,
                        message: format!("zone `{origin}` is not a domain name: {e}"),
                        hint: Some("zones are keyed by their origin, e.g. `example.com:`".into()),
                    });
                    continue;
                }
                let mut out = Vec::new();
                for r in recs {
                    match dns::parse_record(&r.value, &origin_l) {
                        Ok(rec) => out.push(rec),
                        Err(e) => self.diags.push(Diagnostic {
                            file: self.file.clone(),
                            line: r.referenced.line(),
                            column: r.referenced.column() + e.column as u64,
                            message: format!("bad DNS record `{}`: {}", r.value, e.message),
                            hint: Some(e.hint),
                        }),
                    }
                }
                zones.push((origin_l, out));
            }
            dnsc = Some(DnsConfig { zones, reverse: h.reverse_dns.unwrap_or(true) });
        }
        let external = match &h.external {
            None => None,
            Some(x) => match x.value.parse::<std::net::SocketAddrV4>() {
                Ok(_) if role == Role::Mua => {
                    self.err(
                        x,
                        "a mua host cannot be external",
                        "external hosts stand for servers: relay, hub, mx, mailstore or dns",
                    );
                    None
                }
                Ok(a) => Some(a),
                Err(_) => {
                    self.err(
                        x,
                        format!("`{}` is not an address:port", x.value),
                        "write the real server's IPv4 address and port, e.g. 10.1.2.3:2525",
                    );
                    None
                }
            },
        };
        Some(Host { name: h.name.value.clone(), address, hostname, role, mta, dns: dnsc, external })
    }

    /// The `lists:` of a list host, checked into list-server settings.
    fn lists(
        &mut self,
        h: &RawHost,
        role: Role,
        domains: &[String],
        aliases: &std::collections::BTreeMap<String, Vec<String>>,
    ) -> Vec<crate::listserv::ListConfig> {
        use crate::listserv::{
            Attachments, Delivery, DigestFormat, Kind, ListConfig, Member, Others, Subscribe, TooLarge,
        };
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
                continue;
            }
            if !domains.contains(&domain) {
                self.err(
                    &l.admin,
                    format!("the list `{key}` is in domain `{domain}`, which is not among this host's domains"),
                    "add the domain to `domains:` or write the list as name@one-of-the-domains",
                );
                continue;
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
            let mut c = ListConfig::new(&name, &domain);
            c.title = l.title.clone();
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
            let mut seen = std::collections::BTreeSet::new();
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
            let pick = |this: &mut Self, v: &Option<S<String>>, what: &str, choices: &[&str]| -> Option<usize> {
                let v = v.as_ref()?;
                match choices.iter().position(|c| *c == v.value) {
                    Some(i) => Some(i),
                    None => {
                        this.err(v, format!("unknown {what} `{}`", v.value), format!("use {}", choices.join(", ")));
                        None
                    }
                }
            };
            c.kind = match pick(self, &l.kind, "list type", &["participatory", "moderated"]) {
                Some(1) => Kind::Moderated,
                _ => Kind::Participatory,
            };
            c.others = match pick(self, &l.others, "setting for others' posts", &["reject", "hold", "ignore"]) {
                Some(0) => Others::Reject,
                Some(1) => Others::Hold,
                Some(_) => Others::Ignore,
                None if c.kind == Kind::Moderated => Others::Hold,
                None => Others::Reject,
            };
            c.max_size = l.max_size.map(|n| n as usize);
            c.too_large = match pick(self, &l.too_large, "setting for large posts", &["reject", "ignore"]) {
                Some(1) => TooLarge::Ignore,
                _ => TooLarge::Reject,
            };
            c.attachments = match pick(self, &l.attachments, "attachment setting", &["keep", "strip", "reject"]) {
                Some(1) => Attachments::Strip,
                Some(2) => Attachments::Reject,
                _ => Attachments::Keep,
            };
            c.subscribe = match pick(
                self,
                &l.subscribe,
                "subscribe policy",
                &["confirm", "confirm_then_approve", "admin_only"],
            ) {
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
            if let Some(d) = &l.digest {
                if let Some(e) = &d.every {
                    match self.duration(e) {
                        Some(x) if x < Duration::from_secs(60) => {
                            self.err(e, "digests more often than once a minute make no sense", "use e.g. 1h or 1d")
                        }
                        Some(x) => c.digest_every = x,
                        None => {}
                    }
                }
                c.digest_format = match pick(self, &d.format, "digest format", &["mime", "rfc1153"]) {
                    Some(1) => DigestFormat::Rfc1153,
                    _ => DigestFormat::Mime,
                };
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

    fn step(
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
        let line = s
            .at
            .as_ref()
            .map(|a| a.referenced.line())
            .or_else(|| s.send.as_ref().map(|x| x.from_host.referenced.line()))
            .or_else(|| s.reply.as_ref().map(|x| x.from_host.referenced.line()))
            .or_else(|| s.wait.as_ref().map(|w| w.referenced.line()))
            .or_else(|| [&s.down, &s.up, &s.servfail].iter().find_map(|f| f.as_ref().map(|f| f.host.referenced.line())))
            .or_else(|| [&s.cut, &s.slow].iter().find_map(|f| f.as_ref().map(|f| f.between.referenced.line())))
            .or_else(|| [&s.pop3, &s.imap].iter().find_map(|f| f.as_ref().map(|f| f.from_host.referenced.line())))
            .unwrap_or(spanned.referenced.line());
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
                    format!("step {n} does nothing")
                } else {
                    format!("step {n} has more than one action")
                },
                hint: Some(
                    "give each step exactly one of send, reply, pop3, imap, wait, down, up, cut, slow, servfail".into(),
                ),
            });
            return None;
        }
        let any = Role::ALL.map(|r| r.1);
        let action = if let Some(send) = &s.send {
            Action::Send(Box::new(self.send(send, hosts, names)?))
        } else if let Some(r) = &s.reply {
            Action::Send(Box::new(self.reply(r, hosts, names)?))
        } else if let Some(f) = &s.pop3 {
            Action::Fetch(self.fetch(f, FetchProtocol::Pop3, hosts, names)?)
        } else if let Some(f) = &s.imap {
            Action::Fetch(self.fetch(f, FetchProtocol::Imap, hosts, names)?)
        } else if let Some(w) = &s.wait {
            Action::Wait(self.duration(w)?)
        } else if let Some(f) = s.down.as_ref().or(s.up.as_ref()).or(s.servfail.as_ref()) {
            let want: &[Role] = if s.servfail.is_some() { &[Role::Dns] } else { &any };
            let h = self.host_ref(names, hosts, &f.host, want, "this step's host")?;
            let undo_after = match &f.duration {
                Some(d) => Some(self.duration(d)?),
                None => None,
            };
            if s.up.is_some() && undo_after.is_some() {
                self.err(&f.host, "`up` takes no `for`", "to bring a host back for a while, use `down` with `for`");
                return None;
            }
            let fault = if s.down.is_some() {
                Fault::Down(h)
            } else if s.up.is_some() {
                Fault::Up(h)
            } else {
                Fault::ServFail(h, true)
            };
            Action::Fault { fault, undo_after }
        } else if let Some(f) = s.cut.as_ref().or(s.slow.as_ref()) {
            if f.between.value.len() != 2 {
                self.err(&f.between, "a link is between exactly two hosts", "write between: [a, b]");
                return None;
            }
            let a = self.host_ref(names, hosts, &f.between.value[0], &any, "a link end");
            let b = self.host_ref(names, hosts, &f.between.value[1], &any, "a link end");
            let (a, b) = (a?, b?);
            let undo_after = match &f.duration {
                Some(d) => Some(self.duration(d)?),
                None => None,
            };
            let fault = if s.cut.is_some() {
                if let Some(l) = &f.latency {
                    self.err(l, "`cut` takes no latency", "use `slow` to change a link's latency");
                    return None;
                }
                Fault::Cut(a, b)
            } else {
                let Some(l) = &f.latency else {
                    self.err(&f.between, "`slow` needs a `latency`", "add e.g. latency: 2s");
                    return None;
                };
                Fault::Latency(a, b, self.duration(l)?)
            };
            Action::Fault { fault, undo_after }
        } else {
            return None;
        };
        Some(Step { at, note: s.note.clone().unwrap_or_default(), action, line })
    }

    fn send(&mut self, send: &super::raw::RawSend, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Send> {
        let mua = self.host_ref(names, hosts, &send.from_host, &[Role::Mua], "the sending host (from_host)");
        let via = self.host_ref(
            names,
            hosts,
            &send.via,
            &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List],
            "the server a message is sent via",
        );
        let mut ok = self.mailbox(&send.from);
        if send.to.value.is_empty() {
            self.err(&send.to, "a message needs at least one recipient", "write to: [user@example.com]");
            ok = false;
        }
        for t in &send.to.value {
            ok &= self.mailbox(t);
        }
        if let Some(hf) = &send.header_from
            && hf.value.contains('\n')
        {
            self.err(hf, "a header value cannot span lines here", "");
            ok = false;
        }
        if let Some(h) = &send.helo {
            ok &= self.domain(h).is_some();
        }
        for k in send.headers.keys() {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_graphic() && c != ':') {
                self.err(
                    &send.from_host,
                    format!("`{k}` is not a header field name"),
                    "use letters, digits and hyphens, e.g. X-Course",
                );
                ok = false;
            }
        }
        let auth = self.smtp_auth(&send.auth, &mut ok);
        let mut attachments = Vec::new();
        for a in &send.attachments {
            let name_ok = !a.name.value.is_empty() && !a.name.value.contains(['"', '\r', '\n', '/', '\\']);
            if !name_ok {
                self.err(
                    &a.name,
                    format!("`{}` is not a file name", a.name.value),
                    "write a plain name such as minutes.pdf",
                );
                ok = false;
            }
            let ct = a
                .content_type
                .as_ref()
                .map(|t| t.value.to_ascii_lowercase())
                .unwrap_or_else(|| "application/octet-stream".into());
            let ct_ok = ct.split_once('/').is_some_and(|(t, s)| {
                let tok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c));
                tok(t) && tok(s) && t != "multipart" && t != "message"
            });
            if !ct_ok {
                if let Some(t) = &a.content_type {
                    self.err(
                        t,
                        format!("`{}` is not a MIME type for a file", t.value),
                        "write e.g. application/pdf or image/png",
                    );
                }
                ok = false;
            }
            let octets = a.octets.unwrap_or(1024);
            if octets > MAX_ATTACHMENT {
                self.err(
                    &a.name,
                    format!("{octets} octets is too large for an attachment here"),
                    format!("use at most {MAX_ATTACHMENT} octets"),
                );
                ok = false;
            }
            attachments.push(super::Attachment {
                name: a.name.value.clone(),
                content_type: ct,
                octets: octets as usize,
            });
        }
        if !ok {
            return None;
        }
        Some(Send {
            mua: mua?,
            via: via?,
            from: send.from.value.clone(),
            to: send.to.value.iter().map(|t| t.value.clone()).collect(),
            header_from: send.header_from.as_ref().map(|h| h.value.clone()),
            subject: send.subject.clone().unwrap_or_else(|| "(no subject)".into()),
            body: send.body.clone().unwrap_or_default(),
            helo: send.helo.as_ref().map(|h| h.value.clone()),
            headers: send.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            auth,
            reply: None,
            attachments,
        })
    }

    fn smtp_auth(&mut self, a: &Option<super::raw::RawAuth>, ok: &mut bool) -> Option<SmtpAuth> {
        let a = a.as_ref()?;
        let mechanism = a.mechanism.as_ref().map(|m| m.value.to_ascii_uppercase()).unwrap_or_else(|| "PLAIN".into());
        if !["PLAIN", "LOGIN", "CRAM-MD5"].contains(&mechanism.as_str()) {
            if let Some(m) = &a.mechanism {
                self.err(m, format!("unknown AUTH mechanism `{}`", m.value), "use PLAIN, LOGIN or CRAM-MD5");
            }
            *ok = false;
        }
        match self.password_for(&a.user, &a.password) {
            Some(password) => Some(SmtpAuth { user: a.user.value.clone(), password, mechanism }),
            None => {
                *ok = false;
                None
            }
        }
    }

    fn reply(&mut self, r: &super::raw::RawReply, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Send> {
        let mua = self.host_ref(names, hosts, &r.from_host, &[Role::Mua], "the replying host (from_host)");
        let via = self.host_ref(
            names,
            hosts,
            &r.via,
            &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List],
            "the server the reply is sent via",
        );
        let mut ok = self.mailbox(&r.from);
        if r.keep.is_none() && r.body.is_none() {
            self.err(
                &r.from_host,
                "a reply needs `keep` (lines to copy) or `body`",
                "write e.g. `keep: confirm` to answer a confirmation request",
            );
            ok = false;
        }
        let auth = self.smtp_auth(&r.auth, &mut ok);
        if !ok {
            return None;
        }
        Some(Send {
            mua: mua?,
            via: via?,
            from: r.from.value.clone(),
            to: Vec::new(),
            header_from: None,
            subject: String::new(),
            body: r.body.clone().unwrap_or_default(),
            helo: None,
            headers: Vec::new(),
            auth,
            reply: Some(super::ReplyTo { subject: r.subject.clone(), keep: r.keep.clone() }),
            attachments: Vec::new(),
        })
    }

    /// The password for a login: given in the step, or the user's from `users:`.
    fn password_for(&mut self, user: &S<String>, given: &Option<String>) -> Option<String> {
        if let Some(p) = given {
            return Some(p.clone());
        }
        let key = parse_mailbox(&user.value).map(|m| m.key()).unwrap_or_else(|_| user.value.clone());
        match self.passwords.get(&key) {
            Some(Some(p)) => Some(p.clone()),
            Some(None) => {
                self.err(
                    user,
                    format!("user {} has no password", user.value),
                    "add `password:` to the user in `users:`, or to this step",
                );
                None
            }
            None => {
                self.err(
                    user,
                    format!("{} is not a user of this scenario", user.value),
                    "list the user under `users:` with a password, or give `password:` in this step",
                );
                None
            }
        }
    }

    fn fetch(
        &mut self,
        f: &super::raw::RawFetch,
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
                "`apop` and `delete` are POP3 settings",
                "IMAP leaves mail on the server; remove them",
            );
            return None;
        }
        Some(Fetch {
            protocol,
            mua: mua?,
            server: server?,
            user: parse_mailbox(&f.user.value).map(|m| m.key()).unwrap_or_else(|_| f.user.value.clone()),
            password: password?,
            apop: f.apop,
            delete: f.delete.unwrap_or(true),
        })
    }

    fn expect(
        &mut self,
        spanned: &S<RawExpect>,
        steps: &[S<RawStep>],
        hosts: &[RawHost],
        names: &BTreeMap<String, usize>,
    ) -> Option<Expect> {
        let e = &spanned.value;
        let steps: Vec<&RawStep> = steps.iter().map(|s| &s.value).collect();
        let mut kinds = Vec::new();
        if let Some(r) = &e.reply {
            let line = r.step.referenced.line();
            let ok_step = match steps.get(r.step.value.wrapping_sub(1)) {
                Some(s) if s.send.is_some() || s.reply.is_some() => true,
                Some(_) => {
                    self.err(
                        &r.step,
                        format!("step {} sends nothing, so it has no SMTP replies", r.step.value),
                        "point at a step with `send:`",
                    );
                    false
                }
                None => {
                    self.err(
                        &r.step,
                        format!(
                            "there is no step {} (steps are numbered from 1; this scenario has {})",
                            r.step.value,
                            steps.len()
                        ),
                        "",
                    );
                    false
                }
            };
            if !(200..=599).contains(&r.code.value) {
                self.err(
                    &r.code,
                    format!("{} is not an SMTP reply code", r.code.value),
                    "reply codes run from 200 to 599, e.g. 250 or 550",
                );
            }
            let command = r.command.as_ref().map(|c| c.value.to_ascii_uppercase());
            if let (Some(c), Some(raw)) = (&command, &r.command)
                && !["CONNECT", "EHLO", "HELO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT", "RSET"].contains(&c.as_str())
            {
                self.err(raw, format!("`{c}` is not an SMTP command"), "use CONNECT (the greeting), EHLO, HELO, AUTH, MAIL, RCPT, DATA or QUIT; the reply to the message itself is under DATA too");
            }
            if ok_step {
                kinds.push((ExpectKind::Reply { step: r.step.value, code: r.code.value, command }, line));
            }
        }
        if let Some(d) = &e.delivered
            && self.mailbox(&d.to)
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
            let ok = self.mailbox(&h.to);
            if h.name.value.is_empty() || h.name.value.contains(':') || h.name.value.contains(' ') {
                self.err(
                    &h.name,
                    format!("`{}` is not a header field name", h.name.value),
                    "write the name without the colon, e.g. Received",
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
        }
        if let Some(c) = &e.received_chain {
            let ok = self.mailbox(&c.to);
            let mut hops = Vec::new();
            for hp in &c.hops.value {
                if let Some(i) = self.host_ref(
                    names,
                    hosts,
                    hp,
                    &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List],
                    "a hop of a Received: chain",
                ) {
                    hops.push(i);
                }
            }
            if c.hops.value.is_empty() {
                self.err(&c.hops, "the chain names no hops", "list the MTAs, newest first: [mx, hub, dept]");
            } else if ok && hops.len() == c.hops.value.len() {
                kinds.push((
                    ExpectKind::ReceivedChain { to: norm(&c.to.value), hops, message: self.index(&c.message)? },
                    c.to.referenced.line(),
                ));
            }
        }
        if let Some(l) = &e.log {
            let host = self.host_ref(names, hosts, &l.host, &Role::ALL.map(|r| r.1), "a log's host");
            if let Err(err) = regex::Regex::new(&l.matches.value) {
                let first = err.to_string().lines().last().unwrap_or("").to_string();
                self.err(
                    &l.matches,
                    format!("`{}` is not a valid regular expression: {first}", l.matches.value),
                    "escape special characters such as . ( [ with a backslash, or quote the text",
                );
            } else if let Some(h) = host {
                kinds.push((
                    ExpectKind::Log { host: h, pattern: l.matches.value.clone(), absent: l.absent },
                    l.host.referenced.line(),
                ));
            }
        }
        if let Some(f) = &e.fetched {
            match steps.get(f.step.value.wrapping_sub(1)) {
                Some(s) if s.pop3.is_some() || s.imap.is_some() => {
                    kinds.push((ExpectKind::Fetched { step: f.step.value, count: f.count }, f.step.referenced.line()))
                }
                Some(_) => self.err(
                    &f.step,
                    format!("step {} reads no mail", f.step.value),
                    "point at a step with `pop3:` or `imap:`",
                ),
                None => self.err(&f.step, format!("there is no step {}", f.step.value), ""),
            }
        }
        if let Some(t) = &e.trace {
            let host = match &t.host {
                Some(h) => self.host_ref(names, hosts, h, &Role::ALL.map(|r| r.1), "the trace event's host"),
                None => None,
            };
            let pattern = t.matches.as_ref().map(|m| m.value.clone()).unwrap_or_default();
            let re_ok = match &t.matches {
                Some(m) => match regex::Regex::new(&m.value) {
                    Ok(_) => true,
                    Err(err) => {
                        self.err(
                            m,
                            format!(
                                "`{}` is not a valid regular expression: {}",
                                m.value,
                                err.to_string().lines().last().unwrap_or("")
                            ),
                            "escape special characters with a backslash",
                        );
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
                    message: "an expectation is empty".into(),
                    hint: Some(
                        "each item under `expect:` needs one of reply, delivered, header, received_chain, log, fetched, trace".into(),
                    ),
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
                    message: "one expectation has several kinds".into(),
                    hint: Some("start each with its own `- ` list item".into()),
                });
                None
            }
        }
    }

    fn index(&mut self, m: &Option<S<usize>>) -> Option<usize> {
        match m {
            None => Some(1),
            Some(s) if s.value >= 1 => Some(s.value),
            Some(s) => {
                self.err(s, "messages are counted from 1", "write message: 1 for the first message delivered");
                None
            }
        }
    }
}

fn norm(addr: &str) -> String {
    parse_mailbox(addr).map(|m| m.key()).unwrap_or_else(|_| addr.to_string())
}

fn role_of(h: &RawHost) -> Option<Role> {
    Role::ALL.iter().find(|(n, _)| *n == h.role.value).map(|(_, r)| *r)
}

pub fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let (a, b) = s.split_once('/').unwrap_or((s, "32"));
    let net = a.parse::<Ipv4Addr>().map_err(|_| format!("`{s}` is not a network: `{a}` is not an IPv4 address"))?;
    let bits =
        b.parse::<u8>().ok().filter(|b| *b <= 32).ok_or_else(|| format!("`{s}`: the prefix length must be 0 to 32"))?;
    Ok(Cidr { net, bits })
}
