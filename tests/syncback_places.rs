//! Real places: syncback into an empty place project, build it back, and
//! compare the 14 synced services: every instance and every property, floats
//! bit for bit.

mod common;

use std::path::Path;

use atlas::dom_file::Encoding;
use atlas::syncback::{SyncbackOptions, VISIBLE_SERVICES};
use common::compare::{compare, CompareOptions};
use common::roundtrip::{build_and_read, build_and_read_as, syncback_into, IDENTITY_PROPERTIES};

fn load(dir: &Path) -> atlas::snapshot::InstanceTree {
    let file = atlas::project::Project::locate(dir).unwrap();
    let loaded = atlas::build::load_tree(&atlas::vfs::StdVfs, &file).unwrap();
    assert!(loaded.ref_warnings.is_empty(), "{:?}", loaded.ref_warnings);
    loaded.tree
}
use rbx_dom_weak::WeakDom;

fn place_path(name: &str) -> std::path::PathBuf {
    common::shared_dir()
        .join("corpus")
        .join("places")
        .join(name)
}

/// True if the place is there (else the test is skipped, loudly).
fn have_place(name: &str) -> bool {
    common::have_shared(&place_path(name))
}

fn place(name: &str) -> WeakDom {
    common::read_dom_file(&place_path(name))
}

fn place_project(dir: &Path, extra_rules: &str) {
    std::fs::write(
        dir.join("default.project.json5"),
        format!("{{ name: 'Place', tree: {{ $className: 'DataModel', $path: 'src' }}, syncbackRules: {{ {extra_rules} }} }}"),
    )
    .unwrap();
}

/// Compares each synced service of `original` with the rebuilt one.
fn compare_services(
    original: &WeakDom,
    rebuilt: &WeakDom,
    options: &CompareOptions,
) -> Vec<String> {
    let mut problems = Vec::new();
    let find = |dom: &WeakDom, name: &str| {
        dom.root()
            .children()
            .iter()
            .copied()
            .find(|r| dom.get_by_ref(*r).is_some_and(|i| i.name == name))
    };
    for service in VISIBLE_SERVICES {
        match (find(original, service), find(rebuilt, service)) {
            (Some(a), Some(b)) => {
                let c = compare(original, a, rebuilt, b, options);
                if !c.is_equal() {
                    problems.push(c.report(100000));
                }
            }
            (Some(_), None) => problems.push(format!("{service} is missing after the round trip")),
            (None, Some(b)) => {
                // Created empty by syncback: must be empty.
                if !rebuilt.get_by_ref(b).unwrap().children().is_empty() {
                    problems.push(format!(
                        "{service} was not in the place but came back with children"
                    ));
                }
            }
            (None, None) => problems.push(format!("{service} was not created")),
        }
    }
    problems
}

fn round_trip(file: &str) {
    if !have_place(file) {
        return;
    }
    let temp = common::temp_dir();
    place_project(temp.path(), "syncCurrentCamera: true");
    let original = place(file);
    let (summary, warnings) = syncback_into(temp.path(), place(file), SyncbackOptions::default());
    assert!(!summary.added.is_empty());
    // Same-named siblings by position: their order is what FindFirstChild
    // and GetChildren see.
    let exact = CompareOptions {
        ignored_properties: IDENTITY_PROPERTIES.to_vec(),
        positional_siblings: true,
        ..CompareOptions::exact()
    };

    // The files read back to exactly the place: every instance, every
    // property, floats bit for bit.
    let tree = load(temp.path());
    let problems = compare_services(&original, tree.dom(), &exact);
    assert!(
        problems.is_empty(),
        "{file}: {}\nwarnings: {:?}",
        problems.join("\n"),
        &warnings[..warnings.len().min(20)]
    );

    // The built place files too, `.rbxl` and `.rbxlx`: CFrames to the bit
    // (rotations near an axis included: `dom_file`'s exact-CFrame step),
    // strings with their `\r`s (its XML carriage-return step).
    for encoding in [Encoding::Binary, Encoding::Xml] {
        let rebuilt = build_and_read_as(temp.path(), true, encoding);
        let problems = compare_services(&original, &rebuilt, &exact);
        assert!(
            problems.is_empty(),
            "{file} (built as {encoding:?}): {}",
            problems.join("\n")
        );
    }

    // A second syncback of the same place changes nothing.
    let (again, _) = syncback_into(temp.path(), place(file), SyncbackOptions::default());
    assert!(
        again.is_empty(),
        "{file}: second syncback changed {again:?}"
    );

    // Incremental syncback changes nothing either: of the same place, and
    // of the place the folder builds to (build, open in Studio, sync back).
    let incremental = SyncbackOptions::INCREMENTAL;
    let (again, _) = syncback_into(temp.path(), place(file), incremental);
    assert!(
        again.is_empty(),
        "{file}: incremental syncback of the same place changed {again:?}"
    );
    let (again, _) = syncback_into(temp.path(), build_and_read(temp.path(), true), incremental);
    assert!(
        again.is_empty(),
        "{file}: incremental syncback of the built place changed {again:?}"
    );
}

