//! Bringing part of a live [`InstanceTree`] in line with a fresh snapshot.
//!
//! The dev server re-reads only what a file change affects and calls
//! [`reconcile`] with the instance that stands for it and the new snapshot.
//! Instances that still exist keep their referent (so Studio keeps its
//! instances, and Ref properties keep pointing at them); only what differs
//! is written, and every write is recorded in an [`AppliedPatch`], which is
//! what connected clients are told.
//!
//! Children are paired by name and class, in order; a child whose class
//! changed is removed and added again, since Studio cannot change an
//! instance's class. Ref properties managed by reference attributes are left
//! to [`super::refs::refresh_refs`], which runs once the whole batch is in.

use std::collections::{HashMap, HashSet};

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Ustr, UstrMap};

use super::refs::{managed_properties, RefChange};
use super::tree::take_ref_attributes;
use super::{InstanceSnapshot, InstanceTree};

/// What changed about one instance that was kept.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceUpdate {
    pub id: Ref,
    pub changed_name: Option<String>,
    pub changed_class_name: Option<Ustr>,
    /// `None`: the property was removed.
    pub changed_properties: UstrMap<Option<Variant>>,
    /// The new `ignoreUnknownInstances`, when it changed.
    pub changed_ignore_unknown_instances: Option<bool>,
}

impl InstanceUpdate {
    pub fn new(id: Ref) -> Self {
        InstanceUpdate {
            id,
            changed_name: None,
            changed_class_name: None,
            changed_properties: UstrMap::default(),
            changed_ignore_unknown_instances: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.changed_name.is_none()
            && self.changed_class_name.is_none()
            && self.changed_properties.is_empty()
            && self.changed_ignore_unknown_instances.is_none()
    }
}

/// Every change made to a tree by a batch of reconciles.
#[derive(Debug, Default)]
pub struct AppliedPatch {
    /// Instances removed (with everything under them).
    pub removed: Vec<Ref>,
    /// Roots of the subtrees added.
    pub added: Vec<Ref>,
    pub updated: Vec<InstanceUpdate>,
    /// Kept instances whose name, class or name on disk changed, and those
    /// whose children changed (in number, names or order): a reference
    /// path that read one of them may resolve differently
    /// (`refs::refresh_refs_after`).
    pub ref_touched: Vec<Ref>,
    /// An id (`Rojo_Id`, a meta or model `id`) may have changed: every
    /// `Rojo_Target_*` is resolved again.
    pub ids_changed: bool,
    /// Kept instances whose reference attributes (other than `Rojo_Id`)
    /// changed: theirs are resolved again.
    pub ref_holders: Vec<Ref>,
}

impl AppliedPatch {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty() && self.updated.is_empty()
    }

    /// True if some reference may resolve differently after this patch:
    /// the tree's shape, something a path or id names, or a reference
    /// attribute changed.
    pub fn affects_refs(&self) -> bool {
        !self.ref_touched.is_empty()
            || self.ids_changed
            || !self.ref_holders.is_empty()
            || !self.added.is_empty()
            || !self.removed.is_empty()
    }

    /// `instance` and its parent: what a change of its name, class or name
    /// on disk changes for reference paths.
    fn touch(&mut self, tree: &InstanceTree, instance: Ref) {
        self.ref_touched.push(instance);
        if let Some(parent) = tree.dom().get_by_ref(instance).map(|i| i.parent()) {
            self.ref_touched.push(parent);
        }
    }

    /// Folds in the Ref properties `refresh_refs` changed, and drops what
    /// no longer applies: updates of removed instances, and updates inside
    /// added subtrees (clients get those whole).
    pub fn finish(&mut self, tree: &InstanceTree, ref_changes: Vec<RefChange>) {
        let dom = tree.dom();
        self.added.retain(|r| dom.get_by_ref(*r).is_some());
        let added: HashSet<Ref> = self
            .added
            .iter()
            .flat_map(|r| dom.descendants_of(*r).map(|i| i.referent()))
            .collect();
        let mut index: HashMap<Ref, usize> = self
            .updated
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id, i))
            .collect();
        for change in ref_changes {
            let i = *index.entry(change.instance).or_insert_with(|| {
                self.updated.push(InstanceUpdate::new(change.instance));
                self.updated.len() - 1
            });
            self.updated[i]
                .changed_properties
                .insert(change.property, change.value);
        }
        self.updated
            .retain(|u| !u.is_empty() && dom.get_by_ref(u.id).is_some() && !added.contains(&u.id));
    }
}

