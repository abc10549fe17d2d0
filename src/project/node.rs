//! `ProjectNode`: one entry of a project's `tree`.
//!
//! Keys that start with `$` describe the node; every other key is a child
//! node, named by its key. Children are kept sorted by key, which is the
//! order they get in the built tree.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::json::JsonValue;

/// `$path`: required by default, or `{optional: "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathNode {
    Required(PathBuf),
    Optional(PathBuf),
}

impl PathNode {
    pub fn path(&self) -> &Path {
        match self {
            PathNode::Required(p) | PathNode::Optional(p) => p,
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, PathNode::Optional(_))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectNode {
    pub class_name: Option<String>,
    pub path: Option<PathNode>,
    pub properties: BTreeMap<String, JsonValue>,
    pub attributes: BTreeMap<String, JsonValue>,
    pub ignore_unknown_instances: Option<bool>,
    pub id: Option<String>,
    pub children: BTreeMap<String, ProjectNode>,
}

impl<'de> Deserialize<'de> for ProjectNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = ProjectNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a project node (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProjectNode, A::Error> {
        let mut node = ProjectNode::default();
        let mut seen_keys: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen_keys.contains(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            match key.as_str() {
                "$className" => node.class_name = Some(map.next_value()?),
                "$path" => node.path = Some(map.next_value::<RawPath>()?.into()),
                "$properties" => node.properties = map.next_value()?,
                "$attributes" => node.attributes = map.next_value()?,
                "$ignoreUnknownInstances" => {
                    node.ignore_unknown_instances = Some(map.next_value()?)
                }
                "$id" => node.id = Some(map.next_value()?),
                other if other.starts_with('$') => {
                    log::warn!("project node key `{other}` is not a known `$` key and was ignored");
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    let child: ProjectNode = map.next_value()?;
                    node.children.insert(key.clone(), child);
                }
            }
            seen_keys.push(key);
        }
        Ok(node)
    }
}

/// The `$` keys a project node reads (every other key is a child). The
/// project schema lists exactly these (`tests/schemas.rs`).
pub const SPECIAL_KEYS: [&str; 6] = [
    "$className",
    "$path",
    "$properties",
    "$attributes",
    "$ignoreUnknownInstances",
    "$id",
];

#[derive(serde::Deserialize)]
#[serde(untagged, expecting = "a path string or {optional: \"path\"}")]
enum RawPath {
    Required(String),
    Optional(OptionalPath),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalPath {
    optional: String,
}

impl From<RawPath> for PathNode {
    fn from(raw: RawPath) -> Self {
        match raw {
            RawPath::Required(p) => PathNode::Required(normalize_separators(&p)),
            RawPath::Optional(o) => PathNode::Optional(normalize_separators(&o.optional)),
        }
    }
}

/// Project files are shared between Windows and Unix users: accept either
/// separator.
/// A `$path` as written, with the platform's separators and without `.`
/// components (`./src` is `src`), so paths in messages read cleanly and
/// match the paths the file watcher reports.
fn normalize_separators(path: &str) -> PathBuf {
    let separated = if cfg!(windows) {
        PathBuf::from(path.replace('/', "\\"))
    } else {
        PathBuf::from(path.replace('\\', "/"))
    };
    let cleaned: PathBuf = separated
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}
