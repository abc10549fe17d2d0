//! A place split into service chunks: how the Studio plugin sends the whole
//! DataModel for live syncback, both directions.
//!
//! Studio can serialize instances but not services, so the plugin sends:
//! - one binary model (`data`) holding, service after service, each
//!   service's children followed by its *carriers*: ObjectValues whose
//!   `Value` is the target of one of the service's Ref properties;
//! - per service, a [`ServiceChunk`]: its class, how many children and
//!   carriers it has in `data`, its other properties, and which carrier
//!   (1-based) holds each Ref property.
//!
//! [`reconstruct`] turns that back into a DataModel, checking the layout
//! first (counts that overrun the data or leave instances unused are an
//! error naming the service). Instances move from the decoded model into
//! the place with their referents, so Ref properties between chunks keep
//! pointing at the right instance. Visible services the plugin did not send
//! are created empty by syncback itself (`prepare`), for a place file and a
//! live syncback alike. [`split`] does what the plugin does, for tests and
//! benchmarks.

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, InstanceBuilder, Ustr, UstrMap, WeakDom};

use super::VISIBLE_SERVICES;
use crate::dom_file::{self, Encoding};
use crate::reflection;

/// One service of a live syncback request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceChunk {
    pub class_name: String,
    /// The service's children: the next `child_count` instances of `data`.
    pub child_count: u32,
    /// Then this many carriers.
    pub ref_target_count: u32,
    /// The service's properties, Ref properties excepted.
    pub properties: UstrMap<Variant>,
    /// Ref property → 1-based index of the carrier holding its target.
    pub refs: Vec<(String, u32)>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChunkError {
    #[error("the data is not a binary model file: {0}")]
    Data(String),
    #[error("service #{index} `{class}` is not a service Atlas knows")]
    NotAService { index: usize, class: String },
    #[error("service {class} is sent twice")]
    Duplicate { class: String },
    #[error("service {class} claims {children} children and {carriers} reference carriers, but only {remaining} instances are left in the data")]
    Overrun {
        class: String,
        children: u32,
        carriers: u32,
        remaining: usize,
    },
    #[error("the services account for {used} instances, but the data holds {total}")]
    Unused { used: usize, total: usize },
    #[error("service {class}: refs.{property} is not a reference property of {class}")]
    NotARef { class: String, property: String },
    #[error("service {class}: reference carrier {index} is a {found}, not an ObjectValue")]
    BadCarrier {
        class: String,
        index: u32,
        found: String,
    },
}

