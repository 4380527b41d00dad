//! Every spelling YAML has for a key the loader reads as an answer field
//! (explicit `?` keys, tags, quotes and escapes, `!!binary`), and the forms
//! that could bring an answer past the stripper (merge keys outside a
//! checkpoint, anchors in what is cut, `${…}` keys, a second document):
//! each is withheld like the plain form, or refused where it is written.

use super::super::exam::{EXAM_HEADER, exam_copy};
use super::super::{Kind, Lesson, load_str};
use super::*;
use std::path::{Path, PathBuf};

/// A lesson whose every key holds a word starting with SECRET.
const KEYS: &str = r##"lesson: 1
name: keys
title: { en: Keys, ja: 鍵 }
scenario: relay-chain
sections:
  - text: { en: Read the trace., ja: トレースを読みましょう。 }
    checkpoints:
      - id: proto
        question: { en: Protocol?, ja: プロトコル？ }
        short:
          answer: SECRETSHORT
          accept: [SECRETACCEPT]
        hint: { en: SECRETHINT, ja: ヒント }
        explain: { en: SECRETEXPLAIN, ja: 説明 }
      - id: port
        question: { en: Port?, ja: ポート？ }
        number:
          answer: 587
          tolerance: 0
      - id: type
        question: { en: Type?, ja: 型？ }
        choice: { options: [{ en: A, ja: A }, { en: MX, ja: MX }], answer: 2 }
"##;

fn path() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/keys.yaml")).to_path_buf()
}

fn ids(l: &Lesson) -> Vec<String> {
    l.checkpoints().map(|c| c.id.clone()).collect()
}

/// `src` loads, and its exam copy holds none of its keys, loads with the
/// same questions, every answer a placeholder, and is its own copy.
#[track_caller]
fn withheld(what: &str, src: &str) {
    assert!(what == "plain" || src != KEYS, "{what}: the form is not in the lesson");
    let l = load_str(src, &path()).unwrap_or_else(|d| panic!("{what}: the lesson does not load: {d}\n{src}"));
    let copy = exam_copy(src, "keys.yaml").unwrap_or_else(|d| panic!("{what}: refused: {d}\n{src}"));
    assert!(!copy.contains("SECRET") && !copy.contains("587"), "{what}: a key is left\n{copy}");
    let c = load_str(&copy, &path()).unwrap_or_else(|d| panic!("{what}: the copy does not load: {d}\n{copy}"));
    assert_eq!(ids(&c), ids(&l), "{what}");
    for cp in c.checkpoints() {
        assert!(cp.explain.is_none() && cp.hint.is_none(), "{what}: {}", cp.id);
        match &cp.kind {
            Kind::Short { answer, accept } => assert!(answer == WITHHELD && accept.is_empty(), "{what}"),
            Kind::Number { answer, .. } => assert_eq!(*answer, 0.0, "{what}"),
            Kind::Choice { answer, .. } => assert_eq!(*answer, 1, "{what}"),
            Kind::FromTrace(_) => {}
        }
    }
    assert!(copy.starts_with(EXAM_HEADER), "{what}");
    assert_eq!(exam_copy(&copy, "keys.yaml").ok(), Some(copy.clone()), "{what}: stripping twice changes nothing");
}

/// `src` is refused, by `exam-copy` and by the loader (so by `maillab
/// check`), at `at` with a message holding `says`.
#[track_caller]
fn refused(what: &str, src: &str, at: &str, says: &str) {
    assert!(src != KEYS, "{what}: the form is not in the lesson");
    let d = exam_copy(src, "keys.yaml").expect_err(what).to_string();
    assert!(d.contains(&format!("keys.yaml:{at}: ")) && d.contains(says), "{what}: {d}");
    let d = load_str(src, &path()).expect_err(what).to_string();
    assert!(d.contains(&format!("keys.yaml:{at}: ")) && d.contains(says), "{what}: {d}");
}

#[test]
fn the_plain_lesson_is_withheld() {
    withheld("plain", KEYS);
}

