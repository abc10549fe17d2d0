//! Incremental mode: what is on disk now, so matching instances keep their
//! file names and formats.
//!
//! The project as it is on disk is read into a tree first. For each folder,
//! the instances read from it are listed with the name of the file or folder
//! that made them. A new instance matches the first unused old one with the
//! same name and class; it keeps that file name when its format still fits
//! (a folder stays a folder, a `.model.json5` stays one). Names of old
//! instances that did not match stay reserved, so nothing is renamed onto
//! them, and only files the old tree read may be removed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{Ustr, WeakDom};

use super::layout::Plan;
use crate::formats::names::{Shape, TakenNames};
use crate::snapshot::{InstanceTree, InstigatingSource};
use crate::vfs::{EntryKind, Vfs};

struct OldEntry {
    name: String,
    class: Ustr,
    fs_name: String,
    is_dir: bool,
}

pub struct Previous {
    by_dir: HashMap<PathBuf, Vec<OldEntry>>,
    /// Every file and folder the old tree was read from.
    known_paths: HashSet<PathBuf>,
}

impl Previous {
    pub fn from_tree(tree: &InstanceTree, vfs: &dyn Vfs) -> Previous {
        let mut by_dir: HashMap<PathBuf, Vec<OldEntry>> = HashMap::new();
        let mut known_paths = HashSet::new();
        for instance in tree.dom().descendants() {
            let Some(metadata) = tree.metadata(instance.referent()) else {
                continue;
            };
            for path in &metadata.relevant_paths {
                if vfs.exists(path) {
                    known_paths.insert(path.clone());
                }
            }
            let (Some(InstigatingSource::Path(path)), Some(fs_name)) =
                (&metadata.instigating_source, &metadata.fs_name)
            else {
                continue;
            };
            let Some(dir) = path.parent() else { continue };
            let is_dir = vfs.kind(path).is_ok_and(|k| k == EntryKind::Dir);
            by_dir.entry(dir.to_path_buf()).or_default().push(OldEntry {
                name: instance.name.clone(),
                class: instance.class,
                fs_name: fs_name.clone(),
                is_dir,
            });
        }
        Previous {
            by_dir,
            known_paths,
        }
    }

    /// True if the old tree was read from `path`: only such paths are removed
    /// in incremental mode.
    pub fn knows(&self, path: &Path) -> bool {
        self.known_paths.contains(path)
    }

    /// The stems that instances in `plans` (laid out in `dir`) keep.
    pub(super) fn reuse(
        &self,
        dir: &Path,
        dom: &WeakDom,
        plans: &[(Ref, Plan)],
    ) -> Vec<(Ref, String, Option<String>)> {
        let Some(old) = self.by_dir.get(dir) else {
            return Vec::new();
        };
        let mut used = vec![false; old.len()];
        let mut kept = Vec::new();
        for (referent, plan) in plans {
            let Some(instance) = dom.get_by_ref(*referent) else {
                continue;
            };
            let found = old
                .iter()
                .enumerate()
                .find(|(i, e)| !used[*i] && e.name == instance.name && e.class == instance.class);
            let Some((index, entry)) = found else {
                continue;
            };
            used[index] = true;
            // With the stem, the extension to keep when it differs from the
            // plan's: a `.lua` script stays `.lua`.
            let found = match (plan.extension(), entry.is_dir) {
                (None, true) => Some((entry.fs_name.clone(), None)),
                (Some(extension), false) => match entry.fs_name.strip_suffix(extension) {
                    Some(stem) => Some((stem.to_owned(), None)),
                    None => alternative_extension(extension).and_then(|other| {
                        entry
                            .fs_name
                            .strip_suffix(&other)
                            .map(|stem| (stem.to_owned(), Some(other.clone())))
                    }),
                },
                _ => None,
            };
            if let Some((stem, extension)) = found.filter(|(s, _)| !s.is_empty()) {
                kept.push((*referent, stem, extension));
            }
        }
        kept
    }

    /// Reserves the names of old instances in `dir` that keep nothing.
    pub(super) fn seed_unmatched(
        &self,
        dir: &Path,
        taken: &mut TakenNames,
        kept: &HashMap<Ref, String>,
    ) {
        let Some(old) = self.by_dir.get(dir) else {
            return;
        };
        let kept_stems: HashSet<&str> = kept.values().map(String::as_str).collect();
        for entry in old {
            let shape = if entry.is_dir {
                Shape::Dir
            } else {
                Shape::File {
                    extension: "",
                    with_meta: false,
                }
            };
            if !kept_stems
                .iter()
                .any(|stem| entry.fs_name.starts_with(stem))
            {
                taken.reserve(&entry.fs_name, shape);
            }
        }
    }
}

/// The older spelling of an extension Atlas also reads and keeps in
/// incremental mode: `.lua` for `.luau`, `.model.json` for `.model.json5`.
fn alternative_extension(extension: &str) -> Option<String> {
    if let Some(base) = extension.strip_suffix(".luau") {
        return Some(format!("{base}.lua"));
    }
    extension
        .strip_suffix(".json5")
        .map(|base| format!("{base}.json"))
}
