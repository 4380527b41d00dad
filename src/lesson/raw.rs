//! The lesson file as written (YAML), with positions for diagnostics.

use crate::scenario::raw::{S, Text};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLesson {
    /// Format version: `lesson: 1`.
    #[schemars(with = "u32")]
    pub lesson: S<u32>,
    #[schemars(with = "String")]
    pub name: S<String>,
    #[schemars(with = "Text")]
    pub title: S<Text>,
    #[serde(default)]
    #[schemars(with = "Option<Text>")]
    pub summary: Option<S<Text>>,
    /// A scenario in ../scenarios (by name) or a path relative to the lesson file.
    #[schemars(with = "String")]
    pub scenario: S<String>,
    /// Percentage of points needed to pass (default 60).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub pass_mark: Option<S<u32>>,
    /// How many tries a student gets at each question before the answer is
    /// shown (default 2).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub attempts: Option<S<u32>>,
    /// Percent of a question's points taken off for each try after the first
    /// (default 0).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub retry_penalty: Option<S<u32>>,
    #[schemars(with = "Vec<RawSection>")]
    pub sections: Vec<S<RawSection>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    #[schemars(with = "Text")]
    pub text: S<Text>,
    /// Show the trace up to the end of this step of the scenario.
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub run_to_step: Option<S<usize>>,
    /// What to look for in the trace.
    #[serde(default)]
    #[schemars(with = "Option<Text>")]
    pub look_at: Option<S<Text>>,
    /// Narrow the trace excerpt: hosts, sessions, kinds, a step's connection;
    /// folding of EHLO capability lines and PTR look-ups.
    #[serde(default)]
    pub show: Option<RawShow>,
    #[serde(default)]
    #[schemars(with = "Vec<RawCheckpoint>")]
    pub checkpoints: Vec<S<RawCheckpoint>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoint {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Text")]
    pub question: S<Text>,
    /// Points for a right answer: 1 to 1000 (default 1).
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1, max = 1000))]
    pub points: Option<S<u32>>,
    #[serde(default)]
    #[schemars(with = "Option<Text>")]
    pub explain: Option<S<Text>>,
    /// Shown after a wrong answer, before the next try.
    #[serde(default)]
    #[schemars(with = "Option<Text>")]
    pub hint: Option<S<Text>>,
    #[serde(default)]
    pub choice: Option<RawChoice>,
    #[serde(default)]
    pub short: Option<RawShort>,
    #[serde(default)]
    pub number: Option<RawNumber>,
    #[serde(default)]
    pub from_trace: Option<RawFromTrace>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    #[schemars(with = "Vec<Text>")]
    pub options: S<Vec<S<Text>>>,
    /// 1-based number of the right option.
    #[schemars(with = "usize")]
    pub answer: S<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShort {
    #[schemars(with = "String")]
    pub answer: S<String>,
    /// Other accepted answers (synonyms, the other language); `/.../` is a
    /// regular expression matched against the whole answer.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub accept: Vec<S<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNumber {
    #[schemars(with = "f64")]
    pub answer: S<f64>,
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// What the number counts in: an answer with no unit is in it, one in
    /// another unit of time is converted (`2400秒` is 40 minutes), one with a
    /// counter of another kind (`40通`) is asked again.
    #[serde(default)]
    #[schemars(with = "Option<RawUnit>")]
    pub unit: Option<S<String>>,
}

/// The units a `number` question may count in (only for the schema: the
/// value is read as text, so a wrong one is named at its place).
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RawUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

/// An answer computed from the scenario's trace (exactly one key).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFromTrace {
    /// The trace is read up to the end of this step (default: the section's
    /// `run_to_step`, or the last one before it; the whole run if none).
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub at_step: Option<S<usize>>,
    /// The reply code a step's SMTP session got to a command.
    #[serde(default)]
    pub reply_code: Option<RawReplyCode>,
    /// How many Received: fields a delivered message carries.
    #[serde(default)]
    pub received_count: Option<RawMailbox>,
    /// How many messages were delivered to a mailbox.
    #[serde(default)]
    pub delivered_count: Option<RawMailbox>,
    /// How many messages a POP3/IMAP step read.
    #[serde(default)]
    pub fetched_count: Option<RawStepRef>,
    /// How many trace events of a kind (optionally on one host) there are.
    #[serde(default)]
    pub event_count: Option<RawEventCount>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReplyCode {
    #[schemars(with = "usize")]
    pub step: S<usize>,
    #[schemars(with = "String")]
    pub command: S<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    #[schemars(with = "String")]
    pub to: S<String>,
    #[serde(default)]
    pub message: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStepRef {
    #[schemars(with = "usize")]
    pub step: S<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEventCount {
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub host: Option<S<String>>,
}

/// What a section's trace excerpt shows (every key optional; all given ones
/// must hold for an event to be shown; step lines are always shown).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShow {
    /// Only events of these hosts: recorded on one of them, or with one of
    /// them as the peer (so a host's connections show from both ends).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub hosts: Vec<S<String>>,
    /// Only these connections (the `#N` of the trace).
    #[serde(default)]
    pub sessions: Vec<u64>,
    /// Only these kinds: a kind (`smtp.cmd`), a category (`smtp`, `dns`,
    /// `list`, …) or a prefix with `*` (`list.*`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub kinds: Vec<S<String>>,
    /// Only the connections this step of the scenario opened (a MUA's
    /// submission or mailbox session).
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub step_connection: Option<S<usize>>,
    /// Fold a multi-line SMTP reply (EHLO's capability lines) and a reverse
    /// look-up's (PTR) query and answer into one line each (default true).
    #[serde(default)]
    pub fold: Option<bool>,
}
