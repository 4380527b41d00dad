//! `maillab lesson list | run | grade`.

use super::output::{pass_fail, print_diags};
use super::{ClassCmd, Format, LangArg, LessonCmd};
use maillab::base::diag::tr;
use maillab::lesson::{self, Lang, Lesson, interactive};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn lesson(cmd: LessonCmd, lang: Lang) -> ExitCode {
    match cmd {
        LessonCmd::List => list(lang),
        LessonCmd::Run { name, restart, redo, student, exam, submission, no_pager } => {
            run(&name, lang, restart, &redo, student, exam.then_some(submission), no_pager)
        }
        LessonCmd::ExamCopy { name, out } => exam_copy(&name, &out),
        LessonCmd::Grade { name, answers, format, student } => grade(&name, &answers, format, lang, student.as_deref()),
    }
}

/// `--lang`, or the locale's language.
pub(super) fn lang_of(l: Option<LangArg>) -> Lang {
    let l = match l {
        Some(LangArg::En) => Lang::En,
        Some(LangArg::Ja) => Lang::Ja,
        None => Lang::from_env(),
    };
    // Diagnostics follow the lesson's language.
    maillab::base::diag::set_lang(if l == Lang::Ja {
        maillab::base::diag::Lang::Ja
    } else {
        maillab::base::diag::Lang::En
    });
    l
}

/// Load a lesson by name or path, printing its problems.
pub(super) fn load_lesson(name: &str, student: Option<&str>) -> Result<Lesson, ExitCode> {
    let path = lesson::locate(name);
    lesson::load_file_for(&path, student).map_err(|d| {
        print_diags(&d, &path);
        ExitCode::from(2)
    })
}

/// An exam copy's answers are placeholders: it is run in exam mode only,
/// never practised or used as a key.
fn refuse_exam_copy(l: &Lesson, lang: Lang) -> Result<(), ExitCode> {
    let src = maillab::base::shipped::read(&l.file).unwrap_or_default();
    if !lesson::exam::is_exam_copy(&src) {
        return Ok(());
    }
    let f = l.file.display();
    eprintln!(
        "{}",
        match lang {
            Lang::En => format!(
                "maillab: {f} is an exam copy: its answers are withheld, so it cannot tell right from wrong.\n  \
                 hint: run it with --exam (answers are recorded, not graded), or practise with the full lesson"
            ),
            Lang::Ja => format!(
                "maillab: {f} は試験用のコピーです。答えが伏せてあるので、正誤を判定できません。\n  \
                 ヒント: --exam を付けて実行するか（答えは記録され、採点はされません）、元のレッスンで練習してください"
            ),
        }
    );
    Err(ExitCode::from(2))
}

fn list(lang: Lang) -> ExitCode {
    let all = lesson::list(Path::new("lessons"));
    if all.is_empty() {
        eprintln!(
            "{}",
            match lang {
                Lang::En =>
                    "maillab: no lessons in ./lessons (without that folder, maillab lists its built-in lessons)",
                Lang::Ja =>
                    "maillab: ./lessons にレッスンがありません (このフォルダがなければ、maillab に組み込まれたレッスンを使います)",
            }
        );
        return ExitCode::from(2);
    }
    let stem_of = |p: &std::path::Path| p.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
    // The names' column as wide as the longest name.
    let w = all.iter().map(|(p, _)| stem_of(p).chars().count()).max().unwrap_or(0);
    for (p, l) in all {
        let stem = format!("{:<w$}", stem_of(&p));
        match l {
            Ok(l) => match lang {
                Lang::En => sayln!(
                    "{stem} {}  ({}, scenario {})",
                    lang.pick(&l.title),
                    maillab::base::diag::count(l.checkpoints().count() as u64, "checkpoint", "checkpoints"),
                    l.scenario.name
                ),
                Lang::Ja => sayln!(
                    "{stem} {}  (問題 {} 問、シナリオ {})",
                    lang.pick(&l.title),
                    l.checkpoints().count(),
                    l.scenario.name
                ),
            },
            Err(_) => match lang {
                Lang::En => sayln!("{stem} (has errors: run `maillab check {}`)", p.display()),
                Lang::Ja => sayln!("{stem} (誤りがあります: `maillab check {}` で確かめてください)", p.display()),
            },
        }
    }
    ExitCode::SUCCESS
}