#[test]
fn miners_haven() {
    round_trip("miners-haven.rbxl");
}

#[test]
fn booga() {
    round_trip("booga-open-sourced.rbxl");
}

#[test]
fn all_classes_binary() {
    round_trip("roblox-file-format-all-classes.rbxl");
}

#[test]
fn all_classes_xml() {
    round_trip("roblox-file-format-all-classes.rbxlx");
}

#[test]
fn difficulty_chart_obby() {
    round_trip("difficulty-chart-obby.rbxlx");
}

/// A model file: syncback into a model project whose root is a model file.
#[test]
fn caves_terrain_model() {
    if !have_place("caves-terrain.rbxm") {
        return;
    }
    let temp = common::temp_dir();
    std::fs::write(
        temp.path().join("default.project.json5"),
        "{ name: 'Terrain', tree: { $path: 'Terrain.model.json5' } }",
    )
    .unwrap();
    let original = place("caves-terrain.rbxm");
    let input = atlas::syncback::model_root(place("caves-terrain.rbxm")).unwrap();
    let (summary, warnings) = syncback_into(temp.path(), input, SyncbackOptions::default());
    assert_eq!(summary.added.len(), 1, "{summary:?} {warnings:?}");
    let tree = load(temp.path());
    let options = CompareOptions {
        ignored_properties: IDENTITY_PROPERTIES.to_vec(),
        compare_root_names: false,
        ..CompareOptions::exact()
    };
    let comparison = compare(
        &original,
        original.root().children()[0],
        tree.dom(),
        tree.root_ref(),
        &options,
    );
    assert!(comparison.is_equal(), "{}", comparison.report(20));
    assert!(comparison.properties_compared > 0);
}

/// Regression: one project built to `.rbxl` and to `.rbxlx` gives the same
/// tree, same-named siblings in the same order.
#[test]
fn binary_and_xml_output_of_one_project_are_the_same_tree() {
    if !have_place("roblox-file-format-all-classes.rbxl") {
        return;
    }
    let temp = common::temp_dir();
    place_project(temp.path(), "");
    syncback_into(
        temp.path(),
        place("roblox-file-format-all-classes.rbxl"),
        SyncbackOptions::default(),
    );
    let out = common::temp_dir();
    let read = |name: &str| {
        let output = out.path().join(name);
        atlas::build::build(&atlas::vfs::StdVfs, temp.path(), &output).unwrap();
        common::read_dom_file(&output)
    };
    let (binary, xml) = (read("place.rbxl"), read("place.rbxlx"));
    let options = CompareOptions::strict();
    let comparison = compare(&binary, binary.root_ref(), &xml, xml.root_ref(), &options);
    assert!(comparison.is_equal(), "{}", comparison.report(20));
    assert!(comparison.instances_compared > 800);
}
