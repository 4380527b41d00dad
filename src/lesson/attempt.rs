//! Answering a checkpoint, for any front end (the terminal runner, the
//! browser lab): one call per line the student typed, returning what to show.
//!
//! ```text
//! let ctx = lesson::Context::run(&lesson)?;                 // once per lesson (and variant)
//! let rec = progress.lang(lang).record(&cp.id);             // &mut Record
//! match attempt::answer(&lesson, cp, rec, input, &ctx, lang) {
//!     Outcome::Invalid(msg)                => ask again (nothing stored),
//!     Outcome::Correct { explain }         => ✓,
//!     Outcome::Wrong { hint, tries_left }  => ✗, show the hint, ask again,
//!     Outcome::Revealed { expected, explain } => ✗, the answer and why,
//!     Outcome::Done                        => already finished (redo to try again),
//! }
//! save(progress)
//! attempt::state(&lesson, cp, Some(rec), &ctx, lang)  // what to show of it now
//! attempt::grade(&lesson, progress.lang(lang), &ctx, lang)  // the Report
//! ```
//!
//! The progress record keeps every valid answer per checkpoint, per language,
//! so the score can count attempts and `--restart` in one language keeps the
//! other's.

use super::answer::Verdict;
use super::{Checkpoint, Context, Graded, Lang, Lesson, check, expected, grade_tries, report};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the front end shows after an answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Not an answer (empty, not a number, no such option): ask again; nothing was stored.
    Invalid {
        message: String,
    },
    Correct {
        explain: Option<String>,
    },
    /// Wrong, with another try left.
    Wrong {
        hint: Option<String>,
        tries_left: u32,
    },
    /// Wrong and no try left: the answer and why.
    Revealed {
        expected: String,
        explain: Option<String>,
    },
    /// The checkpoint was finished before; nothing was stored.
    Done,
}

/// One checkpoint's answers in one language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Every valid answer, in order (the last one counts).
    #[serde(default)]
    pub answers: Vec<String>,
    /// Right with the last answer.
    #[serde(default)]
    pub correct: bool,
    /// Right, or out of tries: no more answers are taken (until a redo).
    #[serde(default)]
    pub done: bool,
}

impl Record {
    pub fn attempts(&self) -> u32 {
        self.answers.len() as u32
    }
}

/// A student's progress in one language of a lesson.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LangProgress {
    #[serde(default)]
    pub checkpoints: BTreeMap<String, Record>,
}

impl LangProgress {
    pub fn record(&mut self, id: &str) -> &mut Record {
        self.checkpoints.entry(id.to_string()).or_default()
    }
    /// Forget one checkpoint's answers (`--redo`, the browser's per-section redo).
    pub fn redo(&mut self, id: &str) {
        self.checkpoints.remove(id);
    }
}

/// A student's progress in a lesson, as saved in the progress file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The format before second tries (checkpoint id: the one answer, no
    /// language); read from old files and moved into the first language used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, String>,
    /// The student ID of the variant (`--student`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<String>,
    #[serde(default)]
    pub langs: BTreeMap<Lang, LangProgress>,
}

impl Progress {
    /// The progress in one language; an old file's answers become its records.
    pub fn lang(&mut self, lang: Lang) -> &mut LangProgress {
        if !self.answers.is_empty() && self.langs.is_empty() {
            let old = std::mem::take(&mut self.answers);
            let lp = self.langs.entry(lang).or_default();
            for (id, a) in old {
                lp.checkpoints.insert(id, Record { answers: vec![a], correct: false, done: true });
            }
        }
        self.langs.entry(lang).or_default()
    }
    /// Forget one language's answers, keeping the other's.
    pub fn restart(&mut self, lang: Lang) {
        self.answers.clear();
        self.langs.remove(&lang);
    }
}

/// Take one line of input for a checkpoint.
pub fn answer(l: &Lesson, cp: &Checkpoint, rec: &mut Record, input: &str, ctx: &Context, lang: Lang) -> Outcome {
    if rec.done {
        return Outcome::Done;
    }
    let verdict = check(cp, input, ctx);
    let pick = |t: &Option<crate::scenario::Text>| t.as_ref().map(|t| lang.pick(t));
    match verdict {
        Verdict::Invalid(en, ja) => Outcome::Invalid {
            message: match lang {
                Lang::En => en.to_string(),
                Lang::Ja => ja.to_string(),
            },
        },
        Verdict::Right => {
            rec.answers.push(input.trim().to_string());
            rec.correct = true;
            rec.done = true;
            Outcome::Correct { explain: pick(&cp.explain) }
        }
        Verdict::Wrong => {
            rec.answers.push(input.trim().to_string());
            rec.correct = false;
            let tries_left = l.attempts.saturating_sub(rec.attempts());
            if tries_left == 0 {
                rec.done = true;
                Outcome::Revealed { expected: expected(cp, ctx, lang), explain: pick(&cp.explain) }
            } else {
                Outcome::Wrong { hint: pick(&cp.hint), tries_left }
            }
        }
    }
}

/// What a front end shows of a checkpoint now (the browser lab's `state`).
/// The answer and the explanation only once the checkpoint is finished; the
/// hint while the last answer is wrong and a try is left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct State {
    pub answered: bool,
    pub correct: Option<bool>,
    pub given: Option<String>,
    pub attempts: u32,
    pub tries_left: u32,
    pub expected: Option<String>,
    pub explain: Option<String>,
    pub hint: Option<String>,
}

