//! Rewriting project files, only where a node's data changed.
//!
//! A project node holds its instance's class, properties and attributes when
//! nothing else can (a node without `$path`, or whose `$path` is a folder).
//! The file is rewritten when those differ in value from what it says (not
//! in spelling: `1` and `1.0`, implicit and explicit forms are the same):
//! bare keys for `.project.json5`, quoted keys for Rojo's `.project.json`,
//! and otherwise the file's own look: key order and spelling,
//! indentation, numbers whose value did not change. Comments do not survive
//! a rewrite, so it is avoided whenever nothing changed.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rbx_dom_weak::WeakDom;

use super::emit::NodeData;
use super::layout::Layout;
use super::SyncbackError;
use crate::json::{self, JsonValue, Style};
use crate::project::{suffixes, ProjectNode};
use crate::value::{resolve_attribute, resolve_property};
use crate::vfs::Vfs;

pub(super) fn rewrites(
    vfs: &dyn Vfs,
    layout: &Layout,
    _dom: &WeakDom,
    nodes: Vec<(usize, NodeData)>,
) -> Result<Vec<(PathBuf, Vec<u8>)>, SyncbackError> {
    let mut by_file: HashMap<PathBuf, Vec<(usize, NodeData)>> = HashMap::new();
    for (index, data) in nodes {
        let info = &layout.nodes[index];
        if node_changed(&info.node, &data) {
            by_file
                .entry(info.project_file.clone())
                .or_default()
                .push((index, data));
        }
    }

    let mut out = Vec::new();
    for (file, updates) in by_file {
        let bytes = vfs.read(&file).map_err(|source| SyncbackError::Io {
            path: file.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let mut document = json::parse(&text).map_err(|source| {
            SyncbackError::Snapshot(crate::formats::SnapshotError::Syntax {
                path: file.clone(),
                source,
            })
        })?;
        for (index, data) in updates {
            let keys = &layout.nodes[index].keys;
            if let Some(node) = find_node(&mut document, keys) {
                update_node(node, &data);
            }
        }
        let style = if file.to_string_lossy().ends_with(suffixes::PROJECT[1]) {
            Style::Json
        } else {
            Style::Json5
        };
        let format = json::Format::detect(&text, style);
        out.push((
            file,
            json::to_string_formatted(&document, &format).into_bytes(),
        ));
    }
    Ok(out)
}

/// True if `data` differs in value from what `node` says.
fn node_changed(node: &ProjectNode, data: &NodeData) -> bool {
    if let Some(class_name) = &data.class_name {
        if node.class_name.as_deref() != Some(class_name.as_str()) {
            return true;
        }
    }
    let same_properties = same_values(&node.properties, &data.properties, |key, value| {
        resolve_property(&data.class, key, value)
            .map(|v| format!("{v:?}"))
            .ok()
    });
    let same_attributes = same_values(&node.attributes, &data.attributes, |_, value| {
        resolve_attribute(value).map(|v| format!("{v:?}")).ok()
    });
    !(same_properties && same_attributes)
}

fn same_values(
    old: &BTreeMap<String, JsonValue>,
    new: &BTreeMap<String, JsonValue>,
    resolve: impl Fn(&str, &JsonValue) -> Option<String>,
) -> bool {
    // Keys the reader ignores (`Name`, `Parent`) are not data.
    let old_keys: Vec<&String> = old
        .keys()
        .filter(|k| !matches!(k.as_str(), "Name" | "Parent" | "ClassName"))
        .collect();
    old_keys.len() == new.len()
        && old_keys.iter().all(|key| {
            let (Some(a), Some(b)) = (old.get(*key), new.get(*key)) else {
                return false;
            };
            let (ra, rb) = (resolve(key, a), resolve(key, b));
            ra.is_some() && ra == rb
        })
}

/// The object of the node at `keys` under the document's `tree`.
fn find_node<'a>(
    document: &'a mut JsonValue,
    keys: &[String],
) -> Option<&'a mut Vec<(String, JsonValue)>> {
    let mut current = object_entry(document, "tree")?;
    for key in keys {
        current = object_entry(current, key)?;
    }
    match current {
        JsonValue::Object(entries) => Some(entries),
        _ => None,
    }
}

fn object_entry<'a>(value: &'a mut JsonValue, key: &str) -> Option<&'a mut JsonValue> {
    match value {
        JsonValue::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn update_node(node: &mut Vec<(String, JsonValue)>, data: &NodeData) {
    if let Some(class_name) = &data.class_name {
        set(
            node,
            "$className",
            Some(JsonValue::String(class_name.clone())),
        );
    }
    let map = |m: &BTreeMap<String, JsonValue>| {
        (!m.is_empty())
            .then(|| JsonValue::Object(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
    };
    set(node, "$properties", map(&data.properties));
    set(node, "$attributes", map(&data.attributes));
}

fn set(node: &mut Vec<(String, JsonValue)>, key: &str, value: Option<JsonValue>) {
    let position = node.iter().position(|(k, _)| k == key);
    match (position, value) {
        // Values that did not change keep their spelling and order.
        (Some(i), Some(value)) => node[i].1 = json::merge_document(&node[i].1, &value, &|_| false),
        (None, Some(value)) => node.push((key.to_owned(), value)),
        (Some(i), None) => {
            node.remove(i);
        }
        (None, None) => {}
    }
}
