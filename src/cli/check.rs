//! `maillab check`: scenario, lesson and answer-key files, every problem as FILE:LINE:COLUMN.

use super::output::print_diags;
use maillab::base::diag::{Diagnostic, Diagnostics};
use maillab::{lesson, scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn check(files: &[PathBuf]) -> ExitCode {
    let mut bad = false;
    for f in files {
        match check_one(f) {
            Ok(what) => sayln!("{}: ok ({what})", f.display()),
            Err(d) => {
                print_diags(&d, f);
                bad = true;
            }
        }
    }
    if bad { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

/// What the file holds, in a few words, or its problems.
fn check_one(f: &Path) -> Result<String, Diagnostics> {
    let is_lesson = std::fs::read_to_string(f).map(|s| lesson::is_lesson(&s)).unwrap_or(false);
    let answers_of = f.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".answers.yaml"));
    if let Some(stem) = answers_of {
        check_answers(f, stem)
    } else if is_lesson {
        lesson::load_file(f)
            .map(|l| format!("lesson, {} sections, {} checkpoints", l.sections.len(), l.checkpoints().count()))
    } else {
        scenario::load_file(f)
            .map(|sc| format!("{} hosts, {} steps, {} expectations", sc.hosts.len(), sc.steps.len(), sc.expect.len()))
    }
}

/// An answer key `NAME.answers.yaml`: it must read, and name only checkpoints of the lesson `NAME.yaml` beside it.
fn check_answers(f: &Path, stem: &str) -> Result<String, Diagnostics> {
    let given = lesson::load_answers(f)?;
    let lesson_path = f.with_file_name(format!("{stem}.yaml"));
    let l = lesson::load_file(&lesson_path)?;
    let unknown: Vec<&String> = given.keys().filter(|k| !l.checkpoints().any(|c| &c.id == *k)).collect();
    if let Some(k) = unknown.first() {
        let src = std::fs::read_to_string(f).unwrap_or_default();
        let line = src.lines().position(|l| l.trim_start().starts_with(&format!("{k}:"))).map(|i| i as u64 + 1);
        let d = Diagnostic {
            file: f.display().to_string(),
            line: line.unwrap_or(1),
            column: 1,
            message: format!("`{k}` is not a checkpoint of lesson {}", l.name),
            hint: Some(format!("the checkpoint ids are in {}", lesson_path.display())),
        };
        return Err(Diagnostics(vec![d]));
    }
    Ok(format!("answer key of lesson {}, {} of {} checkpoints answered", l.name, given.len(), l.checkpoints().count()))
}
