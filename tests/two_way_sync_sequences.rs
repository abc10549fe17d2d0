//! The two-way sync invariant, on random sequences of Studio edits: after
//! every write to a served project, the folder equals, byte for byte, what
//! `atlas syncback --incremental` writes from the DOM the live tree now
//! holds onto a copy of the starting folder, and building the folder gives
//! the live tree back exactly.
//!
//! Seeded: `ATLAS_TWO_WAY_CASES=N` runs more sequences,
//! `ATLAS_TWO_WAY_SEED` picks the first seed. A failure names its seed and
//! the write it failed after.

mod common;

use common::rng::Rng;
use std::path::Path;
use std::process::Command;

use atlas::dom_file::{self, Encoding};
use common::compare::{compare, CompareOptions};
use common::files::files;
use common::live::LiveServer;
use common::roundtrip::{built_as_file, copy_dir, through_file};
use rbx_dom_weak::types::{Color3, Ref, Variant, Vector3};
use rbx_dom_weak::{InstanceBuilder, WeakDom};
use serde_json::{json, Map, Value};

/// Few names, so same-named siblings are common.
const NAMES: &[&str] = &["Alpha", "Beta", "Gamma", "Part", "Thing", "Util"];
const SERVICES: &[&str] = &["Workspace", "ReplicatedStorage", "ServerStorage"];
const CONTAINERS: &[&str] = &["Folder", "Model"];

fn part_properties(rng: &mut Rng) -> Vec<(&'static str, Variant)> {
    let channel = |rng: &mut Rng| rng.below(256) as f32 / 255.0;
    vec![
        ("Anchored", Variant::Bool(rng.chance(50))),
        ("Transparency", Variant::Float32(rng.below(9) as f32 / 8.0)),
        (
            "Size",
            Variant::Vector3(Vector3::new(
                1.0 + rng.below(8) as f32,
                1.0,
                0.5 * (1 + rng.below(6)) as f32,
            )),
        ),
        (
            "Color",
            Variant::Color3(Color3::new(channel(rng), channel(rng), channel(rng))),
        ),
    ]
}

/// The starting place: a few services with random trees.
fn starting_place(rng: &mut Rng) -> WeakDom {
    let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
    let root = dom.root_ref();
    let mut containers = Vec::new();
    for service in SERVICES {
        containers.push(dom.insert(root, InstanceBuilder::new(*service)));
    }
    let mut all = Vec::new();
    for _ in 0..30 {
        let parent = *rng.pick(&containers);
        let name = *rng.pick(NAMES);
        let (builder, container) = new_instance(rng, name);
        let id = dom.insert(parent, builder);
        all.push(id);
        if container {
            containers.push(id);
        }
    }
    // References between what exists.
    for id in all.clone() {
        if dom.get_by_ref(id).unwrap().class == "ObjectValue" && rng.chance(70) {
            let target = *rng.pick(&all);
            dom.get_by_ref_mut(id)
                .unwrap()
                .properties
                .insert("Value".into(), Variant::Ref(target));
        }
    }
    dom
}

/// A new instance of a random class, and whether it can hold children.
fn new_instance(rng: &mut Rng, name: &str) -> (InstanceBuilder, bool) {
    match rng.below(6) {
        0 => (
            InstanceBuilder::new(*rng.pick(CONTAINERS)).with_name(name),
            true,
        ),
        1 => (
            InstanceBuilder::new("Part")
                .with_name(name)
                .with_properties(part_properties(rng)),
            false,
        ),
        2 => (
            InstanceBuilder::new("ModuleScript")
                .with_name(name)
                .with_property("Source", format!("return {}\n", rng.below(100))),
            false,
        ),
        3 => (
            InstanceBuilder::new("StringValue")
                .with_name(name)
                .with_property("Value", format!("text {}", rng.below(100))),
            false,
        ),
        4 => (InstanceBuilder::new("ObjectValue").with_name(name), false),
        _ => (InstanceBuilder::new("Folder").with_name(name), true),
    }
}

fn encode(value: &Variant) -> Value {
    serde_json::to_value(value).expect("a value encodes")
}