/// Rebuilds the DataModel the plugin split into `data` and `services`.
pub fn reconstruct(data: &[u8], services: &[ServiceChunk]) -> Result<WeakDom, ChunkError> {
    let mut blob = if data.is_empty() {
        WeakDom::new(InstanceBuilder::new("DataModel"))
    } else {
        dom_file::read(data, Encoding::Binary).map_err(|e| ChunkError::Data(e.to_string()))?
    };
    let items: Vec<Ref> = blob.root().children().to_vec();

    // Check the whole layout before building anything.
    let mut cursor = 0usize;
    let mut seen: Vec<&str> = Vec::new();
    for (index, chunk) in services.iter().enumerate() {
        if !reflection::is_service(&chunk.class_name) {
            return Err(ChunkError::NotAService {
                index: index + 1,
                class: chunk.class_name.clone(),
            });
        }
        if seen.contains(&chunk.class_name.as_str()) {
            return Err(ChunkError::Duplicate {
                class: chunk.class_name.clone(),
            });
        }
        seen.push(&chunk.class_name);
        for (property, _) in &chunk.refs {
            let is_ref = reflection::property_of(ustr(&chunk.class_name), ustr(property))
                .is_some_and(|p| {
                    matches!(
                        p.data_type,
                        rbx_reflection::DataType::Value(rbx_dom_weak::types::VariantType::Ref)
                    )
                });
            if !is_ref {
                return Err(ChunkError::NotARef {
                    class: chunk.class_name.clone(),
                    property: property.clone(),
                });
            }
        }
        let wanted = chunk.child_count as usize + chunk.ref_target_count as usize;
        let remaining = items.len() - cursor;
        if wanted > remaining {
            return Err(ChunkError::Overrun {
                class: chunk.class_name.clone(),
                children: chunk.child_count,
                carriers: chunk.ref_target_count,
                remaining,
            });
        }
        let carriers = &items[cursor + chunk.child_count as usize..cursor + wanted];
        for (i, carrier) in carriers.iter().enumerate() {
            let class = blob
                .get_by_ref(*carrier)
                .map(|c| c.class.as_str())
                .unwrap_or("?");
            if class != "ObjectValue" {
                return Err(ChunkError::BadCarrier {
                    class: chunk.class_name.clone(),
                    index: i as u32 + 1,
                    found: class.to_owned(),
                });
            }
        }
        cursor += wanted;
    }
    if cursor != items.len() {
        return Err(ChunkError::Unused {
            used: cursor,
            total: items.len(),
        });
    }

    let mut place = WeakDom::new(InstanceBuilder::new("DataModel").with_name("Game"));
    let root = place.root_ref();
    let mut cursor = 0usize;
    let mut doomed = Vec::new();
    for chunk in services {
        let class = ustr(&chunk.class_name);
        let properties = chunk
            .properties
            .iter()
            .filter(|(name, _)| keeps_property(class, **name))
            .map(|(name, value)| (*name, value.clone()));
        let service = place.insert(
            root,
            InstanceBuilder::new(class)
                .with_name(chunk.class_name.as_str())
                .with_properties(properties),
        );
        for item in &items[cursor..cursor + chunk.child_count as usize] {
            blob.transfer(*item, &mut place, service);
        }
        cursor += chunk.child_count as usize;
        let carriers = &items[cursor..cursor + chunk.ref_target_count as usize];
        cursor += chunk.ref_target_count as usize;
        for (property, index) in &chunk.refs {
            let Some(carrier) = (*index as usize)
                .checked_sub(1)
                .and_then(|i| carriers.get(i))
            else {
                continue;
            };
            let target = match blob
                .get_by_ref(*carrier)
                .and_then(|c| c.properties.get(&ustr("Value")))
            {
                Some(Variant::Ref(target)) => *target,
                _ => Ref::none(),
            };
            if let Some(service) = place.get_by_ref_mut(service) {
                service
                    .properties
                    .insert(ustr(property), Variant::Ref(target));
            }
        }
        doomed.extend_from_slice(carriers);
    }
    for carrier in doomed {
        blob.destroy(carrier);
    }
    // A Ref to a carrier, or to something not sent, points nowhere.
    let dangling: Vec<(Ref, Ustr)> = place
        .descendants()
        .flat_map(|i| {
            i.properties.iter().filter_map(move |(k, v)| match v {
                Variant::Ref(t) if t.is_some() => Some((i.referent(), *k, *t)),
                _ => None,
            })
        })
        .filter(|(_, _, target)| place.get_by_ref(*target).is_none())
        .map(|(r, k, _)| (r, k))
        .collect();
    for (referent, key) in dangling {
        if let Some(instance) = place.get_by_ref_mut(referent) {
            instance.properties.insert(key, Variant::Ref(Ref::none()));
        }
    }
    Ok(place)
}

/// A service property worth keeping: one the engine saves in a place file
/// (or one Atlas does not know, which syncback then judges).
fn keeps_property(class: Ustr, property: Ustr) -> bool {
    match reflection::property_of(class, property) {
        Some(descriptor) => matches!(
            descriptor.kind,
            rbx_reflection::PropertyKind::Canonical {
                serialization: rbx_reflection::PropertySerialization::Serializes
                    | rbx_reflection::PropertySerialization::SerializesAs(_)
            }
        ),
        None => true,
    }
}

