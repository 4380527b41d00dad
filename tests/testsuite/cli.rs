//! The command line as a user meets it: exit codes, messages, help.

use std::path::Path;
use std::process::Command;

/// `maillab ARGS` in an English (C) locale.
fn maillab(args: &[&str]) -> (i32, String, String) {
    maillab_in(&[("LANG", "C")], args)
}

/// `maillab ARGS` with these locale variables (the others unset).
fn maillab_in(locale: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_maillab"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    run_with_locale(cmd, locale, args)
}

/// Run `cmd` with `args`, these locale variables (the others unset) and no colours.
fn run_with_locale(mut cmd: Command, locale: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    cmd.args(args).env("NO_COLOR", "1");
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(v);
    }
    cmd.envs(locale.iter().copied());
    let out = cmd.output().expect("the maillab binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_passing_scenario_exits_0() {
    let (code, out, _) = maillab(&["run", "scenarios/relay-chain.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("passed, 0 failed"));
    assert!(out.contains("C: EHLO pc1.cs.example.ac.jp"));
    assert!(out.contains("Delivered messages"));
}

#[test]
fn failing_expectation_exits_1_and_says_what_was_seen() {
    let (code, out, _) = maillab(&["run", "tests/fixtures/fail-expect.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  step 1: a 550 reply to RCPT — expected 550, saw 250 to RCPT"), "{out}");
    assert!(out.contains("PASS  a message delivered to alice@example.com"), "{out}");
}

#[test]
fn json_events_have_the_documented_fields() {
    let (code, out, _) = maillab(&["run", "scenarios/relay-chain.yaml", "--format", "json"]);
    assert_eq!(code, 0);
    let mut kinds = std::collections::BTreeSet::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v["t"].as_str().is_some_and(|t| t.starts_with("2026-04-01T10:")), "{line}");
        assert!(v["host"].is_string() && v["kind"].is_string(), "{line}");
        let k = v["kind"].as_str().unwrap_or_default().to_string();
        if k.starts_with("smtp.") {
            assert!(v["session"].is_u64() && v["peer"].is_string() && v["line"].is_string(), "{line}");
        }
        kinds.insert(k);
    }
    for k in ["smtp.cmd", "smtp.reply", "dns.query", "dns.answer", "deliver", "log", "expect.pass"] {
        assert!(kinds.contains(k), "no {k} event in {kinds:?}");
    }
}

#[test]
fn maillog_view_prints_syslog_lines_of_one_host() {
    let (code, out, _) = maillab(&["run", "scenarios/relay-denial.yaml", "--maillog", "dept"]);
    assert_eq!(code, 0);
    assert!(out.lines().all(|l| l.contains(" minerva sendmail[")), "{out}");
    assert!(out.contains("ruleset=check_rcpt, arg1=<victim@example.org>, relay=ppp-192-216-194-73.tstonramp.example [192.216.194.73], reject=550 5.7.1 <victim@example.org>... Relaying denied"));
    let (code, _, err) = maillab(&["run", "scenarios/relay-denial.yaml", "--maillog", "nosuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no host named `nosuch`"));
}

