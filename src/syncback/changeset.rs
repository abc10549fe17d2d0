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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::journal::{self, exists, remove_any, Intent, Journal, JournalError};
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

impl ChangeSet {
    /// The folders applying this change set creates: those of `dirs` not on
    /// disk now. Two change sets with the same files and removals do the
    /// same to the disk when these are equal too.
    pub fn dirs_to_create(&self) -> Vec<&Path> {
        self.dirs
            .iter()
            .filter(|dir| !dir.is_dir())
            .map(PathBuf::as_path)
            .collect()
    }
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

    #[error(transparent)]
    Journal(#[from] JournalError),

    #[error("{}: {source}; these paths had already changed: {} (Atlas finishes the rest the next time it runs on this project)", path.display(), list(changed))]
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
        for (path, _, status) in self.statuses() {
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
    fn statuses(&self) -> Vec<(&Path, &[u8], FileStatus)> {
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
                    (*path, *contents, status)
                })
            })
            .collect()
    }

    /// Applies the change set to the project folder `root`, all or nothing
    /// even if the process is killed halfway (see [`super::journal`]): an
    /// interrupted syncback's journal is recovered first.
    pub fn apply(&self, root: &Path) -> Result<ChangeSummary, ApplyError> {
        self.check(root)?;
        if let Some(recovery) = journal::recover(root)? {
            log::warn!("{}", recovery.describe(root));
        }
        let statuses = self.statuses();
        let mut summary = ChangeSummary {
            unchanged: self.kept
                + statuses
                    .iter()
                    .filter(|(_, _, s)| *s == FileStatus::Unchanged)
                    .count(),
            ..ChangeSummary::default()
        };
        let removals: Vec<PathBuf> = self
            .removals
            .iter()
            .filter(|p| exists(p))
            .cloned()
            .collect();
        let steps = self
            .plan_steps(root, &statuses)
            .map_err(|(path, source)| ApplyError::NothingChanged { path, source })?;
        if steps.is_empty() && removals.is_empty() {
            return Ok(summary);
        }

        // Stage, after the journal says what staging does.
        let mut intent = Intent {
            removals: removals.clone(),
            ..Intent::default()
        };
        for step in &steps {
            match step {
                Step::Dir { dir, aside } => {
                    if let Some(aside) = aside {
                        intent.asides.push((dir.to_path_buf(), aside.clone()));
                    }
                    intent.new_dirs.push(dir.to_path_buf());
                }
                Step::File {
                    path, temp, aside, ..
                } => {
                    if let Some(aside) = aside {
                        intent.asides.push((path.to_path_buf(), aside.clone()));
                    }
                    match temp {
                        Some(temp) => intent.temps.push((temp.clone(), path.to_path_buf())),
                        None => intent.new_files.push(path.to_path_buf()),
                    }
                }
            }
        }
        let mut journal = Journal::begin(root, &intent)?;
        journal::crash_point();
        let mut temps: Vec<(PathBuf, PathBuf)> = intent.temps.clone();
        if let Err((path, source)) =
            self.stage(root, &steps, &mut journal, &mut temps, &mut summary)
        {
            drop(journal);
            // Takes back what was staged, by the journal.
            journal::recover(root)?;
            return Err(ApplyError::NothingChanged { path, source });
        }

        // Commit: from here on an interrupted run is finished by the next.
        let partial = |path: &Path, source: io::Error, summary: &ChangeSummary| {
            let mut changed = summary.added.clone();
            changed.extend(summary.changed.iter().cloned());
            changed.extend(summary.removed.iter().cloned());
            ApplyError::Partial {
                path: path.to_path_buf(),
                source,
                changed,
            }
        };
        if let Err(source) = journal.commit() {
            drop(journal);
            journal::recover(root)?;
            return Err(ApplyError::NothingChanged {
                path: root.join(journal::JOURNAL_NAME),
                source,
            });
        }
        journal::crash_point();
        for (temp, target) in &temps {
            fs::rename(temp, target).map_err(|e| partial(target, e, &summary))?;
            summary.changed.push(target.clone());
            journal::crash_point();
        }
        for (_, aside) in &intent.asides {
            let _ = remove_any(aside);
            journal::crash_point();
        }
        for path in &removals {
            remove_any(path).map_err(|e| partial(path, e, &summary))?;
            summary.removed.push(path.clone());
            journal::crash_point();
        }
        journal
            .end()
            .map_err(|e| partial(&root.join(journal::JOURNAL_NAME), e, &summary))?;
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
        // Hash sets: comparing paths component by component in the sorted
        // sets costs seconds over a whole place.
        if !self.removals.is_empty() {
            let removals: HashSet<&Path> = self.removals.iter().map(PathBuf::as_path).collect();
            for path in self.files.keys().chain(self.dirs.iter()) {
                if let Some(removal) = path.ancestors().find(|a| removals.contains(a)) {
                    return Err(ApplyError::Conflict {
                        path: path.clone(),
                        message: format!("it is written, but {} is removed", removal.display()),
                    });
                }
            }
        }
        // A file must not be a folder, nor lie where a folder's ancestor is.
        let files: HashSet<&Path> = self.files.keys().map(PathBuf::as_path).collect();
        for dir in &self.dirs {
            if let Some(file) = dir.ancestors().find(|a| files.contains(a)) {
                return Err(ApplyError::Conflict {
                    path: file.to_path_buf(),
                    message: "it is both a file and a folder".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// What staging does, decided before anything is touched: folders to
    /// create, new files written in place, changed files through a
    /// temporary file, entries in the way moved aside.
    fn plan_steps<'a>(
        &'a self,
        root: &Path,
        statuses: &[(&'a Path, &'a [u8], FileStatus)],
    ) -> Result<Vec<Step<'a>>, (PathBuf, io::Error)> {
        // Folders and files in one walk in path order, so each folder is made
        // before what goes in it (staging then makes the folders in this
        // order, and the files on every core: on ext4 and tmpfs alike that
        // is faster than one file after another; Miner's Haven on this
        // machine's ext4 disk: 21 s -> 12 s).
        // A hash set: path components are slow to compare, and the order
        // comes from the byte sort below. Kept folders count as written
        // files: the folders leading to them are needed too.
        let mut needed: HashSet<&Path> = self.dirs.iter().map(PathBuf::as_path).collect();
        for path in self.files.keys().chain(&self.dirs) {
            for ancestor in path.ancestors().skip(1) {
                if ancestor == root || !ancestor.starts_with(root) || !needed.insert(ancestor) {
                    break; // its own ancestors are in already
                }
            }
        }
        // A folder (no status), or a file with its status and bytes.
        type Item<'p> = (&'p Path, Option<(FileStatus, &'p [u8])>);
        let mut order: Vec<Item> = needed.into_iter().map(|d| (d, None)).collect();
        order.extend(
            statuses
                .iter()
                .filter(|(_, _, s)| *s != FileStatus::Unchanged)
                .map(|(p, contents, s)| (*p, Some((*s, *contents)))),
        );
        // Byte order keeps every folder before what is inside it, and is much
        // cheaper to compare than path components.
        order.sort_by(|a, b| {
            a.0.as_os_str()
                .as_encoded_bytes()
                .cmp(b.0.as_os_str().as_encoded_bytes())
        });
        let mut steps = Vec::new();
        // Folders this syncback creates: nothing is inside them yet.
        let mut created: HashSet<&Path> = HashSet::new();
        for (path, status) in order {
            let new_parent = path.parent().is_some_and(|p| created.contains(p));
            let Some((status, contents)) = status else {
                let aside = match fs::symlink_metadata(path) {
                    _ if new_parent => None,
                    Ok(meta) if meta.is_dir() => continue,
                    // A file where a folder must go must be an orphan.
                    Ok(_) => Some(self.aside_for(path)?),
                    Err(_) => None,
                };
                created.insert(path);
                steps.push(Step::Dir { dir: path, aside });
                continue;
            };
            let status = if new_parent {
                FileStatus::Added
            } else {
                status
            };
            // A folder where a file must go must be an orphan.
            let aside = if status == FileStatus::Changed && path.is_dir() {
                Some(self.aside_for(path)?)
            } else {
                None
            };
            let temp = (status == FileStatus::Changed).then(|| temp_path_for(path));
            steps.push(Step::File {
                path,
                contents,
                temp,
                aside,
            });
        }
        Ok(steps)
    }

    /// Where an entry in the way of a write goes until the commit; only an
    /// entry the change set removes anyway may be in the way.
    fn aside_for(&self, path: &Path) -> Result<PathBuf, (PathBuf, io::Error)> {
        if !self.removals.contains(path) {
            return Err((
                path.to_path_buf(),
                io::Error::other(
                    "something is where Atlas must write, and it is not one of the paths Atlas removes",
                ),
            ));
        }
        Ok(temp_path_for(path))
    }

    /// Phase 2: carries out `steps`, recording in the journal a new file
    /// that appeared meanwhile (it is then written through a temporary
    /// file, added to `temps`). On error, what failed (the caller takes
    /// back what was staged, by the journal).
    ///
    /// Folders first, in order (each before what it holds); then the files,
    /// which no longer depend on one another, on every core: creating small
    /// files is most of a syncback's writing, and the journal lists each
    /// one before any is written, so an interruption takes them all back
    /// whatever the order.
    fn stage(
        &self,
        root: &Path,
        steps: &[Step],
        journal: &mut Journal,
        temps: &mut Vec<(PathBuf, PathBuf)>,
        summary: &mut ChangeSummary,
    ) -> Result<(), (PathBuf, io::Error)> {
        for step in steps {
            if let Step::Dir { dir, aside } = step {
                let at = |e| (dir.to_path_buf(), e);
                if let Some(aside) = aside {
                    fs::rename(dir, aside).map_err(at)?;
                }
                match fs::create_dir(dir) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(at(e)),
                    _ => {}
                }
                journal::crash_point();
            }
        }
        let journal = std::sync::Mutex::new(journal);
        let outcomes: Vec<Result<Staged, (PathBuf, io::Error)>> = steps
            .par_iter()
            .filter_map(|step| match step {
                Step::File {
                    path,
                    contents,
                    temp,
                    aside,
                } => Some(stage_file(
                    root,
                    &journal,
                    path,
                    contents,
                    temp.as_deref(),
                    aside.as_deref(),
                )),
                Step::Dir { .. } => None,
            })
            .collect();
        for outcome in outcomes {
            match outcome? {
                Staged::Written => {}
                Staged::Added(path) => summary.added.push(path.to_path_buf()),
                Staged::Appeared { path, temp } => temps.push((temp, path.to_path_buf())),
            }
        }
        Ok(())
    }
}

/// What staging one file did.
enum Staged<'a> {
    /// Written to its temporary file (it replaces the file at commit).
    Written,
    /// Written where it goes: a new file.
    Added(&'a Path),
    /// A new file that exists now (not ours): written to `temp`, which
    /// replaces it at commit.
    Appeared { path: &'a Path, temp: PathBuf },
}

/// Stages one file: moves aside what is in its way, then writes it to its
/// temporary file or, new, where it goes.
fn stage_file<'a>(
    root: &Path,
    journal: &std::sync::Mutex<&mut Journal>,
    path: &'a Path,
    contents: &'a [u8],
    temp: Option<&Path>,
    aside: Option<&Path>,
) -> Result<Staged<'a>, (PathBuf, io::Error)> {
    let at = |e| (path.to_path_buf(), e);
    if let Some(aside) = aside {
        fs::rename(path, aside).map_err(at)?;
    }
    let staged = match temp {
        Some(temp) => {
            write_new(temp, contents).map_err(at)?;
            Staged::Written
        }
        None => match write_new(path, contents) {
            Ok(()) => Staged::Added(path),
            // Appeared since it was looked at: the journal says so at once
            // (a recovery must not remove it as ours), then it is replaced
            // safely.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let temp = temp_path_for(path);
                match journal.lock() {
                    Ok(mut journal) => journal.existed(root, path, &temp),
                    Err(poisoned) => poisoned.into_inner().existed(root, path, &temp),
                }
                .map_err(at)?;
                write_new(&temp, contents).map_err(at)?;
                Staged::Appeared { path, temp }
            }
            Err(e) => return Err(at(e)),
        },
    };
    journal::crash_point();
    Ok(staged)
}

/// One staging step (see [`ChangeSet::plan_steps`]).
enum Step<'a> {
    Dir {
        dir: &'a Path,
        aside: Option<PathBuf>,
    },
    File {
        path: &'a Path,
        contents: &'a [u8],
        /// A changed file is written here, then renamed over `path`.
        temp: Option<PathBuf>,
        aside: Option<PathBuf>,
    },
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
    journal::full_disk_point()?;
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let result = file.write_all(contents).and_then(|()| file.flush());
    if result.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    result
}
