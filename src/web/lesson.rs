//! The lesson adapter: a lesson's sections and checkpoints for the page,
//! answered through the same API as `maillab lesson run`
//! ([`crate::lesson::attempt`]: hints, a second try, the answer after the
//! last one) and saved to the same progress file, so a student can move
//! between the terminal and the browser. Kept small: it only maps the lesson
//! module's API onto `/api/lesson*`.
//!
//! A section that runs the scenario to step N covers the events up to the
//! start of step N+1 (what the terminal lesson shows for it); its trace
//! questions are graded on those events (the lesson module's `Context`).

use crate::base::sync::lock;
use crate::lesson::attempt::{self, Outcome, State};
use crate::lesson::interactive::{Progress, load_progress, progress_path, save_progress};
use crate::lesson::{Context, Kind, Lang, Lesson};
use crate::trace::Event;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct LessonState {
    pub lesson: Lesson,
    ctx: Context,
    path: PathBuf,
    progress: Mutex<Progress>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CpView {
    pub id: String,
    pub question: String,
    pub kind: &'static str,
    pub options: Option<Vec<String>>,
    pub points: u32,
    pub state: State,
    /// A choice question: the option (1-based) the last answer picked, however
    /// it was written (`2`, `b`, the option's text, in the terminal or here).
    pub picked: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionView {
    pub index: usize,
    pub text: String,
    pub look_at: Option<String>,
    pub run_to_step: Option<usize>,
    pub run_to: Option<usize>,
    pub checkpoints: Vec<CpView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgressView {
    pub answered: usize,
    pub total: usize,
    pub score: u32,
    pub max: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct LessonView {
    pub name: String,
    pub title: String,
    pub summary: String,
    pub lang: Lang,
    pub sections: Vec<SectionView>,
    pub progress: ProgressView,
}

/// The result page: the grader's report of each checkpoint, its answer and
/// explanation only once it is done.
#[derive(Clone, Debug, Serialize)]
pub struct ResultView {
    pub lesson: String,
    pub lang: Lang,
    pub score: u32,
    pub max: u32,
    pub percent: u32,
    pub pass_mark: u32,
    pub passed: bool,
    pub items: Vec<ResultItem>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResultItem {
    pub id: String,
    /// Right, or out of tries: no more answers are taken.
    pub done: bool,
    pub correct: bool,
    /// The last answer given.
    pub given: Option<String>,
    /// Only when `done`.
    pub expected: Option<String>,
    /// Only when `done`.
    pub explain: Option<String>,
    pub attempts: u32,
    pub points: u32,
    pub earned: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnswerOut {
    /// `invalid`, `correct`, `wrong` (another try left) or `revealed` (the answer shown).
    pub outcome: &'static str,
    pub message: String,
    pub state: State,
}

fn t(lang: Lang, en: &str, ja: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ja => ja.to_string(),
    }
}

impl LessonState {
    /// `events` is the whole run of the lesson's scenario.
    pub fn new(lesson: Lesson, events: &[Event]) -> LessonState {
        let path = progress_path(&lesson.name, false);
        Self::with_progress_file(lesson, events, path)
    }

    pub fn with_progress_file(lesson: Lesson, events: &[Event], path: PathBuf) -> LessonState {
        let ctx = Context::new(&lesson.scenario, events.to_vec());
        let mut progress = load_progress(&path);
        let student = lesson.scenario.variant.student.clone();
        if progress.student != student {
            // Answers to another student's variant do not carry over (the
            // command line refuses before it gets here unless none are saved).
            progress = Progress { student, ..Default::default() };
        }
        let progress = Mutex::new(progress);
        LessonState { lesson, ctx, path, progress }
    }

    fn state(&self, cp: &crate::lesson::Checkpoint, lang: Lang) -> State {
        let mut p = lock(&self.progress);
        let rec = p.lang(lang).checkpoints.get(&cp.id).cloned();
        attempt::state(&self.lesson, cp, rec.as_ref(), &self.ctx, lang)
    }

    pub fn view(&self, lang: Lang) -> LessonView {
        let sections: Vec<SectionView> = self
            .lesson
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| SectionView {
                index: i,
                text: lang.pick(&s.text),
                look_at: s.look_at.as_ref().map(|l| lang.pick(l)),
                run_to_step: s.run_to_step,
                run_to: s.run_to_step.map(|k| self.ctx.events_at(Some(k)).len()),
                checkpoints: s
                    .checkpoints
                    .iter()
                    .map(|cp| {
                        let (kind, options) = match &cp.kind {
                            Kind::Choice { options, .. } => {
                                ("choice", Some(options.iter().map(|o| lang.pick(o)).collect()))
                            }
                            Kind::Short { .. } => ("short", None),
                            Kind::Number { .. } => ("number", None),
                            Kind::FromTrace(_) => ("trace", None),
                        };
                        let state = self.state(cp, lang);
                        let picked =
                            state.given.as_deref().and_then(|g| crate::lesson::picked_option(cp, g, &self.ctx));
                        CpView {
                            id: cp.id.clone(),
                            question: lang.pick(&cp.question),
                            kind,
                            options,
                            points: cp.points,
                            state,
                            picked,
                        }
                    })
                    .collect(),
            })
            .collect();
        let answered = sections.iter().flat_map(|s| &s.checkpoints).filter(|c| c.state.answered).count();
        let r = self.result(lang);
        LessonView {
            name: self.lesson.name.clone(),
            title: lang.pick(&self.lesson.title),
            summary: lang.pick(&self.lesson.summary),
            lang,
            sections,
            progress: ProgressView { answered, total: self.lesson.checkpoints().count(), score: r.score, max: r.max },
        }
    }

    /// Take one answer and save the progress. None: no such checkpoint.
    pub fn answer(&self, id: &str, given: &str, lang: Lang) -> Option<std::io::Result<AnswerOut>> {
        let cp = self.lesson.checkpoints().find(|c| c.id == id)?;
        let outcome = {
            let mut p = lock(&self.progress);
            let lp = p.lang(lang);
            let outcome = attempt::answer(&self.lesson, cp, lp.record(id), given, &self.ctx, lang);
            if lp.checkpoints.get(id).is_some_and(|r| r.answers.is_empty()) {
                // Nothing was taken (a blank answer): leave no empty record behind.
                lp.redo(id);
            }
            if !matches!(outcome, Outcome::Invalid { .. } | Outcome::Done)
                && let Err(e) = save_progress(&self.path, &p)
            {
                return Some(Err(e));
            }
            outcome
        };
        let state = self.state(cp, lang);
        let (outcome, message) = match outcome {
            Outcome::Invalid { message } => ("invalid", message),
            Outcome::Correct { .. } => ("correct", t(lang, "Correct.", "正解です。")),
            Outcome::Wrong { tries_left, .. } => (
                "wrong",
                match lang {
                    Lang::En => format!("Not quite. Tries left: {tries_left}."),
                    Lang::Ja => format!("不正解です。あと {tries_left} 回答えられます。"),
                },
            ),
            Outcome::Revealed { expected, .. } => (
                "revealed",
                match lang {
                    Lang::En => format!("Not quite. The answer is {expected}"),
                    Lang::Ja => format!("残念。正解は {expected}"),
                },
            ),
            Outcome::Done => (
                if state.correct == Some(true) { "correct" } else { "revealed" },
                match lang {
                    Lang::En => format!(
                        "This question is finished; `maillab lesson run {} --redo {id}` asks it again.",
                        self.lesson.name
                    ),
                    Lang::Ja => format!(
                        "この問題は終わっています。`maillab lesson run {} --redo {id}` でもう一度答えられます。",
                        self.lesson.name
                    ),
                },
            ),
        };
        Some(Ok(AnswerOut { outcome, message, state }))
    }

    /// The result page: every checkpoint graded as it stands (unanswered
    /// ones score nothing). As in `maillab lesson run` and [`Self::view`], a
    /// checkpoint's answer and explanation are shown only once it is done
    /// (right, or out of tries): the grader's report has them for every
    /// checkpoint, so they are withheld here.
    pub fn result(&self, lang: Lang) -> ResultView {
        let mut p = lock(&self.progress);
        let lp = p.lang(lang);
        let r = attempt::grade(&self.lesson, lp, &self.ctx, lang);
        let items = r
            .items
            .into_iter()
            .map(|g| {
                let done = lp.checkpoints.get(&g.id).is_some_and(|rec| rec.done);
                ResultItem {
                    id: g.id,
                    done,
                    correct: g.correct,
                    given: g.given,
                    expected: done.then_some(g.expected),
                    explain: if done { g.explain } else { None },
                    attempts: g.attempts,
                    points: g.points,
                    earned: g.earned,
                }
            })
            .collect();
        ResultView {
            lesson: r.lesson,
            lang: r.lang,
            score: r.score,
            max: r.max,
            percent: r.percent,
            pass_mark: r.pass_mark,
            passed: r.passed,
            items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_graded_saved_and_shown() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/02-mta-roles-and-mx.yaml");
        let l = match crate::lesson::load_file(&path) {
            Ok(l) => l,
            Err(d) => panic!("{d}"),
        };
        let events = crate::lab::run(&l.scenario).map(|r| r.events).unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("maillab-web-lesson-{}", std::process::id()));
        let file = dir.join("p.json");
        let st = LessonState::with_progress_file(l.clone(), &events, file.clone());
        let v = st.view(Lang::En);
        assert_eq!(v.progress.answered, 0);
        assert!(v.sections.iter().any(|s| s.run_to.is_some()));
        let cp = l.checkpoints().next().map(|c| c.id.clone()).unwrap_or_default();
        // Nothing typed: asked again, nothing stored.
        let out = st.answer(&cp, "  ", Lang::En).and_then(Result::ok).map(|o| o.outcome);
        assert_eq!(out, Some("invalid"));
        // A wrong answer with a try left, then the answer shown.
        let out = st.answer(&cp, "certainly not this", Lang::Ja).and_then(Result::ok);
        let out = out.unwrap_or_else(|| panic!("an answer"));
        assert_eq!(out.outcome, "wrong");
        assert!(out.message.starts_with("不正解"), "{}", out.message);
        assert_eq!((out.state.answered, out.state.attempts, out.state.expected.clone()), (false, 1, None));
        let out = st.answer(&cp, "still not this", Lang::Ja).and_then(Result::ok);
        let out = out.unwrap_or_else(|| panic!("an answer"));
        assert_eq!(out.outcome, "revealed");
        assert!(out.message.starts_with("残念"), "{}", out.message);
        assert_eq!((out.state.answered, out.state.correct, out.state.attempts), (true, Some(false), 2));
        // The same file the terminal lesson reads, per language.
        let mut saved = load_progress(&file);
        let answers = saved.lang(Lang::Ja).record(&cp).answers.clone();
        assert_eq!(answers, vec!["certainly not this", "still not this"]);
        assert!(saved.lang(Lang::En).checkpoints.is_empty(), "the other language is untouched");
        assert!(st.answer("no-such-id", "1", Lang::En).is_none());
        assert_eq!(st.result(Lang::Ja).score, 0);
        assert_eq!(st.view(Lang::Ja).progress.answered, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn answers_belong_to_one_students_variant() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/03-relay-security.yaml");
        let l = match crate::lesson::load_file_for(&path, Some("s1")) {
            Ok(l) => l,
            Err(d) => panic!("{d}"),
        };
        let events = crate::lab::run(&l.scenario).map(|r| r.events).unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("maillab-web-student-{}", std::process::id()));
        let file = dir.join("p.json");
        let st = LessonState::with_progress_file(l.clone(), &events, file.clone());
        let cp = l.checkpoints().next().map(|c| c.id.clone()).unwrap_or_default();
        // An option number or a word: whichever the question takes is stored.
        let taken = ["1", "250", "certainly not this"]
            .iter()
            .any(|a| st.answer(&cp, a, Lang::En).and_then(Result::ok).is_some_and(|o| o.outcome != "invalid"));
        assert!(taken, "an answer was taken");
        assert_eq!(load_progress(&file).student.as_deref(), Some("s1"), "the student is saved with the answers");
        // The same file opened for the lesson without a student: nothing carries over.
        let base = match crate::lesson::load_file(&path) {
            Ok(l) => l,
            Err(d) => panic!("{d}"),
        };
        let st = LessonState::with_progress_file(base, &events, file.clone());
        assert_eq!(st.view(Lang::En).progress.answered, 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
