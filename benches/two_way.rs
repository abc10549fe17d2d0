//! `cargo bench --bench two_way`: Studio edits → files, through
//! `POST /api/write` on Miner's Haven's project (61k instances).
//!
//! The project is a copy of `bench/out/miners-haven-project` (written by
//! `atlas syncback` of `../shared/corpus/places/miners-haven.rbxl` once,
//! as `cargo bench --bench serve` does). A write answers once its files
//! are on disk, so the time of a request is the time from the edit leaving
//! Studio to the file on disk. Reported, p50 and p99:
//! - 200 single-property writes of each kind: a ModuleScript's `Source`, a
//!   Part's `Transparency`, an attribute of a Model, an ObjectValue's
//!   `Value` (a Ref, which makes the next batch resolve every reference);
//! - 50 writes of each structural kind: renaming a Part, adding a Part to
//!   a Model, removing a Part;
//! - one 1,000-Part paste into Workspace (one request), 3 times.

#[allow(dead_code)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::live::LiveServer;
use serde_json::{json, Value};

const EDITS: usize = 200;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let atlas = env!("CARGO_BIN_EXE_atlas");
    let place = repo.join("../shared/corpus/places/miners-haven.rbxl");
    let source = repo.join("bench/out/miners-haven-project");
    if !source.join("default.project.json5").is_file() {
        if !place.is_file() {
            eprintln!(
                "{} is missing (../shared beside the repository): the two-way benchmark is skipped",
                place.display()
            );
            return;
        }
        let _ = std::fs::remove_dir_all(&source);
        std::fs::create_dir_all(source.join("src")).expect("bench/out is writable");
        std::fs::write(
            source.join("default.project.json5"),
            "{ name: 'MinersHaven', tree: { $className: 'DataModel', $path: 'src' } }\n",
        )
        .expect("bench/out is writable");
        let status = Command::new(atlas)
            .args(["syncback", "-q"])
            .arg(&source)
            .arg("-i")
            .arg(&place)
            .stdout(Stdio::null())
            .status()
            .expect("atlas runs");
        assert!(status.success(), "syncback of Miner's Haven failed");
    }
    let temp = tempfile::tempdir().expect("a temporary folder");
    let project = temp.path().join("project");
    copy(&source, &project);

    // The scoped syncback's cross-check is for tests, not timings.
    let server = LiveServer::start_with_env(&project, &[], &[("ATLAS_TEST_CHECK_SCOPED", "0")]);
    let read = server.get_ok(&format!(
        "/api/read/{}",
        server.info()["rootInstanceId"].as_str().expect("a root id")
    ));
    let instances = read["instances"].as_object().expect("instances");
    let of_class = |class: &str| -> Vec<String> {
        let mut ids: Vec<String> = instances
            .iter()
            .filter(|(_, i)| i["ClassName"] == class)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    };
    let session = server.session_id();
    let write = |removed: Value, added: Value, updated: Value| -> Duration {
        let body =
            json!({ "sessionId": session, "removed": removed, "added": added, "updated": updated });
        let start = Instant::now();
        server.write_ok(&body);
        start.elapsed()
    };
    println!(
        "Miner's Haven's project ({} instances), {EDITS} writes of each kind:",
        instances.len()
    );
    println!(
        "{:<28} {:>10} {:>10}",
        "write (edit → file on disk)", "p50", "p99"
    );

    let scripts = of_class("ModuleScript");
    let parts = of_class("Part");
    let models = of_class("Model");
    let values = of_class("ObjectValue");
    type Edit<'a> = (&'a str, &'a Vec<String>, &'a dyn Fn(usize) -> Value);
    let kinds: [Edit; 4] = [
        (
            "ModuleScript Source",
            &scripts,
            &|k| json!({ "Source": { "String": format!("return {k}\n") } }),
        ),
        (
            "Part Transparency",
            &parts,
            &|k| json!({ "Transparency": { "Float32": (k % 10) as f32 / 10.0 } }),
        ),
        (
            "Model attribute",
            &models,
            &|k| json!({ "Attributes": { "Attributes": { "Health": { "Float64": k as f64 } } } }),
        ),
        (
            "ObjectValue Value (Ref)",
            &values,
            &|k| json!({ "Value": { "Ref": parts[(k * 31) % parts.len()] } }),
        ),
    ];
    for (label, ids, value) in kinds {
        if ids.is_empty() {
            println!("{label:<28} (none in the place)");
            continue;
        }
        let samples: Vec<Duration> = (0..EDITS)
            .map(|k| {
                let id = &ids[(k * 7) % ids.len()];
                write(
                    json!([]),
                    json!({}),
                    json!([{ "id": id, "changedProperties": value(k) }]),
                )
            })
            .collect();
        report(label, samples);
    }

    // Structural writes, 50 of each.
    let structural: [(&str, Box<dyn Fn(usize) -> (Value, Value, Value)>); 3] = [
        (
            "rename a Part",
            Box::new(|k| {
                let id = &parts[(k * 13) % parts.len()];
                let updated = json!([{ "id": id, "changedName": format!("Renamed{k}"), "changedProperties": {} }]);
                (json!([]), json!({}), updated)
            }),
        ),
        (
            "add a Part to a Model",
            Box::new(|k| {
                let parent = &models[(k * 17) % models.len()];
                let added = json!({ common::two_way::new_id(): {
                    "parent": parent, "name": "Added", "className": "Part",
                    "properties": {}, "children": [],
                }});
                (json!([]), added, json!([]))
            }),
        ),
        (
            "remove a Part",
            Box::new(|k| {
                let id = &parts[(k * 29 + 5) % parts.len()];
                (json!([id]), json!({}), json!([]))
            }),
        ),
    ];
    for (label, body) in structural {
        let samples: Vec<Duration> = (0..50)
            .map(|k| {
                let (removed, added, updated) = body(k);
                write(removed, added, updated)
            })
            .collect();
        report(label, samples);
    }

    let workspace = of_class("Workspace")
        .into_iter()
        .next()
        .expect("a Workspace");
    let pastes: Vec<Duration> = (0..3)
        .map(|round| {
            let added: serde_json::Map<String, Value> = (0..1000)
                .map(|k| {
                    (
                        common::two_way::new_id(),
                        json!({
                            "parent": workspace,
                            "name": format!("Paste{round}_{}", k % 50),
                            "className": "Part",
                            "properties": { "Anchored": { "Bool": true } },
                            "children": [],
                        }),
                    )
                })
                .collect();
            write(json!([]), Value::Object(added), json!([]))
        })
        .collect();
    report("paste of 1,000 Parts", pastes);
}

/// One line of the table: the median and the 99th percentile (of 3: the
/// slowest).
fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label:<28} {:>10} {:>10}",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 99 / 100])
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success(), "copying {} failed", from.display());
}