#[test]
fn check_accepts_shipped_scenarios() {
    let (code, out, err) = maillab(&["check", "scenarios/relay-chain.yaml", "scenarios/relay-denial.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("relay-chain.yaml: ok"));
}

/// Each broken file gives FILE:LINE:COLUMN, the problem and a hint, and exit 2.
#[test]
fn check_reports_problems_with_positions() {
    let cases: &[(&str, &[&str])] = &[
        ("bad-unknown-field.yaml", &["bad-unknown-field.yaml:6:5: unknown key `adress`", "did you mean `address`?"]),
        ("bad-syntax.yaml", &["bad-syntax.yaml:6:", "hint:"]),
        ("bad-type.yaml", &["bad-type.yaml:10:23: `ten megabytes` is not a whole number", "hint:"]),
        (
            "bad-refs.yaml",
            &[
                "bad-refs.yaml:10:16: there is no host named `hubb`",
                "bad-refs.yaml:11:11: a second host is named `relay`",
                "bad-refs.yaml:13:14: address 192.0.2.2 is already used by host `relay`",
                "bad-refs.yaml:19:12: there is no host named `nowhere`",
                "bad-refs.yaml:21:12: malformed mail address",
                "bad-refs.yaml:23:20: there is no step 3",
                "hint: hosts are: pc, relay",
            ],
        ),
        (
            "bad-features.yaml",
            &[
                "bad-features.yaml:8:11: unknown auth mode `sometimes`",
                "bad-features.yaml:11:24: POP-before-SMTP needs the POP3/IMAP server on the same host",
                "bad-features.yaml:12:87: a retry interval of zero",
                "bad-features.yaml:16:5: step 1 has more than one action",
                "bad-features.yaml:18:36: the POP3/IMAP server must be a host with role mailstore, but `mx` is a mx",
                "bad-features.yaml:18:46: user alice@example.com has no password",
                "bad-features.yaml:19:5: step 3 does nothing",
                "bad-features.yaml:21:22: step 1 reads no mail",
            ],
        ),
        (
            "bad-submission.yaml",
            &[
                "bad-submission.yaml:4:60: `submission` is a setting of relay, hub, mx, mailstore and list hosts, not of a mua",
                "bad-submission.yaml:10:92: host `relay` does not listen on port 587",
                "hint: give host `relay` the setting `submission: true`, or send to port 25",
                "bad-submission.yaml:11:89: port 2525 is not an SMTP port here",
                "bad-submission.yaml:13:89: host `mx` does not listen on port 465",
            ],
        ),
    ];
    for (file, wants) in cases {
        let path = format!("tests/fixtures/{file}");
        let (code, _, err) = maillab(&["check", &path]);
        assert_eq!(code, 2, "{file}: {err}");
        for w in *wants {
            assert!(err.contains(w), "{file}: expected `{w}` in:\n{err}");
        }
        // `run` refuses the same file the same way.
        let (code, _, err2) = maillab(&["run", &path]);
        assert_eq!(code, 2);
        assert_eq!(err, err2);
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let (code, _, err) = maillab(&["check", "no/such/file.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the file"));
    let (code, _, _) = maillab(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, _) = maillab(&["run"]);
    assert_eq!(code, 2);
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["check", "--help"],
        &["serve", "--help"],
        &["graph", "--help"],
        &["web", "--help"],
    ] {
        let (code, out, _) = maillab(args);
        assert_eq!(code, 0);
        assert!(out.contains("Usage:"), "{args:?}");
    }
}

/// Japanese help: clap's own words too, none of the English left.
fn assert_japanese_help(out: &str, what: &str) {
    assert!(out.contains("使い方: maillab") && out.contains("オプション:"), "{what}:\n{out}");
    assert!(out.contains("-h, --help") && out.contains("ヘルプを表示します"), "{what}:\n{out}");
    for en in ["Usage:", "Options:", "Arguments:", "Commands:", "Print help", "[default:", "possible values"] {
        assert!(!out.contains(en), "{what}: `{en}` in\n{out}");
    }
}

#[test]
fn help_is_japanese_with_lang_ja_or_a_japanese_locale() {
    let (code, out, _) = maillab(&["--lang", "ja", "run", "--help"]);
    assert_eq!(code, 0);
    assert_japanese_help(&out, "--lang ja run --help");
    assert!(out.contains("引数:") && out.contains("シナリオファイル（YAML）") && out.contains("[既定: text]"), "{out}");
    assert!(out.contains("- json: トレースのイベントごとに一つの JSON オブジェクト"), "{out}");
    // `--lang` after the subcommand, and `--lang=ja`, count the same.
    for args in [&["run", "--help", "--lang", "ja"][..], &["--lang=ja", "run", "-h"]] {
        let (code, out, _) = maillab(args);
        assert_eq!(code, 0);
        assert_japanese_help(&out, &format!("{args:?}"));
    }
    let (code, out, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &["lesson", "--help"]);
    assert_eq!(code, 0);
    assert_japanese_help(&out, "LANG=ja_JP.UTF-8 lesson --help");
    assert!(out.contains("コマンド:") && out.contains("レッスンの一覧を表示します"), "{out}");
    // LC_ALL before LC_MESSAGES before LANG, and --lang before all of them.
    let (_, out, _) = maillab_in(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")], &["--help"]);
    assert!(out.contains("Usage:"), "{out}");
    let (_, out, _) = maillab_in(&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "C")], &["--help"]);
    assert_japanese_help(&out, "LC_MESSAGES=ja_JP.UTF-8");
    let (_, out, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &["--lang", "en", "--help"]);
    assert!(out.contains("Usage:"), "{out}");
    // Every student command, and the help subcommand at both levels.
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["web", "--help"],
        &["check", "--help"],
        &["lesson", "run", "--help"],
        &["lesson", "grade", "--help"],
        &["lesson", "list", "--help"],
        &["help", "serve"],
        &["lesson", "help", "run"],
    ] {
        let (code, out, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], args);
        assert_eq!(code, 0, "{args:?}");
        assert_japanese_help(&out, &format!("{args:?}"));
    }
    let (_, out, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &["help", "lesson", "run"]);
    assert!(out.contains("使い方: maillab lesson run"), "{out}");
}

