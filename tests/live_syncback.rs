//! Live syncback (`POST /api/syncback`) against the real `atlas serve`:
//! it writes exactly what `atlas syncback` writes for the same place, byte
//! for byte; it refuses bad requests without touching anything; and the
//! server comes back on the same port with a new session, every time.

mod common;

use std::path::{Path, PathBuf};

use atlas::syncback::chunks::{reconstruct, split, ServiceChunk};
use common::files::{assert_same_files, files};
use common::live::{LiveServer, SyncbackBody};
use rbx_dom_weak::types::{
    Attributes, BrickColor, Color3, Color3uint8, Enum, Font, NumberRange, Rect, Tags, UDim, UDim2,
    Variant, Vector2, Vector3,
};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

const FIXTURE: &str = "rojo-test/serve-tests/live-syncback";

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    common::repo_copy(FIXTURE, "project")
}

/// A place: a DataModel holding these services (by class name).
fn place(services: Vec<InstanceBuilder>) -> WeakDom {
    let mut dom = WeakDom::new(InstanceBuilder::new("DataModel").with_name("Game"));
    let root = dom.root_ref();
    for service in services {
        dom.insert(root, service);
    }
    dom
}

fn service(class: &str) -> InstanceBuilder {
    InstanceBuilder::new(class).with_name(class)
}

fn script(class: &str, name: &str, source: &str) -> InstanceBuilder {
    InstanceBuilder::new(class)
        .with_name(name)
        .with_property("Source", Variant::String(source.to_owned()))
}

/// Runs `atlas syncback` on a fresh copy of the fixture, with a place file
/// built from the same chunks the plugin would send.
fn cli_syncback(data: &[u8], chunks: &[ServiceChunk]) -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = fixture_copy();
    let dom = reconstruct(data, chunks).expect("the chunks rebuild");
    let place = dir.path().join("place.rbxl");
    let mut bytes = Vec::new();
    let roots = dom.root().children().to_vec();
    atlas::dom_file::write(&mut bytes, &dom, &roots, atlas::dom_file::Encoding::Binary).unwrap();
    std::fs::write(&place, bytes).unwrap();
    common::cli_syncback(&root, &place);
    std::fs::remove_file(&place).unwrap();
    (dir, root)
}

/// Live syncback of `place` into a served copy of the fixture, and CLI
/// syncback of the same data into another copy: the folders must be equal.
fn assert_live_matches_cli(place: WeakDom) -> (tempfile::TempDir, PathBuf) {
    let (data, chunks) = split(&place).unwrap();
    let (live_dir, live_root) = fixture_copy();
    {
        let server = LiveServer::start(&live_root, &[]);
        let session = server.session_id();
        let (status, body) = server.post_syncback(&SyncbackBody::new(&data, &chunks).encode());
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "syncback_initiated");
        server.wait_for_new_session(&session);
    }
    let (_cli_dir, cli_root) = cli_syncback(&data, &chunks);
    assert_same_files(&live_root, &cli_root);
    (live_dir, live_root)
}

#[test]
fn parity_scripts_of_every_kind() {
    let (_dir, root) = assert_live_matches_cli(place(vec![
        service("ReplicatedStorage").with_child(script("ModuleScript", "Module", "return {}\n")),
        service("ServerScriptService")
            .with_child(script("Script", "Server", "print('server')\n"))
            .with_child(
                script("Script", "Client", "print('client')\n")
                    .with_property("RunContext", Variant::Enum(Enum::from_u32(2))),
            ),
        service("StarterPlayer").with_child(
            InstanceBuilder::new("StarterPlayerScripts")
                .with_name("StarterPlayerScripts")
                .with_child(script("LocalScript", "Local", "print('local')\n")),
        ),
    ]));
    let written = files(&root);
    assert!(
        written.contains_key("src/ReplicatedStorage/Module.luau"),
        "{:?}",
        written.keys()
    );
    assert!(
        !written.contains_key("src/ReplicatedStorage/OldModule.luau"),
        "old files are gone"
    );
    assert!(!written.contains_key("src/Workspace/OldPart.model.json5"));
}

