//! The pictures in the book are generated from the shipped scenarios. This
//! test fails when a committed picture no longer matches its scenario; run
//! `UPDATE_PICTURES=1 cargo test --test testsuite pictures::` to draw them again.

use crate::common;

use std::path::Path;

#[test]
fn committed_pictures_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("book/src/pictures");
    let update = std::env::var_os("UPDATE_PICTURES").is_some();
    std::fs::create_dir_all(&dir).expect("pictures folder");
    let names = common::scenario_names();
    let mut stale = Vec::new();
    for name in names {
        let (sc, r) = common::run(&name);
        let pictures = [
            (format!("{name}-network.svg"), maillab::report::graph::svg(&sc)),
            (format!("{name}-sequence.svg"), maillab::trace::seq::svg(&r.events, maillab::trace::seq::Zoom::Sessions)),
        ];
        for (file, fresh) in pictures {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &fresh).expect("write picture");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale pictures in book/src/pictures (run UPDATE_PICTURES=1 cargo test --test testsuite pictures::): {stale:?}"
    );
}
