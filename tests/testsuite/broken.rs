//! The corpus of broken files (`tests/fixtures/broken/`): each `NAME.yaml` is
//! checked with `maillab check --lang en`, each `NAME.args` runs those
//! arguments, and the exit code, stdout and stderr must be exactly those in
//! `NAME.expected`. A message that changes fails here until the corpus
//! changes with it: `MAILLAB_UPDATE_BROKEN=1 cargo test --test testsuite broken::`
//! rewrites the `.expected` files (read the diff before committing it).

use std::path::Path;
use std::process::Command;

const DIR: &str = "tests/fixtures/broken";

fn run(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("the maillab binary runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_broken_file_gets_its_expected_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .expect("the corpus folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".args"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "the corpus holds at least 15 kinds of mistake");
    let update = std::env::var_os("MAILLAB_UPDATE_BROKEN").is_some();
    let mut failed = Vec::new();
    for n in &names {
        let (stem, args) = if let Some(stem) = n.strip_suffix(".args") {
            let text = std::fs::read_to_string(root.join(n)).expect("an args file");
            (stem, text.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        } else {
            let stem = n.trim_end_matches(".yaml");
            (stem, vec!["check".into(), "--lang".into(), "en".into(), format!("{DIR}/{n}")])
        };
        let got = run(&args);
        assert!(!got.contains("panicked"), "{n}: {got}");
        let expected_path = root.join(format!("{stem}.expected"));
        if update {
            std::fs::write(&expected_path, &got).expect("write the expected output");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if want != got {
            failed.push(format!("{n}:\n--- expected\n{want}\n--- got\n{got}"));
        }
    }
    assert!(failed.is_empty(), "messages changed without the corpus:\n{}", failed.join("\n"));
}

/// The same mistakes in Japanese: at least the words change, the positions do not.
#[test]
fn broken_files_are_explained_in_japanese_too() {
    for (file, want) in [
        ("tab.yaml", "tab.yaml:5:1: タブ文字があります"),
        ("over-indented-key.yaml", "over-indented-key.yaml:11:6: このキーは 6 列目から始まり、すぐ上の `address:`"),
        ("not-indented-under.yaml", "すぐ上の `allow_relay:` に値がありません。`networks` がその中身なら"),
        ("empty.yaml", "ファイルが空です"),
        ("relay-refuses.yaml", "relay-refuses.yaml:32:12: 警告: ホスト `relay` は"),
        ("huge-at.yaml", "huge-at.yaml:28:9: `99999999999999999d` は長すぎます: 最長 365 日です"),
        ("misspelt-host.yaml", "`relay` の書き間違いではありませんか?"),
        ("misspelt-role.yaml", "misspelt-role.yaml:9:11: `relya` という役割はありません"),
        ("lesson-misspelt-scenario.yaml", "`../../../scenarios/relay-chain.yaml` の書き間違いではありませんか?"),
        ("duplicate-key.yaml", "duplicate-key.yaml:26:5: `domains` が 2 回書かれています (1 回目は 25 行目)"),
        ("missing-address.yaml", "missing-address.yaml:21:5: 必須のキー `address` がありません"),
        ("negative-seed.yaml", "negative-seed.yaml:3:7: `-1` は 0 から 18,446,744,073,709,551,615 までの整数"),
        ("unclosed-quote.yaml", "unclosed-quote.yaml:3:7: この引用符はこの行で閉じられていません"),
        (
            "lesson-bad-pattern.yaml",
            "13:30: `/(e)?smtp(s/` は正規表現として読めません: この `(` で始まるグループが閉じられていません",
        ),
        (
            "regex-bad-expect.yaml",
            "regex-bad-expect.yaml:36:32: `*@example.com` は正規表現として読めません: `*` は直前のものを繰り返す記号ですが",
        ),
        (
            "regex-bad-expect.yaml",
            "ヒント: `)` で閉じるか、括弧そのものなら `\\\\(` と書いてください (二重引用符の中では",
        ),
        ("yaml-escape.yaml", "yaml-escape.yaml:35:45: `\\(` は二重引用符の中のエスケープではありません"),
        (
            "dns-mx-cname.yaml",
            "dns-mx-cname.yaml:20:21: 警告: MX が指す `mail.example.com.` は別名 (`mx.example.com.` の CNAME) です",
        ),
        ("dns-mx-cname.yaml", "dns-mx-cname.yaml:21:18: 警告: NS が指す `dns.example.com.` は別名"),
        ("subject-injection.yaml", "subject-injection.yaml:34:16: 件名は 1 行です: 復帰 (CR、`\\r`) が入っています"),
        (
            "long-line.yaml",
            "メールアドレスの形が正しくありません: `u601@@example.com` のローカル部に使えない文字があります",
        ),
        (
            "bad-dns.yaml",
            "bad-dns.yaml:20:12: DNS レコード `mx.example.com A 198.51.100.25` が正しくありません: `mx.example.com` は最後にドットがない",
        ),
        ("misspelt-kind.yaml", "misspelt-kind.yaml:34:20: `delivr` はイベントの種類ではありません"),
        ("client-header.yaml", "ヒント: 件名は `subject:` に書いてください"),
        ("bad-start.yaml", "は日時として読めません: 範囲外の値があります"),
        (
            "duration-word.yaml",
            "duration-word.yaml:29:9: `minute` は時間の単位ではありません。単位は ms (ミリ秒)、s (秒)、m (分)、h (時間)、d (日) です: `1m` と書いてください",
        ),
        ("several-items.yaml", "several-items.yaml:29:7: `too` というキーはありません"),
        ("lesson-several-items.yaml", "lesson-several-items.yaml:13:32: `acept` というキーはありません"),
        (
            "lesson-plain-options.yaml",
            "lesson-plain-options.yaml:12:21: `options` の各項目は言語ごとの文 (`en:`、`ja:`) で書きます (`25` だけでは書けません)",
        ),
        (
            "under-indent.yaml",
            "under-indent.yaml:25:4: この行は 4 列目から始まっていて、前のキーとそろっていません: それらのキーは 5 列目から始まります",
        ),
        (
            "unclosed-flow-list.yaml",
            "unclosed-flow-list.yaml:33:11: この `[` で始まるリストが `]` で閉じられていません: YAML は 34 行目まで続きとして読みます",
        ),
        (
            "unclosed-flow-map.yaml",
            "unclosed-flow-map.yaml:35:16: この `{` で始まるキーと値の並びが `}` で閉じられていません",
        ),
        (
            "unclosed-flow-at-end.yaml",
            "unclosed-flow-at-end.yaml:35:16: この `{` で始まるキーと値の並びが `}` で閉じられないまま",
        ),
        ("anchor-without-name.yaml", "anchor-without-name.yaml:3:7: 値の先頭の `&` と `*` は"),
        ("reserved-character.yaml", "reserved-character.yaml:11:15: 引用符のない値は `@` で始められません"),
        ("block-scalar-indent.yaml", "block-scalar-indent.yaml:4:2: この文章のブロック (`|` や `>`) の行が"),
        ("hex-escape.yaml", "hex-escape.yaml:3:7: 二重引用符の中の `\\x`、`\\u`、`\\U` の後には"),
        ("directive.yaml", "directive.yaml:1:1: `%` で始まる行は YAML の指示で"),
        (
            "variant-range-length.yaml",
            "variant-range-length.yaml:30:16: このリストには項目が 1 個ありますが、ここには 2 個書きます",
        ),
        ("variant-range-words.yaml", "variant-range-words.yaml:30:24: `ten` は 整数ではありません"),
        ("variant-choice-bool.yaml", "variant-choice-bool.yaml:33:31: YAML は `no` を true か false と読みます"),
    ] {
        let got = run(&["check".into(), "--lang".into(), "ja".into(), format!("{DIR}/{file}")]);
        assert!(got.contains(want), "{file}: expected `{want}` in:\n{got}");
        assert!(got.contains("ヒント: "), "{file}: {got}");
    }
}

/// In Japanese, no message or hint of these files falls back to an English sentence.
#[test]
fn japanese_diagnostics_do_not_mix_in_english() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .expect("the corpus folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let english = [
        " is not ",
        "unknown ",
        "write ",
        " has no ",
        "must be ",
        "did you mean",
        "give ",
        " use ",
        " needs ",
        "input ",
    ];
    let japanese = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}');
    let mut mixed = Vec::new();
    for n in &names {
        let got = run(&["check".into(), "--lang".into(), "ja".into(), format!("{DIR}/{n}")]);
        // Each message (`FILE:LINE:COLUMN: …`, what follows the position) and
        // each hint; not the exit status, the stream headings or the quoted source lines.
        let said = got.lines().filter_map(|l| match l.strip_prefix("  ヒント: ") {
            Some(hint) => Some(hint),
            None if l.starts_with(DIR) => l.split_once(": ").map(|(_, m)| m),
            None => None,
        });
        for text in said {
            if let Some(w) = english.iter().find(|w| text.contains(*w)) {
                mixed.push(format!("{n}: `{w}` in {text}"));
            } else if !text.chars().any(japanese) {
                mixed.push(format!("{n}: no Japanese in {text}"));
            }
        }
    }
    assert!(mixed.is_empty(), "English in the Japanese diagnostics:\n{}", mixed.join("\n"));
}
