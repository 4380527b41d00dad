//! Lessons: an explanation in Japanese and English, a scenario to run, pauses
//! that point at the trace, and checkpoints that are graded.
//!
//! Answers that come from the run itself (a reply code, a number of
//! Received: fields) are computed from the trace when the lesson is used,
//! so an edited scenario keeps its lesson correct.

pub mod answer;
pub mod attempt;
pub mod exam;
pub mod interactive;
pub mod keyless;
pub mod raw;
pub mod view;

use crate::base::diag::{Diagnostic, Diagnostics, tr};
use crate::lab::expect;
use crate::scenario::raw::S;
use crate::scenario::{self, Scenario, Text};
use crate::trace::Event;
use crate::trace::{Field, Kind as EventKind};
use answer::{Accept, Names, Verdict};
use raw::{RawCheckpoint, RawLesson};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const DEFAULT_PASS_MARK: u32 = 60;
/// Tries at each question before the answer is shown.
pub const DEFAULT_ATTEMPTS: u32 = 2;
/// The most points one checkpoint may be worth (`points:`).
pub const MAX_POINTS: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// From the locale (LC_ALL, LC_MESSAGES, LANG): Japanese if it says ja.
    pub fn from_env() -> Lang {
        for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(s) = std::env::var(v)
                && !s.is_empty()
            {
                return if s.starts_with("ja") { Lang::Ja } else { Lang::En };
            }
        }
        Lang::En
    }
    pub fn pick(self, t: &Text) -> String {
        let (a, b) = match self {
            Lang::En => (&t.en, &t.ja),
            Lang::Ja => (&t.ja, &t.en),
        };
        a.clone().or_else(|| b.clone()).unwrap_or_default().trim_end().to_string()
    }
}

#[derive(Clone, Debug)]
pub struct Lesson {
    pub file: PathBuf,
    pub name: String,
    pub title: Text,
    pub summary: Text,
    pub scenario: Scenario,
    pub pass_mark: u32,
    /// Tries at each question (at least 1).
    pub attempts: u32,
    /// Percent of a question's points taken off per try after the first.
    pub retry_penalty: u32,
    pub sections: Vec<Section>,
    /// What `maillab check` warns the author of (a number question about
    /// time with no `unit:`).
    pub warnings: Vec<Diagnostic>,
}

#[derive(Clone, Debug)]
pub struct Section {
    pub text: Text,
    pub run_to_step: Option<usize>,
    pub look_at: Option<Text>,
    /// What the section's trace excerpt shows.
    pub show: view::Show,
    pub checkpoints: Vec<Checkpoint>,
}

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub id: String,
    pub question: Text,
    pub points: u32,
    pub explain: Option<Text>,
    /// Shown after a wrong answer when another try is left.
    pub hint: Option<Text>,
    pub kind: Kind,
    /// A trace question reads the trace up to the end of this step (None: the whole run).
    pub moment: Option<usize>,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Choice { options: Vec<Text>, answer: usize },
    Short { answer: String, accept: Vec<Accept> },
    Number { answer: f64, tolerance: f64, unit: Option<answer::Unit> },
    FromTrace(TraceQuestion),
}

#[derive(Clone, Debug)]
pub enum TraceQuestion {
    ReplyCode { step: usize, command: String },
    ReceivedCount { to: String, message: usize },
    DeliveredCount { to: String },
    FetchedCount { step: usize },
    EventCount { kind: crate::trace::Kind, host: Option<String> },
}

impl Lesson {
    pub fn checkpoints(&self) -> impl Iterator<Item = &Checkpoint> {
        self.sections.iter().flat_map(|s| s.checkpoints.iter())
    }
}

/// Find a lesson by name (in lessons/, on disk or built in) or by path.
pub fn locate(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.extension().is_some() || p.components().count() > 1 {
        p.to_path_buf()
    } else {
        Path::new("lessons").join(format!("{name}.yaml"))
    }
}

/// Does this YAML text look like a lesson (a top-level `lesson:` key)?
pub fn is_lesson(src: &str) -> bool {
    src.lines().any(|l| l.starts_with("lesson:"))
}

pub fn load_file(path: &Path) -> Result<Lesson, Diagnostics> {
    load_file_for(path, None)
}

/// Load a lesson as a student's variant of its scenario (`--student`): the
/// scenario's `${...}` values are put into the lesson's texts and answers too.
pub fn load_file_for(path: &Path, student: Option<&str>) -> Result<Lesson, Diagnostics> {
    let src = scenario::load::read_source(path, "lesson")?;
    load_str_for(&src, path, student)
}

pub fn load_str(src: &str, path: &Path) -> Result<Lesson, Diagnostics> {
    load_str_for(src, path, None)
}

/// Where a lesson's `scenario:` value points.
fn scenario_path(lesson: &Path, value: &str) -> PathBuf {
    let dir = lesson.parent().unwrap_or(Path::new("."));
    if value.ends_with(".yaml") {
        dir.join(value)
    } else {
        dir.join("..").join("scenarios").join(format!("{value}.yaml"))
    }
}

/// The variant a student gets of the lesson's scenario (none if it declares no `variants:`).
pub fn variant_of(src: &str, path: &Path, student: Option<&str>) -> scenario::vary::Variant {
    #[derive(serde::Deserialize)]
    struct Head {
        scenario: String,
    }
    // Only the top-level `scenario:` key (and any lines that continue its
    // value) is read: the rest is checked, and its aliases expanded, once,
    // by the full parse.
    let head_src = scenario::vary::top_level_keys(src, &["scenario:"]);
    let Ok(head) = serde_saphyr::from_str_with_options::<Head>(&head_src, scenario::load::yaml_options()) else {
        return Default::default();
    };
    let sc_path = scenario_path(path, &head.scenario);
    let Ok(sc_src) = crate::base::shipped::read(&sc_path) else { return Default::default() };
    scenario::vary::source_for(&sc_src, &sc_path.display().to_string(), student).map(|(_, v)| v).unwrap_or_default()
}

pub fn load_str_for(src: &str, path: &Path, student: Option<&str>) -> Result<Lesson, Diagnostics> {
    load_str_with(src, path, variant_of(src, path, student))
}

/// Load a lesson with the given values of its scenario's variants.
pub fn load_str_with(src: &str, path: &Path, variant: scenario::vary::Variant) -> Result<Lesson, Diagnostics> {
    let file = path.display().to_string();
    let text = variant.apply(src);
    // A `${name}` the variant has no value for is named as such, not left
    // to the parser (which would see `${pol.n}` as a number gone wrong):
    // always when the scenario declares variants (as its own check does),
    // and otherwise when the lesson does not read (the scenario may declare
    // them and not load), so that `${…}` stays text in a lesson without.
    let unresolved = scenario::placeholders::unresolved(src, &file, &variant.values_of(), "lesson");
    if !unresolved.is_empty() && !variant.picks.is_empty() {
        return Err(Diagnostics(unresolved));
    }
    let raw: RawLesson =
        serde_saphyr::from_str_with_options(&text, scenario::load::yaml_options()).map_err(|e| match unresolved {
            ref u if !u.is_empty() => Diagnostics(scenario_first(src, path).unwrap_or_else(|| u.clone())),
            _ => Diagnostics(isolated(&file, &text, scenario::load::yaml_error(&file, &text, &e, "lesson"))),
        })?;
    let mut c = Checker { file: file.clone(), src: text.clone(), diags: Vec::new(), warnings: Vec::new(), variant };
    // Answers an exam copy could not withhold (aliases, anchors, merge keys).
    c.diags.extend(keyless::problems(&text, &file));
    let lesson = c.lesson(raw, path);
    match lesson {
        Some(l) if c.diags.is_empty() => Ok(l),
        _ => {
            let mut d = Diagnostics(c.diags);
            d.sort();
            Err(d)
        }
    }
}

