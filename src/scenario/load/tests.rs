//! Diagnostics that no shipped scenario or fixture shows: each with its exact
//! message and position.

use crate::base::diag::Diagnostic;
use crate::scenario::load_str;

/// A small valid scenario; each test changes one line of it.
const BASE: &str = "version: 1
name: t
hosts:
  - name: pc
    role: mua
    address: 192.0.2.1
  - name: mx
    role: mx
    address: 192.0.2.2
    domains: [example.com]
users:
  - address: alice@example.com
    password: pw
steps:
  - send:
      from_host: pc
      via: mx
      from: bob@example.org
      to: [alice@example.com]
expect:
  - delivered:
      to: alice@example.com
";

/// `BASE` with `old` replaced by `new`, and its diagnostics.
fn problems(old: &str, new: &str) -> (String, Vec<Diagnostic>) {
    assert!(BASE.contains(old), "`{old}` is not in the base scenario");
    let src = BASE.replacen(old, new, 1);
    match load_str(&src, "t.yaml") {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(d) => (src, d.0),
    }
}

/// Line and column (from 1) of the first `needle` in `src`.
fn pos(src: &str, needle: &str) -> (u64, u64) {
    let at = src.find(needle).unwrap_or_else(|| panic!("`{needle}` is not in the source"));
    let line = src[..at].lines().count() as u64 + u64::from(src[..at].ends_with('\n'));
    let col = at - src[..at].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line.max(1), col as u64)
}

/// Exactly one diagnostic, at `needle`, with this message and hint.
fn assert_one(src: &str, d: &[Diagnostic], needle: &str, message: &str, hint: &str) {
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(src, needle), "{d:?}");
    assert_eq!(d[0].message, message);
    assert_eq!(d[0].hint.as_deref(), Some(hint));
}

#[test]
fn the_base_scenario_is_valid() {
    assert!(load_str(BASE, "t.yaml").is_ok());
}

#[test]
fn a_host_is_not_its_own_smarthost() {
    let (src, d) = problems("    domains: [example.com]\n", "    domains: [example.com]\n    smarthost: mx\n");
    assert_one(&src, &d, "mx\nusers:", "a host cannot be its own smarthost", "name the hub it forwards to");
}

#[test]
fn max_backoff_shorter_than_retry() {
    let (src, d) = problems(
        "    domains: [example.com]\n",
        "    domains: [example.com]\n    queue: { retry: 1h, max_backoff: 5m }\n",
    );
    assert_one(
        &src,
        &d,
        "5m",
        "max_backoff is shorter than retry",
        "the first wait is `retry`; later waits double up to `max_backoff`",
    );
}

#[test]
fn up_takes_no_for() {
    let (src, d) = problems("steps:\n", "steps:\n  - up: { host: mx, for: 5m }\n");
    assert_one(&src, &d, "mx, for", "`up` takes no `for`", "to bring a host back for a while, use `down` with `for`");
}

#[test]
fn cut_takes_no_latency_and_slow_needs_one() {
    let (src, d) = problems("steps:\n", "steps:\n  - cut: { between: [pc, mx], latency: 2s }\n");
    assert_one(&src, &d, "2s", "`cut` takes no latency", "use `slow` to change a link's latency");
    let (src, d) = problems("steps:\n", "steps:\n  - slow: { between: [pc, mx] }\n");
    assert_one(&src, &d, "[pc, mx]", "`slow` needs a `latency`", "add e.g. latency: 2s");
}

#[test]
fn an_alias_without_usable_targets() {
    let (src, d) =
        problems("    domains: [example.com]\n", "    domains: [example.com]\n    aliases: { team: [nobody] }\n");
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "[nobody]"));
    assert_eq!(d[0].message, "alias `team` has no targets");
    assert_eq!(d[0].hint.as_deref(), Some("list at least one address"));
    assert_eq!((d[1].line, d[1].column), pos(&src, "nobody"));
    assert_eq!(d[1].message, "`nobody` is neither a mail address nor another alias of this host");
    assert_eq!(d[1].hint.as_deref(), Some("write a full address (user@domain) or the name of an alias defined here"));
}

#[test]
fn a_mua_cannot_be_external() {
    let (src, d) = problems("    address: 192.0.2.1\n", "    address: 192.0.2.1\n    external: 10.1.2.3:2525\n");
    assert_one(
        &src,
        &d,
        "10.1.2.3:2525",
        "a mua host cannot be external",
        "external hosts stand for servers: relay, hub, mx, mailstore or dns",
    );
}

