//! Read a scenario file and check it, collecting every problem with its position.
//!
//! This file holds the entry points, the YAML reader's options and error
//! mapping, and the `Checker` with the helpers every part uses. The checks
//! themselves are one file per part of a scenario: `top` (version, name,
//! start, network, links, and the order of everything), `hosts` (names,
//! addresses, which settings fit which role, external servers), `mta` (an
//! MTA's flavour, relay rules, routes, queue, AUTH, aliases), `zones` (a dns
//! host's zones), `lists` (a list host's lists), `users` (users and the
//! passwords steps log in with), `steps` (actions and faults), `send` (send
//! and reply steps), `expect` (expectations).

mod expect;
mod hosts;
mod lists;
mod mta;
mod send;
mod steps;
mod top;
mod users;
mod zones;

use super::raw::{RawHost, RawScenario, S};
use super::*;
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::proto::smtp::address::{check_domain, parse_mailbox};
use std::collections::BTreeMap;

pub const DEFAULT_START: &str = "2026-04-01T10:00:00+09:00";
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(5);
pub const DEFAULT_RUN_LIMIT: Duration = Duration::from_secs(10 * 86400);
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 10_240_000;

/// The roles that run an MTA: what a smarthost, a `via` or a hop must be.
const MTA_ROLES: &[Role] = &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List];

pub fn load_file(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
    let file = path.display().to_string();
    match crate::base::shipped::read(path) {
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

/// Load a scenario source; one with `variants:` gets its first values (see
/// [`crate::scenario::vary`] for a student's).
pub fn load_str(src: &str, file: &str) -> Result<Scenario, Diagnostics> {
    crate::scenario::vary::load_str(src, file, None)
}

/// Load a scenario source whose `${...}` values are already in place.
pub fn load_plain(src: &str, file: &str) -> Result<Scenario, Diagnostics> {
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
}

/// An address as the model keeps it (the key of the parsed mailbox), or as written when it does not parse.
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

#[cfg(test)]
mod tests;
