//! Aids for instructors who write scenarios and lessons: the JSON Schemas of
//! both formats and the commented starting files of `maillab new`.

pub mod schema;
pub mod templates;
