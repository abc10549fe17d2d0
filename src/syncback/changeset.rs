//! The change set, and the one writer that applies it.
//!
//! A syncback computes a [`ChangeSet`] (files with their whole contents,
//! folders that must exist, paths to remove) without touching the disk. The
//! writer then applies it in phases, so a failure never leaves a
//! half-written file and, before the last phase, leaves nothing changed:
//!
//! 1. **Check**: every path is inside the project folder and made of plain
//!    names; files whose bytes are already on disk are skipped.
//! 2. **Stage**: missing folders are created; new files are written in
//!    place (nothing was there to lose); changed files are written to a
//!    temporary file beside them. On any error everything staged is undone
//!    and the folder is as it was.
//! 3. **Commit**: temporary files are renamed over their targets, each
//!    rename atomic.
//! 4. **Remove**: orphans go last.
//!
//! If phase 3 or 4 fails, the error lists exactly which paths had changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::atomic_write::temp_path_for;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// Files that must hold exactly these bytes.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    /// Folders that must exist (even when empty).
    pub dirs: BTreeSet<PathBuf>,
    /// Files and folders (with their contents) to remove.
    pub removals: BTreeSet<PathBuf>,
    /// Files left as they are without being written (incremental mode: the
    /// instances they hold did not change); counted as unchanged.
    pub kept: usize,
}

/// What applying a change set does (or did) to the disk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeSummary {
    pub added: Vec<PathBuf>,
    pub changed: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
    /// Files already holding the right bytes.
    pub unchanged: usize,
}

impl ChangeSummary {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{}: refusing to write outside the project folder {}", path.display(), root.display())]
    OutsideProject { path: PathBuf, root: PathBuf },

    #[error("{}: {message}", path.display())]
    Conflict { path: PathBuf, message: String },

    #[error("{}: {source}; nothing was changed", path.display())]
    NothingChanged { path: PathBuf, source: io::Error },

    #[error("{}: {source}; these paths had already changed: {}", path.display(), list(changed))]
    Partial {
        path: PathBuf,
        source: io::Error,
        changed: Vec<PathBuf>,
    },
}

fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileStatus {
    Added,
    Changed,
    Unchanged,
}

impl ChangeSet {
    /// Compares the change set with the disk: what would be added, changed
    /// and removed.
    pub fn summarize(&self) -> ChangeSummary {
        let mut summary = ChangeSummary {
            unchanged: self.kept,
            ..ChangeSummary::default()
        };
        for (path, status) in self.statuses() {
            match status {
                FileStatus::Added => summary.added.push(path.to_path_buf()),
                FileStatus::Changed => summary.changed.push(path.to_path_buf()),
                FileStatus::Unchanged => summary.unchanged += 1,
            }
        }
        summary.removed = self
            .removals
            .iter()
            .filter(|p| exists(p))
            .cloned()
            .collect();
        summary
    }

