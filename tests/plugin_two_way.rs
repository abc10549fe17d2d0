//! Two-way sync end to end, headless: the plugin connected to a real
//! `atlas serve`, edits made to the DataModel as a user makes them in
//! Studio, each followed by the signal Studio would fire (the Driver's
//! `changed`/`added` stand in for the adapter's `Watch`), then a flush.
//! After every step the files changed are exactly the expected ones, and
//! building the folder gives back the DataModel (exact: names, classes,
//! properties, same-named siblings by position, Refs by target), read back
//! from the file `atlas build` writes. The server's echo of the write must
//! not reach the DataModel as a patch.

mod common;
mod plugin_harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::files::files;
use common::instance_at as find;
use common::live::LiveServer;
use common::roundtrip::{build_and_read, build_differences};
use common::two_way::changes;
use mlua::prelude::*;
use plugin_harness::{dom, Driver, Harness};
use rbx_dom_weak::types::Variant;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

/// The differences between the DataModel and a fresh build, or None.
fn differences(driver: &Driver, project: &Path) -> Option<String> {
    build_differences(&driver.place(), project)
}

/// Runs Luau with `driver` (the test Driver) and `game` in scope.
fn studio(driver: &Driver, code: &str) {
    let run: LuaFunction = driver
        .harness
        .eval(&format!("return function(driver, game)\n{code}\nend"))
        .unwrap_or_else(|e| panic!("the step does not load: {e}\n{code}"));
    run.call::<()>((
        driver.driver.clone(),
        driver.harness.instance_value(driver.game),
    ))
    .unwrap_or_else(|e| panic!("the step failed: {e}\n{code}"));
}

struct Session<'h> {
    driver: Driver<'h>,
    project: PathBuf,
    root: PathBuf,
}

impl Session<'_> {
    /// Runs one Studio edit (which flushes) and checks the files it changed,
    /// the build against the DataModel, and that no patch came back.
    fn step(&self, what: &str, code: &str, expected: &[&str]) {
        self.step_with(what, code, expected, false)
    }

    /// [`Session::step`]; with `corrected`, the server may send Studio a
    /// correction (the rewritten file holds a value as a place file stores
    /// it, which the file held in another form), and the DataModel must
    /// still equal the build once it is applied.
    fn step_with(&self, what: &str, code: &str, expected: &[&str], corrected: bool) {
        let before = files(&self.root);
        let recordings = self.driver.recordings().len();
        studio(&self.driver, code);
        let after = files(&self.root);
        let changed = changes(&before, &after);
        let shown: Vec<String> = changed
            .iter()
            .filter(|c| c.starts_with('~'))
            .map(|c| {
                let path = &c[2..];
                format!(
                    "{path}:\n{}\n---\n{}",
                    String::from_utf8_lossy(&before[path]),
                    String::from_utf8_lossy(&after[path])
                )
            })
            .collect();
        assert_eq!(
            changed,
            expected,
            "{what}: the files changed\n{}",
            shown.join("\n")
        );
        if let Some(report) = differences(&self.driver, &self.project) {
            panic!("{what}: the build of the folder differs from Studio:\n{report}");
        }
        self.driver
            .harness
            .pump(Duration::from_millis(300))
            .expect("frames apply");
        if corrected {
            if let Some(report) = differences(&self.driver, &self.project) {
                panic!("{what}: after the server's correction:\n{report}");
            }
        } else {
            assert_eq!(
                self.driver.recordings().len(),
                recordings,
                "{what}: the server sent Studio its own edit back"
            );
        }
    }

    fn text(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }
}

const FLUSH: &str = "local ok, err = driver.flush(); assert(ok, err)";

