//! Exam mode: the student's copy of a lesson carries no keys, the runner
//! gives no feedback and writes a submission file, and the instructor grades
//! a folder of submissions against the full lessons (the keys) into a CSV
//! that Moodle's grade import reads.
//!
//! - [`exam_copy`] writes a lesson without its keys: every `answer:` of a
//!   `short`, `number` or `choice` checkpoint is withheld, `accept:`,
//!   `explain:` and `hint:` are left out, and so is every comment, in any
//!   form YAML allows ([`super::keyless`]). Trace questions need no key:
//!   their answer is computed from the run, on the instructor's side too.
//! - [`Submission`] is what the student hands in: ID, lesson, variant, every
//!   answer with its attempts, the tool's version and a hash of the lesson
//!   and scenario files the student had.
//! - [`grade_class`] re-runs each student's variant with the instructor's
//!   lesson and grades the answers.

use super::attempt::LangProgress;
use super::{Context, Lang, Lesson, Report};
use crate::base::diag::{Diagnostic, Diagnostics, tr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use super::keyless::WITHHELD;

/// The first line of every exam copy: its `answer:` values are placeholders,
/// so it is run only in exam mode (and never graded as a key).
pub const EXAM_HEADER: &str =
    "# maillab exam copy: the answers are withheld (every answer: here is a placeholder). Run it with --exam.";
/// The second line, the first in Japanese: the copy goes to students of either language.
pub const EXAM_HEADER_JA: &str = "# maillab 試験用コピー: 答えは伏せてあります (ここの answer: はすべて仮の値です)。--exam を付けて実行してください。";

/// Whether a lesson's source is an exam copy ([`EXAM_HEADER`]).
pub fn is_exam_copy(src: &str) -> bool {
    src.lines().next() == Some(EXAM_HEADER)
}

/// The lesson source without its keys and its comments, under
/// [`EXAM_HEADER`] and [`EXAM_HEADER_JA`] (an exam copy is its own copy);
/// what it cannot withhold is an error of `file` (see [`super::keyless`]).
pub fn exam_copy(src: &str, file: &str) -> Result<String, Diagnostics> {
    // An exam copy is stripped again all the same: one whose answers were
    // filled back in under its header must not pass through. Its header
    // lines are comments, which the strip drops, so they are not doubled.
    let body = super::keyless::strip(src, file)?;
    Ok(format!("{EXAM_HEADER}\n{EXAM_HEADER_JA}\n{body}"))
}

/// A hash of the files a lesson is made of (the exam copy and the scenario),
/// so the instructor sees when a student worked on other files.
pub fn files_hash(exam_src: &str, scenario_src: &str) -> String {
    let a = crate::base::seed::derive(0, exam_src, "lesson");
    let b = crate::base::seed::derive(a, scenario_src, "scenario");
    format!("{b:016x}")
}

/// The hash of a lesson's files as the student had them (the exam copy).
pub fn lesson_hash(l: &Lesson) -> String {
    lesson_hashes(l).0
}

/// [`lesson_hash`], and the hash of the same copy without its first-line
/// mark: a copy made before exam copies carried it holds the same questions.
fn lesson_hashes(l: &Lesson) -> (String, String) {
    let src = crate::base::shipped::read(&l.file).unwrap_or_default();
    let scenario = crate::base::shipped::read(std::path::Path::new(&l.scenario.file)).unwrap_or_default();
    let copy = if src.contains(WITHHELD) && !is_exam_copy(&src) {
        src
    } else {
        exam_copy(&src, &l.file.display().to_string()).unwrap_or(src)
    };
    let unmarked = copy.strip_prefix(EXAM_HEADER).map_or(copy.as_str(), |b| b.strip_prefix('\n').unwrap_or(b));
    let unmarked = unmarked.strip_prefix(EXAM_HEADER_JA).map_or(unmarked, |b| b.strip_prefix('\n').unwrap_or(b));
    (files_hash(&copy, &scenario), files_hash(unmarked, &scenario))
}

/// One checkpoint of a submission.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub answers: Vec<String>,
}

