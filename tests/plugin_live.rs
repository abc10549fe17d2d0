//! The plugin end to end against a real `atlas serve`: connect, confirm,
//! accept, then live patches for every kind of file edit. After each step
//! the DataModel must equal what `atlas build` writes for the folder, read
//! back from the file (exact: names, classes, properties, same-named
//! siblings by position, Refs by target).

mod common;
mod plugin_harness;

use std::path::Path;
use std::time::{Duration, Instant};

use common::compare::{compare, CompareOptions};
use common::instance_at as find;
use common::live::LiveServer;
use common::roundtrip::{build_and_read, build_differences};
use plugin_harness::{dom, Driver, Harness};
use rbx_dom_weak::types::Variant;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

fn options() -> CompareOptions {
    CompareOptions {
        positional_siblings: true,
        compare_root_names: false,
        ..CompareOptions::exact()
    }
}

fn empty_game() -> lune_roblox::instance::Instance {
    dom::load_place(WeakDom::new(InstanceBuilder::new("DataModel")))
}

/// The differences between the DataModel and a fresh build, or None.
fn differences(driver: &Driver, project: &Path) -> Option<String> {
    build_differences(&driver.place(), project)
}

/// Delivers patches until the DataModel equals a fresh build.
fn wait_until_equal(driver: &Driver, project: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        driver.harness.pump(Duration::from_millis(50)).unwrap();
        let Some(report) = differences(driver, project) else {
            return;
        };
        if Instant::now() > deadline {
            panic!("{what}: the DataModel never matched the build:\n{report}");
        }
    }
}

/// A copy of the demo place and `atlas serve` on it.
fn served_demo() -> (tempfile::TempDir, std::path::PathBuf, LiveServer) {
    let (dir, project) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&project, &[]);
    (dir, project, server)
}

fn connect(driver: &Driver) {
    driver.press("sync");
    assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
    driver.press("accept");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());
}

#[test]
fn sync_into_an_empty_place_equals_the_build_then_follows_edits() {
    let (_dir, project, server) = served_demo();
    let harness = Harness::new();
    let driver = Driver::new(&harness, empty_game(), server.address.port(), "");
    connect(&driver);
    if let Some(report) = differences(&driver, &project) {
        panic!("after the first sync:\n{report}");
    }
    assert_eq!(
        driver.recordings().len(),
        1,
        "one undo recording for the sync"
    );

    let src = project.join("src");
    let rs = src.join("ReplicatedStorage");
    let ws = src.join("Workspace");
    type Edit<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let write =
        |path: std::path::PathBuf, text: &'static str| move || common::write_file(&path, text);
    let edits: Vec<Edit> = vec![
        ("edit a script", Box::new(write(rs.join("Util.luau"), "return { version = 2 }\n"))),
        ("add a script", Box::new(write(src.join("ServerScriptService/Added.server.luau"), "print('added')\n"))),
        ("add a client script", Box::new(write(src.join("StarterPlayer/StarterPlayerScripts/Input.client.luau"), "-- client\n"))),
        ("rename a script", Box::new(|| std::fs::rename(rs.join("Util~2.luau"), rs.join("Helpers.luau")).unwrap())),
        ("delete a script", Box::new(|| std::fs::remove_file(src.join("ServerScriptService/Legacy.legacy.luau")).unwrap())),
        ("edit a text file", Box::new(write(rs.join("Motd.txt"), "Welcome back!"))),
        ("edit a meta file", Box::new(write(rs.join("Motd.meta.json5"), "{ attributes: { Language: \"fr\", Shown: true } }"))),
        ("edit a CSV", Box::new(write(rs.join("Strings.csv"), "Key,Source,fr\nGreeting,Hi,Salut\n"))),
        ("edit JSON5 data", Box::new(write(rs.join("Config.json5"), "{ walkSpeed: 20 }"))),
        ("edit TOML data", Box::new(write(rs.join("Balance.toml"), "[shop]\nstartingCoins = 5\n"))),
        ("edit YAML data", Box::new(write(rs.join("Levels.yaml"), "- one\n- two\n"))),
        ("edit a model's properties", Box::new(write(ws.join("Baseplate.model.json5"), "{ className: \"Part\", properties: { Anchored: true, Size: [64, 2, 64], Material: \"Grass\", Transparency: 0.25 } }"))),
        ("add a model with children", Box::new(write(ws.join("Lamp.model.json5"), "{ className: \"Model\", children: [ { name: \"Bulb\", className: \"Part\", properties: { Shape: \"Ball\" }, children: [ { name: \"Light\", className: \"PointLight\", properties: { Range: 12 } } ] } ] }"))),
        ("add same-named siblings", Box::new(|| {
            common::write_file(&ws.join("Stack/Part.model.json5"), "{ className: \"Part\", properties: { Transparency: 0.1 } }");
            common::write_file(&ws.join("Stack/Part~2.model.json5"), "{ className: \"Part\", properties: { Transparency: 0.2 } }");
            common::write_file(&ws.join("Stack/Part~3.model.json5"), "{ className: \"Part\", properties: { Transparency: 0.3 } }");
        })),
        ("point a Ref elsewhere", Box::new(write(ws.join("Door/Pointer.model.json5"), "{ className: \"ObjectValue\", attributes: { Rojo_Ref_Value: \"@game/Workspace/Lamp.model.json5/Bulb\" } }"))),
        ("a Ref chain", Box::new(|| {
            common::write_file(&ws.join("Chain/A.model.json5"), "{ className: \"ObjectValue\", attributes: { Rojo_Ref_Value: \"./B.model.json5\" } }");
            common::write_file(&ws.join("Chain/B.model.json5"), "{ className: \"ObjectValue\", attributes: { Rojo_Ref_Value: \"./C.model.json5\" } }");
            common::write_file(&ws.join("Chain/C.model.json5"), "{ className: \"ObjectValue\", attributes: { Rojo_Ref_Value: \"./A.model.json5\" } }");
        })),
        ("a folder becomes a script", Box::new(write(ws.join("Spawns/init.server.luau"), "print('spawns')\n"))),
        ("rename a folder", Box::new(|| std::fs::rename(ws.join("Stack"), ws.join("Pile")).unwrap())),
        ("copy a binary model", Box::new(|| { std::fs::copy(ws.join("Tree.rbxm"), ws.join("Tree2.rbxm")).unwrap(); })),
        ("delete a folder", Box::new(|| std::fs::remove_dir_all(rs.join("Remotes")).unwrap())),
        ("delete a model", Box::new(|| std::fs::remove_file(ws.join("Crate.rbxmx")).unwrap())),
    ];
    for (what, edit) in edits {
        edit();
        wait_until_equal(&driver, &project, what);
    }
    let unapplied = driver.state_field("unapplied");
    if let mlua::Value::Table(list) = unapplied {
        assert_eq!(
            list.raw_len(),
            0,
            "nothing should be left unapplied: {}",
            driver.texts()
        );
    }
    assert_eq!(driver.page(), "Connected");
    assert!(driver.recordings().len() > 20, "one recording per patch");
}