#[test]
fn parity_models_properties_and_every_value_type() {
    let mut attributes = Attributes::new();
    attributes.insert("Speed".to_owned(), Variant::Float64(1.5));
    attributes.insert("Label".to_owned(), Variant::String("x".to_owned()));
    attributes.insert(
        "Where".to_owned(),
        Variant::Vector3(Vector3::new(1.0, 2.0, 3.0)),
    );
    let part = InstanceBuilder::new("Part")
        .with_name("Everything")
        .with_property("Anchored", true)
        .with_property("Size", Vector3::new(4.0, 1.25, 2.0))
        .with_property("Color", Color3uint8::new(10, 20, 30))
        .with_property("Transparency", 0.25f32)
        .with_property("Shape", Enum::from_u32(0))
        .with_property("Tags", Tags::from(vec!["A".to_owned(), "B".to_owned()]))
        .with_property("Attributes", attributes);
    let gui = InstanceBuilder::new("Frame")
        .with_name("Frame")
        .with_property("Size", UDim2::new(UDim::new(0.5, 10), UDim::new(1.0, -4)))
        .with_property("BackgroundColor3", Color3::new(0.1, 0.2, 0.3))
        .with_property("Rotation", 12.5f32);
    let misc = InstanceBuilder::new("Folder")
        .with_name("Values")
        .with_child(
            InstanceBuilder::new("IntValue")
                .with_name("Int")
                .with_property("Value", 42i64),
        )
        .with_child(
            InstanceBuilder::new("NumberValue")
                .with_name("Num")
                .with_property("Value", 0.1f64),
        )
        .with_child(
            InstanceBuilder::new("BrickColorValue")
                .with_name("Brick")
                .with_property("Value", BrickColor::from_number(21).unwrap()),
        )
        .with_child(
            InstanceBuilder::new("Vector3Value")
                .with_name("V3")
                .with_property("Value", Vector3::new(-1.0, 0.5, 1e-7)),
        )
        .with_child(
            InstanceBuilder::new("ParticleEmitter")
                .with_name("Emitter")
                .with_property("Lifetime", NumberRange::new(1.0, 2.5)),
        )
        .with_child(
            InstanceBuilder::new("ImageLabel")
                .with_name("Image")
                .with_property(
                    "SliceCenter",
                    Rect::new(Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0)),
                ),
        )
        .with_child(
            InstanceBuilder::new("TextLabel")
                .with_name("Text")
                .with_property(
                    "FontFace",
                    Font::new(
                        "rbxasset://fonts/families/Arial.json",
                        rbx_dom_weak::types::FontWeight::Bold,
                        rbx_dom_weak::types::FontStyle::Italic,
                    ),
                ),
        )
        .with_child(
            InstanceBuilder::new("Terrain")
                .with_name("Ignored")
                .with_property("Decoration", false),
        );
    assert_live_matches_cli(place(vec![
        service("Workspace").with_child(
            InstanceBuilder::new("Model")
                .with_name("Model")
                .with_child(part),
        ),
        service("StarterGui").with_child(
            InstanceBuilder::new("ScreenGui")
                .with_name("Hud")
                .with_child(gui),
        ),
        service("ReplicatedStorage").with_child(misc),
    ]));
}

#[test]
fn parity_references_within_and_across_services_and_on_services() {
    let target = InstanceBuilder::new("Part").with_name("Target");
    let target_ref = target.referent();
    let light = InstanceBuilder::new("Part").with_name("Lamp");
    let model = InstanceBuilder::new("Model")
        .with_name("Holder")
        .with_property("PrimaryPart", Variant::Ref(target_ref))
        .with_child(target);
    let pointer = InstanceBuilder::new("ObjectValue")
        .with_name("Pointer")
        .with_property("Value", Variant::Ref(target_ref));
    // Workspace's own Ref properties travel through carriers, one each.
    let camera = InstanceBuilder::new("Camera").with_name("Camera");
    let workspace = service("Workspace")
        .with_property("PrimaryPart", Variant::Ref(light.referent()))
        .with_property("CurrentCamera", Variant::Ref(camera.referent()))
        .with_child(model)
        .with_child(light)
        .with_child(camera);
    assert_live_matches_cli(place(vec![
        workspace,
        service("ReplicatedStorage").with_child(pointer),
    ]));
}