/// One random write over the live tree `dom`: a few edits of every kind.
fn random_write(rng: &mut Rng, dom: &WeakDom, session: &str, renames: bool) -> Value {
    let root = dom.root_ref();
    let services: Vec<Ref> = dom.root().children().to_vec();
    // Instances a write may touch (not the services, not the root).
    let editable: Vec<Ref> = dom
        .descendants()
        .map(|i| i.referent())
        .filter(|r| *r != root && !services.contains(r))
        .collect();
    let containers: Vec<Ref> = dom
        .descendants()
        .filter(|i| {
            i.referent() != root
                && matches!(
                    i.class.as_str(),
                    "Folder" | "Model" | "Workspace" | "ReplicatedStorage" | "ServerStorage"
                )
        })
        .map(|i| i.referent())
        .collect();
    let mut added = Map::new();
    let mut updated = Vec::new();
    let mut removed = Vec::new();
    let mut touched = std::collections::HashSet::new();
    let mut new_ids = Vec::new();
    for _ in 0..1 + rng.below(3) {
        match rng.below(7) {
            0 => {
                let parent = *rng.pick(&containers);
                let name = *rng.pick(if renames { NAMES } else { FRESH_NAMES });
                let (builder, _) = new_instance(rng, name);
                let id = Ref::new();
                let mut properties = Map::new();
                let (class, props) = builder_parts(builder);
                for (key, value) in props {
                    properties.insert(key, encode(&value));
                }
                if class == "ObjectValue" && !editable.is_empty() {
                    properties.insert(
                        "Value".into(),
                        json!({ "Ref": rng.pick(&editable).to_string() }),
                    );
                }
                added.insert(
                    id.to_string(),
                    json!({ "parent": parent.to_string(), "name": name, "className": class,
                            "properties": properties, "children": [] }),
                );
                new_ids.push(id);
            }
            1 if !editable.is_empty() => {
                let id = *rng.pick(&editable);
                // Without renames (one syncback from the start), only an
                // instance without a same-named sibling goes, and no name
                // removed comes back: removing `A` beside `A~2` leaves `A~2`
                // where it is, where a syncback from the start writes `A`;
                // and a new `A` where an old `A` was removed takes `A`,
                // where a syncback from the start keeps `A` reserved for
                // the old one it does not pair with. Both are right.
                let name = dom.get_by_ref(id).map(|i| i.name.as_str()).unwrap_or("");
                if !renames && (has_same_named_sibling(dom, id) || FRESH_NAMES.contains(&name)) {
                    continue;
                }
                if touched.insert(id) {
                    removed.push(id.to_string());
                }
            }
            2 if renames && !editable.is_empty() => {
                let id = *rng.pick(&editable);
                if touched.insert(id) {
                    updated.push(json!({ "id": id.to_string(), "changedName": rng.pick(NAMES), "changedProperties": {} }));
                }
            }
            6 if renames && !editable.is_empty() => {
                // A move (history-dependent like a rename): under a
                // container that is not the instance or below it.
                let id = *rng.pick(&editable);
                let parent = *rng.pick(&containers);
                if is_within(dom, parent, id) || !touched.insert(id) {
                    continue;
                }
                updated.push(json!({ "id": id.to_string(), "changedParent": parent.to_string(), "changedProperties": {} }));
            }
            _ if !editable.is_empty() => {
                let id = *rng.pick(&editable);
                if !touched.insert(id) {
                    continue;
                }
                let instance = dom.get_by_ref(id).unwrap();
                let mut changed = Map::new();
                match instance.class.as_str() {
                    "Part" => {
                        let choices = part_properties(rng);
                        let (key, value) = rng.pick(&choices).clone();
                        changed.insert(key.into(), encode(&value));
                    }
                    "ModuleScript" => {
                        changed.insert(
                            "Source".into(),
                            json!({ "String": format!("return {}\n", rng.below(1000)) }),
                        );
                    }
                    "StringValue" => {
                        changed.insert(
                            "Value".into(),
                            json!({ "String": format!("edited {}", rng.below(1000)) }),
                        );
                    }
                    "ObjectValue" => {
                        let target = if rng.chance(20) || new_ids.is_empty() {
                            if rng.chance(20) {
                                Ref::none()
                            } else {
                                *rng.pick(&editable)
                            }
                        } else {
                            *rng.pick(&new_ids)
                        };
                        changed.insert("Value".into(), json!({ "Ref": target.to_string() }));
                    }
                    _ => {
                        changed.insert(
                            "Attributes".into(),
                            json!({ "Attributes": { "Level": { "Float64": rng.below(10) as f64 } } }),
                        );
                    }
                }
                updated.push(json!({ "id": id.to_string(), "changedProperties": changed }));
            }
            _ => {}
        }
    }
    // Nothing removed is also updated (the plugin sends one or the other).
    json!({ "sessionId": session, "removed": removed, "added": added, "updated": updated })
}

/// The names instances added in a sequence without renames take: none is
/// in the starting place, and none is removed.
const FRESH_NAMES: &[&str] = &["Fresh", "Newer"];

fn has_same_named_sibling(dom: &WeakDom, id: Ref) -> bool {
    let Some(instance) = dom.get_by_ref(id) else {
        return false;
    };
    dom.get_by_ref(instance.parent()).is_some_and(|parent| {
        parent
            .children()
            .iter()
            .any(|c| *c != id && dom.get_by_ref(*c).is_some_and(|s| s.name == instance.name))
    })
}

/// True if `at` is `ancestor` or below it.
fn is_within(dom: &WeakDom, mut at: Ref, ancestor: Ref) -> bool {
    while let Some(instance) = dom.get_by_ref(at) {
        if at == ancestor {
            return true;
        }
        at = instance.parent();
    }
    false
}

fn builder_parts(builder: InstanceBuilder) -> (String, Vec<(String, Variant)>) {
    let mut dom = WeakDom::new(builder);
    let root = dom.root_ref();
    let instance = dom.get_by_ref_mut(root).unwrap();
    let properties = std::mem::take(&mut instance.properties)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    (instance.class.to_string(), properties)
}

