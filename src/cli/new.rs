//! `maillab new`: a commented starting file for a scenario or lesson.

use super::NewKind;
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
        eprintln!("maillab: {} exists already; choose another name", path.display());
        return ExitCode::from(2);
    }
    if let Some(d) = path.parent()
        && !d.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(d)
    {
        eprintln!("maillab: cannot create {}: {e}", d.display());
        return ExitCode::from(2);
    }
    match std::fs::write(&path, text) {
        Ok(()) => {
            sayln!("wrote {}; edit it, then run `maillab check {}`", path.display(), path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("maillab: cannot write {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}