/// Makes the instance `id` match `snapshot`, or removes it when `snapshot`
/// is `None`. Records every change in `patch`. The tree's root cannot be
/// removed; asking to is a no-op that returns false.
pub fn reconcile(
    tree: &mut InstanceTree,
    id: Ref,
    snapshot: Option<InstanceSnapshot>,
    patch: &mut AppliedPatch,
) -> bool {
    let Some(instance) = tree.dom().get_by_ref(id) else {
        return false;
    };
    let parent = instance.parent();
    let Some(snapshot) = snapshot else {
        if parent.is_none() {
            return false;
        }
        tree.remove(id);
        patch.removed.push(id);
        return true;
    };

    if snapshot.class_name != instance.class && parent.is_some() {
        // The new instance takes the old one's place among its siblings.
        let siblings = tree
            .dom()
            .get_by_ref(parent)
            .map(|p| p.children().to_vec())
            .unwrap_or_default();
        let after = siblings
            .iter()
            .position(|r| *r == id)
            .map_or(&[][..], |i| &siblings[i + 1..]);
        tree.remove(id);
        patch.removed.push(id);
        add(tree, parent, snapshot, &Ids::default(), patch);
        for sibling in after {
            tree.dom_mut().transfer_within(*sibling, parent);
        }
        return true;
    }

    let matched = pair(tree, id, snapshot);
    let mut ids = Ids::default();
    matched.collect_ids(&mut ids);
    apply(tree, matched, &ids, patch);
    true
}

/// A snapshot paired with the instance it updates.
struct Matched {
    id: Ref,
    snapshot: InstanceSnapshot,
    /// The snapshot's children, in its order.
    children: Vec<Child>,
    /// Children of the instance that the snapshot no longer has.
    removed: Vec<Ref>,
}

enum Child {
    Kept(Matched),
    New(InstanceSnapshot),
}

/// The model-file referents of a snapshot: those of instances that are
/// kept (mapped to their tree referent) and those of instances to be added
/// (which keep theirs).
#[derive(Default)]
struct Ids {
    kept: HashMap<Ref, Ref>,
    added: HashSet<Ref>,
}

impl Matched {
    fn collect_ids(&self, ids: &mut Ids) {
        fn added(snapshot: &InstanceSnapshot, ids: &mut Ids) {
            if snapshot.snapshot_id.is_some() {
                ids.added.insert(snapshot.snapshot_id);
            }
            for child in &snapshot.children {
                added(child, ids);
            }
        }
        if self.snapshot.snapshot_id.is_some() {
            ids.kept.insert(self.snapshot.snapshot_id, self.id);
        }
        for child in &self.children {
            match child {
                Child::Kept(matched) => matched.collect_ids(ids),
                Child::New(snapshot) => added(snapshot, ids),
            }
        }
    }
}

fn pair(tree: &InstanceTree, id: Ref, mut snapshot: InstanceSnapshot) -> Matched {
    let dom = tree.dom();
    let existing: &[Ref] = dom.get_by_ref(id).map(|i| i.children()).unwrap_or_default();
    // Existing children by name, each list in tree order: the n-th snapshot
    // child of a name and class takes the n-th such child.
    let mut by_name: HashMap<&str, Vec<(Ustr, Ref)>> = HashMap::with_capacity(existing.len());
    for child in existing {
        if let Some(instance) = dom.get_by_ref(*child) {
            by_name
                .entry(instance.name.as_str())
                .or_default()
                .push((instance.class, *child));
        }
    }
    let children: Vec<Child> = std::mem::take(&mut snapshot.children)
        .into_iter()
        .map(|child| {
            let kept = by_name.get_mut(child.name.as_str()).and_then(|same_name| {
                let i = same_name
                    .iter()
                    .position(|(class, _)| *class == child.class_name)?;
                Some(same_name.remove(i).1)
            });
            match kept {
                Some(kept) => Child::Kept(pair(tree, kept, child)),
                None => Child::New(child),
            }
        })
        .collect();
    let left: HashSet<Ref> = by_name.into_values().flatten().map(|(_, r)| r).collect();
    let removed = existing
        .iter()
        .copied()
        .filter(|r| left.contains(r))
        .collect();
    Matched {
        id,
        snapshot,
        children,
        removed,
    }
}

