//! The pictures in the book are generated from the shipped scenarios. This
//! test fails when a committed picture no longer matches its scenario; run
//! `UPDATE_PICTURES=1 cargo test --test testsuite pictures::` to draw them again.
//!
//! A picture whose Japanese words differ (`maillab graph --lang ja`: a
//! link's latency; `maillab run --seq svg --lang ja`: `SMTP セッション`, a
//! connection that failed) has a Japanese twin, `NAME-network-ja.svg` or
//! `NAME-sequence-ja.svg`, which the Japanese gallery shows in its place;
//! where the two are the same, there is no twin and both galleries show the
//! one picture.

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
        let network = maillab::report::graph::svg(&sc, false);
        let network_ja = maillab::report::graph::svg(&sc, true);
        let twin = (network_ja != network).then_some(network_ja);
        let sequence = maillab::trace::seq::svg(&r.events, maillab::trace::seq::Zoom::Sessions, false);
        let sequence_ja = maillab::trace::seq::svg(&r.events, maillab::trace::seq::Zoom::Sessions, true);
        let sequence_twin = (sequence_ja != sequence).then_some(sequence_ja);
        let pictures = [
            (format!("{name}-network.svg"), Some(network)),
            (format!("{name}-network-ja.svg"), twin),
            (format!("{name}-sequence.svg"), Some(sequence)),
            (format!("{name}-sequence-ja.svg"), sequence_twin),
        ];
        for (file, fresh) in pictures {
            let path = dir.join(&file);
            match (update, fresh) {
                (true, Some(fresh)) => std::fs::write(&path, &fresh).expect("write picture"),
                (true, None) => {
                    let _ = std::fs::remove_file(&path);
                }
                (false, fresh) => {
                    if std::fs::read_to_string(&path).ok() != fresh {
                        stale.push(file);
                    }
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale pictures in book/src/pictures (run UPDATE_PICTURES=1 cargo test --test testsuite pictures::): {stale:?}"
    );
}

/// The Japanese gallery shows a picture's Japanese twin where there is one,
/// and the shared picture where there is none.
#[test]
fn the_japanese_gallery_shows_the_japanese_pictures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gallery = std::fs::read_to_string(root.join("book/ja/src/gallery.md")).expect("the Japanese gallery");
    let mut wrong = Vec::new();
    for (name, what) in common::scenario_names().iter().flat_map(|n| [(n, "network"), (n, "sequence")]) {
        let twin = format!("{name}-{what}-ja.svg");
        let shared = format!("{name}-{what}.svg");
        let want = if root.join("book/src/pictures").join(&twin).exists() { &twin } else { &shared };
        let shown = |f: &str| gallery.contains(&format!("(../../src/pictures/{f})"));
        if (shown(&twin) || shown(&shared)) && !shown(want) {
            wrong.push(format!("{name}: show {want}"));
        }
    }
    assert!(wrong.is_empty(), "book/ja/src/gallery.md: {wrong:?}");
}
