//! The lessons, scenarios and `serve` labs that ship with maillab, built
//! into the binary (see `build.rs`), so every command finds them from any
//! folder after `cargo install`. A file on disk always wins: [`read`] looks
//! on disk first and falls back to the built-in copy only for a relative path
//! that names a shipped file (`lessons/NAME.yaml`, `scenarios/NAME.yaml`,
//! `labs/NAME.yaml`, also reached as `lessons/../scenarios/NAME.yaml`).
//! Answer keys are not built in.

use std::path::{Component, Path};

include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

/// The shipped path a relative path names (`./lessons/../scenarios/x.yaml`
/// → `scenarios/x.yaml`), or None for an absolute path or one that leaves
/// the project.
fn key(path: &Path) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// The built-in copy of a shipped file.
pub fn builtin(path: &Path) -> Option<&'static str> {
    let k = key(path)?;
    FILES.iter().find(|(p, _)| *p == k).map(|(_, src)| *src)
}

/// A file's text: from disk, or the built-in copy when the file is not on disk.
pub fn read(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => builtin(path).map(str::to_string).ok_or(e),
        Err(e) => Err(e),
    }
}

/// A file's bytes: from disk, or the built-in copy when the file is not on disk.
pub fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => builtin(path).map(|s| s.as_bytes().to_vec()).ok_or(e),
        Err(e) => Err(e),
    }
}

/// The `.yaml` files of a folder: on disk if the folder is there, else the
/// built-in ones of the shipped folder it names (none for another folder).
pub fn list(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(dir) {
        Ok(d) => {
            d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect()
        }
        Err(_) => match key(dir) {
            Some(k) => files_in(&k).into_iter().filter_map(|p| p.rsplit('/').next()).map(|n| dir.join(n)).collect(),
            None => Vec::new(),
        },
    };
    files.sort();
    files
}

/// The shipped files of a folder (`lessons` or `scenarios`), as paths like `lessons/NAME.yaml`.
pub fn files_in(folder: &str) -> Vec<&'static str> {
    FILES.iter().map(|(p, _)| *p).filter(|p| p.strip_prefix(folder).is_some_and(|r| r.starts_with('/'))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_paths_are_found_however_they_are_written() {
        assert!(builtin(Path::new("lessons/01-addresses-and-messages.yaml")).is_some());
        assert!(builtin(Path::new("./lessons/../scenarios/relay-chain.yaml")).is_some());
        assert!(builtin(Path::new("lessons/01-addresses-and-messages.answers.yaml")).is_none(), "no keys");
        assert!(builtin(Path::new("../lessons/01-addresses-and-messages.yaml")).is_none());
        assert!(builtin(Path::new("/lessons/01-addresses-and-messages.yaml")).is_none());
        assert!(files_in("lessons").iter().all(|p| p.starts_with("lessons/") && p.ends_with(".yaml")));
        assert!(files_in("scenarios").contains(&"scenarios/relay-chain.yaml"));
        assert!(builtin(Path::new("labs/serve-lab.yaml")).is_some(), "the labs lesson 05 and serve.md name");
        assert!(builtin(Path::new("labs/serve-tls.yaml")).is_some());
        assert!(builtin(Path::new("labs/join-a.yaml")).is_some(), "serve.md's two machines");
        assert!(builtin(Path::new("labs/join-b.yaml")).is_some());
    }

    #[test]
    fn every_file_of_the_folders_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for folder in ["lessons", "scenarios", "labs"] {
            for e in std::fs::read_dir(root.join(folder)).expect("folder").flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(".yaml") && !name.ends_with(".answers.yaml") {
                    let disk = std::fs::read_to_string(e.path()).expect("reads");
                    assert_eq!(builtin(&Path::new(folder).join(&name)), Some(disk.as_str()), "{folder}/{name}");
                }
            }
        }
    }
}
