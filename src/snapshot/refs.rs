//! Ref properties written as attributes, resolved once the tree exists.
//!
//! Files cannot hold referents, so a Ref property `P` is stored as the
//! attribute `Rojo_Ref_P` holding a path to the target, made of the file and
//! folder names on disk:
//!
//! | path | starts from |
//! |---|---|
//! | `@game`, `@game/a/b` | the root of the tree |
//! | `@self`, `@self/a` | the instance holding the attribute |
//! | `./a` | the instance's parent (so `a` is a sibling) |
//! | `../a` | the parent's parent; each further `..` goes one level up |
//! | `a/b` | the root (older files) |
//!
//! A segment matches a child whose file name (`Part~2.model.json5`) or, failing
//! that, instance name is equal to it, exact case first, then ignoring ASCII
//! case. The older `Rojo_Target_P` attribute names an id given by a meta
//! `id`, a model `id`, a project `$id` or a `Rojo_Id` attribute.
//!
//! All these attributes are removed from the built instances. A path or id
//! that matches nothing leaves the property empty and produces a warning.

use std::collections::HashMap;
use std::fmt;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, WeakDom};
use rbx_reflection::DataType;

use super::InstanceTree;

pub const REF_PREFIX: &str = "Rojo_Ref_";
pub const TARGET_PREFIX: &str = "Rojo_Target_";
pub const ID_ATTRIBUTE: &str = "Rojo_Id";

/// A reference that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefWarning {
    /// Instance names from the root, joined by `/`.
    pub instance: String,
    pub attribute: String,
    pub message: String,
}

impl fmt::Display for RefWarning {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}: attribute {}: {}",
            self.instance, self.attribute, self.message
        )
    }
}

/// Turns every `Rojo_Ref_*` / `Rojo_Target_*` attribute into a Ref property,
/// strips those attributes and `Rojo_Id`, and clears Ref properties whose
/// target is not in the tree. Returns what could not be resolved.
pub fn resolve_refs(tree: &mut InstanceTree) -> Vec<RefWarning> {
    let mut ids: Option<HashMap<String, Ref>> = None;
    let mut warnings = Vec::new();
    let mut edits: Vec<(Ref, Vec<(String, Ref)>)> = Vec::new();

    let dom = tree.dom();
    for instance in dom.descendants() {
        let source = instance.referent();
        let Some(Variant::Attributes(attributes)) = instance.properties.get(&ustr("Attributes"))
        else {
            continue;
        };
        let mut resolved: Vec<(String, Ref)> = Vec::new();
        let mut has_special = false;
        for (key, value) in attributes.iter() {
            let (property, target) = if let Some(property) = key.strip_prefix(REF_PREFIX) {
                has_special = true;
                let Some(path) = attribute_text(value) else {
                    warnings.push(warning(
                        dom,
                        source,
                        key,
                        "the attribute must be a string path".to_owned(),
                    ));
                    continue;
                };
                match resolve_path(tree, source, &path) {
                    Some(target) => (property, target),
                    None => {
                        warnings.push(warning(
                            dom,
                            source,
                            key,
                            format!("path `{path}` matches no instance; {property} is left empty"),
                        ));
                        continue;
                    }
                }
            } else if let Some(property) = key.strip_prefix(TARGET_PREFIX) {
                has_special = true;
                // A path attribute for the same property wins.
                if attributes
                    .get(format!("{REF_PREFIX}{property}").as_str())
                    .is_some()
                {
                    continue;
                }
                let Some(id) = attribute_text(value) else {
                    warnings.push(warning(
                        dom,
                        source,
                        key,
                        "the attribute must be a string id".to_owned(),
                    ));
                    continue;
                };
                let ids = ids.get_or_insert_with(|| collect_ids(tree));
                match ids.get(id.as_str()) {
                    Some(target) => (property, *target),
                    None => {
                        warnings.push(warning(
                            dom,
                            source,
                            key,
                            format!("no instance has the id `{id}`; {property} is left empty"),
                        ));
                        continue;
                    }
                }
            } else {
                has_special |= key == ID_ATTRIBUTE;
                continue;
            };
            if let Some(problem) = not_a_ref_property(&instance.class, property) {
                warnings.push(warning(dom, source, key, problem));
                continue;
            }
            resolved.push((property.to_owned(), target));
        }
        if has_special {
            edits.push((source, resolved));
        }
    }

    let dom = tree.dom_mut();
    for (source, resolved) in edits {
        let Some(instance) = dom.get_by_ref_mut(source) else {
            continue;
        };
        if let Some(Variant::Attributes(attributes)) =
            instance.properties.get_mut(&ustr("Attributes"))
        {
            let special: Vec<String> = attributes
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| {
                    k.starts_with(REF_PREFIX) || k.starts_with(TARGET_PREFIX) || k == ID_ATTRIBUTE
                })
                .collect();
            for key in special {
                attributes.remove(key.as_str());
            }
            if attributes.is_empty() {
                instance.properties.remove(&ustr("Attributes"));
            }
        }
        for (property, target) in resolved {
            instance
                .properties
                .insert(ustr(&property), Variant::Ref(target));
        }
    }

    if tree.has_model_file_instances() {
        clear_dangling_refs(tree.dom_mut());
    }
    warnings
}