/// `? key` on one line and `: value` on the next: a user found the copy
/// left `? ` behind and did not load.
#[test]
fn explicit_keys_are_withheld_like_plain_ones() {
    let explicit = |key: &str, value: &str, indent: &str| {
        (format!("{indent}{key}: {value}"), format!("{indent}? {key}\n{indent}: {value}"))
    };
    for (plain, written) in [
        explicit("accept", "[SECRETACCEPT]", "          "),
        explicit("answer", "SECRETSHORT", "          "),
        explicit("hint", "{ en: SECRETHINT, ja: ヒント }", "        "),
        explicit("explain", "{ en: SECRETEXPLAIN, ja: 説明 }", "        "),
        explicit("answer", "587", "          "),
    ] {
        withheld(&written, &KEYS.replace(&plain, &written));
    }
    // A comment between `?` and its key, a key with no value at all, the
    // `?` after a `- ` and in a flow mapping, and Windows line ends.
    let src = KEYS.replace(
        "          accept: [SECRETACCEPT]",
        "          ? # SECRET note\n            accept\n          : [SECRETACCEPT]",
    );
    withheld("a comment after ?", &src);
    withheld("? hint alone", &KEYS.replace("        hint: { en: SECRETHINT, ja: ヒント }", "        ? hint"));
    let src = KEYS
        .replace("      - id: proto\n", "      - ? hint\n        : { en: SECRETHINT, ja: ヒント }\n        id: proto\n")
        .replace("        hint: { en: SECRETHINT, ja: ヒント }\n", "");
    withheld("? after -", &src);
    withheld("flow", &KEYS.replace("answer: 2 }", "? answer : 2 }"));
    let src = KEYS.replace(
        "          answer: SECRETSHORT\n          accept: [SECRETACCEPT]",
        "          { ? accept : [SECRETACCEPT], answer: SECRETSHORT }",
    );
    withheld("flow, first", &src);
    let crlf = KEYS
        .replace("          accept: [SECRETACCEPT]", "          ? accept\n          : [SECRETACCEPT]")
        .replace('\n', "\r\n");
    withheld("CRLF", &crlf);
}

/// `!!str accept:` and other tags on a key: a user found the copy refused
/// with a hint about blocks that did not apply.
#[test]
fn tagged_keys_are_withheld_like_plain_ones() {
    for tag in ["!!str", "!<tag:yaml.org,2002:str>", "!", "!local"] {
        for key in ["          accept:", "          answer:", "        hint:", "        explain:", "        short:"] {
            let tagged = key.replace(key.trim_start(), &format!("{tag} {}", key.trim_start()));
            withheld(&tagged, &KEYS.replace(key, &tagged));
        }
    }
    withheld(
        "!!str sections",
        &KEYS.replace("sections:", "!!str sections:").replace("    checkpoints:", "    !!str checkpoints:"),
    );
    withheld("flow", &KEYS.replace("{ options:", "{ !!str options:").replace("answer: 2 }", "!!str answer: 2 }"));
    let src = format!("%TAG !e! tag:yaml.org,2002:\n---\n{}", KEYS.replace("        hint:", "        !e!str hint:"));
    withheld("%TAG", &src);
    let src = KEYS
        .replace("      - id: proto\n", "      - !!str explain: { en: SECRETEXPLAIN, ja: 説明 }\n        id: proto\n");
    withheld("after -", &src.replace("        explain: { en: SECRETEXPLAIN, ja: 説明 }\n", ""));
}

/// The loader reads a quoted, escaped or `!!binary` key as its text: so
/// does exam-copy (a `!!binary` accept, answer or sections key was left
/// in the copy, answers and all).
#[test]
fn quoted_escaped_and_binary_keys_are_read_as_the_loader_reads_them() {
    for (plain, written) in [
        ("          answer:", "          \"answer\":"),
        ("          accept:", "          'accept':"),
        ("          answer:", "          \"\\x61nswer\":"),
        ("        hint:", "        \"\\u0068int\":"),
        ("          answer:", "          !!binary YW5zd2Vy:"),
        ("          accept:", "          !binary YWNjZXB0:"),
        ("        explain:", "        !!binary ZXhwbGFpbg==:"),
        ("sections:", "!!binary c2VjdGlvbnM=:"),
        ("    checkpoints:", "    !!binary Y2hlY2twb2ludHM=:"),
    ] {
        withheld(written, &KEYS.replace(plain, written));
    }
    // Base64 over two lines, as an explicit block key.
    let src = KEYS.replace(
        "          accept: [SECRETACCEPT]",
        "          ? !!binary |\n            YWNj\n            ZXB0\n          : [SECRETACCEPT]",
    );
    withheld("block !!binary", &src);
    // JSON-style flow mappings (no space after a quoted key's colon).
    let src = KEYS.replace(
        "      - id: type\n        question: { en: Type?, ja: 型？ }\n        choice: { options: [{ en: A, ja: A }, { en: MX, ja: MX }], answer: 2 }",
        "      - {\"id\":\"type\",\"question\":{\"en\":\"Type?\",\"ja\":\"型？\"},\"choice\":{\"options\":[{\"en\":\"A\",\"ja\":\"A\"},{\"en\":\"MX\",\"ja\":\"MX\"}],\"answer\":2},\"hint\":{\"en\":\"SECRETHINT2\",\"ja\":\"x\"}}",
    );
    withheld("JSON", &src);
}

