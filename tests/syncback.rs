//! Syncback fixtures: one folder per case under `rojo-test/syncback-tests/`:
//! `input/` is a project that builds into the place (or model) to sync back,
//! `project/` is the project folder before syncback, and `options.json5`
//! may ask for `incremental`. The snapshot (`rojo-test/syncback-test-
//! snapshots/`) holds what the project folder holds afterwards, every file
//! with its bytes, plus the change summary and the warnings.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use atlas::syncback::{describe, SyncbackOptions};
use common::roundtrip::{built_as_file, copy_dir, syncback_into};

fn listing(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if path.is_dir() {
            if fs::read_dir(&path).unwrap().next().is_none() {
                out.push((format!("{relative}/"), "(empty folder)".to_owned()));
            }
            listing(root, &path, out);
        } else {
            let bytes = fs::read(&path).unwrap();
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => format!("({} bytes of binary)", e.as_bytes().len()),
            };
            out.push((relative, text));
        }
    }
}

fn run(name: &str) {
    let case = Path::new("rojo-test").join("syncback-tests").join(name);
    let options_text = fs::read_to_string(case.join("options.json5")).unwrap_or_default();
    let options = SyncbackOptions {
        incremental: options_text.contains("\"incremental\": true"),
        ..SyncbackOptions::default()
    };

    let input = built_as_file(&case.join("input"));

    let temp = common::temp_dir();
    let project_dir = temp.path().join(name);
    copy_dir(&case.join("project"), &project_dir, false);
    let (summary, warnings) = syncback_into(&project_dir, input, options);

    let mut text = format!("summary: {}\n", describe(&summary));
    if !warnings.is_empty() {
        text.push_str("warnings:\n");
        for warning in &warnings {
            let warning = warning.replace(&project_dir.display().to_string(), "<project>");
            text.push_str(&format!("  {warning}\n"));
        }
    }
    let mut files = Vec::new();
    listing(&project_dir, &project_dir, &mut files);
    for (path, contents) in files {
        if contents.is_empty() {
            text.push_str(&format!("--- {path} (empty)\n"));
            continue;
        }
        text.push_str(&format!("--- {path}\n{contents}"));
        if !contents.ends_with('\n') {
            text.push_str("\n(no newline at end)\n");
        }
    }

    insta::with_settings!({
        snapshot_path => "../rojo-test/syncback-test-snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

common::fixture_tests! {
    "rojo-test/syncback-tests";
    clean_into_empty_project,
    clean_keeps_hidden_service_folders,
    clean_removes_orphans,
    clean_replaces_legacy_formats,
    current_camera_dropped,
    current_camera_synced,
    duplicates_and_case_variants,
    hidden_and_missing_services,
    hostile_names,
    ignore_classes_and_properties,
    ignore_referents,
    ignore_paths,
    ignore_trees,
    incremental_keeps_names,
    incremental_removes_what_is_gone,
    localization_tables,
    model_project,
    nested_project_node,
    path_nodes_to_files,
    project_node_rewrite,
    project_node_unchanged_keeps_comments,
    references,
    rojo_project_json,
    scripts_of_every_kind,
    string_value_with_children,
    sync_unscriptable_off,
    unmanaged_files_kept,
    values_and_attributes,
    warn_duplicate_names,
}
