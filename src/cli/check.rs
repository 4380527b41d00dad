//! `maillab check`: scenario, lesson and answer-key files, every problem as FILE:LINE:COLUMN.

use super::output::{print_diags, print_warnings};
use maillab::base::diag::{Diagnostic, Diagnostics, count, tr};
use maillab::{lesson, scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn check(files: &[PathBuf]) -> ExitCode {
    let mut bad = false;
    // The files whose problems have been printed: an answer key's lesson
    // that does not load is reported once, whether it is checked itself
    // (`maillab check x.yaml x.answers.yaml`) or only through its key.
    let mut shown = std::collections::BTreeSet::new();
    for f in files {
        match check_one(f) {
            Ok(what) => sayln!("{}: {}", f.display(), tr(format!("ok ({what})"), format!("正しい（{what}）"))),
            Err((source, d)) => {
                let first = shown.insert(source.canonicalize().unwrap_or_else(|_| source.clone()));
                if first {
                    print_diags(&d, &source);
                }
                let (name, s) = (f.display(), source.display());
                if source != *f {
                    eprintln!(
                        "{}",
                        tr(
                            format!("{name}: not checked: its lesson {s} has the problems listed above"),
                            format!("{name}: 確かめられません: レッスン {s} に上に示した問題があります"),
                        )
                    );
                } else if !first {
                    eprintln!(
                        "{}",
                        tr(
                            format!("{name}: its problems are listed above"),
                            format!("{name}: 問題は上に示したとおりです")
                        )
                    );
                }
                bad = true;
            }
        }
    }
    if bad { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

/// What the file holds, in a few words, or its problems with the file they
/// are in (an answer key's may be in its lesson).
fn check_one(f: &Path) -> Result<String, (PathBuf, Diagnostics)> {
    let answers_of = f.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".answers.yaml"));
    if let Some(stem) = answers_of {
        let lesson_path = f.with_file_name(format!("{stem}.yaml"));
        let l = lesson::load_file(&lesson_path).map_err(|d| (lesson_path.clone(), d))?;
        return check_answers(f, &l).map_err(|d| (f.to_path_buf(), d));
    }
    check_file(f).map_err(|d| (f.to_path_buf(), d))
}

/// A scenario or a lesson file: what it holds, or its problems.
fn check_file(f: &Path) -> Result<String, Diagnostics> {
    let is_lesson = maillab::base::shipped::read(f).map(|s| lesson::is_lesson(&s)).unwrap_or(false);
    if is_lesson {
        let l = lesson::load_file(f)?;
        print_warnings(&l.warnings, f);
        let n = check_lesson_variants(f, &l)?;
        // Its scenario's expectations hold in every variant too (the
        // diagnostics name the scenario's file and line).
        check_scenario_variants(Path::new(&l.scenario.file))?;
        let (sections, checkpoints) = (l.sections.len(), l.checkpoints().count());
        Ok(tr(
            format!(
                "lesson, {}, {}{}",
                count(sections as u64, "section", "sections"),
                count(checkpoints as u64, "checkpoint", "checkpoints"),
                variants_note(n)
            ),
            format!("レッスン、セクション {sections} 個、チェックポイント {checkpoints} 個{}", variants_note(n)),
        ))
    } else if std::fs::read_to_string(f).is_ok_and(|s| lesson::looks_like_answers(&s)) {
        Err(Diagnostics(vec![Diagnostic::whole_file(
            &f.display().to_string(),
            tr(
                "this looks like answers to a lesson (`checkpoint-id: answer` lines), not a scenario",
                "これはシナリオではなく、レッスンの解答 (`チェックポイントID: 答え` の行) のようです",
            ),
            Some(tr(
                "name it LESSON.answers.yaml beside the lesson LESSON.yaml, and `maillab check` checks it against the lesson; `maillab lesson grade LESSON --answers FILE` grades it",
                "レッスン LESSON.yaml の隣に LESSON.answers.yaml という名前で置けば、`maillab check` がレッスンと照らし合わせます。採点は `maillab lesson grade LESSON --answers FILE` です",
            )),
        )]))
    } else {
        let sc = scenario::load_file(f)?;
        print_warnings(&sc.warnings, f);
        let n = check_scenario_variants(f)?;
        let (hosts, steps, expect) = (sc.hosts.len(), sc.steps.len(), sc.expect.len());
        Ok(tr(
            format!(
                "{}, {}, {}{}",
                count(hosts as u64, "host", "hosts"),
                count(steps as u64, "step", "steps"),
                count(expect as u64, "expectation", "expectations"),
                variants_note(n)
            ),
            format!("ホスト {hosts} 台、ステップ {steps} 個、期待値 {expect} 件{}", variants_note(n)),
        ))
    }
}

fn variants_note(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        tr(
            if n == 1 {
                "; 1 variant loads and meets its expectations".to_string()
            } else {
                format!("; {n} variants load and meet their expectations")
            },
            format!("。{n} 個の版がすべて読み込め、期待値を満たします"),
        )
    }
}

