//! A two-way write of property changes is synced back over the part of the
//! live tree it can change (`serve::write::scope`, then
//! `syncback::plan_scoped`) instead of over the whole tree. Here every
//! instance of every fixture gets each kind of property edit, and the
//! scoped change set must be exactly the one the whole syncback gives.
//! The snapshot counts how many edits the scope took, so a change that
//! quietly sends every write back to the whole syncback shows.

mod common;

use std::path::{Path, PathBuf};

use atlas::serve::write::{self, AddedInstance, WriteRequest, WriteUpdate};
use atlas::serve::ServeSession;
use atlas::snapshot::InstanceTree;
use atlas::syncback::{self, SyncbackOptions};
use atlas::vfs::StdVfs;
use rbx_dom_weak::types::{Attributes, Enum, Ref, Variant};
use rbx_dom_weak::{ustr, UstrMap};

/// The structural edits of one instance, each its own write.
fn structural(tree: &InstanceTree, referent: Ref, other: Ref) -> Vec<(&'static str, WriteRequest)> {
    let dom = tree.dom();
    let Some(instance) = dom.get_by_ref(referent) else {
        return Vec::new();
    };
    let update = |name: Option<&str>, class: Option<&str>, parent: Option<Ref>| WriteRequest {
        updated: vec![WriteUpdate {
            id: referent,
            changed_name: name.map(str::to_owned),
            changed_class_name: class.map(ustr),
            changed_parent: parent,
            changed_properties: UstrMap::default(),
        }],
        ..WriteRequest::default()
    };
    let mut out = vec![
        ("rename", update(Some("Renamed"), None, None)),
        (
            "remove",
            WriteRequest {
                removed: vec![referent],
                ..WriteRequest::default()
            },
        ),
    ];
    let parent = dom.get_by_ref(instance.parent());
    if let Some(first) = parent
        .and_then(|p| p.children().first())
        .and_then(|c| dom.get_by_ref(*c))
        .filter(|c| c.referent() != referent)
    {
        // Onto the name of its parent's first child (a `~N` sibling now).
        out.push((
            "rename onto a sibling",
            update(Some(&first.name), None, None),
        ));
    }
    if let Some(target) = dom.get_by_ref(other) {
        let within = std::iter::successors(Some(other), |r| {
            dom.get_by_ref(*r)
                .map(|i| i.parent())
                .filter(|p| p.is_some())
        })
        .any(|r| r == referent);
        if !within && target.parent() != referent {
            out.push(("move", update(None, None, Some(target.parent()))));
        }
    }
    let script_class = match instance.class.as_str() {
        "Script" => Some("LocalScript"),
        "LocalScript" | "ModuleScript" => Some("Script"),
        _ => None,
    };
    if let Some(class) = script_class {
        out.push(("class change", update(None, Some(class), None)));
    }
    for (kind, class) in [("add a Folder", "Folder"), ("add a Part", "Part")] {
        out.push((
            kind,
            WriteRequest {
                added: vec![AddedInstance {
                    id: Ref::new(),
                    parent: Some(referent),
                    name: instance.name.to_string(),
                    class_name: ustr(class),
                    properties: UstrMap::default(),
                    children: Vec::new(),
                }],
                ..WriteRequest::default()
            },
        ));
    }
    out
}

/// The edits made to one instance, each its own write.
fn edits(tree: &InstanceTree, referent: Ref, other: Ref) -> Vec<(&'static str, WriteUpdate)> {
    let Some(instance) = tree.dom().get_by_ref(referent) else {
        return Vec::new();
    };
    let update = |name: &str, value: Option<Variant>| {
        let mut changed: UstrMap<Option<Variant>> = UstrMap::default();
        changed.insert(ustr(name), value);
        WriteUpdate {
            id: referent,
            changed_name: None,
            changed_class_name: None,
            changed_parent: None,
            changed_properties: changed,
        }
    };
    let mut out = Vec::new();
    let class = instance.class.as_str();
    if let Some(Variant::String(source)) = instance.properties.get(&ustr("Source")) {
        out.push((
            "source",
            update(
                "Source",
                Some(Variant::String(format!("{source}-- edited\n"))),
            ),
        ));
    }
    let mut attributes = match instance.properties.get(&ustr("Attributes")) {
        Some(Variant::Attributes(attributes)) => attributes.clone(),
        _ => Attributes::new(),
    };
    if !attributes.is_empty() {
        out.push((
            "attributes cleared",
            update("Attributes", Some(Attributes::new().into())),
        ));
    }
    attributes.insert("Edited".to_owned(), Variant::Bool(true));
    out.push(("attribute", update("Attributes", Some(attributes.into()))));
    if atlas::reflection::is_a(class, "BasePart") {
        out.push(("transparency", update("Transparency", Some(0.25f32.into()))));
        out.push(("default value", update("Transparency", Some(0.0f32.into()))));
    }
    if class == "Script" {
        out.push((
            "run context",
            update("RunContext", Some(Variant::Enum(Enum::from_u32(2)))),
        ));
    }
    if matches!(class, "Script" | "LocalScript") {
        out.push(("disabled", update("Disabled", Some(Variant::Bool(true)))));
    }
    if class == "StringValue" {
        out.push((
            "value",
            update("Value", Some(Variant::String("edited".into()))),
        ));
    }
    if class == "ObjectValue" {
        out.push(("ref", update("Value", Some(Variant::Ref(other)))));
        out.push(("ref", update("Value", Some(Variant::Ref(Ref::none())))));
    }
    if class == "Model" {
        out.push(("ref", update("PrimaryPart", Some(Variant::Ref(other)))));
    }
    out
}

