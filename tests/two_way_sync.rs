//! Two-way sync over HTTP against the real binary: Studio edits sent to
//! `POST /api/write` become exactly the file edits `atlas syncback
//! --incremental` makes, and nothing else on disk moves.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::files::files;
use common::live::LiveServer;
use common::two_way::{changes, id_at, new_id, text};
use serde_json::{json, Value};

fn demo() -> (tempfile::TempDir, PathBuf, LiveServer) {
    let (dir, root) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&root, &[]);
    (dir, root, server)
}

fn read_all(server: &LiveServer) -> Value {
    let root = server.info()["rootInstanceId"].as_str().unwrap().to_owned();
    server.get_ok(&format!("/api/read/{root}"))
}

fn write(server: &LiveServer, removed: Value, added: Value, updated: Value) -> Value {
    server.write_ok(&json!({
        "sessionId": server.session_id(),
        "removed": removed,
        "added": added,
        "updated": updated,
    }))
}

/// Runs `edit`, then returns what changed on disk.
fn changed_by(root: &std::path::Path, edit: impl FnOnce()) -> Vec<String> {
    let before = files(root);
    edit();
    changes(&before, &files(root))
}

#[test]
fn source_update_writes_the_script_file_and_nothing_else() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let util = id_at(&read, "ReplicatedStorage/Util");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": util, "changedProperties": { "Source": { "String": "return { edited = true }\n" } } }]),
        );
    });
    assert_eq!(changed, ["~ src/ReplicatedStorage/Util.luau"]);
    assert_eq!(
        text(&root, "src/ReplicatedStorage/Util.luau"),
        "return { edited = true }\n"
    );
}

#[test]
fn a_property_of_a_model_file_instance_rewrites_that_file() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let frame = id_at(&read, "Workspace/Door/Frame");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": frame, "changedProperties": { "Anchored": { "Bool": false } } }]),
        );
    });
    assert_eq!(changed, ["~ src/Workspace/Door/Frame.model.json5"]);
    insta::assert_snapshot!(text(&root, "src/Workspace/Door/Frame.model.json5"));
}

#[test]
fn new_instances_keep_the_plugin_ids_and_a_same_batch_ref_points_at_them() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let workspace = id_at(&read, "Workspace");
    let (model, handle, pointer) = (new_id(), new_id(), new_id());
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({
                model.clone(): {
                    "parent": workspace, "name": "Cart", "className": "Model",
                    "properties": { "PrimaryPart": { "Ref": handle } },
                    "children": [
                        { "id": handle, "name": "Handle", "className": "Part",
                          "properties": { "Anchored": { "Bool": true } }, "children": [] }
                    ]
                },
                pointer.clone(): {
                    "parent": workspace, "name": "CartPointer", "className": "ObjectValue",
                    "properties": { "Value": { "Ref": model } }, "children": []
                }
            }),
            json!([]),
        );
    });
    insta::assert_snapshot!(changed.join("\n"));
    insta::assert_snapshot!(text(&root, "src/Workspace/CartPointer.model.json5"));
    insta::assert_snapshot!(text(&root, "src/Workspace/Cart/init.meta.json5"));
    // The live tree holds them under the plugin's ids.
    for id in [&model, &handle, &pointer] {
        let (status, _) = server.get(&format!("/api/read/{id}"));
        assert_eq!(status, 200, "{id} is not in the live tree");
    }
    let cart = server.get_ok(&format!("/api/read/{model}"));
    assert_eq!(
        cart["instances"][&model]["Properties"]["PrimaryPart"]["Ref"],
        handle.as_str()
    );
}

#[test]
fn renaming_one_of_two_same_named_siblings_moves_only_its_file() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let storage = id_at(&read, "ReplicatedStorage");
    // The second `Util` (Util~2.luau), found by its place among the children.
    let children: Vec<String> = read["instances"][&storage]["Children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .filter(|c| read["instances"][c]["Name"] == "Util")
        .collect();
    assert_eq!(children.len(), 2);
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": children[1], "changedName": "Helpers", "changedProperties": {} }]),
        );
    });
    assert_eq!(
        changed,
        [
            "+ src/ReplicatedStorage/Helpers.luau",
            "- src/ReplicatedStorage/Util~2.luau"
        ]
    );
}

#[test]
fn a_script_class_change_renames_the_suffix() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let timer = id_at(&read, "ServerScriptService/Round/Timer");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": timer, "changedClassName": "Script", "changedProperties": { "RunContext": { "Enum": 1 } } }]),
        );
    });
    assert_eq!(
        changed,
        [
            "- src/ServerScriptService/Round/Timer.luau",
            "+ src/ServerScriptService/Round/Timer.server.luau"
        ]
    );
}

