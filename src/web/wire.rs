//! The wire format of the dev server's API: every body is MessagePack
//! (rmp-serde, struct maps, human-readable: Refs are 32 hex digits,
//! property values are the externally tagged `{Type: value}` form of
//! `rbx_types::Variant`). This is the only module that knows these shapes.

use std::collections::BTreeMap;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, UstrMap};
use serde::{Deserialize, Serialize};

use crate::serve::{AddedInstance, InstanceData, PatchMessage, WriteRequest, WriteUpdate};
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

/// `POST /api/syncback`: the whole DataModel from the plugin.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncbackRequest {
    #[serde(deserialize_with = "number")]
    pub protocol_version: f64,
    pub server_version: String,
    #[serde(default, deserialize_with = "optional_number")]
    pub place_id: Option<f64>,
    #[serde(default, deserialize_with = "binary")]
    pub data: Vec<u8>,
    #[serde(default, deserialize_with = "list_or_empty_map")]
    pub services: Vec<WireServiceChunk>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireServiceChunk {
    pub class_name: String,
    #[serde(default, deserialize_with = "optional_number")]
    pub child_count: Option<f64>,
    #[serde(default, deserialize_with = "optional_number")]
    pub ref_target_count: Option<f64>,
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub properties: Vec<(String, Variant)>,
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub refs: Vec<(String, LuauNumber)>,
}

#[derive(Debug, Serialize)]
pub struct SyncbackResponse {
    pub status: &'static str,
}

/// `POST /api/write`: Studio edits to write into the project.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteBody {
    pub session_id: String,
    #[serde(default, deserialize_with = "list_or_empty_map")]
    pub removed: Vec<Ref>,
    /// Plugin-made id → new instance (msgpack-luau leaves an empty map out).
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub added: Vec<(String, WireAdded)>,
    #[serde(default, deserialize_with = "list_or_empty_map")]
    pub updated: Vec<WireUpdate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAdded {
    /// The plugin's id for a child (a top-level instance's is its key).
    #[serde(default)]
    pub id: Option<Ref>,
    #[serde(default)]
    pub parent: Option<Ref>,
    pub name: String,
    pub class_name: String,
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub properties: Vec<(String, Variant)>,
    #[serde(default, deserialize_with = "list_or_empty_map")]
    pub children: Vec<WireAdded>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireUpdate {
    pub id: Ref,
    #[serde(default)]
    pub changed_name: Option<String>,
    #[serde(default)]
    pub changed_class_name: Option<String>,
    /// An Atlas extension: the instance moved under another.
    #[serde(default)]
    pub changed_parent: Option<Ref>,
    /// A nil value removes the property.
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub changed_properties: Vec<(String, Option<Variant>)>,
}

impl WriteBody {
    /// The batch, with the plugin's ids checked; `Err` names the field.
    pub fn into_request(self) -> Result<WriteRequest, String> {
        let mut added = Vec::with_capacity(self.added.len());
        for (key, instance) in self.added {
            let id = match parse_ids(&key).as_deref() {
                Ok([id]) => *id,
                _ => {
                    return Err(format!(
                        "added: `{key}` is not an instance id (32 hex digits)"
                    ))
                }
            };
            added.push(instance.into_added(id, true));
        }
        let updated = self
            .updated
            .into_iter()
            .map(|u| WriteUpdate {
                id: u.id,
                changed_name: u.changed_name,
                changed_class_name: u.changed_class_name.map(|c| ustr(&c)),
                changed_parent: u.changed_parent,
                changed_properties: u
                    .changed_properties
                    .into_iter()
                    .map(|(k, v)| (ustr(&k), v))
                    .collect(),
            })
            .collect();
        Ok(WriteRequest {
            removed: self.removed,
            added,
            updated,
        })
    }
}

impl WireAdded {
    fn into_added(self, id: Ref, top: bool) -> AddedInstance {
        AddedInstance {
            id,
            parent: if top { self.parent } else { None },
            name: self.name,
            class_name: ustr(&self.class_name),
            properties: self
                .properties
                .into_iter()
                .map(|(k, v)| (ustr(&k), v))
                .collect(),
            children: self
                .children
                .into_iter()
                .map(|c| {
                    let id = c.id.unwrap_or_else(Ref::none);
                    c.into_added(id, false)
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteResponse<'a> {
    pub session_id: &'a str,
    /// What the write could not do as asked (shown to the user).
    pub warnings: &'a [String],
}

/// Decodes a msgpack body the way the API encodes them (Refs as hex,
/// values in the `{Type: value}` form).
pub fn from_msgpack<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, rmp_serde::decode::Error> {
    let mut deserializer = rmp_serde::Deserializer::new(bytes).with_human_readable();
    T::deserialize(&mut deserializer)
}

/// A number as Luau sends it: always a double, though msgpack encoders
/// write whole numbers as integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LuauNumber(pub f64);

impl<'de> Deserialize<'de> for LuauNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LuauNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_u64<E>(self, v: u64) -> Result<LuauNumber, E> {
                Ok(LuauNumber(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LuauNumber, E> {
                Ok(LuauNumber(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LuauNumber, E> {
                Ok(LuauNumber(v))
            }
            fn visit_f32<E>(self, v: f32) -> Result<LuauNumber, E> {
                Ok(LuauNumber(v as f64))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl LuauNumber {
    /// The number as a whole count, if it is one.
    pub fn as_count(self) -> Option<u32> {
        (self.0.fract() == 0.0 && self.0 >= 0.0 && self.0 <= u32::MAX as f64)
            .then_some(self.0 as u32)
    }

    /// The number as a place or game id, if it is one.
    pub fn as_id(self) -> Option<u64> {
        (self.0.fract() == 0.0 && self.0 >= 0.0 && self.0 < 2f64.powi(64)).then_some(self.0 as u64)
    }
}

fn number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    LuauNumber::deserialize(deserializer).map(|n| n.0)
}

fn optional_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f64>, D::Error> {
    Option::<LuauNumber>::deserialize(deserializer).map(|n| n.map(|n| n.0))
}

/// Binary data: msgpack `bin` (a Luau buffer), or a string or an array of
/// bytes from other encoders.
fn binary<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("binary data")
        }
        fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
        fn visit_str<E>(self, v: &str) -> Result<Vec<u8>, E> {
            Ok(v.as_bytes().to_vec())
        }
        fn visit_unit<E>(self) -> Result<Vec<u8>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::new();
            while let Some(byte) = seq.next_element::<u8>()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// A map, where msgpack-luau writes an empty Lua table as an empty array.
fn map_or_empty_list<'de, D, V>(deserializer: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Visitor<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry::<String, V>()? {
                entries.push(entry);
            }
            Ok(entries)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                return Err(serde::de::Error::custom(
                    "expected a map, found a non-empty array",
                ));
            }
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    deserializer.deserialize_any(Visitor(std::marker::PhantomData))
}

/// A list, where msgpack-luau writes an empty Lua table as an empty map.
fn list_or_empty_map<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<T>()? {
                items.push(item);
            }
            Ok(items)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            if map.next_key::<serde::de::IgnoredAny>()?.is_some() {
                return Err(serde::de::Error::custom(
                    "expected a list, found a non-empty map",
                ));
            }
            Ok(Vec::new())
        }
    }
    deserializer.deserialize_any(Visitor(std::marker::PhantomData))
}
