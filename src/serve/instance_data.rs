//! What clients are told about instances, taken from the tree at one moment.
//!
//! The session copies instance data out of the tree while it holds the lock
//! (for a read, or when a patch is applied), so messages stay true to the
//! moment they describe, whatever happens to the tree later. `web/` turns
//! these into the wire format.

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Ustr, UstrMap};

use crate::snapshot::patch::{AppliedPatch, InstanceUpdate};
use crate::snapshot::InstanceTree;

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceData {
    pub id: Ref,
    pub parent: Ref,
    pub name: String,
    pub class_name: Ustr,
    pub properties: UstrMap<Variant>,
    pub children: Vec<Ref>,
    pub ignore_unknown_instances: bool,
}

impl InstanceData {
    pub fn from_tree(tree: &InstanceTree, id: Ref) -> Option<InstanceData> {
        let instance = tree.dom().get_by_ref(id)?;
        Some(InstanceData {
            id,
            parent: instance.parent(),
            name: instance.name.clone(),
            class_name: instance.class,
            properties: instance.properties.clone(),
            children: instance.children().to_vec(),
            ignore_unknown_instances: tree
                .metadata(id)
                .is_some_and(|m| m.ignore_unknown_instances),
        })
    }

    /// `id` and everything under it, parents before children.
    pub fn subtree(tree: &InstanceTree, id: Ref) -> Vec<InstanceData> {
        tree.dom()
            .descendants_of(id)
            .filter_map(|i| InstanceData::from_tree(tree, i.referent()))
            .collect()
    }
}

/// One batch of changes, as clients see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchMessage {
    pub removed: Vec<Ref>,
    /// Every added instance, subtrees expanded, parents first.
    pub added: Vec<InstanceData>,
    pub updated: Vec<InstanceUpdate>,
}

impl PatchMessage {
    pub fn new(tree: &InstanceTree, patch: AppliedPatch) -> PatchMessage {
        PatchMessage {
            removed: patch.removed,
            added: patch
                .added
                .iter()
                .flat_map(|r| InstanceData::subtree(tree, *r))
                .collect(),
            updated: patch.updated,
        }
    }
}
