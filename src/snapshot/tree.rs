//! `InstanceTree`: an `rbx_dom_weak` tree plus the metadata of each instance.
//!
//! Every instance entering the tree gives up its reference attributes
//! (`Rojo_Ref_*`, `Rojo_Target_*`, `Rojo_Id`): they move into its metadata,
//! where [`super::refs`] reads them, and never reach the DOM. The dev server
//! keeps them there so it can resolve references again after every change.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, InstanceBuilder, UstrMap, WeakDom};

use super::ref_reads::RefReads;
use super::refs::is_reference_attribute;
use super::{InstanceMetadata, InstanceSnapshot};

pub struct InstanceTree {
    dom: WeakDom,
    metadata: HashMap<Ref, InstanceMetadata>,
    /// True once an instance read from a model file was added: its Ref
    /// properties may point outside the tree.
    model_file_instances: bool,
    /// The instances whose metadata holds reference attributes: what
    /// [`super::refs::refresh_refs`] resolves, without walking the tree.
    ref_holders: HashSet<Ref>,
    /// What each holder's references read when they were last resolved.
    ref_reads: RefReads,
    /// Which instances each path affects, kept only when asked for
    /// ([`InstanceTree::enable_path_index`]); the dev server needs it.
    path_index: Option<PathIndex>,
}

/// Path → the instances whose `relevant_paths` hold it.
#[derive(Debug, Default)]
pub struct PathIndex {
    by_path: HashMap<PathBuf, Vec<Ref>>,
}

impl PathIndex {
    /// Every path some instance depends on.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.by_path.keys().map(PathBuf::as_path)
    }

    pub fn get(&self, path: &Path) -> &[Ref] {
        self.by_path.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    fn add(&mut self, referent: Ref, metadata: &InstanceMetadata) {
        for path in &metadata.relevant_paths {
            let refs = self.by_path.entry(path.clone()).or_default();
            if !refs.contains(&referent) {
                refs.push(referent);
            }
        }
    }

    fn remove(&mut self, referent: Ref, metadata: &InstanceMetadata) {
        for path in &metadata.relevant_paths {
            if let Some(refs) = self.by_path.get_mut(path) {
                refs.retain(|r| *r != referent);
                if refs.is_empty() {
                    self.by_path.remove(path);
                }
            }
        }
    }
}

impl InstanceTree {
    /// Builds the tree described by `root`.
    pub fn new(mut root: InstanceSnapshot) -> InstanceTree {
        let count = root.count();
        let children = std::mem::take(&mut root.children);
        let mut metadata = HashMap::with_capacity(count);
        let mut model_file_instances = false;
        let mut ref_holders = HashSet::new();
        let root_builder = to_builder(
            root,
            &mut metadata,
            &mut model_file_instances,
            &mut ref_holders,
        );
        let mut dom = WeakDom::new(root_builder);
        dom.reserve(count);
        let root_ref = dom.root_ref();
        let mut tree = InstanceTree {
            dom,
            metadata,
            model_file_instances,
            ref_holders,
            ref_reads: RefReads::default(),
            path_index: None,
        };
        for child in children {
            tree.insert(root_ref, child);
        }
        tree
    }

    /// Starts keeping a [`PathIndex`] (from now on, for every change).
    pub fn enable_path_index(&mut self) {
        let mut index = PathIndex::default();
        for (referent, metadata) in &self.metadata {
            index.add(*referent, metadata);
        }
        self.path_index = Some(index);
    }

    pub fn path_index(&self) -> Option<&PathIndex> {
        self.path_index.as_ref()
    }

    /// Adds `snapshot` as a new child of `parent`; returns its referent.
    pub fn insert(&mut self, parent: Ref, snapshot: InstanceSnapshot) -> Ref {
        let builder = to_builder(
            snapshot,
            &mut self.metadata,
            &mut self.model_file_instances,
            &mut self.ref_holders,
        );
        let referent = self.dom.insert(parent, builder);
        if let Some(index) = &mut self.path_index {
            for instance in self.dom.descendants_of(referent) {
                if let Some(metadata) = self.metadata.get(&instance.referent()) {
                    index.add(instance.referent(), metadata);
                }
            }
        }
        referent
    }

    /// Removes `referent` and everything under it.
    pub fn remove(&mut self, referent: Ref) {
        let subtree: Vec<Ref> = self
            .dom
            .descendants_of(referent)
            .map(|i| i.referent())
            .collect();
        for r in subtree {
            self.forget(r);
        }
        self.dom.destroy(referent);
    }

