//! The plugin's Syncback button end to end: a real place loaded into the
//! harness's DataModel, the button pressed, the body made by the plugin's
//! own code (service chunks, carriers, one serialization) and sent to a
//! real `atlas serve`. The project folder must then equal, byte for byte,
//! what `atlas syncback -i` writes for the same place as a plugin sees it:
//! the few things a plugin cannot read of a service itself are listed (and
//! printed) by `as_the_plugin_sees_it`, and taken out of the CLI's input.

mod common;
mod plugin_harness;

use std::path::Path;

use common::files::assert_same_files;
use common::live::LiveServer;
use plugin_harness::{dom, Driver, Harness};
use rbx_dom_weak::types::{Attributes, Ref, Variant};
use rbx_dom_weak::WeakDom;

const FIXTURE: &str = "rojo-test/serve-tests/live-syncback";

/// What a plugin cannot see of a service, taken out of `place`: the
/// properties it does not know (not in the reflection database it is built
/// with), and the number types of attributes (Luau has one number type;
/// Studio hands every number attribute to a script as a double). Returns
/// one line per change. Only services' own properties are touched: their
/// descendants travel as a binary model, exactly.
fn as_the_plugin_sees_it(harness: &Harness, place: &mut WeakDom) -> Vec<String> {
    let reflection = harness.require_table("Reflection");
    let known = |table: &str, class: &str| -> Vec<String> {
        let services: mlua::Table = reflection.get(table).unwrap();
        let list: Option<mlua::Table> = services.get(class).unwrap();
        list.map(|list| {
            list.sequence_values::<mlua::Value>()
                .map(|v| match v.unwrap() {
                    mlua::Value::Table(t) => t.get::<String>("name").unwrap(),
                    other => other.to_string().unwrap(),
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let mut changes = Vec::new();
    let services: Vec<Ref> = place.root().children().to_vec();
    for service in services {
        let instance = place.get_by_ref_mut(service).unwrap();
        let class = instance.class.to_string();
        if !atlas::syncback::VISIBLE_SERVICES.contains(&class.as_str()) {
            continue;
        }
        let mut allowed = known("serviceProperties", &class);
        allowed.extend(known("serviceRefs", &class));
        let names: Vec<_> = instance.properties.keys().copied().collect();
        for name in names {
            if !allowed.iter().any(|a| a == name.as_str()) {
                instance.properties.remove(&name);
                changes.push(format!("{class}.{name}: not in the reflection database"));
            }
        }
        if let Some(Variant::Attributes(attributes)) =
            instance.properties.get_mut(&"Attributes".into())
        {
            let mut doubled = Attributes::new();
            for (key, value) in attributes.iter() {
                let number = match value {
                    Variant::Float32(n) => Some(*n as f64),
                    Variant::Int32(n) => Some(*n as f64),
                    Variant::Int64(n) => Some(*n as f64),
                    _ => None,
                };
                match number {
                    Some(n) => {
                        changes.push(format!(
                            "{class} attribute {key}: {:?} as a double",
                            value.ty()
                        ));
                        doubled.insert(key.clone(), Variant::Float64(n));
                    }
                    None => {
                        doubled.insert(key.clone(), value.clone());
                    }
                }
            }
            *attributes = doubled;
        }
    }
    changes
}

fn live_syncback_matches_the_cli(place_file: &Path) {
    if !common::have_shared(place_file) {
        return;
    }
    let place = common::read_dom_file(place_file);
    let harness = Harness::new();
    let mut seen = common::read_dom_file(place_file);
    let changes = as_the_plugin_sees_it(&harness, &mut seen);
    eprintln!(
        "{}: what a plugin cannot see ({} change(s)):\n  {}",
        place_file.display(),
        changes.len(),
        changes.join("\n  ")
    );
    let seen_dir = common::temp_dir();
    let seen_file = seen_dir.path().join("seen.rbxl");
    let mut bytes = Vec::new();
    let roots = seen.root().children().to_vec();
    atlas::dom_file::write(&mut bytes, &seen, &roots, atlas::dom_file::Encoding::Binary).unwrap();
    std::fs::write(&seen_file, bytes).unwrap();

    let (_live_dir, live_root) = common::repo_copy(FIXTURE, "project");
    {
        let server = LiveServer::start(&live_root, &[]);
        let session = server.session_id();
        let driver = Driver::new(&harness, dom::load_place(place), server.address.port(), "");
        driver.press("syncback");
        assert_eq!(driver.page(), "SyncbackConfirm");
        assert!(
            driver.texts().contains(
                "Files in the project will be overwritten from Studio; this cannot be undone."
            ),
            "{}",
            driver.texts()
        );
        driver.press("confirmSyncback");
        assert_eq!(driver.page(), "SyncbackDone", "{}", driver.texts());
        server.wait_for_new_session(&session);
    }

    let (_cli_dir, cli_root) = common::repo_copy(FIXTURE, "project");
    common::cli_syncback(&cli_root, &seen_file);
    assert_same_files(&live_root, &cli_root);
}

#[test]
fn syncback_of_the_all_classes_place_equals_the_cli() {
    live_syncback_matches_the_cli(
        &common::shared_dir().join("corpus/places/roblox-file-format-all-classes.rbxl"),
    );
}

#[test]
fn syncback_of_miners_haven_equals_the_cli() {
    live_syncback_matches_the_cli(&common::shared_dir().join("corpus/places/miners-haven.rbxl"));
}

#[test]
fn syncback_of_the_booga_place_equals_the_cli() {
    live_syncback_matches_the_cli(
        &common::shared_dir().join("corpus/places/booga-open-sourced.rbxl"),
    );
}
