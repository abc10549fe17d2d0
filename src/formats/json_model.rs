//! `.model.json5` / `.model.json` files: an instance and its children as JSON5.
//!
//! ```json5
//! { className: "Model", properties: {...}, attributes: {...}, children: [
//!     { name: "Part", className: "Part", properties: { Size: [4, 1, 2] } },
//! ] }
//! ```
//! A top-level `name` overrides the file name (syncback writes one when the
//! real name cannot be a file name). Rojo's PascalCase keys (`ClassName`,
//! `Children`, `Properties`, `Name`) are read too; like Rojo, a top-level
//! `Name` is ignored. An empty file defines no instance.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::meta::push_map;
use super::{apply_properties, check_class, FileInput, SnapshotError, SnapshotResult};
use crate::json::{self, JsonValue};
use crate::snapshot::InstanceSnapshot;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonModel {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "Name")]
    pub legacy_name: Option<String>,
    #[serde(rename = "className", alias = "ClassName")]
    pub class_name: String,
    pub id: Option<String>,
    #[serde(default, alias = "Children")]
    pub children: Vec<JsonModel>,
    #[serde(default, alias = "Properties")]
    pub properties: BTreeMap<String, JsonValue>,
    #[serde(default, alias = "Attributes")]
    pub attributes: BTreeMap<String, JsonValue>,
}

/// What a model file written for an instance holds (the writing side of
/// [`JsonModel`]).
pub struct ModelData<'a> {
    pub class_name: &'a str,
    /// Always for children; at the top only when the file name does not
    /// give the instance's name back.
    pub name: Option<&'a str>,
    pub properties: BTreeMap<String, JsonValue>,
    pub attributes: BTreeMap<String, JsonValue>,
    /// Documents of the children, in order (empty when they are elsewhere).
    pub children: Vec<JsonValue>,
}

/// The document of a model file (or of one element of its `children`).
pub fn document(data: ModelData) -> JsonValue {
    let mut fields: Vec<(String, JsonValue)> = vec![(
        "className".to_owned(),
        JsonValue::String(data.class_name.to_owned()),
    )];
    if let Some(name) = data.name {
        fields.push(("name".to_owned(), JsonValue::String(name.to_owned())));
    }
    push_map(&mut fields, "properties", data.properties);
    push_map(&mut fields, "attributes", data.attributes);
    if !data.children.is_empty() {
        fields.push(("children".to_owned(), JsonValue::Array(data.children)));
    }
    JsonValue::Object(fields)
}

/// Keys of a model file that describe no instance data (Rojo's top-level
/// `Name` is ignored on reading): a rewrite keeps them as they are.
pub fn is_setting_key(key: &str) -> bool {
    matches!(key, "$schema" | "id" | "Name")
}

pub fn snapshot(input: &FileInput) -> SnapshotResult {
    let text = input.read_text()?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let model: JsonModel = json::from_str(&text).map_err(|source| SnapshotError::Syntax {
        path: input.path.to_path_buf(),
        source,
    })?;

    if let Some(legacy) = &model.legacy_name {
        if model.name.is_none() && legacy != input.name {
            log::warn!(
                "{}: the top-level `Name` is ignored (the file name gives the name); use `name` to override it",
                input.path.display()
            );
        }
    }

    let mut snapshot = input.new_snapshot(&model.class_name);
    fill(&mut snapshot, &model, input, "")?;
    if let Some(name) = &model.name {
        snapshot.name = name.clone();
        snapshot.metadata.specified_name = true;
    }
    Ok(Some(snapshot))
}

/// Sets class, properties, id and children from `model`; `field` is the
/// path to `model` inside the file (`children[2].`), for errors.
fn fill(
    snapshot: &mut InstanceSnapshot,
    model: &JsonModel,
    input: &FileInput,
    field: &str,
) -> Result<(), SnapshotError> {
    check_class(input.path, &format!("{field}className"), &model.class_name)?;
    apply_properties(
        snapshot,
        &model.properties,
        &model.attributes,
        input.path,
        &format!("{field}properties"),
        &format!("{field}attributes"),
    )?;
    snapshot.metadata.specified_id = model.id.clone();

    for (i, child_model) in model.children.iter().enumerate() {
        let name = child_model
            .name
            .as_ref()
            .or(child_model.legacy_name.as_ref())
            .unwrap_or(&child_model.class_name);
        let mut child = InstanceSnapshot::new(
            child_model.class_name.as_str(),
            name.as_str(),
            input.context.clone(),
        );
        child.metadata.specified_name =
            child_model.name.is_some() || child_model.legacy_name.is_some();
        fill(
            &mut child,
            child_model,
            input,
            &format!("{field}children[{i}]."),
        )?;
        snapshot.children.push(child);
    }
    Ok(())
}
