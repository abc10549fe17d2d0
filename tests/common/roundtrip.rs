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