#[test]
fn parity_special_and_duplicate_names_and_deep_folders() {
    let mut deep = InstanceBuilder::new("Part").with_name("Bottom");
    for level in (0..5).rev() {
        deep = InstanceBuilder::new(if level == 4 { "Model" } else { "Folder" })
            .with_name(format!("Level{level}"))
            .with_child(deep);
    }
    let mut storage = service("ServerStorage").with_child(deep);
    for name in [
        "What?",
        "Key:Value",
        "A/B",
        "<Angle>",
        "He said \"hi\"",
        "CON",
        "..",
        "",
    ] {
        storage = storage.with_child(InstanceBuilder::new("Folder").with_name(name));
    }
    for _ in 0..3 {
        storage = storage.with_child(InstanceBuilder::new("Folder").with_name("Data"));
    }
    for _ in 0..2 {
        storage = storage.with_child(script("Script", "Handler", "print(1)\n"));
    }
    assert_live_matches_cli(place(vec![storage]));
}

#[test]
fn parity_mixed_file_kinds() {
    let mut table = InstanceBuilder::new("LocalizationTable").with_name("Strings");
    table.add_property(
        "Contents",
        Variant::String(r#"[{"key":"Hi","values":{"en":"Hi","de":"Hallo"}}]"#.to_owned()),
    );
    assert_live_matches_cli(place(vec![service("ReplicatedStorage")
        .with_child(
            InstanceBuilder::new("StringValue")
                .with_name("Motd")
                .with_property("Value", "Hello"),
        )
        .with_child(table)
        .with_child(
            InstanceBuilder::new("Folder")
                .with_name("Folder")
                .with_child(script("ModuleScript", "init-like", "return 1\n")),
        )
        .with_child(
            InstanceBuilder::new("Model")
                .with_name("Mesh")
                .with_child(InstanceBuilder::new("MeshPart").with_name("M")),
        )]));
}

#[test]
fn parity_all_services_with_attributes_tags_and_only_properties() {
    let services = atlas::syncback::VISIBLE_SERVICES;
    let mut all = Vec::new();
    for (i, name) in services.iter().enumerate() {
        let mut s = service(name);
        if i % 3 != 2 {
            s = s.with_child(InstanceBuilder::new("Folder").with_name(format!("In{name}")));
        }
        all.push(s);
    }
    let mut attributes = Attributes::new();
    attributes.insert("CustomFloat".to_owned(), Variant::Float32(1.5));
    all[0] = service("Lighting")
        .with_property("ClockTime", 9.5f32)
        .with_property("Brightness", 3.0f32)
        .with_property("Attributes", attributes)
        .with_property("Tags", Tags::from(vec!["TestTag".to_owned()]));
    all[6] = service("SoundService").with_property("RolloffScale", 0.5f32);
    assert_live_matches_cli(place(all));
}

#[test]
fn parity_empty_and_absent_services() {
    // Only two services sent, one of them empty: every other visible
    // service is absent, and both sides treat it as empty.
    assert_live_matches_cli(place(vec![
        service("Workspace").with_child(InstanceBuilder::new("Part").with_name("Floor")),
        service("Teams"),
    ]));
}

fn valid_chunks() -> (Vec<u8>, Vec<ServiceChunk>) {
    split(&place(vec![
        service("ReplicatedStorage").with_child(script("ModuleScript", "New", "return 'new'\n"))
    ]))
    .unwrap()
}

/// Asserts the request was refused with `status`, the files are untouched
/// and the server kept its session.
fn assert_refused(server: &LiveServer, root: &Path, body: &[u8], status: u16, needle: &str) {
    let before = files(root);
    let session = server.session_id();
    let (got, response) = server.post_syncback(body);
    assert_eq!(got, status, "{response}");
    let details = response["details"].as_str().unwrap_or_default();
    assert!(
        details.contains(needle),
        "`{details}` should mention `{needle}`"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        server.session_id(),
        session,
        "a refused request keeps the session"
    );
    assert!(files(root) == before, "a refused request changes no file");
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let (_dir, root) = fixture_copy();
    let server = LiveServer::start(&root, &["--max-body-mib", "1"]);
    let (data, chunks) = valid_chunks();

    assert_refused(
        &server,
        &root,
        b"\x93not a request",
        400,
        "not a syncback request",
    );
    let mut body = SyncbackBody::new(&data, &chunks);
    body.protocol_version = 999.0;
    assert_refused(&server, &root, &body.encode(), 400, "protocol version");
    let mut body = SyncbackBody::new(&data, &chunks);
    body.server_version = "0.0.0";
    assert_refused(&server, &root, &body.encode(), 400, "0.0.0");

    // Chunk counts that overrun the data, or leave some of it unused.
    let mut wrong = chunks.clone();
    wrong[0].child_count = 999;
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &wrong).encode(),
        400,
        "ReplicatedStorage",
    );
    let mut wrong = chunks.clone();
    wrong[0].child_count = 0;
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &wrong).encode(),
        400,
        "holds 1",
    );
    let mut wrong = chunks.clone();
    wrong[0].class_name = "Part".to_owned();
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &wrong).encode(),
        400,
        "not a service",
    );
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(b"garbage", &chunks).encode(),
        400,
        "not a binary model",
    );

    let big = vec![0u8; 1024 * 1024 + 10];
    let host = server.host();
    let (status, _) = server.request(
        "POST",
        "/api/syncback",
        &[("Host", &host)],
        &SyncbackBody::new(&big, &chunks).encode(),
    );
    assert_eq!(status, 413);

    let (status, _) = server.request(
        "POST",
        "/api/syncback",
        &[("Host", &host), ("Origin", "http://localhost")],
        &SyncbackBody::new(&data, &chunks).encode(),
    );
    assert_eq!(status, 403, "a web page cannot trigger a syncback");
    assert!(files(&root).contains_key("src/ReplicatedStorage/OldModule.luau"));
}

