//! `maillab schema`: the JSON Schema of the scenario or lesson format.

use super::NewKind;
use std::process::ExitCode;

pub fn schema(what: NewKind) -> ExitCode {
    let schema = match what {
        NewKind::Scenario => maillab::authoring::schema::scenario(),
        NewKind::Lesson => maillab::authoring::schema::lesson(),
    };
    sayln!("{schema}");
    ExitCode::SUCCESS
}
