//! A local part reaches its mailbox whatever the case of its letters, as
//! Postfix's local(8) ("folded to lower case") and sendmail's local mailer
//! (no `F=u`) deliver: `Alice@` is alice's mailbox, and a user the
//! scenario writes `Carol@` gets mail for `carol@`.

use crate::common::run_passing;
use maillab::scenario::load_str;
use maillab::trace::Kind;

fn scenario(flavour: &str) -> String {
    format!(
        r#"
version: 1
name: local-part-case
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: mail
    role: mailstore
    flavour: postfix
    address: 192.0.2.25
    hostname: mail.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: {{ networks: [192.0.2.0/24] }}
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.ac.jp: ["@ MX 10 mail.example.ac.jp.", "mail A 192.0.2.25"]
      example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]
  - name: mx
    role: mx
    flavour: {flavour}
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
  - address: Carol@example.com
steps:
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to: [Alice@example.com, carol@example.com, ALICE@Example.COM]
      subject: Hello
      body: hi
expect:
  - delivered: {{ to: alice@example.com, count: 1 }}
  - delivered: {{ to: Carol@example.com, count: 1 }}
  - delivered: {{ to: ALICE@example.com, count: 1 }}
  - delivered: {{ to: taro@example.ac.jp, count: 0 }}
"#
    )
}

#[test]
fn a_local_part_reaches_its_mailbox_in_any_case_at_both_flavours() {
    for flavour in ["postfix", "sendmail"] {
        let r = run_passing(&scenario(flavour), &format!("local-part-case-{flavour}"));
        let refused: Vec<&str> = r
            .events
            .iter()
            .filter_map(|e| e.line.as_deref())
            .filter(|l| l.contains("User unknown") || l.contains("unknown user"))
            .collect();
        assert!(refused.is_empty(), "{flavour}: {refused:?}");
        // The two spellings of alice are one recipient: one copy.
        assert!(r.events.iter().any(|e| e.kind == Kind::RcptDuplicate), "{flavour}: no rcpt.duplicate");
    }
}

#[test]
fn users_that_differ_only_in_case_are_refused_as_one_user_twice() {
    let yaml = scenario("postfix").replace(
        "  - address: Carol@example.com\n",
        "  - address: Carol@example.com\n  - address: carol@example.com\n",
    );
    let d = load_str(&yaml, "local-part-case.yaml").expect_err("two spellings of one user");
    let text = d.to_string();
    assert!(
        text.contains("user carol@example.com is listed twice: Carol@example.com differs only in capital letters"),
        "{text}"
    );
}

/// An SMTP AUTH user name is an address too, found in any case as the POP3
/// and IMAP logins find it (Dovecot's SASL lower-cases it by default).
#[test]
fn an_auth_user_name_is_found_in_any_case() {
    for flavour in ["postfix", "sendmail"] {
        let base = scenario(flavour);
        let (head, _) = base.split_once("expect:\n").expect("the scenario has expectations");
        let yaml = head
            .replace(
                "    allow_relay: { networks: [192.0.2.0/24] }\n",
                "    allow_relay: { networks: [192.0.2.0/24] }\n    auth: offered\n",
            )
            .replace("  - address: taro@example.ac.jp\n", "  - { address: taro@example.ac.jp, password: pw }\n")
            + "  - send:\n      from_host: pc\n      via: mail\n      from: taro@example.ac.jp\n      to: [alice@example.com]\n      auth: { user: TARO@Example.AC.JP, password: pw }\n      subject: Again\n      body: hi\nexpect:\n  - reply: { step: 2, code: 235, command: AUTH }\n";
        let r = run_passing(&yaml, &format!("local-part-case-{flavour}"));
        // Logged in as the account: logs and headers name taro@example.ac.jp.
        let typed: Vec<&str> =
            r.events.iter().filter_map(|e| e.line.as_deref()).filter(|l| l.contains("TARO@Example.AC.JP")).collect();
        assert!(typed.is_empty(), "{flavour}: {typed:?}");
    }
}

/// Logins name a user in any case in `check` too (the password comes from
/// `users:`), and a user `Postmaster@HOST` is the host's postmaster
/// mailbox, not a second one beside it.
#[test]
fn logins_and_the_postmaster_reach_users_in_any_case() {
    let base = scenario("postfix");
    let (head, _) = base.split_once("steps:\n").expect("the scenario has steps");
    let yaml = head
        .replace("    role: mx\n", "    role: mailstore\n")
        .replace("    domains: [example.com]\n", "    domains: [example.com, mx.example.com]\n")
        .replace("  - address: alice@example.com\n", "  - { address: alice@example.com, password: a1 }\n")
        .replace(
            "  - address: Carol@example.com\n",
            "  - { address: Carol@example.com, password: c1 }\n  - { address: Postmaster@mx.example.com, password: p1 }\n",
        )
        + "steps:\n  - send:\n      from_host: pc\n      via: mail\n      from: taro@example.ac.jp\n      to: [alice@example.com, carol@example.com, postmaster@example.com]\n      subject: Hello\n      body: hi\n  - wait: 1m\n  - pop3: { from_host: pc, server: mx, user: ALICE@Example.com }\n  - imap: { from_host: pc, server: mx, user: CAROL@example.com }\n  - pop3: { from_host: pc, server: mx, user: postmaster@mx.example.com }\nexpect:\n  - fetched: { step: 3, count: 1 }\n  - fetched: { step: 4, count: 1 }\n  - fetched: { step: 5, count: 1 }\n";
    run_passing(&yaml, "local-part-case-postfix");
}
