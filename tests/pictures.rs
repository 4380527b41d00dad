//! The pictures in the book are generated from the shipped scenarios. This
//! test fails when a committed picture no longer matches its scenario; run
//! `UPDATE_PICTURES=1 cargo test --test pictures` to draw them again.

use std::path::Path;

#[test]
fn committed_pictures_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("book/src/pictures");
    let update = std::env::var_os("UPDATE_PICTURES").is_some();
    std::fs::create_dir_all(&dir).expect("pictures folder");
    let mut names: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_string))
        .collect();
    names.sort();
    let mut stale = Vec::new();
    for name in names {
        let sc = maillab::scenario::load_file(&root.join(format!("scenarios/{name}.yaml"))).expect("loads");
        let r = maillab::run::run(&sc).expect("runs");
        let pictures = [
            (format!("{name}-network.svg"), maillab::graph::svg(&sc)),
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
        "stale pictures in book/src/pictures (run UPDATE_PICTURES=1 cargo test --test pictures): {stale:?}"
    );
}