#[test]
fn malformed_chunks_are_refused_over_http_and_change_nothing() {
    let (_dir, root) = fixture_copy();
    let server = LiveServer::start(&root, &[]);
    // Workspace holds a Part and points PrimaryPart at it (one carrier).
    let lamp = InstanceBuilder::new("Part").with_name("Lamp");
    let lamp_ref = lamp.referent();
    let (data, chunks) = split(&place(vec![service("Workspace")
        .with_property("PrimaryPart", Variant::Ref(lamp_ref))
        .with_child(lamp)]))
    .unwrap();
    assert_eq!(chunks[0].refs, vec![("PrimaryPart".to_owned(), 1)]);

    // The Part is taken as the carrier (and the carrier left over).
    let mut wrong = chunks.clone();
    wrong[0].child_count = 0;
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &wrong).encode(),
        400,
        "reference carrier 1 is a Part, not an ObjectValue",
    );
    // A service sent twice.
    let mut twice = chunks.clone();
    let mut again = chunks[0].clone();
    again.child_count = 0;
    again.ref_target_count = 0;
    again.refs.clear();
    twice.push(again);
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &twice).encode(),
        400,
        "service Workspace is sent twice",
    );
    // A refs index that is not a whole number.
    let mut body = SyncbackBody::new(&data, &chunks);
    body.ref_index_offset = 0.5;
    assert_refused(
        &server,
        &root,
        &body.encode(),
        400,
        "is not a carrier index",
    );
    // A refs name that is not a Ref property of the service (it used to
    // get a Ref value put in).
    let mut not_a_ref = chunks.clone();
    not_a_ref[0].refs = vec![("Gravity".to_owned(), 1)];
    assert_refused(
        &server,
        &root,
        &SyncbackBody::new(&data, &not_a_ref).encode(),
        400,
        "refs.Gravity is not a reference property of Workspace",
    );
}

#[test]
fn parity_an_empty_data_blob_with_services_that_only_have_properties() {
    let (data, chunks) = split(&place(vec![
        service("Lighting").with_property("Brightness", 3.0f32),
        service("Workspace"),
    ]))
    .unwrap();
    assert!(chunks
        .iter()
        .all(|c| c.child_count == 0 && c.ref_target_count == 0));
    // The plugin sends no blob at all when nothing is serialized.
    let _ = data;
    let empty: &[u8] = &[];
    let (live_dir, live_root) = fixture_copy();
    {
        let server = LiveServer::start(&live_root, &[]);
        let session = server.session_id();
        let (status, body) = server.post_syncback(&SyncbackBody::new(empty, &chunks).encode());
        assert_eq!(status, 200, "{body}");
        server.wait_for_new_session(&session);
    }
    let (_cli_dir, cli_root) = cli_syncback(empty, &chunks);
    assert_same_files(&live_root, &cli_root);
    // Lighting is a project node: its property goes into the project file.
    let project = std::fs::read_to_string(live_root.join("default.project.json5")).unwrap();
    assert!(project.contains("Brightness"), "{project}");
    drop(live_dir);
}

