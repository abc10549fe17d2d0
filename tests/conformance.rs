//! Rojo conformance: every fixture in `../shared/conformance/rojo-build/`
//! must build to the same tree as the `expected.rbxm` Rojo 7.7 wrote for it,
//! and give the sourcemaps Rojo 7.7 writes for it
//! (`../shared/conformance/rojo-sourcemap/`).
//! Floats compare within 1e-4, since the expected files come from another
//! tool; a property absent on one side equals the class default.

mod common;

use std::path::PathBuf;

use common::compare::{compare, CompareOptions};

fn fixtures_dir() -> PathBuf {
    common::shared_dir().join("conformance").join("rojo-build")
}

fn check(name: &str) {
    let fixture = fixtures_dir().join(name);
    if !common::have_shared(&fixture) {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("built.rbxm");
    atlas::build::build(&atlas::vfs::StdVfs, &fixture, &output)
        .unwrap_or_else(|e| panic!("{name}: build failed: {e}"));

    let built = common::read_dom_file(&output);
    let expected = common::read_dom_file(&fixture.join("expected.rbxm"));
    assert_eq!(
        built.root().children().len(),
        1,
        "{name}: built model must hold one instance"
    );
    assert_eq!(
        expected.root().children().len(),
        1,
        "{name}: expected model must hold one instance"
    );

    let comparison = compare(
        &built,
        built.root().children()[0],
        &expected,
        expected.root().children()[0],
        &CompareOptions::within(1e-4),
    );
    assert!(comparison.is_equal(), "{name}: {}", comparison.report(40));
    assert!(comparison.instances_compared > 0);
    check_sourcemaps(name, &fixture);
}

/// `atlas sourcemap` run inside the fixture equals, as JSON, what Rojo 7.7
/// writes there (`X.json`: every instance; `X.scripts.json`: scripts only).
fn check_sourcemaps(name: &str, fixture: &std::path::Path) {
    let dir = common::shared_dir()
        .join("conformance")
        .join("rojo-sourcemap");
    if !common::have_shared(&dir) {
        return;
    }
    let project = atlas::project::Project::locate(fixture).unwrap();
    let loaded = atlas::build::load_tree(&atlas::vfs::StdVfs, &project).unwrap();
    for (include_non_scripts, file) in [
        (true, format!("{name}.json")),
        (false, format!("{name}.scripts.json")),
    ] {
        let options = atlas::sourcemap::SourcemapOptions {
            include_non_scripts,
            absolute: false,
            base: fixture.to_path_buf(),
        };
        let ours: serde_json::Value = serde_json::from_slice(&atlas::sourcemap::to_json(
            atlas::sourcemap::sourcemap(&loaded.tree, &atlas::vfs::StdVfs, &options).as_ref(),
        ))
        .unwrap();
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(&file)).unwrap()).unwrap();
        assert_eq!(
            ours, expected,
            "{name}: the sourcemap differs from Rojo's {file}"
        );
    }
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {
        const FIXTURES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

conformance_tests! {
    attributes,
    client_in_folder,
    client_init,
    csv_bug_145,
    csv_bug_147,
    csv_in_folder,
    deep_nesting,
    gitkeep,
    ignore_glob_inner,
    ignore_glob_nested,
    ignore_glob_spec,
    infer_service_name,
    infer_starter_player,
    init_csv_with_children,
    init_meta_class_name,
    init_meta_properties,
    init_with_children,
    issue_546,
    json_as_lua,
    json_model_in_folder,
    json_model_legacy_name,
    module_in_folder,
    module_init,
    nested_runcontext,
    no_name_default_project,
    no_name_project,
    no_name_top_level_project,
    optional,
    plugin_init,
    project_composed_default,
    project_composed_file,
    project_root_name,
    rbxm_in_folder,
    rbxmx_in_folder,
    rbxmx_ref,
    script_meta_disabled,
    server_in_folder,
    server_init,
    sync_rule_alone,
    sync_rule_complex,
    sync_rule_nested_projects,
    txt,
    txt_in_folder,
    unresolved_values,
    weldconstraint,
}

/// A fixture added to the shared folder must be added to the list above.
#[test]
fn every_fixture_is_listed() {
    if !common::have_shared(&fixtures_dir()) {
        return;
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("../shared/conformance/rojo-build exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert_eq!(listed.len(), 45);
}

/// The comparison must notice a real difference, or the tests above prove nothing.
#[test]
fn comparison_detects_a_changed_property() {
    let fixture = fixtures_dir().join("unresolved_values");
    if !common::have_shared(&fixture) {
        return;
    }
    let expected = common::read_dom_file(&fixture.join("expected.rbxm"));
    let mut changed = common::read_dom_file(&fixture.join("expected.rbxm"));
    let int_value = changed
        .descendants()
        .find(|i| i.name == "Int")
        .map(|i| i.referent())
        .unwrap();
    changed
        .get_by_ref_mut(int_value)
        .unwrap()
        .properties
        .insert("Value".into(), rbx_dom_weak::types::Variant::Int64(66));
    let comparison = compare(
        &changed,
        changed.root().children()[0],
        &expected,
        expected.root().children()[0],
        &CompareOptions::within(1e-4),
    );
    assert_eq!(comparison.differences.len(), 1, "{}", comparison.report(10));
    assert!(comparison.differences[0].contains(".Value"));
}