pub fn state(l: &Lesson, cp: &Checkpoint, rec: Option<&Record>, ctx: &Context, lang: Lang) -> State {
    let empty = Record::default();
    let rec = rec.unwrap_or(&empty);
    let pick = |t: &Option<crate::scenario::Text>| t.as_ref().map(|t| lang.pick(t));
    let wrong_so_far = !rec.done && !rec.answers.is_empty();
    State {
        answered: rec.done,
        correct: rec.done.then_some(rec.correct),
        given: rec.answers.last().cloned(),
        attempts: rec.attempts(),
        tries_left: if rec.done { 0 } else { l.attempts.saturating_sub(rec.attempts()) },
        expected: rec.done.then(|| expected(cp, ctx, lang)),
        explain: if rec.done { pick(&cp.explain) } else { None },
        hint: if wrong_so_far { pick(&cp.hint) } else { None },
    }
}

/// Grade a whole progress record in one language (unanswered checkpoints count 0).
pub fn grade(l: &Lesson, p: &LangProgress, ctx: &Context, lang: Lang) -> super::Report {
    let items: Vec<Graded> = l
        .checkpoints()
        .map(|cp| {
            let tries = p.checkpoints.get(&cp.id).map(|r| r.answers.as_slice()).unwrap_or(&[]);
            grade_tries(l, cp, tries, ctx, lang)
        })
        .collect();
    report(l, items, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn demo() -> (Lesson, Context) {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lesson-demo.yaml"));
        let l = super::super::load_file(path).expect("demo loads");
        let ctx = Context::run(&l).expect("runs");
        (l, ctx)
    }

    #[test]
    fn invalid_input_is_asked_again_and_not_stored() {
        let (l, ctx) = demo();
        let role = l.checkpoints().find(|c| c.id == "role").expect("role");
        let mut rec = Record::default();
        for bad in ["", "   ", "7", "z"] {
            assert!(matches!(answer(&l, role, &mut rec, bad, &ctx, Lang::En), Outcome::Invalid { .. }), "{bad}");
        }
        assert_eq!(rec, Record::default());
        let code = l.checkpoints().find(|c| c.id == "data-code").expect("data-code");
        let Outcome::Invalid { message } = answer(&l, code, &mut rec, "ok", &ctx, Lang::Ja) else { panic!() };
        assert!(message.contains("応答コード"), "{message}");
        assert!(rec.answers.is_empty());
    }

    #[test]
    fn a_wrong_answer_gets_a_hint_then_a_second_try_then_the_answer() {
        let (l, ctx) = demo();
        assert_eq!(l.attempts, 2);
        let cp = l.checkpoints().find(|c| c.id == "protocol").expect("protocol");
        let mut rec = Record::default();
        let Outcome::Wrong { hint, tries_left } = answer(&l, cp, &mut rec, "POP", &ctx, Lang::En) else { panic!() };
        assert_eq!(tries_left, 1);
        assert!(hint.is_some_and(|h| h.contains("send")));
        let Outcome::Revealed { expected, .. } = answer(&l, cp, &mut rec, "IMAP", &ctx, Lang::En) else { panic!() };
        assert_eq!(expected, "SMTP");
        assert_eq!(answer(&l, cp, &mut rec, "SMTP", &ctx, Lang::En), Outcome::Done);
        assert_eq!((rec.attempts(), rec.correct, rec.done), (2, false, true));
        // Right at the second try: the score records two attempts.
        let mut p = LangProgress::default();
        answer(&l, cp, p.record("protocol"), "POP", &ctx, Lang::En);
        assert!(matches!(answer(&l, cp, p.record("protocol"), "smtp", &ctx, Lang::En), Outcome::Correct { .. }));
        let r = grade(&l, &p, &ctx, Lang::En);
        let g = r.items.iter().find(|g| g.id == "protocol").expect("graded");
        assert_eq!((g.correct, g.attempts, g.earned), (true, 2, 1));
        let s = state(&l, cp, p.checkpoints.get("protocol"), &ctx, Lang::En);
        assert_eq!((s.answered, s.correct, s.attempts, s.expected.as_deref()), (true, Some(true), 2, Some("SMTP")));
        // A redo forgets it.
        p.redo("protocol");
        let s = state(&l, cp, p.checkpoints.get("protocol"), &ctx, Lang::En);
        assert_eq!((s.answered, s.correct, s.tries_left, s.expected), (false, None, 2, None));
        answer(&l, cp, p.record("protocol"), "POP", &ctx, Lang::En);
        let s = state(&l, cp, p.checkpoints.get("protocol"), &ctx, Lang::En);
        assert!(s.hint.is_some() && s.expected.is_none() && s.tries_left == 1, "{s:?}");
        p.redo("protocol");
        assert!(!p.checkpoints.contains_key("protocol"));
    }

    #[test]
    fn old_progress_files_are_read_and_restart_keeps_the_other_language() {
        let mut p: Progress = serde_json::from_str(r#"{"answers":{"protocol":"SMTP"}}"#).expect("old format");
        assert_eq!(p.lang(Lang::Ja).checkpoints["protocol"].answers, vec!["SMTP".to_string()]);
        assert!(p.answers.is_empty());
        p.lang(Lang::En).record("role").answers.push("3".into());
        p.restart(Lang::Ja);
        assert!(!p.langs.contains_key(&Lang::Ja));
        assert!(p.langs.contains_key(&Lang::En));
        let back: Progress = serde_json::from_str(&serde_json::to_string(&p).expect("json")).expect("reads");
        assert_eq!(back, p);
    }
}
