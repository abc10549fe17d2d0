//! On-disk formats: how each kind of file or folder becomes instances.
//!
//! One module per format. [`snapshot_from_path`] is the dispatcher: folders go
//! to [`dir`], files are matched against the project's `syncRules` and then
//! the built-in rules ([`crate::project::default_rule_for`]), and the winning
//! middleware reads the file. A file no rule matches (`README.md`,
//! `.gitkeep`, meta files on their own) produces no instance.
//!
//! Every error names the file, and the field where there is one.

pub mod csv;
pub mod data_module;
pub mod dir;
pub mod json_model;
pub mod lua_literal;
pub mod meta;
pub mod names;
pub mod project;
pub mod rbxm;
pub mod script;
pub mod txt;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;

use crate::json::{Json5Error, JsonValue};
use crate::project::{default_rule_for, Middleware, ProjectError, SyncRule};
use crate::snapshot::{InstanceContext, InstanceMetadata, InstanceSnapshot, InstigatingSource};
use crate::vfs::{DirEntry, EntryKind, Vfs};
use crate::{reflection, value};

pub use project::{snapshot_project_file, snapshot_project_node};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error(transparent)]
    Project(#[from] ProjectError),

    #[error("{}: {source}", path.display())]
    Syntax { path: PathBuf, source: Json5Error },

    #[error("{}: {field}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },

    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },

    #[error("{}: {node}: $path `{}` does not exist{}", project.display(), target.display(), missing_path_hint(target))]
    MissingPath {
        project: PathBuf,
        node: String,
        target: PathBuf,
    },

    #[error("a project includes itself: {}", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    ProjectCycle { chain: Vec<PathBuf> },
}

/// What to do about a `$path` that does not exist, when it can be told: a
/// Wally packages folder is made by `wally install`.
fn missing_path_hint(target: &Path) -> &'static str {
    let packages = target.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("Packages" | "ServerPackages" | "DevPackages")
        )
    });
    if packages {
        " (Wally packages: run `wally install` to fetch them)"
    } else {
        ""
    }
}

impl SnapshotError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn file(path: &Path, message: impl Into<String>) -> Self {
        SnapshotError::File {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(
        path: &Path,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SnapshotError::Invalid {
            path: path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type SnapshotResult = Result<Option<InstanceSnapshot>, SnapshotError>;

/// A file that a rule matched, ready for its middleware.
pub struct FileInput<'a> {
    pub context: &'a Arc<InstanceContext>,
    pub vfs: &'a dyn Vfs,
    pub path: &'a Path,
    /// The file name, e.g. `Foo~2.server.luau`.
    pub file_name: &'a str,
    /// The file name without the rule's suffix (`Foo~2`): adjacent meta files
    /// are named after it.
    pub stem: &'a str,
    /// The instance name: `stem` without a `~N` dedup suffix.
    pub name: &'a str,
    /// The listing of the file's folder, when the file was found by listing
    /// it: meta files are looked up there instead of on disk.
    pub siblings: Option<&'a [DirEntry]>,
}

impl FileInput<'_> {
    /// True if `path`, a file beside this one, exists.
    pub fn sibling_exists(&self, path: &Path) -> bool {
        match self.siblings {
            Some(siblings) => siblings
                .binary_search_by(|entry| entry.path.file_name().cmp(&path.file_name()))
                .is_ok_and(|i| siblings[i].kind == EntryKind::File),
            None => self.vfs.exists(path),
        }
    }

    /// Applies the meta file beside this one (`<stem>.meta.json5`), if any.
    pub fn apply_adjacent_meta(
        &self,
        snapshot: &mut InstanceSnapshot,
    ) -> Result<(), SnapshotError> {
        let dir = self.path.parent().unwrap_or(self.path);
        meta::apply_meta_for(
            self.vfs,
            |p| self.sibling_exists(p),
            snapshot,
            dir,
            self.stem,
            meta::MetaKind::Fixed,
        )
    }

    pub fn read(&self) -> Result<Vec<u8>, SnapshotError> {
        self.vfs
            .read(self.path)
            .map_err(|e| SnapshotError::io(self.path, e))
    }

    pub fn read_text(&self) -> Result<String, SnapshotError> {
        read_utf8(self.path, self.read()?)
    }

    /// Metadata for the instance this file defines.
    pub fn metadata(&self) -> InstanceMetadata {
        let mut metadata = InstanceMetadata::new(self.context.clone());
        metadata.instigating_source = Some(InstigatingSource::Path(self.path.to_path_buf()));
        metadata.relevant_paths.push(self.path.to_path_buf());
        metadata.fs_name = Some(self.file_name.to_owned());
        metadata
    }

    pub fn new_snapshot(&self, class_name: &str) -> InstanceSnapshot {
        let mut snapshot = InstanceSnapshot::new(class_name, self.name, self.context.clone());
        snapshot.metadata = self.metadata();
        snapshot
    }
}

pub(crate) fn read_utf8(path: &Path, bytes: Vec<u8>) -> Result<String, SnapshotError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        SnapshotError::file(
            path,
            format!("the file is not valid UTF-8 (first bad byte at offset {offset})"),
        )
    })
}

