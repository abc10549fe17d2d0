//! Syncback followed by build, compared with what went in.

use std::path::Path;

use atlas::build::load_tree;
use atlas::dom_file::{self, Encoding};
use atlas::project::Project;
use atlas::syncback::{self, ChangeSummary, SyncbackOptions};
use atlas::vfs::StdVfs;
use rbx_dom_weak::WeakDom;

/// Properties syncback leaves out on purpose (identities Studio assigns).
pub const IDENTITY_PROPERTIES: &[&str] = &["UniqueId", "HistoryId"];

/// Syncs `dom` back into the project at `project_dir` and applies it.
pub fn syncback_into(
    project_dir: &Path,
    dom: WeakDom,
    options: SyncbackOptions,
) -> (ChangeSummary, Vec<String>) {
    let project_file = Project::locate(project_dir).unwrap();
    let project = Project::load(&project_file).unwrap();
    let old = if options.needs_old_tree(&project) {
        Some(load_tree(&StdVfs, &project_file).unwrap().tree)
    } else {
        None
    };
    let result = syncback::syncback(&StdVfs, &project, old.as_ref(), dom, options)
        .unwrap_or_else(|e| panic!("syncback failed: {e}"));
    let summary = result
        .changes
        .apply(&project.folder)
        .unwrap_or_else(|e| panic!("apply failed: {e}"));
    (summary, result.warnings)
}

/// Builds the project at `project_dir` into a place or model file's bytes,
/// then reads them back, as a user opening the file would.
pub fn build_and_read(project_dir: &Path, place: bool) -> WeakDom {
    build_and_read_as(project_dir, place, Encoding::Binary)
}

/// What differs between a DataModel (a plugin's, as a place file holds
/// it) and a fresh build of `project_dir`, exactly, same-named siblings by
/// position; None when they are equal.
pub fn build_differences(place: &WeakDom, project_dir: &Path) -> Option<String> {
    use super::compare::{compare, CompareOptions};
    let built = build_and_read(project_dir, true);
    let options = CompareOptions {
        positional_siblings: true,
        compare_root_names: false,
        ..CompareOptions::exact()
    };
    let comparison = compare(place, place.root_ref(), &built, built.root_ref(), &options);
    (!comparison.is_equal()).then(|| comparison.report(40))
}

/// [`build_and_read`] through the given encoding (`.rbxlx` for XML).
pub fn build_and_read_as(project_dir: &Path, place: bool, encoding: Encoding) -> WeakDom {
    let project_file = Project::locate(project_dir).unwrap();
    let loaded = load_tree(&StdVfs, &project_file).unwrap_or_else(|e| panic!("build failed: {e}"));
    assert!(
        loaded.ref_warnings.is_empty(),
        "unresolved references: {:?}",
        loaded.ref_warnings
    );
    let dom = loaded.tree.dom();
    let roots = if place {
        dom.root().children().to_vec()
    } else {
        vec![dom.root_ref()]
    };
    let mut bytes = Vec::new();
    dom_file::write(&mut bytes, dom, &roots, encoding).unwrap();
    dom_file::read(&bytes, encoding).unwrap()
}

/// Encodes and decodes a DOM, so both sides of a comparison have been
/// through the same file format.
pub fn through_file(dom: &WeakDom, roots: &[rbx_dom_weak::types::Ref]) -> WeakDom {
    let mut bytes = Vec::new();
    dom_file::write(&mut bytes, dom, roots, Encoding::Binary).unwrap();
    dom_file::read(&bytes, Encoding::Binary).unwrap()
}

/// Trims two places to what syncback keeps, so they can be compared whole
/// (references may cross services): `original` keeps the 14 visible
/// services; `rebuilt` keeps the services `original` has (syncback creates
/// the missing ones empty).
pub fn trim_to_synced(original: &mut WeakDom, rebuilt: &mut WeakDom) {
    let keep = |dom: &WeakDom, pred: &dyn Fn(&str) -> bool| -> Vec<rbx_dom_weak::types::Ref> {
        dom.root()
            .children()
            .iter()
            .copied()
            .filter(|r| !pred(&dom.get_by_ref(*r).unwrap().name))
            .collect()
    };
    for r in keep(original, &|name| {
        atlas::syncback::VISIBLE_SERVICES.contains(&name)
    }) {
        original.destroy(r);
    }
    let names: Vec<String> = original
        .root()
        .children()
        .iter()
        .map(|r| original.get_by_ref(*r).unwrap().name.clone())
        .collect();
    for r in keep(rebuilt, &|name| names.iter().any(|n| n == name)) {
        let empty = rebuilt.get_by_ref(r).unwrap().children().is_empty();
        assert!(empty, "syncback created a service with children");
        rebuilt.destroy(r);
    }
}

/// Builds the project at `dir` and returns the tree as a place or model file
/// would give it back (a model re-rooted at its one instance).
pub fn built_as_file(dir: &Path) -> WeakDom {
    let file = Project::locate(dir).unwrap();
    let loaded = load_tree(&StdVfs, &file).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let dom = loaded.tree.dom();
    let place = dom.root().class == "DataModel";
    let roots = if place {
        dom.root().children().to_vec()
    } else {
        vec![dom.root_ref()]
    };
    let file_dom = through_file(dom, &roots);
    if place {
        file_dom
    } else {
        syncback::model_root(file_dom).unwrap()
    }
}

/// Copies a folder; with `only_projects`, only the project files in it.
pub fn copy_dir(from: &Path, to: &Path, only_projects: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target, only_projects);
        } else if !only_projects || Project::is_project_file(&entry.path()) {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
