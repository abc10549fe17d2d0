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
//! All these attributes are taken off the instances when they enter the tree
//! (they live in `InstanceMetadata::ref_attributes`), so none is built. A path or id
//! that matches nothing leaves the property empty and produces a warning.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, Ustr, WeakDom};
use rbx_reflection::DataType;

use super::patch::AppliedPatch;
use super::ref_reads::IDS;
use super::{InstanceMetadata, InstanceTree};

pub const REF_PREFIX: &str = "Rojo_Ref_";
pub const TARGET_PREFIX: &str = "Rojo_Target_";
pub const ID_ATTRIBUTE: &str = "Rojo_Id";

/// True for the attributes that carry references (`Rojo_Ref_*`,
/// `Rojo_Target_*`, `Rojo_Id`), which are not instance data.
pub fn is_reference_attribute(name: &str) -> bool {
    name.starts_with(REF_PREFIX) || name.starts_with(TARGET_PREFIX) || name == ID_ATTRIBUTE
}

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

/// A Ref property set or cleared by [`refresh_refs`].
#[derive(Debug, Clone, PartialEq)]
pub struct RefChange {
    pub instance: Ref,
    pub property: Ustr,
    /// `None`: the property was removed.
    pub value: Option<Variant>,
}

/// Turns the reference attributes of every instance into Ref properties and
/// clears Ref properties whose target is not in the tree. Returns what could
/// not be resolved.
pub fn resolve_refs(tree: &mut InstanceTree) -> Vec<RefWarning> {
    refresh_refs(tree).1
}

/// Resolves every reference attribute again (after the tree changed) and
/// sets each Ref property it manages to its target, or removes the property
/// when the target is gone. Returns the properties that changed, and the
/// warnings for references that match nothing.
pub fn refresh_refs(tree: &mut InstanceTree) -> (Vec<RefChange>, Vec<RefWarning>) {
    // Tree order, so warnings come out in the order a reader expects. The
    // tree keeps the holders: no walk over every instance.
    let holders = in_tree_order(tree.dom(), tree.ref_holders().collect());
    tree.ref_reads_mut().clear();
    let (mut changes, warnings) = resolve_holders(tree, holders);
    if tree.has_model_file_instances() {
        changes.extend(clear_dangling_refs(tree.dom_mut()));
    }
    (changes, warnings)
}

/// `referents` sorted as a walk of the tree from the root meets them (each
/// instance before its children, children in order); those not in the tree
/// are left out. Costs the depth of each times its siblings, not the tree.
fn in_tree_order(dom: &WeakDom, referents: Vec<Ref>) -> Vec<Ref> {
    let mut keyed: Vec<(Vec<usize>, Ref)> = referents
        .into_iter()
        .filter_map(|referent| {
            let mut key = Vec::new();
            let mut current = referent;
            loop {
                let instance = dom.get_by_ref(current)?;
                let parent = instance.parent();
                if parent.is_none() {
                    break;
                }
                let siblings = dom.get_by_ref(parent)?.children();
                key.push(siblings.iter().position(|r| *r == current)?);
                current = parent;
            }
            key.reverse();
            Some((key, referent))
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, referent)| referent).collect()
}

