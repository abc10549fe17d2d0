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
    dom_file::write(&mut bytes, dom, &roots, Encoding::Binary).unwrap();
    dom_file::read(&bytes, Encoding::Binary).unwrap()
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