/// When a lesson with `${…}` does not read because its `scenario:` leads to
/// no file, or to one that does not load, that is its problem, and the
/// placeholders (which have no values without the scenario's variants) are
/// not: the scenario's diagnostic alone, with its did-you-mean. None when
/// the scenario loads, or `scenario:` itself cannot be read.
fn scenario_first(src: &str, path: &Path) -> Option<Vec<Diagnostic>> {
    #[derive(serde::Deserialize)]
    struct Head {
        scenario: S<String>,
    }
    let head_src = scenario::vary::top_level_keys(src, &["scenario:"]);
    let head: Head = serde_saphyr::from_str_with_options(&head_src, scenario::load::yaml_options()).ok()?;
    let file = path.display().to_string();
    let mut c =
        Checker { file, src: src.to_string(), diags: Vec::new(), warnings: Vec::new(), variant: Default::default() };
    let sc_path = scenario_path(path, &head.scenario.value);
    match c.scenario(&head.scenario, &sc_path) {
        Some(_) => None,
        None => Some(c.diags),
    }
}

/// The problems of a lesson the reader refused: `first`, the whole file's
/// first, and the first of each section and each checkpoint, read on its own.
fn isolated(file: &str, src: &str, first: Diagnostic) -> Vec<Diagnostic> {
    let Some(mut iso) = scenario::load::isolate::Isolated::new(file, src, "lesson") else { return vec![first] };
    iso.items::<raw::RawSection>(&["sections"]).items::<S<raw::RawCheckpoint>>(&["sections", "checkpoints"]);
    iso.finish(first)
}

struct Checker {
    file: String,
    /// The text read (with the variant's values in place), for positions inside a value.
    src: String,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    variant: scenario::vary::Variant,
}

/// The unit a short or Japanese spelling of `unit:` means (`min`, `分`).
fn units_meant(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "秒" => Some("seconds"),
        "m" | "min" | "mins" | "minute" | "分" => Some("minutes"),
        "h" | "hr" | "hrs" | "hour" | "時間" => Some("hours"),
        "d" | "day" | "日" => Some("days"),
        _ => None,
    }
}

