//! DNS and routing corner cases, and random fault schedules: whatever the
//! network does, every recipient an MTA accepted ends delivered, relayed,
//! bounced or still queued — never lost.

use maillab::lab::{accounting, run};
use maillab::scenario::load_str;
use maillab::trace::Event;
use maillab::trace::{Field, Kind};

const BASE: &str = r#"
version: 1
name: faults
seed: SEED
hosts:
  - { name: pc, role: mua, address: 192.0.2.23 }
  - name: dept
    role: relay
    address: 192.0.2.10
    hostname: dept.example.ac.jp
    smarthost: hub
    allow_relay: { networks: [192.0.2.0/24] }
    queue: { retry: 10m, max_backoff: 1h, lifetime: 1d }
  - name: hub
    role: hub
    flavour: postfix
    address: 192.0.2.20
    hostname: hub.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: { networks: [192.0.2.0/24] }
    queue: { retry: 10m, max_backoff: 1h, lifetime: 1d }
  - name: ns
    role: dns
    address: 192.0.2.53
    zones:
      example.ac.jp: ["@ MX 10 hub.example.ac.jp.", "hub A 192.0.2.20"]
      example.com: ["@ MX 10 mx1.example.com.", "@ MX 20 mx2.example.com.", "mx1 A 198.51.100.1", "mx2 A 198.51.100.2"]
      implicit.example: ["@ A 198.51.100.3"]
  - { name: mx1, role: mx, address: 198.51.100.1, hostname: mx1.example.com, domains: [example.com] }
  - name: mx2
    role: mx
    address: 198.51.100.2
    hostname: mx2.example.com
    domains: [mx2.example.com]
    allow_relay: { to_domains: [example.com] }
    queue: { retry: 10m, max_backoff: 1h, lifetime: 1d }
  - { name: imx, role: mx, address: 198.51.100.3, hostname: implicit.example, domains: [implicit.example] }
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
  - address: bob@implicit.example
steps:
STEPS
"#;

fn scenario(seed: u64, steps: &str) -> Vec<Event> {
    let src = BASE.replace("SEED", &seed.to_string()).replace("STEPS", steps);
    let sc = load_str(&src, "faults.yaml").unwrap_or_else(|d| panic!("{d}\n{src}"));
    let r = run(&sc).expect("runs");
    for h in sc.hosts.iter().filter(|h| h.role.is_mta()) {
        let a = accounting(&r.events, &h.name);
        assert!(a.balanced(), "seed {seed}, host {}: {a:?}\n{steps}", h.name);
    }
    r.events
}

fn delivered(events: &[Event], mailbox: &str) -> usize {
    events.iter().filter(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox) == Some(mailbox)).count()
}

const SEND: &str =
    "  - send: { from_host: pc, via: dept, from: taro@example.ac.jp, to: [alice@example.com, bob@implicit.example] }\n";

#[test]
fn servfail_defers_then_delivers() {
    let steps = format!("  - servfail: {{ host: ns, for: 30m }}\n{SEND}");
    let ev = scenario(1, &steps);
    assert!(
        ev.iter().any(|e| e.kind == Kind::DnsAnswer && e.line.as_deref().is_some_and(|l| l.starts_with("SERVFAIL")))
    );
    assert!(ev.iter().any(|e| e.kind == Kind::QueueDeferred && e.host == "hub"));
    assert_eq!(delivered(&ev, "alice@example.com"), 1);
    assert_eq!(delivered(&ev, "bob@implicit.example"), 1, "implicit MX: the domain's own A record");
}

#[test]
fn backup_mx_when_primary_is_down() {
    let steps = format!("  - down: {{ host: mx1, for: 2h }}\n{SEND}");
    let ev = scenario(1, &steps);
    assert!(ev.iter().any(|e| {
        e.kind == Kind::Relay && e.host == "hub" && e.line.as_deref().is_some_and(|l| l.contains("mx2.example.com"))
    }));
    assert_eq!(delivered(&ev, "alice@example.com"), 1);
}

#[test]
fn lifetime_expiry_bounces_to_the_sender() {
    let steps = format!("  - down: {{ host: imx }}\n{SEND}");
    let ev = scenario(1, &steps);
    assert!(ev.iter().any(|e| e.kind == Kind::Bounce && e.field_str(Field::Status) == Some("4.4.7")));
    assert_eq!(delivered(&ev, "taro@example.ac.jp"), 1, "one DSN for bob");
    assert_eq!(delivered(&ev, "alice@example.com"), 1);
}

/// A small deterministic generator, so the "random" schedules are the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_fault_schedules_lose_nothing() {
    let hosts = ["dept", "hub", "ns", "mx1", "mx2", "imx"];
    for seed in 1..=24u64 {
        let mut g = Lcg(seed);
        let mut steps = String::new();
        let mut t = 0;
        for _ in 0..6 {
            t += g.next(90);
            let h = hosts[g.next(hosts.len() as u64) as usize];
            let d = 1 + g.next(180);
            let line = match g.next(5) {
                0 => format!("  - {{ at: {t}m, down: {{ host: {h}, for: {d}m }} }}\n"),
                1 => format!("  - {{ at: {t}m, servfail: {{ host: ns, for: {d}m }} }}\n"),
                2 => format!("  - {{ at: {t}m, cut: {{ between: [{h}, pc], for: {d}m }} }}\n"),
                3 => format!("  - {{ at: {t}m, slow: {{ between: [hub, {h}], latency: 2s, for: {d}m }} }}\n"),
                _ => format!(
                    "  - {{ at: {t}m, send: {{ from_host: pc, via: dept, from: taro@example.ac.jp, to: [alice@example.com, bob@implicit.example, nobody@example.com] }} }}\n"
                ),
            };
            steps.push_str(&line);
        }
        steps.push_str(&format!("  - {{ at: {}m, send: {{ from_host: pc, via: hub, from: taro@example.ac.jp, to: [alice@example.com] }} }}\n", t + 1));
        let ev = scenario(seed, &steps);
        // The queue never holds work after the run limit when lifetimes are short.
        assert!(!ev.iter().any(|e| e.kind == Kind::RunLimit), "seed {seed}: run did not settle\n{steps}");
    }
}