fn apply(tree: &mut InstanceTree, matched: Matched, ids: &Ids, patch: &mut AppliedPatch) {
    let Matched {
        id,
        mut snapshot,
        children,
        removed,
    } = matched;
    if snapshot.snapshot_id.is_some() {
        tree.note_model_file_instances();
    }
    snapshot.metadata.ref_attributes = take_ref_attributes(&mut snapshot.properties);
    let managed: HashSet<Ustr> = managed_properties(&snapshot.metadata).collect();
    let mut update = InstanceUpdate::new(id);

    // An instance without metadata (added by a two-way write, not read
    // yet) has the default clients assume for it.
    let old_ignore = tree
        .metadata(id)
        .is_some_and(|m| m.ignore_unknown_instances);
    if old_ignore != snapshot.metadata.ignore_unknown_instances {
        update.changed_ignore_unknown_instances = Some(snapshot.metadata.ignore_unknown_instances);
    }

    // A model file's Ref to something outside it points nowhere, as
    // `refs::clear_dangling_refs` would have it: compared as such, it is
    // not a change.
    for value in snapshot.properties.values_mut() {
        translate_ref(value, &ids.kept);
        if let Variant::Ref(target) = value {
            if target.is_some()
                && !ids.added.contains(target)
                && tree.dom().get_by_ref(*target).is_none()
            {
                *target = Ref::none();
            }
        }
    }
    match tree.metadata(id) {
        Some(old)
            if old.fs_name == snapshot.metadata.fs_name
                && old.specified_id == snapshot.metadata.specified_id =>
        {
            if old.ref_attributes != snapshot.metadata.ref_attributes {
                let id_attribute = |attributes: &[(String, Variant)]| {
                    attributes
                        .iter()
                        .find(|(key, _)| key == crate::snapshot::refs::ID_ATTRIBUTE)
                        .map(|(_, value)| value.clone())
                };
                patch.ref_holders.push(id);
                if id_attribute(&old.ref_attributes)
                    != id_attribute(&snapshot.metadata.ref_attributes)
                {
                    patch.ids_changed = true;
                }
            }
        }
        Some(old) => {
            if old.specified_id != snapshot.metadata.specified_id {
                patch.ids_changed = true;
            }
            if old.ref_attributes != snapshot.metadata.ref_attributes {
                patch.ref_holders.push(id);
                patch.ids_changed = true;
            }
            patch.touch(tree, id);
        }
        // Not read from a file yet (added by a two-way write).
        None => {
            patch.ids_changed = true;
            patch.ref_holders.push(id);
            patch.touch(tree, id);
        }
    }
    if tree
        .dom()
        .get_by_ref(id)
        .is_some_and(|i| i.name != snapshot.name || i.class != snapshot.class_name)
    {
        patch.touch(tree, id);
    }
    if let Some(instance) = tree.dom_mut().get_by_ref_mut(id) {
        if instance.name != snapshot.name {
            instance.name = snapshot.name.clone();
            update.changed_name = Some(snapshot.name.clone());
        }
        if instance.class != snapshot.class_name {
            instance.class = snapshot.class_name;
            update.changed_class_name = Some(snapshot.class_name);
        }
        let stale: Vec<Ustr> = instance
            .properties
            .keys()
            .filter(|k| !managed.contains(*k) && !snapshot.properties.contains_key(*k))
            .copied()
            .collect();
        for key in stale {
            instance.properties.remove(&key);
            update.changed_properties.insert(key, None);
        }
        for (key, value) in std::mem::take(&mut snapshot.properties) {
            if managed.contains(&key) {
                continue;
            }
            if instance.properties.get(&key) != Some(&value) {
                instance.properties.insert(key, value.clone());
                update.changed_properties.insert(key, Some(value));
            }
        }
    }
    tree.set_metadata(id, snapshot.metadata);
    if !update.is_empty() {
        patch.updated.push(update);
    }

    for r in removed {
        tree.remove(r);
        patch.removed.push(r);
    }
    let wanted: Vec<Ref> = children
        .into_iter()
        .map(|child| match child {
            Child::Kept(matched) => {
                let kept = matched.id;
                apply(tree, matched, ids, patch);
                kept
            }
            Child::New(snapshot) => add(tree, id, snapshot, ids, patch),
        })
        .collect();

    // Children in the snapshot's (file-name) order, as a fresh build has
    // them; moving keeps referents.
    let in_order = tree
        .dom()
        .get_by_ref(id)
        .is_none_or(|i| i.children() == wanted.as_slice());
    if !in_order {
        // The first of same-named children is what a path finds, and the
        // first of instances sharing an id (in tree order) what an id finds.
        patch.ref_touched.push(id);
        patch.ids_changed = true;
        for child in wanted {
            tree.dom_mut().transfer_within(child, id);
        }
    }
}