/// Snapshots whatever is at `path`: a folder or a file. `Ok(None)` means the
/// path produces no instance (ignored, or no rule matches it).
pub fn snapshot_from_path(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    path: &Path,
) -> SnapshotResult {
    match vfs.kind(path).map_err(|e| SnapshotError::io(path, e))? {
        EntryKind::Dir => dir::snapshot_dir(context, vfs, path),
        EntryKind::File => snapshot_file(context, vfs, path, None),
    }
}

/// Snapshots one entry of a folder listing; `siblings` is that listing.
pub(crate) fn snapshot_entry(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    entry: &DirEntry,
    siblings: &[DirEntry],
) -> SnapshotResult {
    match entry.kind {
        EntryKind::Dir if entry.symlink => {
            // A link to a folder that contains it would be read forever.
            let target = vfs
                .canonicalize(&entry.path)
                .map_err(|e| SnapshotError::io(&entry.path, e))?;
            let parent = entry.path.parent().unwrap_or(&entry.path);
            let here = vfs
                .canonicalize(parent)
                .map_err(|e| SnapshotError::io(parent, e))?;
            if here.starts_with(&target) {
                return Err(SnapshotError::file(
                    &entry.path,
                    format!(
                        "this link points to {}, a folder that contains it",
                        target.display()
                    ),
                ));
            }
            dir::snapshot_dir(context, vfs, &entry.path)
        }
        EntryKind::Dir => dir::snapshot_dir(context, vfs, &entry.path),
        EntryKind::File => snapshot_file(context, vfs, &entry.path, Some(siblings)),
    }
}

fn snapshot_file(
    context: &Arc<InstanceContext>,
    vfs: &dyn Vfs,
    path: &Path,
    siblings: Option<&[DirEntry]>,
) -> SnapshotResult {
    let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
        log::warn!(
            "skipping {}: the file name is not valid UTF-8",
            path.display()
        );
        return Ok(None);
    };

    let Some((middleware, stem)) = file_rule(&context.sync_rules, path, file_name) else {
        return Ok(None);
    };

    if middleware == Middleware::Ignore {
        return Ok(None);
    }
    if context.sync_scripts_only && !middleware.is_script() && middleware != Middleware::Project {
        return Ok(None);
    }

    let input = FileInput {
        context,
        vfs,
        path,
        file_name,
        stem,
        name: names::strip_dedup_suffix(stem),
        siblings,
    };

    match middleware {
        Middleware::Project => project::snapshot_project_file(context, vfs, path, None).map(Some),
        Middleware::JsonModel => json_model::snapshot(&input),
        Middleware::Json | Middleware::Toml | Middleware::Yaml => {
            data_module::snapshot(&input, middleware)
        }
        Middleware::Text => txt::snapshot(&input),
        Middleware::Csv => csv::snapshot(&input),
        Middleware::Rbxm | Middleware::Rbxmx => rbxm::snapshot(&input, middleware),
        Middleware::Ignore => Ok(None),
        script => script::snapshot(&input, script),
    }
}