/// The variants `maillab check` tries: every one, or the declared sample.
fn variants(src: &str, file: &str) -> Result<Vec<scenario::vary::Variant>, Diagnostics> {
    let (seed, vars) = scenario::vary::declared(src, file)?;
    Ok(vars.map(|v| scenario::vary::all(seed, &v)).unwrap_or_default())
}

/// How to run the variant `v` of the scenario source `src`: `command` with
/// a student ID that gets it (`maillab run FILE --student student-7`).
fn run_variant_hint(src: &str, file: &str, v: &scenario::vary::Variant, command: &str) -> String {
    let id =
        scenario::vary::declared(src, file).ok().and_then(|(seed, vars)| scenario::vary::student_for(seed, &vars?, v));
    match id {
        Some(id) => tr(
            format!("`{command} --student {id}` runs this variant"),
            format!("`{command} --student {id}` でこの版を実行できます"),
        ),
        None => tr(
            format!("`{command} --student ID` runs one student's variant"),
            format!("`{command} --student ID` で一人の学生の版を実行できます"),
        ),
    }
}

/// Where the checkpoint `id` is declared in a lesson's source (`id: NAME`),
/// at its name; (1, 1) if it is not found.
fn checkpoint_position(src: &str, id: &str) -> (u64, u64) {
    for (i, line) in src.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ").trim_start().trim_start_matches('{').trim_start();
        if let Some(rest) = t.strip_prefix("id:") {
            // The value up to a comment, or to the next item of a `{ id: x, … }` line.
            let v = rest.split(" #").next().unwrap_or("").split([',', '}']).next().unwrap_or("").trim();
            if v.trim_matches(['"', '\'']) == id {
                let col = line.len() - rest.len() + (rest.len() - rest.trim_start().len());
                return (i as u64 + 1, col as u64 + 1);
            }
        }
    }
    (1, 1)
}

fn in_variant(mut d: Diagnostics, v: &scenario::vary::Variant) -> Diagnostics {
    for x in &mut d.0 {
        x.message =
            tr(format!("in the variant {}: {}", v.label(), x.message), format!("版 {} で: {}", v.label(), x.message));
    }
    d
}

/// Every variant of a scenario loads, runs and meets its `expect:` list.
fn check_scenario_variants(f: &Path) -> Result<usize, Diagnostics> {
    let file = f.display().to_string();
    let src = maillab::base::shipped::read(f).unwrap_or_default();
    let all = variants(&src, &file)?;
    for v in &all {
        let sc = scenario::vary::load_file_with(f, v).map_err(|d| in_variant(d, v))?;
        let run = maillab::lab::run(&sc)
            .map_err(|e| Diagnostics(vec![Diagnostic::whole_file(&file, e.to_string(), None)]))?;
        // The run's own result of each expectation, in both languages (`expect.fail` events).
        if let Some(e) = run.events.iter().find(|e| e.kind == maillab::trace::Kind::ExpectFail) {
            return Err(Diagnostics(vec![Diagnostic {
                file: file.clone(),
                line: e.field_u64(maillab::trace::Field::ExpectLine).unwrap_or(0),
                column: 1,
                message: tr(
                    format!("in the variant {}: the expectation fails: {}", v.label(), e.line_in(false)),
                    format!("版 {} で: 期待値が成り立ちません: {}", v.label(), e.line_in(true)),
                ),
                hint: Some(run_variant_hint(&src, &file, v, &format!("maillab run {file}"))),
            }]));
        }
    }
    Ok(all.len())
}

