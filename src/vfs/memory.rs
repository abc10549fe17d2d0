//! A folder held in memory: files given as (path, bytes) under a root. The
//! embedded Studio plugin is read through it, by the same snapshot code as
//! any project on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{DirEntry, EntryKind, Vfs};

#[derive(Debug, Default)]
pub struct MemoryVfs {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

/// `path` with `.` and `..` resolved, without asking any file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} does not exist", path.display()),
    )
}

impl MemoryVfs {
    /// The files `(relative path, contents)`, placed under `root`.
    pub fn new<'a>(root: &Path, files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> MemoryVfs {
        let mut vfs = MemoryVfs::default();
        let root = normalize(root);
        vfs.dirs.entry(root.clone()).or_default();
        for (relative, contents) in files {
            let path = normalize(&root.join(relative));
            let mut child = path.clone();
            while let Some(parent) = child.parent() {
                if !child.starts_with(&root) || child == root {
                    break;
                }
                vfs.dirs
                    .entry(parent.to_path_buf())
                    .or_default()
                    .insert(child.clone());
                child = parent.to_path_buf();
            }
            vfs.files.insert(path, contents.to_vec());
        }
        vfs
    }
}

impl Vfs for MemoryVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| not_found(path))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let children = self
            .dirs
            .get(&normalize(path))
            .ok_or_else(|| not_found(path))?;
        let mut entries: Vec<DirEntry> = children
            .iter()
            .map(|child| DirEntry {
                path: child.clone(),
                kind: if self.dirs.contains_key(child) {
                    EntryKind::Dir
                } else {
                    EntryKind::File
                },
                symlink: false,
            })
            .collect();
        entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        Ok(entries)
    }

    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        let path = normalize(path);
        if self.dirs.contains_key(&path) {
            Ok(EntryKind::Dir)
        } else if self.files.contains_key(&path) {
            Ok(EntryKind::File)
        } else {
            Err(not_found(&path))
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let path = normalize(path);
        self.kind(&path)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_reads_and_resolves_dots() {
        let root = Path::new("/plugin");
        let vfs = MemoryVfs::new(
            root,
            [
                ("default.project.json5", b"{}".as_slice()),
                ("src/b.luau", b"b".as_slice()),
                ("src/a/init.luau", b"a".as_slice()),
            ],
        );
        let names: Vec<String> = vfs
            .read_dir(&root.join("src"))
            .unwrap()
            .iter()
            .map(|e| format!("{}:{:?}", e.name().unwrap(), e.kind))
            .collect();
        assert_eq!(names, ["a:Dir", "b.luau:File"]);
        assert_eq!(vfs.read(&root.join("src/./a/../b.luau")).unwrap(), b"b");
        assert_eq!(vfs.kind(root).unwrap(), EntryKind::Dir);
        assert!(vfs.read(&root.join("missing")).is_err());
        assert_eq!(
            vfs.canonicalize(&root.join("src/a/..")).unwrap(),
            root.join("src")
        );
    }
}