/// The rule that applies to the file at `path` (named `file_name`): the
/// project's `syncRules` first, then the built-in ones. Returns the
/// middleware and the file name without the rule's suffix.
pub fn file_rule<'a>(
    sync_rules: &[SyncRule],
    path: &Path,
    file_name: &'a str,
) -> Option<(Middleware, &'a str)> {
    match sync_rules.iter().find(|rule| rule.matches(path)) {
        Some(rule) => Some((rule.middleware, rule.name_for(file_name))),
        None => default_rule_for(file_name)
            .map(|(middleware, suffix)| (middleware, &file_name[..file_name.len() - suffix.len()])),
    }
}

/// Checks that a class named by a file exists.
pub(crate) fn check_class(path: &Path, field: &str, class_name: &str) -> Result<(), SnapshotError> {
    if reflection::class(class_name).is_none() {
        return Err(SnapshotError::invalid(
            path,
            field,
            format!("`{class_name}` is not a Roblox class Atlas knows"),
        ));
    }
    Ok(())
}

/// Resolves `properties` against the snapshot's class and sets them, then
/// replaces `Attributes` when `attributes` is not empty. `field` prefixes
/// the field names in errors (`properties`, `tree.Workspace.$properties`).
pub(crate) fn apply_properties(
    snapshot: &mut InstanceSnapshot,
    properties: &BTreeMap<String, JsonValue>,
    attributes: &BTreeMap<String, JsonValue>,
    path: &Path,
    properties_field: &str,
    attributes_field: &str,
) -> Result<(), SnapshotError> {
    for (name, raw) in properties {
        if name == "Name" || name == "Parent" || name == "ClassName" {
            log::warn!(
                "{}: {properties_field}.{name} is ignored; the {} comes from the file or node",
                path.display(),
                if name == "Parent" {
                    "parent"
                } else {
                    "name and class"
                }
            );
            continue;
        }
        let variant =
            value::resolve_property(&snapshot.class_name, name, raw).map_err(|message| {
                SnapshotError::invalid(path, format!("{properties_field}.{name}"), message)
            })?;
        snapshot.properties.insert(ustr(name), variant);
    }
    if !attributes.is_empty() {
        let resolved =
            value::resolve_attributes(attributes.iter()).map_err(|(name, message)| {
                SnapshotError::invalid(path, format!("{attributes_field}.{name}"), message)
            })?;
        snapshot
            .properties
            .insert(ustr("Attributes"), Variant::Attributes(resolved));
    }
    Ok(())
}

/// The class an instance gets from its name and its parent's class when
/// nothing else gives one: a service under a DataModel,
/// `StarterPlayerScripts`/`StarterCharacterScripts` under StarterPlayer,
/// `Terrain` under Workspace.
pub(crate) fn infer_class(name: &str, parent_class: &str) -> Option<&'static str> {
    let class = reflection::class(name)?;
    match parent_class {
        "DataModel" if reflection::is_service(name) => Some(class.name),
        "StarterPlayer" if name == "StarterPlayerScripts" || name == "StarterCharacterScripts" => {
            Some(class.name)
        }
        "Workspace" if name == "Terrain" => Some(class.name),
        _ => None,
    }
}

/// The class a folder named `name` may take from its position (see
/// [`infer_class`]), whatever its parent turns out to be.
pub(crate) fn class_named_after(name: &str) -> Option<&'static str> {
    let class = reflection::class(name)?;
    let special = matches!(
        name,
        "StarterPlayerScripts" | "StarterCharacterScripts" | "Terrain"
    );
    (special || reflection::is_service(name)).then_some(class.name)
}

/// Plain folders named like a service under a DataModel (and the like, see
/// [`infer_class`]) become that class, so `src/ReplicatedStorage/` needs no
/// meta file.
pub(crate) fn infer_child_classes(snapshot: &mut InstanceSnapshot) {
    let parent_class = snapshot.class_name;
    for child in &mut snapshot.children {
        if child.class_name == "Folder" {
            if let Some(class) = infer_class(&child.name, &parent_class) {
                child.class_name = class.into();
                infer_child_classes(child);
            }
        }
    }
}
