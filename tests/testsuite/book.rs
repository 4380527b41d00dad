//! The book must stay true to the code: every complete scenario example in it
//! passes the checker, and every scenario file and command it names exists.
//! Both books are checked: the English one (`book/src`) and the Japanese one
//! (`book/ja/src`, with `README.ja.md`).

use std::path::{Path, PathBuf};

fn chapters() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    // book/ja/src is not under book/src, so the two walks do not overlap.
    let mut stack = vec![root.join("book/src"), root.join("book/ja/src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("book/src and book/ja/src exist").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&p).expect("chapter is UTF-8");
                out.push((p, text));
            }
        }
    }
    // The Japanese README is checked with the book it introduces (its
    // commands, the files it names, its links).
    let readme = root.join("README.ja.md");
    let text = std::fs::read_to_string(&readme).expect("README.ja.md exists");
    out.push((readme, text));
    out.sort();
    out
}

/// Fenced ```yaml blocks with the line they start on.
fn yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match &mut cur {
            None if t.starts_with("```yaml") => cur = Some((i + 2, String::new())),
            Some(_) if t.starts_with("```") => out.extend(cur.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn complete_examples_pass_the_checker() {
    let mut checked = 0;
    for (path, text) in chapters() {
        for (line, block) in yaml_blocks(&text) {
            if !block.starts_with("version: 1") {
                continue;
            }
            let name = format!("{}:{line}", path.display());
            if let Err(d) = maillab::scenario::load_str(&block, &name) {
                panic!("example at {name} does not pass `maillab check`:\n{d}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 1, "the book has no complete scenario example");
}

/// Code in a chapter: fenced blocks (other than YAML) and inline `code` spans.
fn code_parts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced: Option<bool> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            fenced = match fenced {
                None => Some(t.starts_with("```yaml")),
                Some(_) => None,
            };
            continue;
        }
        match fenced {
            Some(false) => out.push(line.to_string()),
            Some(true) => {}
            None => out.extend(line.split('`').skip(1).step_by(2).map(str::to_string)),
        }
    }
    out
}

#[test]
fn named_files_and_commands_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file_re = regex::Regex::new(r"(scenarios|tests/fixtures|lessons)/[A-Za-z0-9_./-]+\.ya?ml").expect("regex");
    let cmd_re = regex::Regex::new(r"(?:^|[\s$])(?:maillab|cargo run --) ([a-z][a-z-]*)").expect("regex");
    let commands = ["run", "check", "serve", "graph", "lesson", "class", "new", "schema", "web", "help"];
    for (path, text) in chapters() {
        for m in file_re.find_iter(&text) {
            // Placeholders, and the files the tutorial has the reader create.
            if m.as_str().contains("NAME") || m.as_str().contains("my-first") {
                continue;
            }
            assert!(root.join(m.as_str()).exists(), "{} names {}, which does not exist", path.display(), m.as_str());
        }
        for code in code_parts(&text) {
            for c in cmd_re.captures_iter(code.trim_start()) {
                let sub = &c[1];
                assert!(commands.contains(&sub), "{} shows `maillab {sub}`, which is not a command", path.display());
            }
        }
    }
}

/// The Japanese book has a page for every English chapter (a translation, or a
/// short page pointing to the English one); `links_lead_somewhere` checks its
/// links with the English book's.
#[test]
fn japanese_book_has_every_chapter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let en = root.join("book/src");
    let ja = root.join("book/ja/src");
    for e in std::fs::read_dir(&en).expect("book/src exists").flatten() {
        let name = e.file_name();
        if e.path().extension().is_some_and(|x| x == "md") {
            assert!(ja.join(&name).exists(), "book/src/{} has no page in book/ja/src", name.to_string_lossy());
        }
    }
}

/// mdBook's id of a heading: letters, digits, `_` and `-` kept (lower-cased),
/// white space made `-`, everything else dropped; the heading's Markdown
/// (code spans, emphasis, link targets) does not count.
fn heading_id(heading: &str) -> String {
    let link = regex::Regex::new(r"\[([^\]]*)\]\([^)]*\)").expect("regex");
    let text = link.replace_all(heading, "$1");
    text.chars()
        .filter(|c| !matches!(c, '`' | '*'))
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_lowercase().collect::<String>())
            } else if c.is_whitespace() {
                Some("-".into())
            } else {
                None
            }
        })
        .collect()
}