#[test]
fn moving_a_script_moves_its_files_and_a_cycle_is_refused() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let timer = id_at(&read, "ServerScriptService/Round/Timer");
    let round = id_at(&read, "ServerScriptService/Round");
    let storage = id_at(&read, "ServerStorage");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": timer, "changedParent": storage, "changedProperties": {} }]),
        );
    });
    assert_eq!(
        changed,
        [
            "- src/ServerScriptService/Round/Timer.luau",
            "+ src/ServerStorage/Timer.luau"
        ]
    );
    let moved = read_all(&server);
    assert_eq!(id_at(&moved, "ServerStorage/Timer"), timer, "the id stays");

    // Under itself: refused, nothing written.
    let before = files(&root);
    let (status, answer) = server.post_write(&json!({
        "sessionId": server.session_id(), "removed": [],
        "updated": [{ "id": round, "changedParent": round, "changedProperties": {} }],
    }));
    assert_eq!(status, 400);
    assert_eq!(
        answer["details"],
        "updated[0].changedParent: an instance cannot move under itself or its own descendants; nothing was written"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(changes(&before, &files(&root)), Vec::<String>::new());
}

#[test]
fn removing_a_folder_keeps_files_atlas_does_not_read() {
    let (_dir, root, server) = demo();
    common::write_file(
        &root.join("src/ServerScriptService/Round/NOTES.md"),
        "mine\n",
    );
    std::thread::sleep(Duration::from_millis(300));
    let read = read_all(&server);
    let round = id_at(&read, "ServerScriptService/Round");
    let changed = changed_by(&root, || {
        write(&server, json!([round]), json!({}), json!([]));
    });
    assert_eq!(
        changed,
        [
            "- src/ServerScriptService/Round/Timer.luau",
            "- src/ServerScriptService/Round/init.server.luau"
        ]
    );
    assert_eq!(
        text(&root, "src/ServerScriptService/Round/NOTES.md"),
        "mine\n"
    );
}

#[test]
fn refused_writes_change_nothing() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let util = id_at(&read, "ReplicatedStorage/Util");
    let update = json!([{ "id": util, "changedProperties": { "Source": { "String": "x" } } }]);
    let before = files(&root);

    let (status, answer) = server.post_write(&json!({
        "sessionId": "not-this-session", "removed": [], "updated": update,
    }));
    assert_eq!(status, 400);
    assert!(
        answer["details"]
            .as_str()
            .unwrap()
            .contains("wrong session"),
        "{answer}"
    );

    let unknown = new_id();
    let (status, answer) = server.post_write(&json!({
        "sessionId": server.session_id(), "removed": [unknown], "updated": update,
    }));
    assert_eq!(status, 400);
    assert_eq!(
        answer["details"],
        format!("removed[0]: no instance has the id {unknown}; nothing was written")
    );

    let (status, answer) = server.post_write(&json!({
        "sessionId": server.session_id(), "removed": [],
        "added": { new_id(): { "parent": util, "name": "X", "className": "NotAClass", "properties": {}, "children": [] } },
        "updated": update,
    }));
    assert_eq!(status, 400);
    assert!(
        answer["details"]
            .as_str()
            .unwrap()
            .contains("`NotAClass` is not a Roblox class"),
        "{answer}"
    );

    // From a web page: refused before anything is read.
    let host = server.host();
    let body = rmp_serde::to_vec_named(&json!({
        "sessionId": server.session_id(), "removed": [], "updated": update,
    }))
    .unwrap();
    let (status, _) = server.request(
        "POST",
        "/api/write",
        &[("Host", &host), ("Origin", "https://example.com")],
        &body,
    );
    assert_eq!(status, 403);

    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(changes(&before, &files(&root)), Vec::<String>::new());
}