/// Splits a place the way the plugin does: the visible services present,
/// in the order of [`VISIBLE_SERVICES`].
pub fn split(place: &WeakDom) -> Result<(Vec<u8>, Vec<ServiceChunk>), String> {
    let mut blob = WeakDom::new(InstanceBuilder::new("DataModel"));
    let blob_root = blob.root_ref();
    let mut chunks = Vec::new();
    let mut items: Vec<Ref> = Vec::new();

    // Work on a copy that keeps referents, so references survive the move.
    let roots: Vec<Ref> = place.root().children().to_vec();
    let mut copy = clone_keeping_refs(place);

    for name in VISIBLE_SERVICES {
        let Some(service) = roots
            .iter()
            .copied()
            .find(|r| place.get_by_ref(*r).is_some_and(|s| s.class == name))
        else {
            continue;
        };
        let Some(instance) = place.get_by_ref(service) else {
            continue;
        };
        let mut chunk = ServiceChunk {
            class_name: name.to_owned(),
            ..ServiceChunk::default()
        };
        let mut carriers = Vec::new();
        let mut properties: Vec<(&Ustr, &Variant)> = instance.properties.iter().collect();
        properties.sort_by_key(|(k, _)| k.as_str());
        for (key, value) in properties {
            match value {
                Variant::Ref(target) => {
                    if target.is_some() {
                        carriers.push(*target);
                        chunk.refs.push((key.to_string(), carriers.len() as u32));
                    }
                }
                other => {
                    chunk.properties.insert(*key, other.clone());
                }
            }
        }
        for child in instance.children() {
            copy.transfer(*child, &mut blob, blob_root);
            items.push(*child);
        }
        chunk.child_count = instance.children().len() as u32;
        for target in carriers {
            let carrier = blob.insert(
                blob_root,
                InstanceBuilder::new("ObjectValue")
                    .with_name("Target")
                    .with_property("Value", Variant::Ref(target)),
            );
            items.push(carrier);
        }
        chunk.ref_target_count = chunk.refs.len() as u32;
        chunks.push(chunk);
    }
    let mut data = Vec::new();
    dom_file::write(&mut data, &blob, &items, Encoding::Binary).map_err(|e| e.to_string())?;
    Ok((data, chunks))
}

/// A copy of `dom` whose instances keep their referents.
fn clone_keeping_refs(dom: &WeakDom) -> WeakDom {
    fn builder(dom: &WeakDom, referent: Ref) -> InstanceBuilder {
        let instance = dom.get_by_ref(referent).expect("a referent of the tree");
        let mut b = InstanceBuilder::new(instance.class)
            .with_referent(referent)
            .with_name(instance.name.clone())
            .with_properties(instance.properties.clone());
        for child in instance.children() {
            b.add_child(builder(dom, *child));
        }
        b
    }
    WeakDom::new(builder(dom, dom.root_ref()))
}

#[cfg(test)]
mod tests {
    use rbx_dom_weak::types::Color3uint8;

    use super::*;

    fn child(dom: &WeakDom, parent: Ref, name: &str) -> Ref {
        *dom.get_by_ref(parent)
            .unwrap()
            .children()
            .iter()
            .find(|r| dom.get_by_ref(**r).unwrap().name == name)
            .unwrap_or_else(|| panic!("no child {name}"))
    }

    fn sample() -> WeakDom {
        let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
        let root = dom.root_ref();
        let lamp = InstanceBuilder::new("Part")
            .with_name("Lamp")
            .with_property("Color", Color3uint8::new(1, 2, 3));
        let lamp_ref = lamp.referent();
        dom.insert(
            root,
            InstanceBuilder::new("Workspace")
                .with_name("Workspace")
                .with_property("PrimaryPart", Variant::Ref(lamp_ref))
                .with_property("Gravity", 50.0f32)
                .with_child(lamp),
        );
        dom.insert(
            root,
            InstanceBuilder::new("ReplicatedStorage")
                .with_name("ReplicatedStorage")
                .with_child(
                    InstanceBuilder::new("ObjectValue")
                        .with_name("Pointer")
                        .with_property("Value", Variant::Ref(lamp_ref)),
                ),
        );
        dom.insert(
            root,
            InstanceBuilder::new("Lighting")
                .with_name("Lighting")
                .with_property("Brightness", 3.0f32),
        );
        dom
    }

