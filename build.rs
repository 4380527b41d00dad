//! Puts the shipped lessons, scenarios and `serve` labs into the binary (`base::shipped`),
//! so `maillab lesson run 01-…` works from any folder after `cargo install`.
//! Answer keys (`*.answers.yaml`) stay out: no command needs them at run time.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let mut out = String::from(
        "/// The shipped files: (path relative to the project, contents), sorted by path.\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for folder in ["lessons", "scenarios", "labs"] {
        let dir = Path::new(&root).join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.ends_with(".yaml") && !n.ends_with(".answers.yaml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for n in names {
            let full = dir.join(&n);
            let _ =
                writeln!(out, "    ({:?}, include_str!({:?})),", format!("{folder}/{n}"), full.display().to_string());
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("shipped.rs");
    if std::fs::read_to_string(&dest).ok().as_deref() != Some(out.as_str()) {
        let _ = std::fs::write(&dest, out);
    }
}