    /// The status of every file. Each folder is listed once instead of
    /// asking about every file: in a new folder nothing needs asking.
    fn statuses(&self) -> Vec<(&Path, FileStatus)> {
        // Files grouped by folder (the map is in path order).
        type Group<'g> = (&'g Path, Vec<(&'g Path, &'g [u8])>);
        let mut groups: Vec<Group> = Vec::new();
        for (path, contents) in &self.files {
            let parent = path.parent().unwrap_or(Path::new(""));
            match groups.last_mut() {
                Some((p, files)) if *p == parent => files.push((path, contents)),
                _ => groups.push((parent, vec![(path, contents)])),
            }
        }
        groups
            .par_iter()
            .flat_map_iter(|(parent, files)| {
                let listed: Option<HashMap<OsString, bool>> =
                    fs::read_dir(if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    })
                    .ok()
                    .map(|entries| {
                        entries
                            .filter_map(|e| e.ok())
                            .map(|e| (e.file_name(), e.file_type().is_ok_and(|t| t.is_dir())))
                            .collect()
                    });
                files.iter().map(move |(path, contents)| {
                    let status = match listed
                        .as_ref()
                        .and_then(|l| path.file_name().and_then(|n| l.get(n)))
                    {
                        None => FileStatus::Added,
                        Some(true) => FileStatus::Changed,
                        Some(false) => status_of(path, contents),
                    };
                    (*path, status)
                })
            })
            .collect()
    }

    /// Applies the change set to the project folder `root`.
    pub fn apply(&self, root: &Path) -> Result<ChangeSummary, ApplyError> {
        self.check(root)?;
        let statuses = self.statuses();

        // Stage.
        let mut created_dirs: Vec<PathBuf> = Vec::new();
        let mut displaced: Vec<(PathBuf, PathBuf)> = Vec::new();
        let staged = self.stage(root, &statuses, &mut created_dirs, &mut displaced);
        let staged = match staged {
            Ok(staged) => staged,
            Err((path, source)) => {
                undo(&[], &[], &created_dirs, &displaced);
                return Err(ApplyError::NothingChanged { path, source });
            }
        };
        let (added, temps): (Vec<&Path>, Vec<(&Path, PathBuf)>) = staged;

        // Commit.
        let mut summary = ChangeSummary {
            added: added.iter().map(|p| p.to_path_buf()).collect(),
            unchanged: self.kept
                + statuses
                    .iter()
                    .filter(|(_, s)| *s == FileStatus::Unchanged)
                    .count(),
            ..ChangeSummary::default()
        };
        for (index, (target, temp)) in temps.iter().enumerate() {
            if let Err(source) = fs::rename(temp, target) {
                for (_, rest) in &temps[index..] {
                    let _ = fs::remove_file(rest);
                }
                let mut changed = summary.added.clone();
                changed.extend(summary.changed.iter().cloned());
                return Err(ApplyError::Partial {
                    path: target.to_path_buf(),
                    source,
                    changed,
                });
            }
            summary.changed.push(target.to_path_buf());
        }

        // Remove.
        for (_, aside) in &displaced {
            let _ = remove_any(aside);
        }
        for path in &self.removals {
            if !exists(path) {
                continue;
            }
            if let Err(source) = remove_any(path) {
                let mut changed = summary.added.clone();
                changed.extend(summary.changed.iter().cloned());
                changed.extend(summary.removed.iter().cloned());
                return Err(ApplyError::Partial {
                    path: path.clone(),
                    source,
                    changed,
                });
            }
            summary.removed.push(path.clone());
        }
        Ok(summary)
    }

    /// Every path must be inside `root` and made of plain names, and no path
    /// may be both written and removed.
    fn check(&self, root: &Path) -> Result<(), ApplyError> {
        let paths = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .chain(self.removals.iter());
        for path in paths {
            let inside = path
                .strip_prefix(root)
                .is_ok_and(|rest| rest.components().all(|c| matches!(c, Component::Normal(_))));
            if !inside {
                return Err(ApplyError::OutsideProject {
                    path: path.clone(),
                    root: root.to_path_buf(),
                });
            }
        }
        for path in self.files.keys().chain(self.dirs.iter()) {
            if let Some(removal) = path.ancestors().find(|a| self.removals.contains(*a)) {
                return Err(ApplyError::Conflict {
                    path: path.clone(),
                    message: format!("it is written, but {} is removed", removal.display()),
                });
            }
        }
        for file in self.files.keys() {
            // Paths under `file` sort right after it.
            let under = self
                .dirs
                .range(file.clone()..)
                .next()
                .is_some_and(|d| d.starts_with(file));
            if under {
                return Err(ApplyError::Conflict {
                    path: file.clone(),
                    message: "it is both a file and a folder".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Phase 2. Returns the new files written in place and the temporary
    /// files of changed ones; on error, what failed (the caller undoes).
    #[allow(clippy::type_complexity)]
    fn stage<'a>(
        &'a self,
        root: &Path,
        statuses: &[(&'a Path, FileStatus)],
        created_dirs: &mut Vec<PathBuf>,
        displaced: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<(Vec<&'a Path>, Vec<(&'a Path, PathBuf)>), (PathBuf, io::Error)> {
        // Folders and files in one walk in path order, so each folder is made
        // just before what goes in it (as `cp -r` does): one file after
        // another, since creating files in parallel makes file systems like
        // ext4 contend and is several times slower.
        let mut needed: BTreeSet<&Path> = self.dirs.iter().map(PathBuf::as_path).collect();
        for path in self.files.keys() {
            needed.extend(
                path.ancestors()
                    .skip(1)
                    .take_while(|a| a.starts_with(root) && *a != root),
            );
        }
        let mut steps: Vec<(&Path, Option<FileStatus>)> =
            needed.into_iter().map(|d| (d, None)).collect();
        steps.extend(
            statuses
                .iter()
                .filter(|(_, s)| *s != FileStatus::Unchanged)
                .map(|(p, s)| (*p, Some(*s))),
        );
        // Byte order keeps every folder before what is inside it, and is much
        // cheaper to compare than path components.
        steps.sort_by(|a, b| {
            a.0.as_os_str()
                .as_encoded_bytes()
                .cmp(b.0.as_os_str().as_encoded_bytes())
        });

        let mut added = Vec::new();
        let mut temps = Vec::new();
        let fail = |path: &Path, e: io::Error, added: &[&Path], temps: &[(&Path, PathBuf)]| {
            let added: Vec<PathBuf> = added.iter().map(|p| p.to_path_buf()).collect();
            let temps: Vec<PathBuf> = temps.iter().map(|(_, t)| t.clone()).collect();
            undo(&added, &temps, &[], &[]);
            (path.to_path_buf(), e)
        };
        for (path, status) in steps {
            let Some(status) = status else {
                self.make_dir(path, created_dirs, displaced)
                    .map_err(|e| fail(path, e, &added, &temps))?;
                continue;
            };
            if status == FileStatus::Changed && path.is_dir() {
                // A folder where a file must go must be an orphan.
                self.set_aside(path, displaced)
                    .map_err(|e| fail(path, e, &added, &temps))?;
            }
            let contents = &self.files[path];
            let written_in_place = status == FileStatus::Added
                && match write_new(path, contents) {
                    Ok(()) => true,
                    // Appeared since it was looked at: replace it safely.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(fail(path, e, &added, &temps)),
                };
            if written_in_place {
                added.push(path);
            } else {
                let temp = temp_path_for(path);
                if let Err(e) = write_new(&temp, contents) {
                    let _ = fs::remove_file(&temp);
                    return Err(fail(path, e, &added, &temps));
                }
                temps.push((path, temp));
            }
        }
        Ok((added, temps))
    }

    fn make_dir(
        &self,
        dir: &Path,
        created_dirs: &mut Vec<PathBuf>,
        displaced: &mut Vec<(PathBuf, PathBuf)>,
    ) -> io::Result<()> {
        match fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            // A file where a folder must go must be an orphan.
            Ok(_) => self.set_aside(dir, displaced)?,
            Err(_) => {}
        }
        match fs::create_dir(dir) {
            Ok(()) => {
                created_dirs.push(dir.to_path_buf());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves an entry that is in the way (and is removed anyway) aside; it
    /// is put back if staging fails.
    fn set_aside(&self, path: &Path, displaced: &mut Vec<(PathBuf, PathBuf)>) -> io::Result<()> {
        if !self.removals.contains(path) {
            return Err(io::Error::other(
                "something is where Atlas must write, and it is not one of the paths Atlas removes",
            ));
        }
        let aside = temp_path_for(path);
        fs::rename(path, &aside)?;
        displaced.push((path.to_path_buf(), aside));
        Ok(())
    }
}

fn status_of(path: &Path, contents: &[u8]) -> FileStatus {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            if meta.len() == contents.len() as u64
                && fs::read(path).is_ok_and(|existing| existing == contents)
            {
                FileStatus::Unchanged
            } else {
                FileStatus::Changed
            }
        }
        Ok(_) => FileStatus::Changed,
        Err(_) => FileStatus::Added,
    }
}

/// Writes a file that must not exist yet; a failed write leaves no file.
fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let result = file.write_all(contents).and_then(|()| file.flush());
    if result.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    result
}

/// Takes back a failed stage: new files, temporary files, created folders
/// (deepest first) and moved-aside entries.
fn undo(
    added: &[PathBuf],
    temps: &[PathBuf],
    created_dirs: &[PathBuf],
    displaced: &[(PathBuf, PathBuf)],
) {
    for path in added.iter().chain(temps) {
        let _ = fs::remove_file(path);
    }
    for dir in created_dirs.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
    for (original, aside) in displaced {
        let _ = fs::rename(aside, original);
    }
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn remove_any(path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}
