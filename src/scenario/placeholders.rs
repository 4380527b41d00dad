//! `${name}` placeholders a variant leaves in place: a name the scenario's
//! `variants:` does not declare, a key its chosen group does not have, or
//! any placeholder when the scenario declares no variants at all. Left in
//! the text they would reach the YAML parser, which reports something else
//! (`${pol.code` "is not a whole number": a flow map ate the `}`); this
//! names the placeholder, where it is and what the variant has instead.

use crate::base::diag::{Diagnostic, nearest, tr};
use std::collections::BTreeMap;

/// What a variant gives (`vary::Variant`'s maps, passed in so that this
/// module does not import `vary`, which calls it): `name` or `name.key` →
/// value, and each declared name → what was picked.
pub struct Values<'a> {
    pub values: &'a BTreeMap<String, String>,
    pub picks: &'a BTreeMap<String, String>,
}

/// Every placeholder in `src` (a source before `v` is applied, so that
/// lines and columns are the file's) that `v` gives no value for. `what`:
/// "scenario" or "lesson", for the hint.
pub fn unresolved(src: &str, file: &str, v: &Values<'_>, what: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = src[from..].find("${").map(|i| i + from) {
        from = i + 2;
        let Some(name) = placeholder(&src[i + 2..]) else { continue };
        if v.values.contains_key(name) || in_comment(src, i) {
            continue;
        }
        let (line, column) = position(src, i);
        let (message, hint) = explain(name, v, what);
        out.push(Diagnostic { file: file.to_string(), line, column, message, hint: Some(hint) });
    }
    out
}

/// The name of a placeholder that starts `rest` (just after `${`): letters,
/// digits, `_` and `-`, with at most one `.key`, then `}`.
fn placeholder(rest: &str) -> Option<&str> {
    let end = rest.find('}')?;
    let name = &rest[..end];
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let ok = match name.split_once('.') {
        Some((a, b)) => word(a) && word(b),
        None => word(name),
    };
    ok.then_some(name)
}

