//! When the reader refuses a file, `check` reports more than its first
//! problem: each item of the file's lists (a scenario's hosts, users, steps
//! and expectations; a lesson's sections and checkpoints) is read on its
//! own, so that the first problem of every item is found in one run. An
//! item is read from a text that holds only it, in its place: its first
//! line's column kept with spaces, its line numbers shifted back, so its
//! problem is worded by [`yaml_error`] against the whole file and at the
//! whole file's FILE:LINE:COLUMN.
//!
//! A file the YAML parser cannot read, or one with an alias (`*name`: an
//! item could lean on an anchor in another), is not read item by item:
//! then only the first problem is reported, as before.

use super::{yaml_error_at, yaml_options};
use crate::base::diag::{Diagnostic, tr};
use crate::base::yaml_tree::{Node, tree};
use serde::de::DeserializeOwned;

/// The most items whose problems are listed; the rest are counted.
const MAX_ITEMS: usize = 50;

/// A file the reader refused, read item by item.
pub struct Isolated<'a> {
    file: &'a str,
    src: &'a str,
    what: &'a str,
    root: Node,
    found: Vec<Diagnostic>,
    /// Items with a problem beyond [`MAX_ITEMS`].
    more: usize,
}

impl<'a> Isolated<'a> {
    /// `src` of `file` (a `what`: "scenario", "lesson"), or None when it
    /// cannot be read item by item.
    pub fn new(file: &'a str, src: &'a str, what: &'a str) -> Option<Self> {
        let root = tree(src).ok().flatten()?;
        if root.has_alias() {
            return None;
        }
        Some(Isolated { file, src, what, root, found: Vec::new(), more: 0 })
    }

    /// Read each item of the list at `path` on its own as a `T`: the path
    /// is keys from the top, each followed by every item of its list
    /// (`["sections", "checkpoints"]`: every checkpoint of every section).
    pub fn items<T: DeserializeOwned>(&mut self, path: &[&str]) -> &mut Self {
        let mut level: Vec<&Node> = vec![&self.root];
        for key in path {
            level = level.iter().filter_map(|n| n.get(key)).flat_map(|list| list.items()).collect();
        }
        let found: Vec<Diagnostic> = level.into_iter().filter_map(|item| self.read::<T>(item)).collect();
        for d in found {
            if self.found.len() < MAX_ITEMS {
                self.found.push(d);
            } else {
                self.more += 1;
            }
        }
        self
    }

    /// The first problem of `item` read alone, if it has one.
    fn read<T: DeserializeOwned>(&self, item: &Node) -> Option<Diagnostic> {
        let start = item.props;
        let text = self.src.get(start..item.end)?;
        let line_start = self.src.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = self.src.get(line_start..start)?.chars().count();
        let alone = format!("{}{text}", " ".repeat(indent));
        let e = serde_saphyr::from_str_with_options::<T>(&alone, yaml_options()).err()?;
        let lines_before = self.src.get(..line_start)?.matches('\n').count() as u64;
        Some(yaml_error_at(self.file, self.src, &e, self.what, lines_before))
    }

    /// Every problem found, each once, in the order of the file: `first`
    /// (the whole file's first problem, unless an item's read found one at
    /// the same place) and each item's; a note if some were left out.
    pub fn finish(self, first: Diagnostic) -> Vec<Diagnostic> {
        let mut out = self.found;
        if !out.iter().any(|d| (d.line, d.column) == (first.line, first.column)) {
            out.push(first);
        }
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|d| seen.insert((d.line, d.column, d.message.clone())));
        let mut d = crate::base::diag::Diagnostics(out);
        d.sort();
        let mut out = d.0;
        if self.more > 0 {
            let n = self.more;
            out.push(Diagnostic::whole_file(
                self.file,
                tr(
                    format!("{n} more item(s) of the {} have a problem too", self.what),
                    format!("{}のほか {n} 個の項目にも問題があります", super::ja_what(self.what)),
                ),
                Some(tr("mend the ones above and check again", "上の問題を直してから、もう一度確かめてください")),
            ));
        }
        out
    }
}

/// The problems of a scenario the reader refused: `first`, the whole
/// file's first, and the first of each host, user, step and expectation.
pub fn scenario(file: &str, src: &str, first: Diagnostic) -> Vec<Diagnostic> {
    use crate::scenario::raw::{RawExpect, RawHost, RawStep, RawUser, S};
    let Some(mut iso) = Isolated::new(file, src, "scenario") else { return vec![first] };
    iso.items::<RawHost>(&["hosts"])
        .items::<RawUser>(&["users"])
        .items::<S<RawStep>>(&["steps"])
        .items::<S<RawExpect>>(&["expect"]);
    iso.finish(first)
}