/// [`refresh_refs`] after `patch`, for the references it can change only:
/// those whose last resolution read an instance the patch renamed,
/// re-classed, renamed on disk, removed or gave other children (see
/// [`super::ref_reads`]), those of holders it added or whose reference
/// attributes it changed, and, when ids may have changed, those naming an
/// id. Every other reference reads what it read before, so it resolves to
/// what it resolved to. Costs what the patch changed, not the tree.
pub fn refresh_refs_after(
    tree: &mut InstanceTree,
    patch: &AppliedPatch,
) -> (Vec<RefChange>, Vec<RefWarning>) {
    let dom = tree.dom();
    let mut asked: Vec<Ref> = patch.ref_touched.clone();
    asked.extend_from_slice(&patch.removed);
    let mut holders: HashSet<Ref> = patch.ref_holders.iter().copied().collect();
    // A new child changes a search of its parent only for a path segment
    // it can match (by name on disk or name, in any case): those readers of
    // the parent whose paths have no such segment keep their targets.
    let mut new_children: Vec<(Ref, Ref)> = Vec::new();
    for added in &patch.added {
        let Some(instance) = dom.get_by_ref(*added) else {
            continue;
        };
        new_children.push((instance.parent(), *added));
        holders.extend(
            dom.descendants_of(*added)
                .map(|i| i.referent())
                .filter(|r| tree.is_ref_holder(*r)),
        );
    }
    if patch.ids_changed || !patch.added.is_empty() || !patch.removed.is_empty() {
        asked.push(IDS);
    }
    let reads = tree.ref_reads();
    for instance in asked {
        holders.extend(reads.readers_of(instance));
    }
    for (parent, child) in new_children {
        let names = [
            dom.get_by_ref(child).map(|i| i.name.as_str()),
            tree.metadata(child).and_then(|m| m.fs_name.as_deref()),
        ];
        let new: Vec<Ref> = reads
            .readers_of(parent)
            .filter(|holder| !holders.contains(holder) && paths_may_name(tree, *holder, &names))
            .collect();
        holders.extend(new);
    }
    let holders = in_tree_order(dom, holders.into_iter().collect());
    let (mut changes, warnings) = resolve_holders(tree, holders);
    if !patch.removed.is_empty() && tree.has_model_file_instances() {
        changes.extend(clear_dangling_refs(tree.dom_mut()));
    }
    (changes, warnings)
}

/// Resolves the reference attributes of `holders` and sets the Ref
/// properties they manage.
fn resolve_holders(
    tree: &mut InstanceTree,
    holders: Vec<Ref>,
) -> (Vec<RefChange>, Vec<RefWarning>) {
    let mut ids: Option<HashMap<String, Ref>> = None;
    let mut warnings = Vec::new();
    let mut desired: Vec<(Ref, Ustr, Option<Ref>)> = Vec::new();
    let mut all_reads: Vec<(Ref, Vec<Ref>)> = Vec::with_capacity(holders.len());
    let dom = tree.dom();
    for source in holders {
        let (Some(metadata), Some(instance)) = (tree.metadata(source), dom.get_by_ref(source))
        else {
            continue;
        };
        // The holder's class decides which properties may hold a Ref.
        let mut reads = vec![source];
        let attributes = &metadata.ref_attributes;
        for (key, value) in attributes {
            let (property, target) = if let Some(property) = key.strip_prefix(REF_PREFIX) {
                let Some(path) = attribute_text(value) else {
                    warnings.push(warning(
                        dom,
                        source,
                        key,
                        "the attribute must be a string path".to_owned(),
                    ));
                    continue;
                };
                match walk_path(tree.dom(), source, &path, fs_name_in(tree), &mut |r| {
                    reads.push(r)
                }) {
                    Some(target) => (property, Some(target)),
                    None => {
                        warnings.push(warning(
                            dom,
                            source,
                            key,
                            format!("path `{path}` matches no instance; {property} is left empty"),
                        ));
                        (property, None)
                    }
                }
            } else if let Some(property) = key.strip_prefix(TARGET_PREFIX) {
                // A path attribute for the same property wins.
                let path_key = format!("{REF_PREFIX}{property}");
                if attributes.iter().any(|(k, _)| *k == path_key) {
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
                reads.push(IDS);
                let ids = ids.get_or_insert_with(|| collect_ids(tree));
                match ids.get(id.as_str()) {
                    Some(target) => (property, Some(*target)),
                    None => {
                        warnings.push(warning(
                            dom,
                            source,
                            key,
                            format!("no instance has the id `{id}`; {property} is left empty"),
                        ));
                        (property, None)
                    }
                }
            } else {
                continue;
            };
            if let Some(problem) = not_a_ref_property(&instance.class, property) {
                warnings.push(warning(dom, source, key, problem));
                continue;
            }
            desired.push((source, ustr(property), target));
        }
        all_reads.push((source, reads));
    }
    for (holder, reads) in all_reads {
        tree.ref_reads_mut().set(holder, reads);
    }

    let mut changes = Vec::new();
    let dom = tree.dom_mut();
    for (source, property, target) in desired {
        let Some(instance) = dom.get_by_ref_mut(source) else {
            continue;
        };
        let current = instance.properties.get(&property);
        let value = target.map(Variant::Ref);
        if current == value.as_ref() {
            continue;
        }
        match &value {
            Some(value) => {
                instance.properties.insert(property, value.clone());
            }
            None => {
                instance.properties.remove(&property);
            }
        }
        changes.push(RefChange {
            instance: source,
            property,
            value,
        });
    }
    (changes, warnings)
}

/// The Ref properties the reference attributes of `metadata` manage.
pub fn managed_properties(metadata: &InstanceMetadata) -> impl Iterator<Item = Ustr> + '_ {
    metadata.ref_attributes.iter().filter_map(|(key, _)| {
        key.strip_prefix(REF_PREFIX)
            .or_else(|| key.strip_prefix(TARGET_PREFIX))
            .map(ustr)
    })
}

