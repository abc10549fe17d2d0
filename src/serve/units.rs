//! Which part of the tree a changed path affects, and reading that part
//! again.
//!
//! A *unit* is the smallest instance that can be snapshotted again on its
//! own: an instance defined by a file or folder, a project node below a
//! project's root, or (for the root project file itself) the whole tree.
//! A changed path maps to units through the tree's path index: the
//! instances that list the path among their relevant paths, or, for a path
//! the tree does not know yet (a new file), those of its nearest known
//! folder. A path unknown to the tree that no longer exists (an editor's
//! temporary file) affects nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::Ustr;

use crate::formats::{
    file_rule, infer_child_classes, infer_class, snapshot_from_path, snapshot_project_file,
    snapshot_project_node, SnapshotError,
};
use crate::project::suffixes;
use crate::snapshot::{InstanceContext, InstanceSnapshot, InstanceTree, InstigatingSource};
use crate::vfs::{EntryKind, Vfs};

use super::new_entries::{self, NewEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Read the root project again.
    Full,
    Instance(Ref),
}

/// The units the changed `paths` affect, with none inside another, and the
/// new entries of folders that can be read alone ([`new_entries`]), none
/// inside a unit.
pub fn units_for_paths(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    paths: &[PathBuf],
) -> (Vec<Unit>, Vec<NewEntry>) {
    let mut units = Vec::new();
    let mut entries = Vec::new();
    for path in paths {
        units_for_path(tree, vfs, path, &mut units, &mut entries);
        if units.contains(&Unit::Full) {
            return (vec![Unit::Full], Vec::new());
        }
    }
    let units = outermost(tree, units);
    let entries = outside_units(tree, &units, entries);
    (units, entries)
}

/// `entries` without those whose folder is, or is inside, one of `units`
/// (reading the unit reads them), and without repeats.
pub fn outside_units(tree: &InstanceTree, units: &[Unit], entries: Vec<NewEntry>) -> Vec<NewEntry> {
    if units.contains(&Unit::Full) {
        return Vec::new();
    }
    let mut kept: Vec<NewEntry> = Vec::new();
    for entry in entries {
        if tree.dom().get_by_ref(entry.folder).is_none() {
            continue;
        }
        let covered = tree
            .dom()
            .ancestors_of(entry.folder)
            .any(|a| units.contains(&Unit::Instance(a.referent())));
        if !covered && !kept.contains(&entry) {
            kept.push(entry);
        }
    }
    kept
}

fn units_for_path(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    path: &Path,
    units: &mut Vec<Unit>,
    entries: &mut Vec<NewEntry>,
) {
    let Some(index) = tree.path_index() else {
        units.push(Unit::Full);
        return;
    };
    let hits = index.get(path);
    if !hits.is_empty() {
        for hit in hits {
            units.push(unit_for_hit(tree, *hit, path));
        }
        return;
    }
    let Ok(kind) = vfs.kind(path) else {
        return;
    };
    for ancestor in path.ancestors().skip(1) {
        let hits = index.get(ancestor);
        if !hits.is_empty() {
            if kind == EntryKind::File
                && path.parent() == Some(ancestor)
                && hits.iter().all(|hit| cannot_matter(tree, *hit, path))
            {
                return;
            }
            if let Some(entry) = new_entries::plan(tree, vfs, ancestor, hits, path) {
                entries.push(entry);
                return;
            }
            for hit in hits {
                units.push(unit_for_hit(tree, *hit, ancestor));
            }
            return;
        }
    }
}

/// When the unit `failed` cannot be read as a whole (one file in it is
/// broken), the finer changes inside it that can still be applied: the
/// units of changed paths below it, and new files directly in its folder.
pub fn fallback_units(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    failed: Ref,
    paths: &[PathBuf],
) -> (Vec<Unit>, Vec<NewEntry>) {
    let Some(index) = tree.path_index() else {
        return (Vec::new(), Vec::new());
    };
    let inside = |r: Ref| r != failed && tree.dom().ancestors_of(r).any(|a| a.referent() == failed);
    let folder = match tree
        .metadata(failed)
        .and_then(|m| m.instigating_source.as_ref())
    {
        Some(InstigatingSource::Path(path)) => Some(path.clone()),
        _ => None,
    };
    let mut units = Vec::new();
    let mut new_files = Vec::new();
    for path in paths {
        let hits = index.get(path);
        if !hits.is_empty() {
            for hit in hits.iter().copied().filter(|h| inside(*h)) {
                if let unit @ Unit::Instance(id) = containing_unit(tree, hit) {
                    if inside(id) {
                        units.push(unit);
                    }
                }
            }
            continue;
        }
        let is_new_file = folder.is_some()
            && path.parent() == folder.as_deref()
            && vfs.kind(path).ok() == Some(EntryKind::File)
            && !cannot_matter(tree, failed, path);
        if is_new_file {
            new_files.push(NewEntry {
                folder: failed,
                path: path.clone(),
            });
        }
    }
    (outermost(tree, units), new_files)
}