#[test]
fn sync_into_a_place_that_holds_part_of_the_game_keeps_what_matches() {
    let (_dir, project) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&project, &[]);

    // Studio holds the game, but: Remotes is missing, the Baseplate has
    // another size and a transparency and tag the files do not give, a part the project does not have was added, a camera
    // exists, and the two modules named Util are in the other order.
    let mut place = build_and_read(&project, true);
    let remotes = find(&place, "ReplicatedStorage/Remotes");
    place.destroy(remotes);
    let baseplate = find(&place, "Workspace/Baseplate");
    let properties = &mut place.get_by_ref_mut(baseplate).unwrap().properties;
    properties.insert(
        "Size".into(),
        Variant::Vector3(rbx_dom_weak::types::Vector3::new(1.0, 2.0, 3.0)),
    );
    // Set in Studio, but not in the files: back to the default.
    properties.insert("Transparency".into(), Variant::Float32(0.5));
    properties.insert(
        "Tags".into(),
        Variant::Tags(rbx_dom_weak::types::Tags::from(vec!["Drifted".to_owned()])),
    );
    let workspace = find(&place, "Workspace");
    place.insert(
        workspace,
        InstanceBuilder::new("Part").with_name("StudioOnly"),
    );
    place.insert(
        workspace,
        InstanceBuilder::new("Camera").with_name("Camera"),
    );
    let storage = find(&place, "ReplicatedStorage");
    let first_util = *place
        .get_by_ref(storage)
        .unwrap()
        .children()
        .iter()
        .find(|c| place.get_by_ref(**c).unwrap().name == "Util")
        .unwrap();
    place.transfer_within(first_util, storage); // now last: the other Util is first

    let harness = Harness::new();
    let game = dom::load_place(place);
    let driver = Driver::new(&harness, game, server.address.port(), "");
    let before: mlua::Table = harness
        .eval::<mlua::Function>(
            "return function(game) local ws = game:GetService('Workspace') \
             return { baseplate = ws.Baseplate, camera = ws.Camera, \
             utils = game:GetService('ReplicatedStorage'):GetChildren() } end",
        )
        .unwrap()
        .call(harness.instance_value(game))
        .unwrap();

    driver.press("sync");
    assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
    let texts = driver.texts();
    for expected in [
        "add ReplicatedStorage.Remotes (Configuration)",
        "remove Workspace.StudioOnly (Part)",
        "change Workspace.Baseplate: Size, Tags, Transparency\n",
        "reorder the 2 children of ReplicatedStorage named Util",
    ] {
        assert!(
            texts.contains(expected),
            "missing {expected:?} in:\n{texts}"
        );
    }
    assert!(!texts.contains("Camera"), "the camera is kept:\n{texts}");
    driver.press("accept");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());

    // Equal to the build but for the camera Studio keeps.
    let mut synced = driver.place();
    let camera = find(&synced, "Workspace/Camera");
    synced.destroy(camera);
    let built = build_and_read(&project, true);
    let comparison = compare(
        &synced,
        synced.root_ref(),
        &built,
        built.root_ref(),
        &options(),
    );
    assert!(comparison.is_equal(), "{}", comparison.report(40));

    // The instances that matched are the same instances, not copies.
    let same: bool = harness
        .eval::<mlua::Function>(
            "return function(game, before) local ws = game:GetService('Workspace') \
             local baseplates = 0 \
             for _, c in ws:GetChildren() do if c.Name == 'Baseplate' then baseplates += 1 end end \
             return ws.Baseplate == before.baseplate and baseplates == 1 \
             and before.camera.Parent == ws end",
        )
        .unwrap()
        .call((harness.instance_value(game), before))
        .unwrap();
    assert!(same, "hydrate kept the matching instances");
}