fn project_with_place_ids(root: &Path, ids: &str) {
    let path = root.join("default.project.json5");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen(
            "name: \"LiveSyncback\",",
            &format!("name: \"LiveSyncback\", {ids}"),
            1,
        ),
    )
    .unwrap();
}

#[test]
fn place_ids_are_checked_against_the_project() {
    let (_dir, root) = fixture_copy();
    project_with_place_ids(&root, "servePlaceIds: [123], blockedPlaceIds: [999],");
    let server = LiveServer::start(&root, &[]);
    let (data, chunks) = valid_chunks();
    for (id, needle) in [
        (Some(999.0), "999"),
        (Some(456.0), "456"),
        (None, "names no place"),
    ] {
        let mut body = SyncbackBody::new(&data, &chunks);
        body.place_id = id;
        assert_refused(&server, &root, &body.encode(), 403, needle);
    }
    let mut body = SyncbackBody::new(&data, &chunks);
    body.place_id = Some(123.0);
    let session = server.session_id();
    let (status, _) = server.post_syncback(&body.encode());
    assert_eq!(status, 200, "a listed place is allowed");
    server.wait_for_new_session(&session);
    assert!(files(&root).contains_key("src/ReplicatedStorage/New.luau"));
}

#[test]
fn any_place_is_allowed_when_the_project_lists_none() {
    let (_dir, root) = fixture_copy();
    let server = LiveServer::start(&root, &[]);
    let (data, chunks) = valid_chunks();
    let mut body = SyncbackBody::new(&data, &chunks);
    body.place_id = Some(99999.0);
    let session = server.session_id();
    assert_eq!(server.post_syncback(&body.encode()).0, 200);
    server.wait_for_new_session(&session);
}