#[test]
fn an_empty_expectation() {
    let (src, d) = problems("expect:\n", "expect:\n  - {}\n");
    assert_one(
        &src,
        &d,
        "{}",
        "an expectation is empty",
        "each item under `expect:` needs one of reply, delivered, header, received_chain, log, fetched, trace",
    );
}

#[test]
fn durations_are_capped_and_the_steps_bounded() {
    let huge = BASE.replace("  - send:\n", "  - at: 366d\n    send:\n");
    let d = load_str(&huge, "t.yaml").expect_err("refused");
    assert_eq!(d.0[0].message, "`366d` is longer than maillab allows: at most 365 days");
    let many = BASE.replace("steps:\n", &format!("steps:\n{}", "  - wait: 365d\n".repeat(11)));
    let d = load_str(&many, "t.yaml").expect_err("refused");
    assert!(d.0[0].message.starts_with("the steps reach 4015d of virtual time here: at most 10 years"), "{d}");
}

#[test]
fn warnings_leave_the_scenario_loadable() {
    let late =
        BASE.replace("users:", "network:\n  run_limit: 1h\nusers:").replace("  - send:\n", "  - at: 2h\n    send:\n");
    let sc = load_str(&late, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(sc.warnings.len(), 1);
    assert!(sc.warnings[0].message.starts_with("step 1 starts at 2h, after the run limit of 1h"));
    let w = sc.warnings[0].as_warning().to_string();
    assert!(w.starts_with("t.yaml:17:9: warning: step 1"), "{w}");
    assert!(load_str(BASE, "t.yaml").is_ok_and(|sc| sc.warnings.is_empty()));
}

#[test]
fn did_you_mean() {
    use crate::base::diag::nearest;
    assert_eq!(nearest("rlay", ["mx", "relay", "pc"]), Some("relay"));
    assert_eq!(nearest("alow_relay", ["allow_relay", "aliases"]), Some("allow_relay"));
    assert_eq!(nearest("zzz", ["mx", "relay"]), None);
}

#[test]
fn a_misspelt_role_gets_a_did_you_mean() {
    let (src, d) = problems("    role: mx\n", "    role: mxx\n");
    assert_one(
        &src,
        &d,
        "mxx",
        "unknown role `mxx`",
        "did you mean `mx`? (roles are: mua, relay, hub, mx, mailstore, list, dns)",
    );
    let (src, d) = problems("    role: mua\n", "    role: relya\n");
    assert_one(
        &src,
        &d,
        "relya",
        "unknown role `relya`",
        "did you mean `relay`? (roles are: mua, relay, hub, mx, mailstore, list, dns)",
    );
    let (src, d) = problems("    role: mua\n", "    role: client\n");
    assert_one(&src, &d, "client", "unknown role `client`", "roles are: mua, relay, hub, mx, mailstore, list, dns");
}

#[test]
fn a_dnsbl_needs_a_dns_server() {
    let (src, d) =
        problems("    domains: [example.com]\n", "    domains: [example.com]\n    dnsbl: [bl.example.org]\n");
    assert_one(
        &src,
        &d,
        "bl.example.org",
        "a DNSBL is asked through DNS, but this host has no DNS server to ask",
        "add a host with role dns that serves the list's zone, or say which with `resolver: NAME`",
    );
}

#[test]
fn an_access_line_needs_a_tag() {
    let (src, d) =
        problems("    domains: [example.com]\n", "    domains: [example.com]\n    access: [\"spam.example REJECT\"]\n");
    assert_one(
        &src,
        &d,
        "\"spam.example",
        "access key `spam.example` has no tag",
        "start it with Connect: (client), From: (sender) or To: (recipient)",
    );
}

/// `helo_required` reaches the MTA's settings (off unless given, as both
/// flavours ship) and belongs to MTA hosts only.
#[test]
fn helo_required_is_an_mta_setting_off_by_default() {
    let required = |src: &str| {
        let sc = load_str(src, "t.yaml").expect("valid");
        sc.hosts.iter().find(|h| h.name == "mx").and_then(|h| h.mta.as_ref()).map(|m| m.helo_required)
    };
    assert_eq!(required(BASE), Some(false));
    let on = BASE.replacen("    domains: [example.com]\n", "    domains: [example.com]\n    helo_required: true\n", 1);
    assert_eq!(required(&on), Some(true));
    let (src, d) = problems("    address: 192.0.2.1\n", "    address: 192.0.2.1\n    helo_required: true\n");
    assert_one(
        &src,
        &d,
        "mua",
        "`helo_required` is a setting of relay, hub, mx, mailstore and list hosts, not of a mua",
        "remove it, or change the role",
    );
}

/// `BASE` with a `configure` step of `set` (YAML flow text) on `host` before the send.
fn with_configure(host: &str, set: &str) -> String {
    BASE.replacen("steps:\n", &format!("steps:\n  - configure: {{ host: {host}, set: {set} }}\n"), 1)
}

#[test]
fn a_configure_step_is_checked_like_the_host_s_own_keys() {
    let ok = with_configure("mx", "{ allow_relay: { networks: [192.0.2.0/24] }, auth: offered }");
    let sc = load_str(&ok, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let crate::scenario::Action::Configure { host, cfg, changes, .. } = &sc.steps[0].action else {
        panic!("not a configure step: {:?}", sc.steps[0].action)
    };
    assert_eq!(*host, 1);
    assert_eq!(cfg.relay_networks.len(), 1);
    assert_eq!(cfg.auth, crate::scenario::AuthMode::Offered);
    assert_eq!(changes, &["allow_relay: networks 192.0.2.0/24", "auth: offered"]);

    // A bad value: the same message as on the host, at the step's value.
    let src = with_configure("mx", "{ auth: sometimes }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_one(&src, &d, "sometimes", "unknown auth mode `sometimes`", "use off, offered or required");
    let src = with_configure("mx", "{ allow_relay: { networks: [192.0.2/33] } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "192.0.2/33"));

    // A misspelt key: did you mean.
    let src = with_configure("mx", "{ dnsbll: [bl.example] }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert!(d[0].message.contains("dnsbll"), "{d:?}");
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("dnsbl")), "{d:?}");

    // Only an MTA has these settings.
    let src = with_configure("pc", "{ auth: offered }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("must be a host with role relay or hub or mx"), "{d:?}");

    // An empty `set:`.
    let src = with_configure("mx", "{}");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d[0].message, "this `configure` step sets nothing");

    // POP-before-SMTP needs a mailstore, here as on the host.
    let src = with_configure("mx", "{ allow_relay: { pop_before_smtp: 10m } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].message, "POP-before-SMTP needs the POP3/IMAP server on the same host");
}

/// `helo_required` is set by a `configure` step as the host's other SMTP
/// settings are: checked as on the host, named in the trace line, and
/// taken by the running host's reload.
#[test]
fn a_configure_step_sets_helo_required() {
    let src = with_configure("mx", "{ helo_required: true }");
    let sc = load_str(&src, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let crate::scenario::Action::Configure { host, cfg, changes, .. } = &sc.steps[0].action else {
        panic!("not a configure step: {:?}", sc.steps[0].action)
    };
    assert!(cfg.helo_required);
    assert_eq!(changes, &["helo_required: true"]);
    let before = sc.hosts[*host].mta.as_ref().expect("an MTA");
    assert!(!before.helo_required);
    assert!(before.reloaded(cfg).helo_required, "the reload takes it");
    // And a later step turns it off again.
    let off = BASE.replacen(
        "steps:\n",
        "steps:\n  - configure: { host: mx, set: { helo_required: true } }\n  - configure: { host: mx, set: { max_message_size: 1000 } }\n  - configure: { host: mx, set: { helo_required: false } }\n",
        1,
    );
    let sc = load_str(&off, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let on_still = |i: usize| match &sc.steps[i].action {
        crate::scenario::Action::Configure { cfg, .. } => cfg.helo_required,
        other => panic!("not a configure step: {other:?}"),
    };
    assert_eq!((on_still(0), on_still(1), on_still(2)), (true, true, false));
    // A value that is no boolean: refused where it is written.
    let src = with_configure("mx", "{ helo_required: sometimes }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "sometimes"));
}

#[test]
fn configure_steps_build_on_each_other() {
    let src = BASE.replacen(
        "steps:\n",
        "steps:\n  - configure: { host: mx, set: { auth: offered } }\n  - configure: { host: mx, set: { max_message_size: 1000 } }\n",
        1,
    );
    let sc = load_str(&src, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let crate::scenario::Action::Configure { cfg, .. } = &sc.steps[1].action else { panic!("not a configure step") };
    assert_eq!(cfg.auth, crate::scenario::AuthMode::Offered, "the first step's value stays");
    assert_eq!(cfg.max_message_size, 1000);
}

#[test]
fn the_relay_warning_sees_the_settings_of_the_configure_steps_before() {
    // The PC sends to another domain: mx refuses to relay for it, unless a
    // configure step before the send opened the relay for its network.
    let base = BASE.replace("to: [alice@example.com]", "to: [carol@example.net]");
    let warned = load_str(&base, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(warned.warnings.len(), 1, "{:?}", warned.warnings);
    let opened = base.replacen(
        "steps:\n",
        "steps:\n  - configure: { host: mx, set: { allow_relay: { networks: [192.0.2.0/24] } } }\n",
        1,
    );
    let sc = load_str(&opened, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
}

#[test]
fn a_configure_step_changes_a_list_s_settings_not_its_members() {
    let list_host = r#"version: 1
name: t
hosts:
  - { name: pc, role: mua, address: 192.0.2.31, hostname: pc.example.com }
  - name: ml
    role: list
    address: 198.51.100.10
    hostname: ml.example.org
    domains: [example.org]
    lists:
      ohanashi:
        admin: [a@example.org]
        members: [a@example.org]
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.net
    zones:
      example.org: ["@ MX 10 ml.example.org.", "ml A 198.51.100.10"]
users:
  - address: a@example.org
steps:
"#;
    let step = |set: &str| format!("{list_host}  - configure: {{ host: ml, set: {set} }}\n");
    let ok = step("{ lists: { ohanashi: { type: moderated, moderators: [a@example.org], subject_tag: false } } }");
    let sc = load_str(&ok, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let crate::scenario::Action::Configure { cfg, changes, .. } = &sc.steps[0].action else {
        panic!("not a configure step: {:?}", sc.steps[0].action)
    };
    let l = &cfg.lists[0];
    assert_eq!((l.kind, l.subject_tag), (crate::listserv::Kind::Moderated, false));
    assert_eq!(l.moderators, ["a@example.org"]);
    assert_eq!(changes, &["list ohanashi: type moderated, moderators a@example.org, subject_tag false"]);

    // A bad value: the message the host's own key gets, at the step's value.
    let src = step("{ lists: { ohanashi: { others: holdd } } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "holdd"));

    // A list the host does not have: did you mean.
    let src = step("{ lists: { ohanasi: { others: hold } } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d[0].message, "`ml` has no mailing list `ohanasi`");
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("did you mean `ohanashi`")), "{d:?}");

    // A title goes into List-Id:, so it is one line, on the host and in a step.
    let src = list_host.replace("        admin:", "        title: \"Chat\\r\\nBcc: x@evil\"\n        admin:");
    let d = load_str(&format!("{src}  - wait: 1m\n"), "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "\"Chat"));
    assert_eq!(
        d[0].message,
        "a list's title (it goes into List-Id:) is one line; this one holds a carriage return (CR, `\\r`)"
    );
    let src = step("{ lists: { ohanashi: { title: \"a\\nb\" } } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "\"a\\nb"));

    // Members change by command mail, not by a reload.
    let src = step("{ lists: { ohanashi: { members: [b@example.org] } } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert!(d[0].message.contains("members"), "{d:?}");
}

#[test]
fn a_configure_step_changes_accounts_of_known_users() {
    let ok = with_configure("mx", "{ users: { alice@example.com: { password: new-secret, login: true } } }");
    let sc = load_str(&ok, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    let crate::scenario::Action::Configure { changes, users, .. } = &sc.steps[0].action else {
        panic!("not a configure step: {:?}", sc.steps[0].action)
    };
    assert_eq!(changes, &["user alice@example.com: new password, login open"]);
    assert_eq!(users[0].password.as_deref(), Some("new-secret"));

    let src = with_configure("mx", "{ users: { alise@example.com: { login: false } } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d[0].message, "`alise@example.com` is not a user of this scenario");
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("alice@example.com")), "{d:?}");

    let src = with_configure("mx", "{ users: { alice@example.com: {} } }");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d[0].message, "the change to `alice@example.com` sets nothing");
}

/// A "laughs" file: five levels of ten aliases, some 120,000 repeated events
/// (the reader's own default limit, a million, would let it through). The
/// reader stops after `MAX_ALIAS_REPLAY` and says so, in words; a file that
/// repeats a thousand values fifty times is read.
#[test]
fn aliases_repeat_a_bounded_number_of_values() {
    use super::{MAX_ALIAS_REPLAY, yaml_error, yaml_options};
    let mut src = String::from("l0: &l0 lol\n");
    for i in 1..6 {
        src.push_str(&format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(", ")));
    }
    let e = serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(&src, yaml_options()).expect_err("refused");
    let d = yaml_error("t.yaml", &src, &e, "scenario");
    assert!(d.message.starts_with("aliases (`*name`) repeat more than maillab reads: at most 100,000 values"), "{d:?}");
    assert!(d.line >= 2, "{d:?}");

    let many: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
    let mut ok = format!("a: &a [{}]\n", many.join(", "));
    for i in 0..(MAX_ALIAS_REPLAY / 2_000) {
        ok.push_str(&format!("b{i}: *a\n"));
    }
    serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(&ok, yaml_options()).expect("read");
}

#[test]
fn a_disk_too_small_for_any_mail_is_a_warning() {
    let with = |flavour: &str, space: u64| {
        let src = BASE.replace(
            "    domains: [example.com]\n",
            &format!("    flavour: {flavour}\n    domains: [example.com]\n    disk_space: {space}\n"),
        );
        load_str(&src, "t.yaml").unwrap_or_else(|d| panic!("{d}")).warnings
    };
    // Postfix wants more than 1.5 times the size limit (10,240,000) free.
    let w = with("postfix", 15_360_000);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.starts_with("with 15360000 octets of disk_space this postfix host refuses every MAIL"));
    assert!(w[0].as_warning().to_string().starts_with("t.yaml:12:17: warning:"), "{}", w[0].as_warning());
    assert!(with("postfix", 15_360_001).is_empty());
    // sendmail, 100 blocks of 4,096 octets.
    assert_eq!(with("sendmail", 409_599).len(), 1);
    assert!(with("sendmail", 409_600).is_empty());
    // 0: no limit.
    assert!(with("postfix", 0).is_empty());
    // The default 1 GiB and a size limit above 715,827,882: the warning
    // points at the size limit.
    let src = BASE.replace(
        "    domains: [example.com]\n",
        "    flavour: postfix\n    domains: [example.com]\n    max_message_size: 800000000\n",
    );
    let w = load_str(&src, "t.yaml").unwrap_or_else(|d| panic!("{d}")).warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("1073741824 octets of disk_space (the default disk_space)"), "{}", w[0].message);
    assert!(w[0].as_warning().to_string().starts_with("t.yaml:12:23: warning:"), "{}", w[0].as_warning());
}

/// The message and hint of the one diagnostic, and its position.
fn one(src: &str, d: &[Diagnostic]) -> (u64, u64, String, String) {
    assert_eq!(d.len(), 1, "{src}\n{d:?}");
    (d[0].line, d[0].column, d[0].message.clone(), d[0].hint.clone().unwrap_or_default())
}

/// The reader's own words ("duplicate mapping key: …, set
/// DuplicateKeyPolicy in Options", "use Option<String>", "invalid u64",
/// "expected mapping start") never reach an instructor.
#[test]
fn reader_errors_are_in_plain_words() {
    let (src, d) = problems("    domains: [example.com]\n", "    domains: [example.com]\n    domains: [example.org]\n");
    let (line, col, message, hint) = one(&src, &d);
    assert_eq!((line, col), pos(&src, "domains: [example.org]"));
    assert_eq!(message, "`domains` is given twice (first at line 10)");
    assert_eq!(hint, "a key may appear once in a mapping: remove one of them, or put their values together");
    let (src, d) = problems("    role: mua\n", "    role: mua\n    address: 192.0.2.9\n");
    assert_eq!(one(&src, &d).2, "`address` is given twice (first at line 6)");
    let (_, d) = problems("  - delivered:\n      to: alice@example.com\n", "  - delivered: { to: a@b, to: c@d }\n");
    assert_eq!(d[0].message, "`to` is given twice (first at line 21)");

    let (src, d) = problems("name: t\n", "name:\n");
    let (line, col, message, hint) = one(&src, &d);
    assert_eq!((line, col), pos(&src, ":\nhosts"));
    assert_eq!(message, "`name` has no value: a text is expected after it");
    assert_eq!(hint, "write the text after the colon; an empty text is written \"\"");

    for v in ["-1", "1.5", "one", "99999999999999999999"] {
        let (src, d) = problems("version: 1\n", &format!("version: 1\nseed: {v}\n"));
        let (line, col, message, hint) = one(&src, &d);
        assert_eq!((line, col), (2, 7));
        assert_eq!(message, format!("`{v}` is not a whole number from 0 to 18,446,744,073,709,551,615"));
        assert!(hint.starts_with("write a whole number from 0 to 18,446,744,073,709,551,615 in digits"), "{hint}");
    }
    let (src, d) = problems("version: 1\n", "version: true\n");
    assert_eq!(one(&src, &d).2, "`true` is not a whole number from 0 to 4,294,967,295");
    let (src, d) = problems("version: 1\n", "version:\n");
    assert_eq!(one(&src, &d).2, "`version` has no value: a whole number from 0 to 4,294,967,295 is expected after it");

    let (src, d) = problems("  - address: alice@example.com\n    password: pw\n", "  - alice@example.com\n");
    let (line, col, message, _) = one(&src, &d);
    assert_eq!((line, col), pos(&src, "alice@example.com\nsteps"));
    assert_eq!(message, "a mapping (`key: value` lines) is expected here, not `alice@example.com`");
    let (src, d) = problems("    address: 192.0.2.1\n", "    address: [192.0.2.1]\n");
    let (_, _, message, hint) = one(&src, &d);
    assert_eq!(message, "a single text is expected here, not a list `[ … ]`");
    assert_eq!(hint, "write one value; a text that starts with `[`, `{`, `&`, `*` or `-` must be quoted");
    let (src, d) = problems("users:\n  - address: alice@example.com\n    password: pw\n", "users: alice@example.com\n");
    assert_eq!(one(&src, &d).2, "a list is expected here, not `alice@example.com`");

    let (src, d) = problems("      from: bob@example.org\n", "      from: *bob\n");
    let (line, col, message, hint) = one(&src, &d);
    assert_eq!((line, col), pos(&src, "*bob"));
    assert_eq!(message, "`*bob` repeats a value marked `&bob`, but there is no such mark before it");
    assert!(hint.starts_with("in YAML `&bob` marks a value and a later `*bob` repeats it"), "{hint}");
}

/// A syntax error gets a hint about syntax, never "this value has the wrong type".
#[test]
fn syntax_errors_get_syntax_hints() {
    // A quote left open runs on to the next quote mark, lines below.
    let (src, d) = problems("name: t\n", "name: \"t\n");
    let src2 = src.replace("bob@example.org", "\"bob@example.org\"");
    let (line, col, message, hint) = one(&src, &d);
    assert_eq!((line, col), pos(&src, "\"t"));
    assert_eq!(message, "this quote is never closed");
    assert_eq!(hint, "end the quoted text with the same quote mark it starts with");
    let Err(d) = load_str(&src2, "t.yaml") else { panic!("accepted") };
    let (line, col, message, hint) = one(&src2, &d.0);
    assert_eq!((line, col), pos(&src2, "\"t"));
    assert_eq!(message, "this quote is not closed on its line: YAML reads on to the next \", at line 18");
    assert_eq!(hint, "close the quote at the end of this value with \"");
    let (src, d) = problems("name: t\n", "name: \"t\"x\n");
    let (_, _, message, hint) = one(&src, &d);
    assert_eq!(message, "text after the closing quote: `\"t\"x`");
    assert!(!hint.contains("wrong type"), "{hint}");
    let (src, d) = problems("name: t\n", "name t\n");
    let (_, _, message, hint) = one(&src, &d);
    assert_eq!(message, "a key without `:` (or a line that does not belong here)");
    assert!(hint.contains("colon"), "{hint}");
    // A key indented under the one above becomes part of its value.
    let (src, d) = problems("name: t\n", "  name: t\n");
    let (line, col, message, _) = one(&src, &d);
    assert_eq!((line, col), (1, 10));
    assert_eq!(
        message,
        "`version` has a value on its line (`1`) and a line indented under it (line 2): YAML reads that line as the rest of the value"
    );
}

/// A missing key is reported where its mapping starts, not at its last key.
#[test]
fn a_missing_key_is_shown_at_the_start_of_its_mapping() {
    let (src, d) = problems("version: 1\n", "");
    let (line, col, message, hint) = one(&src, &d);
    assert_eq!((line, col), (1, 1));
    assert_eq!(message, "a required key `version` is missing");
    assert_eq!(hint, "add `version: …` to the mapping that starts here, beside its other keys");
    let (src, d) = problems("    address: 192.0.2.2\n", "");
    let (line, col, message, _) = one(&src, &d);
    assert_eq!((line, col), pos(&src, "name: mx"));
    assert_eq!(message, "a required key `address` is missing");
    let (src, d) = problems("      from_host: pc\n", "");
    assert_eq!(one(&src, &d).0, pos(&src, "via: mx").0);
    let (src, d) = problems("  - delivered:\n      to: alice@example.com\n", "  - delivered: { count: 1 }\n");
    assert_eq!((one(&src, &d).0, one(&src, &d).1), pos(&src, "{ count"));
}

#[test]
fn the_relay_warning_knows_the_host_s_own_address_literal() {
    // The host's own literal is local there (as its domains are): no warning.
    let own = BASE.replace("to: [alice@example.com]", "to: [\"alice@[192.0.2.2]\"]");
    let sc = load_str(&own, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    // Another host's literal is relaying, refused for this client.
    let other = BASE.replace("to: [alice@example.com]", "to: [\"alice@[198.51.100.25]\"]");
    let sc = load_str(&other, "t.yaml").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    assert!(sc.warnings[0].message.contains("refuse to relay"), "{:?}", sc.warnings);
}

/// When the reader refuses the file, each host, user, step and expectation
/// is read on its own: the first problem of every item is reported in one
/// run, at its place in the file, each once.
#[test]
fn the_first_problem_of_every_item_is_reported_in_one_run() {
    let src = BASE
        .replace("    address: 192.0.2.1\n", "    adress: 192.0.2.1\n")
        .replace("    password: pw\n", "    password: [pw]\n")
        .replace("      via: mx\n", "      via: mx\n      subjet: hi\n")
        .replace("      to: alice@example.com\n", "      to: alice@example.com\n      count: two\n");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    let at: Vec<(u64, u64, &str)> = d.iter().map(|d| (d.line, d.column, d.message.as_str())).collect();
    assert_eq!(
        at,
        vec![
            (6, 5, "unknown key `adress`"),
            (13, 15, "a single text is expected here, not a list `[ … ]`"),
            (18, 7, "unknown key `subjet`"),
            (24, 14, "`two` is not a whole number from 0 to 18,446,744,073,709,551,615"),
        ],
        "{d:?}"
    );
}

/// An alias may lean on an anchor in another item: such a file is not
/// read item by item, and its first problem is all that is reported.
#[test]
fn a_file_with_an_alias_reports_its_first_problem_only() {
    let src = BASE
        .replace("    address: 192.0.2.1\n", "    adress: 192.0.2.1\n")
        .replace("    password: pw\n", "    password: [pw]\n")
        .replace("  - name: mx\n", "  - name: &mx mx\n")
        .replace("      via: mx\n", "      via: *mx\n");
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), (6, 5));
}

/// Past 50 items with a problem, the rest are counted in a note.
#[test]
fn past_fifty_items_the_rest_are_counted() {
    let users: String = (0..60).map(|i| format!("  - address: u{i}@example.com\n    pasword: x\n")).collect();
    let src = BASE.replace("  - address: alice@example.com\n    password: pw\n", &users);
    let d = load_str(&src, "t.yaml").expect_err("refused").0;
    assert_eq!(d.len(), 51, "{d:?}");
    assert_eq!(d[50].line, 0);
    assert_eq!(d[50].message, "10 more item(s) of the scenario have a problem too");
}

/// The "indent it under the key above" hint is for a key at the level of
/// an empty key, not for a new list item after one (review h20), and the
/// over-indented key is reported at the key, with the column it belongs in.
#[test]
fn indentation_hints_name_the_right_key() {
    assert_eq!(super::empty_key_above("a:\n  allow_relay:\n  networks: x\n", 3).as_deref(), Some("allow_relay"));
    assert_eq!(super::empty_key_above("hosts:\n  - name: a\n    allow_relay:\n  - foo: x\n", 4), None);
    assert_eq!(super::empty_key_above("  address: 1\n  networks: x\n", 2), None);
    let src =
        "version: 1\nname: t\nhosts:\n  - name: pc\n    role: mua\n    address: 192.0.2.1\n     hostname: pc.example\n";
    let d = load_str(src, "t.yaml").expect_err("refused").0;
    assert_eq!((d[0].line, d[0].column), (7, 6), "{d:?}");
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("column 5, like `address`")), "{d:?}");
}
