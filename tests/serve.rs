//! `atlas serve` as the plugin sees it: the real binary on an OS-assigned
//! port, real HTTP requests and a real WebSocket client.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::live::{added_named, decode, removed_ids, updates_of, LiveServer};
use serde_json::Value;

fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    common::repo_copy("examples/demo-place", "demo")
}

use common::write_file as write;

/// The instances of a read response by path (`DataModel/Workspace/Door`),
/// with ids replaced by paths, so a snapshot does not depend on referents.
fn readable(read: &Value) -> String {
    let instances = read["instances"].as_object().expect("instances");
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    fn path_of(instances: &serde_json::Map<String, Value>, id: &str) -> String {
        match instances.get(id) {
            Some(instance) => {
                let name = instance["Name"].as_str().unwrap_or("?");
                match instance["Parent"].as_str() {
                    Some(parent) if instances.contains_key(parent) => {
                        format!("{}/{name}", path_of(instances, parent))
                    }
                    _ => name.to_owned(),
                }
            }
            None => format!("<{id}>"),
        }
    }
    for id in instances.keys() {
        paths.insert(id.clone(), path_of(instances, id));
    }
    // Same-named siblings: numbered in the order of their properties.
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, path) in &paths {
        by_path.entry(path.clone()).or_default().push(id.clone());
    }
    for (path, mut ids) in by_path {
        if ids.len() > 1 {
            ids.sort_by_key(|id| instances[id]["Properties"].to_string());
            for (n, id) in ids.iter().enumerate() {
                paths.insert(id.clone(), format!("{path}#{}", n + 1));
            }
        }
    }
    let zero = "0".repeat(32);
    let replace_ids = |value: &Value| -> Value {
        let mut text = value.to_string();
        for (id, path) in &paths {
            text = text.replace(&format!("\"{id}\""), &format!("\"@{path}\""));
        }
        text = text.replace(&format!("\"{zero}\""), "null");
        serde_json::from_str(&text).unwrap()
    };
    let mut view = BTreeMap::new();
    for (id, instance) in instances {
        assert_eq!(
            instance["Id"],
            id.as_str(),
            "an instance is keyed by its id"
        );
        let children: Vec<String> = instance["Children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| paths.get(c.as_str().unwrap()).cloned().unwrap_or_default())
            .collect();
        view.insert(
            paths[id].clone(),
            serde_json::json!({
                "ClassName": instance["ClassName"],
                "Properties": replace_ids(&instance["Properties"]),
                "Children": children,
                "Metadata": instance["Metadata"],
            }),
        );
    }
    serde_json::to_string_pretty(&view).unwrap()
}

fn find_id(read: &Value, name: &str) -> String {
    read["instances"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, i)| i["Name"] == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no instance named {name}"))
}

