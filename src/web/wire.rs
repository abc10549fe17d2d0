//! The wire format of the dev server's API: every body is MessagePack
//! (rmp-serde, struct maps, human-readable: Refs are 32 hex digits,
//! property values are the externally tagged `{Type: value}` form of
//! `rbx_types::Variant`). This is the only module that knows these shapes.

use std::collections::BTreeMap;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::UstrMap;
use serde::Serialize;

use crate::serve::{InstanceData, PatchMessage};
use crate::snapshot::patch::InstanceUpdate;
use crate::snapshot::InstanceTree;

/// The protocol version the Atlas plugin speaks.
pub const PROTOCOL_VERSION: u64 = 6;
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Encodes `value` as the API does.
pub fn to_msgpack<T: Serialize>(value: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    let mut bytes = Vec::new();
    let mut serializer = rmp_serde::Serializer::new(&mut bytes)
        .with_struct_map()
        .with_human_readable();
    value.serialize(&mut serializer)?;
    Ok(bytes)
}

#[derive(Debug, Serialize)]
pub struct ErrorResponse<'a> {
    pub kind: &'static str,
    pub details: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo<'a> {
    pub session_id: &'a str,
    pub server_version: &'static str,
    pub protocol_version: u64,
    pub server_fork: &'static str,
    pub project_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_place_ids: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unexpected_place_ids: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_id: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_id: Option<f64>,
    pub root_instance_id: Ref,
    pub sync_source_only: bool,
    pub sync_scripts_only: bool,
    pub ignore_hidden_services: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_services: Option<&'static [&'static str]>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance<'a> {
    pub id: Ref,
    pub parent: Ref,
    pub name: &'a str,
    pub class_name: &'a str,
    pub properties: Properties<'a>,
    pub children: &'a [Ref],
    pub metadata: InstanceMetadata,
}

/// An instance's properties, SharedStrings left out (the plugin cannot
/// decode them).
#[derive(Debug)]
pub struct Properties<'a>(pub &'a UstrMap<Variant>);

impl Serialize for Properties<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let count = self.0.values().filter(|v| sendable(v)).count();
        let mut map = serializer.serialize_map(Some(count))?;
        for (key, value) in self.0.iter().filter(|(_, v)| sendable(v)) {
            map.serialize_entry(key.as_str(), value)?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMetadata {
    pub ignore_unknown_instances: bool,
}

impl<'a> Instance<'a> {
    pub fn new(data: &'a InstanceData) -> Self {
        Instance {
            id: data.id,
            parent: data.parent,
            name: &data.name,
            class_name: data.class_name.as_str(),
            properties: Properties(&data.properties),
            children: &data.children,
            metadata: InstanceMetadata {
                ignore_unknown_instances: data.ignore_unknown_instances,
            },
        }
    }

    /// Straight from the live tree (for reads, under the tree lock).
    pub fn from_tree(tree: &'a InstanceTree, id: Ref) -> Option<Self> {
        let instance = tree.dom().get_by_ref(id)?;
        Some(Instance {
            id,
            parent: instance.parent(),
            name: &instance.name,
            class_name: instance.class.as_str(),
            properties: Properties(&instance.properties),
            children: instance.children(),
            metadata: InstanceMetadata {
                ignore_unknown_instances: tree
                    .metadata(id)
                    .is_some_and(|m| m.ignore_unknown_instances),
            },
        })
    }
}

/// SharedStrings cannot be sent (the plugin has no way to decode them).
fn sendable(value: &Variant) -> bool {
    !matches!(value, Variant::SharedString(_))
}

/// Instances keyed by id, in tree order (parents first).
#[derive(Debug)]
pub struct Instances<'a>(pub Vec<Instance<'a>>);

impl<'a> Instances<'a> {
    pub fn new(data: impl IntoIterator<Item = &'a InstanceData>) -> Self {
        Instances(data.into_iter().map(Instance::new).collect())
    }
}

impl Serialize for Instances<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for instance in &self.0 {
            map.serialize_entry(&instance.id, instance)?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadResponse<'a> {
    pub session_id: &'a str,
    pub message_cursor: u32,
    pub instances: Instances<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Update<'a> {
    pub id: Ref,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_class_name: Option<&'a str>,
    pub changed_properties: BTreeMap<&'a str, Option<&'a Variant>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_metadata: Option<InstanceMetadata>,
}

impl<'a> Update<'a> {
    pub fn new(update: &'a InstanceUpdate) -> Self {
        Update {
            id: update.id,
            changed_name: update.changed_name.as_deref(),
            changed_class_name: update.changed_class_name.as_ref().map(|c| c.as_str()),
            changed_properties: update
                .changed_properties
                .iter()
                .filter(|(_, v)| v.as_ref().is_none_or(sendable))
                .map(|(k, v)| (k.as_str(), v.as_ref()))
                .collect(),
            changed_metadata: update.changed_ignore_unknown_instances.map(
                |ignore_unknown_instances| InstanceMetadata {
                    ignore_unknown_instances,
                },
            ),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SubscribeMessage<'a> {
    pub removed: &'a [Ref],
    pub added: Instances<'a>,
    pub updated: Vec<Update<'a>>,
}

impl<'a> SubscribeMessage<'a> {
    pub fn new(message: &'a PatchMessage) -> Self {
        SubscribeMessage {
            removed: &message.removed,
            added: Instances::new(&message.added),
            updated: message.updated.iter().map(Update::new).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SocketPacket<'a> {
    pub session_id: &'a str,
    pub packet_type: &'static str,
    pub body: MessagesBody<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesBody<'a> {
    pub message_cursor: u32,
    pub messages: Vec<SubscribeMessage<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenResponse<'a> {
    pub session_id: &'a str,
}

/// Parses the comma-separated ids of a path (`/api/read/{ids}`).
pub fn parse_ids(text: &str) -> Result<Vec<Ref>, String> {
    if text.is_empty() {
        return Err("no instance id given".to_owned());
    }
    text.split(',')
        .map(|part| {
            let valid =
                !part.is_empty() && part.len() <= 32 && part.bytes().all(|b| b.is_ascii_hexdigit());
            match valid.then(|| part.parse::<Ref>().ok()).flatten() {
                Some(r) if r.is_some() => Ok(r),
                _ => Err(format!("`{part}` is not an instance id (32 hex digits)")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_bad_ids_are_named() {
        let r = Ref::new();
        let text = format!("{r},{r}");
        assert_eq!(parse_ids(&text).unwrap(), vec![r, r]);
        assert!(parse_ids("").is_err());
        assert!(parse_ids("zz").unwrap_err().contains("`zz`"));
        assert!(parse_ids(&"0".repeat(32)).is_err());
        assert!(parse_ids(&format!("{r},")).is_err());
    }
}