/// A merge key brings keys that stand elsewhere: refused wherever it could
/// bring an answer (the lesson, a section, a checkpoint, a question's
/// kind), while one inside a text is harmless.
#[test]
fn merge_keys_on_the_way_to_an_answer_are_refused() {
    let says = "exam-copy cannot withhold answers brought in by a YAML merge key (`<<`)";
    refused("lesson", &KEYS.replace("sections:\n", "<<:\n sections:\n"), "5:1", says);
    refused("section", &KEYS.replace("    checkpoints:\n", "    <<:\n     checkpoints:\n"), "7:5", says);
    let src = KEYS.replace(
        "        hint: { en: SECRETHINT, ja: ヒント }",
        "        !!merge <<: { hint: { en: SECRETHINT, ja: ヒント } }",
    );
    refused("checkpoint", &src, "13:17", says);
    let src = KEYS.replace("          accept: [SECRETACCEPT]", "          <<: { accept: [SECRETACCEPT] }");
    refused("short", &src, "12:11", says);
    withheld(
        "in a text",
        &KEYS.replace("question: { en: Port?, ja: ポート？ }", "question: { <<: { en: Port? }, ja: ポート？ }"),
    );
}

/// An anchor on a key that is cut, or on anything inside its value: an
/// alias elsewhere would repeat it, or be left pointing at nothing (the
/// copy was refused as unreadable YAML, with a hint to run check).
#[test]
fn anchors_on_or_inside_what_is_cut_are_refused() {
    let says = "exam-copy cannot withhold this `hint`: it carries a YAML anchor (`&name`)";
    refused("on the key", &KEYS.replace("        hint:", "        &h hint:"), "13:12", says);
    refused("tag and anchor", &KEYS.replace("        hint:", "        !!str &h hint:"), "13:18", says);
    let src = KEYS.replace("SECRETHINT", "&h SECRETHINT").replace("question: { en: Port?", "question: { en: *h");
    refused("inside, repeated", &src, "13:24", says);
    let src = KEYS.replace("[SECRETACCEPT]", "[&a SECRETACCEPT]");
    refused("in accept", &src, "12:23", "exam-copy cannot withhold this `accept`: it carries a YAML anchor");
    // An anchor on a key that stays is no problem.
    withheld("answer key", &KEYS.replace("          answer: SECRETSHORT", "          &k answer: SECRETSHORT"));
}

/// A key a student's variant fills in (`${name}`) may become `answer`.
#[test]
fn a_key_written_with_a_variant_is_refused() {
    let src = KEYS.replace("          accept: [SECRETACCEPT]", "          ${field}: [SECRETACCEPT]");
    let d = exam_copy(&src, "keys.yaml").expect_err("refused").to_string();
    assert!(d.contains("keys.yaml:12:11: exam-copy cannot withhold what follows the key `${field}`"), "{d}");
    assert!(!problems(&src, "keys.yaml").is_empty(), "check reports it too");
}

/// A second document is not read by the loader, and nothing in it would
/// be withheld: exam-copy refused it only when the lesson was loaded first.
#[test]
fn a_second_document_is_refused() {
    let d = exam_copy(&format!("{KEYS}---\n{KEYS}"), "keys.yaml").expect_err("refused").to_string();
    assert!(d.contains("a second YAML document starts on line 23"), "{d}");
    assert!(!d.contains("SECRET"), "{d}");
}

/// The copy is also read the way the loader reads it: a key this module's
/// walk does not see (here under a merge key in a section, which
/// [`problems`] refuses before a copy is made) is still found.
#[test]
fn the_loaders_reading_of_the_copy_is_checked() {
    let copy = "lesson: 1\nsections:\n  - text: x\n    <<: { checkpoints: [{ id: a, short: { answer: SECRET } }] }\n";
    assert!(tree(copy).is_ok_and(|r| r.is_some_and(|r| checkpoints(&r).count() == 0)), "the walk sees none");
    let d = check_copy(copy, "keys.yaml").expect_err("refused").to_string();
    assert!(d.contains("`short` of `a`, as the lesson loader reads it"), "{d}");
    assert!(d.contains("nothing was written"), "{d}");
    let copy =
        "sections:\n  - checkpoints:\n      - { id: a, !!binary aGludA==: x, short: { answer: \"(withheld)\" } }\n";
    assert!(check_copy(copy, "keys.yaml").is_err());
    let copy =
        "sections:\n  - checkpoints:\n      - { id: a, short: { answer: \"(withheld)\" }, number: { answer: 0 } }\n";
    assert!(check_copy(copy, "keys.yaml").is_ok());
}
