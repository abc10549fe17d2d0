//! Places in and out of the harness's DataModel, and what
//! `SerializationService:SerializeInstancesAsync` does in Studio.

use lune_roblox::document::{Document, DocumentFormat, DocumentKind};
use lune_roblox::instance::Instance;
use rbx_dom_weak::WeakDom;

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

/// A binary model of `instances` (and their descendants); Refs between
/// them are kept.
pub fn serialize(instances: &[Instance]) -> Result<Vec<u8>, String> {
    let mut dom = WeakDom::new(rbx_dom_weak::InstanceBuilder::new("DataModel"));
    if let Some(first) = instances.first() {
        if instances.iter().any(|i| i.dom_id != first.dom_id) {
            return Err("the instances live in different DataModels".into());
        }
        let refs: Vec<_> = instances.iter().map(|i| i.dom_ref).collect();
        Instance::clone_multiple_into_external_dom(first.dom_id, &refs, &mut dom);
    }
    let roots = dom.root().children().to_vec();
    let mut out = Vec::new();
    rbx_binary::to_writer(&mut out, &dom, &roots).map_err(|e| e.to_string())?;
    Ok(out)
}