fn add(
    tree: &mut InstanceTree,
    parent: Ref,
    mut snapshot: InstanceSnapshot,
    ids: &Ids,
    patch: &mut AppliedPatch,
) -> Ref {
    translate_refs_deep(&mut snapshot, &ids.kept);
    let referent = tree.insert(parent, snapshot);
    patch.added.push(referent);
    referent
}

fn translate_refs_deep(snapshot: &mut InstanceSnapshot, ids: &HashMap<Ref, Ref>) {
    if !ids.is_empty() {
        for value in snapshot.properties.values_mut() {
            translate_ref(value, ids);
        }
    }
    for child in &mut snapshot.children {
        translate_refs_deep(child, ids);
    }
}

fn translate_ref(value: &mut Variant, ids: &HashMap<Ref, Ref>) {
    if let Variant::Ref(target) = value {
        if let Some(mapped) = ids.get(target) {
            *target = *mapped;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rbx_dom_weak::ustr;

    use super::*;
    use crate::snapshot::InstanceContext;

    fn snap(class: &str, name: &str, children: Vec<InstanceSnapshot>) -> InstanceSnapshot {
        let mut s = InstanceSnapshot::new(class, name, Arc::new(InstanceContext::default()));
        s.children = children;
        s
    }

    fn with_prop(mut s: InstanceSnapshot, key: &str, value: Variant) -> InstanceSnapshot {
        s.properties.insert(ustr(key), value);
        s
    }

    fn child_named(tree: &InstanceTree, parent: Ref, name: &str) -> Ref {
        *tree
            .dom()
            .get_by_ref(parent)
            .unwrap()
            .children()
            .iter()
            .find(|r| tree.dom().get_by_ref(**r).unwrap().name == name)
            .unwrap()
    }

    #[test]
    fn unchanged_snapshot_changes_nothing() {
        let make = || {
            snap(
                "Folder",
                "Root",
                vec![with_prop(
                    snap("ModuleScript", "A", vec![]),
                    "Source",
                    Variant::String("return 1".into()),
                )],
            )
        };
        let mut tree = InstanceTree::new(make());
        let root = tree.root_ref();
        let mut patch = AppliedPatch::default();
        reconcile(&mut tree, root, Some(make()), &mut patch);
        assert!(patch.is_empty(), "{patch:?}");
    }

    #[test]
    fn edited_property_is_an_update_that_keeps_the_referent() {
        let mut tree = InstanceTree::new(snap(
            "Folder",
            "Root",
            vec![with_prop(
                snap("ModuleScript", "A", vec![]),
                "Source",
                Variant::String("return 1".into()),
            )],
        ));
        let root = tree.root_ref();
        let a = child_named(&tree, root, "A");
        let mut patch = AppliedPatch::default();
        let new = snap(
            "Folder",
            "Root",
            vec![with_prop(
                snap("ModuleScript", "A", vec![]),
                "Source",
                Variant::String("return 2".into()),
            )],
        );
        reconcile(&mut tree, root, Some(new), &mut patch);
        assert!(patch.added.is_empty() && patch.removed.is_empty());
        assert_eq!(patch.updated.len(), 1);
        assert_eq!(patch.updated[0].id, a);
        assert_eq!(
            patch.updated[0].changed_properties.get(&ustr("Source")),
            Some(&Some(Variant::String("return 2".into())))
        );
        assert_eq!(child_named(&tree, root, "A"), a);
    }

    #[test]
    fn class_change_is_remove_and_add() {
        let mut tree = InstanceTree::new(snap("Folder", "Root", vec![snap("Script", "A", vec![])]));
        let root = tree.root_ref();
        let a = child_named(&tree, root, "A");
        let mut patch = AppliedPatch::default();
        reconcile(
            &mut tree,
            root,
            Some(snap(
                "Folder",
                "Root",
                vec![snap("LocalScript", "A", vec![])],
            )),
            &mut patch,
        );
        assert_eq!(patch.removed, vec![a]);
        assert_eq!(patch.added.len(), 1);
        let new_a = child_named(&tree, root, "A");
        assert_eq!(tree.dom().get_by_ref(new_a).unwrap().class, "LocalScript");
    }

    #[test]
    fn removed_property_and_child_are_reported() {
        let mut tree = InstanceTree::new(with_prop(
            snap("Folder", "Root", vec![snap("Folder", "Gone", vec![])]),
            "Tags",
            Variant::Tags(vec!["x".to_owned()].into()),
        ));
        let root = tree.root_ref();
        let gone = child_named(&tree, root, "Gone");
        let mut patch = AppliedPatch::default();
        reconcile(
            &mut tree,
            root,
            Some(snap("Folder", "Root", vec![])),
            &mut patch,
        );
        assert_eq!(patch.removed, vec![gone]);
        assert_eq!(
            patch.updated[0].changed_properties.get(&ustr("Tags")),
            Some(&None)
        );
        assert!(tree.dom().get_by_ref(gone).is_none());
        assert!(tree.metadata(gone).is_none());
    }

    #[test]
    fn root_cannot_be_removed() {
        let mut tree = InstanceTree::new(snap("Folder", "Root", vec![]));
        let root = tree.root_ref();
        let mut patch = AppliedPatch::default();
        assert!(!reconcile(&mut tree, root, None, &mut patch));
        assert!(patch.is_empty());
    }

    #[test]
    fn model_file_refs_are_translated_to_kept_instances() {
        let target_id = Ref::new();
        let mut target = snap("Part", "Target", vec![]);
        target.snapshot_id = target_id;
        let mut model = with_prop(
            snap("Model", "M", vec![target]),
            "PrimaryPart",
            Variant::Ref(target_id),
        );
        model.snapshot_id = Ref::new();
        let mut tree = InstanceTree::new(snap("Folder", "Root", vec![model]));
        let root = tree.root_ref();
        let m = child_named(&tree, root, "M");
        let kept_target = child_named(&tree, m, "Target");

        // A fresh read of the file decodes fresh referents.
        let fresh_id = Ref::new();
        let mut target = snap("Part", "Target", vec![]);
        target.snapshot_id = fresh_id;
        let mut model = with_prop(
            snap("Model", "M", vec![target]),
            "PrimaryPart",
            Variant::Ref(fresh_id),
        );
        model.snapshot_id = Ref::new();
        let mut patch = AppliedPatch::default();
        reconcile(&mut tree, m, Some(model), &mut patch);
        assert!(patch.is_empty(), "{patch:?}");
        assert_eq!(
            tree.dom()
                .get_by_ref(m)
                .unwrap()
                .properties
                .get(&ustr("PrimaryPart")),
            Some(&Variant::Ref(kept_target))
        );
    }

    #[test]
    fn a_model_file_ref_to_outside_the_file_is_not_a_change_every_time() {
        let make = || {
            let mut model = with_prop(
                snap("ObjectValue", "Pointer", vec![]),
                "Value",
                Variant::Ref(Ref::new()),
            );
            model.snapshot_id = Ref::new();
            model
        };
        let mut tree = InstanceTree::new(snap("Folder", "Root", vec![make()]));
        crate::snapshot::refs::resolve_refs(&mut tree);
        let root = tree.root_ref();
        let pointer = child_named(&tree, root, "Pointer");
        let mut patch = AppliedPatch::default();
        reconcile(&mut tree, pointer, Some(make()), &mut patch);
        let (changes, _) = crate::snapshot::refs::refresh_refs(&mut tree);
        patch.finish(&tree, changes);
        assert!(patch.is_empty(), "{patch:?}");
    }

    #[test]
    fn added_children_take_their_place_in_file_order() {
        let mut tree = InstanceTree::new(snap(
            "Folder",
            "Root",
            vec![snap("Folder", "a", vec![]), snap("Folder", "c", vec![])],
        ));
        let root = tree.root_ref();
        let (a, c) = (child_named(&tree, root, "a"), child_named(&tree, root, "c"));
        let mut patch = AppliedPatch::default();
        reconcile(
            &mut tree,
            root,
            Some(snap(
                "Folder",
                "Root",
                vec![
                    snap("Folder", "a", vec![]),
                    snap("Folder", "b", vec![]),
                    snap("Folder", "c", vec![]),
                ],
            )),
            &mut patch,
        );
        let b = child_named(&tree, root, "b");
        assert_eq!(tree.dom().get_by_ref(root).unwrap().children(), &[a, b, c]);
        assert_eq!(patch.added, vec![b]);
    }
}
