//! Build fixtures: one folder per case under `rojo-test/build-tests/`, each
//! with an insta snapshot (`rojo-test/build-test-snapshots/`) of the built
//! tree, any warnings and the sourcemap (`atlas sourcemap
//! --include-non-scripts` run inside the fixture), or of the error the build
//! stops with.
//!
//! Every case also runs the real `build` into a temporary `.rbxm`: a case
//! that fails must leave no output file, and one that succeeds must write a
//! file that reads back to the same tree.

mod common;

use std::path::{Path, PathBuf};

use atlas::build::{build, load_tree};
use atlas::project::Project;
use atlas::vfs::StdVfs;
use common::compare::{compare, CompareOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new("rojo-test").join("build-tests").join(name)
}

fn run(name: &str) {
    let dir = fixture(name);
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("out.rbxm");
    let built = build(&StdVfs, &dir, &output);

    let text = match Project::locate(&dir)
        .map_err(atlas::build::BuildError::from)
        .and_then(|file| load_tree(&StdVfs, &file).map_err(atlas::build::BuildError::from))
    {
        Ok(loaded) => {
            let built =
                built.unwrap_or_else(|e| panic!("{name}: load_tree passed but build failed: {e}"));
            assert_eq!(built.instances, loaded.tree.len());
            let dom = common::read_dom_file(&output);
            let comparison = compare(
                loaded.tree.dom(),
                loaded.tree.root_ref(),
                &dom,
                dom.root().children()[0],
                &CompareOptions {
                    lenient_encodings: true,
                    ..CompareOptions::exact()
                },
            );
            assert!(
                comparison.is_equal(),
                "{name}: the written file differs: {}",
                comparison.report(20)
            );

            let mut text = common::tree_view::view(loaded.tree.dom(), loaded.tree.root_ref());
            for warning in &loaded.ref_warnings {
                text.push_str(&format!("warning: {warning}\n"));
            }
            // The sourcemap (every instance) from inside the fixture.
            let options = atlas::sourcemap::SourcemapOptions {
                include_non_scripts: true,
                absolute: false,
                base: dir.clone(),
            };
            let map = atlas::sourcemap::sourcemap(&loaded.tree, &StdVfs, &options);
            text.push_str("sourcemap:\n");
            text.push_str(&serde_json::to_string_pretty(&map).unwrap());
            text.push('\n');
            text
        }
        Err(err) => {
            assert!(built.is_err(), "{name}: load_tree failed but build passed");
            assert!(
                !output.exists(),
                "{name}: a failed build wrote {}",
                output.display()
            );
            format!("error: {err}\n").replace('\\', "/")
        }
    };

    insta::with_settings!({
        snapshot_path => "../rojo-test/build-test-snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

common::fixture_tests! {
    "rojo-test/build-tests";
    attributes_forms,
    class_inference,
    class_name_keeps_a_missing_path,
    class_name_over_folder_path,
    csv_localization,
    data_modules,
    dedup_order_follows_suffixes,
    dedup_suffix,
    deep_hierarchy,
    error_attribute_implicit_array,
    error_attribute_unsupported_type,
    error_class_conflicts_with_path,
    error_class_name_in_adjacent_meta,
    error_class_name_on_script_init,
    error_duplicate_key,
    error_enum_number_implicit,
    error_enum_unknown_item,
    error_explicit_wrong_type,
    error_invalid_glob,
    error_malformed_meta,
    error_malformed_model,
    error_malformed_project,
    error_meta_name_twice,
    error_missing_packages_suggests_wally,
    error_meta_unknown_key,
    error_nested_project_invalid,
    error_no_class,
    error_path_produces_nothing,
    error_project_cycle,
    error_project_includes_itself,
    error_rbxm_corrupt,
    error_rbxm_no_instances,
    error_rbxm_two_instances,
    error_required_path_missing,
    error_script_not_utf8,
    error_sync_rule_unknown_use,
    error_txt_not_utf8,
    error_unknown_class_meta,
    error_unknown_class_model,
    error_unknown_class_project,
    error_unknown_property_implicit,
    error_unknown_top_level_key,
    error_wrong_shape_meta,
    error_wrong_shape_model_child,
    error_wrong_shape_project,
    gitkeep_and_unknown_files,
    glob_ignore_paths,
    init_priority,
    meta_adjacent,
    meta_init_class_name,
    meta_json_fallback,
    meta_name_override,
    model_json5,
    model_json_rojo_keys,
    model_name_override,
    nested_project_contexts,
    nested_project_dir_scan,
    nested_project_via_path,
    optional_paths,
    place_project_json5,
    project_json_children_order,
    property_values_explicit,
    property_values_implicit,
    rbxm_files,
    refs_legacy_ids,
    refs_paths,
    reserved_property_keys,
    root_is_a_script,
    script_source_verbatim,
    scripts_atlas_suffixes,
    scripts_emit_legacy_opt_in,
    scripts_emit_legacy_opt_out,
    scripts_rojo_project_legacy,
    sync_rules_custom,
    service_folders_inferred,
    sync_scripts_only,
    txt_files,
}
