//! Two-way sync: a batch of Studio edits (`POST /api/write`) as changes to
//! a tree.
//!
//! A write is never turned into files here. The change processor copies
//! the live tree, applies the batch to the copy ([`apply`]), stores the copy
//! as a place file holds it ([`as_stored`]) and runs the same incremental
//! syncback as `atlas syncback --incremental` over it: the files written are
//! exactly the ones that command writes for that DOM. Only then is the batch
//! applied to the live tree itself, so the files' echo finds nothing new.
//!
//! A batch is applied in one order: additions (parents before children, a
//! parent may be an instance added in the same batch), then updates (name,
//! class, parent, properties), then Ref values (which may point at instances added in the same batch, by the
//! id the plugin gave them), then removals.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{InstanceBuilder, Ustr, UstrMap, WeakDom};

use crate::dom_file::{self, DomFileError};
use crate::snapshot::{InstanceTree, InstigatingSource};
use crate::syncback::{ApplyError, SyncbackError};
use crate::vfs::{EntryKind, Vfs};

/// One batch of Studio edits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteRequest {
    /// Instances to remove (with everything under them).
    pub removed: Vec<Ref>,
    /// New instances, each with its parent (an instance of the tree, or one
    /// added in the same batch).
    pub added: Vec<AddedInstance>,
    pub updated: Vec<WriteUpdate>,
}

impl WriteRequest {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty() && self.updated.is_empty()
    }

    /// True if the batch adds, removes, renames, moves or re-classes
    /// instances (what reference paths lead to may change).
    pub fn is_structural(&self) -> bool {
        !self.added.is_empty()
            || !self.removed.is_empty()
            || self.updated.iter().any(|u| {
                u.changed_name.is_some()
                    || u.changed_class_name.is_some()
                    || u.changed_parent.is_some()
            })
    }
}

/// A new instance and its children. `id` is the id the plugin gave it: the
/// instance keeps it in the live tree, so the plugin can refer to it at once.
/// A child sent without an id gets a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedInstance {
    pub id: Ref,
    /// Set on the instances of [`WriteRequest::added`], `None` on children.
    pub parent: Option<Ref>,
    pub name: String,
    pub class_name: Ustr,
    pub properties: UstrMap<Variant>,
    pub children: Vec<AddedInstance>,
}

/// What changed about an existing instance. A `None` property is removed;
/// a nil Ref clears the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteUpdate {
    pub id: Ref,
    pub changed_name: Option<String>,
    pub changed_class_name: Option<Ustr>,
    /// The instance moved under another (one of the tree, or one added in
    /// the same batch).
    pub changed_parent: Option<Ref>,
    pub changed_properties: UstrMap<Option<Variant>>,
}

/// What of an update changes where an instance is (not only what it holds).
struct Moves<'a> {
    /// A name other than the instance's.
    rename: Option<&'a String>,
    /// A class other than the instance's.
    reclasses: bool,
    /// A parent other than the instance's.
    parent: Option<Ref>,
}

impl WriteUpdate {
    /// What of this update really changes `instance`'s name, class or parent.
    fn moves(&self, instance: &rbx_dom_weak::Instance) -> Moves<'_> {
        Moves {
            rename: self.changed_name.as_ref().filter(|n| **n != instance.name),
            reclasses: self.changed_class_name.is_some_and(|c| c != instance.class),
            parent: self.changed_parent.filter(|p| *p != instance.parent()),
        }
    }
}

/// What a write did.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    /// The files added, changed and removed (absolute paths).
    pub summary: crate::syncback::ChangeSummary,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The batch is wrong (an unknown id, a class Roblox does not have...):
    /// nothing was written.
    #[error("{field}: {message}; nothing was written")]
    Invalid { field: String, message: String },
    #[error("{0}; nothing was written")]
    Syncback(#[from] SyncbackError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("the tree could not be stored as a place file holds it ({0}); nothing was written")]
    Store(DomFileError),
    #[error("this session does not take writes (it does not watch the project)")]
    NotWatching,
    #[error("the session stopped before the write was done")]
    Stopped,
    /// A bug in Atlas stopped the write (logged); the project was read
    /// again and live sync goes on.
    #[error(
        "an internal error stopped the write (see the server's log); the project was read again"
    )]
    Internal,
}

