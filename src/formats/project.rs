//! Project files as instances: the root project, and projects nested through
//! `$path` or found inside folders.
//!
//! A node's class is, in order: its `$className`; the class of what its
//! `$path` produces; or a class inferred from its position (a service under
//! a DataModel, `StarterPlayerScripts`/`StarterCharacterScripts` under
//! StarterPlayer, `Terrain` under Workspace). `$className` may be combined
//! with a `$path` only when the path produces a plain `Folder`. The node's
//! `$properties` and `$attributes` are applied over what `$path` produced,
//! and its children come after the path's children.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rbx_dom_weak::types::Ref;

use super::{
    apply_properties, check_class, infer_child_classes, infer_class, snapshot_from_path,
    SnapshotError,
};
use crate::project::{Project, ProjectNode};
use crate::snapshot::{InstanceContext, InstanceSnapshot, InstigatingSource, ProjectLink};
use crate::vfs::Vfs;

/// Reads the project file at `path` and snapshots its tree, entered from
/// `context` (pass `InstanceContext::default()` for the root project). The
/// root instance is named `name`, or the project's name when `None`.
pub fn snapshot_project_file(
    context: &InstanceContext,
    vfs: &dyn Vfs,
    path: &Path,
    name: Option<&str>,
) -> Result<InstanceSnapshot, SnapshotError> {
    let canonical = vfs
        .canonicalize(path)
        .map_err(|e| SnapshotError::io(path, e))?;
    let link = ProjectLink {
        path: path.to_path_buf(),
        canonical,
    };
    if context
        .project_chain
        .iter()
        .any(|l| l.canonical == link.canonical)
    {
        let mut chain: Vec<PathBuf> = context
            .project_chain
            .iter()
            .map(|l| l.path.clone())
            .collect();
        chain.push(link.path);
        return Err(SnapshotError::ProjectCycle { chain });
    }
    let bytes = vfs.read(path).map_err(|e| SnapshotError::io(path, e))?;
    let project = Project::from_bytes(path, &bytes)?;
    let is_root = context.project_chain.is_empty();
    let inner = Arc::new(context.enter_project(&project, link, is_root));
    let name = name.unwrap_or(&project.name);
    let snapshot = snapshot_node(&inner, vfs, &project, name, &project.tree, None, "")?;
    snapshot.ok_or_else(|| {
        SnapshotError::invalid(
            path,
            "tree",
            "the root node produces no instance (its optional $path does not exist)",
        )
    })
}

/// Snapshots one node of the project file at `project_file` again (the dev
/// server does, when a file under the node's `$path` changed). `node_names`
/// are the node keys from the project's root node down to the node;
/// `context` is the context inside the project (the node instance's);
/// `parent_class` the class of the instance above the node. `Ok(None)`: the
/// node is gone, or its optional `$path` does not exist.
pub fn snapshot_project_node(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    project_file: &Path,
    node_names: &[String],
    parent_class: Option<&str>,
) -> Result<Option<InstanceSnapshot>, SnapshotError> {
    let bytes = vfs
        .read(project_file)
        .map_err(|e| SnapshotError::io(project_file, e))?;
    let project = Project::from_bytes(project_file, &bytes)?;
    let mut node = &project.tree;
    for name in node_names {
        match node.children.get(name) {
            Some(child) => node = child,
            None => return Ok(None),
        }
    }
    let name = match node_names.last() {
        Some(name) => name.as_str(),
        None => project.name.as_str(),
    };
    let node_path = node_names.join(".");
    snapshot_node(context, vfs, &project, name, node, parent_class, &node_path)
}