    #[test]
    fn split_then_reconstruct_gives_back_the_place() {
        let (data, chunks) = split(&sample()).unwrap();
        assert_eq!(
            chunks
                .iter()
                .map(|c| c.class_name.as_str())
                .collect::<Vec<_>>(),
            ["Lighting", "ReplicatedStorage", "Workspace"]
        );
        let workspace_chunk = &chunks[2];
        assert_eq!(
            (
                workspace_chunk.child_count,
                workspace_chunk.ref_target_count
            ),
            (1, 1)
        );
        assert_eq!(workspace_chunk.refs, vec![("PrimaryPart".to_owned(), 1)]);

        let dom = reconstruct(&data, &chunks).unwrap();
        let root = dom.root_ref();
        let workspace = child(&dom, root, "Workspace");
        let lamp = child(&dom, workspace, "Lamp");
        let storage = child(&dom, root, "ReplicatedStorage");
        let pointer = child(&dom, storage, "Pointer");
        let lighting = child(&dom, root, "Lighting");
        let get = |r: Ref, p: &str| dom.get_by_ref(r).unwrap().properties.get(&ustr(p)).cloned();
        assert_eq!(
            get(workspace, "PrimaryPart"),
            Some(Variant::Ref(lamp)),
            "a service Ref through its carrier"
        );
        assert_eq!(
            get(pointer, "Value"),
            Some(Variant::Ref(lamp)),
            "a Ref across services"
        );
        assert_eq!(get(workspace, "Gravity"), Some(Variant::Float32(50.0)));
        assert_eq!(get(lighting, "Brightness"), Some(Variant::Float32(3.0)));
        assert_eq!(
            get(lamp, "Color"),
            Some(Variant::Color3uint8(Color3uint8::new(1, 2, 3)))
        );
        assert_eq!(
            dom.get_by_ref(workspace).unwrap().children().len(),
            1,
            "carriers are removed"
        );
        assert_eq!(
            dom.descendants()
                .filter(|i| i.class == "ObjectValue")
                .count(),
            1
        );
    }

    #[test]
    fn layout_errors_name_the_service() {
        let (data, chunks) = split(&sample()).unwrap();
        let mut overrun = chunks.clone();
        overrun[1].child_count = 5;
        assert!(matches!(
            reconstruct(&data, &overrun),
            Err(ChunkError::Overrun { ref class, .. }) if class == "ReplicatedStorage"
        ));
        let mut unused = chunks.clone();
        unused[2].ref_target_count = 0;
        assert!(matches!(
            reconstruct(&data, &unused),
            Err(ChunkError::Unused { .. })
        ));
        let mut twice = chunks.clone();
        twice[0].class_name = "Workspace".to_owned();
        assert!(matches!(
            reconstruct(&data, &twice),
            Err(ChunkError::Duplicate { .. })
        ));
        let mut not_a_carrier = chunks.clone();
        // Lamp (a Part) taken as Workspace's carrier, the carrier as a child.
        not_a_carrier[2].child_count = 0;
        not_a_carrier[2].ref_target_count = 2;
        assert!(matches!(
            reconstruct(&data, &not_a_carrier),
            Err(ChunkError::BadCarrier { .. })
        ));
        assert!(matches!(
            reconstruct(b"nope", &chunks),
            Err(ChunkError::Data(_))
        ));
    }

    #[test]
    fn an_empty_request_is_an_empty_place() {
        let dom = reconstruct(&[], &[]).unwrap();
        assert!(dom.root().children().is_empty());
        let only_properties = vec![ServiceChunk {
            class_name: "Lighting".to_owned(),
            properties: [(ustr("Brightness"), Variant::Float32(2.0))]
                .into_iter()
                .collect(),
            ..ServiceChunk::default()
        }];
        let dom = reconstruct(&[], &only_properties).unwrap();
        assert_eq!(dom.root().children().len(), 1);
    }

    #[test]
    fn out_of_range_carrier_indices_are_ignored() {
        let (data, mut chunks) = split(&sample()).unwrap();
        chunks[2].refs = vec![("PrimaryPart".to_owned(), 0), ("PrimaryPart".to_owned(), 7)];
        let dom = reconstruct(&data, &chunks).unwrap();
        let workspace = child(&dom, dom.root_ref(), "Workspace");
        assert_eq!(
            dom.get_by_ref(workspace)
                .unwrap()
                .properties
                .get(&ustr("PrimaryPart")),
            None
        );
    }
}
