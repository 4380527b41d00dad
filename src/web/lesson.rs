//! The lesson adapter: a lesson's sections and checkpoints for the page,
//! answers graded by the same grader as `maillab lesson run`
//! ([`crate::lesson::grade_one`]) and saved to the same progress file, so a
//! student can move between the terminal and the browser. Kept small: it
//! only maps the lesson module's API onto `/api/lesson*`.
//!
//! A section that runs the scenario to step N covers the events up to the
//! start of step N+1 (what the terminal lesson shows for it); its trace
//! questions are graded on those events.

use crate::base::sync::lock;
use crate::lesson::interactive::{Progress, load_progress, progress_path, save_progress};
use crate::lesson::{Checkpoint, Kind, Lang, Lesson, grade_one, report};
use crate::trace::{Event, Field, Kind as EventKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct LessonState {
    pub lesson: Lesson,
    path: PathBuf,
    progress: Mutex<Progress>,
    /// Answers given on the page since the server started, per checkpoint.
    attempts: Mutex<BTreeMap<String, u32>>,
    /// Per section: the position its run reaches (None: it does not run the scenario).
    run_to: Vec<Option<usize>>,
    /// Per checkpoint id: the position whose events its trace question is graded on.
    graded_on: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CpState {
    pub answered: bool,
    pub correct: Option<bool>,
    pub given: Option<String>,
    pub attempts: u32,
    pub expected: Option<String>,
    pub explain: Option<String>,
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CpView {
    pub id: String,
    pub question: String,
    pub kind: &'static str,
    pub options: Option<Vec<String>>,
    pub points: u32,
    pub state: CpState,
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

#[derive(Clone, Debug, Serialize)]
pub struct AnswerOut {
    pub outcome: &'static str,
    pub message: String,
    pub state: CpState,
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
        let path = progress_path(&lesson.name);
        Self::with_progress_file(lesson, events, path)
    }

    pub fn with_progress_file(lesson: Lesson, events: &[Event], path: PathBuf) -> LessonState {
        let step_at: BTreeMap<u64, usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EventKind::Step)
            .filter_map(|(i, e)| e.field_u64(Field::Step).map(|s| (s, i)))
            .collect();
        let end = events.iter().position(|e| e.kind == EventKind::Summary).unwrap_or(events.len());
        let mut run_to = Vec::new();
        let mut graded_on = BTreeMap::new();
        let mut reached = 0;
        for s in &lesson.sections {
            let cut = s.run_to_step.map(|k| step_at.get(&(k as u64 + 1)).copied().unwrap_or(end).max(reached));
            if let Some(c) = cut {
                reached = c;
            }
            run_to.push(cut);
            for cp in &s.checkpoints {
                // A question before any run is graded on the whole run (as the terminal does).
                graded_on.insert(cp.id.clone(), if reached == 0 { events.len() } else { reached });
            }
        }
        let progress = Mutex::new(load_progress(&path));
        LessonState { lesson, path, progress, attempts: Mutex::new(BTreeMap::new()), run_to, graded_on }
    }

    fn checkpoint(&self, id: &str) -> Option<&Checkpoint> {
        self.lesson.checkpoints().find(|c| c.id == id)
    }

    fn grade(&self, cp: &Checkpoint, given: &str, events: &[Event], lang: Lang) -> crate::lesson::Graded {
        let upto = self.graded_on.get(&cp.id).copied().unwrap_or(events.len()).min(events.len());
        grade_one(cp, Some(given), &events[..upto], lang)
    }

    fn cp_state(&self, cp: &Checkpoint, events: &[Event], lang: Lang) -> CpState {
        let given = lock(&self.progress).answers.get(&cp.id).cloned();
        let attempts = lock(&self.attempts).get(&cp.id).copied().unwrap_or(u32::from(given.is_some()));
        match given {
            Some(g) => {
                let r = self.grade(cp, &g, events, lang);
                CpState {
                    answered: true,
                    correct: Some(r.correct),
                    given: Some(g),
                    attempts,
                    expected: Some(r.expected),
                    explain: r.explain,
                    hint: None,
                }
            }
            None => CpState {
                answered: false,
                correct: None,
                given: None,
                attempts,
                expected: None,
                explain: None,
                hint: None,
            },
        }
    }

    pub fn view(&self, events: &[Event], lang: Lang) -> LessonView {
        let mut answered = 0;
        let mut items = Vec::new();
        let sections = self
            .lesson
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| SectionView {
                index: i,
                text: lang.pick(&s.text),
                look_at: s.look_at.as_ref().map(|l| lang.pick(l)),
                run_to_step: s.run_to_step,
                run_to: self.run_to.get(i).copied().flatten(),
                checkpoints: s
                    .checkpoints
                    .iter()
                    .map(|cp| {
                        let state = self.cp_state(cp, events, lang);
                        if state.answered {
                            answered += 1;
                        }
                        if let Some(g) = &state.given {
                            items.push(self.grade(cp, g, events, lang));
                        } else {
                            items.push(grade_one(cp, None, &[], lang));
                        }
                        let (kind, options) = match &cp.kind {
                            Kind::Choice { options, .. } => {
                                ("choice", Some(options.iter().map(|o| lang.pick(o)).collect()))
                            }
                            Kind::Short { .. } => ("short", None),
                            Kind::Number { .. } => ("number", None),
                            Kind::FromTrace(_) => ("trace", None),
                        };
                        CpView {
                            id: cp.id.clone(),
                            question: lang.pick(&cp.question),
                            kind,
                            options,
                            points: cp.points,
                            state,
                        }
                    })
                    .collect(),
            })
            .collect();
        let r = report(&self.lesson, items, lang);
        LessonView {
            name: self.lesson.name.clone(),
            title: lang.pick(&self.lesson.title),
            summary: lang.pick(&self.lesson.summary),
            lang,
            sections,
            progress: ProgressView { answered, total: self.lesson.checkpoints().count(), score: r.score, max: r.max },
        }
    }

    /// Grade and save one answer. None: no such checkpoint.
    pub fn answer(&self, id: &str, given: &str, events: &[Event], lang: Lang) -> Option<std::io::Result<AnswerOut>> {
        let cp = self.checkpoint(id)?;
        let given = given.trim();
        if given.is_empty() || given.len() > 1000 {
            return Some(Ok(AnswerOut {
                outcome: "invalid",
                message: t(lang, "Type an answer first.", "先に回答を入力してください。"),
                state: self.cp_state(cp, events, lang),
            }));
        }
        let saved = {
            let mut p = lock(&self.progress);
            p.answers.insert(cp.id.clone(), given.to_string());
            save_progress(&self.path, &p)
        };
        if let Err(e) = saved {
            return Some(Err(e));
        }
        *lock(&self.attempts).entry(cp.id.clone()).or_insert(0) += 1;
        let r = self.grade(cp, given, events, lang);
        let message = if r.correct {
            t(lang, "Correct.", "正解です。")
        } else {
            format!("{} {}", t(lang, "Not quite. The answer is", "残念。正解は"), r.expected)
        };
        Some(Ok(AnswerOut {
            outcome: if r.correct { "correct" } else { "wrong" },
            message,
            state: self.cp_state(cp, events, lang),
        }))
    }

    /// The result page: every checkpoint graded as it stands (unanswered ones score nothing).
    pub fn result(&self, events: &[Event], lang: Lang) -> crate::lesson::Report {
        let answers = lock(&self.progress).answers.clone();
        let items = self
            .lesson
            .checkpoints()
            .map(|cp| match answers.get(&cp.id) {
                Some(g) => self.grade(cp, g, events, lang),
                None => grade_one(cp, None, events, lang),
            })
            .collect();
        report(&self.lesson, items, lang)
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
        let v = st.view(&events, Lang::En);
        assert_eq!(v.progress.answered, 0);
        assert!(v.sections.iter().any(|s| s.run_to.is_some()));
        let cp = l.checkpoints().next().map(|c| c.id.clone()).unwrap_or_default();
        let out = st.answer(&cp, "  ", &events, Lang::En).and_then(Result::ok).map(|o| o.outcome);
        assert_eq!(out, Some("invalid"));
        let out = st.answer(&cp, "certainly not this", &events, Lang::Ja).and_then(Result::ok);
        let out = out.unwrap_or_else(|| panic!("an answer"));
        assert_eq!(out.outcome, "wrong");
        assert!(out.message.starts_with("残念"));
        assert_eq!((out.state.answered, out.state.attempts), (true, 1));
        // The same file the terminal lesson reads.
        let saved = load_progress(&file);
        assert_eq!(saved.answers.get(&cp).map(String::as_str), Some("certainly not this"));
        assert!(st.answer("no-such-id", "1", &events, Lang::En).is_none());
        let r = st.result(&events, Lang::En);
        assert_eq!(r.score, 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