impl Checker {
    fn err<T>(&mut self, at: &S<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::at(&self.file, at, message, hint));
    }

    /// Lessons are taught in both languages: each text needs `en` and `ja`.
    fn both(&mut self, t: &S<Text>, what: &str) {
        let missing: Vec<&str> = [("en", &t.value.en), ("ja", &t.value.ja)]
            .iter()
            .filter(|(_, v)| v.as_ref().is_none_or(|s| s.trim().is_empty()))
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            self.err(
                t,
                tr(
                    format!("{what} has no `{}` text", missing.join("` or `")),
                    format!("{}に `{}` の文がありません", ja_what(what), missing.join("` か `")),
                ),
                tr(
                    "give every text in English (en:) and Japanese (ja:)",
                    "すべての文を英語 (en:) と日本語 (ja:) の両方で書いてください",
                ),
            );
        }
    }

    fn lesson(&mut self, raw: RawLesson, path: &Path) -> Option<Lesson> {
        if raw.lesson.value != 1 {
            self.err(
                &raw.lesson,
                tr(
                    format!("unknown lesson format {}", raw.lesson.value),
                    format!("レッスンの形式 {} は知りません", raw.lesson.value),
                ),
                tr("this maillab reads `lesson: 1`", "この maillab が読めるのは `lesson: 1` です"),
            );
        }
        self.both(&raw.title, "the title");
        if let Some(s) = &raw.summary {
            self.both(s, "the summary");
        }
        let sc_path = scenario_path(path, &raw.scenario.value);
        let scenario = self.scenario(&raw.scenario, &sc_path);
        let pass_mark = match &raw.pass_mark {
            Some(p) if p.value > 100 => {
                self.err(
                    p,
                    tr("the pass mark is a percentage", "合格点は百分率です"),
                    tr("use a number from 0 to 100", "0 から 100 までの数を書いてください"),
                );
                DEFAULT_PASS_MARK
            }
            Some(p) => p.value,
            None => DEFAULT_PASS_MARK,
        };
        let attempts = match &raw.attempts {
            Some(a) if a.value == 0 => {
                self.err(
                    a,
                    tr("a student needs at least one try", "学生には少なくとも 1 回は答える機会が必要です"),
                    tr("use `attempts: 1` for no second try", "やり直しをさせないなら `attempts: 1` にしてください"),
                );
                1
            }
            Some(a) => a.value,
            None => DEFAULT_ATTEMPTS,
        };
        let retry_penalty = match &raw.retry_penalty {
            Some(p) if p.value > 100 => {
                self.err(
                    p,
                    tr("the penalty is a percentage", "減点は百分率です"),
                    tr("use a number from 0 to 100", "0 から 100 までの数を書いてください"),
                );
                0
            }
            Some(p) => p.value,
            None => 0,
        };
        let mut ids = BTreeSet::new();
        let mut sections = Vec::new();
        // The last step the student has seen the trace of.
        let mut seen: Option<usize> = None;
        for s in &raw.sections {
            let s = &s.value;
            self.both(&s.text, "a section's text");
            if let Some(l) = &s.look_at {
                self.both(l, "`look_at`");
            }
            if let (Some(r), Some(sc)) = (&s.run_to_step, &scenario)
                && (r.value == 0 || r.value > sc.steps.len())
            {
                self.err(
                    r,
                    tr(
                        format!("the scenario has no step {} (it has {})", r.value, sc.steps.len()),
                        format!("シナリオにステップ {} はありません (ステップは {} 個です)", r.value, sc.steps.len()),
                    ),
                    tr("steps are numbered from 1", "ステップは 1 から数えます"),
                );
            }
            if let Some(r) = &s.run_to_step {
                seen = Some(r.value);
            }
            let mut cps = Vec::new();
            for cp in &s.checkpoints {
                if !ids.insert(cp.value.id.value.clone()) {
                    self.err(
                        &cp.value.id,
                        tr(
                            format!("a second checkpoint is called `{}`", cp.value.id.value),
                            format!("`{}` という名前のチェックポイントが 2 つあります", cp.value.id.value),
                        ),
                        tr(
                            "checkpoint ids must be unique in a lesson (answer files use them)",
                            "チェックポイントの ID はレッスンの中で重複できません (解答ファイルが使います)",
                        ),
                    );
                }
                if let Some(c) = self.checkpoint(cp, scenario.as_ref(), seen) {
                    cps.push(c);
                }
            }
            sections.push(Section {
                text: s.text.value.clone(),
                run_to_step: s.run_to_step.as_ref().map(|r| r.value),
                look_at: s.look_at.as_ref().map(|l| l.value.clone()),
                show: self.show(s.show.as_ref(), scenario.as_ref()),
                checkpoints: cps,
            });
        }
        if raw.sections.is_empty() {
            self.err(
                &raw.name,
                tr("the lesson has no sections", "レッスンにセクションがありません"),
                tr(
                    "add `sections:` with text and checkpoints",
                    "文とチェックポイントを持つ `sections:` を加えてください",
                ),
            );
        }
        Some(Lesson {
            file: path.to_path_buf(),
            name: raw.name.value,
            title: raw.title.value,
            summary: raw.summary.map(|s| s.value).unwrap_or_default(),
            scenario: scenario?,
            pass_mark,
            attempts,
            retry_penalty,
            sections,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// A number question's `unit:`: one of [`answer::Unit::ALL`].
    fn unit(&mut self, u: &S<String>) -> Option<answer::Unit> {
        if let Some(unit) = answer::Unit::named(&u.value) {
            return Some(unit);
        }
        let names: Vec<&str> = answer::Unit::ALL.iter().map(|(n, _)| *n).collect();
        let list = names.join(", ");
        let near = crate::base::diag::nearest(&u.value, names.iter().copied())
            .or_else(|| units_meant(&u.value))
            .filter(|n| *n != u.value);
        self.err(
            u,
            tr(
                format!("`{}` is not a unit a number question counts in", u.value),
                format!("`{}` は数の問いの単位 (unit:) に使えません", u.value),
            ),
            match near {
                Some(n) => tr(
                    format!("write `unit: {n}`; the units are {list}"),
                    format!("`unit: {n}` と書いてください。単位は {list} のどれかです"),
                ),
                None => tr(
                    format!("maillab converts units of time only: use one of {list}, or leave `unit:` out for a count (of octets, messages, …)"),
                    format!("maillab が換算するのは時間の単位だけです。{list} のどれかを書くか、数 (オクテット数・通数など) を問うなら `unit:` を省いてください"),
                ),
            },
        );
        None
    }

    /// A number question without `unit:` whose text asks about time: an
    /// answer with a unit of time (`40分`) would be asked again as no plain
    /// number, so the author is told to declare it.
    fn unit_missing(&mut self, cp: &RawCheckpoint) {
        let q = &cp.question.value;
        let en = q.en.as_deref().unwrap_or("").to_lowercase();
        let ja = q.ja.as_deref().unwrap_or("");
        const EN: [&str; 7] = ["seconds", "minute", "hour", "how long", " days", "how many days", "how much time"];
        const JA: [&str; 10] = ["何秒", "秒間", "秒後", "何分", "分間", "分後", "時間", "何日", "日間", "日後"];
        if !(EN.iter().any(|w| en.contains(w)) || JA.iter().any(|w| ja.contains(w))) {
            return;
        }
        self.warnings.push(Diagnostic::at(
            &self.file,
            &cp.question,
            tr(
                format!("checkpoint `{}` asks about time, and its number has no `unit:`", cp.id.value),
                format!("チェックポイント `{}` は時間を尋ねていますが、number に `unit:` がありません", cp.id.value),
            ),
            tr(
                "add `unit: minutes` (or seconds, hours, days) under `number:`: then `40`, `40分`, `2400秒` and `40m` are all read as 40 minutes; without it an answer with a unit of time is asked again",
                "`number:` に `unit: minutes` (または seconds・hours・days) を加えてください。そうすれば `40`・`40分`・`2400秒`・`40m` がどれも 40 分と読まれます。加えないと、時間の単位を付けた答えは聞き直されます",
            ),
        ));
    }

    /// `scenario:` names a file that is neither on disk nor built in: say
    /// which file was looked for, with the nearest name in that folder.
    /// The lesson's scenario (`at`: its `scenario:` value, leading to
    /// `sc_path`) with the variant's values; None, with a diagnostic, when
    /// there is no such file or it does not load.
    fn scenario(&mut self, at: &S<String>, sc_path: &Path) -> Option<Scenario> {
        match scenario::vary::load_file_with(sc_path, &self.variant) {
            Ok(s) => Some(s),
            Err(_)
                if crate::base::shipped::read_bytes(sc_path)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
            {
                self.no_scenario(at, sc_path);
                None
            }
            Err(d) => {
                let first = d.0.first().map(|x| x.to_string()).unwrap_or_default();
                let (v, p, first) = (&at.value, sc_path.display(), first.lines().next().unwrap_or(""));
                self.err(
                    at,
                    tr(
                        format!("the scenario `{v}` ({p}) cannot be used: {first}"),
                        format!("シナリオ `{v}` ({p}) を使えません: {first}"),
                    ),
                    tr(
                        "run `maillab check` on the scenario and mend what it reports",
                        "シナリオに `maillab check` をかけて、報告された問題を直してください",
                    ),
                );
                None
            }
        }
    }

    fn no_scenario(&mut self, at: &S<String>, path: &Path) {
        let v = &at.value;
        let by_name = !v.ends_with(".yaml");
        let dir = path.parent().unwrap_or(Path::new("."));
        let files = crate::base::shipped::list(dir);
        let names: Vec<String> = files
            .iter()
            .filter(|p| !p.to_string_lossy().ends_with(".answers.yaml"))
            .filter_map(|p| if by_name { p.file_stem() } else { p.file_name() })
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let written = if by_name { v.as_str() } else { v.rsplit('/').next().unwrap_or(v) };
        let near = crate::base::diag::nearest(written, names.iter().map(String::as_str))
            .map(|n| if by_name { n.to_string() } else { format!("{}{n}", &v[..v.len() - written.len()]) });
        let p = path.display();
        let ways = tr(
            "name a file of scenarios/ without .yaml (e.g. relay-chain), or give a path ending in .yaml relative to this lesson",
            "scenarios/ のファイル名を .yaml を付けずに書くか (例: relay-chain)、このレッスンからの相対パスを .yaml で終えて書いてください",
        );
        let hint = match near {
            Some(n) => tr(format!("did you mean `{n}`?"), format!("`{n}` の書き間違いではありませんか?")),
            None => ways,
        };
        self.err(
            at,
            tr(
                format!("the scenario `{v}` does not exist: no file {p}"),
                format!("シナリオ `{v}` はありません: {p} というファイルがありません"),
            ),
            hint,
        );
    }

    fn checkpoint(&mut self, s: &S<RawCheckpoint>, sc: Option<&Scenario>, seen: Option<usize>) -> Option<Checkpoint> {
        let cp = &s.value;
        self.both(&cp.question, "a question");
        if let Some(e) = &cp.explain {
            self.both(e, "an explanation");
        }
        if let Some(h) = &cp.hint {
            self.both(h, "a hint");
        }
        let points = match &cp.points {
            Some(p) if !(1..=MAX_POINTS).contains(&p.value) => {
                self.err(
                    p,
                    tr(
                        format!("`points: {}` is out of range: a checkpoint is worth 1 to {MAX_POINTS} points", p.value),
                        format!("`points: {}` は範囲外です: チェックポイントの点数は 1 から {MAX_POINTS} までです", p.value),
                    ),
                    tr(
                        tr("points weigh the questions against each other: give a harder one e.g. 2 or 3, and leave `points:` out for 1", "points は問題どうしの重みです: 難しい問題には例えば 2 や 3 を付け、1 なら `points:` を省いてください"),
                        "点数は問題どうしの重みです。難しい問題には例えば 2 や 3 を付け、1 点なら `points:` を省いてください",
                    ),
                );
                1
            }
            Some(p) => p.value,
            None => 1,
        };
        let mut moment = seen;
        let n = [cp.choice.is_some(), cp.short.is_some(), cp.number.is_some(), cp.from_trace.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if n != 1 {
            self.err(
                &cp.id,
                tr(
                    format!("checkpoint `{}` needs exactly one of choice, short, number, from_trace", cp.id.value),
                    format!(
                        "チェックポイント `{}` には choice・short・number・from_trace のどれか 1 つだけが要ります",
                        cp.id.value
                    ),
                ),
                "",
            );
            return None;
        }
        let kind = if let Some(c) = &cp.choice {
            // The texts of the options so far, as a typed answer is compared
            // (`answer::key`), with the option's number.
            let mut texts: Vec<(String, usize)> = Vec::new();
            for (i, o) in c.options.value.iter().enumerate() {
                if o.value.en.is_none() || o.value.ja.is_none() {
                    self.err(
                        o,
                        tr(
                            format!("option {} has no en or no ja text", i + 1),
                            format!("選択肢 {} に en か ja の文がありません", i + 1),
                        ),
                        tr("write each option as {en: ..., ja: ...}", "各選択肢は {en: ..., ja: ...} と書いてください"),
                    );
                }
                let mine: Vec<(String, &String)> = [&o.value.en, &o.value.ja]
                    .into_iter()
                    .flatten()
                    .map(|t| (answer::key(t), t))
                    .filter(|(k, _)| !k.is_empty())
                    .collect();
                if let Some((t, j)) =
                    mine.iter().find_map(|(k, t)| texts.iter().find(|(x, _)| x == k).map(|(_, j)| (*t, *j)))
                {
                    let t = t.trim();
                    self.err(
                        o,
                        tr(
                            format!("options {j} and {} read the same: `{t}`", i + 1),
                            format!("選択肢 {j} と {} が同じ文です: `{t}`", i + 1),
                        ),
                        tr(
                            tr("a student who answers with the text cannot be told which option is meant, so a right answer would be graded wrong; give every option a text of its own, in en and in ja", "文で答えた学生の解答がどの選択肢か決められず、正しい答えが誤りと採点されてしまいます。どの選択肢にも en と ja で別々の文を付けてください"),
                            "文で答えた学生がどちらの選択肢を選んだのか区別できず、正しい答えが不正解になります。選択肢の文は en でも ja でもそれぞれ違うものにしてください",
                        ),
                    );
                }
                texts.extend(mine.into_iter().map(|(k, _)| (k, i + 1)));
            }
            if c.answer.value == 0 || c.answer.value > c.options.value.len() {
                self.err(
                    &c.answer,
                    tr(
                        format!("answer {} is not one of the {} options", c.answer.value, c.options.value.len()),
                        format!("答え {} は {} 個の選択肢のどれでもありません", c.answer.value, c.options.value.len()),
                    ),
                    tr("options are numbered from 1", "選択肢は 1 から数えます"),
                );
            }
            Kind::Choice { options: c.options.value.iter().map(|o| o.value.clone()).collect(), answer: c.answer.value }
        } else if let Some(sh) = &cp.short {
            if answer::key(&sh.answer.value).is_empty() {
                self.err(
                    &sh.answer,
                    tr("the answer is empty", "答えが空です"),
                    tr(
                        "write the expected answer after `answer:`; more accepted forms go under `accept:`",
                        "`answer:` の後に正解を書いてください。ほかに認める書き方は `accept:` に並べます",
                    ),
                );
            }
            let mut accept = Vec::new();
            for a in &sh.accept {
                match Accept::parse(&a.value) {
                    Ok(x) => accept.push(x),
                    Err(e) => {
                        let d = scenario::load::bad_pattern(&self.file, &self.src, a, 1, &a.value, &e);
                        self.diags.push(d);
                    }
                }
            }
            Kind::Short { answer: sh.answer.value.clone(), accept }
        } else if let Some(nu) = &cp.number {
            let unit = nu.unit.as_ref().and_then(|u| self.unit(u));
            if unit.is_none() {
                self.unit_missing(cp);
            }
            Kind::Number { answer: nu.answer.value, tolerance: nu.tolerance.unwrap_or(0.0).abs(), unit }
        } else if let Some(t) = &cp.from_trace {
            if let Some(at) = &t.at_step {
                if sc.is_some_and(|sc| at.value == 0 || at.value > sc.steps.len()) {
                    self.err(
                        at,
                        tr(
                            format!("the scenario has no step {}", at.value),
                            format!("シナリオにステップ {} はありません", at.value),
                        ),
                        tr("steps are numbered from 1", "ステップは 1 から数えます"),
                    );
                }
                moment = Some(at.value);
            }
            // A question about a step the run has not reached when it is asked
            // has no answer (the student would see "the run did not get this far").
            let step = t.reply_code.as_ref().map(|r| &r.step).or(t.fetched_count.as_ref().map(|f| &f.step));
            if let (Some(st), Some(m)) = (step, moment)
                && st.value > m
                && sc.is_some_and(|sc| st.value <= sc.steps.len())
            {
                self.err(
                    st,
                    tr(
                        format!(
                            "step {} has not run yet when this is asked: the trace is read up to step {m}",
                            st.value
                        ),
                        format!(
                            "この問いの時点ではステップ {} はまだ実行されていません（トレースはステップ {m} まで）",
                            st.value
                        ),
                    ),
                    tr(
                        format!(
                            "put the question in a section whose run_to_step reaches step {}, or give it at_step: {}",
                            st.value, st.value
                        ),
                        format!(
                            "run_to_step がステップ {} に届くセクションに移すか、at_step: {} を付けてください",
                            st.value, st.value
                        ),
                    ),
                );
            }
            Kind::FromTrace(self.trace_question(t, sc, &cp.id)?)
        } else {
            return None;
        };
        Some(Checkpoint {
            id: cp.id.value.clone(),
            question: cp.question.value.clone(),
            points,
            explain: cp.explain.as_ref().map(|e| e.value.clone()),
            hint: cp.hint.as_ref().map(|h| h.value.clone()),
            kind,
            moment,
        })
    }

    /// A section's `show:`, checked against the scenario.
    fn show(&mut self, raw: Option<&raw::RawShow>, sc: Option<&Scenario>) -> view::Show {
        let Some(raw) = raw else { return view::Show::default() };
        let mut show =
            view::Show { fold: raw.fold.unwrap_or(true), sessions: raw.sessions.clone(), ..Default::default() };
        for h in &raw.hosts {
            if sc.is_some_and(|sc| sc.host_by_name(&h.value).is_none()) {
                self.err(
                    h,
                    tr(
                        format!("there is no host named `{}`", h.value),
                        format!("`{}` という名前のホストはありません", h.value),
                    ),
                    tr("name a host of the scenario's hosts:", "シナリオの hosts: にあるホストを書いてください"),
                );
            } else {
                show.hosts.push(h.value.clone());
            }
        }
        for k in &raw.kinds {
            match view::kinds_named(&k.value) {
                Some(ks) => show.kinds.extend(ks),
                None => {
                    let (message, hint) = crate::trace::Kind::unknown(&k.value);
                    self.err(
                        k,
                        message,
                        tr(
                            format!("{hint}; or a category (smtp, dns, list, …) or a prefix such as list.*"),
                            format!("{hint}。または分類 (smtp、dns、list など) か list.* のような接頭辞"),
                        ),
                    );
                }
            }
        }
        if let Some(st) = &raw.step_connection {
            if sc.is_some_and(|sc| st.value == 0 || st.value > sc.steps.len()) {
                self.err(
                    st,
                    tr(
                        format!("the scenario has no step {}", st.value),
                        format!("シナリオにステップ {} はありません", st.value),
                    ),
                    tr("steps are numbered from 1", "ステップは 1 から数えます"),
                );
            }
            show.step_connection = Some(st.value);
        }
        show
    }

    fn step_ok(
        &mut self,
        step: &S<usize>,
        sc: Option<&Scenario>,
        want: &str,
        pred: impl Fn(&scenario::Action) -> bool,
    ) -> bool {
        let Some(sc) = sc else { return false };
        match sc.steps.get(step.value.wrapping_sub(1)) {
            Some(s) if pred(&s.action) => true,
            Some(_) => {
                let steps = describe_steps(sc);
                self.err(
                    step,
                    tr(
                        format!("step {} of the scenario is not {want}", step.value),
                        format!("シナリオのステップ {} は {} ではありません", step.value, ja_what(want)),
                    ),
                    tr(format!("the scenario's steps: {steps}"), format!("シナリオのステップ: {steps}")),
                );
                false
            }
            None => {
                self.err(
                    step,
                    tr(
                        format!("the scenario has no step {}", step.value),
                        format!("シナリオにステップ {} はありません", step.value),
                    ),
                    tr(
                        format!(
                            "steps are numbered from 1; the scenario has {}: {}",
                            sc.steps.len(),
                            describe_steps(sc)
                        ),
                        format!(
                            "ステップは 1 から数えます。シナリオのステップは {} 個: {}",
                            sc.steps.len(),
                            describe_steps(sc)
                        ),
                    ),
                );
                false
            }
        }
    }

    fn trace_question(
        &mut self,
        t: &raw::RawFromTrace,
        sc: Option<&Scenario>,
        id: &S<String>,
    ) -> Option<TraceQuestion> {
        let n = [
            t.reply_code.is_some(),
            t.received_count.is_some(),
            t.delivered_count.is_some(),
            t.fetched_count.is_some(),
            t.event_count.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if n != 1 {
            self.err(
                id,
                tr("`from_trace` needs exactly one question", "`from_trace` には問いがちょうど 1 つ要ります"),
                tr(
                    "use one of reply_code, received_count, delivered_count, fetched_count, event_count",
                    "reply_code・received_count・delivered_count・fetched_count・event_count のどれかを使ってください",
                ),
            );
            return None;
        }
        let user = |c: &mut Checker, to: &S<String>| -> Option<String> {
            let key = crate::proto::smtp::address::parse_mailbox(&to.value).map(|m| m.key()).ok();
            match (key, sc) {
                (Some(k), Some(sc)) if sc.users.iter().any(|u| u.address == k) => Some(k),
                (Some(k), Some(sc)) => {
                    // A slip of the keyboard gets the near address, as host names and keys do.
                    let hint = match crate::base::diag::nearest(&k, sc.users.iter().map(|u| u.address.as_str())) {
                        Some(u) => tr(format!("did you mean `{u}`?"), format!("`{u}` の書き間違いではありませんか?")),
                        None => tr(
                            "name a mailbox listed under the scenario's users:",
                            "シナリオの users: にあるメールボックスを書いてください",
                        ),
                    };
                    c.err(
                        to,
                        tr(
                            format!("{} is not a user of the scenario", to.value),
                            format!("{} はシナリオのユーザではありません", to.value),
                        ),
                        hint,
                    );
                    None
                }
                _ => None,
            }
        };
        if let Some(r) = &t.reply_code {
            let ok = self.step_ok(&r.step, sc, "a send step", |a| matches!(a, scenario::Action::Send(_)));
            let cmd = r.command.value.to_ascii_uppercase();
            if !scenario::load::SMTP_COMMANDS.contains(&cmd.as_str()) {
                let hint = tr(
                    "use CONNECT, EHLO, HELO, AUTH, MAIL, RCPT, DATA, QUIT or RSET",
                    "CONNECT・EHLO・HELO・AUTH・MAIL・RCPT・DATA・QUIT・RSET のどれかを使ってください",
                );
                self.err(
                    &r.command,
                    tr(
                        format!("`{}` is not an SMTP command", r.command.value),
                        format!("`{}` は SMTP のコマンドではありません", r.command.value),
                    ),
                    crate::base::diag::did_you_mean(&cmd, scenario::load::SMTP_COMMANDS, hint),
                );
                return None;
            }
            return ok.then_some(TraceQuestion::ReplyCode { step: r.step.value, command: cmd });
        }
        if let Some(m) = &t.received_count {
            return user(self, &m.to)
                .map(|to| TraceQuestion::ReceivedCount { to, message: m.message.unwrap_or(1).max(1) });
        }
        if let Some(m) = &t.delivered_count {
            return user(self, &m.to).map(|to| TraceQuestion::DeliveredCount { to });
        }
        if let Some(f) = &t.fetched_count {
            let ok = self.step_ok(&f.step, sc, "a pop3 or imap step", |a| matches!(a, scenario::Action::Fetch(_)));
            return ok.then_some(TraceQuestion::FetchedCount { step: f.step.value });
        }
        if let Some(e) = &t.event_count {
            let host = match (&e.host, sc) {
                (Some(h), Some(sc)) if sc.host_by_name(&h.value).is_none() => {
                    let known: Vec<&str> = sc.hosts.iter().map(|h| h.name.as_str()).collect();
                    let (message, hint) = crate::base::diag::unknown_host(&h.value, &known);
                    self.err(h, message, hint);
                    return None;
                }
                (Some(h), _) => Some(h.value.clone()),
                (None, _) => None,
            };
            let Some(kind) = crate::trace::Kind::from_name(&e.kind.value) else {
                let (message, hint) = crate::trace::Kind::unknown(&e.kind.value);
                self.err(&e.kind, message, hint);
                return None;
            };
            return Some(TraceQuestion::EventCount { kind, host });
        }
        None
    }
}

/// The answer a trace question has in this run, or None if the run never got there.
pub fn trace_answer(q: &TraceQuestion, events: &[Event]) -> Option<u64> {
    match q {
        // The last reply to the command: for DATA that is the reply to the message itself.
        TraceQuestion::ReplyCode { step, command } => expect::step_replies(events, *step)
            .into_iter()
            .rev()
            .find(|(c, _, _)| c == command)
            .map(|(_, code, _)| u64::from(code)),
        TraceQuestion::ReceivedCount { to, message } => {
            let msgs = expect::delivered(events, to);
            let m = msgs.get(message - 1)?;
            Some(crate::base::message::values(&crate::base::message::headers(m.as_bytes()), "Received").len() as u64)
        }
        TraceQuestion::DeliveredCount { to } => Some(expect::delivered(events, to).len() as u64),
        TraceQuestion::FetchedCount { step } => events
            .iter()
            .find(|e| e.kind == EventKind::MuaFetch && e.field_u64(Field::Step) == Some(*step as u64))
            .and_then(|e| e.field_u64(Field::Count)),
        TraceQuestion::EventCount { kind, host } => {
            Some(events.iter().filter(|e| e.kind == *kind && host.as_ref().is_none_or(|h| &e.host == h)).count() as u64)
        }
    }
}

/// Fold case and width: `ＳＭＴＰ`, ` smtp ` and `SMTP` compare equal
/// (the first rule of [`answer`]).
pub fn normalize(s: &str) -> String {
    answer::fold(s)
}

/// What grading needs from a run of the lesson's scenario: its trace and the
/// names its hosts go by.
#[derive(Clone, Debug)]
pub struct Context {
    pub events: Vec<Event>,
    pub names: Names,
    /// Where the trace ends after each step: step k's events are `events[..cut[k]]`.
    cuts: std::collections::BTreeMap<usize, usize>,
}

impl Context {
    pub fn new(sc: &Scenario, events: Vec<Event>) -> Context {
        let starts: Vec<(usize, usize)> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EventKind::Step)
            .filter_map(|(i, e)| e.field_u64(Field::Step).map(|s| (s as usize, i)))
            .collect();
        let end = events.iter().position(|e| e.kind == EventKind::Summary).unwrap_or(events.len());
        let cuts = (1..=sc.steps.len())
            .map(|k| (k, starts.iter().find(|(s, _)| *s == k + 1).map(|(_, i)| *i).unwrap_or(end)))
            .collect();
        Context { events, names: Names::of(sc), cuts }
    }
    /// Run the lesson's scenario and keep what grading needs.
    pub fn run(l: &Lesson) -> std::io::Result<Context> {
        let run = crate::lab::run(&l.scenario)?;
        Ok(Context::new(&l.scenario, run.events))
    }
    /// The trace up to the end of a step (all of it for None).
    pub fn events_at(&self, step: Option<usize>) -> &[Event] {
        match step.and_then(|k| self.cuts.get(&k)) {
            Some(&cut) => &self.events[..cut.min(self.events.len())],
            None => &self.events,
        }
    }
    /// The value a trace question has at its checkpoint's moment.
    pub fn trace_value(&self, cp: &Checkpoint) -> Option<u64> {
        match &cp.kind {
            Kind::FromTrace(q) => trace_answer(q, self.events_at(cp.moment)),
            _ => None,
        }
    }
}

/// Check one answer: right, wrong, or not an answer (asked again).
pub fn check(cp: &Checkpoint, given: &str, ctx: &Context) -> Verdict {
    match &cp.kind {
        Kind::Choice { options, answer } => answer::choice(options, *answer, given, &ctx.names),
        Kind::Short { answer, accept } => answer::short(answer, accept, given, &ctx.names),
        Kind::Number { answer, tolerance, unit } => answer::numeric(*answer, *tolerance, *unit, given),
        Kind::FromTrace(q) => match (ctx.trace_value(cp), q) {
            (Some(v), TraceQuestion::ReplyCode { .. }) => answer::code(v, given),
            (Some(v), _) => answer::numeric(v as f64, 0.0, None, given),
            (None, _) if answer::fold(given).is_empty() => answer::EMPTY,
            (None, _) => Verdict::Wrong,
        },
    }
}

/// The option (1-based) a choice question's answer picks, as graded; None
/// for other questions or an answer that picks none.
pub fn picked_option(cp: &Checkpoint, given: &str, ctx: &Context) -> Option<usize> {
    match &cp.kind {
        Kind::Choice { options, .. } => answer::picked(options, given, &ctx.names).map(|i| i + 1),
        _ => None,
    }
}

/// The expected answer, as shown to the student.
pub fn expected(cp: &Checkpoint, ctx: &Context, lang: Lang) -> String {
    match &cp.kind {
        Kind::Choice { options, answer } => format!("{answer} ({})", lang.pick(&options[answer - 1])),
        Kind::Short { answer, .. } => answer.clone(),
        Kind::Number { answer, unit: None, .. } => answer.to_string(),
        Kind::Number { answer, unit: Some(u), .. } => u.show(*answer, lang),
        Kind::FromTrace(_) => match ctx.trace_value(cp) {
            Some(v) => v.to_string(),
            None => match lang {
                Lang::En => "(the run did not reach this point)".into(),
                Lang::Ja => "(実行がこの時点まで進みませんでした)".into(),
            },
        },
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Graded {
    pub id: String,
    pub correct: bool,
    /// The last answer given.
    pub given: Option<String>,
    pub expected: String,
    /// How many (valid) answers were given.
    pub attempts: u32,
    pub points: u32,
    pub earned: u32,
    pub explain: Option<String>,
}

/// Points earned for a right answer after `attempts` tries.
pub fn earned(l: &Lesson, points: u32, attempts: u32) -> u32 {
    let off = l.retry_penalty.saturating_mul(attempts.saturating_sub(1)).min(100);
    // In u64: points × 100 does not fit in a u32 for every u32.
    u32::try_from(u64::from(points) * u64::from(100 - off) / 100).unwrap_or(u32::MAX)
}

/// Grade one checkpoint from the answers a student gave (in order; the last counts).
pub fn grade_tries(l: &Lesson, cp: &Checkpoint, tries: &[String], ctx: &Context, lang: Lang) -> Graded {
    let last = tries.last();
    let correct = last.is_some_and(|g| check(cp, g, ctx) == Verdict::Right);
    let attempts = tries.len() as u32;
    Graded {
        id: cp.id.clone(),
        correct,
        given: last.cloned(),
        expected: expected(cp, ctx, lang),
        attempts,
        points: cp.points,
        earned: if correct { earned(l, cp.points, attempts) } else { 0 },
        explain: cp.explain.as_ref().map(|e| lang.pick(e)),
    }
}

/// Check one answer given once. `ctx` is the run of the lesson's scenario.
pub fn grade_one(l: &Lesson, cp: &Checkpoint, given: Option<&str>, ctx: &Context, lang: Lang) -> Graded {
    let tries: Vec<String> = given.into_iter().map(str::to_string).collect();
    grade_tries(l, cp, &tries, ctx, lang)
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub lesson: String,
    pub lang: Lang,
    pub score: u32,
    pub max: u32,
    pub percent: u32,
    pub pass_mark: u32,
    pub passed: bool,
    pub items: Vec<Graded>,
}

/// Run the lesson's scenario once and grade a set of answers (id -> text).
pub fn grade(l: &Lesson, answers: &std::collections::BTreeMap<String, String>, lang: Lang) -> std::io::Result<Report> {
    let ctx = Context::run(l)?;
    let items: Vec<Graded> =
        l.checkpoints().map(|cp| grade_one(l, cp, answers.get(&cp.id).map(String::as_str), &ctx, lang)).collect();
    Ok(report(l, items, lang))
}

/// `part` of `whole` in whole percent, rounded half up (4 of 6 is 67, 1 of
/// 8 is 13), 100 when `whole` is 0. Every percentage maillab shows (a score,
/// the class's grades, a question's misses) is this one.
pub fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 100;
    }
    // In u128: 200 times a u64 does not fit a u64.
    let (part, whole) = (u128::from(part.min(whole)), u128::from(whole));
    u64::try_from((part * 200 + whole) / (whole * 2)).unwrap_or(100)
}

pub fn report(l: &Lesson, items: Vec<Graded>, lang: Lang) -> Report {
    // Summed in u64 (a u32 sum of points could wrap), the percentage taken
    // from the sums, and each shown as a u32, the largest if it does not fit.
    let score: u64 = items.iter().map(|g| u64::from(g.earned)).sum();
    let max: u64 = items.iter().map(|g| u64::from(g.points)).sum();
    // Passed on the exact score (199 of 200 is not 100%); the percentage
    // shown is rounded, and rounded down when rounding up would reach a
    // pass mark the score does not (59.5% against 60 shows 59%).
    let passed = max == 0 || u128::from(score.min(max)) * 100 >= u128::from(l.pass_mark) * u128::from(max);
    let mut percent = percent(score, max);
    if !passed && percent >= u64::from(l.pass_mark) {
        percent = u64::try_from(u128::from(score.min(max)) * 100 / u128::from(max)).unwrap_or(0);
    }
    let shown = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Report {
        lesson: l.name.clone(),
        lang,
        score: shown(score),
        max: shown(max),
        percent: shown(percent),
        pass_mark: l.pass_mark,
        passed,
        items,
    }
}

pub fn report_text(r: &Report) -> String {
    let mut s = match r.lang {
        Lang::En => format!(
            "lesson {}: {} of {} ({}%), pass mark {}%: {}\n",
            r.lesson,
            r.score,
            crate::base::diag::count(r.max, "point", "points"),
            r.percent,
            r.pass_mark,
            if r.passed { "PASSED" } else { "not passed" }
        ),
        Lang::Ja => format!(
            "レッスン {}: {} 点中 {} 点 ({}%)、合格点 {}%: {}\n",
            r.lesson,
            r.max,
            r.score,
            r.percent,
            r.pass_mark,
            if r.passed { "合格" } else { "不合格" }
        ),
    };
    for g in &r.items {
        let mark = if g.correct { "✓" } else { "✗" };
        let given = g.given.clone().unwrap_or_else(|| match r.lang {
            Lang::En => "(no answer)".into(),
            Lang::Ja => "(未回答)".into(),
        });
        let tries = match (r.lang, g.attempts) {
            (_, 0 | 1) => String::new(),
            (Lang::En, n) => format!(", {n} tries"),
            (Lang::Ja, n) => format!("、{n} 回目で回答"),
        };
        s.push_str(&match r.lang {
            Lang::En => format!("  {mark} {}: {given} (expected {}{tries})\n", g.id, g.expected),
            Lang::Ja => format!("  {mark} {}: {given} (正解 {}{tries})\n", g.id, g.expected),
        });
    }
    s
}

/// Each step of a scenario in a few words (`1 send, 2 pop3, 3 wait`), for hints.
fn describe_steps(sc: &Scenario) -> String {
    let words: Vec<String> = sc
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let w = match &s.action {
                scenario::Action::Send(x) if x.reply.is_some() => "reply",
                scenario::Action::Send(_) => "send",
                scenario::Action::Fetch(f) if f.protocol == scenario::FetchProtocol::Imap => "imap",
                scenario::Action::Fetch(_) => "pop3",
                scenario::Action::Wait(_) => "wait",
                scenario::Action::Fault { .. } => "fault",
                scenario::Action::Configure { .. } => "configure",
            };
            format!("{} {w}", i + 1)
        })
        .collect();
    if words.is_empty() { "none".into() } else { words.join(", ") }
}

/// Answers to checkpoints a lesson does not have, each at its line in the
/// answers file (`src`), with the nearest checkpoint id as a "did you mean".
/// Where checkpoint `id` is answered in an answer key's source (line and
/// column, 1-based; the first line if it cannot be found).
pub fn answer_position(src: &str, id: &str) -> (u64, u64) {
    let quoted = format!("\"{id}\"");
    let at = src.lines().enumerate().find(|(_, x)| {
        let x = x.trim_start();
        [id, quoted.as_str()].iter().any(|k| x.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with(':')))
    });
    at.map(|(i, x)| (i as u64 + 1, (x.len() - x.trim_start().len()) as u64 + 1)).unwrap_or((1, 1))
}