/// Every edit of every instance of the project at `root`: the scoped and
/// whole change sets must be equal. Returns a line per kind of edit:
/// how many edits, how many the scope took.
fn check_project(root: &Path) -> Vec<String> {
    let session = ServeSession::new_unwatched(root).expect("the fixture serves");
    let project_file: PathBuf = session.project_file().to_path_buf();
    let vfs = StdVfs;
    let tree = session.tree();
    let referents: Vec<Ref> = tree.dom().descendants().map(|i| i.referent()).collect();
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (i, referent) in referents.iter().enumerate() {
        let other = referents[(i * 7 + 3) % referents.len()];
        let property_edits = edits(&tree, *referent, other)
            .into_iter()
            .map(|(kind, update)| {
                let request = WriteRequest {
                    updated: vec![update],
                    ..WriteRequest::default()
                };
                (kind, request)
            });
        for (kind, mut request) in property_edits.chain(structural(&tree, *referent, other)) {
            if write::check(&tree, &request).is_err() {
                continue; // the root's or a project node's own edit
            }
            write::settle(&tree, &mut request);
            let count = counts.entry(kind).or_default();
            count.0 += 1;
            let Some(scope) = write::scope(&tree, &vfs, &request) else {
                continue;
            };
            let path = atlas::snapshot::refs::instance_path(tree.dom(), *referent);
            let (stored, identity) = write::as_stored_paired(&scope.new).expect("the scope stores");
            let part = syncback::Part {
                old: &scope.old,
                identity: &identity,
                may_move: &scope.may_move,
            };
            let scoped = syncback::plan_scoped(&vfs, &project_file, &tree, &part, stored);
            let mut copy = write::copy_dom(tree.dom());
            write::apply(&mut copy, &request).expect("the batch applies");
            let whole = syncback::plan_over(
                &vfs,
                &project_file,
                &tree,
                write::as_stored(&copy).expect("the tree stores"),
                SyncbackOptions::INCREMENTAL,
            );
            let (scoped, whole) = match (scoped, whole) {
                (Ok(Some(scoped)), Ok(whole)) => (scoped, whole),
                // A data module whose new source is not data moves to a script file.
                (Ok(None), _) => continue,
                // A write the whole syncback refuses is refused the same way.
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{kind} edit of {path}");
                    count.1 += 1;
                    continue;
                }
                (a, b) => panic!(
                    "{kind} edit of {path}: scoped {:?}, whole {:?}",
                    a.err(),
                    b.err()
                ),
            };
            count.1 += 1;
            let (a, b) = (&scoped.result.changes, &whole.result.changes);
            assert_eq!(
                a.files.keys().collect::<Vec<_>>(),
                b.files.keys().collect::<Vec<_>>(),
                "{}: {kind} edit of {path}: the files written differ",
                root.display()
            );
            for (file, bytes) in &a.files {
                assert!(
                    b.files.get(file) == Some(bytes),
                    "{}: {kind} edit of {path}: {} differs:\n{}\n---\n{}",
                    root.display(),
                    file.display(),
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&b.files[file])
                );
            }
            assert_eq!(
                a.removals,
                b.removals,
                "{}: {kind} edit of {path}: the removals differ",
                root.display()
            );
            assert_eq!(
                a.dirs_to_create(),
                b.dirs_to_create(),
                "{}: {kind} edit of {path}: the new folders differ",
                root.display()
            );
        }
    }
    counts
        .into_iter()
        .map(|(kind, (edits, scoped))| format!("{kind}: {edits} edits, {scoped} scoped"))
        .collect()
}

macro_rules! scope_case {
    ($name:ident, $folder:expr) => {
        #[test]
        fn $name() {
            let (_temp, root) = common::repo_copy($folder, "project");
            let lines = check_project(&root);
            insta::assert_snapshot!(stringify!($name), lines.join("\n"));
        }
    };
}

scope_case!(demo_place, "examples/demo-place");
scope_case!(
    rojo_data_modules,
    "rojo-test/noop-tests/rojo_data_modules/project"
);
scope_case!(
    rojo_init_lua_folders,
    "rojo-test/noop-tests/rojo_init_lua_folders/project"
);
scope_case!(rojo_models, "rojo-test/noop-tests/rojo_models/project");
scope_case!(
    rojo_path_folder_init_meta,
    "rojo-test/noop-tests/rojo_path_folder_init_meta/project"
);
scope_case!(
    rojo_project_node_properties,
    "rojo-test/noop-tests/rojo_project_node_properties/project"
);
scope_case!(
    rojo_script_edit_keeps_meta,
    "rojo-test/noop-tests/rojo_script_edit_keeps_meta/project"
);
scope_case!(
    rojo_script_folder_with_meta,
    "rojo-test/noop-tests/rojo_script_folder_with_meta/project"
);
scope_case!(
    rojo_wally_manifest,
    "rojo-test/noop-tests/rojo_wally_manifest/project"
);