#[test]
fn studio_edits_reach_the_files_and_the_folder_builds_to_studio() {
    let (_dir, project) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&project, &[]);
    let harness = Harness::new();
    let game = dom::load_place(WeakDom::new(InstanceBuilder::new("DataModel")));
    let driver = Driver::new(&harness, game, server.address.port(), "");
    driver.press("sync");
    assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
    // Nothing is watched while the user has not accepted the sync.
    studio(
        &driver,
        "assert(driver.watchedCount() == 0, 'watched before accept')",
    );
    driver.press("accept");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());
    let root = project.clone();
    let session = Session {
        driver,
        project: project.clone(),
        root,
    };

    session.step(
        "edit a script",
        &format!(
            "local util = game.ReplicatedStorage:FindFirstChild('Util')
             util.Source = 'return 42\\n'
             assert(driver.changed(util, 'Source'))
             {FLUSH}"
        ),
        &["~ src/ReplicatedStorage/Util.luau"],
    );
    assert_eq!(
        session.text("src/ReplicatedStorage/Util.luau"),
        "return 42\n"
    );

    // The hand-written file gives the Color as floats; written again it
    // holds the Color3uint8 a place file stores, and the server tells
    // Studio (which stores the same) so.
    session.step_with(
        "a part's property",
        &format!(
            "local part = game.Workspace.Baseplate
             part.Transparency = 0.5
             driver.changed(part, 'Transparency')
             {FLUSH}"
        ),
        &["~ src/Workspace/Baseplate.model.json5"],
        true,
    );

    session.step(
        "tag a part and give it an attribute",
        &format!(
            "local part = game.Workspace.Baseplate
             part:AddTag('Floor')
             driver.changed(part, 'Tags')
             part:SetAttribute('Friction', 0.25)
             driver.changed(part, 'Attributes')
             {FLUSH}"
        ),
        &["~ src/Workspace/Baseplate.model.json5"],
    );

    session.step(
        "rename the second of two same-named scripts",
        &format!(
            "local second
             for _, child in game.ReplicatedStorage:GetChildren() do
                 if child.Name == 'Util' and child ~= game.ReplicatedStorage:FindFirstChild('Util') then
                     second = child
                 end
             end
             second.Name = 'Helpers'
             driver.changed(second, 'Name')
             {FLUSH}"
        ),
        &[
            "+ src/ReplicatedStorage/Helpers.luau",
            "- src/ReplicatedStorage/Util~2.luau",
        ],
    );

    session.step(
        "paste a model whose pointer points inside it",
        &format!(
            "local lamp = Instance.new('Model')
             lamp.Name = 'Lamp'
             local bulb = Instance.new('Part')
             bulb.Name = 'Bulb'
             bulb.Parent = lamp
             local pointer = Instance.new('ObjectValue')
             pointer.Name = 'Pointer'
             pointer.Value = bulb
             pointer.Parent = lamp
             lamp.Parent = game.Workspace
             driver.added(game.Workspace, lamp)
             {FLUSH}"
        ),
        &[
            "+ src/Workspace/Lamp/Bulb.model.json5",
            "+ src/Workspace/Lamp/Pointer.model.json5",
            "+ src/Workspace/Lamp/init.meta.json5",
        ],
    );
    assert!(
        session
            .text("src/Workspace/Lamp/Pointer.model.json5")
            .contains("Rojo_Ref_Value: \"./Bulb.model.json5\""),
        "{}",
        session.text("src/Workspace/Lamp/Pointer.model.json5")
    );

    session.step(
        "point at another synced instance",
        &format!(
            "local pointer = game.Workspace.Lamp.Pointer
             pointer.Value = game.Workspace.Baseplate
             driver.changed(pointer, 'Value')
             {FLUSH}"
        ),
        &["~ src/Workspace/Lamp/Pointer.model.json5"],
    );
    assert!(session
        .text("src/Workspace/Lamp/Pointer.model.json5")
        .contains("Rojo_Ref_Value: \"../Baseplate.model.json5\""));

    session.step(
        "move a script to another service",
        &format!(
            "local timer = game.ServerScriptService.Round.Timer
             timer.Parent = game.ServerStorage
             driver.changed(timer, 'Parent')
             {FLUSH}"
        ),
        &[
            "- src/ServerScriptService/Round/Timer.luau",
            "+ src/ServerStorage/Timer.luau",
        ],
    );

    session.step(
        "delete a folder",
        &format!(
            "local round = game.ServerScriptService.Round
             round.Parent = nil
             driver.changed(round, 'Parent')
             {FLUSH}"
        ),
        &["- src/ServerScriptService/Round/init.server.luau"],
    );

    // A play test's changes are not the game's.
    let before = files(&session.root);
    studio(
        &session.driver,
        &format!(
            "driver.setRunning(true)
             local part = game.Workspace.Baseplate
             part.Transparency = 0.9
             driver.changed(part, 'Transparency')
             driver.flush()
             driver.setRunning(false)
             {FLUSH}
             part.Transparency = 0.5"
        ),
    );
    assert_eq!(
        changes(&before, &files(&session.root)),
        Vec::<String>::new(),
        "a play test's edit was written"
    );
    drop(server);
}

