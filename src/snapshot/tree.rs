//! `InstanceTree`: an `rbx_dom_weak` tree plus the metadata of each instance.

use std::collections::{HashMap, HashSet};

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

use super::{InstanceMetadata, InstanceSnapshot};

pub struct InstanceTree {
    dom: WeakDom,
    metadata: HashMap<Ref, InstanceMetadata>,
}

impl InstanceTree {
    /// Builds the tree described by `root`.
    pub fn new(root: InstanceSnapshot) -> InstanceTree {
        let mut metadata = HashMap::with_capacity(root.count());
        let mut used = HashSet::new();
        let builder = to_builder(root, &mut metadata, &mut used);
        InstanceTree {
            dom: WeakDom::new(builder),
            metadata,
        }
    }

    /// Adds `snapshot` as a new child of `parent`; returns its referent.
    pub fn insert(&mut self, parent: Ref, snapshot: InstanceSnapshot) -> Ref {
        let mut used: HashSet<Ref> = self.metadata.keys().copied().collect();
        let builder = to_builder(snapshot, &mut self.metadata, &mut used);
        self.dom.insert(parent, builder)
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
    used: &mut HashSet<Ref>,
) -> InstanceBuilder {
    let mut builder = InstanceBuilder::with_property_capacity(snapshot.class_name, snapshot.properties.len())
        .with_name(snapshot.name)
        .with_properties(snapshot.properties);
    // Keep the referent a model file gave the instance, so Ref properties
    // inside that file still point at it; a file read twice gets fresh ones.
    if snapshot.snapshot_id.is_some() && used.insert(snapshot.snapshot_id) {
        builder = builder.with_referent(snapshot.snapshot_id);
    } else {
        used.insert(builder.referent());
    }
    metadata.insert(builder.referent(), snapshot.metadata);
    for child in snapshot.children {
        builder.add_child(to_builder(child, metadata, used));
    }
    builder
}
