//! The example projects build, and keep building to the same tree.

mod common;

use atlas::build::load_tree;
use atlas::project::Project;
use atlas::vfs::StdVfs;

#[test]
fn demo_place_builds() {
    let project = Project::locate(std::path::Path::new("examples/demo-place")).unwrap();
    let loaded = load_tree(&StdVfs, &project).unwrap();
    assert!(loaded.ref_warnings.is_empty(), "{:?}", loaded.ref_warnings);
    let view = common::tree_view::view(loaded.tree.dom(), loaded.tree.root_ref());
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("demo_place", view);
    });
}