/// What a student hands in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub format: u32,
    pub student: String,
    /// The lesson's file name without `.yaml` (as in `lessons/`).
    pub lesson: String,
    pub lang: Lang,
    /// The variant's label (`lab=2`, `pol={code: 550, p: quarantine}`), empty without variants.
    pub variant: String,
    pub answers: BTreeMap<String, Answered>,
    pub tool_version: String,
    pub lesson_hash: String,
}

impl Submission {
    pub fn new(l: &Lesson, student: &str, lang: Lang, p: &LangProgress) -> Submission {
        Submission {
            format: 1,
            student: student.to_string(),
            lesson: l.file.file_stem().and_then(|s| s.to_str()).unwrap_or(&l.name).to_string(),
            lang,
            variant: l.scenario.variant.label(),
            answers: p
                .checkpoints
                .iter()
                .map(|(id, r)| (id.clone(), Answered { answers: r.answers.clone() }))
                .collect(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            lesson_hash: lesson_hash(l),
        }
    }
}

/// One student's graded submission.
#[derive(Clone, Debug)]
pub struct GradedSubmission {
    pub file: PathBuf,
    pub submission: Submission,
    pub report: Report,
    /// Problems the instructor should see (other lesson files, another variant).
    pub notes: Vec<String>,
}

/// Grade one submission against the instructor's lesson in `keys`.
pub fn grade_submission(file: &Path, keys: &Path) -> Result<GradedSubmission, Diagnostics> {
    let name = file.display().to_string();
    let bad = |m: String| Diagnostics(vec![Diagnostic::whole_file(&name, m, None)]);
    let text = std::fs::read_to_string(file)
        .map_err(|e| bad(tr(format!("cannot read the submission: {e}"), format!("提出ファイルを読めません: {e}"))))?;
    let s: Submission = serde_json::from_str(&text)
        .map_err(|e| bad(tr(format!("not a submission file: {e}"), format!("提出ファイルではありません: {e}"))))?;
    let lesson_file = keys.join(format!("{}.yaml", s.lesson));
    if std::fs::read_to_string(&lesson_file).is_ok_and(|src| is_exam_copy(&src)) {
        let key = lesson_file.display().to_string();
        return Err(Diagnostics(vec![Diagnostic::whole_file(
            &key,
            tr(
                format!("{key} is an exam copy, not a key: its answers are withheld"),
                format!("{key} は試験用のコピーで、答えの鍵ではありません。答えが伏せてあります"),
            ),
            Some(tr(
                "give --keys the folder of the full lessons (the ones exam-copy was made from)",
                "--keys には元のレッスン（exam-copy の元にしたもの）のフォルダを指定してください",
            )),
        )]));
    }
    let l = super::load_file_for(&lesson_file, Some(&s.student))?;
    let ctx = Context::run(&l).map_err(|e| bad(e.to_string()))?;
    let mut p = LangProgress::default();
    for (id, a) in &s.answers {
        p.record(id).answers = a.answers.clone();
    }
    let report = super::attempt::grade(&l, &p, &ctx, s.lang);
    // The notes are in the language of the run (`--lang`): the instructor
    // who graded in Japanese reads them in Japanese, on the terminal and in
    // the CSV's `notes` column alike.
    let mut notes = Vec::new();
    // (A copy made before exam copies carried their mark matches too.)
    let (now, unmarked) = lesson_hashes(&l);
    if s.lesson_hash != now && s.lesson_hash != unmarked {
        notes.push(tr(
            "the student's lesson or scenario files differ from the key's",
            "学生のレッスンかシナリオのファイルが、答えの鍵のものと違います",
        ));
    }
    // (Older versions wrote a group of values as `#N`.)
    if s.variant != l.scenario.variant.label() && s.variant != l.scenario.variant.code() {
        let (given, expected) = (&s.variant, l.scenario.variant.label());
        notes.push(tr(
            format!("variant {given} submitted, {expected} expected"),
            format!("提出された版は {given} ですが、この学生番号の版は {expected} です"),
        ));
    }
    let unknown: Vec<&String> = s.answers.keys().filter(|k| !l.checkpoints().any(|c| &c.id == *k)).collect();
    if !unknown.is_empty() {
        notes.push(tr(
            format!("answers to unknown checkpoints {unknown:?}"),
            format!("レッスンにない問題への回答があります {unknown:?}"),
        ));
    }
    Ok(GradedSubmission { file: file.to_path_buf(), submission: s, report, notes })
}

/// A CSV field, quoted when it needs to be.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The class's grades: one row per student (the column `ID number`, which
/// Moodle's import matches against the user's ID number), one column per
/// lesson (the percentage), then the problems noticed.
pub fn grades_csv(all: &[GradedSubmission]) -> String {
    let lessons: std::collections::BTreeSet<&str> = all.iter().map(|g| g.submission.lesson.as_str()).collect();
    let mut rows: BTreeMap<&str, (BTreeMap<&str, u32>, Vec<String>)> = BTreeMap::new();
    for g in all {
        let row = rows.entry(g.submission.student.as_str()).or_default();
        row.0.insert(g.submission.lesson.as_str(), g.report.percent);
        row.1.extend(g.notes.iter().map(|n| format!("{}: {n}", g.submission.lesson)));
    }
    let mut out = String::from("ID number");
    for l in &lessons {
        out.push(',');
        out.push_str(&csv(l));
    }
    out.push_str(",notes\n");
    for (student, (grades, notes)) in rows {
        out.push_str(&csv(student));
        for l in &lessons {
            out.push(',');
            if let Some(p) = grades.get(l) {
                out.push_str(&p.to_string());
            }
        }
        out.push(',');
        out.push_str(&csv(&notes.join("; ")));
        out.push('\n');
    }
    out
}

/// Per question: how many students answered, got it right, and needed a
/// second try — most missed first.
pub fn question_summary(all: &[GradedSubmission]) -> String {
    let mut by: BTreeMap<(String, String), (u32, u32, u32)> = BTreeMap::new();
    for g in all {
        for i in &g.report.items {
            let e = by.entry((g.submission.lesson.clone(), i.id.clone())).or_default();
            e.0 += 1;
            if i.correct {
                e.1 += 1;
            }
            if i.attempts > 1 {
                e.2 += 1;
            }
        }
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by_key(|((l, id), (n, right, _))| {
        (std::cmp::Reverse((n - right) * 1000 / (*n).max(1)), l.clone(), id.clone())
    });
    let mut out = String::from("lesson,checkpoint,students,right,missed,missed_percent,more_than_one_try\n");
    for ((l, id), (n, right, tries)) in rows {
        out.push_str(&format!(
            "{},{},{n},{right},{},{},{tries}\n",
            csv(&l),
            csv(&id),
            n - right,
            super::percent(u64::from(n - right), u64::from(n))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exam_copy_has_no_keys() {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/07-review-quiz.yaml"))
            .expect("shipped");
        let copy = exam_copy(&src, "07-review-quiz.yaml").unwrap_or_else(|d| panic!("{d}"));
        for key in [
            "answer: SMTP",
            "answer: MTA",
            "Simple Mail Transfer Protocol",
            "answer: 2",
            "メーリングリスト (mailing list)",
        ] {
            assert!(src.contains(key) && !copy.contains(key), "{key}");
        }
        assert!(copy.contains("answer: \"(withheld)\"") && copy.contains("question:"));
        assert!(!copy.contains("explain:") && !copy.contains("accept:"));
        // It still loads, so the student can run it.
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/07-review-quiz.yaml"));
        let l = super::super::load_str(&copy, path).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(l.checkpoints().count(), 7);
        assert_eq!(exam_copy(&copy, "x").ok(), Some(copy.clone()), "stripping twice changes nothing");
        assert!(is_exam_copy(&copy) && !is_exam_copy(&src));
    }

    /// A lesson in every form YAML allows a checkpoint, with the author's
    /// notes in comments (a user trial found a one-line choice and a
    /// `# 正解は 3 の MX` line kept in the exam copy).
    const FORMS: &str = r##"# Answers: mx-type is 3 (MX), protocol SMTP
lesson: 1
name: forms
title: { en: Forms, ja: 形 }
scenario: relay-chain
sections:
  - text:
      en: | # the answers are below
        # A heading, not a comment
        Look at "# this" too.
      ja: 見てください
    checkpoints:
      # 正解は 3 の MX
      - id: mx-type
        question: { en: "Which type? # not a comment", ja: "どの型？" }
        choice: { options: [{ en: A, ja: A }, { en: CNAME, ja: CNAME }, { en: MX, ja: MX }], answer: 3 }   # MX
      - { id: proto, question: { en: Protocol?, ja: プロトコル？ }, short: { answer: SMTP, accept: [smtp, "Simple Mail Transfer Protocol"] }, explain: { en: SMTP it is, ja: SMTP です } }
      - id: port
        question:
          en: Port?
          ja: ポート？
        number: {
          answer: 587,
          tolerance: 0 }
        hint: { en: "five eight seven", ja: "ごーはちなな" }
      - id: folded
        question: { en: Software?, ja: ソフトウェア？ }
        short:
          answer: >-
            MTA
          accept:
            - Mail Transfer Agent
        explain:
          en: |
            The MTA.
          ja: |
            MTA です。
      - id: last
        question: { en: Choice?, ja: 選択？ }
        choice:
          options:
            - { en: POP3, ja: POP3 }
            - { en: IMAP, ja: IMAP }
          answer: "2" # IMAP
"##;

    /// Three leaks a review found: a key written as an alias, a comment
    /// after a byte-order mark, and answers filled back into an exam copy.
    #[test]
    fn the_exam_copy_leaks_no_answer_through_aliases_a_bom_or_its_own_header() {
        let alias = FORMS.replace("title: { en: Forms, ja: 形 }", "title: { en: Forms, ja: &ans answer }").replace(
            "short: { answer: SMTP, accept: [smtp, \"Simple Mail Transfer Protocol\"] }",
            "short: { *ans : SECRETSMTP }",
        );
        let d = exam_copy(&alias, "forms.yaml").expect_err("refused").to_string();
        assert!(d.contains("a key written as a YAML alias"), "{d}");
        assert!(!super::super::keyless::problems(&alias, "forms.yaml").is_empty(), "check reports it too");

        let bom = format!("\u{FEFF}{FORMS}");
        let copy = exam_copy(&bom, "forms.yaml").unwrap_or_else(|d| panic!("{d}"));
        assert!(!copy.contains("Answers:") && !copy.contains('\u{FEFF}'), "{copy}");

        let copy = exam_copy(FORMS, "forms.yaml").unwrap_or_else(|d| panic!("{d}"));
        let filled = copy.replace("short: { answer: \"(withheld)\" }", "short: { answer: SECRETFILLED }");
        assert!(filled.contains("SECRETFILLED") && is_exam_copy(&filled));
        let again = exam_copy(&filled, "forms.yaml").unwrap_or_else(|d| panic!("{d}"));
        assert!(!again.contains("SECRETFILLED"), "{again}");
        assert_eq!(again.matches(EXAM_HEADER).count(), 1, "the header is not doubled");
    }

    fn lesson_path() -> PathBuf {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/forms.yaml")).to_path_buf()
    }

    #[test]
    fn the_exam_copy_withholds_every_form_and_drops_every_comment() {
        let l = super::super::load_str(FORMS, &lesson_path()).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(l.checkpoints().count(), 5);
        let copy = exam_copy(FORMS, "forms.yaml").unwrap_or_else(|d| panic!("{d}"));
        for key in [
            "answer: 3",
            "MX\n",
            "# MX",
            "正解は",
            "Answers:",
            "SMTP",
            "smtp",
            "587",
            "five eight seven",
            "Mail Transfer Agent",
            "MTA",
            "# IMAP",
            "\"2\"",
            "explain",
            "hint",
            "accept",
            "the answers are below",
        ] {
            assert!(!copy.contains(key), "{key:?} is left in\n{copy}");
        }
        // What the student needs stays, `#` inside texts too.
        for kept in [
            "choice: { options: [{ en: A, ja: A }, { en: CNAME, ja: CNAME }, { en: MX, ja: MX }], answer: 1 }\n",
            "short: { answer: \"(withheld)\" }",
            "answer: 0,\n          tolerance: 0 }",
            "answer: \"(withheld)\"\n",
            "IMAP }\n          answer: 1\n",
            "# A heading, not a comment",
            "Look at \"# this\" too.",
            "Which type? # not a comment",
        ] {
            assert!(copy.contains(kept), "no {kept:?} in\n{copy}");
        }
        let mut lines = copy.lines();
        assert_eq!(lines.next(), Some(EXAM_HEADER));
        assert_eq!(lines.next(), Some(EXAM_HEADER_JA));
        assert!(lines.all(|l| !l.trim_start().starts_with('#') || l.contains("A heading")), "{copy}");
        // It runs: the same questions, every key a placeholder.
        let c = super::super::load_str(&copy, &lesson_path()).unwrap_or_else(|d| panic!("{d}\n{copy}"));
        let ids = |l: &Lesson| l.checkpoints().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&c), ids(&l));
        for cp in c.checkpoints() {
            assert!(cp.explain.is_none() && cp.hint.is_none(), "{}", cp.id);
            match &cp.kind {
                super::super::Kind::Short { answer, accept } => assert!(answer == WITHHELD && accept.is_empty()),
                super::super::Kind::Number { answer, .. } => assert_eq!(*answer, 0.0),
                super::super::Kind::Choice { answer, options } => assert!(*answer == 1 && options.len() > 1),
                super::super::Kind::FromTrace(_) => {}
            }
        }
        assert_eq!(exam_copy(&copy, "x").ok(), Some(copy.clone()));
    }

    /// An answer written through a YAML alias stands elsewhere: the lesson
    /// is refused where it is written (so `maillab check` says so), and so
    /// is its exam copy.
    #[test]
    fn an_answer_through_an_alias_is_refused_with_its_place() {
        let src = FORMS
            .replace("title: { en: Forms, ja: 形 }", "title: { en: &a Forms, ja: 形 }")
            .replace("answer: >-\n            MTA", "answer: *a");
        let d = super::super::load_str(&src, &lesson_path()).expect_err("refused");
        let text = d.to_string();
        assert!(
            text.contains("forms.yaml:29:19: exam-copy cannot withhold this `answer`: it is a YAML alias"),
            "{text}"
        );
        assert!(text.contains("write the `answer` out in place, without `*`"), "{text}");
        let d = exam_copy(&src, "forms.yaml").expect_err("refused");
        assert!(d.to_string().contains("forms.yaml:29:19:"), "{d}");
        let src = FORMS.replace("answer: 587,", "answer: &n 587,");
        let d = exam_copy(&src, "forms.yaml").expect_err("refused");
        assert!(d.to_string().contains("it carries a YAML anchor (`&name`)"), "{d}");
    }

    /// A trial found 4 of 6 students shown as 66: the question summary
    /// rounds half up, as every percentage does.
    #[test]
    fn the_question_summary_rounds_half_up() {
        let graded = |student: &str, right: bool| {
            let item = super::super::Graded {
                id: "q".into(),
                correct: right,
                given: None,
                expected: String::new(),
                attempts: 1,
                points: 1,
                earned: u32::from(right),
                explain: None,
            };
            let report = super::super::Report {
                lesson: "l".into(),
                lang: Lang::En,
                score: u32::from(right),
                max: 1,
                percent: if right { 100 } else { 0 },
                pass_mark: 60,
                passed: right,
                items: vec![item],
            };
            let submission = Submission {
                format: 1,
                student: student.into(),
                lesson: "l".into(),
                lang: Lang::En,
                variant: String::new(),
                answers: BTreeMap::new(),
                tool_version: String::new(),
                lesson_hash: String::new(),
            };
            GradedSubmission { file: PathBuf::new(), submission, report, notes: vec![] }
        };
        let all: Vec<_> = (0..6).map(|i| graded(&format!("s{i}"), i < 2)).collect();
        assert_eq!(question_summary(&all).lines().nth(1), Some("l,q,6,2,4,67,0"));
        let all: Vec<_> = (0..8).map(|i| graded(&format!("s{i}"), i > 0)).collect();
        assert_eq!(question_summary(&all).lines().nth(1), Some("l,q,8,7,1,13,0"));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv("s1"), "s1");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