/// The ids of a chapter's headings (outside fenced code).
fn anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced && line.starts_with('#') {
            out.push(heading_id(line.trim_start_matches('#').trim()));
        }
    }
    out
}

#[test]
fn links_lead_somewhere() {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").expect("regex");
    let mut checked = 0;
    for (path, text) in chapters() {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            // Code spans may hold Markdown-looking text that is not a link.
            let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            for c in link.captures_iter(&prose) {
                let target = &c[1];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let at = format!("{}:{}", path.display(), n + 1);
                let dest = if file.is_empty() { path.clone() } else { dir.join(file) };
                assert!(dest.exists(), "{at}: the link to {target} leads to no file");
                if !anchor.is_empty() {
                    let dest_text = std::fs::read_to_string(&dest).unwrap_or_default();
                    assert!(
                        anchors(&dest_text).iter().any(|a| a == anchor),
                        "{at}: {} has no heading with the id #{anchor}",
                        dest.display()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "the book's links were not found ({checked})");
}

#[test]
fn heading_ids_are_mdbooks() {
    assert_eq!(heading_id("Event kinds"), "event-kinds");
    assert_eq!(heading_id("Mailing lists (`list:` only)"), "mailing-lists-list-only");
    assert_eq!(heading_id("The lab in your browser: maillab web"), "the-lab-in-your-browser-maillab-web");
    assert_eq!(heading_id("メールの経路"), "メールの経路");
}

/// The Japanese running chapter's table of event kinds names every kind that
/// the English table (made from `trace::Kind`) names, and no other: a kind
/// added to the code must be described in Japanese too.
#[test]
fn japanese_event_kind_table_has_every_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ja = std::fs::read_to_string(root.join("book/ja/src/running.md")).expect("book/ja/src/running.md exists");
    let start = ja.find("| `kind` | 意味 | 追加のフィールド |").expect("the Japanese table of event kinds");
    let first_cell = regex::Regex::new(r"^\| ([^|]+) \|").expect("regex");
    let name = regex::Regex::new(r"`([a-z0-9_.]+)`").expect("regex");
    let mut listed = std::collections::BTreeSet::new();
    for line in ja[start..].lines().skip(2).take_while(|l| l.starts_with('|')) {
        if let Some(c) = first_cell.captures(line) {
            listed.extend(name.captures_iter(&c[1]).map(|n| n[1].to_string()));
        }
    }
    let wanted: std::collections::BTreeSet<String> =
        maillab::trace::Kind::ALL.iter().map(|k| k.name().to_string()).filter(|n| n != "wire").collect();
    assert_eq!(listed, wanted, "book/ja/src/running.md's table of event kinds differs from trace::Kind");
}

/// Fenced blocks (without their indentation), in order. In shell blocks the
/// comments (which a translation translates) are left out, and `--lang en`
/// reads `--lang ja` (which the Japanese book shows instead).
fn fenced_blocks(text: &str) -> Vec<String> {
    let comment = regex::Regex::new(r"\s+# .*$").expect("regex");
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        match &mut cur {
            None if t.starts_with("```") => cur = Some(format!("{t}\n")),
            Some(b) if t.starts_with("```") => {
                b.push_str(t);
                out.extend(cur.take());
            }
            Some(b) if b.starts_with("```sh") => {
                b.push_str(&comment.replace(t, "").replace("--lang en", "--lang ja"));
                b.push('\n');
            }
            Some(b) => {
                b.push_str(t);
                b.push('\n');
            }
            None => {}
        }
    }
    out
}

/// Every command, YAML example and trace excerpt of an English chapter is
/// also in its Japanese page, unchanged: when an English chapter gains or
/// changes an example, the Japanese one must follow.
#[test]
fn japanese_pages_show_the_english_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(root.join("book/src")).expect("book/src exists").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let en = std::fs::read_to_string(&p).expect("chapter is UTF-8");
        let ja_path = root.join("book/ja/src").join(e.file_name());
        let ja = fenced_blocks(&std::fs::read_to_string(&ja_path).unwrap_or_default());
        for block in fenced_blocks(&en) {
            assert!(
                ja.contains(&block),
                "{} has an example that {} lacks (translate the change):\n{block}",
                p.display(),
                ja_path.display()
            );
        }
    }
}