pub fn unknown_answers(
    l: &Lesson,
    given: &std::collections::BTreeMap<String, String>,
    file: &str,
    src: &str,
) -> Diagnostics {
    use crate::base::diag::nearest;
    let ids: Vec<&str> = l.checkpoints().map(|c| c.id.as_str()).collect();
    let mut out = Vec::new();
    for k in given.keys().filter(|k| !ids.contains(&k.as_str())) {
        let (line, column) = answer_position(src, k);
        let hint = match nearest(k, ids.iter().copied()) {
            Some(n) => tr(format!("did you mean `{n}`?"), format!("`{n}` の書き間違いではありませんか?")),
            None => tr(
                format!("the checkpoint ids of lesson {} are: {}", l.name, ids.join(", ")),
                format!("レッスン {} のチェックポイント ID: {}", l.name, ids.join(", ")),
            ),
        };
        out.push(Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: tr(
                tr(
                    format!("`{k}` is not a checkpoint of lesson {}", l.name),
                    format!("`{k}` はレッスン {} のチェックポイントではありません", l.name),
                ),
                format!("`{k}` はレッスン {} のチェックポイントではありません", l.name),
            ),
            hint: Some(hint),
        });
    }
    let mut d = Diagnostics(out);
    d.sort();
    d
}

/// Does this text look like a file of answers (`checkpoint-id: answer` lines and nothing else)?
pub fn looks_like_answers(src: &str) -> bool {
    let mut any = false;
    for line in src.lines() {
        let t = line.trim_end();
        if t.is_empty() || t.trim_start().starts_with('#') {
            continue;
        }
        if t.starts_with([' ', '\t', '-']) {
            return false;
        }
        let Some((k, v)) = t.split_once(':') else { return false };
        let v = v.trim();
        if k.is_empty() || v.is_empty() || v.starts_with(['[', '{', '|', '>']) {
            return false;
        }
        if ["version", "name", "hosts", "title", "scenario", "sections", "lesson"].contains(&k) {
            return false;
        }
        any = true;
    }
    any
}