fn snapshot_node(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    project: &Project,
    name: &str,
    node: &ProjectNode,
    parent_class: Option<&str>,
    node_path: &str,
) -> Result<Option<InstanceSnapshot>, SnapshotError> {
    let field = |key: &str| {
        if node_path.is_empty() {
            format!("tree.{key}")
        } else {
            format!("tree.{node_path}.{key}")
        }
    };
    let project_file = project.file_location.as_path();

    let mut from_path = None;
    if let Some(path_node) = &node.path {
        let target = project.folder.join(path_node.path());
        let exists = vfs.exists(&target);
        if !exists && node.class_name.is_some() {
            // As Rojo does: the node's class alone still makes an (empty)
            // instance, whether the path is optional or not.
            if !path_node.is_optional() {
                log::warn!(
                    "{}: {}: `{}` does not exist; building an empty {}",
                    project_file.display(),
                    field("$path"),
                    path_node.path().display(),
                    node.class_name.as_deref().unwrap_or_default()
                );
            }
        } else if !exists {
            if path_node.is_optional() {
                return Ok(None);
            }
            return Err(SnapshotError::MissingPath {
                project: project_file.to_path_buf(),
                node: display_node(node_path),
                target,
            });
        } else {
            from_path = snapshot_from_path(context, vfs, &target)?;
            if from_path.is_none() {
                if path_node.is_optional() {
                    return Ok(None);
                }
                return Err(SnapshotError::invalid(
                    project_file,
                    field("$path"),
                    format!(
                        "`{}` produces no instance (it is ignored, or no sync rule matches it)",
                        path_node.path().display()
                    ),
                ));
            }
        }
    }

    if let Some(snapshot) = &from_path {
        let named_by_file = matches!(
            snapshot.metadata.instigating_source,
            Some(InstigatingSource::Path(_))
        );
        if named_by_file && snapshot.metadata.specified_name && snapshot.name != name {
            return Err(SnapshotError::invalid(
                project_file,
                field("$path"),
                format!(
                    "`{}` sets the name `{}`, but the node's key names this instance `{name}`; remove one of them",
                    path_display(node),
                    snapshot.name
                ),
            ));
        }
    }

    let inferred = parent_class.and_then(|parent| infer_class(name, parent));
    let class_name: String = match (&node.class_name, &from_path) {
        (Some(class_name), Some(snapshot)) => {
            if snapshot.class_name != "Folder" && snapshot.class_name != class_name.as_str() {
                return Err(SnapshotError::invalid(
                    project_file,
                    field("$className"),
                    format!(
                        "`{class_name}` conflicts with $path, which produces a {}; $className can only turn a plain folder into another class",
                        snapshot.class_name
                    ),
                ));
            }
            class_name.clone()
        }
        (Some(class_name), None) => class_name.clone(),
        (None, Some(snapshot)) => match inferred {
            Some(inferred) if snapshot.class_name == "Folder" => inferred.to_owned(),
            _ => snapshot.class_name.to_string(),
        },
        (None, None) => {
            match inferred {
                Some(inferred) => inferred.to_owned(),
                None => return Err(SnapshotError::invalid(
                    project_file,
                    field("$className"),
                    "the node has neither $className nor $path, and its class cannot be inferred",
                )),
            }
        }
    };
    if node.class_name.is_some() {
        check_class(project_file, &field("$className"), &class_name)?;
    }

    let mut snapshot = from_path
        .unwrap_or_else(|| InstanceSnapshot::new(class_name.as_str(), name, context.clone()));
    snapshot.class_name = class_name.as_str().into();
    snapshot.name = name.to_owned();
    apply_properties(
        &mut snapshot,
        &node.properties,
        &node.attributes,
        project_file,
        &field("$properties"),
        &field("$attributes"),
    )?;

    let metadata = &mut snapshot.metadata;
    if let Some(ignore) = node.ignore_unknown_instances {
        metadata.ignore_unknown_instances = ignore;
    } else if node.path.is_none() {
        metadata.ignore_unknown_instances = true;
    }
    if let Some(id) = &node.id {
        metadata.specified_id = Some(id.clone());
    }
    metadata.instigating_source = Some(InstigatingSource::ProjectNode {
        project: project_file.to_path_buf(),
        node_path: node_path.to_owned(),
    });
    metadata.relevant_paths.push(project_file.to_path_buf());
    if let Some(path_node) = &node.path {
        metadata
            .relevant_paths
            .push(project.folder.join(path_node.path()));
    }
    metadata.fs_name = Some(name.to_owned());
    metadata.specified_name = true;
    // A snapshot that came from a model file keeps its referent only for
    // the instances inside; the node itself is new.
    if node.path.is_none() {
        snapshot.snapshot_id = Ref::none();
    }

    infer_child_classes(&mut snapshot);

    let children: Vec<(&String, &ProjectNode)> = node.children.iter().collect();
    let results: Vec<Result<Option<InstanceSnapshot>, SnapshotError>> = children
        .par_iter()
        .map(|(child_name, child_node)| {
            let child_path = if node_path.is_empty() {
                (*child_name).clone()
            } else {
                format!("{node_path}.{child_name}")
            };
            snapshot_node(
                context,
                vfs,
                project,
                child_name,
                child_node,
                Some(&class_name),
                &child_path,
            )
        })
        .collect();
    for result in results {
        if let Some(child) = result? {
            snapshot.children.push(child);
        }
    }
    Ok(Some(snapshot))
}

fn path_display(node: &ProjectNode) -> String {
    node.path
        .as_ref()
        .map(|p| p.path().display().to_string())
        .unwrap_or_default()
}

fn display_node(node_path: &str) -> String {
    if node_path.is_empty() {
        "tree".to_owned()
    } else {
        format!("tree.{node_path}")
    }
}