    /// Drops the metadata of instances no longer in the DOM (after the DOM
    /// was changed directly, through [`InstanceTree::dom_mut`]).
    pub fn forget_missing(&mut self) {
        let dom = &self.dom;
        let gone: Vec<Ref> = self
            .metadata
            .keys()
            .filter(|r| dom.get_by_ref(**r).is_none())
            .copied()
            .collect();
        for r in gone {
            self.forget(r);
        }
    }

    /// Drops the metadata of `referent` and its entries in the indexes.
    fn forget(&mut self, referent: Ref) {
        self.ref_holders.remove(&referent);
        self.ref_reads.forget(referent);
        if let Some(metadata) = self.metadata.remove(&referent) {
            if let Some(index) = &mut self.path_index {
                index.remove(referent, &metadata);
            }
        }
    }

    /// Replaces the metadata of `referent`.
    pub fn set_metadata(&mut self, referent: Ref, metadata: InstanceMetadata) {
        if let Some(index) = &mut self.path_index {
            if let Some(old) = self.metadata.get(&referent) {
                index.remove(referent, old);
            }
            index.add(referent, &metadata);
        }
        if metadata.ref_attributes.is_empty() {
            self.ref_holders.remove(&referent);
            self.ref_reads.forget(referent);
        } else {
            self.ref_holders.insert(referent);
        }
        self.metadata.insert(referent, metadata);
    }

    /// The instances holding reference attributes, in no particular order.
    pub fn ref_holders(&self) -> impl Iterator<Item = Ref> + '_ {
        self.ref_holders.iter().copied()
    }

    pub fn is_ref_holder(&self, referent: Ref) -> bool {
        self.ref_holders.contains(&referent)
    }

    pub fn ref_reads(&self) -> &RefReads {
        &self.ref_reads
    }

    pub(crate) fn ref_reads_mut(&mut self) -> &mut RefReads {
        &mut self.ref_reads
    }

    pub fn has_model_file_instances(&self) -> bool {
        self.model_file_instances
    }

    pub(crate) fn note_model_file_instances(&mut self) {
        self.model_file_instances = true;
    }

    pub fn dom(&self) -> &WeakDom {
        &self.dom
    }

    pub fn dom_mut(&mut self) -> &mut WeakDom {
        &mut self.dom
    }

    pub fn root_ref(&self) -> Ref {
        self.dom.root_ref()
    }

    pub fn metadata(&self, referent: Ref) -> Option<&InstanceMetadata> {
        self.metadata.get(&referent)
    }

    pub fn into_dom(self) -> WeakDom {
        self.dom
    }

    pub fn len(&self) -> usize {
        self.metadata.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metadata.is_empty()
    }
}

/// Takes the reference attributes out of `properties` (dropping
/// `Attributes` if nothing else is left in it), sorted by key.
pub(crate) fn take_ref_attributes(properties: &mut UstrMap<Variant>) -> Vec<(String, Variant)> {
    let key = ustr("Attributes");
    let Some(Variant::Attributes(attributes)) = properties.get_mut(&key) else {
        return Vec::new();
    };
    let special: Vec<String> = attributes
        .iter()
        .map(|(k, _)| k)
        .filter(|k| is_reference_attribute(k))
        .cloned()
        .collect();
    if special.is_empty() {
        return Vec::new();
    }
    let mut taken = Vec::with_capacity(special.len());
    for name in special {
        if let Some(value) = attributes.remove(name.as_str()) {
            taken.push((name, value));
        }
    }
    if attributes.is_empty() {
        properties.remove(&key);
    }
    taken.sort_by(|a, b| a.0.cmp(&b.0));
    taken
}

fn to_builder(
    mut snapshot: InstanceSnapshot,
    metadata: &mut HashMap<Ref, InstanceMetadata>,
    from_model_file: &mut bool,
    ref_holders: &mut HashSet<Ref>,
) -> InstanceBuilder {
    snapshot.metadata.ref_attributes = take_ref_attributes(&mut snapshot.properties);
    let mut builder =
        InstanceBuilder::with_property_capacity(snapshot.class_name, snapshot.properties.len())
            .with_name(snapshot.name)
            .with_properties(snapshot.properties);
    // Keep the referent a model file gave the instance, so Ref properties
    // inside that file still point at it. Each read of a file decodes fresh
    // referents, so they only clash if a snapshot is inserted twice.
    if snapshot.snapshot_id.is_some() {
        *from_model_file = true;
        if !metadata.contains_key(&snapshot.snapshot_id) {
            builder = builder.with_referent(snapshot.snapshot_id);
        }
    }
    if !snapshot.metadata.ref_attributes.is_empty() {
        ref_holders.insert(builder.referent());
    }
    metadata.insert(builder.referent(), snapshot.metadata);
    for child in snapshot.children {
        builder.add_child(to_builder(child, metadata, from_model_file, ref_holders));
    }
    builder
}
