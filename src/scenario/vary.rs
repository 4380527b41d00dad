//! Per-student variants. A scenario may declare `variants:`: named values,
//! each a list of choices or a range of numbers. The scenario (and a lesson
//! on it) writes `${name}` where a value goes; a choice may set several
//! values at once (`${down.host}`, `${down.minutes}`).
//!
//! ```yaml
//! variants:
//!   vars:
//!     user: { choices: [alice, carol, dave] }
//!     members: { range: [3, 6] }
//!   sample: 8          # how many variants `maillab check` runs (default: all, at most 64)
//! ```
//!
//! Without a student ID every value is its first choice (or the range's
//! lower end), so the file also reads as one plain scenario. With one
//! (`--student ID`) the values are drawn from a random stream seeded by the
//! scenario's seed and the ID (the project's seed derivation,
//! [`crate::base::seed::derive`]): the same ID always gets the same network,
//! trace and answers; another ID most likely another.

use super::Scenario;
use crate::base::diag::{Diagnostic, Diagnostics};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

pub use super::raw::{RawChoice, RawScalar, RawVar, RawVariants};

/// The values one variant gives (`name` or `name.key` → text), and whose it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    pub student: Option<String>,
    pub values: BTreeMap<String, String>,
    /// What was picked for each name: the value, or `#N` for the N-th of a group of values.
    pub picks: BTreeMap<String, String>,
}

impl Variant {
    /// Its values, as `placeholders` reads them.
    pub fn values_of(&self) -> super::placeholders::Values<'_> {
        super::placeholders::Values { values: &self.values, picks: &self.picks }
    }
    /// Replace every `${name}` this variant has a value for.
    pub fn apply(&self, src: &str) -> String {
        if self.values.is_empty() || !src.contains("${") {
            return src.to_string();
        }
        let mut out = String::with_capacity(src.len());
        let mut rest = src;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('}').and_then(|j| self.values.get(&after[..j]).map(|v| (j, v))) {
                Some((j, v)) => {
                    out.push_str(v);
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
    /// The label shown to students and instructors (`lesson run`, `run`,
    /// `check`, exam submissions): each value as chosen, a group of values as
    /// its short ones, `user=carol pol={code: 550, p: quarantine}` (a group
    /// whose values are all long texts stays `#N`, the N-th choice).
    pub fn label(&self) -> String {
        self.picks.iter().map(|(k, v)| format!("{k}={}", self.shown(k, v))).collect::<Vec<_>>().join(" ")
    }

    /// The label as it was written before it showed groups' values
    /// (`pol=#2`): exam submissions of older versions carry it.
    pub fn code(&self) -> String {
        self.picks.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
    }

    /// One pick: a group's (`#N`) short values in braces; anything else as is.
    fn shown(&self, name: &str, pick: &str) -> String {
        if !pick.starts_with('#') || self.values.contains_key(name) {
            return pick.to_string();
        }
        let prefix = format!("{name}.");
        let short: Vec<String> = self
            .values
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, v)| !v.is_empty() && v.chars().count() <= 24 && !v.contains(char::is_whitespace))
            .map(|(k, v)| format!("{}: {v}", &k[prefix.len()..]))
            .collect();
        if short.is_empty() { pick.to_string() } else { format!("{{{}}}", short.join(", ")) }
    }
}

