//! New files and folders read alone.
//!
//! A file or folder new in the folder of a plain folder instance would
//! otherwise make the dev server read that whole folder again (its unit):
//! in a folder of a thousand models, a second per new script. Reading a
//! folder gives each entry its own instance, in file-name order, and
//! relates entries only through meta files, init files, the project file,
//! `.gitkeep` and same-named instances. So a new entry that is none of
//! those, and whose instance's name no child already has, gets exactly the
//! instance a read of the folder would give it, at the place that read
//! would put it. Anything else falls back to the folder's unit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::Ustr;

use super::units::snapshot_path;
use crate::formats::dir::INIT_FILES;
use crate::formats::SnapshotError;
use crate::project::suffixes;
use crate::snapshot::patch::AppliedPatch;
use crate::snapshot::{InstanceContext, InstanceSnapshot, InstanceTree, InstigatingSource};
use crate::vfs::{EntryKind, Vfs};

/// A new entry of the folder of `folder`, to be read alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub folder: Ref,
    pub path: PathBuf,
}

/// For `path`, new below `dir` (the nearest folder the tree knows, whose
/// instances are `hits`): the entry of `dir` holding it, when that entry can
/// be read alone.
pub fn plan(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    dir: &Path,
    hits: &[Ref],
    path: &Path,
) -> Option<NewEntry> {
    let [folder] = hits else {
        return None;
    };
    let metadata = tree.metadata(*folder)?;
    match &metadata.instigating_source {
        Some(InstigatingSource::Path(source)) if source == dir => {}
        _ => return None,
    }
    let first = path.strip_prefix(dir).ok()?.components().next()?;
    let entry = dir.join(first);
    let name = entry.file_name()?.to_str()?;
    if metadata.context.is_ignored(&entry) {
        return None;
    }
    match vfs.kind(&entry).ok()? {
        EntryKind::Dir => {}
        EntryKind::File => {
            let special = suffixes::is_meta(name)
                || suffixes::is_project(name)
                || name == suffixes::GITKEEP
                || INIT_FILES.iter().any(|(init, _)| *init == name);
            if special {
                return None;
            }
        }
    }
    Some(NewEntry {
        folder: *folder,
        path: entry,
    })
}

/// What reading a new entry needs, taken from the tree so the reading can
/// happen without the tree lock.
pub struct Reading {
    pub entry: NewEntry,
    context: Arc<InstanceContext>,
    folder_class: Option<Ustr>,
}

impl Reading {
    pub fn new(tree: &InstanceTree, entry: NewEntry) -> Option<Reading> {
        let context = tree.metadata(entry.folder)?.context.clone();
        let folder_class = tree.dom().get_by_ref(entry.folder).map(|f| f.class);
        Some(Reading {
            entry,
            context,
            folder_class,
        })
    }

    /// The entry's instance, as a read of its folder would give it.
    pub fn read(&self, vfs: &dyn Vfs) -> Result<Option<InstanceSnapshot>, SnapshotError> {
        snapshot_path(
            &self.context,
            vfs,
            &self.entry.path,
            self.folder_class.as_deref(),
        )
    }
}

/// Adds `snapshot`, read from `entry`, to the tree where a read of the
/// folder would put it. Returns false, changing nothing, when that cannot
/// be known without reading the folder: the folder is gone, the entry is
/// already there, or a child has the same name (same-named instances are
/// ordered by their `~N`).
pub fn insert(
    tree: &mut InstanceTree,
    entry: &NewEntry,
    snapshot: InstanceSnapshot,
    patch: &mut AppliedPatch,
) -> bool {
    let Some(file_name) = entry.path.file_name() else {
        return false;
    };
    let Some(folder) = tree.dom().get_by_ref(entry.folder) else {
        return false;
    };
    let children = folder.children().to_vec();
    // Children are in file-name order: the new one goes before the first
    // whose entry's name sorts after its own. Same-named siblings are in
    // the order of their `~N` instead, which names on disk need not follow
    // (`Part~2.luau` before `Part~10.luau`, which sorts first): children
    // out of file-name order make the folder be read instead.
    let mut position = children.len();
    let mut previous: Option<&std::ffi::OsStr> = None;
    for (i, child) in children.iter().enumerate() {
        let Some(instance) = tree.dom().get_by_ref(*child) else {
            return false;
        };
        if instance.name == snapshot.name {
            return false;
        }
        let child_name = match tree
            .metadata(*child)
            .and_then(|m| m.instigating_source.as_ref())
        {
            Some(InstigatingSource::Path(path)) => match path.file_name() {
                Some(name) => name,
                None => return false,
            },
            _ => return false,
        };
        if child_name == file_name || previous.is_some_and(|p| p > child_name) {
            return false;
        }
        previous = Some(child_name);
        if child_name > file_name && position == children.len() {
            position = i;
        }
    }
    let added = tree.insert(entry.folder, snapshot);
    for child in &children[position..] {
        tree.dom_mut().transfer_within(*child, entry.folder);
    }
    patch.added.push(added);
    true
}