/// Read an answers file: a map from checkpoint id to answer.
pub fn load_answers(path: &Path) -> Result<std::collections::BTreeMap<String, String>, Diagnostics> {
    let file = path.display().to_string();
    let src = scenario::load::read_source(path, "answers")?;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Answer {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let raw: std::collections::BTreeMap<String, Answer> =
        serde_saphyr::from_str_with_options(&src, scenario::load::yaml_options())
            .map_err(|e| Diagnostics(vec![scenario::load::yaml_error(&file, &src, &e, "answers")]))?;
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Answer::Int(i) => i.to_string(),
                Answer::Float(f) => f.to_string(),
                Answer::Text(t) => t,
            };
            (k, s)
        })
        .collect())
}

/// Every lesson in a folder, sorted by file name (the built-in lessons for
/// `lessons` when there is no such folder on disk).
pub fn list(dir: &Path) -> Vec<(PathBuf, Result<Lesson, Diagnostics>)> {
    crate::base::shipped::list(dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".answers.yaml"))
        .map(|p| {
            let l = load_file(&p);
            (p, l)
        })
        .collect()
}

/// The Japanese for the `what` of a lesson's texts and steps, in messages.
fn ja_what(what: &str) -> &str {
    match what {
        "the title" => "タイトル",
        "the summary" => "要約",
        "a section's text" => "セクションの本文",
        "a question" => "問題文",
        "an explanation" => "解説",
        "a hint" => "ヒント",
        "a send step" => "送信 (send) のステップ",
        "a pop3 or imap step" => "pop3 か imap のステップ",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_event_kind_in_a_question_is_refused_with_a_hint() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/02-mta-roles-and-mx.yaml"));
        let src = std::fs::read_to_string(path).expect("lesson 02 is shipped");
        let good = "event_count: { kind: dns.query, host: ns }";
        assert!(src.contains(good));
        let Err(d) = load_str(&src.replacen(good, "event_count: { kind: dns.qeury, host: ns }", 1), path) else {
            panic!("a misspelt kind was accepted")
        };
        let d = d.0.iter().find(|d| d.message.contains("dns.qeury")).expect("a diagnostic names the kind");
        assert_eq!(d.message, "`dns.qeury` is not an event kind");
        assert!(d.hint.as_deref().is_some_and(|h| h.contains("did you mean `dns.query`?")), "{d:?}");
    }

    /// A small lesson on relay-chain with one short question and one choice;
    /// each test changes a line of it.
    const SMALL: &str = "lesson: 1
name: t
title: { en: T, ja: T }
scenario: relay-chain
sections:
  - text: { en: x, ja: x }
    checkpoints:
      - id: proto
        question: { en: q, ja: q }
        short: { answer: SMTP }
      - id: role
        question: { en: q, ja: q }
        choice:
          options:
            - { en: relay, ja: 中継 }
            - { en: mailbox, ja: メールボックス }
          answer: 2
";

    fn small(old: &str, new: &str) -> (String, Result<Lesson, Diagnostics>) {
        assert!(SMALL.contains(old), "`{old}` is not in the small lesson");
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/t.yaml"));
        let src = SMALL.replacen(old, new, 1);
        let l = load_str(&src, path);
        (src, l)
    }

    /// (line, column) of the first `needle` in `src`, from 1.
    fn pos(src: &str, needle: &str) -> (u64, u64) {
        let at = src.find(needle).expect("the needle is in the source");
        let line = src[..at].matches('\n').count() as u64 + 1;
        let col = at - src[..at].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        (line, col as u64)
    }

    #[test]
    fn the_small_lesson_is_valid() {
        assert!(small("", "").1.is_ok());
    }

    #[test]
    fn points_out_of_range_are_refused_where_they_stand() {
        for bad in ["0", "1001", "4294967295"] {
            let (src, l) = small("        short:", &format!("        points: {bad}\n        short:"));
            let Err(d) = l else { panic!("points: {bad} was accepted") };
            assert_eq!(d.0.len(), 1, "{d:?}");
            assert_eq!((d.0[0].line, d.0[0].column), pos(&src, &format!("{bad}\n")));
            assert_eq!(
                d.0[0].message,
                format!("`points: {bad}` is out of range: a checkpoint is worth 1 to 1000 points")
            );
            assert!(d.0[0].hint.as_deref().is_some_and(|h| h.contains("leave `points:` out for 1")), "{d:?}");
        }
        let (_, l) = small("        short:", "        points: 1000\n        short:");
        assert_eq!(l.expect("1000 points is allowed").sections[0].checkpoints[0].points, 1000);
    }

    /// A trial found 4 of 6 shown as 66%: percentages round half up.
    #[test]
    fn percentages_round_half_up() {
        let cases = [(4, 6, 67), (1, 6, 17), (1, 3, 33), (1, 8, 13), (7, 8, 88), (5, 5, 100), (0, 9, 0), (0, 0, 100)];
        for (part, whole, want) in cases {
            assert_eq!(percent(part, whole), want, "{part} of {whole}");
        }
        assert_eq!(percent(u64::MAX, u64::MAX), 100);
        assert_eq!(percent(u64::MAX / 2, u64::MAX), 50);
    }

    /// The pass mark is met by the exact score, not the rounded one (review
    /// h20: 199 of 200 passed a pass mark of 100, shown as 100%); a score
    /// below it is never shown at or above it.
    #[test]
    fn the_pass_mark_is_met_by_the_exact_score() {
        let (_, l) = small("", "");
        let mut l = l.expect("valid");
        let item = |points: u32, earned: u32| Graded {
            id: "x".into(),
            correct: earned == points,
            given: None,
            expected: String::new(),
            explain: None,
            attempts: 1,
            points,
            earned,
        };
        for (mark, items, passed, shown) in [
            (100, vec![item(199, 199), item(1, 0)], false, 99),
            (60, vec![item(119, 119), item(81, 0)], false, 59),
            (60, vec![item(120, 120), item(80, 0)], true, 60),
            (67, vec![item(4, 4), item(2, 0)], false, 66),
            (66, vec![item(4, 4), item(2, 0)], true, 67),
        ] {
            l.pass_mark = mark;
            let r = report(&l, items, Lang::En);
            assert_eq!((r.passed, r.percent), (passed, shown), "pass mark {mark}");
        }
    }

    /// Points that do not fit in a u32 when summed, or when multiplied by
    /// 100, still give a score no larger than the maximum, and a failed
    /// lesson fails.
    #[test]
    fn scores_do_not_overflow() {
        let (_, l) = small("", "");
        let mut l = l.expect("valid");
        let item = |earned: u32| Graded {
            id: "x".into(),
            correct: earned > 0,
            given: None,
            expected: String::new(),
            attempts: 1,
            points: u32::MAX,
            earned,
            explain: None,
        };
        let r = report(&l, vec![item(0), item(0)], Lang::En);
        assert_eq!((r.score, r.max, r.percent, r.passed), (0, u32::MAX, 0, false));
        let r = report(&l, vec![item(u32::MAX), item(0)], Lang::En);
        assert_eq!((r.score, r.percent, r.passed), (u32::MAX, 50, false));
        let r = report(&l, vec![item(u32::MAX), item(u32::MAX)], Lang::En);
        assert_eq!((r.score, r.percent, r.passed), (u32::MAX, 100, true));
        assert_eq!(earned(&l, u32::MAX, 1), u32::MAX);
        // 66.67% is shown as 67%, and passes 66, not 67 (the exact score counts).
        l.pass_mark = 66;
        let r = report(&l, vec![item(u32::MAX), item(u32::MAX), item(0)], Lang::En);
        assert_eq!((r.percent, r.passed), (67, true), "2 of 3 is 66.67%");
        l.pass_mark = 67;
        let r = report(&l, vec![item(u32::MAX), item(u32::MAX), item(0)], Lang::En);
        assert_eq!((r.percent, r.passed), (66, false), "2 of 3 is 66.67%");
        l.retry_penalty = 50;
        assert_eq!(earned(&l, u32::MAX, 2), u32::MAX / 2);
    }

    /// Two options with the same text (as answers are compared: case, width
    /// and edge punctuation aside), in one language or across the two, are
    /// refused at the second of them.
    #[test]
    fn options_with_the_same_text_are_refused() {
        for (second, shown) in [
            ("{ en: relay, ja: メールボックス }", "relay"),
            ("{ en: \"Relay.\", ja: メールボックス }", "Relay."),
            ("{ en: mailbox, ja: 中継 }", "中継"),
            ("{ en: mailbox, ja: relay }", "relay"),
        ] {
            let (src, l) = small("{ en: mailbox, ja: メールボックス }", second);
            let Err(d) = l else { panic!("{second} was accepted") };
            assert_eq!(d.0.len(), 1, "{d:?}");
            assert_eq!((d.0[0].line, d.0[0].column), pos(&src, second));
            assert_eq!(d.0[0].message, format!("options 1 and 2 read the same: `{shown}`"));
            assert!(d.0[0].hint.as_deref().is_some_and(|h| h.contains("a right answer would be graded wrong")));
        }
        // One option may say the same in both languages.
        assert!(small("{ en: mailbox, ja: メールボックス }", "{ en: MX, ja: MX }").1.is_ok());
    }

    /// A scenario that is not there, by name or by path: the file looked
    /// for and the nearest name, without the system's "(os error 2)".
    #[test]
    fn a_misspelt_scenario_gets_a_did_you_mean() {
        let (src, l) = small("scenario: relay-chain", "scenario: relay-chian");
        let Err(d) = l else { panic!("accepted") };
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!((d.0[0].line, d.0[0].column), pos(&src, "relay-chian"));
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/../scenarios/relay-chian.yaml");
        assert_eq!(d.0[0].message, format!("the scenario `relay-chian` does not exist: no file {file}"));
        assert_eq!(d.0[0].hint.as_deref(), Some("did you mean `relay-chain`?"));
        let (_, l) = small("scenario: relay-chain", "scenario: ../scenarios/relay-chian.yaml");
        let Err(d) = l else { panic!("accepted") };
        assert_eq!(d.0[0].hint.as_deref(), Some("did you mean `../scenarios/relay-chain.yaml`?"));
        let (_, l) = small("scenario: relay-chain", "scenario: nothing-like-it");
        let Err(d) = l else { panic!("accepted") };
        assert!(!d.0[0].message.contains("os error"), "{d:?}");
        assert!(d.0[0].hint.as_deref().is_some_and(|h| h.starts_with("name a file of scenarios/")), "{d:?}");
    }

    /// A lesson with a `${…}` where a number goes does not read without its
    /// scenario's values; when `scenario:` is misspelt, the misspelling is
    /// what is reported (with its did-you-mean), not every placeholder as
    /// "no value" (user trial h20: eight such errors hid `campsu`).
    #[test]
    fn a_misspelt_scenario_is_named_before_placeholders() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
        let path = Path::new(dir).join("03-relay-security.yaml");
        let src = std::fs::read_to_string(&path).expect("lesson 03 is shipped");
        let src = src.replacen("scenario: relay-denial", "scenario: relay-denail", 1).replacen(
            "reply_code: { step: 1, command: RCPT }",
            "reply_code: { step: ${lab.step}, command: RCPT }",
            1,
        );
        assert!(src.contains("relay-denail") && src.contains("${lab.step}"));
        let Err(d) = load_str(&src, &path) else { panic!("accepted") };
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!((d.0[0].line, d.0[0].column), pos(&src, "relay-denail"));
        assert_eq!(d.0[0].hint.as_deref(), Some("did you mean `relay-denial`?"));
    }

    /// A bad `/regex/` under `accept:` is one line, at the character of
    /// the mistake: the pattern and what is wrong, not the regex crate's
    /// multi-line dump of the pattern as compiled.
    #[test]
    fn a_bad_pattern_is_reported_in_one_line() {
        let (src, l) = small("short: { answer: SMTP }", "short: { answer: SMTP, accept: [\"/(relay/\"] }");
        let Err(d) = l else { panic!("accepted") };
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!((d.0[0].line, d.0[0].column), pos(&src, "(relay/\""));
        assert_eq!(
            d.0[0].message,
            "`/(relay/` is not a valid regular expression: the group opened by this `(` is never closed"
        );
        assert!(!d.0[0].to_string().contains("(?i)"), "{}", d.0[0]);
        // In double quotes the hint writes the backslash as YAML wants it there.
        assert!(d.0[0].hint.as_deref().is_some_and(|h| h.contains("write `\\\\(` for a bracket itself")), "{d:?}");
        // Plain, in single quotes, and with an escape before it, the caret still finds the bracket.
        for (accept, at) in [("[/smtp(s/]", "(s/]"), ("['/it''s (/']", "(/'"), ("[\"/\\u0041\\\\d (/\"]", "(/\"")] {
            let (src, l) = small("short: { answer: SMTP }", &format!("short: {{ answer: SMTP, accept: {accept} }}"));
            let Err(d) = l else { panic!("{accept}: accepted") };
            assert_eq!((d.0[0].line, d.0[0].column), pos(&src, at), "{accept}: {d:?}");
        }
        // A pattern that would close the group it is matched in is refused.
        let (_, l) = small("short: { answer: SMTP }", "short: { answer: SMTP, accept: [\"/x)|(.*/\"] }");
        let Err(d) = l else { panic!("accepted: it would match any answer") };
        assert!(d.0[0].message.ends_with("this `)` closes no group"), "{d:?}");
    }

    /// The variant look-up reads only the `scenario:` key, written inline,
    /// quoted or on a line of its own, and nothing else of the lesson.
    #[test]
    fn the_variant_follows_the_scenario_key_however_it_is_written() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/03-relay-security.yaml"));
        let src = std::fs::read_to_string(path).expect("lesson 03 is shipped");
        assert!(src.contains("\nscenario: relay-denial\n"));
        let want = variant_of(&src, path, Some("s1234567"));
        assert!(!want.values.is_empty(), "relay-denial has variants");
        for key in ["scenario: \"relay-denial\"  # the lab\n", "scenario:\n  relay-denial\n"] {
            let other = src.replacen("scenario: relay-denial\n", key, 1);
            assert_eq!(variant_of(&other, path, Some("s1234567")), want, "{key}");
        }
        // An alias bomb elsewhere in the lesson is not expanded here.
        let mut bomb = String::from("l0: &l0 lol\n");
        for i in 1..9 {
            bomb.push_str(&format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(", ")));
        }
        assert_eq!(variant_of(&format!("{src}{bomb}"), path, Some("s1234567")), want);
        assert_eq!(variant_of("title: no scenario\n", path, None), Default::default());
    }
}