#[test]
fn on_the_first_sync_each_item_can_let_studio_win_skip_or_let_the_files_win() {
    let (_dir, project) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&project, &[]);
    // Studio holds the game, but: Remotes is missing, the Baseplate is half
    // transparent, a Part the project does not have was added, and the
    // message of the day and a script's source were edited.
    let mut place = build_and_read(&project, true);
    let remotes = find(&place, "ReplicatedStorage/Remotes");
    place.destroy(remotes);
    let baseplate = find(&place, "Workspace/Baseplate");
    place
        .get_by_ref_mut(baseplate)
        .unwrap()
        .properties
        .insert("Transparency".into(), Variant::Float32(0.5));
    let workspace = find(&place, "Workspace");
    place.insert(
        workspace,
        InstanceBuilder::new("Part").with_name("StudioOnly"),
    );
    let motd = find(&place, "ReplicatedStorage/Motd");
    place
        .get_by_ref_mut(motd)
        .unwrap()
        .properties
        .insert("Value".into(), Variant::String("Studio's welcome".into()));
    let main = find(&place, "ServerScriptService/Main");
    place
        .get_by_ref_mut(main)
        .unwrap()
        .properties
        .insert("Source".into(), Variant::String("print('studio')\n".into()));

    let harness = Harness::new();
    let game = dom::load_place(place);
    let driver = Driver::new(&harness, game, server.address.port(), "");
    driver.press("sync");
    assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
    let before = files(&project);
    studio(
        &driver,
        "local want = {
             ['ReplicatedStorage.Remotes'] = 'Studio wins',
             ['Workspace.StudioOnly'] = 'Studio wins',
             ['Workspace.Baseplate'] = 'Studio wins',
             ['ReplicatedStorage.Motd'] = 'Skip',
         }
         local chosen = 0
         for _, item in driver.app.state.summary do
             local label = want[item.path]
             if label then
                 driver.choose('choice:' .. item.key, label)
                 chosen += 1
             end
         end
         assert(chosen == 4, 'the four items are listed: ' .. chosen)",
    );
    driver.press("accept");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());

    // Studio's side went to the files; the skipped item stayed as it was
    // on both sides; the script's source (files win) came into Studio.
    assert_eq!(
        changes(&before, &files(&project)),
        [
            "- src/ReplicatedStorage/Remotes/Legacy.model.json",
            "- src/ReplicatedStorage/Remotes/Scored.model.json5",
            "- src/ReplicatedStorage/Remotes/init.meta.json5",
            "~ src/Workspace/Baseplate.model.json5",
            "+ src/Workspace/StudioOnly.model.json5",
        ]
    );
    assert!(
        std::fs::read_to_string(project.join("src/Workspace/Baseplate.model.json5"))
            .unwrap()
            .contains("Transparency: 0.5")
    );
    assert_eq!(
        std::fs::read_to_string(project.join("src/ReplicatedStorage/Motd.txt")).unwrap(),
        "Welcome to the demo place!"
    );
    let mut synced = driver.place();
    let studio_motd = find(&synced, "ReplicatedStorage/Motd");
    assert_eq!(
        synced
            .get_by_ref(studio_motd)
            .unwrap()
            .properties
            .get(&"Value".into()),
        Some(&Variant::String("Studio's welcome".into()))
    );
    // But for the skipped value, Studio and the files now agree.
    synced
        .get_by_ref_mut(studio_motd)
        .unwrap()
        .properties
        .insert(
            "Value".into(),
            Variant::String("Welcome to the demo place!".into()),
        );
    if let Some(report) = build_differences(&synced, &project) {
        panic!("Studio and the files differ:\n{report}");
    }
    drop(server);
}