#[test]
fn a_second_syncback_while_one_is_under_way_gets_409() {
    let (_dir, root) = fixture_copy();
    let server = LiveServer::start(&root, &[]);
    let session = server.session_id();
    let (data, chunks) = valid_chunks();
    let body = SyncbackBody::new(&data, &chunks).encode();
    // Both connections are open, and known to the server (each has been
    // answered once), before either syncback is sent.
    let host = server.host();
    use std::io::{BufRead, BufReader, Read, Write};
    let warm = || {
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        write!(stream, "GET /api/rojo HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut info = vec![0; length];
        reader.read_exact(&mut info).unwrap();
        (stream, reader)
    };
    let send = |(mut stream, mut reader): (std::net::TcpStream, BufReader<std::net::TcpStream>),
                body: Vec<u8>| {
        let host = host.clone();
        std::thread::spawn(move || {
            let head = format!(
                "POST /api/syncback HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
            let mut response = Vec::new();
            let _ = reader.read_to_end(&mut response);
            String::from_utf8_lossy(&response[..12.min(response.len())]).to_string()
        })
    };
    let (a, b) = (warm(), warm());
    let first = send(a, body.clone());
    let second = send(b, body);
    let mut statuses = vec![first.join().unwrap(), second.join().unwrap()];
    statuses.sort();
    assert_eq!(statuses, ["HTTP/1.1 200", "HTTP/1.1 409"]);
    server.wait_for_new_session(&session);
    assert!(files(&root).contains_key("src/ReplicatedStorage/New.luau"));
}

#[test]
fn the_server_comes_back_working_after_each_syncback_without_leaking() {
    let (_dir, root) = fixture_copy();
    let server = LiveServer::start(&root, &[]);
    let mut resources = Vec::new();
    for round in 0..10 {
        let dom = place(vec![service("ReplicatedStorage").with_child(script(
            "ModuleScript",
            &format!("Round{round}"),
            &format!("return {round}\n"),
        ))]);
        let (data, chunks) = split(&dom).unwrap();
        let session = server.session_id();
        let mut old_socket = server.socket(0);
        assert_eq!(
            server
                .post_syncback(&SyncbackBody::new(&data, &chunks).encode())
                .0,
            200
        );
        // Back on the same address and port (the client knows no other).
        server.wait_for_new_session(&session);
        assert!(
            old_socket.is_closed_within(std::time::Duration::from_secs(5)),
            "the old session's WebSocket is closed"
        );
        let written = files(&root);
        assert!(written.contains_key(&format!("src/ReplicatedStorage/Round{round}.luau")));
        if round > 0 {
            assert!(
                !written.contains_key(&format!("src/ReplicatedStorage/Round{}.luau", round - 1)),
                "the previous round's file is gone"
            );
        }
        // Let the old session's watcher thread finish before counting.
        std::thread::sleep(std::time::Duration::from_millis(100));
        resources.push(server.resources());
    }
    // Threads and descriptors of the old sessions may take a moment to go.
    let (threads_2, fds_2) = resources[1];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (threads, fds) = server.resources();
        if threads <= threads_2 && fds <= fds_2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 10 syncbacks: {threads} threads and {fds} descriptors, {threads_2} and {fds_2} after the second ({resources:?})"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Fully working: reads, and patches for a file edit on a new socket.
    let root_id = server.info()["rootInstanceId"].as_str().unwrap().to_owned();
    let read = server.get_ok(&format!("/api/read/{root_id}"));
    let module = read["instances"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, i)| i["Name"] == "Round9")
        .map(|(id, _)| id.clone())
        .expect("the last round's module");
    let mut socket = server.socket(0);
    std::fs::write(
        root.join("src/ReplicatedStorage/Round9.luau"),
        "return 'edited'\n",
    )
    .unwrap();
    socket.messages_until("an edit after syncback", |m| {
        common::live::updates_of(m, &module)
            .iter()
            .any(|u| u["changedProperties"]["Source"]["String"] == "return 'edited'\n")
    });
}

#[test]
fn round_trip_build_split_live_syncback_build() {
    // The demo place, built, split into chunks as the plugin would, synced
    // back live into the fixture, and built again: the same instances.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-place");
    let original =
        atlas::build::load_tree(&atlas::vfs::StdVfs, &demo.join("default.project.json5"))
            .unwrap()
            .tree
            .into_dom();
    let (data, chunks) = split(&original).unwrap();
    let (_dir, root) = fixture_copy();
    {
        let server = LiveServer::start(&root, &[]);
        let session = server.session_id();
        assert_eq!(
            server
                .post_syncback(&SyncbackBody::new(&data, &chunks).encode())
                .0,
            200
        );
        server.wait_for_new_session(&session);
    }
    let rebuilt = atlas::build::load_tree(&atlas::vfs::StdVfs, &root.join("default.project.json5"))
        .unwrap()
        .tree
        .into_dom();
    let mut options = common::compare::CompareOptions::strict();
    options.compare_root_names = false;
    // The original as a place file holds it (binary encoding stores, e.g.,
    // Color3 as Color3uint8, as Studio does), with the visible services the
    // place lacks, which syncback creates empty. Not rebuilt from the
    // chunks: this checks the rebuilding too.
    let roots = original.root().children().to_vec();
    let mut original = common::roundtrip::through_file(&original, &roots);
    with_every_visible_service(&mut original);
    let mut rebuilt = rebuilt;
    with_every_visible_service(&mut rebuilt);
    common::compare::assert_trees_equal(
        &original,
        original.root_ref(),
        &rebuilt,
        rebuilt.root_ref(),
        &options,
    );
}

fn with_every_visible_service(dom: &mut WeakDom) {
    let root = dom.root_ref();
    for name in atlas::syncback::VISIBLE_SERVICES {
        let present = dom
            .root()
            .children()
            .iter()
            .any(|r| dom.get_by_ref(*r).unwrap().name == name);
        if !present {
            dom.insert(root, service(name));
        }
    }
}

#[test]
fn a_syncback_that_fails_leaves_the_project_as_it_was_and_serves_again() {
    // The layout is right, so the request is accepted; the place holds a
    // class Atlas does not know, so syncback itself refuses to write.
    let (data, chunks) = split(&place(vec![service("ReplicatedStorage")
        .with_child(InstanceBuilder::new("NotARobloxClass").with_name("Odd"))]))
    .unwrap();
    let (_dir, root) = fixture_copy();
    let before = files(&root);
    let server = LiveServer::start(&root, &[]);
    let session = server.session_id();
    assert_eq!(
        server
            .post_syncback(&SyncbackBody::new(&data, &chunks).encode())
            .0,
        200
    );
    server.wait_for_new_session(&session);
    assert!(files(&root) == before, "a failed syncback changes no file");
    let root_id = server.info()["rootInstanceId"].as_str().unwrap().to_owned();
    server.get_ok(&format!("/api/read/{root_id}"));
}
