//! The sourcemap luau-lsp reads: the tree from the root down, each
//! instance with its name, class, the files it was read from and its
//! children, as JSON (the shape `rojo sourcemap` writes).
//!
//! `filePaths` lists the files (not folders) that produced the instance, in
//! the order the instance took them in (its own file or init file, its
//! meta file, then the project files naming it, innermost first), relative
//! to a base folder unless absolute paths are asked for. Empty lists and
//! empty `children` are left out. With scripts only (the default), an
//! instance is listed when it is a script or holds one; a tree without
//! scripts is `null`.

use std::path::{Path, PathBuf};

use rbx_dom_weak::types::Ref;
use serde::Serialize;

use crate::project::{suffixes, Project};
use crate::snapshot::InstanceTree;
use crate::vfs::{EntryKind, Vfs};

#[derive(Debug, Clone, Default)]
pub struct SourcemapOptions {
    /// Every instance, not only scripts and what holds them.
    pub include_non_scripts: bool,
    /// `filePaths` absolute; otherwise relative to `base`.
    pub absolute: bool,
    /// The folder relative paths start from (the current folder).
    pub base: PathBuf,
}

/// One instance of the sourcemap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourcemapNode {
    pub name: String,
    pub class_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<SourcemapNode>,
}

const SCRIPT_CLASSES: [&str; 3] = ["Script", "LocalScript", "ModuleScript"];

/// The sourcemap of `tree` (`None`: scripts only, and there are none).
pub fn sourcemap(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    options: &SourcemapOptions,
) -> Option<SourcemapNode> {
    node(tree, vfs, options, tree.dom().root_ref())
}

fn node(
    tree: &InstanceTree,
    vfs: &dyn Vfs,
    options: &SourcemapOptions,
    referent: Ref,
) -> Option<SourcemapNode> {
    let instance = tree.dom().get_by_ref(referent)?;
    let children: Vec<SourcemapNode> = instance
        .children()
        .iter()
        .filter_map(|child| node(tree, vfs, options, *child))
        .collect();
    let is_script = SCRIPT_CLASSES.contains(&instance.class.as_str());
    if !options.include_non_scripts && !is_script && children.is_empty() {
        return None;
    }
    let file_paths = files_of(tree, vfs, referent)
        .iter()
        .map(|p| shown(p, options))
        .collect();
    Some(SourcemapNode {
        name: instance.name.clone(),
        class_name: instance.class.to_string(),
        file_paths,
        children,
    })
}

/// The files that produced the instance, each once, in the order its
/// metadata lists them: folders and `.gitkeep` left out, and a project
/// file only on the root node of that project (the instance whose parent
/// it does not describe too).
fn files_of(tree: &InstanceTree, vfs: &dyn Vfs, referent: Ref) -> Vec<PathBuf> {
    let Some(metadata) = tree.metadata(referent) else {
        return Vec::new();
    };
    let parent_paths = tree
        .dom()
        .get_by_ref(referent)
        .and_then(|i| tree.metadata(i.parent()))
        .map(|m| m.relevant_paths.as_slice())
        .unwrap_or_default();
    let mut files: Vec<PathBuf> = Vec::new();
    for path in &metadata.relevant_paths {
        let is_gitkeep = path.file_name().is_some_and(|n| n == suffixes::GITKEEP);
        let describes_parent_too = Project::is_project_file(path) && parent_paths.contains(path);
        if is_gitkeep
            || describes_parent_too
            || files.contains(path)
            || !vfs.kind(path).is_ok_and(|k| k == EntryKind::File)
        {
            continue;
        }
        files.push(path.clone());
    }
    files
}

/// A path as the sourcemap shows it: relative to the base (or absolute),
/// with `/` separators.
fn shown(path: &Path, options: &SourcemapOptions) -> String {
    if options.absolute {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        return path.to_string_lossy().replace('\\', "/");
    }
    relative(path, &options.base)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` relative to `base` (both made absolute first), with `..` where
/// it is outside.
fn relative(path: &Path, base: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    let path: Vec<_> = clean(&path);
    let base: Vec<_> = clean(&base);
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for part in &path[common..] {
        out.push(part);
    }
    out
}

/// The components of an absolute path with `.` dropped and `..` applied.
fn clean(path: &Path) -> Vec<std::ffi::OsString> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop();
            }
            other => parts.push(other.as_os_str().to_owned()),
        }
    }
    parts
}

/// The sourcemap as the JSON luau-lsp reads (`null` for none).
pub fn to_json(map: Option<&SourcemapNode>) -> Vec<u8> {
    serde_json::to_vec(&map).unwrap_or_else(|_| b"null".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/c.lua"), Path::new("/a")),
            PathBuf::from("b/c.lua")
        );
        assert_eq!(
            relative(Path::new("/a/./b/../c.lua"), Path::new("/a/x")),
            PathBuf::from("../c.lua")
        );
    }
}
