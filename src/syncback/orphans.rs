//! Files left over from an earlier layout.
//!
//! The folders project nodes own (`$path` folders) are listed; anything in
//! them that Atlas manages (a file some sync rule reads, a meta file, a
//! `.gitkeep`, a folder) and that this syncback does not write is removed,
//! topmost first. Left alone: files no rule reads (`README.md`, images),
//! dot-files other than `.gitkeep`, paths in `keep` (and the folders leading
//! to them), and paths `ignorePaths` matches. A folder that still holds such
//! files is kept, with a warning, since it will read back as a Folder.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use globset::GlobMatcher;

use super::incremental::Previous;
use super::layout::Context;
use crate::formats::file_rule;
use crate::project::{suffixes, Middleware};
use crate::vfs::{EntryKind, Vfs};

/// What the scan does with an entry.
enum Verdict {
    /// Not Atlas's to remove, or still written.
    LeftAlone,
    /// A folder that stays: what it holds is judged entry by entry.
    Scanned,
    /// A folder no longer written that holds files Atlas does not manage.
    KeptWithWarning,
    Removed,
}

pub(super) struct OrphanScan<'a> {
    pub vfs: &'a dyn Vfs,
    /// Files and folders this syncback writes.
    pub files: &'a BTreeMap<PathBuf, Vec<u8>>,
    pub dirs: &'a HashSet<PathBuf>,
    /// Paths that stay.
    pub keep: &'a HashSet<PathBuf>,
    /// The folders leading to paths that stay.
    pub leading_to_kept: &'a HashSet<PathBuf>,
    /// The project folder, which `ignore_paths` are relative to.
    pub project_folder: &'a Path,
    pub ignore_paths: &'a [GlobMatcher],
    /// In incremental mode, only what the old tree read may go.
    pub previous: Option<&'a Previous<'a>>,
    pub removals: BTreeSet<PathBuf>,
    pub warnings: Vec<String>,
}

impl OrphanScan<'_> {
    pub fn scan(&mut self, dir: &Path, context: &Context) {
        let Ok(entries) = self.vfs.read_dir(dir) else {
            return; // a folder that does not exist yet has no orphans
        };
        for entry in entries {
            let path = entry.path.as_path();
            match self.judge(path, entry.kind, context) {
                Verdict::LeftAlone => {}
                Verdict::Scanned => self.scan(path, context),
                Verdict::KeptWithWarning => {
                    self.scan(path, context);
                    self.warnings.push(format!(
                        "{} is no longer written but holds files Atlas does not manage; it is kept and will read back as an empty Folder",
                        path.display()
                    ));
                }
                Verdict::Removed => self.remove(path),
            }
        }
    }

    /// What the scan does with an entry of a folder it scans.
    fn judge(&self, path: &Path, kind: EntryKind, context: &Context) -> Verdict {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if (name.starts_with('.') && name != suffixes::GITKEEP)
            || self.is_kept(path)
            || self.is_ignored(path)
        {
            return Verdict::LeftAlone;
        }
        match kind {
            EntryKind::Dir if self.dirs.contains(path) || self.leads_to_kept(path) => {
                Verdict::Scanned
            }
            EntryKind::Dir if self.holds_unmanaged(path, context) => Verdict::KeptWithWarning,
            EntryKind::Dir => Verdict::Removed,
            EntryKind::File
                if !self.files.contains_key(path) && is_managed(path, name, context) =>
            {
                Verdict::Removed
            }
            EntryKind::File => Verdict::LeftAlone,
        }
    }

    /// The scan of a scoped syncback: only the files and folders the old
    /// part was read from (`known`), each judged as [`OrphanScan::scan`]
    /// judges it when it reaches it from the innermost node folder holding
    /// it. False if that judgement needs more than the part (a folder on
    /// the way that would not be kept as it is, one that goes but holds
    /// files Atlas does not manage): then only a whole scan says what goes.
    pub fn scan_known<'p>(
        &mut self,
        known: impl Iterator<Item = (&'p Path, EntryKind)>,
        node_dirs: &[(PathBuf, Context)],
    ) -> bool {
        let mut known: Vec<(&Path, EntryKind)> = known.collect();
        // Folders before what they hold.
        known.sort_by(|a, b| a.0.cmp(b.0));
        'known: for (path, kind) in known {
            let Some((dir, context)) = node_dirs
                .iter()
                .filter(|(dir, _)| path.starts_with(dir) && path != dir)
                .max_by_key(|(dir, _)| dir.components().count())
            else {
                continue; // no scan reaches it
            };
            // The scan reaches it only through folders it scans.
            for folder in path.ancestors().skip(1).take_while(|a| a != dir) {
                if self.removals.contains(folder) {
                    continue 'known; // gone with its folder
                }
                match self.judge(folder, EntryKind::Dir, context) {
                    Verdict::Scanned => {}
                    Verdict::LeftAlone => continue 'known,
                    Verdict::KeptWithWarning | Verdict::Removed => return false,
                }
            }
            match self.judge(path, kind, context) {
                Verdict::LeftAlone | Verdict::Scanned => {}
                Verdict::KeptWithWarning => return false,
                Verdict::Removed => self.remove(path),
            }
        }
        true
    }

    fn remove(&mut self, path: &Path) {
        if self.previous.is_none_or(|previous| previous.knows(path)) {
            self.removals.insert(path.to_path_buf());
        }
    }

    fn is_kept(&self, path: &Path) -> bool {
        self.keep.contains(path)
    }

    fn leads_to_kept(&self, path: &Path) -> bool {
        self.leading_to_kept.contains(path)
    }

    fn is_ignored(&self, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(self.project_folder) else {
            return false;
        };
        self.ignore_paths.iter().any(|m| m.is_match(relative))
    }

    /// True if the folder (at any depth) holds a file Atlas does not manage.
    fn holds_unmanaged(&self, dir: &Path, context: &Context) -> bool {
        let Ok(entries) = self.vfs.read_dir(dir) else {
            return false;
        };
        entries.iter().any(|entry| {
            let name = entry.name().unwrap_or_default();
            match entry.kind {
                EntryKind::Dir => self.holds_unmanaged(&entry.path, context),
                EntryKind::File => {
                    (name.starts_with('.') && name != suffixes::GITKEEP)
                        || !is_managed(&entry.path, name, context)
                }
            }
        })
    }
}

/// True if Atlas reads `path` as (part of) an instance: a file some sync rule
/// matches (meta files included) or a `.gitkeep`.
pub(super) fn is_managed(path: &Path, name: &str, context: &Context) -> bool {
    if name == suffixes::GITKEEP || suffixes::is_meta(name) {
        return true;
    }
    // Files the project tells Atlas to ignore are the user's, not Atlas's.
    if context
        .ignore_globs
        .iter()
        .any(|glob| glob.is_ignored(path))
    {
        return false;
    }
    matches!(file_rule(&context.sync_rules, path, name), Some((middleware, _)) if middleware != Middleware::Ignore)
}