#[test]
fn english_help_is_claps_own() {
    let (code, out, _) = maillab(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: maillab run [OPTIONS] <FILE>") && out.contains("[default: text]"), "{out}");
    assert!(out.contains("--lang <LANG>") && !out.contains("使い方"), "{out}");
    let (code, out, _) = maillab(&["help", "lesson", "run"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: maillab lesson run"), "{out}");
}

#[test]
fn the_run_summary_is_japanese_with_lang_ja() {
    let (code, out, _) = maillab(&["--lang", "ja", "run", "scenarios/relay-chain.yaml"]);
    assert_eq!(code, 0);
    for ja in [
        "summary  受け付けた宛先 1 件: ここで配送 0 件、中継 1 件、エラーメール 0 件、キューに残り 0 件",
        "run.end  経過した仮想時間: ",
        "配送されたメッセージ（ヘッダ部。Received: フィールドを下から上へ読むと経路がわかります）:",
        "== 10:00:00.730 · mx のメールボックス alice@example.com ==",
        "\n期待値 6 件: 成立 6 件、不成立 0 件\n",
        "PASS  ステップ 1: DATA への 250 応答 — 受け取った応答 `250 2.0.0 ",
        "PASS  alice@example.com に配送された件名に「Lunch」を含むメッセージ 1 通 — 見つかったのは 1 通\n",
        "PASS  /stat=Sent/ に合う dept のログ行 — `Apr  1 10:00:00 dept sendmail",
    ] {
        assert!(out.contains(ja), "no `{ja}` in\n{out}");
    }
    for en in ["expectation(s)", "Delivered messages", "recipient(s):", "virtual time elapsed", "reply to DATA"] {
        assert!(!out.contains(en), "`{en}` in\n{out}");
    }
    // The locale does the same; JSON keeps the trace's own (English) lines.
    let (_, out, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &["run", "scenarios/bounce.yaml"]);
    assert!(out.contains("期待値 ") && out.contains("エラーメール 3 件"), "{out}");
    let (_, out, _) = maillab(&["--lang", "ja", "run", "scenarios/relay-chain.yaml", "--format", "json"]);
    assert!(out.contains("virtual time elapsed") && !out.contains("経過"), "{out}");
    let (_, out, _) = maillab(&["run", "scenarios/relay-chain.yaml"]);
    assert!(out.contains("\n6 expectation(s): 6 passed, 0 failed\n") && !out.contains("期待値"), "{out}");
    let (code, out, _) = maillab(&["--lang", "ja", "run", "tests/fixtures/fail-expect.yaml"]);
    assert_eq!(code, 1);
    assert!(out.contains("FAIL  ステップ 1: RCPT への 550 応答 — 期待は 550、実際は RCPT への 250\n"), "{out}");
}

#[test]
fn check_says_ok_in_japanese() {
    let (code, out, _) = maillab(&["check", "--lang", "ja", "scenarios/relay-chain.yaml"]);
    assert_eq!(code, 0);
    assert_eq!(out, "scenarios/relay-chain.yaml: 正しい（ホスト 5 台、ステップ 1 個、期待値 6 件）\n");
}

#[test]
fn pictures_sequence_diagrams_and_graphs() {
    let (code, out, _) = maillab(&["run", "scenarios/relay-denial.yaml", "--seq", "mermaid"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("sequenceDiagram\n"));
    assert!(out.contains("outsider->>dept:") && out.contains("dept--xoutsider:"), "refusals are drawn as failures");
    // Lifelines in the order mail travels: the sender's PC, its relay, the
    // hub, the MX; a reader right of the mailstore it reads from; the DNS
    // server, which carries no mail, at the right.
    let participants = |file: &str, zoom: &str| {
        let (code, out, _) = maillab(&["run", file, "--seq", "mermaid", "--zoom", zoom]);
        assert_eq!(code, 0);
        out.lines().filter_map(|l| l.strip_prefix("  participant ")?.split(' ').next()).collect::<Vec<_>>().join(" ")
    };
    for zoom in ["lines", "sessions"] {
        assert_eq!(participants("scenarios/relay-chain.yaml", zoom), "pc1 dept hub mx ns", "{zoom}");
        assert_eq!(participants("scenarios/japanese-mail.yaml", zoom), "taro_pc mail ml hanako_pc ns", "{zoom}");
    }
    let (code, out, _) = maillab(&["run", "scenarios/relay-denial.yaml", "--seq", "svg", "--zoom", "sessions"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("<svg") && out.contains("Relaying denied") && out.contains("#c5221f"));
    for f in ["dot", "mermaid", "svg"] {
        let (code, out, _) = maillab(&["graph", "scenarios/relay-chain.yaml", "--format", f]);
        assert_eq!(code, 0);
        assert!(out.contains("mx.example.com"), "{f}: {out}");
    }
    let (code, _, err) = maillab(&["graph", "tests/fixtures/bad-refs.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad-refs.yaml:10:16"));
}

/// `graph` draws its words in the language of `--lang` or the locale, and so
/// does the network picture of a Japanese HTML report; English stays English.
#[test]
fn the_network_picture_is_japanese_in_japanese() {
    for f in ["dot", "mermaid", "svg"] {
        let args = ["graph", "scenarios/relay-chain.yaml", "--format", f];
        let (code, en, _) = maillab(&args);
        assert_eq!(code, 0);
        assert!(en.contains("latency 40ms") && !en.contains("遅延"), "{f}: {en}");
        let (code, ja, _) = maillab(&[&args[..], &["--lang", "ja"]].concat());
        assert_eq!(code, 0);
        assert!(ja.contains("遅延 40ms") && !ja.contains("latency"), "{f}: {ja}");
        let (_, by_locale, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &args);
        assert_eq!(by_locale, ja, "{f}");
    }
    let (_, help, _) = maillab(&["--lang", "ja", "graph", "--help"]);
    assert!(
        help.contains("図の言葉（回線の遅延、本物のサーバが演じるホストの印）は --lang の言語になります"),
        "{help}"
    );

    let dir = std::env::temp_dir().join(format!("maillab-graph-ja-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let html = dir.join("r.html");
    let path = html.to_str().expect("utf-8");
    let (code, _, err) = maillab(&["--lang", "ja", "run", "scenarios/relay-chain.yaml", "--html", path]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains(">遅延 40ms</text>") && !page.contains("latency"), "{page}");
    let (code, _, err) = maillab(&["run", "scenarios/relay-chain.yaml", "--html", path]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains(">latency 40ms</text>") && !page.contains("遅延"), "{page}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `run --seq` draws its words in the language of `--lang` or the locale
/// (a session, a connection that failed), and so do both sequence diagrams
/// of a Japanese HTML report; protocol lines stay as on the wire, English
/// stays English.
#[test]
fn the_sequence_diagrams_are_japanese_in_japanese() {
    let failed = (
        "mx1 [198.51.100.25]:25: Connection timed out",
        "mx1 [198.51.100.25]:25 に接続できません: Connection timed out",
    );
    for f in ["mermaid", "svg"] {
        for zoom in ["lines", "sessions"] {
            let args = ["run", "scenarios/mx-fallback.yaml", "--seq", f, "--zoom", zoom];
            let (code, en, _) = maillab(&args);
            assert_eq!(code, 0);
            assert!(en.contains(&format!("connect to {}", failed.0)) && !en.contains("接続"), "{f} {zoom}: {en}");
            let (code, ja, _) = maillab(&[&args[..], &["--lang", "ja"]].concat());
            assert_eq!(code, 0);
            assert!(ja.contains(failed.1) && !ja.contains("connect to"), "{f} {zoom}: {ja}");
            let (_, by_locale, _) = maillab_in(&[("LANG", "ja_JP.UTF-8")], &args);
            assert_eq!(by_locale, ja, "{f} {zoom}");
            if zoom == "sessions" {
                assert!(en.contains("SMTP session") && !en.contains("セッション"), "{f}: {en}");
                assert!(ja.contains("SMTP セッション") && !ja.contains("session"), "{f}: {ja}");
            } else {
                assert!(ja.contains("EHLO ") && ja.contains("250 "), "{f}: protocol lines as on the wire: {ja}");
            }
        }
    }
    let (_, help, _) = maillab(&["--lang", "ja", "run", "--help"]);
    assert!(help.contains("トレースの代わりに、実行のシーケンス図を --lang の言語で表示します。"), "{help}");

    let dir = std::env::temp_dir().join(format!("maillab-seq-ja-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let html = dir.join("r.html");
    let path = html.to_str().expect("utf-8");
    let (code, _, err) = maillab(&["--lang", "ja", "run", "scenarios/mx-fallback.yaml", "--html", path]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains(">SMTP セッション</text>") && page.contains(&format!(">{}</text>", failed.1)), "{page}");
    assert!(!page.contains("SMTP session") && !page.contains("connect to"), "{page}");
    let (code, _, err) = maillab(&["run", "scenarios/mx-fallback.yaml", "--html", path]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains(">SMTP session</text>") && !page.contains("セッション"), "{page}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn committed_schemas_match_the_code() {
    for (what, file) in [("scenario", "schemas/scenario.schema.json"), ("lesson", "schemas/lesson.schema.json")] {
        let (code, out, _) = maillab(&["schema", what]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["additionalProperties"], serde_json::Value::Bool(false), "unknown keys are refused");
        let committed =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect("committed schema");
        assert_eq!(committed.trim_end(), out.trim_end(), "{file} is stale: run `maillab schema {what} > {file}`");
    }
}

/// A question a variant's run cannot answer yet (aliases-list's copies
/// are still being delivered when step 1 ends) is named at its checkpoint's
/// line, with why and a student ID that gets the variant (user trial h20:
/// the message had no position and said only "the run never gets there").
#[test]
fn check_names_a_question_asked_too_early_at_its_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("maillab-early-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lessons")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy(root.join("scenarios/aliases-list.yaml"), dir.join("scenarios/aliases-list.yaml")).unwrap();
    let lesson = "lesson: 1\nname: early\ntitle: { en: T, ja: T }\nscenario: aliases-list\nsections:\n  - text: { en: x, ja: x }\n    run_to_step: 1\n    checkpoints:\n      - id: tora-hops\n        question: { en: q, ja: q }\n        from_trace:\n          received_count: { to: tora@pp.nyaoon.example }\n";
    let file = dir.join("lessons/early.yaml");
    std::fs::write(&file, lesson).unwrap();
    let f = file.to_str().unwrap();
    let (code, _, err) = maillab(&["check", f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{f}:9:13: in the variant ")), "{err}");
    assert!(
        err.contains("checkpoint `tora-hops` has no answer: what it asks about has not happened by the end of step 1"),
        "{err}"
    );
    assert!(err.contains(&format!("`maillab lesson run {f} --student student-")), "{err}");
    let (_, _, err) = maillab(&["--lang", "ja", "check", f]);
    assert!(err.contains("問われていることがステップ 1 の終わり"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A missing answers file is named as one, not with the scenarios' hint
/// (user trial h20: 「シナリオは scenarios/ フォルダにあります」).
#[test]
fn a_missing_answers_file_gets_its_own_hint() {
    let nope = std::env::temp_dir().join(format!("maillab-no-answers-{}.yaml", std::process::id()));
    let nope = nope.to_str().unwrap();
    let (code, _, err) = maillab(&["lesson", "grade", "01-addresses-and-messages", "--answers", nope]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("hint: check the path of the answers file") && !err.contains("scenarios/"), "{err}");
    let (_, _, err) = maillab(&["--lang", "ja", "lesson", "grade", "01-addresses-and-messages", "--answers", nope]);
    assert!(err.contains("解答ファイルのパスを確かめてください") && !err.contains("シナリオ"), "{err}");
}

#[test]
fn check_reads_answer_keys_against_their_lesson() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, _) =
        maillab(&["check", root.join("lessons/01-addresses-and-messages.answers.yaml").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("answer key of lesson 01-addresses-and-messages, 9 of 9 checkpoints answered"), "{out}");
    // A key naming a checkpoint the lesson does not have is an error with its line.
    let dir = std::env::temp_dir().join(format!("maillab-answers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lessons")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy(root.join("scenarios/relay-chain.yaml"), dir.join("scenarios/relay-chain.yaml")).unwrap();
    std::fs::copy(root.join("lessons/01-addresses-and-messages.yaml"), dir.join("lessons/x.yaml")).unwrap();
    std::fs::write(dir.join("lessons/x.answers.yaml"), "# key\nno-such-checkpoint: a\n").unwrap();
    let (code, _, err) = maillab(&["check", dir.join("lessons/x.answers.yaml").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("x.answers.yaml:2:1: `no-such-checkpoint` is not a checkpoint of lesson"), "{err}");
    // A key is graded as a student's answers are: a wrong answer is an error at its line.
    std::fs::write(dir.join("lessons/x.answers.yaml"), "# key\ndata-code: 250\nreceived-count: 4\n").unwrap();
    let (code, _, err) = maillab(&["check", dir.join("lessons/x.answers.yaml").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("x.answers.yaml:3:1: `received-count`: `4` is graded wrong: the lesson expects 3"), "{err}");
    assert!(!err.contains("data-code"), "{err}");
    // A key that leaves checkpoints out still reads, with a warning naming them.
    let key = std::fs::read_to_string(root.join("lessons/01-addresses-and-messages.answers.yaml")).unwrap();
    let key: String = key.lines().filter(|l| !l.starts_with("first-hop:")).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("lessons/x.answers.yaml"), key).unwrap();
    let x = dir.join("lessons/x.answers.yaml");
    let (code, out, err) = maillab(&["check", x.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("8 of 9 checkpoints answered"), "{out}");
    assert!(err.contains("x.answers.yaml: warning: no answer to 1 checkpoint: `first-hop`\n"), "{err}");
    let (code, _, err) = maillab(&["--lang", "ja", "check", x.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("x.answers.yaml: 警告: チェックポイント 1 個に答えがありません: `first-hop`\n"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A password sent before STLS on a host that requires TLS: refused at
/// once, no auth delay (Dovecot's login process never asks its auth
/// process), and Dovecot's `Aborted login (tried to use disallowed
/// plaintext auth)` line when the session ends.
#[test]
fn a_plaintext_login_before_tls_is_logged_as_dovecot_does() {
    let (code, out, err) = maillab(&["run", "tests/fixtures/tls-plaintext-refused.yaml"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("3 expectation(s): 3 passed, 0 failed"), "{out}");
    assert!(!out.contains("auth.delay"), "a refusal before TLS is not a failed login: {out}");
}

/// Implicit TLS (RFC 8314): submission on 465, IMAPS on 993, POP3S on 995;
/// Dovecot's login lines say TLS.
#[test]
fn implicit_tls_ports_carry_submission_imap_and_pop3() {
    let (code, out, err) = maillab(&["run", "tests/fixtures/tls-mailstore.yaml"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("4 expectation(s): 4 passed, 0 failed"), "{out}");
    assert!(out.contains("on port 993 (TLS)") && out.contains("on port 995 (TLS)"), "{out}");
    assert_eq!(out.matches("tls.handshake  TLS established: TLSv1.3").count(), 3, "{out}");
}

/// `run --format json` prints each event as it happens, from a thread of its
/// own, in chunks: the output is the whole trace's JSON lines, in order,
/// the last (partial) chunk and the expectations' results included.
#[test]
fn streamed_json_lines_are_the_whole_trace() {
    let dir = std::env::temp_dir().join(format!("maillab-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    // A post to an alias of 700 members: several chunks of the writer.
    let members: Vec<String> = (0..700).map(|i| format!("m{i}@d{}.example", i % 4)).collect();
    let big = format!(
        "version: 1
name: stream-batches
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - {{ name: lists, role: mx, address: 192.0.2.25, hostname: lists.example.org, domains: [lists.example.org],
      aliases: {{ big: [{}] }} }}
  - {{ name: ns, role: dns, address: 192.0.2.53, zones: {{ members.example: [\"mx A 198.51.100.20\"],
      d0.example: [\"@ MX 10 mx.members.example.\"], d1.example: [\"@ MX 10 mx.members.example.\"],
      d2.example: [\"@ MX 10 mx.members.example.\"], d3.example: [\"@ MX 10 mx.members.example.\"] }} }}
  - {{ name: members, role: mx, address: 198.51.100.20, hostname: mx.members.example,
      domains: [d0.example, d1.example, d2.example, d3.example] }}
users:
{}
steps:
  - send: {{ from_host: pc, via: lists, from: a@lists.example.org, to: [big@lists.example.org], subject: hello }}
expect:
  - delivered: {{ to: m699@d3.example, count: 1 }}
",
        members.join(", "),
        members.iter().map(|m| format!("  - {{ address: {m} }}")).collect::<Vec<_>>().join("\n")
    );
    let big_path = dir.join("big.yaml");
    std::fs::write(&big_path, big).expect("write the scenario");
    let mut files = vec![big_path];
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).expect("scenarios/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|x| x == "yaml") {
            files.push(path);
        }
    }
    let mut longest = 0;
    for path in files {
        let sc = maillab::scenario::load_file(&path).unwrap_or_else(|d| panic!("{}:\n{d}", path.display()));
        let whole = maillab::lab::run_with(&sc, maillab::lab::RunOptions { wire: false }).expect("runtime starts");
        let want = maillab::trace::render::json_lines(&whole.events);
        // The hand-written lines are serde_json's text of the derived Serialize.
        let by_serde: String = whole
            .events
            .iter()
            .filter(|e| e.kind != maillab::trace::Kind::Wire)
            .map(|e| serde_json::to_string(e).expect("serialises") + "\n")
            .collect();
        assert!(want == by_serde, "{}: the JSON lines differ from serde_json's", path.display());
        let (code, out, err) = maillab(&["run", &path.display().to_string(), "--format", "json"]);
        assert_eq!(code, if whole.failed == 0 { 0 } else { 1 }, "{}: {err}", path.display());
        assert!(out == want, "{}: the streamed lines differ from the whole trace's", path.display());
        longest = longest.max(whole.events.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(longest > 3 * 1024, "the longest run has only {longest} events: one chunk or two");
}

/// `maillab run` with the text trace makes each line as its event happens
/// and keeps lines, not events; what it prints is what the whole trace
/// gives (the path `--html` takes, which keeps the trace), in English and
/// Japanese, with and without the delivered messages, for every shipped
/// scenario.
#[test]
fn streamed_text_is_the_whole_traces_text() {
    let dir = std::env::temp_dir().join(format!("maillab-stream-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let html = dir.join("report.html").display().to_string();
    let mut n = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).expect("scenarios/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let file = path.display().to_string();
        // The whole trace's text as it was made before the text was streamed:
        // the width from every event, each line padded to it, then the messages.
        let sc = maillab::scenario::load_file(&path).unwrap_or_else(|d| panic!("{file}:\n{d}"));
        let whole = maillab::lab::run_with(&sc, maillab::lab::RunOptions { wire: false }).expect("runtime starts");
        let shown: Vec<_> = whole.events.iter().filter(|e| e.kind != maillab::trace::Kind::Wire).collect();
        let w = shown
            .iter()
            .map(|e| e.host.len().max(e.peer.as_deref().map_or(0, str::len)))
            .max()
            .unwrap_or(8)
            .clamp(6, 14);
        let mut reference: String =
            shown.iter().map(|e| maillab::trace::render::text_line(e, w, false, false) + "\n").collect();
        reference.push_str(&maillab::trace::render::delivered(&whole.events, false, false));
        let opts = maillab::trace::render::TextOptions { color: false, messages: true, ja: false };
        assert!(
            maillab::trace::render::text(&whole.events, opts) == reference,
            "{file}: the text differs from the reference"
        );
        for (lang, extra) in [("en", &[][..]), ("ja", &[][..]), ("en", &["--no-messages"][..])] {
            {
                let mut streamed = vec!["--lang", lang, "run", &file];
                streamed.extend_from_slice(extra);
                let mut whole = streamed.clone();
                whole.extend_from_slice(&["--html", &html]);
                let (code_s, out_s, err_s) = maillab(&streamed);
                let (code_w, out_w, _) = maillab(&whole);
                assert_eq!(code_s, code_w, "{file} {lang}: {err_s}");
                assert!(
                    out_s == out_w,
                    "{file} --lang {lang} {extra:?}: the streamed text differs from the whole trace's"
                );
                assert!(out_s.lines().count() > 20, "{file}: hardly any text");
                n += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(n >= 3 * 20, "only {n} runs compared");
}

/// `maillab new --help` lists the arguments in the order of its usage line,
/// in Japanese as in English.
#[test]
fn new_help_lists_its_arguments_in_usage_order() {
    for lang in ["en", "ja"] {
        for flag in ["-h", "--help"] {
            let (code, out, _) = maillab(&["new", flag, "--lang", lang]);
            assert_eq!(code, 0, "{out}");
            assert!(out.contains("maillab new [OPTIONS] <WHAT> <NAME>"), "{out}");
            let (what, name) = (out.rfind("  <WHAT>"), out.rfind("  <NAME>"));
            assert!(what.is_some() && what < name, "--lang {lang} {flag}: <WHAT> is not listed before <NAME>:\n{out}");
        }
    }
}

/// `maillab ARGS` in `dir`, with these locale variables (the others unset).
fn maillab_at(dir: &Path, locale: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_maillab"));
    cmd.current_dir(dir).env("MAILLAB_HOME", dir.join("home"));
    run_with_locale(cmd, locale, args)
}

fn has_japanese(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

/// The comment lines of a file.
fn comment_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.trim_start().starts_with('#')).collect()
}

/// `maillab new scenario` and `maillab new lesson` write the same YAML with
/// English or Japanese comments (by `--lang` or the locale); every file passes
/// `maillab check`, and the lesson's answer key is right: graded 100%.
#[test]
fn new_writes_the_same_files_with_comments_in_the_readers_language() {
    let root = std::env::temp_dir().join(format!("maillab-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let files = ["scenarios/t.yaml", "lessons/t.yaml", "lessons/t.answers.yaml"];
    let mut written: Vec<Vec<String>> = Vec::new();
    for (lang, locale, flag) in
        [("en", ("LANG", "C"), None), ("ja", ("LANG", "C"), Some("ja")), ("ja-locale", ("LANG", "ja_JP.UTF-8"), None)]
    {
        let dir = root.join(lang);
        std::fs::create_dir_all(&dir).unwrap();
        for what in ["scenario", "lesson"] {
            let mut args = vec!["new", what, "t"];
            args.extend(flag.iter().flat_map(|l| ["--lang", *l]));
            let (code, out, err) = maillab_at(&dir, &[locale], &args);
            assert_eq!(code, 0, "{lang} {what}: {out}{err}");
        }
        let (code, out, err) = maillab_at(&dir, &[("LANG", "C")], &["check", files[0], files[1], files[2]]);
        assert_eq!(code, 0, "{lang}: {out}{err}");
        assert!(out.contains("answer key of lesson t, 4 of 4 checkpoints answered"), "{lang}: {out}");
        let (code, out, err) =
            maillab_at(&dir, &[("LANG", "C")], &["lesson", "grade", "t", "--answers", "lessons/t.answers.yaml"]);
        assert_eq!(code, 0, "{lang}: {out}{err}");
        assert!(out.contains("4 of 4 points (100%)"), "{lang}: the template's answer key is not right:\n{out}");
        let texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(dir.join(f)).unwrap()).collect();
        for (f, t) in files.iter().zip(&texts) {
            let comments = comment_lines(t);
            assert!(!comments.is_empty(), "{lang} {f}");
            let japanese = comments.iter().filter(|c| has_japanese(c)).count();
            if lang == "en" {
                assert_eq!(japanese, 0, "{f}: Japanese comments in English:\n{t}");
            } else {
                assert!(japanese * 2 > comments.len(), "{lang} {f}: the comments are not Japanese:\n{t}");
            }
        }
        written.push(texts);
    }
    // The same keys and values in every language.
    for (i, f) in files.iter().enumerate() {
        let v = |t: &str| serde_saphyr::from_str::<serde_json::Value>(t).expect("YAML");
        assert_eq!(v(&written[0][i]), v(&written[1][i]), "{f}: the English and the Japanese YAML differ");
        assert_eq!(written[1][i], written[2][i], "{f}: --lang ja and a Japanese locale differ");
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// `maillab new` never overwrites a file (a lesson's answer key included:
/// then nothing is written), and refuses a name unfit for a file or lesson.
#[test]
fn new_overwrites_nothing_and_refuses_unfit_names() {
    let dir = std::env::temp_dir().join(format!("maillab-new-refused-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = [("LANG", "C")];
    assert_eq!(maillab_at(&dir, &c, &["new", "lesson", "t"]).0, 0);
    std::fs::write(dir.join("lessons/t.answers.yaml"), "mine: 1\n").unwrap();
    let (code, _, err) = maillab_at(&dir, &c, &["new", "lesson", "t"]);
    assert_eq!(code, 2);
    assert!(err.contains("lessons/t.yaml, lessons/t.answers.yaml exist already; nothing written"), "{err}");
    std::fs::remove_file(dir.join("lessons/t.yaml")).unwrap();
    let (code, _, err) = maillab_at(&dir, &[("LANG", "ja_JP.UTF-8")], &["new", "lesson", "t"]);
    assert_eq!(code, 2);
    assert!(err.contains("lessons/t.answers.yaml はもうあります。何も書き出していません"), "{err}");
    assert!(!dir.join("lessons/t.yaml").exists(), "the lesson was written without its key");
    assert_eq!(std::fs::read_to_string(dir.join("lessons/t.answers.yaml")).unwrap(), "mine: 1\n");
    for (what, name) in [
        ("scenario", "bad name"),
        ("lesson", "bad name"),
        ("scenario", "a/b"),
        ("scenario", ".hidden"),
        ("lesson", "t.answers"),
        ("lesson", "sub/bad name.yaml"),
        ("scenario", "x;y"),
        ("scenario", ""),
    ] {
        let (code, out, err) = maillab_at(&dir, &c, &["new", what, name]);
        assert_eq!(code, 2, "{name:?}: {out}");
        assert!(err.contains(&format!("cannot be the name of a {what}")) && err.contains("hint:"), "{name:?}: {err}");
        let (code, _, err) = maillab_at(&dir, &c, &["new", what, name, "--lang", "ja"]);
        assert_eq!(code, 2);
        assert!(err.contains("の名前に使えません") && err.contains("ヒント:"), "{name:?}: {err}");
    }
    assert!(!dir.join("scenarios").exists() && !dir.join("sub").exists(), "a refused name wrote a file");
    // A path ending in .yaml names the file; the key goes beside it.
    let (code, out, _) = maillab_at(&dir, &c, &["new", "lesson", "sub/ok.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(dir.join("sub/ok.answers.yaml").exists() && out.contains("sub/ok.answers.yaml"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An expectation's result is worded in the reader's language wherever it
/// is shown: the text trace, the HTML report, and `check` when one
/// student's variant fails it.
#[test]
fn expectation_results_are_japanese_in_every_view() {
    let dir = std::env::temp_dir().join(format!("maillab-expect-ja-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let html = dir.join("r.html");
    let (code, _, err) =
        maillab(&["--lang", "ja", "run", "scenarios/relay-chain.yaml", "--html", html.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains("<html lang=\"ja\">"), "{page}");
    assert!(page.contains("<li class=\"pass\">/stat=Sent/ に合う dept のログ行 — "), "{page}");
    assert!(!page.contains("a log line of dept"), "{page}");
    let (_, out, _) = maillab(&["run", "scenarios/relay-chain.yaml", "--html", html.to_str().expect("utf-8")]);
    assert!(out.contains("passed, 0 failed"), "{out}");
    let page = std::fs::read_to_string(&html).expect("the report");
    assert!(page.contains("<li class=\"pass\">a log line of dept matching /stat=Sent/"), "{page}");

    // The second variant expects a second message that never comes.
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fail-expect.yaml"))
        .expect("fixture")
        .replace("  - reply: { step: 1, code: 550, command: RCPT }\n", "")
        .replace("delivered: { to: alice@example.com }", "delivered: { to: alice@example.com, count: ${n} }")
        + "variants:\n  vars:\n    n: { choices: [1, 2] }\n";
    let file = dir.join("variants.yaml");
    std::fs::write(&file, src).expect("write");
    let (code, _, err) = maillab(&["--lang", "ja", "check", file.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("期待値が成り立ちません: alice@example.com に配送されたメッセージ 2 通 — 見つかったのは 1 通"),
        "{err}"
    );
    // A variant is a 版, as the Japanese book calls it.
    assert!(
        err.contains(": 版 n=") && err.contains("--student student-") && err.contains("でこの版を実行できます"),
        "{err}"
    );
    let (code, _, err) = maillab(&["check", file.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the expectation fails: 2 message(s) delivered to alice@example.com — found 1"), "{err}");
    // A lesson over that scenario does not say its variants meet their
    // expectations: its check fails the same way, at the scenario's line.
    let lesson = dir.join("over-variants.yaml");
    std::fs::write(
        &lesson,
        "lesson: 1\nname: over-variants\ntitle: { en: t, ja: t }\nscenario: variants.yaml\nsections:\n  - text: { en: a, ja: a }\n    checkpoints:\n      - id: q\n        question: { en: q, ja: q }\n        choice: { options: [{ en: a, ja: a }, { en: b, ja: b }], answer: 1 }\n",
    )
    .expect("write");
    let (code, out, err) = maillab(&["check", lesson.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("meet their expectations"), "{out}");
    assert!(err.contains("variants.yaml:") && err.contains("the expectation fails: 2 message(s)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A variant is named by its values wherever it is shown (`run`, `check`;
/// `lesson run` in lessons.rs), not as the N-th choice (`members=#2`).
#[test]
fn variants_are_shown_by_their_values() {
    let dir = std::env::temp_dir().join(format!("maillab-variant-label-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/aliases-list.yaml"))
        .expect("shipped");
    // An expectation that holds only for the lecture's three members.
    let src = src.replacen("expect:\n", "expect:\n  - delivered: { to: neko@pp.nyaoon.example, count: 0 }\n", 1);
    let file = dir.join("v.yaml");
    std::fs::write(&file, src).expect("write");
    let file = file.to_str().expect("utf-8");
    let (code, _, err) = maillab(&["check", "--lang", "ja", file]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("版 members={count: 4, deliveries: 8} で: 期待値が成り立ちません"), "{err}");
    assert!(!err.contains("=#"), "{err}");
    let (_, _, err) = maillab(&["run", file, "--student", "s123", "--lang", "en"]);
    assert!(err.contains("maillab: variant of student s123: members={count: 5, deliveries: 10}"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