/// The lines of `src` that belong to the top-level keys named (each given
/// with its colon, e.g. `"seed:"`): the key's own line and the indented,
/// comment and blank lines that continue its value. Every other line is
/// left blank, so line numbers in diagnostics stay those of `src`.
pub fn top_level_keys(src: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(src.len().min(4096));
    let mut inside = false;
    for line in src.lines() {
        if !line.starts_with([' ', '\t', '#']) && !line.trim().is_empty() {
            inside = keys.iter().any(|k| line.starts_with(k));
        }
        if inside {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// What the head of a scenario file says about variants (the rest is not read).
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    variants: Option<RawVariants>,
}

/// The variants a scenario source declares, and its seed.
pub fn declared(src: &str, file: &str) -> Result<(u64, Option<RawVariants>), Diagnostics> {
    // Most scenarios have none: do not read a big file twice.
    if !src.starts_with("variants:") && !src.contains("\nvariants:") {
        return Ok((1, None));
    }
    // Only the top-level `seed:` and `variants:` are read here: `${...}`
    // elsewhere need not be valid YAML before it is replaced.
    let head_src = top_level_keys(src, &["seed:", "variants:"]);
    let head: Head = serde_saphyr::from_str_with_options(&head_src, super::load::yaml_options())
        .map_err(|e| Diagnostics(vec![super::load::yaml_error(file, &head_src, &e, "scenario")]))?;
    if let Some(v) = &head.variants {
        for (name, var) in &v.vars {
            let bad = |m: String| {
                Diagnostics(vec![Diagnostic::whole_file(
                    file,
                    format!("variants: `{name}` {m}"),
                    Some("give each value `choices: [...]` or `range: [LOW, HIGH]`".into()),
                )])
            };
            match (&var.choices, &var.range) {
                (Some(c), None) if !c.is_empty() => {}
                (None, Some([a, b])) if a <= b && var.step.is_none_or(|s| s > 0) => {}
                (None, Some(_)) => return Err(bad("has an empty range or a step that is not positive".into())),
                _ => return Err(bad("needs exactly one of a non-empty `choices` and `range`".into())),
            }
        }
    }
    Ok((head.seed.unwrap_or(1), head.variants))
}

fn count(v: &RawVar) -> u64 {
    match (&v.choices, v.range) {
        (Some(c), _) => c.len() as u64,
        (None, Some([a, b])) => ((b - a) / v.step.unwrap_or(1).max(1)) as u64 + 1,
        _ => 1,
    }
}

fn value(name: &str, v: &RawVar, i: u64, out: &mut BTreeMap<String, String>, picks: &mut BTreeMap<String, String>) {
    let pick = match (&v.choices, v.range) {
        (Some(c), _) if matches!(c.get(i as usize), Some(RawChoice::Group(_))) => format!("#{}", i + 1),
        _ => String::new(),
    };
    match (&v.choices, v.range) {
        (Some(c), _) => match c.get(i as usize) {
            Some(RawChoice::Int(n)) => {
                out.insert(name.to_string(), n.to_string());
            }
            Some(RawChoice::Text(t)) => {
                out.insert(name.to_string(), t.clone());
            }
            Some(RawChoice::Group(g)) => {
                for (k, s) in g {
                    out.insert(format!("{name}.{k}"), s.text());
                }
            }
            None => {}
        },
        (None, Some([a, _])) => {
            out.insert(name.to_string(), (a + i as i64 * v.step.unwrap_or(1).max(1)).to_string());
        }
        _ => {}
    }
    let shown = if pick.is_empty() { out.get(name).cloned().unwrap_or_default() } else { pick };
    picks.insert(name.to_string(), shown);
}

/// The variant of a student (None: the first of every value).
pub fn pick(seed: u64, vars: &RawVariants, student: Option<&str>) -> Variant {
    let mut values = BTreeMap::new();
    let mut picks = BTreeMap::new();
    let mut rng = student.map(|id| ChaCha8Rng::seed_from_u64(crate::base::seed::derive(seed, id, "variant")));
    for (name, v) in &vars.vars {
        let n = count(v);
        let i = match &mut rng {
            Some(r) if n > 1 => r.random_range(0..n),
            _ => 0,
        };
        value(name, v, i, &mut values, &mut picks);
    }
    Variant { student: student.map(str::to_string), values, picks }
}

/// A student ID that gets the variant `v`, for a hint that shows how to
/// run it (`--student ID`): its own when it is a student's, else the first
/// of `student-1`, `student-2`, … (up to 5,000) whose variant it is.
pub fn student_for(seed: u64, vars: &RawVariants, v: &Variant) -> Option<String> {
    if let Some(s) = &v.student {
        return Some(s.clone());
    }
    (1..=5000).map(|i| format!("student-{i}")).find(|id| pick(seed, vars, Some(id)).values == v.values)
}

/// Every variant (when there are at most 64), else `sample` (default 16)
/// students' variants: what `maillab check` runs.
pub fn all(seed: u64, vars: &RawVariants) -> Vec<Variant> {
    let total: u64 = vars.vars.values().map(count).fold(1u64, |a, n| a.saturating_mul(n));
    if total <= 64 {
        let mut out = Vec::new();
        for mut k in 0..total {
            let mut values = BTreeMap::new();
            let mut picks = BTreeMap::new();
            for (name, v) in &vars.vars {
                let n = count(v);
                value(name, v, k % n, &mut values, &mut picks);
                k /= n;
            }
            out.push(Variant { student: None, values, picks });
        }
        out
    } else {
        (1..=vars.sample.unwrap_or(16)).map(|i| pick(seed, vars, Some(&format!("sample-{i}")))).collect()
    }
}

/// A scenario source with a student's values in place (the source unchanged
/// when it declares no variants).
pub fn source_for(src: &str, file: &str, student: Option<&str>) -> Result<(String, Variant), Diagnostics> {
    let (seed, vars) = declared(src, file)?;
    let v = vars.map(|vars| pick(seed, &vars, student)).unwrap_or_default();
    let v = Variant { student: student.map(str::to_string), ..v };
    Ok((v.apply(src), v))
}

/// Load a scenario file as a student's variant.
pub fn load_file(path: &std::path::Path, student: Option<&str>) -> Result<Scenario, Diagnostics> {
    let file = path.display().to_string();
    let src = super::load::read_source(path, "scenario")?;
    load_str(&src, &file, student)
}

/// Load a scenario file with the given values.
pub fn load_file_with(path: &std::path::Path, v: &Variant) -> Result<Scenario, Diagnostics> {
    let file = path.display().to_string();
    let src = super::load::read_source(path, "scenario")?;
    resolved(&src, &file, v)?;
    let mut sc = super::load::load_plain(&v.apply(&src), &file)?;
    sc.variant = v.clone();
    Ok(sc)
}

/// A scenario that declares variants uses only the values they give
/// (`src`: before they are applied).
fn resolved(src: &str, file: &str, v: &Variant) -> Result<(), Diagnostics> {
    if v.picks.is_empty() {
        return Ok(());
    }
    let d = super::placeholders::unresolved(src, file, &v.values_of(), "scenario");
    if d.is_empty() { Ok(()) } else { Err(Diagnostics(d)) }
}

/// Load a scenario source as a student's variant.
pub fn load_str(src: &str, file: &str, student: Option<&str>) -> Result<Scenario, Diagnostics> {
    let (text, v) = source_for(src, file, student)?;
    resolved(src, file, &v)?;
    let mut sc = super::load::load_plain(&text, file)?;
    sc.variant = v;
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "seed: 7\nvariants:\n  vars:\n    user: { choices: [alice, carol, dave] }\n    n: { range: [3, 6] }\n    down: { choices: [{ host: mx1, minutes: 20 }, { host: mx2, minutes: 45 }] }\nx: ${user} ${n} ${down.host} ${down.minutes} ${other}\n";

    #[test]
    fn no_student_gets_the_first_values() {
        let (text, v) = source_for(SRC, "t", None).expect("reads");
        assert!(text.ends_with("x: alice 3 mx1 20 ${other}\n"), "{text}");
        assert_eq!(v.label(), "down={host: mx1, minutes: 20} n=3 user=alice");
        assert_eq!(v.code(), "down=#1 n=3 user=alice");
    }

    /// A group shows its short values; long texts (a sentence, a list of
    /// addresses) are left out, and a group of only those stays `#N`.
    #[test]
    fn a_group_is_labelled_by_its_short_values() {
        let src = "variants:\n  vars:\n    members: { choices: [{ count: 3, line: \"a@x, b@y\" }, { count: 4, line: \"a@x, b@y, c@z\" }] }\n    say: { choices: [{ en: \"Hello there\" }] }\nx: ${members.count}\n";
        let (_, v) = source_for(src, "t", None).expect("reads");
        assert_eq!(v.label(), "members={count: 3} say=#1");
    }

    #[test]
    fn a_student_always_gets_the_same_variant_and_students_differ() {
        let a = source_for(SRC, "t", Some("s1234")).expect("reads");
        let b = source_for(SRC, "t", Some("s1234")).expect("reads");
        assert_eq!(a, b);
        let labels: std::collections::BTreeSet<String> =
            (0..20).map(|i| source_for(SRC, "t", Some(&format!("s{i}"))).expect("reads").1.label()).collect();
        assert!(labels.len() > 5, "{labels:?}");
    }

    /// Every variant `check` tries has a student ID that gets it, and that
    /// ID gets exactly that variant.
    #[test]
    fn every_variant_has_a_student_who_gets_it() {
        let (seed, vars) = declared(SRC, "t").expect("reads");
        let vars = vars.expect("declared");
        for v in all(seed, &vars) {
            let id = student_for(seed, &vars, &v).unwrap_or_else(|| panic!("no student gets {}", v.label()));
            assert_eq!(pick(seed, &vars, Some(&id)).values, v.values, "{id}");
        }
    }

    #[test]
    fn check_sees_every_variant_or_a_sample() {
        let (seed, vars) = declared(SRC, "t").expect("reads");
        let vars = vars.expect("declared");
        assert_eq!(all(seed, &vars).len(), 3 * 4 * 2);
        let big = RawVariants {
            vars: [("n".to_string(), RawVar { range: Some([1, 1000]), ..Default::default() })].into(),
            sample: Some(5),
        };
        assert_eq!(all(seed, &big).len(), 5);
    }

    /// Keys that YAML 1.1 reads as true or false (`n`, `y`, `on`, `no`) are
    /// keys of a choice's map like any other (trial h19, item 8).
    #[test]
    fn a_choice_map_takes_keys_that_look_like_booleans() {
        let src = "variants:\n  vars:\n    pol:\n      choices:\n        - { p: reject, n: 3, y: 550, on: a, no: b }\nx: ${pol.p} ${pol.n} ${pol.y} ${pol.on} ${pol.no}\n";
        let (text, _) = source_for(src, "t", None).expect("reads");
        assert!(text.ends_with("x: reject 3 550 a b\n"), "{text}");
    }

    #[test]
    fn bad_declarations_are_refused() {
        for bad in [
            "variants:\n  vars:\n    a: {}\n",
            "variants:\n  vars:\n    a: { range: [5, 1] }\n",
            "variants:\n  vars:\n    a: { choices: [] }\n",
            "variants:\n  vars:\n    a: { choices: [x], range: [1, 2] }\n",
        ] {
            assert!(declared(bad, "t").is_err(), "{bad}");
        }
    }
}