/// The Japanese book calls a student's variant 版 (`## 版（variants）`);
/// every Japanese text the program and the shipped files show uses the
/// same word, not the katakana バリアント.
#[test]
fn a_variant_is_the_japanese_books_word_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let book = std::fs::read_to_string(root.join("book/ja/src/scenario-format.md")).expect("the Japanese chapter");
    assert!(
        book.contains("## 版（variants）"),
        "the book's word for a variant changed: change this test and the texts"
    );
    let mut found = Vec::new();
    let mut dirs = vec![root.join("src"), root.join("lessons"), root.join("scenarios"), root.join("book/ja/src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("a folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                found.extend(
                    text.lines()
                        .enumerate()
                        .filter(|(_, l)| l.contains("バリアント"))
                        .map(|(i, _)| format!("{}:{}", p.display(), i + 1)),
                );
            }
        }
    }
    assert!(found.is_empty(), "write 版 for a variant:\n{}", found.join("\n"));
}

/// The network picture the book prints (`maillab graph
/// scenarios/relay-chain.yaml --format mermaid`) is what the command prints:
/// in English on both pages, and in Japanese (`--lang ja`) on the Japanese one.
#[test]
fn the_graph_example_is_what_graph_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sc = maillab::scenario::load_file(&root.join("scenarios/relay-chain.yaml")).expect("relay-chain loads");
    let block = |ja: bool| format!("```text\n{}```", maillab::report::graph::mermaid(&sc, ja));
    let en = std::fs::read_to_string(root.join("book/src/running.md")).expect("the chapter");
    let ja = std::fs::read_to_string(root.join("book/ja/src/running.md")).expect("the Japanese chapter");
    assert!(en.contains(&block(false)), "book/src/running.md lacks:\n{}", block(false));
    assert!(ja.contains(&block(false)), "book/ja/src/running.md lacks:\n{}", block(false));
    assert!(ja.contains(&block(true)), "book/ja/src/running.md lacks:\n{}", block(true));
    assert!(block(true).contains("遅延 40ms"), "{}", block(true));
}

/// What a trace excerpt that is not from a shipped scenario or a complete
/// example of the book is marked with, on the line before its fence:
/// `<!-- trace excerpt: from an edited example -->` (a run of a scenario
/// the reader changes as the chapter says) or
/// `<!-- trace excerpt: from a real run -->` (`maillab serve`, real time).
const EXCERPT_MARK: &str = "<!-- trace excerpt: ";

/// Lines of fenced `text` blocks that are trace lines (they start with a
/// time of day), with the chapter line they are on; blocks marked with
/// [`EXCERPT_MARK`] are left out and counted.
fn trace_excerpt_lines(text: &str) -> (Vec<(usize, String)>, usize) {
    let time = regex::Regex::new(r"^\d\d:\d\d:\d\d\.\d\d\d ").expect("regex");
    let (mut out, mut marked) = (Vec::new(), 0);
    let mut inside: Option<bool> = None; // Some(checked) within a block
    let mut before = "";
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match inside {
            None if t.starts_with("```") => {
                let skip = before.starts_with(EXCERPT_MARK);
                marked += usize::from(skip && t.starts_with("```text"));
                inside = Some(t.starts_with("```text") && !skip);
            }
            Some(_) if t.starts_with("```") => inside = None,
            Some(true) if time.is_match(line) => out.push((i + 1, line.to_string())),
            _ => {}
        }
        if !t.is_empty() {
            before = t;
        }
    }
    (out, marked)
}

