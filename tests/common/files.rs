//! Folders compared file by file, byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, relative path → bytes, and every empty folder,
/// as its relative path with a `/` after it → no bytes: an empty folder
/// one side has and the other has not is a difference too.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let mut empty = true;
        for entry in std::fs::read_dir(&current).unwrap() {
            empty = false;
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
        if empty && current != dir {
            let relative = current
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            found.insert(format!("{relative}/"), Vec::new());
        }
    }
    found
}

pub fn assert_same_files(live: &Path, cli: &Path) {
    let (live, cli) = (files(live), files(cli));
    let live_names: Vec<&String> = live.keys().collect();
    let cli_names: Vec<&String> = cli.keys().collect();
    assert_eq!(
        live_names, cli_names,
        "live and CLI syncback wrote different files"
    );
    for (name, bytes) in &live {
        assert!(
            bytes == &cli[name],
            "{name} differs:\n--- live\n{}\n--- cli\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&cli[name])
        );
    }
}

/// Every file under `dir` (recursively) whose name `keep` accepts; nothing
/// when `dir` cannot be read.
pub fn find_files(dir: &Path, keep: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_files(&path, keep, out);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
            out.push(path);
        }
    }
}