#[test]
fn studio_edits_are_not_echoed_back() {
    let (_dir, root, server) = demo();
    let read = read_all(&server);
    let cursor = read["messageCursor"].as_u64().unwrap() as u32;
    let mut socket = server.socket(cursor);
    let util = id_at(&read, "ReplicatedStorage/Util");
    let frame = id_at(&read, "Workspace/Door/Frame");
    let workspace = id_at(&read, "Workspace");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({ new_id(): { "parent": workspace, "name": "Fresh", "className": "Part", "properties": {}, "children": [] } }),
            json!([
                { "id": util, "changedProperties": { "Source": { "String": "return 2\n" } } },
                { "id": frame, "changedName": "Lintel", "changedProperties": { "Transparency": { "Float32": 0.5 } } }
            ]),
        );
    });
    // A renamed instance takes the layout `atlas syncback --incremental`
    // gives a new one (a Part with children: a folder), and the paths of
    // the references to it follow.
    insta::assert_snapshot!(changed.join("\n"));
    // The watcher sees the files; what it reads is what the tree holds.
    let packet = socket.next_packet(Duration::from_millis(1500));
    assert!(packet.is_none(), "an echo reached the client: {packet:#?}");
    // And a real file edit afterwards still arrives.
    common::write_file(&root.join("src/ReplicatedStorage/Util.luau"), "return 3\n");
    let messages = socket.messages_until("the file edit", |m| {
        !common::live::updates_of(m, &util).is_empty()
    });
    assert_eq!(
        common::live::updates_of(&messages, &util)[0]["changedProperties"]["Source"]["String"],
        "return 3\n"
    );
}

/// A project whose services are project-file nodes, with their own
/// properties, beside a `$path` folder.
fn node_project() -> (tempfile::TempDir, PathBuf, LiveServer) {
    let dir = common::temp_dir();
    let root = dir.path().join("nodes");
    common::write_file(
        &root.join("default.project.json5"),
        r#"// Hand-written: the comment and the layout stay.
{
  name: "Nodes",
  tree: {
    $className: "DataModel",
    Lighting: {
      $properties: { Brightness: 2 },
    },
    ReplicatedStorage: {
      $path: "src/shared",
    },
  },
}
"#,
    );
    common::write_file(&root.join("src/shared/Util.luau"), "return {}\n");
    let server = LiveServer::start(&root, &[]);
    (dir, root, server)
}

#[test]
fn a_project_node_property_is_written_into_its_node() {
    let (_dir, root, server) = node_project();
    let read = read_all(&server);
    let lighting = id_at(&read, "Lighting");
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": lighting, "changedProperties": { "Brightness": { "Float32": 3.0 } } }]),
        );
    });
    assert_eq!(changed, ["~ default.project.json5"]);
    insta::assert_snapshot!(text(&root, "default.project.json5"));
}

#[test]
fn what_a_project_file_declares_is_not_removed_or_renamed_from_studio() {
    let (_dir, root, server) = node_project();
    let read = read_all(&server);
    let storage = id_at(&read, "ReplicatedStorage");
    let before = files(&root);
    for body in [
        json!({ "sessionId": server.session_id(), "removed": [storage], "updated": [] }),
        json!({ "sessionId": server.session_id(), "removed": [],
                "updated": [{ "id": storage, "changedName": "Shared", "changedProperties": {} }] }),
    ] {
        let (status, answer) = server.post_write(&body);
        assert_eq!(status, 400, "{answer}");
        let details = answer["details"].as_str().unwrap();
        assert!(
            details.contains("`ReplicatedStorage` is declared in")
                && details.contains("default.project.json5"),
            "{details}"
        );
    }
    assert_eq!(changes(&before, &files(&root)), Vec::<String>::new());
}

#[test]
fn a_panic_while_writing_answers_500_and_live_sync_goes_on() {
    let (_dir, root) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start_with_env(&root, &[], &[("ATLAS_TEST_PANIC_IN_WRITE", "1")]);
    let read = read_all(&server);
    let util = id_at(&read, "ReplicatedStorage/Util");
    let before = files(&root);
    let (status, answer) = server.post_write(&json!({
        "sessionId": server.session_id(), "removed": [],
        "updated": [{ "id": util, "changedProperties": { "Source": { "String": "ATLAS_TEST_PANIC" } } }],
    }));
    assert_eq!(status, 500, "{answer}");
    assert!(
        answer["details"]
            .as_str()
            .unwrap()
            .contains("internal error"),
        "{answer}"
    );
    assert_eq!(changes(&before, &files(&root)), Vec::<String>::new());

    // The same server still writes, and still follows the files.
    let changed = changed_by(&root, || {
        write(
            &server,
            json!([]),
            json!({}),
            json!([{ "id": util, "changedProperties": { "Source": { "String": "return 7\n" } } }]),
        );
    });
    assert_eq!(changed, ["~ src/ReplicatedStorage/Util.luau"]);
    common::write_file(&root.join("src/ReplicatedStorage/Util.luau"), "return 8\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let read = read_all(&server);
        let id = id_at(&read, "ReplicatedStorage/Util");
        if read["instances"][&id]["Properties"]["Source"]["String"] == "return 8\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the file edit never reached the tree"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
