//! The one door through which Atlas reads the project folder.
//!
//! Snapshot code never calls `std::fs` itself: it asks a [`Vfs`]. `atlas
//! build` uses [`StdVfs`], which reads straight from disk; the dev server
//! uses [`CachedVfs`], which remembers what it read until the [`watcher`]
//! says a path changed; the embedded Studio plugin is read from a
//! [`MemoryVfs`].

mod cached;
mod memory;
pub mod watcher;

pub use cached::CachedVfs;
pub use memory::MemoryVfs;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub path: PathBuf,
    pub kind: EntryKind,
    /// The entry is a symbolic link (to `kind`).
    pub symlink: bool,
}

impl DirEntry {
    /// The entry's file name, if it is valid UTF-8.
    pub fn name(&self) -> Option<&str> {
        self.path.file_name().and_then(|n| n.to_str())
    }
}

pub trait Vfs: Send + Sync {
    /// The whole contents of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The entries of a folder, sorted by file name (byte order), which is
    /// the order children get in the built tree.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;

    /// Whether `path` is a file or a folder (following symlinks).
    fn kind(&self, path: &Path) -> io::Result<EntryKind>;

    /// The absolute path with symlinks resolved, to tell whether two paths
    /// name the same file.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    fn exists(&self, path: &Path) -> bool {
        self.kind(path).is_ok()
    }
}

/// Reads from disk, with no caching.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdVfs;

impl Vfs for StdVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            let path = entry.path();
            // The listing knows files and folders without another system
            // call; only symlinks need to be followed.
            let kind = if file_type.is_dir() {
                EntryKind::Dir
            } else if file_type.is_symlink() {
                self.kind(&path)?
            } else {
                EntryKind::File
            };
            entries.push(DirEntry {
                path,
                kind,
                symlink: file_type.is_symlink(),
            });
        }
        entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        Ok(entries)
    }

    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        let meta = fs::metadata(path)?;
        Ok(if meta.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        fs::canonicalize(path)
    }
}

/// The one place paths are made canonical (absolute, symlinks resolved):
/// the dev server watches and indexes the project under this form, so the
/// paths file events carry match the paths the tree records.
pub fn canonical_path(path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path)
}
