//! Places in and out of the harness's DataModel, and what
//! `SerializationService:SerializeInstancesAsync` does in Studio.

use lune_roblox::document::{Document, DocumentFormat, DocumentKind};
use lune_roblox::instance::Instance;
use std::collections::HashMap;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

/// A DataModel holding `place`'s services (the place's root children).
pub fn load_place(place: WeakDom) -> Instance {
    Document::from((DocumentKind::Place, DocumentFormat::Binary, place))
        .into_data_model_instance()
        .expect("a place document")
}

/// The DataModel as a place file holds it, read back into a DOM (root =
/// DataModel holding the services): what Studio would save.
pub fn export_place(game: Instance) -> WeakDom {
    let bytes = Document::from_data_model_instance(game)
        .and_then(|d| d.to_bytes_with_format(DocumentFormat::Binary))
        .expect("the DataModel encodes");
    atlas::dom_file::read(&bytes, atlas::dom_file::Encoding::Binary).expect("the place decodes")
}

/// A binary model of `instances` (and their descendants), as
/// `SerializeInstancesAsync` makes it: Refs between serialized instances
/// are kept, Refs to anything else become nil. The instances may live in
/// different DOMs (a new, unparented instance lives in lune's scratch DOM).
pub fn serialize(instances: &[Instance]) -> Result<Vec<u8>, String> {
    let mut out = WeakDom::new(InstanceBuilder::new("DataModel"));
    let root = out.root_ref();
    let mut new_of: HashMap<Ref, Ref> = HashMap::new();
    let mut roots = Vec::new();
    for instance in instances {
        let referent = instance.dom_ref;
        let copied =
            instance.with_dom(|dom| copy_subtree(dom, referent, &mut out, root, &mut new_of));
        roots.push(copied.ok_or("an instance is not in its DOM")?);
    }
    let copies: Vec<Ref> = new_of.values().copied().collect();
    for copy in copies {
        let Some(instance) = out.get_by_ref_mut(copy) else {
            continue;
        };
        for value in instance.properties.values_mut() {
            if let Variant::Ref(target) = value {
                *target = new_of.get(target).copied().unwrap_or_else(Ref::none);
            }
        }
    }
    // Studio writes every CFrame exactly, as Atlas's binary output does.
    let mut bytes = Vec::new();
    atlas::dom_file::write(&mut bytes, &out, &roots, atlas::dom_file::Encoding::Binary)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn copy_subtree(
    dom: &WeakDom,
    referent: Ref,
    out: &mut WeakDom,
    parent: Ref,
    new_of: &mut HashMap<Ref, Ref>,
) -> Option<Ref> {
    let instance = dom.get_by_ref(referent)?;
    let copy = out.insert(
        parent,
        InstanceBuilder::new(instance.class)
            .with_name(instance.name.as_str())
            .with_properties(instance.properties.iter().map(|(k, v)| (*k, v.clone()))),
    );
    new_of.insert(referent, copy);
    for child in instance.children() {
        copy_subtree(dom, *child, out, copy, new_of);
    }
    Some(copy)
}
