//! Incremental syncback keeps a project as it is.
//!
//! Fixtures: one folder per case under `rojo-test/noop-tests/`, each a
//! hand-written project (`project/`) in a layout Atlas would not write
//! itself, and an `edit.json5` (`{ file, find, replace }`): one change made
//! to one file.
//!
//! For every case:
//! 1. building `project/` and syncing the place back into it incrementally
//!    changes no file (byte for byte);
//! 2. building the edited project and syncing that place back into the
//!    unedited one changes exactly the edited file, and the folder then
//!    builds to the same tree as the edited project (compared exactly, by
//!    position). The snapshot holds the file as syncback wrote it, so its
//!    format (spelling, indentation) is on record.
//!
//! The same no-op check runs over every build fixture that builds and the
//! examples, and once through the real binary.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use atlas::syncback::SyncbackOptions;
use common::compare::{compare, CompareOptions};
use common::files::files;
use common::roundtrip::{build_and_read, built_as_file, copy_dir, syncback_into};

const INCREMENTAL: SyncbackOptions = SyncbackOptions::INCREMENTAL;

/// The paths whose bytes differ between two listings, added and removed
/// ones included.
fn differing(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut paths: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Builds `dir` and syncs the built place back into it incrementally;
/// returns the paths that changed and the warnings.
fn noop(dir: &Path) -> (Vec<String>, Vec<String>) {
    let before = files(dir);
    let dom = built_as_file(dir);
    let (summary, warnings) = syncback_into(dir, dom, INCREMENTAL);
    let after = files(dir);
    let changed = differing(&before, &after);
    assert_eq!(
        summary.added.len() + summary.changed.len() + summary.removed.len(),
        changed.len(),
        "{}: the change summary does not match what happened on disk: {summary:?}, on disk {changed:?} (before: {:?})",
        dir.display(),
        changed.iter().map(|p| before.contains_key(p)).collect::<Vec<_>>()
    );
    (changed, warnings)
}

fn is_place(dir: &Path) -> bool {
    let file = atlas::project::Project::locate(dir).unwrap();
    let project = atlas::project::Project::load(&file).unwrap();
    project.tree.class_name.as_deref() == Some("DataModel")
}

#[derive(serde::Deserialize)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

/// Runs the real `atlas` binary and checks it succeeds.
fn atlas(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(args)
        .output()
        .expect("atlas runs");
    assert!(
        output.status.success(),
        "atlas {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A copy of a case's `project/` folder, in a temporary folder.
fn case_project(case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = common::temp_dir();
    let project = temp.path().join("project");
    copy_dir(
        &Path::new("rojo-test")
            .join("noop-tests")
            .join(case)
            .join("project"),
        &project,
        false,
    );
    (temp, project)
}

fn run(name: &str) {
    let case = Path::new("rojo-test").join("noop-tests").join(name);
    let temp = common::temp_dir();

    // 1. No change at all.
    let project = temp.path().join("project");
    copy_dir(&case.join("project"), &project, false);
    let (changed, warnings) = noop(&project);
    assert!(
        changed.is_empty(),
        "{name}: incremental syncback of the unchanged place changed {changed:?} (warnings: {warnings:?})"
    );

    // 2. One edit: exactly that file changes.
    let edit: Edit = atlas::json::from_str(
        &fs::read_to_string(case.join("edit.json5")).expect("every case has an edit.json5"),
    )
    .unwrap();
    let edited = temp.path().join("edited");
    copy_dir(&case.join("project"), &edited, false);
    let edited_file = edited.join(&edit.file);
    let text = fs::read_to_string(&edited_file).unwrap();
    assert!(
        text.contains(&edit.find),
        "{name}: edit.json5's `find` is not in {}",
        edit.file
    );
    fs::write(&edited_file, text.replacen(&edit.find, &edit.replace, 1)).unwrap();

    let target = temp.path().join("target");
    copy_dir(&case.join("project"), &target, false);
    let before = files(&target);
    let (_, warnings) = syncback_into(&target, built_as_file(&edited), INCREMENTAL);
    let after = files(&target);
    assert_eq!(
        differing(&before, &after),
        vec![edit.file.clone()],
        "{name}: the edit should change exactly its own file (warnings: {warnings:?})"
    );

    let place = is_place(&edited);
    let expected = build_and_read(&edited, place);
    let actual = build_and_read(&target, place);
    let comparison = compare(
        &expected,
        expected.root_ref(),
        &actual,
        actual.root_ref(),
        &CompareOptions::strict(),
    );
    assert!(
        comparison.is_equal(),
        "{name}: the synced-back folder does not build to the edited project: {}",
        comparison.report(20)
    );

    let written = String::from_utf8_lossy(&after[&edit.file]).into_owned();
    insta::with_settings!({
        snapshot_path => "../rojo-test/noop-test-snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("{} after the edit, as incremental syncback wrote it", edit.file),
    }, {
        insta::assert_snapshot!(name, written);
    });
}

common::fixture_tests! {
    "rojo-test/noop-tests";
    rojo_data_modules,
    rojo_init_lua_folders,
    rojo_models,
    rojo_path_folder_init_meta,
    rojo_project_node_properties,
    rojo_script_edit_keeps_meta,
    rojo_script_folder_with_meta,
    rojo_wally_manifest,
}

/// Clean mode lays a project out afresh, but a data file (a package
/// manifest) stays a data file: never replaced by a generated script.
#[test]
fn clean_mode_keeps_data_files() {
    for case in ["rojo_data_modules", "rojo_wally_manifest"] {
        let (_temp, project) = case_project(case);
        let before = files(&project);
        let dom = built_as_file(&project);
        syncback_into(&project, dom, SyncbackOptions::default());
        let after = files(&project);
        for (path, bytes) in &before {
            let is_data = [".json", ".toml", ".yaml"]
                .iter()
                .any(|e| path.ends_with(e) && !path.ends_with(".project.json"));
            if is_data {
                assert_eq!(
                    after.get(path),
                    Some(bytes),
                    "{case}: clean syncback changed or removed the data file {path}"
                );
            }
        }
        let scripts: Vec<&String> = after
            .keys()
            .filter(|p| !before.contains_key(*p) && (p.ends_with(".luau") || p.ends_with(".lua")))
            .filter(|p| ["wally", "config", "items"].iter().any(|n| p.contains(n)))
            .collect();
        assert!(
            scripts.is_empty(),
            "{case}: data files became scripts: {scripts:?}"
        );
    }
}

/// Every build fixture that builds, every example and every Rojo
/// conformance project: an unchanged place synced back incrementally
/// changes nothing.
#[test]
fn every_buildable_fixture_is_a_noop() {
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    let mut roots = vec![
        std::path::PathBuf::from("rojo-test/build-tests"),
        std::path::PathBuf::from("examples"),
    ];
    // Rojo's own test projects, when the shared data is beside the repo.
    let rojo = common::shared_dir().join("conformance").join("rojo-build");
    if common::have_shared(&rojo) {
        roots.push(rojo);
    }
    for root in roots {
        for entry in fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            if path.join("default.project.json5").exists()
                || path.join("default.project.json").exists()
            {
                dirs.push(path);
            }
        }
    }
    dirs.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in dirs {
        let file = atlas::project::Project::locate(&dir).unwrap();
        if atlas::build::load_tree(&atlas::vfs::StdVfs, &file).is_err() {
            continue; // an error fixture
        }
        let temp = common::temp_dir();
        let copy = temp.path().join("project");
        copy_dir(&dir, &copy, false);
        checked += 1;
        let (changed, _) = noop(&copy);
        if !changed.is_empty() {
            failures.push(format!("{}: {changed:?}", dir.display()));
        }
    }
    assert!(checked > 30, "only {checked} fixtures were checked");
    eprintln!("{checked} projects checked");
    assert!(
        failures.is_empty(),
        "incremental syncback of an unchanged place changed files:\n{}",
        failures.join("\n")
    );
}

/// `atlas syncback --incremental --dry-run --list` on an unchanged project
/// lists nothing to add, change or remove.
#[test]
fn the_binary_lists_nothing_for_an_unchanged_project() {
    let (temp, project) = case_project("rojo_init_lua_folders");
    let place = temp.path().join("place.rbxl");
    atlas(&[
        "build".as_ref(),
        project.as_os_str(),
        "-o".as_ref(),
        place.as_os_str(),
    ]);
    let output = atlas(&[
        "syncback".as_ref(),
        project.as_os_str(),
        "-i".as_ref(),
        place.as_os_str(),
        "--incremental".as_ref(),
        "--dry-run".as_ref(),
        "--list".as_ref(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let listed: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("add ") || l.starts_with("change ") || l.starts_with("remove "))
        .collect();
    assert!(listed.is_empty(), "listed: {listed:?}\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("0 added, 0 changed, 0 removed")
            || stderr.contains("0 added, 0 changed, 0 removed"),
        "the summary says nothing changed:\n{stdout}\n{stderr}"
    );
}

/// A copy of a case's project whose project file asks for incremental mode
/// (`syncbackRules.incremental`).
fn project_asking_for_incremental(case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (temp, project) = case_project(case);
    let file = project.join("default.project.json");
    let text = fs::read_to_string(&file).unwrap();
    let text = text.replacen('{', "{\n  \"syncbackRules\": { \"incremental\": true },", 1);
    fs::write(&file, text).unwrap();
    (temp, project)
}

/// `syncbackRules.incremental`: `atlas syncback` without a flag keeps the
/// layout; `--clean` lays it out afresh.
#[test]
fn the_project_can_ask_for_incremental_mode() {
    let (temp, project) = project_asking_for_incremental("rojo_init_lua_folders");
    let place = temp.path().join("place.rbxl");
    atlas(&[
        "build".as_ref(),
        project.as_os_str(),
        "-o".as_ref(),
        place.as_os_str(),
    ]);
    let before = files(&project);
    atlas(&[
        "syncback".as_ref(),
        project.as_os_str(),
        "-i".as_ref(),
        place.as_os_str(),
    ]);
    assert_eq!(differing(&before, &files(&project)), Vec::<String>::new());

    atlas(&[
        "syncback".as_ref(),
        project.as_os_str(),
        "-i".as_ref(),
        place.as_os_str(),
        "--clean".as_ref(),
    ]);
    let after = files(&project);
    assert!(
        !after.contains_key("src/shared/Util/init.lua")
            && after.contains_key("src/shared/Util/init.luau"),
        "--clean lays the project out afresh: {:?}",
        after.keys().collect::<Vec<_>>()
    );
}

/// Live syncback (the plugin's Syncback button) follows the project's
/// `syncbackRules.incremental` as `atlas syncback` does: an unchanged place
/// changes no file.
#[test]
fn live_syncback_follows_the_project_mode() {
    use atlas::syncback::chunks::split;
    use common::live::{LiveServer, SyncbackBody};

    let (_temp, project) = project_asking_for_incremental("rojo_init_lua_folders");
    let place = built_as_file(&project);
    let (data, chunks) = split(&place).unwrap();
    let before = files(&project);
    {
        let server = LiveServer::start(&project, &[]);
        let session = server.session_id();
        let (status, body) = server.post_syncback(&SyncbackBody::new(&data, &chunks).encode());
        assert_eq!(status, 200, "{body}");
        server.wait_for_new_session(&session);
    }
    assert_eq!(differing(&before, &files(&project)), Vec::<String>::new());
}

/// A data file whose module becomes code in the place cannot hold it: the
/// module is written as a script file, a warning names the data file, and
/// the data file goes (the old tree read it).
#[test]
fn a_data_module_that_becomes_code_is_written_as_a_script_and_said() {
    let (_temp, project) = case_project("rojo_data_modules");
    let mut dom = built_as_file(&project);
    let config = dom
        .descendants()
        .find(|i| i.name == "config" && i.class == "ModuleScript")
        .map(|i| i.referent())
        .expect("the place holds config.json's module");
    dom.get_by_ref_mut(config).unwrap().properties.insert(
        rbx_dom_weak::ustr("Source"),
        rbx_dom_weak::types::Variant::String("return function() return 16 end\n".into()),
    );
    let before = files(&project);
    let (_, warnings) = syncback_into(&project, dom, INCREMENTAL);
    let after = files(&project);
    assert_eq!(
        differing(&before, &after),
        vec![
            "src/shared/config.json".to_owned(),
            "src/shared/config.luau".to_owned()
        ]
    );
    assert!(!after.contains_key("src/shared/config.json"));
    assert_eq!(
        after["src/shared/config.luau"],
        b"return function() return 16 end\n".to_vec()
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("config.json") && w.contains("no longer plain data")),
        "{warnings:?}"
    );
}