/// Finds the instance a `Rojo_Ref_*` path names, seen from `source`.
pub fn resolve_path(tree: &InstanceTree, source: Ref, path: &str) -> Option<Ref> {
    resolve_path_in(tree.dom(), source, path, fs_name_in(tree))
}

/// An instance's name on disk, as the tree's metadata has it.
fn fs_name_in<'a>(tree: &'a InstanceTree) -> impl Fn(Ref) -> Option<&'a str> + 'a {
    |r| tree.metadata(r).and_then(|m| m.fs_name.as_deref())
}

/// [`resolve_path`] over any tree: `fs_name` gives an instance's name on
/// disk (syncback resolves against the layout it is about to write).
pub fn resolve_path_in<'a>(
    dom: &'a WeakDom,
    source: Ref,
    path: &str,
    fs_name: impl Fn(Ref) -> Option<&'a str>,
) -> Option<Ref> {
    walk_path(dom, source, path, fs_name, &mut |_| {})
}

/// [`resolve_path_in`], telling `read` every instance the walk reads: the
/// source, each instance it reaches, and so each one whose parent it took
/// or whose children it searched (see [`super::ref_reads`]).
fn walk_path<'a>(
    dom: &'a WeakDom,
    source: Ref,
    path: &str,
    fs_name: impl Fn(Ref) -> Option<&'a str>,
    read: &mut impl FnMut(Ref),
) -> Option<Ref> {
    read(source);
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
    read(current);
    for segment in rest.split('/') {
        match segment {
            "" | "." => continue,
            ".." => current = parent_of(current)?,
            name => current = find_child(dom, current, name, &fs_name)?,
        }
        read(current);
    }
    Some(current)
}

fn find_child<'a>(
    dom: &'a WeakDom,
    parent: Ref,
    segment: &str,
    fs_name: &impl Fn(Ref) -> Option<&'a str>,
) -> Option<Ref> {
    let children = dom.get_by_ref(parent)?.children();
    let fs_name = |r: &Ref| fs_name(*r);
    let name = |r: &Ref| dom.get_by_ref(*r).map(|i| i.name.as_str());

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
        if let Some((_, id)) = tree
            .metadata(referent)
            .and_then(|m| m.ref_attributes.iter().find(|(k, _)| k == ID_ATTRIBUTE))
        {
            if let Some(id) = attribute_text(id) {
                ids.entry(id).or_insert(referent);
            }
        }
    }
    ids
}

/// Whether a `Rojo_Ref_*` path of `holder` has a segment one of `names`
/// matches (as [`find_child`] may match it: in any case), or a path that
/// is not text (resolved again, to warn again).
fn paths_may_name(tree: &InstanceTree, holder: Ref, names: &[Option<&str>]) -> bool {
    let Some(metadata) = tree.metadata(holder) else {
        return true;
    };
    metadata
        .ref_attributes
        .iter()
        .filter(|(key, _)| key.starts_with(REF_PREFIX))
        .any(|(_, value)| match attribute_text(value) {
            Some(path) => path.split('/').any(|segment| {
                names
                    .iter()
                    .flatten()
                    .any(|name| name.eq_ignore_ascii_case(segment))
            }),
            None => true,
        })
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
fn clear_dangling_refs(dom: &mut WeakDom) -> Vec<RefChange> {
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
    let mut changes = Vec::with_capacity(dangling.len());
    for (source, key) in dangling {
        if let Some(instance) = dom.get_by_ref_mut(source) {
            instance.properties.insert(key, Variant::Ref(Ref::none()));
            changes.push(RefChange {
                instance: source,
                property: key,
                value: Some(Variant::Ref(Ref::none())),
            });
        }
    }
    changes
}