impl WriteError {
    /// True if the request was at fault (not the project or the disk).
    pub fn is_bad_request(&self) -> bool {
        matches!(self, WriteError::Invalid { .. })
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> WriteError {
        WriteError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Puts the batch's values as the files will give them back: a value equal
/// to its class default is left out (syncback does not write it), and a
/// `Color3` the place format stores as `Color3uint8` (a Part's `Color`) is
/// stored so. Studio holds the same, so the live tree that takes the
/// settled batch equals a fresh read of the written files, and the
/// read-back finds nothing to send back. Call after [`check`].
pub fn settle(tree: &InstanceTree, request: &mut WriteRequest) {
    fn settle_added(added: &mut AddedInstance) {
        let class = added.class_name;
        added.properties = std::mem::take(&mut added.properties)
            .into_iter()
            .filter_map(|(name, value)| settle_value(class, name, value).map(|v| (name, v)))
            .collect();
        for child in &mut added.children {
            settle_added(child);
        }
    }
    for added in &mut request.added {
        settle_added(added);
    }
    let dom = tree.dom();
    for update in &mut request.updated {
        let Some(instance) = dom.get_by_ref(update.id) else {
            continue;
        };
        let class = update.changed_class_name.unwrap_or(instance.class);
        for (name, value) in update.changed_properties.iter_mut() {
            *value = value.take().and_then(|v| settle_value(class, *name, v));
        }
    }
}

fn settle_value(class: Ustr, name: Ustr, value: Variant) -> Option<Variant> {
    match value {
        // A nil Ref is no reference; the others are resolved later.
        Variant::Ref(target) if target.is_none() => None,
        Variant::Ref(_) => Some(value),
        value if crate::syncback::is_default(class, name, &value) => None,
        Variant::Color3(color)
            if matches!(
                crate::reflection::default_of(class, name),
                Some(Variant::Color3uint8(_))
            ) =>
        {
            Some(Variant::Color3uint8(color.into()))
        }
        value => Some(value),
    }
}

/// Checks the batch against the live tree: every id it names exists, the
/// ids of new instances are new, classes exist, and nothing a project file
/// declares is renamed, re-classed or removed (that is the project file's
/// to say).
pub fn check(tree: &InstanceTree, request: &WriteRequest) -> Result<(), WriteError> {
    let dom = tree.dom();
    let mut new_ids: HashSet<Ref> = HashSet::new();
    for (i, added) in request.added.iter().enumerate() {
        check_added(dom, added, &format!("added[{i}]"), &mut new_ids)?;
    }
    for (i, added) in request.added.iter().enumerate() {
        check_added_refs(dom, &new_ids, added, &format!("added[{i}]"))?;
        let field = format!("added[{i}].parent");
        match added.parent {
            Some(parent) if dom.get_by_ref(parent).is_some() || new_ids.contains(&parent) => {}
            Some(parent) => {
                return Err(WriteError::invalid(
                    field,
                    format!("no instance has the id {parent}"),
                ))
            }
            None => return Err(WriteError::invalid(field, "a new instance needs a parent")),
        }
    }
    let declared = |id: Ref| match tree.metadata(id).map(|m| &m.instigating_source) {
        Some(Some(InstigatingSource::ProjectNode { project, .. })) => Some(project.clone()),
        _ => None,
    };
    for (i, update) in request.updated.iter().enumerate() {
        let field = format!("updated[{i}]");
        let Some(instance) = dom.get_by_ref(update.id) else {
            return Err(WriteError::invalid(
                format!("{field}.id"),
                format!("no instance has the id {}", update.id),
            ));
        };
        let Moves {
            rename,
            reclasses,
            parent,
        } = update.moves(instance);
        let (renames, moves) = (rename.is_some(), parent.is_some());
        if let Some(class) = update.changed_class_name {
            if crate::reflection::class(&class).is_none() {
                return Err(WriteError::invalid(
                    format!("{field}.changedClassName"),
                    format!("`{class}` is not a Roblox class"),
                ));
            }
        }
        if (renames || reclasses || moves) && update.id == dom.root_ref() {
            return Err(WriteError::invalid(
                field,
                "the project's root keeps its name, class and place",
            ));
        }
        if renames || reclasses || moves {
            if let Some(project) = declared(update.id) {
                return Err(WriteError::invalid(
                    field,
                    format!(
                        "`{}` is declared in {}; rename, move or change its class there",
                        instance.name,
                        project.display()
                    ),
                ));
            }
        }
        if let (true, Some(parent)) = (moves, update.changed_parent) {
            check_new_parent(
                dom,
                &new_ids,
                update.id,
                parent,
                &format!("{field}.changedParent"),
            )?;
        }
        for (name, value) in &update.changed_properties {
            check_ref(
                dom,
                &new_ids,
                value.as_ref(),
                &format!("{field}.changedProperties.{name}"),
            )?;
        }
    }
    for (i, id) in request.removed.iter().enumerate() {
        let field = format!("removed[{i}]");
        let Some(instance) = dom.get_by_ref(*id) else {
            return Err(WriteError::invalid(
                field,
                format!("no instance has the id {id}"),
            ));
        };
        if *id == dom.root_ref() {
            return Err(WriteError::invalid(
                field,
                "the project's root cannot be removed",
            ));
        }
        if let Some(project) = declared(*id) {
            return Err(WriteError::invalid(
                field,
                format!(
                    "`{}` is declared in {}; remove it there",
                    instance.name,
                    project.display()
                ),
            ));
        }
    }
    Ok(())
}

/// A moved instance's new parent exists (or is new in the batch) and is not
/// the instance itself or under it.
fn check_new_parent(
    dom: &WeakDom,
    new_ids: &HashSet<Ref>,
    id: Ref,
    parent: Ref,
    field: &str,
) -> Result<(), WriteError> {
    if new_ids.contains(&parent) {
        return Ok(());
    }
    if dom.get_by_ref(parent).is_none() {
        return Err(WriteError::invalid(
            field,
            format!("no instance has the id {parent}"),
        ));
    }
    let mut at = parent;
    while let Some(instance) = dom.get_by_ref(at) {
        if at == id {
            return Err(WriteError::invalid(
                field,
                "an instance cannot move under itself or its own descendants",
            ));
        }
        at = instance.parent();
    }
    Ok(())
}

/// The files of every instance the batch touches (and of the parents of
/// new and moved instances), taken before the batch is applied: read back after the
/// write, so the live tree ends as a fresh read of them gives it.
pub fn touched_paths(tree: &InstanceTree, request: &WriteRequest) -> Vec<PathBuf> {
    let ids = request
        .updated
        .iter()
        .map(|u| u.id)
        .chain(request.updated.iter().filter_map(|u| u.changed_parent))
        .chain(request.removed.iter().copied())
        .chain(request.added.iter().filter_map(|a| a.parent));
    ids.filter_map(|id| tree.metadata(id))
        .flat_map(|m| m.relevant_paths.iter().cloned())
        .collect()
}

/// The paths to read back after a write. A write that only changes
/// properties leaves every file with the instance that held it: its paths
/// are read back as they are. A structural one (new, removed, renamed,
/// moved or re-classed instances) can move which file holds which instance
/// (of two same-named siblings the second may now be written to the first's
/// file; a moved instance's old file is gone while the instance lives on),
/// and the live tree's path index still has the old owners, so a file read
/// back alone could land on the wrong instance: the folder of every file
/// (and project files themselves) is read back instead, which pairs its
/// children again as a fresh read does.
pub fn read_back_paths(request: &WriteRequest, paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let structural = !request.added.is_empty()
        || !request.removed.is_empty()
        || request.updated.iter().any(|u| {
            u.changed_name.is_some() || u.changed_parent.is_some() || u.changed_class_name.is_some()
        });
    if !structural {
        return paths;
    }
    let mut out: Vec<PathBuf> = Vec::with_capacity(paths.len());
    for path in paths {
        // A folder is read back as it is (its parent would be a far bigger
        // read: a paste into Workspace would read every service again).
        if path.is_dir() {
            out.push(path);
            continue;
        }
        let is_project_file = crate::project::Project::is_project_file(&path);
        if let Some(parent) = path.parent() {
            out.push(parent.to_path_buf());
        }
        if is_project_file {
            out.push(path);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check_added(
    dom: &WeakDom,
    added: &AddedInstance,
    field: &str,
    new_ids: &mut HashSet<Ref>,
) -> Result<(), WriteError> {
    if added.id.is_some() && (dom.get_by_ref(added.id).is_some() || !new_ids.insert(added.id)) {
        return Err(WriteError::invalid(
            field,
            format!("the id {} is already taken", added.id),
        ));
    }
    if crate::reflection::class(&added.class_name).is_none() {
        return Err(WriteError::invalid(
            format!("{field}.className"),
            format!("`{}` is not a Roblox class", added.class_name),
        ));
    }
    for (i, child) in added.children.iter().enumerate() {
        check_added(dom, child, &format!("{field}.children[{i}]"), new_ids)?;
    }
    Ok(())
}

/// The Refs of a new instance and its children, once every new id is known.
fn check_added_refs(
    dom: &WeakDom,
    new_ids: &HashSet<Ref>,
    added: &AddedInstance,
    field: &str,
) -> Result<(), WriteError> {
    for (name, value) in &added.properties {
        check_ref(
            dom,
            new_ids,
            Some(value),
            &format!("{field}.properties.{name}"),
        )?;
    }
    for (i, child) in added.children.iter().enumerate() {
        check_added_refs(dom, new_ids, child, &format!("{field}.children[{i}]"))?;
    }
    Ok(())
}

/// A Ref value names an instance of the tree or of the batch (or none).
fn check_ref(
    dom: &WeakDom,
    new_ids: &HashSet<Ref>,
    value: Option<&Variant>,
    field: &str,
) -> Result<(), WriteError> {
    match value {
        Some(Variant::Ref(target))
            if target.is_some()
                && dom.get_by_ref(*target).is_none()
                && !new_ids.contains(target) =>
        {
            Err(WriteError::invalid(
                field,
                format!("no instance has the id {target}"),
            ))
        }
        _ => Ok(()),
    }
}

/// Applies a checked batch to `dom` (see the module's order). Fails only on
/// what [`check`] lets through when `dom` is not the tree it checked.
pub fn apply(dom: &mut WeakDom, request: &WriteRequest) -> Result<(), WriteError> {
    let mut refs: Vec<(Ref, Ustr, Ref, String)> = Vec::new();

    // Additions, parents first.
    let mut waiting: Vec<(usize, &AddedInstance)> = request.added.iter().enumerate().collect();
    while !waiting.is_empty() {
        let before = waiting.len();
        let mut still = Vec::new();
        for (i, added) in waiting {
            match added.parent {
                Some(parent) if dom.get_by_ref(parent).is_some() => {
                    insert(dom, parent, added, &format!("added[{i}]"), &mut refs);
                }
                _ => still.push((i, added)),
            }
        }
        if still.len() == before {
            let (i, added) = still[0];
            return Err(WriteError::invalid(
                format!("added[{i}].parent"),
                format!(
                    "no instance has the id {}",
                    added.parent.unwrap_or_else(Ref::none)
                ),
            ));
        }
        waiting = still;
    }

    // Updates.
    for (i, update) in request.updated.iter().enumerate() {
        let Some(instance) = dom.get_by_ref_mut(update.id) else {
            return Err(WriteError::invalid(
                format!("updated[{i}].id"),
                format!("no instance has the id {}", update.id),
            ));
        };
        if let Some(name) = &update.changed_name {
            instance.name = name.clone();
        }
        if let Some(class) = update.changed_class_name {
            instance.class = class;
        }
        let old_parent = instance.parent();
        for (name, value) in &update.changed_properties {
            match value {
                Some(Variant::Ref(target)) => refs.push((
                    update.id,
                    *name,
                    *target,
                    format!("updated[{i}].changedProperties.{name}"),
                )),
                Some(value) => {
                    instance.properties.insert(*name, value.clone());
                }
                None => {
                    instance.properties.remove(name);
                }
            }
        }
        if let Some(parent) = update.changed_parent.filter(|p| *p != old_parent) {
            let field = format!("updated[{i}].changedParent");
            check_new_parent(dom, &HashSet::new(), update.id, parent, &field)?;
            dom.transfer_within(update.id, parent);
        }
    }

    // References, now that every instance they may name exists.
    for (source, name, target, field) in refs {
        if target.is_some() && dom.get_by_ref(target).is_none() {
            return Err(WriteError::invalid(
                field,
                format!("no instance has the id {target}"),
            ));
        }
        if let Some(instance) = dom.get_by_ref_mut(source) {
            instance.properties.insert(name, Variant::Ref(target));
        }
    }

    // Removals (an instance whose ancestor went first is already gone).
    for id in &request.removed {
        if *id != dom.root_ref() && dom.get_by_ref(*id).is_some() {
            dom.destroy(*id);
        }
    }
    Ok(())
}

fn insert(
    dom: &mut WeakDom,
    parent: Ref,
    added: &AddedInstance,
    field: &str,
    refs: &mut Vec<(Ref, Ustr, Ref, String)>,
) {
    let mut builder =
        InstanceBuilder::with_property_capacity(added.class_name, added.properties.len())
            .with_name(added.name.clone());
    if added.id.is_some() {
        builder = builder.with_referent(added.id);
    }
    let id = builder.referent();
    for (name, value) in &added.properties {
        match value {
            Variant::Ref(target) => {
                refs.push((id, *name, *target, format!("{field}.properties.{name}")))
            }
            value => builder = builder.with_property(*name, value.clone()),
        }
    }
    let id = dom.insert(parent, builder);
    for (i, child) in added.children.iter().enumerate() {
        insert(dom, id, child, &format!("{field}.children[{i}]"), refs);
    }
}

/// The part of the live tree a batch can change on disk, before and after
/// the batch (see `syncback::syncback_scoped`).
pub struct Scope {
    /// The part as the live tree has it.
    pub old: WeakDom,
    /// The same part with the batch applied.
    pub new: WeakDom,
    /// Instances that may take another place on disk: the renamed, moved,
    /// re-classed and removed ones and their same-named siblings (whose
    /// `~N` may change), with their subtrees. Every instance holding a
    /// reference to one of them is in the part.
    pub may_move: HashSet<Ref>,
}

/// A scope bigger than this is synced back whole: copying it would cost
/// what the whole syncback does.
const SCOPE_LIMIT: usize = 5_000;

/// The part of the tree a checked batch can change on disk:
/// - the root and its children (the services);
/// - every instance whose files the batch can change (an edited instance,
///   the parent of a new, moved or removed one, an instance holding a
///   reference to one that may move), through the instance that has its own
///   file or folder holding it (itself, or the model file around it), with
///   its ancestors; with its whole subtree when a file holds it (a model
///   file writes its children too), else with its children, so every
///   folder whose entries can change has all its entries;
/// - the instances that may move, with their subtrees;
/// - every instance a Ref of those points at (before or after the batch),
///   with its ancestors, so each reference is written as a path to it.
///
/// Every copy keeps its referent and all its properties. `None` when the
/// part would be too big to be worth it.
pub fn scope(tree: &InstanceTree, vfs: &dyn Vfs, request: &WriteRequest) -> Option<Scope> {
    let dom = tree.dom();
    let mut part = Part {
        tree,
        vfs,
        members: HashSet::new(),
    };
    let root = dom.root();
    part.chain(root.referent());
    part.members.extend(root.children().iter().copied());

    let mut may_move: HashSet<Ref> = HashSet::new();
    // Same-named siblings (of a class) may swap files when one of them goes.
    let siblings_named = |parent: Ref, name: &str| -> Vec<Ref> {
        dom.get_by_ref(parent)
            .map(|p| {
                p.children()
                    .iter()
                    .copied()
                    .filter(|c| dom.get_by_ref(*c).is_some_and(|i| i.name == name))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut moving_roots: Vec<Ref> = Vec::new();
    for update in &request.updated {
        let instance = dom.get_by_ref(update.id)?;
        part.holder_of(update.id)?;
        let Moves {
            rename: renames,
            reclasses,
            parent: moves_to,
        } = update.moves(instance);
        if renames.is_none() && !reclasses && moves_to.is_none() {
            continue;
        }
        let parent = instance.parent();
        part.holder_of(parent)?;
        moving_roots.extend(siblings_named(parent, &instance.name));
        if let Some(name) = renames {
            moving_roots.extend(siblings_named(parent, name));
        }
        if let Some(new_parent) = moves_to.filter(|p| dom.get_by_ref(*p).is_some()) {
            part.holder_of(new_parent)?;
            moving_roots.extend(siblings_named(
                new_parent,
                renames.map_or(instance.name.as_str(), String::as_str),
            ));
        }
        moving_roots.push(update.id);
    }
    for added in &request.added {
        let Some(parent) = added.parent.and_then(|p| dom.get_by_ref(p)) else {
            continue;
        };
        part.holder_of(parent.referent())?;
        if parent.children().is_empty() && parent.parent().is_some() {
            // Its first child may turn its file into a folder (`X.luau` →
            // `X/init.luau`): it moves, in its own folder's entries.
            part.holder_of(parent.parent())?;
            moving_roots.extend(siblings_named(parent.parent(), &parent.name));
        }
    }
    for removed in &request.removed {
        let instance = dom.get_by_ref(*removed)?;
        part.holder_of(instance.parent())?;
        // With its subtree: another instance may take its folder over (a
        // same-named sibling, or a service syncback creates again), and
        // then what the folder held is judged file by file.
        moving_roots.extend(siblings_named(instance.parent(), &instance.name));
    }
    for moving in moving_roots {
        part.chain(moving);
        may_move.insert(moving);
        for instance in dom.descendants_of(moving) {
            may_move.insert(instance.referent());
            part.members.insert(instance.referent());
        }
        if part.members.len() > SCOPE_LIMIT {
            return None;
        }
    }
    if !may_move.is_empty() {
        // Whoever points into what may move may need its path written again.
        let holders: Vec<Ref> = dom
            .descendants()
            .filter(|i| {
                i.properties
                    .values()
                    .any(|v| matches!(v, Variant::Ref(t) if may_move.contains(t)))
            })
            .map(|i| i.referent())
            .collect();
        for holder in holders {
            part.holder_of(holder)?;
        }
    }
    if part.members.len() > SCOPE_LIMIT {
        return None;
    }

    let mut targets: Vec<Ref> = part
        .members
        .iter()
        .filter_map(|r| dom.get_by_ref(*r))
        .flat_map(|i| i.properties.values())
        .chain(
            request
                .updated
                .iter()
                .flat_map(|u| u.changed_properties.values().flatten()),
        )
        .chain(request.added.iter().flat_map(added_values))
        .filter_map(|value| match value {
            Variant::Ref(target) if target.is_some() && dom.get_by_ref(*target).is_some() => {
                Some(*target)
            }
            _ => None,
        })
        .collect();
    targets.retain(|t| !part.members.contains(t));
    for target in targets {
        part.chain(target);
    }
    if part.members.len() > SCOPE_LIMIT {
        return None;
    }
    let old = copy_part(dom, &part.members);
    let mut new = copy_part(dom, &part.members);
    apply(&mut new, request).ok()?;
    Some(Scope { old, new, may_move })
}

/// Every property value of new instances and their children.
fn added_values(added: &AddedInstance) -> Vec<&Variant> {
    let mut values: Vec<&Variant> = added.properties.values().collect();
    for child in &added.children {
        values.extend(added_values(child));
    }
    values
}

/// The members of a scope as it is gathered.
struct Part<'a> {
    tree: &'a InstanceTree,
    vfs: &'a dyn Vfs,
    members: HashSet<Ref>,
}

impl Part<'_> {
    /// Adds `referent` and its ancestors.
    fn chain(&mut self, referent: Ref) {
        let dom = self.tree.dom();
        let mut at = referent;
        while at.is_some() && self.members.insert(at) {
            at = dom.get_by_ref(at).map_or_else(Ref::none, |i| i.parent());
        }
    }

    /// Adds the instance with its own file or folder holding `referent`,
    /// its ancestors, and its subtree (a file holds it) or its children.
    /// `None` if nothing on disk holds it, or the part grows too big.
    fn holder_of(&mut self, referent: Ref) -> Option<()> {
        let dom = self.tree.dom();
        let unit = own_file_holder(self.tree, referent)?;
        self.chain(unit);
        if held_by_a_file(self.tree, self.vfs, unit) {
            self.members
                .extend(dom.descendants_of(unit).map(|i| i.referent()));
        } else {
            self.members
                .extend(dom.get_by_ref(unit)?.children().iter().copied());
        }
        (self.members.len() <= SCOPE_LIMIT).then_some(())
    }
}

/// The instance with a file or folder of its own (a name on disk) that
/// holds `referent`: itself, or the ancestor whose model file holds it.
fn own_file_holder(tree: &InstanceTree, referent: Ref) -> Option<Ref> {
    let dom = tree.dom();
    let mut at = referent;
    loop {
        if tree.metadata(at)?.fs_name.is_some() {
            return Some(at);
        }
        let parent = dom.get_by_ref(at)?.parent();
        if parent.is_none() {
            return None;
        }
        at = parent;
    }
}

/// True if no folder holds the instance (a model file, a script file, a
/// project node without a `$path` folder): its file holds its subtree.
fn held_by_a_file(tree: &InstanceTree, vfs: &dyn Vfs, referent: Ref) -> bool {
    tree.metadata(referent).is_some_and(|metadata| {
        !metadata
            .relevant_paths
            .iter()
            .any(|path| vfs.kind(path).is_ok_and(|kind| kind == EntryKind::Dir))
    })
}

/// The instances of `dom` in `members` (whose parents are members too),
/// copied with their referents, properties and order.
fn copy_part(dom: &WeakDom, members: &HashSet<Ref>) -> WeakDom {
    copy_where(dom, members.len(), |referent| members.contains(&referent))
}

/// A copy of `dom` whose instances keep their referents.
pub fn copy_dom(dom: &WeakDom) -> WeakDom {
    copy_where(dom, dom.descendants().count(), |_| true)
}

/// The root and the instances `keep` takes (with their parents), copied
/// with their referents, properties and order.
fn copy_where(dom: &WeakDom, capacity: usize, keep: impl Fn(Ref) -> bool) -> WeakDom {
    let root = dom.root();
    let mut copy = WeakDom::new(
        InstanceBuilder::with_property_capacity(root.class, root.properties.len())
            .with_referent(root.referent())
            .with_name(root.name.clone())
            .with_properties(root.properties.clone()),
    );
    copy.reserve(capacity);
    let mut stack: Vec<Ref> = root.children().iter().rev().copied().collect();
    while let Some(referent) = stack.pop() {
        let Some(instance) = dom.get_by_ref(referent) else {
            continue;
        };
        if !keep(referent) {
            continue;
        }
        copy.insert(
            instance.parent(),
            InstanceBuilder::with_property_capacity(instance.class, instance.properties.len())
                .with_referent(referent)
                .with_name(instance.name.clone())
                .with_properties(instance.properties.clone()),
        );
        stack.extend(instance.children().iter().rev().copied());
    }
    copy
}

/// [`as_stored`], with each stored instance's referent -> the referent it
/// has in `dom`.
pub fn as_stored_paired(dom: &WeakDom) -> Result<(WeakDom, HashMap<Ref, Ref>), WriteError> {
    let place = dom.root().class == "DataModel";
    let roots = if place {
        dom.root().children().to_vec()
    } else {
        vec![dom.root_ref()]
    };
    let (copy, to_copy) = dom_file::binary_copy(dom, &roots).map_err(WriteError::Store)?;
    // A model's root keeps its referent as the stored tree's root.
    let stored = if place {
        copy
    } else {
        crate::syncback::model_root(copy).map_err(|message| {
            WriteError::Store(DomFileError::Decode {
                encoding: "binary",
                message,
            })
        })?
    };
    let identity = to_copy
        .into_iter()
        .map(|(original, stored)| (stored, original))
        .collect();
    Ok((stored, identity))
}

/// `dom` as a built file holds it: what `atlas build` writes for the tree,
/// read back (a place's services, or a model's root). Syncback compares and
/// writes values in this form, as it does for a place file.
pub fn as_stored(dom: &WeakDom) -> Result<WeakDom, WriteError> {
    as_stored_paired(dom).map(|(stored, _)| stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbx_dom_weak::ustr;

    fn place() -> (WeakDom, Ref, Ref) {
        let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
        let workspace = dom.insert(dom.root_ref(), InstanceBuilder::new("Workspace"));
        let part = dom.insert(
            workspace,
            InstanceBuilder::new("Part")
                .with_name("Door")
                .with_property("Anchored", true),
        );
        (dom, workspace, part)
    }

    fn added(id: Ref, parent: Option<Ref>, name: &str, class: &str) -> AddedInstance {
        AddedInstance {
            id,
            parent,
            name: name.to_owned(),
            class_name: ustr(class),
            properties: UstrMap::default(),
            children: Vec::new(),
        }
    }

    #[test]
    fn copies_keep_referents_and_order() {
        let (mut dom, workspace, part) = place();
        let second = dom.insert(workspace, InstanceBuilder::new("Part").with_name("Door"));
        let copy = copy_dom(&dom);
        assert_eq!(copy.root_ref(), dom.root_ref());
        assert_eq!(
            copy.get_by_ref(workspace).unwrap().children(),
            &[part, second]
        );
        assert_eq!(
            copy.get_by_ref(part)
                .unwrap()
                .properties
                .get(&ustr("Anchored")),
            Some(&Variant::Bool(true))
        );
    }

    #[test]
    fn a_batch_adds_then_updates_then_points_then_removes() {
        let (mut dom, workspace, part) = place();
        let model = Ref::new();
        let inner = Ref::new();
        let mut new_model = added(model, Some(workspace), "Model", "Model");
        let mut child = added(inner, None, "Handle", "Part");
        child
            .properties
            .insert(ustr("Anchored"), Variant::Bool(false));
        new_model.children.push(child);
        // The model's PrimaryPart points at its own new child.
        new_model
            .properties
            .insert(ustr("PrimaryPart"), Variant::Ref(inner));
        // A second addition under the first (listed first).
        let script = Ref::new();
        let request = WriteRequest {
            added: vec![added(script, Some(model), "Main", "Script"), new_model],
            updated: vec![WriteUpdate {
                id: part,
                changed_name: Some("Gate".to_owned()),
                changed_class_name: None,
                changed_parent: None,
                changed_properties: [(ustr("Anchored"), None)].into_iter().collect(),
            }],
            removed: vec![part],
        };
        apply(&mut dom, &request).unwrap();
        let model_instance = dom.get_by_ref(model).unwrap();
        assert_eq!(model_instance.children(), &[inner, script]);
        assert_eq!(
            model_instance.properties.get(&ustr("PrimaryPart")),
            Some(&Variant::Ref(inner))
        );
        assert!(dom.get_by_ref(part).is_none());
        assert_eq!(dom.get_by_ref(workspace).unwrap().children(), &[model]);
    }

    #[test]
    fn an_unknown_parent_is_named() {
        let (mut dom, _, _) = place();
        let request = WriteRequest {
            added: vec![added(Ref::new(), Some(Ref::new()), "X", "Folder")],
            ..WriteRequest::default()
        };
        let error = apply(&mut dom, &request).unwrap_err().to_string();
        assert!(
            error.starts_with("added[0].parent: no instance has the id"),
            "{error}"
        );
    }

    #[test]
    fn stored_form_is_what_a_place_file_holds() {
        let (mut dom, workspace, _) = place();
        dom.insert(
            workspace,
            InstanceBuilder::new("Part")
                .with_property("Color", rbx_dom_weak::types::Color3::new(0.5, 0.25, 1.0)),
        );
        let stored = as_stored(&dom).unwrap();
        assert_eq!(stored.root().class, "DataModel");
        let stored_workspace = stored.get_by_ref(stored.root().children()[0]).unwrap();
        assert_eq!(stored_workspace.children().len(), 2);
    }
}