/// Is byte `at` inside a YAML comment (after a `#` that starts its line or
/// follows a space)? A `#` inside a quoted text is taken for one too: such
/// a placeholder is then left to the parser, as before.
fn in_comment(src: &str, at: usize) -> bool {
    let start = src[..at].rfind('\n').map_or(0, |n| n + 1);
    let line = &src[start..at];
    line.char_indices().any(|(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
}

/// Line and column (1-based, in characters) of byte `at`.
fn position(text: &str, at: usize) -> (u64, u64) {
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    (line, before[start..].chars().count() as u64 + 1)
}

fn explain(name: &str, v: &Values<'_>, what: &str) -> (String, String) {
    if v.picks.is_empty() {
        let hint = if what == "lesson" {
            tr(
                "declare it under `variants: vars:` in the lesson's scenario (if it does, the scenario may not load: run `maillab check` on it), or write the value itself",
                "レッスンのシナリオの `variants: vars:` に宣言するか、値そのものを書いてください（宣言してあるなら、シナリオが読み込めていないのかもしれません。シナリオに `maillab check` をかけてください）",
            )
        } else {
            tr(
                "declare it under `variants: vars:`, or write the value itself",
                "`variants: vars:` に宣言するか、値そのものを書いてください",
            )
        };
        let whose = if what == "lesson" { "the lesson's scenario" } else { "the scenario" };
        let message = tr(
            format!("`${{{name}}}` has no value: {whose} declares no `variants:`"),
            format!("`${{{name}}}` に値がありません。シナリオが `variants:` を宣言していません"),
        );
        return (message, hint);
    }
    let (head, key) = match name.split_once('.') {
        Some((h, k)) => (h, Some(k)),
        None => (name, None),
    };
    if !v.picks.contains_key(head) {
        let names: Vec<&str> = v.picks.keys().map(String::as_str).collect();
        let guess = nearest(head, names.iter().copied());
        let list = names.join(", ");
        return (
            tr(
                format!("`${{{name}}}`: the variants declare no value `{head}`"),
                format!("`${{{name}}}`: 版の値に `{head}` はありません"),
            ),
            match guess {
                Some(g) => tr(
                    format!("did you mean `{g}`? The declared values are: {list}"),
                    format!("`{g}` のことですか？ 宣言されている値: {list}"),
                ),
                None => tr(format!("the declared values are: {list}"), format!("宣言されている値: {list}")),
            },
        );
    }
    let prefix = format!("{head}.");
    let keys: Vec<&str> = v.values.keys().filter_map(|k| k.strip_prefix(&prefix)).collect();
    let list = keys.join(", ");
    match key {
        Some(k) if keys.is_empty() => (
            tr(
                format!("`${{{name}}}`: `{head}` is a single value, with no `.{k}`"),
                format!("`${{{name}}}`: `{head}` は一つの値で、`.{k}` はありません"),
            ),
            tr(format!("write `${{{head}}}`"), format!("`${{{head}}}` と書いてください")),
        ),
        Some(k) => (
            tr(
                format!("`${{{name}}}`: this choice of `{head}` has no `{k}` (it has: {list})"),
                format!("`${{{name}}}`: `{head}` のこの選択肢に `{k}` はありません（あるのは {list}）"),
            ),
            match nearest(k, keys.iter().copied()) {
                Some(g) => tr(
                    format!("did you mean `${{{head}.{g}}}`? Every choice of `{head}` needs each key the file uses"),
                    format!("`${{{head}.{g}}}` のことですか？ `{head}` のどの選択肢にも、ファイルが使うキーが要ります"),
                ),
                None => tr(
                    format!("give every choice of `{head}` a `{k}`, or use one of its keys"),
                    format!("`{head}` のどの選択肢にも `{k}` を書くか、あるキーを使ってください"),
                ),
            },
        ),
        None => (
            tr(
                format!("`${{{name}}}`: `{head}` is a group of values ({list}); name one"),
                format!("`${{{name}}}`: `{head}` は値の組（{list}）です。どれかを指定してください"),
            ),
            tr(
                format!("write `${{{head}.KEY}}`, e.g. `${{{head}.{}}}`", keys.first().copied().unwrap_or("KEY")),
                format!(
                    "`${{{head}.キー}}` と書いてください（例: `${{{head}.{}}}`）",
                    keys.first().copied().unwrap_or("KEY")
                ),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(xs: &[(&str, &str)]) -> BTreeMap<String, String> {
        xs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_missing_key_of_a_group_is_named_at_its_place() {
        let (values, picks) = (m(&[("pol.p", "reject"), ("pol.num", "3")]), m(&[("pol", "#1")]));
        let v = Values { values: &values, picks: &picks };
        let d = unresolved("a: 1\nreply: { step: 2, code: ${pol.code} }\n", "f.yaml", &v, "scenario");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].column), (2, 25));
        assert!(d[0].message.contains("`${pol.code}`") && d[0].message.contains("no `code` (it has: num, p)"), "{d:?}");
    }

    #[test]
    fn unknown_names_single_values_and_groups_without_a_key() {
        let (values, picks) = (m(&[("members", "3"), ("pol.p", "reject")]), m(&[("members", "3"), ("pol", "#1")]));
        let v = Values { values: &values, picks: &picks };
        let d = unresolved("${member} ${members.n} ${pol}", "f", &v, "scenario");
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("did you mean `members`")), "{d:?}");
        assert!(d[1].message.contains("single value"), "{d:?}");
        assert!(d[2].hint.as_deref().is_some_and(|h| h.contains("${pol.p}")), "{d:?}");
    }

    #[test]
    fn a_scenario_with_variants_is_refused_at_the_placeholder_not_by_the_parser() {
        let src = "seed: 3\nvariants:\n  vars:\n    pol: { choices: [{ p: reject, num: 3 }] }\nhosts:\n  - { name: mx, address: 192.0.2.25, role: mx, domains: [shop.example], queue: { retry: ${pol.num}m, lifetime: ${pol.code}d } }\n";
        let d = crate::scenario::vary::load_str(src, "v.yaml", None).expect_err("refused");
        assert_eq!(d.0.len(), 1, "{d}");
        assert_eq!((d.0[0].line, d.0[0].column), (6, 112), "{d}");
        assert!(d.0[0].message.contains("has no `code` (it has: num, p)"), "{d}");
    }

    #[test]
    fn without_variants_every_placeholder_is_named_and_other_dollars_are_text() {
        let none = BTreeMap::new();
        let v = Values { values: &none, picks: &none };
        let d = unresolved("cost: \"$5 ${x} ${not a name} ${\" # ${y}\n# ${z}\n", "l.yaml", &v, "lesson");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("declares no `variants:`"), "{d:?}");
        assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("maillab check")), "{d:?}");
    }
}