/// Reads a new file of a folder that could not be read as a whole, as the
/// folder would have (its context, and the class its name gets there).
pub fn snapshot_new_file(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    file: &NewEntry,
) -> Result<Option<InstanceSnapshot>, SnapshotError> {
    let already = tree
        .dom()
        .get_by_ref(file.folder)
        .map(|f| f.children())
        .unwrap_or_default()
        .iter()
        .any(|c| {
            matches!(
                tree.metadata(*c).and_then(|m| m.instigating_source.as_ref()),
                Some(InstigatingSource::Path(p)) if *p == file.path
            )
        });
    if already {
        return Ok(None);
    }
    match new_entries::Reading::new(tree, file.clone()) {
        Some(reading) => reading.read(vfs),
        None => Ok(None),
    }
}

/// Snapshots the file or folder at `path` as a child of a `parent_class`
/// instance would be: a folder named like a service under a DataModel
/// becomes that service, as the folder above would have inferred.
pub(super) fn snapshot_path(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    path: &Path,
    parent_class: Option<&str>,
) -> Result<Option<InstanceSnapshot>, SnapshotError> {
    if !vfs.exists(path) {
        return Ok(None);
    }
    let mut snapshot = snapshot_from_path(context, vfs, path)?;
    if let (Some(snapshot), Some(parent_class)) = (&mut snapshot, parent_class) {
        if snapshot.class_name == "Folder" {
            if let Some(class) = infer_class(&snapshot.name, parent_class) {
                snapshot.class_name = class.into();
                infer_child_classes(snapshot);
            }
        }
    }
    Ok(snapshot)
}

/// True if the new file `path`, directly in the folder of `folder`, can
/// produce no instance: it is ignored, or no sync rule matches it (a
/// README, an editor's temporary file) and it is not a meta file.
fn cannot_matter(tree: &InstanceTree, folder: Ref, path: &Path) -> bool {
    let Some(metadata) = tree.metadata(folder) else {
        return false;
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return true;
    };
    if metadata.context.is_ignored(path) {
        return true;
    }
    !suffixes::is_meta(name)
        && !suffixes::is_project(name)
        && file_rule(&metadata.context.sync_rules, path, name).is_none()
}

/// The unit to read again when `path`, a relevant path of `id`, changed.
fn unit_for_hit(tree: &InstanceTree, id: Ref, path: &Path) -> Unit {
    match tree
        .metadata(id)
        .and_then(|m| m.instigating_source.as_ref())
    {
        Some(InstigatingSource::ProjectNode { project, .. }) if project == path => {
            // The project file changed: everything it defines is read again,
            // from the instance that includes the project.
            let dom = tree.dom();
            let mut top = id;
            while let Some(parent) = dom.get_by_ref(top).map(|i| i.parent()) {
                let same_project = matches!(
                    tree.metadata(parent).and_then(|m| m.instigating_source.as_ref()),
                    Some(InstigatingSource::ProjectNode { project: p, .. }) if p == project
                );
                if parent.is_none() || !same_project {
                    break;
                }
                top = parent;
            }
            match dom.get_by_ref(top).map(|i| i.parent()) {
                Some(parent) if parent.is_some() => containing_unit(tree, parent),
                _ => Unit::Full,
            }
        }
        _ => containing_unit(tree, id),
    }
}

/// The unit that defines `id`: `id` itself when it can be read alone.
fn containing_unit(tree: &InstanceTree, id: Ref) -> Unit {
    let parent = tree
        .dom()
        .get_by_ref(id)
        .map(|i| i.parent())
        .unwrap_or_else(Ref::none);
    let can_stand_alone = match tree
        .metadata(id)
        .and_then(|m| m.instigating_source.as_ref())
    {
        Some(InstigatingSource::Path(_)) => true,
        Some(InstigatingSource::ProjectNode { node_path, .. }) => !node_path.is_empty(),
        None => false,
    };
    if can_stand_alone && parent.is_some() {
        Unit::Instance(id)
    } else if parent.is_some() {
        containing_unit(tree, parent)
    } else {
        Unit::Full
    }
}