/// Every line of a trace excerpt in the book is a line that a run prints
/// today: a shipped scenario's or a complete example's of the book, in
/// English or Japanese. A change that moves times or rewords a line must
/// bring the book along (excerpts drifted 10-50 ms when the MTAs started
/// looking up their clients' names). Excerpts of edited examples and of
/// real runs are marked and left out.
#[test]
fn trace_excerpts_are_what_runs_print() {
    use maillab::trace::render::{TextOptions, text};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for e in std::fs::read_dir(root.join("scenarios")).expect("scenarios/ exists").flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let sc = maillab::scenario::load_file(&p).unwrap_or_else(|d| panic!("{} does not load:\n{d}", p.display()));
            sources.push(sc);
        }
    }
    let chapters = chapters();
    for (path, text) in &chapters {
        if path.starts_with(root.join("book/src")) {
            for (line, block) in yaml_blocks(text) {
                if block.starts_with("version: 1") {
                    let name = format!("{}:{line}", path.display());
                    sources.push(
                        maillab::scenario::load_str(&block, &name)
                            .expect("checked by complete_examples_pass_the_checker"),
                    );
                }
            }
        }
    }
    let mut printed = std::collections::HashSet::new();
    for sc in &sources {
        let r = maillab::lab::run(sc).expect("runtime starts");
        for ja in [false, true] {
            let out = text(&r.events, TextOptions { color: false, messages: true, ja });
            printed.extend(out.lines().map(str::to_string));
        }
    }
    let (mut checked, mut marked, mut wrong) = (0, 0, Vec::new());
    for (path, text) in &chapters {
        let (lines, m) = trace_excerpt_lines(text);
        marked += m;
        for (n, line) in lines {
            checked += 1;
            if !printed.contains(&line) {
                wrong.push(format!("{}:{n}: {line}", path.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} trace excerpt line(s) that no shipped scenario or complete example of the book prints \
         (run it and copy the line again, or mark an excerpt of an edited example or a real run \
         with `{EXCERPT_MARK}from an edited example -->` / `from a real run -->` on the line before its fence):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 400, "only {checked} trace excerpt lines were found");
    // Marks are for the few excerpts no file can reproduce, not a way round
    // the check: a new one is counted here.
    assert!(marked <= 24, "{marked} marked trace excerpts: check a new one against a file instead");
}

/// The browser lab's JSON API is documented route by route ("The JSON API"
/// in the web chapter, English and Japanese): every route that
/// `src/web/routes.rs` registers is named there as a code span (`` `/api/state` ``),
/// so a new route cannot go undocumented.
#[test]
fn the_web_chapter_names_every_route() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let routes_rs = std::fs::read_to_string(root.join("src/web/routes.rs")).expect("src/web/routes.rs exists");
    let route = regex::Regex::new(r#"\.route\(\s*"([^"]+)""#).expect("regex");
    let routes: Vec<String> = route.captures_iter(&routes_rs).map(|c| c[1].to_string()).collect();
    assert!(routes.len() >= 14, "the routes of src/web/routes.rs were not found: {routes:?}");
    for chapter in ["book/src/web.md", "book/ja/src/web.md"] {
        let text = std::fs::read_to_string(root.join(chapter)).expect("the web chapter");
        let missing: Vec<&String> = routes.iter().filter(|r| !text.contains(&format!("`{r}`"))).collect();
        assert!(missing.is_empty(), "{chapter} does not document the route(s) {missing:?} (see \"The JSON API\")");
    }
}