/// Every variant of a lesson's scenario gives a lesson that loads, and every
/// trace question has an answer in it.
fn check_lesson_variants(f: &Path, l: &lesson::Lesson) -> Result<usize, Diagnostics> {
    let file = f.display().to_string();
    let src = maillab::base::shipped::read(f).unwrap_or_default();
    let sc_src = maillab::base::shipped::read(Path::new(&l.scenario.file)).unwrap_or_default();
    let all = variants(&sc_src, &l.scenario.file)?;
    for v in &all {
        let lv = lesson::load_str_with(&src, f, v.clone()).map_err(|d| in_variant(d, v))?;
        let ctx = lesson::Context::run(&lv)
            .map_err(|e| Diagnostics(vec![Diagnostic::whole_file(&file, e.to_string(), None)]))?;
        if let Some(cp) =
            lv.checkpoints().find(|cp| matches!(cp.kind, lesson::Kind::FromTrace(_)) && ctx.trace_value(cp).is_none())
        {
            let (line, column) = checkpoint_position(&src, &cp.id);
            let (when_en, when_ja) = match cp.moment {
                Some(n) => (
                    format!("what it asks about has not happened by the end of step {n}, where its trace ends"),
                    format!(
                        "問われていることがステップ {n} の終わり（この問いが読むトレースの終わり）までに起きていません"
                    ),
                ),
                None => (
                    "what it asks about never happens in the run".to_string(),
                    "問われていることが実行の中で起きません".to_string(),
                ),
            };
            let run = run_variant_hint(&sc_src, &l.scenario.file, v, &format!("maillab lesson run {file}"));
            let fix = tr(
                "move the question to a later section (one whose run_to_step comes after it happens), or give it a later at_step",
                "起きた後のステップまで進むセクション（run_to_step）に移すか、もっと後の at_step を付けてください",
            );
            return Err(Diagnostics(vec![Diagnostic {
                file: file.clone(),
                line,
                column,
                message: tr(
                    format!("in the variant {}: checkpoint `{}` has no answer: {when_en}", v.label(), cp.id),
                    format!("版 {} で: チェックポイント `{}` に答えがありません: {when_ja}", v.label(), cp.id),
                ),
                hint: Some(tr(format!("{}; {}", fix, run), format!("{}。{}", fix, run))),
            }]));
        }
    }
    Ok(all.len())
}

/// An answer key `NAME.answers.yaml`: it must read, and name only checkpoints of its lesson `l` (`NAME.yaml` beside it).
fn check_answers(f: &Path, l: &lesson::Lesson) -> Result<String, Diagnostics> {
    let given = lesson::load_answers(f)?;
    let src = maillab::base::shipped::read(f).unwrap_or_default();
    let unknown = lesson::unknown_answers(l, &given, &f.display().to_string(), &src);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    // The key is graded as a student's answers would be: each wrong one is
    // an error at its line.
    let lang = match maillab::base::diag::lang() {
        maillab::base::diag::Lang::Ja => lesson::Lang::Ja,
        maillab::base::diag::Lang::En => lesson::Lang::En,
    };
    let file = f.display().to_string();
    let report = lesson::grade(l, &given, lang)
        .map_err(|e| Diagnostics(vec![Diagnostic::whole_file(&file, e.to_string(), None)]))?;
    let wrong: Vec<Diagnostic> = report
        .items
        .iter()
        .filter(|g| g.given.is_some() && !g.correct)
        .map(|g| {
            let given = g.given.as_deref().unwrap_or("");
            let (line, column) = lesson::answer_position(&src, &g.id);
            Diagnostic {
                file: file.clone(),
                line,
                column,
                message: tr(
                    format!("`{}`: `{given}` is graded wrong: the lesson expects {}", g.id, g.expected),
                    format!("`{}`: `{given}` は不正解と採点されます。レッスンの正解は {}", g.id, g.expected),
                ),
                hint: Some(tr(
                    "mend the key, or the lesson's answer (and accept:) if the key is right",
                    "解答ファイルを直すか、解答ファイルが正しければレッスンの answer（と accept:）を直してください",
                )),
            }
        })
        .collect();
    if !wrong.is_empty() {
        return Err(Diagnostics(wrong));
    }
    // A key that leaves checkpoints out still reads (it may be half
    // written), but it would not score 100%: say which ones it leaves out.
    let missing: Vec<String> =
        l.checkpoints().filter(|c| !given.contains_key(&c.id)).map(|c| format!("`{}`", c.id)).collect();
    if !missing.is_empty() {
        let (n, ids) = (missing.len(), missing.join(", "));
        let warning = Diagnostic::whole_file(
            &file,
            tr(
                format!("no answer to {}: {ids}", count(n as u64, "checkpoint", "checkpoints")),
                format!("チェックポイント {n} 個に答えがありません: {ids}"),
            ),
            Some(tr(
                "add a `checkpoint-id: answer` line for each; `maillab lesson grade` counts a missing answer as wrong",
                "それぞれに `チェックポイントID: 答え` の行を足してください。`maillab lesson grade` は答えのないものを不正解と数えます",
            )),
        );
        print_warnings(&[warning], f);
    }
    let (name, n, all) = (&l.name, given.len(), l.checkpoints().count());
    Ok(tr(
        format!("answer key of lesson {name}, {n} of {} answered", count(all as u64, "checkpoint", "checkpoints")),
        format!("レッスン {name} の解答ファイル、チェックポイント {all} 個のうち {n} 個に解答"),
    ))
}