/// Load a lesson for a student and the progress saved for it (an exam's own,
/// with `exam`). The student ID is remembered with the progress as soon as it
/// is given (saved at once when no answers are saved yet, so a student who
/// stops before the first answer keeps it), and later runs (and `maillab web
/// --lesson`) need not repeat it; answers saved for another student's variant
/// do not carry over: without `restart` that is an error, with it they are
/// dropped (when saved again).
pub(super) fn open_for_student(
    name: &str,
    student: Option<String>,
    restart: bool,
    exam: bool,
    lang: Lang,
) -> Result<(Lesson, interactive::Progress), ExitCode> {
    let name_only = lesson::locate(name);
    let saved = lesson::load_file(&name_only)
        .ok()
        .map(|l| interactive::load_progress(&interactive::progress_path(&l.name, exam)));
    let student = student.or_else(|| saved.and_then(|p| p.student));
    let l = load_lesson(name, student.as_deref())?;
    if !exam {
        refuse_exam_copy(&l, lang)?;
    }
    let ppath = interactive::progress_path(&l.name, exam);
    let mut progress = interactive::load_progress(&ppath);
    if progress.student != student {
        let answered = !progress.langs.is_empty() || !progress.answers.is_empty();
        if !restart && answered {
            eprintln!("{}", other_student(progress.student.as_deref(), student.as_deref(), lang));
            return Err(ExitCode::from(2));
        }
        progress = Default::default();
        progress.student = student;
        // Nothing is lost by saving now: the ID is remembered even if the
        // student stops before the first answer.
        if !answered && let Err(e) = interactive::save_progress(&ppath, &progress) {
            eprintln!("maillab: {}: {e}", ppath.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok((l, progress))
}

/// The refusal to mix answers of two variants: saved under `was` (None:
/// without a student ID), asked for as `now`.
fn other_student(was: Option<&str>, now: Option<&str>, lang: Lang) -> String {
    match (lang, was, now) {
        (Lang::En, Some(was), Some(now)) => {
            format!("maillab: your saved answers are for student ID {was}; add --restart to start again as {now}")
        }
        (Lang::En, None, Some(now)) => format!(
            "maillab: your saved answers were given without a student ID; add --restart to start again as {now}"
        ),
        (Lang::En, Some(was), None) => format!(
            "maillab: your saved answers are for student ID {was}; add --student {was} to go on with them, or --restart to start again without a student ID"
        ),
        (Lang::Ja, Some(was), Some(now)) => format!(
            "maillab: 保存されている回答は学生番号 {was} のものです。{now} としてやり直すには --restart を付けてください"
        ),
        (Lang::Ja, None, Some(now)) => format!(
            "maillab: 保存されている回答は学生番号なしで答えたものです。{now} としてやり直すには --restart を付けてください"
        ),
        (Lang::Ja, Some(was), None) => format!(
            "maillab: 保存されている回答は学生番号 {was} のものです。続けるには --student {was} を、学生番号なしでやり直すには --restart を付けてください"
        ),
        (_, None, None) => String::new(),
    }
}

/// The pager's page: the terminal's height less a few lines (`LINES`, else
/// 24), only when both stdin and stdout are a terminal and not `--no-pager`.
fn view(no_pager: bool) -> lesson::view::View {
    use std::io::IsTerminal;
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let rows = std::env::var("LINES").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(24);
    lesson::view::View { page: (tty && !no_pager).then(|| rows.saturating_sub(4).max(5)) }
}

/// `exam`: Some(where to write the submission) in exam mode.
fn run(
    name: &str,
    lang: Lang,
    restart: bool,
    redo: &[String],
    student: Option<String>,
    exam: Option<Option<PathBuf>>,
    no_pager: bool,
) -> ExitCode {
    let (l, mut progress) = match open_for_student(name, student, restart, exam.is_some(), lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let student = progress.student.clone();
    let ppath = interactive::progress_path(&l.name, exam.is_some());
    let unknown: Vec<&str> =
        redo.iter().filter(|id| !l.checkpoints().any(|c| &c.id == *id)).map(String::as_str).collect();
    if !unknown.is_empty() {
        let ids: Vec<&str> = l.checkpoints().map(|c| c.id.as_str()).collect();
        eprintln!(
            "{}",
            match lang {
                Lang::En => format!(
                    "maillab: lesson {} has no checkpoint {}; its checkpoints are: {}",
                    l.name,
                    unknown.join(", "),
                    ids.join(", ")
                ),
                Lang::Ja => format!(
                    "maillab: レッスン {} にチェックポイント {} はありません。チェックポイントは次のとおりです: {}",
                    l.name,
                    unknown.join(", "),
                    ids.join(", ")
                ),
            }
        );
        return ExitCode::from(2);
    }
    if !l.scenario.variant.values.is_empty() {
        sayln!(
            "{}",
            match (lang, &student) {
                (Lang::Ja, Some(s)) => format!("(学生番号 {s} の版: {})", l.scenario.variant.label()),
                (Lang::En, Some(s)) => format!("(the variant of student {s}: {})", l.scenario.variant.label()),
                (Lang::Ja, None) => "(--student 学生番号 を付けると、自分専用のネットワークで取り組めます)".to_string(),
                (Lang::En, None) => "(with --student ID you get a network of your own)".to_string(),
            }
        );
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    // Nothing saved in this language: nothing to forget, nothing to ask.
    let saved = progress.lang(lang).checkpoints.values().any(|r| !r.answers.is_empty());
    if restart && saved {
        let _ = write!(
            out,
            "{}",
            match lang {
                Lang::En =>
                    "Forget your answers to this lesson (in English; Japanese answers are kept) and start again? [y/N] ",
                Lang::Ja =>
                    "このレッスンの回答 (日本語での回答。英語での回答は残ります) を消して最初からやり直しますか？ [y/N] ",
            }
        );
        let _ = out.flush();
        let mut line = String::new();
        let yes = std::io::BufRead::read_line(&mut input, &mut line).is_ok()
            && matches!(lesson::answer::fold(&line).as_str(), "y" | "yes" | "はい");
        if !yes {
            sayln!(
                "{}",
                if lang == Lang::Ja {
                    "\nやり直しはやめました。回答はそのままです。"
                } else {
                    "\nNothing was forgotten."
                }
            );
            return ExitCode::from(1);
        }
        progress.restart(lang);
    }
    for id in redo {
        progress.lang(lang).redo(id);
    }
    let mut save = |p: &interactive::Progress| interactive::save_progress(&ppath, p);
    if (restart || !redo.is_empty())
        && let Err(e) = save(&progress)
    {
        eprintln!("maillab: {}: {e}", ppath.display());
        return ExitCode::from(2);
    }
    let ctx = match lesson::Context::run(&l) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("maillab: {e}");
            return ExitCode::from(2);
        }
    };
    let result = interactive::run_with(
        &l,
        &ctx,
        lang,
        exam.is_some(),
        view(no_pager),
        &mut input,
        &mut out,
        &mut progress,
        &mut save,
    );
    if let (Some(file), Ok(Some(_)), Some(id)) = (&exam, &result, &student) {
        let stem = l.file.file_stem().and_then(|s| s.to_str()).unwrap_or(&l.name).to_string();
        let file = file.clone().unwrap_or_else(|| PathBuf::from(format!("{stem}-{id}.submission.json")));
        let sub = lesson::exam::Submission::new(&l, id, lang, progress.lang(lang));
        return match std::fs::write(&file, serde_json::to_string_pretty(&sub).unwrap_or_default()) {
            Ok(()) => {
                sayln!(
                    "{}",
                    match lang {
                        Lang::En => format!("Your submission is in {}: hand this file in.", file.display()),
                        Lang::Ja => format!(
                            "提出用ファイルを {} に書き出しました。このファイルを提出してください。",
                            file.display()
                        ),
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                let f = file.display();
                eprintln!(
                    "{}",
                    tr(format!("maillab: cannot write {f}: {e}"), format!("maillab: {f} に書き込めません: {e}"))
                );
                ExitCode::from(2)
            }
        };
    }
    match result {
        Ok(Some(_)) if exam.is_some() => ExitCode::SUCCESS,
        Ok(Some(r)) if r.passed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("maillab: {e}");
            ExitCode::from(2)
        }
    }
}

fn grade(name: &str, answers: &Path, format: Format, lang: Lang, student: Option<&str>) -> ExitCode {
    let l = match load_lesson(name, student) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Err(code) = refuse_exam_copy(&l, lang) {
        return code;
    }
    let given = match lesson::load_answers(answers) {
        Ok(a) => a,
        Err(d) => {
            print_diags(&d, answers);
            return ExitCode::from(2);
        }
    };
    let src = std::fs::read_to_string(answers).unwrap_or_default();
    let unknown = lesson::unknown_answers(&l, &given, &answers.display().to_string(), &src);
    if !unknown.is_empty() {
        print_diags(&unknown, answers);
        return ExitCode::from(2);
    }
    let r = match lesson::grade(&l, &given, lang) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("maillab: {e}");
            return ExitCode::from(2);
        }
    };
    match format {
        Format::Json => sayln!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
        Format::Text => say!("{}", lesson::report_text(&r)),
    }
    pass_fail(r.passed)
}

fn exam_copy(name: &str, out: &Path) -> ExitCode {
    let path = lesson::locate(name);
    let src = match maillab::base::shipped::read(&path) {
        Ok(s) => s,
        Err(e) => {
            let p = path.display();
            eprintln!("{}", tr(format!("maillab: cannot read {p}: {e}"), format!("maillab: {p} を読めません: {e}")));
            return ExitCode::from(2);
        }
    };
    if let Err(d) = lesson::load_file(&path) {
        print_diags(&d, &path);
        return ExitCode::from(2);
    }
    let file = out.join(path.file_name().unwrap_or_default());
    let copy = match lesson::exam::exam_copy(&src, &path.display().to_string()) {
        Ok(c) => c,
        Err(d) => {
            print_diags(&d, &path);
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(out).and_then(|_| std::fs::write(&file, copy)) {
        let f = file.display();
        eprintln!("{}", tr(format!("maillab: cannot write {f}: {e}"), format!("maillab: {f} に書き込めません: {e}")));
        return ExitCode::from(2);
    }
    let f = file.display();
    sayln!(
        "{}",
        tr(
            format!("{f}: the lesson without its keys (give it to the students with the scenarios/ folder)"),
            format!("{f}: 答えを除いたレッスン（scenarios/ フォルダと一緒に学生に配ってください）"),
        )
    );
    ExitCode::SUCCESS
}

/// `maillab class grade`.
pub fn class(cmd: ClassCmd) -> ExitCode {
    let ClassCmd::Grade { submissions, keys, out } = cmd;
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&submissions) {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".submission.json"))
            .collect(),
        Err(e) => {
            let p = submissions.display();
            eprintln!("{}", tr(format!("maillab: cannot read {p}: {e}"), format!("maillab: {p} を読めません: {e}")));
            return ExitCode::from(2);
        }
    };
    files.sort();
    let mut graded = Vec::new();
    let mut bad = false;
    for f in &files {
        match lesson::exam::grade_submission(f, &keys) {
            Ok(g) => {
                for n in &g.notes {
                    eprintln!("maillab: {}: {n}", f.display());
                }
                graded.push(g);
            }
            Err(d) => {
                print_diags(&d, f);
                bad = true;
            }
        }
    }
    let summary_path =
        out.with_file_name(format!("{}-questions.csv", out.file_stem().and_then(|s| s.to_str()).unwrap_or("grades")));
    let written = std::fs::write(&out, lesson::exam::grades_csv(&graded))
        .and_then(|_| std::fs::write(&summary_path, lesson::exam::question_summary(&graded)));
    if let Err(e) = written {
        let o = out.display();
        eprintln!("{}", tr(format!("maillab: cannot write {o}: {e}"), format!("maillab: {o} に書き込めません: {e}")));
        return ExitCode::from(2);
    }
    let (n, o, q) = (graded.len(), out.display(), summary_path.display());
    sayln!(
        "{}",
        tr(
            format!(
                "{} graded: {o} (Moodle grade import, column \"ID number\"), {q} (per question, most missed first)",
                maillab::base::diag::count(n as u64, "submission", "submissions")
            ),
            format!(
                "提出 {n} 件を採点しました: {o}（Moodle の評定のインポート用、列 \"ID number\"）、{q}（問題ごと、間違いの多い順）"
            ),
        )
    );
    if bad { ExitCode::from(2) } else { ExitCode::SUCCESS }
}
