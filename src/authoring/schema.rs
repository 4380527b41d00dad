//! JSON Schemas of the two file formats, generated from the Rust types that
//! read them, so an editor (e.g. with the YAML language server) can complete
//! keys and flag mistakes while an instructor types.

pub fn scenario() -> String {
    let s = schemars::schema_for!(crate::scenario::raw::RawScenario);
    serde_json::to_string_pretty(&s).unwrap_or_default()
}

pub fn lesson() -> String {
    let s = schemars::schema_for!(crate::lesson::raw::RawLesson);
    serde_json::to_string_pretty(&s).unwrap_or_default()
}