/// `units` without repeats and without those inside another; the whole
/// tree, first, when it is one of them (reading everything covers every
/// other unit; if it fails, a broken project file, the others still get
/// their turn, so edits elsewhere keep syncing).
pub fn outermost_units(tree: &InstanceTree, mut units: Vec<Unit>) -> Vec<Unit> {
    let full = units.contains(&Unit::Full);
    units.retain(|u| {
        *u != Unit::Full && matches!(u, Unit::Instance(id) if tree.dom().get_by_ref(*id).is_some())
    });
    let mut kept = outermost(tree, units);
    if full {
        kept.insert(0, Unit::Full);
    }
    kept
}

/// Drops units inside another unit of the list, and duplicates.
fn outermost(tree: &InstanceTree, units: Vec<Unit>) -> Vec<Unit> {
    let ids: std::collections::HashSet<Ref> = units
        .iter()
        .filter_map(|u| match u {
            Unit::Instance(r) => Some(*r),
            Unit::Full => None,
        })
        .collect();
    let mut kept = Vec::new();
    for unit in units {
        let Unit::Instance(id) = unit else {
            return vec![Unit::Full];
        };
        let inside_another = tree
            .dom()
            .ancestors_of(id)
            .skip(1)
            .any(|a| ids.contains(&a.referent()));
        if !inside_another && !kept.contains(&unit) {
            kept.push(unit);
        }
    }
    kept
}

/// What reading a unit again needs, taken from the tree so the reading
/// itself can happen without the tree lock.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub unit: Unit,
    kind: RecipeKind,
}

#[derive(Debug, Clone)]
enum RecipeKind {
    Full,
    Path {
        path: PathBuf,
        context: Arc<InstanceContext>,
        parent_class: Option<Ustr>,
    },
    Node {
        project: PathBuf,
        names: Vec<String>,
        context: Arc<InstanceContext>,
        parent_class: Option<Ustr>,
    },
    /// The instance is no longer in the tree, or has no source.
    Gone,
}

impl Recipe {
    pub fn new(tree: &InstanceTree, unit: Unit) -> Recipe {
        let id = match unit {
            Unit::Full => {
                return Recipe {
                    unit,
                    kind: RecipeKind::Full,
                }
            }
            Unit::Instance(id) => id,
        };
        let dom = tree.dom();
        let (Some(metadata), Some(instance)) = (tree.metadata(id), dom.get_by_ref(id)) else {
            return Recipe {
                unit,
                kind: RecipeKind::Gone,
            };
        };
        let parent_class = dom.get_by_ref(instance.parent()).map(|p| p.class);
        let kind = match &metadata.instigating_source {
            Some(InstigatingSource::Path(path)) => RecipeKind::Path {
                path: path.clone(),
                context: metadata.context.clone(),
                parent_class,
            },
            Some(InstigatingSource::ProjectNode { project, .. }) => {
                let mut names = Vec::new();
                let mut current = id;
                while let Some(InstigatingSource::ProjectNode {
                    project: p,
                    node_path,
                }) = tree
                    .metadata(current)
                    .and_then(|m| m.instigating_source.as_ref())
                {
                    if p != project || node_path.is_empty() {
                        break;
                    }
                    let Some(instance) = dom.get_by_ref(current) else {
                        break;
                    };
                    names.push(instance.name.clone());
                    current = instance.parent();
                }
                names.reverse();
                RecipeKind::Node {
                    project: project.clone(),
                    names,
                    context: metadata.context.clone(),
                    parent_class,
                }
            }
            None => RecipeKind::Gone,
        };
        Recipe { unit, kind }
    }

    /// Reads the unit again. `Ok(None)`: the instance no longer exists.
    pub fn snapshot(
        &self,
        vfs: &dyn Vfs,
        root_project: &Path,
    ) -> Result<Option<InstanceSnapshot>, SnapshotError> {
        match &self.kind {
            RecipeKind::Full => {
                snapshot_project_file(&InstanceContext::default(), vfs, root_project, None)
                    .map(Some)
            }
            RecipeKind::Path {
                path,
                context,
                parent_class,
            } => snapshot_path(context, vfs, path, parent_class.as_deref()),
            RecipeKind::Node {
                project,
                names,
                context,
                parent_class,
            } => snapshot_project_node(context, vfs, project, names, parent_class.as_deref()),
            RecipeKind::Gone => Ok(None),
        }
    }
}
