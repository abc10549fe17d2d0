//! Build → syncback → build: for every fixture Atlas has (its own build
//! fixtures and Rojo's conformance fixtures), the second build must give
//! exactly the tree of the first.
//!
//! Each fixture goes through twice: into a skeleton (a copy of its project
//! files only) and into a full copy of the fixture (so clean mode must also
//! replace what was there).

mod common;

use std::path::{Path, PathBuf};

use atlas::syncback::SyncbackOptions;
use common::compare::{compare, CompareOptions};
use common::roundtrip::{built_as_file, copy_dir, syncback_into};
use rbx_dom_weak::WeakDom;

/// Compares root children one by one; services syncback creates empty (when
/// the place had none) may appear on the right.
fn assert_same(name: &str, first: &WeakDom, second: &WeakDom) {
    let options = CompareOptions {
        ignore_unique_ids: true,
        positional_siblings: true,
        ..CompareOptions::exact()
    };
    let mut second = second.clone_into_external_root();
    let extra: Vec<_> = second
        .root()
        .children()
        .iter()
        .filter(|r| {
            let i = second.get_by_ref(**r).unwrap();
            i.children().is_empty()
                && atlas::syncback::VISIBLE_SERVICES.contains(&i.name.as_str())
                && !first
                    .root()
                    .children()
                    .iter()
                    .any(|f| first.get_by_ref(*f).unwrap().name == i.name)
        })
        .copied()
        .collect();
    for r in extra {
        second.destroy(r);
    }
    let comparison = compare(
        first,
        first.root_ref(),
        &second,
        second.root_ref(),
        &options,
    );
    assert!(comparison.is_equal(), "{name}: {}", comparison.report(30));
}

trait CloneRoot {
    fn clone_into_external_root(&self) -> WeakDom;
}

impl CloneRoot for WeakDom {
    fn clone_into_external_root(&self) -> WeakDom {
        let mut bytes = Vec::new();
        let roots = self.root().children().to_vec();
        atlas::dom_file::write(&mut bytes, self, &roots, atlas::dom_file::Encoding::Binary)
            .unwrap();
        let mut dom = atlas::dom_file::read(&bytes, atlas::dom_file::Encoding::Binary).unwrap();
        // Keep the root's own name and class for the comparison.
        let root = dom.root_ref();
        let original = self.root();
        let r = dom.get_by_ref_mut(root).unwrap();
        r.name = original.name.clone();
        r.class = original.class;
        r.properties = original.properties.clone();
        dom
    }
}

fn check(fixture: PathBuf, skeleton: bool) {
    let name = fixture.display().to_string();
    let first = built_as_file(&fixture);
    let temp = common::temp_dir();
    // Same folder name: a project without `name` is named after it.
    let dir = temp.path().join(fixture.file_name().unwrap());
    copy_dir(&fixture, &dir, skeleton);
    syncback_into(
        &dir,
        first.clone_into_external_root(),
        SyncbackOptions::default(),
    );
    let second = built_as_file(&dir);
    assert_same(&name, &first, &second);

    // Syncing the same thing again changes nothing.
    let (again, _) = syncback_into(
        &dir,
        first.clone_into_external_root(),
        SyncbackOptions::default(),
    );
    assert!(
        again.is_empty(),
        "{name}: second syncback changed {again:?}"
    );
}

macro_rules! roundtrip_tests {
    ($base:expr, $( $name:ident $( [$($flag:ident),*] )? ),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let fixture = $base.join(stringify!($name));
                if !common::have_shared(&fixture) {
                    return;
                }
                let full_only = false $( $( || stringify!($flag) == "full_only" )* )?;
                check(fixture.clone(), false);
                if !full_only {
                    check(fixture, true);
                }
            }
        )*
    };
}

/// Every build fixture that builds. Left out: `service_folders_inferred`,
/// whose DataModel holds `Chat` and a plain folder: syncback keeps only the
/// 14 visible services under a DataModel, by design.
mod atlas_fixtures {
    use super::*;

    fn base() -> PathBuf {
        PathBuf::from("rojo-test").join("build-tests")
    }

