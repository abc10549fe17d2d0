//! Meta files: extra data for an instance another file defines.
//!
//! `Foo.meta.json5` sits beside `Foo.luau` (or `Foo.server.luau`, `Foo.txt`,
//! `Foo.csv`, ...); `init.meta.json5` sits in a folder and describes the
//! folder's instance, and only there may it set `className`. The `.json`
//! spelling is read when no `.json5` file exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{apply_properties, check_class, SnapshotError};
use crate::json::{self, JsonValue};
use crate::project::suffixes;
use crate::snapshot::InstanceSnapshot;
use crate::vfs::Vfs;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetaFile {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub id: Option<String>,
    pub ignore_unknown_instances: Option<bool>,
    #[serde(default)]
    pub properties: BTreeMap<String, JsonValue>,
    #[serde(default)]
    pub attributes: BTreeMap<String, JsonValue>,
    pub name: Option<String>,
    pub class_name: Option<String>,
}

/// What a meta file written for an instance holds (the writing side of
/// [`MetaFile`]).
#[derive(Debug, Default)]
pub struct MetaData<'a> {
    /// Only in a folder's `init.meta` file (see [`MetaKind::FolderInit`]).
    pub class_name: Option<&'a str>,
    /// When the file name does not give the instance's name back.
    pub name: Option<&'a str>,
    pub properties: BTreeMap<String, JsonValue>,
    pub attributes: BTreeMap<String, JsonValue>,
}

/// The document of a meta file, or `None` when it would say nothing.
pub fn document(data: MetaData) -> Option<JsonValue> {
    let mut fields: Vec<(String, JsonValue)> = Vec::new();
    if let Some(class_name) = data.class_name {
        fields.push((
            "className".to_owned(),
            JsonValue::String(class_name.to_owned()),
        ));
    }
    if let Some(name) = data.name {
        fields.push(("name".to_owned(), JsonValue::String(name.to_owned())));
    }
    push_map(&mut fields, "properties", data.properties);
    push_map(&mut fields, "attributes", data.attributes);
    (!fields.is_empty()).then_some(JsonValue::Object(fields))
}

/// Keys of a meta file that describe no instance data: a rewrite of an
/// existing file keeps them as they are.
pub fn is_setting_key(key: &str) -> bool {
    matches!(key, "$schema" | "id" | "ignoreUnknownInstances")
}

/// Adds `key: {map}` to an object's fields unless the map is empty.
pub(crate) fn push_map(
    fields: &mut Vec<(String, JsonValue)>,
    key: &str,
    map: BTreeMap<String, JsonValue>,
) {
    if !map.is_empty() {
        fields.push((key.to_owned(), JsonValue::Object(map.into_iter().collect())));
    }
}

/// How a meta file relates to the instance it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    /// `init.meta.json5` of a folder that is otherwise a `Folder`: may set
    /// `className`.
    FolderInit,
    /// Beside a file, or `init.meta.json5` of a folder with an init script or
    /// `init.csv`: the class comes from that file.
    Fixed,
}

/// The two paths a meta file for `stem` in `dir` may have, preferred first.
pub fn meta_paths(dir: &Path, stem: &str) -> [PathBuf; 2] {
    [
        dir.join(format!("{stem}{}", suffixes::META[0])),
        dir.join(format!("{stem}{}", suffixes::META[1])),
    ]
}

/// Finds, reads and applies the meta file for `stem` in `dir`, if any. Both
/// candidate paths are recorded as relevant to the instance.
pub fn apply_meta_for(
    vfs: &dyn Vfs,
    exists: impl Fn(&Path) -> bool,
    snapshot: &mut InstanceSnapshot,
    dir: &Path,
    stem: &str,
    kind: MetaKind,
) -> Result<(), SnapshotError> {
    let candidates = meta_paths(dir, stem);
    let found = candidates.iter().find(|p| exists(p)).cloned();
    snapshot.metadata.relevant_paths.extend(candidates);
    if let Some(path) = found {
        let meta = read_meta(vfs, &path)?;
        apply_meta(&meta, snapshot, &path, kind)?;
    }
    Ok(())
}

pub fn read_meta(vfs: &dyn Vfs, path: &Path) -> Result<MetaFile, SnapshotError> {
    let bytes = vfs.read(path).map_err(|e| SnapshotError::io(path, e))?;
    let text = super::read_utf8(path, bytes)?;
    if text.trim().is_empty() {
        return Ok(MetaFile::default());
    }
    json::from_str(&text).map_err(|source| SnapshotError::Syntax {
        path: path.to_path_buf(),
        source,
    })
}

/// Applies a meta file: `ignoreUnknownInstances`, `className`, `properties`,
/// `attributes`, `name` and `id`, in that order.
pub fn apply_meta(
    meta: &MetaFile,
    snapshot: &mut InstanceSnapshot,
    path: &Path,
    kind: MetaKind,
) -> Result<(), SnapshotError> {
    if let Some(ignore) = meta.ignore_unknown_instances {
        snapshot.metadata.ignore_unknown_instances = ignore;
    }
    if let Some(class_name) = &meta.class_name {
        if kind != MetaKind::FolderInit {
            return Err(SnapshotError::invalid(
                path,
                "className",
                format!(
                    "only the init.meta file of a plain folder may set className; this instance is a {} defined by another file",
                    snapshot.class_name
                ),
            ));
        }
        check_class(path, "className", class_name)?;
        snapshot.class_name = class_name.as_str().into();
    }
    // A plain folder named like a service (`src/Lighting/`) becomes that
    // service once its parent is known; its properties are that class's.
    let inferable = (kind == MetaKind::FolderInit && meta.class_name.is_none())
        .then(|| super::class_named_after(meta.name.as_deref().unwrap_or(&snapshot.name)))
        .flatten();
    let class_name = snapshot.class_name;
    if let Some(inferable) = inferable {
        snapshot.class_name = inferable.into();
    }
    apply_properties(
        snapshot,
        &meta.properties,
        &meta.attributes,
        path,
        "properties",
        "attributes",
    )?;
    snapshot.class_name = class_name;
    if let Some(name) = &meta.name {
        if snapshot.metadata.specified_name {
            return Err(SnapshotError::invalid(
                path,
                "name",
                "the instance's name is already set by another file",
            ));
        }
        snapshot.name = name.clone();
        snapshot.metadata.specified_name = true;
    }
    if let Some(id) = &meta.id {
        snapshot.metadata.specified_id = Some(id.clone());
    }
    Ok(())
}