#[test]
fn server_info_and_the_whole_tree() {
    let (_dir, root) = demo_copy();
    let server = LiveServer::start(&root, &[]);
    let info = server.info();
    assert_eq!(info["protocolVersion"], 6);
    assert_eq!(info["serverFork"], "atlas");
    assert_eq!(info["projectName"], "DemoPlace");
    assert_eq!(info["serverVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["syncSourceOnly"], true);
    assert_eq!(info["ignoreHiddenServices"], true);
    assert_eq!(info["visibleServices"].as_array().unwrap().len(), 14);
    assert!(info.get("expectedPlaceIds").is_none());
    let session = info["sessionId"].as_str().unwrap();
    assert_eq!(session.len(), 36, "a UUID: {session}");

    let root_id = info["rootInstanceId"].as_str().unwrap();
    let read = server.get_ok(&format!("/api/read/{root_id}"));
    assert_eq!(read["sessionId"], session);
    assert_eq!(read["messageCursor"], 0);
    insta::assert_snapshot!("serve_read_demo_place", readable(&read));
}

#[test]
fn place_ids_from_the_project_are_reported_as_numbers() {
    let dir = common::temp_dir();
    write(
        &dir.path().join("default.project.json5"),
        "{ name: 'Ids', servePlaceIds: [123, 456], blockedPlaceIds: [9], placeId: 123, gameId: 77, tree: { $className: 'DataModel' } }",
    );
    let server = LiveServer::start(dir.path(), &[]);
    let info = server.info();
    assert_eq!(info["expectedPlaceIds"], serde_json::json!([123.0, 456.0]));
    assert_eq!(info["unexpectedPlaceIds"], serde_json::json!([9.0]));
    assert_eq!(info["placeId"], 123.0);
    assert_eq!(info["gameId"], 77.0);
}

#[test]
fn file_changes_reach_a_connected_socket_as_patches() {
    let (_dir, root) = demo_copy();
    let src = root.join("src");
    let server = LiveServer::start(&root, &[]);
    let root_id = server.info()["rootInstanceId"].as_str().unwrap().to_owned();
    let read = server.get_ok(&format!("/api/read/{root_id}"));
    let main = find_id(&read, "Main");
    let motd = find_id(&read, "Motd");
    let baseplate = find_id(&read, "Baseplate");
    let mut socket = server.socket(0);

    write(
        &src.join("ServerScriptService/Main.server.luau"),
        "print('edited')\n",
    );
    socket.messages_until("editing a script", |m| {
        updates_of(m, &main)
            .iter()
            .any(|u| u["changedProperties"]["Source"]["String"] == "print('edited')\n")
    });

    write(&src.join("ReplicatedStorage/Added.luau"), "return 1\n");
    let messages =
        socket.messages_until("adding a module", |m| !added_named(m, "Added").is_empty());
    let added = added_named(&messages, "Added")[0].clone();
    assert_eq!(added["ClassName"], "ModuleScript");
    assert_eq!(added["Properties"]["Source"]["String"], "return 1\n");
    let added_id = added["Id"].as_str().unwrap().to_owned();

    std::fs::rename(
        src.join("ReplicatedStorage/Added.luau"),
        src.join("ReplicatedStorage/Moved.luau"),
    )
    .unwrap();
    socket.messages_until("renaming a module", |m| {
        removed_ids(m).contains(&added_id) && !added_named(m, "Moved").is_empty()
    });

    std::fs::remove_file(src.join("ReplicatedStorage/Motd.txt")).unwrap();
    socket.messages_until("deleting a text file", |m| removed_ids(m).contains(&motd));

    write(
        &src.join("Workspace/Baseplate.model.json5"),
        "{ className: 'Part', properties: { Anchored: false } }\n",
    );
    let messages =
        socket.messages_until("editing a model", |m| !updates_of(m, &baseplate).is_empty());
    let update = updates_of(&messages, &baseplate)[0];
    assert_eq!(update["changedProperties"]["Anchored"]["Bool"], false);
    assert_eq!(
        update["changedProperties"]["Size"],
        Value::Null,
        "a removed property is nil"
    );

    write(&src.join("ReplicatedStorage/Notes.txt"), "hello\n");
    let messages = socket.messages_until("adding a text file", |m| {
        !added_named(m, "Notes").is_empty()
    });
    assert_eq!(
        added_named(&messages, "Notes")[0]["ClassName"],
        "StringValue"
    );

    write(
        &src.join("ReplicatedStorage/Table.csv"),
        "Key,Source,Context,Example,de\nHi,Hi,,,Hallo\n",
    );
    let messages =
        socket.messages_until("adding a CSV file", |m| !added_named(m, "Table").is_empty());
    assert_eq!(
        added_named(&messages, "Table")[0]["ClassName"],
        "LocalizationTable"
    );

    write(&src.join("ReplicatedStorage/Data.json5"), "{ speed: 3 }\n");
    let messages = socket.messages_until("adding a data module", |m| {
        !added_named(m, "Data").is_empty()
    });
    assert_eq!(
        added_named(&messages, "Data")[0]["ClassName"],
        "ModuleScript"
    );

    std::fs::copy(
        src.join("Workspace/Tree.rbxm"),
        src.join("Workspace/Tree2.rbxm"),
    )
    .unwrap();
    socket.messages_until("adding a binary model", |m| {
        !added_named(m, "Tree2").is_empty()
    });

    write(
        &src.join("Workspace/Lamp.meta.json5"),
        "{ attributes: { On: true } }\n",
    );
    write(&src.join("Workspace/Lamp.server.luau"), "print('lamp')\n");
    let messages = socket.messages_until("adding a script with a meta file", |m| {
        added_named(m, "Lamp")
            .iter()
            .any(|l| !l["Properties"]["Attributes"].is_null())
            || updates_of(
                m,
                added_named(m, "Lamp")
                    .first()
                    .and_then(|l| l["Id"].as_str())
                    .unwrap_or(""),
            )
            .iter()
            .any(|u| !u["changedProperties"]["Attributes"].is_null())
    });
    let lamp = added_named(&messages, "Lamp")[0];
    assert_eq!(lamp["ClassName"], "Script");

    // A client that reconnects with an old cursor gets everything since.
    let cursor = server.get_ok(&format!("/api/read/{root_id}"))["messageCursor"]
        .as_u64()
        .unwrap();
    assert!(cursor >= 9, "one message per change at least: {cursor}");
    let mut late = server.socket(0);
    let packet = late
        .next_packet(Duration::from_secs(5))
        .expect("the history");
    assert_eq!(packet["body"]["messageCursor"].as_u64().unwrap(), cursor);
    assert_eq!(
        packet["body"]["messages"].as_array().unwrap().len() as u64,
        cursor
    );
    let mut current = server.socket(cursor as u32);
    assert!(
        current.next_packet(Duration::from_millis(300)).is_none(),
        "nothing new"
    );
}

#[test]
fn requests_from_web_pages_and_other_hosts_are_refused() {
    let (_dir, root) = demo_copy();
    let server = LiveServer::start(&root, &[]);
    let host = server.host();
    let port = server.address.port();

    let (status, body) = server.request("GET", "/api/rojo", &[("Host", "evil.example")], &[]);
    assert_eq!(status, 403);
    assert!(decode(&body)["details"]
        .as_str()
        .unwrap()
        .contains("evil.example"));
    let rebinding = format!("attacker.example:{port}");
    assert_eq!(
        server
            .request("GET", "/api/rojo", &[("Host", &rebinding)], &[])
            .0,
        403
    );
    assert_eq!(
        server.request("GET", "/api/rojo", &[], &[]).0,
        403,
        "no Host"
    );

    for host in [
        host.clone(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            server
                .request("GET", "/api/rojo", &[("Host", &host)], &[])
                .0,
            200,
            "{host}"
        );
    }

    let origin = [("Host", host.as_str()), ("Origin", "https://evil.example")];
    assert_eq!(server.request("GET", "/api/rojo", &origin, &[]).0, 403);
    let root_id = server.info()["rootInstanceId"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .request("GET", &format!("/api/read/{root_id}"), &origin, &[])
            .0,
        403
    );
    assert_eq!(
        server
            .request("POST", &format!("/api/open/{root_id}"), &origin, &[])
            .0,
        403
    );

    // A WebSocket handshake from a web page carries an Origin header.
    let upgrade = [
        ("Host", host.as_str()),
        ("Origin", "http://localhost"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    assert_eq!(server.request("GET", "/api/socket/0", &upgrade, &[]).0, 403);
    let request = tungstenite::handshake::client::Request::builder()
        .uri(format!("ws://{host}/api/socket/0"))
        .header("Host", &host)
        .header("Origin", "http://localhost")
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header(
            "Sec-WebSocket-Key",
            tungstenite::handshake::client::generate_key(),
        )
        .body(())
        .unwrap();
    match tungstenite::connect(request) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        Ok(_) => panic!("a WebSocket with an Origin header was accepted"),
        Err(e) => panic!("unexpected error: {e}"),
    }
    // Without Origin, as the plugin connects, it works.
    let _socket = server.socket(0);
}

#[test]
fn bad_requests_get_clear_errors() {
    let (_dir, root) = demo_copy();
    let server = LiveServer::start(&root, &["--max-body-mib", "1"]);
    let host = server.host();
    let info = server.info();
    let root_id = info["rootInstanceId"].as_str().unwrap();

    let (status, body) = server.get("/api/read/not-an-id");
    assert_eq!(status, 400);
    let error = decode(&body);
    assert_eq!(error["kind"], "BadRequest");
    assert!(error["details"].as_str().unwrap().contains("not-an-id"));
    assert_eq!(server.get(&format!("/api/read/{root_id},zz")).0, 400);
    assert_eq!(server.get("/api/read/").0, 400);

    let unknown = "0123456789abcdef0123456789abcdef";
    let (status, body) = server.get(&format!("/api/read/{unknown}"));
    assert_eq!(status, 404);
    assert_eq!(decode(&body)["kind"], "NotFound");

    let (status, body) = server.get("/api/nothing-here");
    assert_eq!(status, 404);
    assert!(decode(&body)["details"]
        .as_str()
        .unwrap()
        .contains("/api/nothing-here"));

    assert_eq!(server.get("/api/socket/0").0, 400, "not an upgrade");
    assert_eq!(
        server
            .request("POST", "/api/rojo", &[("Host", &host)], &[])
            .0,
        405
    );
    assert_eq!(server.get(&format!("/api/open/{root_id}")).0, 405);

    let open =
        |id: &str| server.request("POST", &format!("/api/open/{id}"), &[("Host", &host)], &[]);
    assert_eq!(open(root_id).0, 404, "the root is not a script");
    assert_eq!(open(unknown).0, 404);
    assert_eq!(open("xyz").0, 400);

    let big = vec![b'x'; 1024 * 1024 + 1];
    let (status, _) = server.request(
        "POST",
        &format!("/api/open/{root_id}"),
        &[("Host", &host)],
        &big,
    );
    assert_eq!(status, 413, "a body over --max-body-mib");
}

#[test]
fn ctrl_c_stops_the_server_cleanly_and_frees_the_port() {
    let (_dir, root) = demo_copy();
    let mut server = LiveServer::start(&root, &[]);
    let _socket = server.socket(0);
    assert_eq!(server.info()["projectName"], "DemoPlace");
    let status = server.interrupt();
    assert!(status.success(), "exit status {status}");
    std::net::TcpListener::bind(server.address).expect("the port is free again");
}

#[test]
fn the_address_and_port_come_from_the_flags_then_the_project() {
    let dir = common::temp_dir();
    // Port 0 in the project: the OS picks one, and the start line says which.
    write(
        &dir.path().join("default.project.json5"),
        "{ name: 'Ports', serveAddress: '127.0.0.1', servePort: 0, tree: { $className: 'DataModel' } }",
    );
    let server = LiveServer::start(dir.path(), &["--address", "127.0.0.1"]);
    assert!(server.address.ip().is_loopback());
    assert_ne!(server.address.port(), 0);
    assert_eq!(server.info()["projectName"], "Ports");
}

#[test]
fn a_project_that_cannot_be_read_is_an_error_at_start() {
    let dir = common::temp_dir();
    write(
        &dir.path().join("default.project.json5"),
        "{ name: 'Broken', tree: ",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["serve", "--port", "0"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("default.project.json5"), "{stderr}");
}

#[test]
fn a_socket_cursor_from_an_older_session_still_gets_new_patches() {
    let (_dir, root) = demo_copy();
    let server = LiveServer::start(&root, &[]);
    // A plugin that reconnects after a restart may still hold a cursor
    // from the previous session, ahead of this one's queue.
    let mut socket = server.socket(500);
    write(&root.join("src/ReplicatedStorage/Fresh.luau"), "return 1\n");
    let messages = socket.messages_until("a new file", |m| !added_named(m, "Fresh").is_empty());
    assert!(!messages.is_empty());
}