    roundtrip_tests! { base(),
        attributes_forms, class_inference, class_name_keeps_a_missing_path,
        class_name_over_folder_path, csv_localization,
        data_modules, dedup_order_follows_suffixes, dedup_suffix, deep_hierarchy, gitkeep_and_unknown_files, glob_ignore_paths,
        init_priority, meta_adjacent, meta_init_class_name, meta_json_fallback, meta_name_override,
        model_json5, model_json_rojo_keys, model_name_override, nested_project_contexts,
        nested_project_dir_scan, nested_project_via_path, optional_paths, place_project_json5,
        project_json_children_order, property_values_explicit, property_values_implicit,
        rbxm_files, refs_legacy_ids, refs_paths, reserved_property_keys, root_is_a_script,
        script_source_verbatim, scripts_atlas_suffixes, scripts_emit_legacy_opt_in,
        scripts_emit_legacy_opt_out, scripts_rojo_project_legacy,
        sync_rules_custom, sync_scripts_only, txt_files,
    }
}

mod rojo_fixtures {
    use super::*;

    fn base() -> PathBuf {
        common::shared_dir().join("conformance").join("rojo-build")
    }

    roundtrip_tests! { base(),
        attributes, client_in_folder, client_init, csv_bug_145, csv_bug_147, csv_in_folder,
        deep_nesting, gitkeep, ignore_glob_inner, ignore_glob_nested, ignore_glob_spec,
        infer_service_name, infer_starter_player, init_csv_with_children, init_meta_class_name,
        init_meta_properties, init_with_children, issue_546,
        // Its root's $path is a JSON data file, which syncback leaves alone
        // when it reads back the same: it needs the file to be there.
        json_as_lua [full_only],
        json_model_in_folder, json_model_legacy_name, module_in_folder, module_init,
        nested_runcontext, no_name_default_project, no_name_project, no_name_top_level_project,
        optional, plugin_init, project_composed_default, project_composed_file, project_root_name,
        rbxm_in_folder, rbxmx_in_folder, rbxmx_ref, script_meta_disabled, server_in_folder,
        server_init, sync_rule_alone, sync_rule_complex, sync_rule_nested_projects, txt,
        txt_in_folder, unresolved_values, weldconstraint,
    }
}

/// Regression: a project node whose optional `$path` is missing and that
/// names no `$className` builds no instance until its folder exists. Syncback
/// wrote the place's instance into the node (its properties into
/// `$properties`) without making the folder, and the next build lost the
/// instance: the demo place's Lighting (properties, no children), synced
/// live into a project of optional service folders, came back without its
/// Ambient and ClockTime.
#[test]
fn optional_path_without_class_is_made_for_a_synced_instance() {
    let temp = common::temp_dir();
    let input = temp.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(
        input.join("default.project.json5"),
        "{ name: 'Input', tree: { $className: 'DataModel',
            Lighting: { $properties: { ClockTime: 14.5 } },
            ReplicatedStorage: { Thing: { $className: 'Folder' } } } }",
    )
    .unwrap();
    syncs_into_a_project_making(
        temp.path(),
        &built_as_file(&input),
        "{ name: 'Place', tree: { $className: 'DataModel',
            Lighting: { $path: { optional: 'src/Lighting' } },
            ReplicatedStorage: { $path: { optional: 'src/ReplicatedStorage' } } } }",
        "src/Lighting",
    );
}

/// Regression: two project nodes sharing one missing `$path` folder, one
/// with a `$className` (built without the folder) and one without (built
/// only from it): the first made syncback skip the folder the second needs.
#[test]
fn a_folder_two_nodes_share_is_made_when_either_needs_it() {
    let temp = common::temp_dir();
    let input = temp.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(
        input.join("default.project.json5"),
        "{ name: 'Input', tree: { $className: 'DataModel',
            ReplicatedStorage: { $className: 'ReplicatedStorage' },
            ServerStorage: { $className: 'ServerStorage' } } }",
    )
    .unwrap();
    syncs_into_a_project_making(
        temp.path(),
        &built_as_file(&input),
        "{ name: 'Place', tree: { $className: 'DataModel',
            ReplicatedStorage: { $className: 'ReplicatedStorage', $path: 'src/Shared' },
            ServerStorage: { $path: { optional: 'src/Shared' } } } }",
        "src/Shared",
    );
}

/// Syncs `place` back, clean and incremental, into a new project holding
/// only `project`: `folder` must be made, and the project must build back
/// into `place`.
fn syncs_into_a_project_making(temp: &Path, place: &WeakDom, project: &str, folder: &str) {
    for options in [SyncbackOptions::default(), SyncbackOptions::INCREMENTAL] {
        let dir = temp.join(format!("project-{}", options.incremental));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("default.project.json5"), project).unwrap();
        syncback_into(&dir, place.clone_into_external_root(), options);
        assert!(dir.join(folder).is_dir(), "{folder} was not made");
        let second = built_as_file(&dir);
        assert_same(
            &format!("incremental: {}", options.incremental),
            place,
            &second,
        );
    }
}