/// Finds the instance a `Rojo_Ref_*` path names, seen from `source`.
pub fn resolve_path(tree: &InstanceTree, source: Ref, path: &str) -> Option<Ref> {
    let dom = tree.dom();
    let parent_of = |r: Ref| {
        dom.get_by_ref(r)
            .map(|i| i.parent())
            .filter(|p| p.is_some())
    };

    let (start, rest) = if path == "@game" {
        (dom.root_ref(), "")
    } else if let Some(rest) = path.strip_prefix("@game/") {
        (dom.root_ref(), rest)
    } else if path == "@self" {
        (source, "")
    } else if let Some(rest) = path.strip_prefix("@self/") {
        (source, rest)
    } else if path.starts_with("./") || path.starts_with("../") || path == "." || path == ".." {
        (parent_of(source)?, path)
    } else {
        (dom.root_ref(), path)
    };

    let mut current = start;
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => current = parent_of(current)?,
            name => current = find_child(tree, current, name)?,
        }
    }
    Some(current)
}

fn find_child(tree: &InstanceTree, parent: Ref, segment: &str) -> Option<Ref> {
    let children = tree.dom().get_by_ref(parent)?.children();
    let fs_name = |r: &Ref| tree.metadata(*r).and_then(|m| m.fs_name.as_deref());
    let name = |r: &Ref| tree.dom().get_by_ref(*r).map(|i| i.name.as_str());

    children
        .iter()
        .find(|r| fs_name(r) == Some(segment))
        .or_else(|| {
            children
                .iter()
                .find(|r| fs_name(r).is_some_and(|n| n.eq_ignore_ascii_case(segment)))
        })
        .or_else(|| children.iter().find(|r| name(r) == Some(segment)))
        .or_else(|| {
            children
                .iter()
                .find(|r| name(r).is_some_and(|n| n.eq_ignore_ascii_case(segment)))
        })
        .copied()
}

fn collect_ids(tree: &InstanceTree) -> HashMap<String, Ref> {
    let mut ids = HashMap::new();
    for instance in tree.dom().descendants() {
        let referent = instance.referent();
        if let Some(id) = tree.metadata(referent).and_then(|m| m.specified_id.clone()) {
            ids.entry(id).or_insert(referent);
        }
        if let Some(Variant::Attributes(attributes)) = instance.properties.get(&ustr("Attributes"))
        {
            if let Some(id) = attributes.get(ID_ATTRIBUTE).and_then(attribute_text) {
                ids.entry(id).or_insert(referent);
            }
        }
    }
    ids
}

fn attribute_text(value: &Variant) -> Option<String> {
    match value {
        Variant::String(s) => Some(s.clone()),
        Variant::BinaryString(b) => std::str::from_utf8(b.as_ref()).ok().map(str::to_owned),
        _ => None,
    }
}

/// Refuses to write a Ref into a property the database says is not a Ref.
fn not_a_ref_property(class: &str, property: &str) -> Option<String> {
    match crate::reflection::property_type(class, property) {
        Some(DataType::Value(rbx_dom_weak::types::VariantType::Ref)) | None => None,
        Some(other) => Some(format!(
            "{class}.{property} is not a Ref property (it is {})",
            crate::value::describe_type(other)
        )),
    }
}

fn warning(dom: &WeakDom, source: Ref, attribute: &str, message: String) -> RefWarning {
    RefWarning {
        instance: instance_path(dom, source),
        attribute: attribute.to_owned(),
        message,
    }
}

/// Instance names from the root's child down to `referent`, joined by `/`.
pub fn instance_path(dom: &WeakDom, referent: Ref) -> String {
    let mut names = Vec::new();
    let mut current = referent;
    while let Some(instance) = dom.get_by_ref(current) {
        if instance.parent().is_none() {
            break;
        }
        names.push(instance.name.as_str());
        current = instance.parent();
    }
    if names.is_empty() {
        return dom.root().name.clone();
    }
    names.reverse();
    names.join("/")
}

/// A model file may point outside itself; such Refs cannot be kept.
fn clear_dangling_refs(dom: &mut WeakDom) {
    let dangling: Vec<(Ref, rbx_dom_weak::Ustr)> = dom
        .descendants()
        .flat_map(|instance| {
            instance
                .properties
                .iter()
                .filter_map(move |(key, value)| match value {
                    Variant::Ref(target) if target.is_some() => {
                        Some((instance.referent(), *key, *target))
                    }
                    _ => None,
                })
        })
        .filter(|(_, _, target)| dom.get_by_ref(*target).is_none())
        .map(|(source, key, _)| (source, key))
        .collect();
    for (source, key) in dangling {
        if let Some(instance) = dom.get_by_ref_mut(source) {
            instance.properties.insert(key, Variant::Ref(Ref::none()));
        }
    }
}
