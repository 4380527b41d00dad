//! `maillab new`: a commented starting file for a scenario, or a lesson and
//! its answer key, with the comments in the reader's language.

use super::NewKind;
use maillab::authoring::templates;
use maillab::base::diag::{lang, tr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn new(what: NewKind, arg: &str) -> ExitCode {
    let dir = match what {
        NewKind::Scenario => "scenarios",
        NewKind::Lesson => "lessons",
    };
    let path = if arg.ends_with(".yaml") { PathBuf::from(arg) } else { PathBuf::from(dir).join(format!("{arg}.yaml")) };
    let name = if arg.ends_with(".yaml") { path.file_stem().and_then(|s| s.to_str()).unwrap_or_default() } else { arg };
    if let Err((en, ja)) = check_name(dir, arg, name) {
        eprintln!("{}", tr(en, ja));
        return ExitCode::from(2);
    }
    let file = path.display().to_string();
    let files: Vec<(PathBuf, String)> = match what {
        NewKind::Scenario => vec![(path.clone(), templates::scenario(name, &file, lang()))],
        NewKind::Lesson => {
            let key = path.with_file_name(format!("{name}.answers.yaml"));
            let answers = key.display().to_string();
            vec![
                (path.clone(), templates::lesson(name, &file, &answers, lang())),
                (key, templates::lesson_answers(&file, &answers, lang())),
            ]
        }
    };
    // Nothing is written when one of the files is there already.
    let present: Vec<String> = files.iter().filter(|(p, _)| p.exists()).map(|(p, _)| p.display().to_string()).collect();
    if !present.is_empty() {
        let p = present.join(", ");
        let (verb, it) = if present.len() == 1 { ("exists", "it") } else { ("exist", "them") };
        eprintln!(
            "{}",
            tr(
                format!("maillab: {p} {verb} already; nothing written (choose another name, or move {it} away first)"),
                format!(
                    "maillab: {p} はもうあります。何も書き出していません（別の名前にするか、先にそのファイルを移してください）"
                )
            )
        );
        return ExitCode::from(2);
    }
    if let Some(d) = path.parent()
        && !d.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(d)
    {
        let d = d.display();
        eprintln!("{}", tr(format!("maillab: cannot create {d}: {e}"), format!("maillab: {d} を作れません: {e}")));
        return ExitCode::from(2);
    }
    for (p, text) in &files {
        if let Err(e) = write_new(p, text) {
            let p = p.display();
            eprintln!(
                "{}",
                tr(format!("maillab: cannot write {p}: {e}"), format!("maillab: {p} に書き込めません: {e}"))
            );
            return ExitCode::from(2);
        }
    }
    let written: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    let all = written.join(" ");
    let message = match what {
        NewKind::Scenario => tr(
            format!("wrote {file}; edit it, then run `maillab check {all}`"),
            format!("{file} を書き出しました。編集してから `maillab check {all}` を実行してください"),
        ),
        NewKind::Lesson => {
            let key = &written[1];
            tr(
                format!(
                    "wrote {file} and its answer key {key}; edit them (a line in the key for each checkpoint you add), then run `maillab check {all}`"
                ),
                format!(
                    "{file} と、その解答ファイル {key} を書き出しました。編集してから（チェックポイントを加えたら解答ファイルにも 1 行ずつ加えます）`maillab check {all}` を実行してください"
                ),
            )
        }
    };
    sayln!("{message}");
    ExitCode::SUCCESS
}

/// Write a file that must not exist yet (another process may have made it
/// since we looked).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)?.write_all(text.as_bytes())
}

/// A name for a scenario or lesson: letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit; not `….answers` (an answer key's name).
/// `arg` is what was typed (a name, or a path ending in `.yaml`), `name`
/// the name: `arg`, or the path's file name without `.yaml`.
fn check_name(dir: &str, arg: &str, name: &str) -> Result<(), (String, String)> {
    let fits = name.chars().next().is_some_and(char::is_alphanumeric)
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.ends_with(".answers")
        && !arg.chars().any(char::is_control);
    if fits {
        return Ok(());
    }
    let what = if dir == "lessons" { "lesson" } else { "scenario" };
    let (shown_en, shown_ja) = if name == arg {
        (format!("{name:?}"), format!("{name:?}"))
    } else {
        (format!("{arg}: {name:?}"), format!("{arg}: {name:?}"))
    };
    let (why_en, why_ja) = if name.ends_with(".answers") {
        ("a name ending in .answers is an answer key's", ".answers で終わる名前は解答ファイルのものです")
    } else {
        (
            "use letters, digits, `-`, `_` and `.` only (no spaces or other signs), starting with a letter or digit",
            "文字、数字、`-`、`_`、`.` だけを使い（空白やほかの記号は使えません）、文字か数字で始めてください",
        )
    };
    let (hint_en, hint_ja) = if name == arg && arg.contains(['/', '\\']) {
        (
            format!(
                "to write into another folder, give a path ending in .yaml, e.g. `maillab new {what} my/dir/relay-denial.yaml`"
            ),
            format!(
                "別のフォルダに書き出すには、.yaml で終わるパスを指定してください（例: `maillab new {what} my/dir/relay-denial.yaml`）"
            ),
        )
    } else {
        (format!("e.g. `maillab new {what} relay-denial`"), format!("例: `maillab new {what} relay-denial`"))
    };
    Err((
        format!("maillab: {shown_en} cannot be the name of a {what}: {why_en}\n  hint: {hint_en}"),
        format!(
            "maillab: {shown_ja} は{}の名前に使えません。{why_ja}\n  ヒント: {hint_ja}",
            if what == "lesson" { "レッスン" } else { "シナリオ" }
        ),
    ))
}