/// How many services the DataModel holds.
fn service_count(driver: &Driver) -> usize {
    driver.place().root().children().len()
}

/// A copy of the demo place whose project file has `fields` added.
fn demo_with(fields: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, project) = common::repo_copy("examples/demo-place", "demo");
    let file = project.join("default.project.json5");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replacen(
        "servePort: 34873,",
        &format!("servePort: 34873, {fields}"),
        1,
    );
    std::fs::write(&file, text).unwrap();
    (dir, project)
}

#[test]
fn refusals_show_the_reason_on_the_error_page_and_change_nothing() {
    let (_a, listed) = demo_with("servePlaceIds: [111, 222],");
    let (_b, blocking) = demo_with("blockedPlaceIds: [222],");
    let listed = LiveServer::start(&listed, &[]);
    let blocking = LiveServer::start(&blocking, &[]);
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let port = listed.address.port();
    let cases = [
        (
            port,
            "config = { version = \"9.9.9\" }, placeId = 111",
            "This plugin is Atlas 9.9.9, but the server is Atlas 0.1.0",
        ),
        (
            port,
            "config = { protocolVersion = 99 }, placeId = 111",
            "The server speaks protocol 6, this plugin 99",
        ),
        (
            port,
            "placeId = 333",
            "This place (333) is not one of the project's servePlaceIds (111, 222)",
        ),
        (
            blocking.address.port(),
            "placeId = 222",
            "This place (222) is in the project's blockedPlaceIds",
        ),
        (
            closed_port,
            "placeId = 111",
            "Atlas is not reachable at localhost:",
        ),
    ];
    let harness = Harness::new();
    for (port, options, message) in cases {
        let driver = Driver::new(&harness, empty_game(), port, options);
        driver.press("sync");
        assert_eq!(driver.page(), "Error", "{options}: {}", driver.texts());
        assert!(
            driver.texts().contains(message),
            "{options}: {}",
            driver.texts()
        );
        assert_eq!(
            service_count(&driver),
            0,
            "{options}: the DataModel changed"
        );
        driver.press("dismiss");
        assert_eq!(driver.page(), "NotConnected");
    }
    // The same checks guard Syncback.
    let driver = Driver::new(&harness, empty_game(), port, "placeId = 333");
    driver.press("syncback");
    driver.press("confirmSyncback");
    assert_eq!(driver.page(), "Error", "{}", driver.texts());
    assert!(
        driver.texts().contains("servePlaceIds"),
        "{}",
        driver.texts()
    );
    // And a listed place connects.
    let driver = Driver::new(&harness, empty_game(), port, "placeId = 222");
    connect(&driver);
}

#[test]
fn a_server_that_stops_ends_the_connection_with_a_clear_error_and_a_new_sync_duplicates_nothing() {
    let (_dir, project, server) = served_demo();
    let harness = Harness::new();
    let driver = Driver::new(&harness, empty_game(), server.address.port(), "");
    connect(&driver);
    let before = driver.place();
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while driver.page() == "Connected" {
        assert!(Instant::now() < deadline, "the plugin never noticed");
        harness.pump(Duration::from_millis(50)).unwrap();
    }
    assert_eq!(driver.page(), "Error");
    assert!(
        driver.texts().contains("The connection to Atlas was lost"),
        "{}",
        driver.texts()
    );
    let after = driver.place();
    let comparison = compare(
        &after,
        after.root_ref(),
        &before,
        before.root_ref(),
        &options(),
    );
    assert!(comparison.is_equal(), "{}", comparison.report(20));
    assert_eq!(harness.transport.open_sockets(), 0);

    // The server comes back: Sync again finds nothing to change (the place
    // already matches, so no confirmation) and duplicates nothing.
    let server = LiveServer::start(&project, &[]);
    driver.press("dismiss");
    let set_port: mlua::Function = driver.app.get("setAddress").unwrap();
    set_port
        .call::<()>((
            driver.app.clone(),
            "localhost",
            server.address.port().to_string(),
        ))
        .unwrap();
    driver.press("sync");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());
    if let Some(report) = differences(&driver, &project) {
        panic!("after syncing again:\n{report}");
    }
}