fn write_place(dom: &WeakDom, path: &Path) {
    let mut bytes = Vec::new();
    dom_file::write(&mut bytes, dom, dom.root().children(), Encoding::Binary).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn atlas_syncback(project: &Path, place: &Path, extra: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .arg("syncback")
        .arg(project)
        .arg("-i")
        .arg(place)
        .args(extra)
        .output()
        .expect("atlas runs");
    assert!(
        output.status.success(),
        "atlas syncback {extra:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

const PROJECT: &str = r#"{ name: "Generated", tree: { $className: "DataModel", $path: "src" } }"#;

/// Runs `writes` random writes on a served copy of a generated project and
/// checks the invariant after each. The folder must equal what `atlas
/// syncback --incremental` writes from the live tree onto a copy of the
/// folder as it was before the write; with `from_start`, onto a copy of the
/// starting folder too (the whole sequence as one syncback). Renames, moves
/// and removals that free a name are left out of such sequences (see
/// `random_write`): renaming `A` to `B` and back in two writes
/// moves `A`'s files to the default layout for `B` and then for `A`, while
/// one syncback from the start sees `A` unchanged and keeps its old files
/// (say `A~2/`), and both are right.
fn run_sequence(seed: u64, writes: usize, from_start: bool) {
    let mut rng = Rng(seed);
    let dir = common::temp_dir();
    let start = dir.path().join("start");
    let served = dir.path().join("served");
    std::fs::create_dir_all(start.join("src")).unwrap();
    std::fs::write(start.join("default.project.json5"), PROJECT).unwrap();
    let place = dir.path().join("start.rbxl");
    write_place(&starting_place(&mut rng), &place);
    atlas_syncback(&start, &place, &[]);
    copy_dir(&start, &served, false);

    let server = LiveServer::start(&served, &[]);
    let session = server.session_id();
    let keep = std::env::var_os("ATLAS_TWO_WAY_KEEP").is_some();
    for step in 1..=writes {
        let before = dir.path().join("before");
        let _ = std::fs::remove_dir_all(&before);
        copy_dir(&served, &before, false);
        let body = random_write(&mut rng, &server.live_dom(), &session, !from_start);
        if keep {
            eprintln!("write {step}: {body}");
        }
        let (status, answer) = server.post_write(&body);
        assert_eq!(
            status, 200,
            "seed {seed}, write {step} was refused: {answer}\n{body:#}"
        );
        let live = server.live_dom();

        // Building the folder gives the live tree back, exactly.
        let built = built_as_file(&served);
        let live_stored = through_file(&live, live.root().children());
        let comparison = compare(
            &built,
            built.root_ref(),
            &live_stored,
            live_stored.root_ref(),
            &CompareOptions::strict(),
        );
        if !comparison.is_equal() && keep {
            keep_folders(dir.path());
        }
        assert!(
            comparison.is_equal(),
            "seed {seed}, after write {step}: the folder does not build to the live tree: {}\n{body:#}",
            comparison.report(20)
        );

        let live_place = dir.path().join("live.rbxl");
        write_place(&live, &live_place);
        let mut bases = vec![("the folder before the write", before.clone())];
        if from_start {
            bases.push(("the starting folder", start.clone()));
        }
        for (what, base) in bases {
            let cli = dir.path().join("cli");
            let _ = std::fs::remove_dir_all(&cli);
            copy_dir(&base, &cli, false);
            atlas_syncback(&cli, &live_place, &["--incremental"]);
            let (ours, theirs) = (files(&served), files(&cli));
            let differing: Vec<&String> = ours
                .keys()
                .chain(theirs.keys())
                .filter(|k| ours.get(*k) != theirs.get(*k))
                .collect();
            if !differing.is_empty() && keep {
                keep_folders(dir.path());
            }
            assert!(
                differing.is_empty(),
                "seed {seed}, after write {step}: the served folder differs from `atlas syncback --incremental` onto {what} in {differing:?}\n{body:#}"
            );
        }
    }
}

/// `ATLAS_TWO_WAY_KEEP`: the folders of a failing sequence go to
/// /tmp/two_way_failure (`before/`, `served/`, `start/`, `cli/`).
fn keep_folders(dir: &Path) {
    let kept = std::path::PathBuf::from("/tmp/two_way_failure");
    let _ = std::fs::remove_dir_all(&kept);
    copy_dir(dir, &kept, false);
    eprintln!("kept the folders in {}", kept.display());
}

fn cases() -> (u64, u64) {
    let cases: u64 = std::env::var("ATLAS_TWO_WAY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let first: u64 = std::env::var("ATLAS_TWO_WAY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_0001);
    (first, cases)
}

#[test]
fn every_write_is_incremental_syncback_of_the_live_tree() {
    let (first, cases) = cases();
    for seed in first..first + cases {
        run_sequence(seed, 6, false);
    }
}

#[test]
fn a_sequence_without_renames_is_one_incremental_syncback_from_the_start() {
    let (first, cases) = cases();
    for seed in first + 1000..first + 1000 + cases {
        run_sequence(seed, 6, true);
    }
}
