//! `maillab new`: a commented starting file for a scenario or lesson.

use super::NewKind;
use maillab::base::diag::tr;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn new(what: NewKind, name: &str) -> ExitCode {
    let (dir, text) = match what {
        NewKind::Scenario => ("scenarios", maillab::authoring::templates::SCENARIO.replace("NAME", name)),
        NewKind::Lesson => ("lessons", maillab::authoring::templates::LESSON.replace("NAME", name)),
    };
    let path =
        if name.ends_with(".yaml") { PathBuf::from(name) } else { PathBuf::from(dir).join(format!("{name}.yaml")) };
    if path.exists() {
        let p = path.display();
        eprintln!(
            "{}",
            tr(
                format!("maillab: {p} exists already; choose another name"),
                format!("maillab: {p} はもうあります。別の名前にしてください")
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
    match std::fs::write(&path, text) {
        Ok(()) => {
            let p = path.display();
            sayln!(
                "{}",
                tr(
                    format!("wrote {p}; edit it, then run `maillab check {p}`"),
                    format!("{p} を書き出しました。編集してから `maillab check {p}` を実行してください")
                )
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let p = path.display();
            eprintln!(
                "{}",
                tr(format!("maillab: cannot write {p}: {e}"), format!("maillab: {p} に書き込めません: {e}"))
            );
            ExitCode::from(2)
        }
    }
}
