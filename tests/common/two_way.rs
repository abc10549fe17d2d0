//! Two-way sync from a test's side: `POST /api/write` bodies, the live tree
//! read back as a DOM, and what changed in a folder.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{InstanceBuilder, WeakDom};
use serde::Deserialize;
use serde_json::Value;

use super::live::{decode, LiveServer};

impl LiveServer {
    /// `POST /api/write` with `body` (JSON-like, encoded as msgpack).
    pub fn post_write(&self, body: &Value) -> (u16, Value) {
        let host = self.host();
        let bytes = rmp_serde::to_vec_named(body).expect("the body encodes");
        let (status, answer) = self.request(
            "POST",
            "/api/write",
            &[("Host", &host), ("Content-Type", "application/msgpack")],
            &bytes,
        );
        (status, decode(&answer))
    }

    /// A write that must succeed.
    pub fn write_ok(&self, body: &Value) -> Value {
        let (status, answer) = self.post_write(body);
        assert_eq!(status, 200, "the write was refused: {answer}");
        answer
    }

    /// The whole live tree, as a DOM whose instances keep their ids.
    pub fn live_dom(&self) -> WeakDom {
        let root = self.info()["rootInstanceId"]
            .as_str()
            .expect("a root id")
            .to_owned();
        let (status, bytes) = self.get(&format!("/api/read/{root}"));
        assert_eq!(status, 200);
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Read {
            parent: Ref,
            name: String,
            class_name: String,
            properties: HashMap<String, Variant>,
            children: Vec<Ref>,
        }
        #[derive(Deserialize)]
        struct Response {
            instances: HashMap<Ref, Read>,
        }
        let response: Response =
            atlas::web::wire::from_msgpack(&bytes).expect("a typed read response");
        let root: Ref = root.parse().unwrap();
        let builder = |id: Ref, read: &Read| {
            InstanceBuilder::new(read.class_name.as_str())
                .with_referent(id)
                .with_name(read.name.clone())
                .with_properties(read.properties.clone())
        };
        let mut dom = WeakDom::new(builder(root, &response.instances[&root]));
        let mut stack: Vec<Ref> = response.instances[&root]
            .children
            .iter()
            .rev()
            .copied()
            .collect();
        while let Some(id) = stack.pop() {
            let read = &response.instances[&id];
            dom.insert(read.parent, builder(id, read));
            stack.extend(read.children.iter().rev().copied());
        }
        dom
    }
}

/// The id of the instance at `path` (`Workspace/Door`, from the root) in a
/// read response.
pub fn id_at(read: &Value, path: &str) -> String {
    let instances = read["instances"].as_object().expect("instances");
    let root = instances
        .iter()
        .find(|(_, i)| !instances.contains_key(i["Parent"].as_str().unwrap_or("")))
        .map(|(id, _)| id.clone())
        .expect("a root");
    let mut current = root;
    for segment in path.split('/') {
        let children = instances[&current]["Children"]
            .as_array()
            .expect("children");
        current = children
            .iter()
            .filter_map(|c| c.as_str())
            .find(|c| instances[*c]["Name"] == segment)
            .unwrap_or_else(|| panic!("no `{segment}` on the way to {path}"))
            .to_owned();
    }
    current
}

/// A new plugin-side id (32 hex digits).
pub fn new_id() -> String {
    Ref::new().to_string()
}

/// What differs between two snapshots of a folder: `+ path`, `~ path`,
/// `- path`, sorted.
pub fn changes(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (path, bytes) in after {
        match before.get(path) {
            None => lines.push(format!("+ {path}")),
            Some(old) if old != bytes => lines.push(format!("~ {path}")),
            _ => {}
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        lines.push(format!("- {path}"));
    }
    lines.sort_by(|a, b| a[2..].cmp(&b[2..]));
    lines
}

/// The text of a file under `root`.
pub fn text(root: &Path, relative: &str) -> String {
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}
