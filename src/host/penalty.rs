//! Slowing password guessing down: the reply to a failed login is held
//! back, as Dovecot does it, 2 s for the first failure from a client
//! address and twice as long for each further one in the last 10 minutes,
//! up to 15 s (an `auth.delay` event says so). A successful login from the
//! address forgets its failures.
//!
//! One table per host ([`crate::host::mta::Mta::penalties`]), shared by
//! POP3, IMAP and SMTP AUTH: guessing through another protocol gains
//! nothing. The cores only report a failure; the host holds the reply back
//! on tokio's clock, through the same session driver in a simulation
//! (virtual time) and under `serve` (real time).

use crate::host::env::HostCtx;
use crate::scenario::format_duration;
use crate::trace::{Field, Kind};
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How long the reply to the first failed login from an address is held
/// back (Dovecot's `AUTH_PENALTY_INIT_SECS`).
pub const AUTH_DELAY: Duration = Duration::from_secs(2);
/// The longest hold-back, however many failures (`AUTH_PENALTY_MAX_SECS`).
pub const AUTH_DELAY_MAX: Duration = Duration::from_secs(15);
/// Failed logins older than this no longer count.
pub const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Failures remembered per address (the delay stops growing long before).
const MAX_REMEMBERED: usize = 100;

/// The hold-back for the `n`th failed login from an address in the window
/// (counted from 1): 2 s, 4 s, 8 s, then 15 s.
pub fn auth_delay(n: usize) -> Duration {
    let doublings = u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
    AUTH_DELAY.saturating_mul(1 << doublings).min(AUTH_DELAY_MAX)
}

/// Recent failed logins per client address: one table per host, shared
/// by its POP3 and IMAP servers and its SMTP AUTH (as Dovecot's auth
/// penalty covers Postfix's SASL through Dovecot too).
#[derive(Default)]
pub struct Penalties(Mutex<BTreeMap<Ipv4Addr, VecDeque<Instant>>>);

impl Penalties {
    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<Ipv4Addr, VecDeque<Instant>>) -> R) -> R {
        f(&mut crate::base::sync::lock(&self.0))
    }

    /// A login from `ip` failed (on session `session`, whose peer is
    /// traced as `label`): note it, trace `auth.delay`, and return how long
    /// to hold the negative answer back. The caller sleeps, on tokio's
    /// clock: virtual in a simulation, real under `serve`.
    pub fn failed(&self, ctx: &HostCtx, session: u64, label: &str, ip: Ipv4Addr) -> Duration {
        let n = self.count(ip, Instant::now());
        let delay = auth_delay(n);
        ctx.emit(
            ctx.ev(Kind::AuthDelay)
                .session(session)
                .peer(label)
                .line(format!(
                    "{} failed login from {ip} in the last {}: reply held back {}",
                    ordinal(n),
                    format_duration(AUTH_FAILURE_WINDOW),
                    format_duration(delay)
                ))
                .field(Field::Ip, ip.to_string())
                .field(Field::Failures, n)
                .field(Field::DelayMs, u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
        );
        delay
    }

    /// Note a failed login from `ip` at `now`; returns how many failures
    /// from `ip` the window now holds, this one included.
    fn count(&self, ip: Ipv4Addr, now: Instant) -> usize {
        self.with(|m| {
            // Forget what is too old, for every address, so the map stays small.
            m.retain(|_, times| {
                while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= AUTH_FAILURE_WINDOW) {
                    times.pop_front();
                }
                !times.is_empty()
            });
            let times = m.entry(ip).or_default();
            times.push_back(now);
            if times.len() > MAX_REMEMBERED {
                times.pop_front();
            }
            times.len()
        })
    }

    /// A successful login from `ip`: its failures no longer count.
    pub fn succeeded(&self, ip: Ipv4Addr) {
        self.with(|m| m.remove(&ip));
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, … `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_up_to_the_cap() {
        let secs: Vec<u64> = (1..=6).map(|n| auth_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 15, 15, 15]);
        assert_eq!(auth_delay(0), AUTH_DELAY);
        assert_eq!(auth_delay(usize::MAX), AUTH_DELAY_MAX);
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].into_iter().map(ordinal).collect();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_count_per_address_within_the_window() {
        let p = Penalties::default();
        let (a, b) = (Ipv4Addr::new(192, 0, 2, 9), Ipv4Addr::new(192, 0, 2, 10));
        let t0 = Instant::now();
        assert_eq!(p.count(a, t0), 1);
        assert_eq!(p.count(a, t0 + Duration::from_secs(60)), 2);
        assert_eq!(p.count(a, t0 + Duration::from_secs(120)), 3);
        // Another address starts at one.
        assert_eq!(p.count(b, t0 + Duration::from_secs(120)), 1);
        // Ten minutes after the first failure it no longer counts.
        assert_eq!(p.count(a, t0 + AUTH_FAILURE_WINDOW), 3);
        // A quiet period forgets everything, and old addresses leave the map.
        assert_eq!(p.count(a, t0 + 3 * AUTH_FAILURE_WINDOW), 1);
        assert_eq!(p.with(|m| m.len()), 1);
        // A successful login forgets the address's failures, not another's.
        p.count(b, t0 + 3 * AUTH_FAILURE_WINDOW);
        p.succeeded(a);
        assert_eq!(p.count(a, t0 + 3 * AUTH_FAILURE_WINDOW), 1);
        assert_eq!(p.count(b, t0 + 3 * AUTH_FAILURE_WINDOW), 2);
        // Memory per address is bounded.
        for _ in 0..2 * MAX_REMEMBERED {
            p.count(a, t0 + 3 * AUTH_FAILURE_WINDOW);
        }
        assert_eq!(p.count(a, t0 + 3 * AUTH_FAILURE_WINDOW), MAX_REMEMBERED);
    }
}
