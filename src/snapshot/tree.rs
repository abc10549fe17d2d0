//! `InstanceTree`: an `rbx_dom_weak` tree plus the metadata of each instance.

use std::collections::HashMap;

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

use super::{InstanceMetadata, InstanceSnapshot};

pub struct InstanceTree {
    dom: WeakDom,
    metadata: HashMap<Ref, InstanceMetadata>,
    /// True once an instance read from a model file was added: its Ref
    /// properties may point outside the tree.
    model_file_instances: bool,
}

impl InstanceTree {
    /// Builds the tree described by `root`.
    pub fn new(mut root: InstanceSnapshot) -> InstanceTree {
        let count = root.count();
        let children = std::mem::take(&mut root.children);
        let mut metadata = HashMap::with_capacity(count);
        let mut model_file_instances = false;
        let root_builder = to_builder(root, &mut metadata, &mut model_file_instances);
        let mut dom = WeakDom::new(root_builder);
        dom.reserve(count);
        let root_ref = dom.root_ref();
        let mut tree = InstanceTree {
            dom,
            metadata,
            model_file_instances,
        };
        for child in children {
            tree.insert(root_ref, child);
        }
        tree
    }

    /// Adds `snapshot` as a new child of `parent`; returns its referent.
    pub fn insert(&mut self, parent: Ref, snapshot: InstanceSnapshot) -> Ref {
        let builder = to_builder(snapshot, &mut self.metadata, &mut self.model_file_instances);
        self.dom.insert(parent, builder)
    }

    pub fn has_model_file_instances(&self) -> bool {
        self.model_file_instances
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

fn to_builder(
    snapshot: InstanceSnapshot,
    metadata: &mut HashMap<Ref, InstanceMetadata>,
    from_model_file: &mut bool,
) -> InstanceBuilder {
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
    metadata.insert(builder.referent(), snapshot.metadata);
    for child in snapshot.children {
        builder.add_child(to_builder(child, metadata, from_model_file));
    }
    builder
}
