//! `.rbxm` / `.rbxmx` files: one instance (and its descendants) in Roblox's
//! own model format. The file name gives the instance its name, and Ref
//! properties between instances of the file are kept.

use std::collections::HashMap;
use std::sync::Arc;

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{Instance, WeakDom};

use super::{FileInput, SnapshotError, SnapshotResult};
use crate::dom_file::{self, Encoding};
use crate::project::Middleware;
use crate::snapshot::{InstanceContext, InstanceSnapshot};

pub fn snapshot(input: &FileInput, middleware: Middleware) -> SnapshotResult {
    let bytes = input.read()?;
    let encoding = if middleware == Middleware::Rbxmx {
        Encoding::Xml
    } else {
        Encoding::Binary
    };
    let dom = dom_file::read(&bytes, encoding)
        .map_err(|e| SnapshotError::file(input.path, e.to_string()))?;
    let top_level = dom.root().children().len();
    if top_level != 1 {
        return Err(SnapshotError::file(
            input.path,
            format!("a model file must hold exactly one top-level instance, but this one holds {top_level}"),
        ));
    }
    let top = dom.root().children()[0];
    let mut snapshot = snapshot_from_dom(dom, top, input.context);
    snapshot.name = input.name.to_owned();
    snapshot.metadata = input.metadata();
    Ok(Some(snapshot))
}

/// Turns the subtree under `top` into snapshots, keeping each instance's
/// referent as its `snapshot_id` so Ref properties inside the file hold.
pub fn snapshot_from_dom(
    dom: WeakDom,
    top: Ref,
    context: &Arc<InstanceContext>,
) -> InstanceSnapshot {
    let (_, mut instances) = dom.into_raw();
    let mut instances: HashMap<Ref, Instance> = instances.drain().collect();
    take(&mut instances, top, context)
}

fn take(
    instances: &mut HashMap<Ref, Instance>,
    referent: Ref,
    context: &Arc<InstanceContext>,
) -> InstanceSnapshot {
    let instance = instances.remove(&referent);
    let Some(instance) = instance else {
        return InstanceSnapshot::new("Folder", "", context.clone());
    };
    let children: Vec<Ref> = instance.children().to_vec();
    let mut snapshot = InstanceSnapshot::new(instance.class, instance.name, context.clone());
    snapshot.snapshot_id = referent;
    snapshot.properties = instance.properties;
    snapshot.children = children
        .into_iter()
        .map(|child| take(instances, child, context))
        .collect();
    snapshot
}
