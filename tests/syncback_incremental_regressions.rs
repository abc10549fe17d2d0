//! Incremental syncback bugs the two-way sequence test found, each pinned
//! on a small place: syncback a first place (clean), then a second one
//! incrementally onto that folder, and check the folder builds to the
//! second place (exact, same-named siblings by position) and holds the
//! files expected.

mod common;

use std::path::Path;

use atlas::syncback::SyncbackOptions;
use common::compare::{compare, CompareOptions};
use common::roundtrip::{build_and_read, syncback_into, through_file};
use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

const PROJECT: &str = r#"{ name: "P", tree: { $className: "DataModel", $path: "src" } }"#;

/// A place (every synced service) whose Workspace holds what `fill` puts
/// there.
fn place(fill: impl FnOnce(&mut WeakDom, Ref)) -> WeakDom {
    let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
    let root = dom.root_ref();
    let mut workspace = Ref::none();
    for service in atlas::syncback::VISIBLE_SERVICES {
        let id = dom.insert(root, InstanceBuilder::new(service).with_name(service));
        if service == "Workspace" {
            workspace = id;
        }
    }
    fill(&mut dom, workspace);
    dom
}

fn round(first: WeakDom, second: WeakDom) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = common::temp_dir();
    let root = dir.path().join("p");
    common::write_file(&root.join("default.project.json5"), PROJECT);
    std::fs::create_dir_all(root.join("src")).unwrap();
    syncback_into(&root, first, SyncbackOptions::default());
    let expected = through_file(&second, second.root().children());
    syncback_into(&root, second, SyncbackOptions::INCREMENTAL);
    let built = build_and_read(&root, true);
    let comparison = compare(
        &built,
        built.root_ref(),
        &expected,
        expected.root_ref(),
        &CompareOptions::strict(),
    );
    assert!(
        comparison.is_equal(),
        "the folder does not build to the place: {}",
        comparison.report(20)
    );
    (dir, root)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_same_named_sibling_before_a_kept_one_keeps_its_place() {
    // First: Workspace/A (a Folder). Second: a Model `A` before it. The
    // Model must read back first, so it cannot take `A~2` while the Folder
    // stays `A`.
    let first = place(|dom, ws| {
        dom.insert(ws, InstanceBuilder::new("Folder").with_name("A"));
    });
    let second = place(|dom, ws| {
        dom.insert(
            ws,
            InstanceBuilder::new("Model")
                .with_name("A")
                .with_child(InstanceBuilder::new("Part").with_name("Inside")),
        );
        dom.insert(ws, InstanceBuilder::new("Folder").with_name("A"));
    });
    let (_dir, root) = round(first, second);
    assert_eq!(listing(&root.join("src/Workspace")), ["A~2", "A~3"]);
}

#[test]
fn a_kept_file_whose_ref_target_moved_on_disk_is_written_again() {
    // The pointer's target is the Folder that moves from `A/` to `A~3/`
    // (the case above); the pointer itself is unchanged.
    let first = place(|dom, ws| {
        let target = dom.insert(ws, InstanceBuilder::new("Folder").with_name("A"));
        dom.insert(
            ws,
            InstanceBuilder::new("ObjectValue")
                .with_name("Pointer")
                .with_property("Value", Variant::Ref(target)),
        );
    });
    let second = place(|dom, ws| {
        dom.insert(
            ws,
            InstanceBuilder::new("Model")
                .with_name("A")
                .with_child(InstanceBuilder::new("Part").with_name("Inside")),
        );
        let target = dom.insert(ws, InstanceBuilder::new("Folder").with_name("A"));
        dom.insert(
            ws,
            InstanceBuilder::new("ObjectValue")
                .with_name("Pointer")
                .with_property("Value", Variant::Ref(target)),
        );
    });
    let (_dir, root) = round(first, second);
    let pointer = std::fs::read_to_string(root.join("src/Workspace/Pointer.model.json5")).unwrap();
    assert!(pointer.contains("\"./A~3\""), "{pointer}");
}

#[test]
fn a_childless_model_file_that_gets_children_becomes_a_folder() {
    let first = place(|dom, ws| {
        dom.insert(ws, InstanceBuilder::new("Model").with_name("Lamp"));
    });
    let second = place(|dom, ws| {
        dom.insert(
            ws,
            InstanceBuilder::new("Model")
                .with_name("Lamp")
                .with_child(InstanceBuilder::new("Part").with_name("Bulb")),
        );
    });
    let (_dir, root) = round(first, second);
    assert_eq!(listing(&root.join("src/Workspace")), ["Lamp"]);
    assert_eq!(
        listing(&root.join("src/Workspace/Lamp")),
        ["Bulb.model.json5", "init.meta.json5"]
    );
}

#[test]
fn the_gitkeep_of_an_empty_folder_goes_when_it_gets_children() {
    let first = place(|dom, ws| {
        dom.insert(ws, InstanceBuilder::new("Folder").with_name("Empty"));
    });
    let second = place(|dom, ws| {
        dom.insert(
            ws,
            InstanceBuilder::new("Folder")
                .with_name("Empty")
                .with_child(InstanceBuilder::new("Part").with_name("Now")),
        );
    });
    let (_dir, root) = round(first, second);
    assert_eq!(
        listing(&root.join("src/Workspace/Empty")),
        ["Now.model.json5"]
    );
}
