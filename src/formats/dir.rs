//! Folders.
//!
//! A folder is a `Folder` instance whose children are its entries, unless it
//! holds an init file, in which case it takes that file's instance (the
//! first that exists, in [`INIT_FILES`] order) and the other entries become
//! its children. A folder holding `default.project.json5` (or `.json`) is
//! that project. `init.meta.json5` describes the folder's instance; a `~N`
//! suffix on the folder name is removed from the instance name.
//!
//! Entries are read in parallel; children keep file-name order.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::meta::{apply_meta_for, MetaKind};
use super::names::dedup_index;
use super::{
    infer_child_classes, names, project, snapshot_entry, FileInput, SnapshotError, SnapshotResult,
};
use crate::project::{suffixes, Middleware, DEFAULT_PROJECT_NAMES};
use crate::snapshot::{InstanceContext, InstanceSnapshot, InstigatingSource};
use crate::vfs::{DirEntry, EntryKind, Vfs};

/// Init files, by priority. All of them are consumed by the folder, even
/// the ones a higher-priority file shadows.
pub const INIT_FILES: &[(&str, Middleware)] = &[
    ("init.luau", Middleware::ModuleScript),
    ("init.server.luau", Middleware::ServerScript),
    ("init.client.luau", Middleware::ClientScript),
    ("init.plugin.luau", Middleware::PluginScript),
    ("init.local.luau", Middleware::LocalScript),
    ("init.legacy.luau", Middleware::LegacyScript),
    ("init.csv", Middleware::Csv),
    ("init.lua", Middleware::ModuleScript),
    ("init.server.lua", Middleware::ServerScript),
    ("init.client.lua", Middleware::ClientScript),
    ("init.plugin.lua", Middleware::PluginScript),
    ("init.local.lua", Middleware::LocalScript),
    ("init.legacy.lua", Middleware::LegacyScript),
];

pub fn snapshot_dir(context: &Arc<InstanceContext>, vfs: &dyn Vfs, path: &Path) -> SnapshotResult {
    let dir_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let entries = vfs.read_dir(path).map_err(|e| SnapshotError::io(path, e))?;
    let has_entry = |name: &str| {
        entries
            .iter()
            .any(|e| e.name() == Some(name) && e.kind == EntryKind::File)
    };

    if let Some(project_name) = DEFAULT_PROJECT_NAMES.iter().find(|name| has_entry(name)) {
        let mut snapshot =
            project::snapshot_project_file(context, vfs, &path.join(project_name), None)?;
        snapshot.metadata.fs_name = Some(dir_name);
        snapshot.metadata.relevant_paths.push(path.to_path_buf());
        return Ok(Some(snapshot));
    }

    let init = INIT_FILES.iter().find(|(name, _)| has_entry(name));
    if let Some((shadowed, _)) = INIT_FILES.iter().filter(|(name, _)| has_entry(name)).nth(1) {
        log::warn!(
            "{}: {shadowed} is ignored because {} takes priority",
            path.display(),
            init.map(|(n, _)| *n).unwrap_or_default()
        );
    }

    let name = names::strip_dedup_suffix(&dir_name).to_owned();
    let mut snapshot = match init {
        Some((init_name, middleware)) => {
            if context.sync_scripts_only && !middleware.is_script() {
                return Ok(None);
            }
            let init_path = path.join(init_name);
            let input = FileInput {
                context,
                vfs,
                path: &init_path,
                file_name: init_name,
                stem: "init",
                name: &name,
                siblings: Some(&entries),
            };
            let mut snapshot = match middleware {
                Middleware::Csv => super::csv::snapshot(&input)?,
                script => super::script::snapshot(&input, *script)?,
            }
            .ok_or_else(|| SnapshotError::file(&init_path, "the init file defines no instance"))?;
            snapshot.metadata.relevant_paths.push(path.to_path_buf());
            snapshot
        }
        None => {
            let mut snapshot = InstanceSnapshot::new("Folder", name, context.clone());
            snapshot.metadata.relevant_paths.push(path.to_path_buf());
            let exists = |p: &Path| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(&has_entry)
            };
            apply_meta_for(
                vfs,
                exists,
                &mut snapshot,
                path,
                "init",
                MetaKind::FolderInit,
            )?;
            snapshot
        }
    };
    snapshot.metadata.instigating_source = Some(InstigatingSource::Path(path.to_path_buf()));
    snapshot.metadata.fs_name = Some(dir_name);
    // A `.gitkeep` is part of the folder (it keeps an empty one in git):
    // syncback may remove it once the folder holds something.
    if has_entry(suffixes::GITKEEP) {
        snapshot
            .metadata
            .relevant_paths
            .push(path.join(suffixes::GITKEEP));
    }

    let children: Vec<&DirEntry> = entries
        .iter()
        .filter(|entry| !(entry.kind == EntryKind::File && is_init_file(&entry.path)))
        .filter(|entry| !context.is_ignored(&entry.path))
        .collect();
    let results: Vec<SnapshotResult> = children
        .par_iter()
        .map(|child| snapshot_entry(context, vfs, child, &entries))
        .collect();
    for result in results {
        if let Some(child) = result? {
            snapshot.children.push(child);
        }
    }
    order_same_named(&mut snapshot.children);
    infer_child_classes(&mut snapshot);
    Ok(Some(snapshot))
}

/// Puts same-named children in the order of their `~N` (none = 1), in the
/// places the group holds in file-name order: `Part~10` after `Part~2`,
/// `Part~2/` after `Part.model.json5`. Their order decides what
/// `FindFirstChild` returns.
fn order_same_named(children: &mut Vec<InstanceSnapshot>) {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, child) in children.iter().enumerate() {
        groups.entry(child.name.as_str()).or_default().push(i);
    }
    // order[position] = the child that goes there.
    let mut order: Vec<usize> = (0..children.len()).collect();
    let mut changed = false;
    for positions in groups.into_values().filter(|p| p.len() > 1) {
        let mut by_index = positions.clone();
        by_index.sort_by_key(|i| {
            let fs_name = children[*i].metadata.fs_name.as_deref().unwrap_or("");
            (dedup_index(fs_name), *i)
        });
        for (position, source) in positions.iter().zip(&by_index) {
            changed |= position != source;
            order[*position] = *source;
        }
    }
    if changed {
        let mut slots: Vec<Option<InstanceSnapshot>> =
            std::mem::take(children).into_iter().map(Some).collect();
        *children = order.iter().filter_map(|i| slots[*i].take()).collect();
    }
}

fn is_init_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    INIT_FILES.iter().any(|(init, _)| *init == name)
}
