//! Nothing is lost: failed writes change nothing, nothing is written outside
//! the project, and bad input leaves the project as it was.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use atlas::syncback::{ApplyError, ChangeSet, SyncbackOptions};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

/// Every file under `dir` with its bytes, and every folder.
fn snapshot_dir(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(relative, None);
                walk(root, &path, out);
            } else {
                out.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

fn place_project(dir: &Path) {
    fs::create_dir_all(dir.join("src/ReplicatedStorage")).unwrap();
    fs::write(
        dir.join("default.project.json5"),
        "{ name: 'P', tree: { $className: 'DataModel', $path: 'src' } }",
    )
    .unwrap();
    fs::write(
        dir.join("src/ReplicatedStorage/Existing.luau"),
        "return 'before'\n",
    )
    .unwrap();
}

#[test]
fn a_failed_write_changes_nothing() {
    let temp = common::temp_dir();
    let root = temp.path();
    place_project(root);
    let before = snapshot_dir(root);

    let mut changes = ChangeSet::default();
    changes.files.insert(
        root.join("src/ReplicatedStorage/Existing.luau"),
        b"return 'after'\n".to_vec(),
    );
    for i in 0..50 {
        changes.files.insert(
            root.join(format!("src/ReplicatedStorage/New/File{i}.luau")),
            vec![b'x'; 1000],
        );
    }
    // No file system takes a 300-byte name: this write fails half-way.
    changes.files.insert(
        root.join("src/ReplicatedStorage/New").join("n".repeat(300)),
        b"boom".to_vec(),
    );
    changes
        .removals
        .insert(root.join("src/ReplicatedStorage/Existing.luau.bak"));

    let err = changes.apply(root).unwrap_err();
    assert!(matches!(err, ApplyError::NothingChanged { .. }), "{err}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_eq!(
        snapshot_dir(root),
        before,
        "the project changed although the write failed"
    );
}

#[test]
fn paths_outside_the_project_are_refused() {
    let temp = common::temp_dir();
    let root = temp.path().join("project");
    place_project(&root);
    let before = snapshot_dir(temp.path());
    for bad in ["../escape.luau", "src/../../escape.luau", "/etc/atlas-test"] {
        let mut changes = ChangeSet::default();
        changes
            .files
            .insert(root.join("src/ok.luau"), b"ok".to_vec());
        changes.files.insert(root.join(bad), b"bad".to_vec());
        let err = changes.apply(&root).unwrap_err();
        assert!(
            matches!(err, ApplyError::OutsideProject { .. }),
            "{bad}: {err}"
        );
    }
    let mut removal = ChangeSet::default();
    removal.removals.insert(root.join(".."));
    assert!(matches!(
        removal.apply(&root).unwrap_err(),
        ApplyError::OutsideProject { .. }
    ));
    assert_eq!(snapshot_dir(temp.path()), before);
}

#[test]
fn hostile_names_stay_inside_the_project_and_come_back() {
    let names = [
        "..",
        ".",
        "../..",
        "../../etc/passwd",
        "/",
        "/abs",
        "\\",
        "C:\\Windows",
        "C:",
        "CON",
        "con.txt",
        "NUL",
        "init",
        "",
        " ",
        "x".repeat(300).as_str(),
        "a/../b",
        ".git",
        ".gitkeep",
        "default.project",
        "~",
        "Foo~2",
    ]
    .map(str::to_owned);
    let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
    let root = dom.root_ref();
    let mut storage = InstanceBuilder::new("ReplicatedStorage").with_name("ReplicatedStorage");
    for name in &names {
        storage.add_child(
            InstanceBuilder::new("ModuleScript")
                .with_name(name.clone())
                .with_property("Source", name.clone()),
        );
        storage.add_child(InstanceBuilder::new("Folder").with_name(name.clone()));
    }
    dom.insert(root, storage);

    let temp = common::temp_dir();
    let project = temp.path().join("project");
    place_project(&project);
    fs::write(temp.path().join("outside.txt"), "untouched").unwrap();
    let (summary, _) = common::roundtrip::syncback_into(&project, dom, SyncbackOptions::default());
    for path in summary
        .added
        .iter()
        .chain(&summary.changed)
        .chain(&summary.removed)
    {
        assert!(
            path.starts_with(&project),
            "{} is outside the project",
            path.display()
        );
        let relative = path.strip_prefix(&project).unwrap();
        assert!(relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_))));
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(name.len() <= 255, "{name} is too long for a file name");
    }
    assert_eq!(
        fs::read_to_string(temp.path().join("outside.txt")).unwrap(),
        "untouched"
    );

    let loaded =
        atlas::build::load_tree(&atlas::vfs::StdVfs, &project.join("default.project.json5"))
            .unwrap();
    let tree = loaded.tree.dom();
    let storage = tree
        .root()
        .children()
        .iter()
        .map(|r| tree.get_by_ref(*r).unwrap())
        .find(|i| i.name == "ReplicatedStorage")
        .unwrap();
    let mut got: Vec<(String, String)> = storage
        .children()
        .iter()
        .map(|r| tree.get_by_ref(*r).unwrap())
        .map(|i| (i.name.clone(), i.class.to_string()))
        .collect();
    got.sort();
    let mut expected: Vec<(String, String)> = names
        .iter()
        .flat_map(|n| {
            [
                (n.clone(), "ModuleScript".to_owned()),
                (n.clone(), "Folder".to_owned()),
            ]
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

fn atlas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_atlas"))
}

/// Runs `atlas syncback` and checks it fails with `message` and leaves the
/// project exactly as it was.
fn rejected(project: &Path, input: &Path, message: &str) {
    let before = snapshot_dir(project);
    let output = atlas()
        .arg("syncback")
        .arg(project)
        .arg("-i")
        .arg(input)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "syncback of {} succeeded",
        input.display()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(message),
        "expected `{message}` in: {stderr}"
    );
    assert_eq!(
        snapshot_dir(project),
        before,
        "a rejected syncback changed the project"
    );
}

fn a_place(dir: &Path) -> PathBuf {
    let path = dir.join("good.rbxl");
    let output = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    path
}

#[test]
fn bad_input_leaves_the_project_untouched() {
    let temp = common::temp_dir();
    let project = temp.path().join("project");
    place_project(&project);
    let good = a_place(temp.path());
    let bytes = fs::read(&good).unwrap();

    let truncated = temp.path().join("truncated.rbxl");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    rejected(&project, &truncated, "truncated.rbxl");

    let corrupt = temp.path().join("corrupt.rbxl");
    let mut garbage = bytes.clone();
    for b in garbage.iter_mut().skip(40).step_by(7) {
        *b ^= 0x5a;
    }
    fs::write(&corrupt, garbage).unwrap();
    rejected(&project, &corrupt, "corrupt.rbxl");

    let unknown = temp.path().join("unknown.rbxlx");
    fs::write(
        &unknown,
        r#"<roblox version="4"><Item class="Workspace" referent="A"><Properties><string name="Name">Workspace</string></Properties><Item class="NotARealClass" referent="B"><Properties><string name="Name">Thing</string></Properties></Item></Item></roblox>"#,
    )
    .unwrap();
    rejected(&project, &unknown, "NotARealClass");

    // A model into a project whose root is a DataModel.
    let model = temp.path().join("model.rbxm");
    let output = atlas()
        .args(["build", "rojo-test/build-tests/model_json5", "-o"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success());
    rejected(&project, &model, "needs a place");

    // A place into a project whose root is not a DataModel.
    let model_project = temp.path().join("model-project");
    fs::create_dir_all(model_project.join("src")).unwrap();
    fs::write(
        model_project.join("default.project.json5"),
        "{ name: 'M', tree: { $path: 'src' } }",
    )
    .unwrap();
    rejected(&model_project, &good, "needs a model");

    rejected(&project, &temp.path().join("missing.rbxl"), "missing.rbxl");
    let text = temp.path().join("notes.txt");
    fs::write(&text, "hi").unwrap();
    rejected(&project, &text, ".rbxl, .rbxlx, .rbxm or .rbxmx");
}

#[test]
fn dry_run_list_and_interactive() {
    let temp = common::temp_dir();
    let project = temp.path().join("project");
    place_project(&project);
    let place = a_place(temp.path());
    let before = snapshot_dir(&project);

    let output = atlas()
        .arg("syncback")
        .arg(&project)
        .arg("-i")
        .arg(&place)
        .args(["--dry-run", "--list"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("add    src/ServerScriptService/Main.server.luau"),
        "{stdout}"
    );
    assert!(
        stdout.contains("remove src/ReplicatedStorage/Existing.luau"),
        "{stdout}"
    );
    assert!(stdout.contains("Dry run"), "{stdout}");
    assert_eq!(snapshot_dir(&project), before, "--dry-run wrote");

    let run = |answer: &str| {
        let mut child = atlas()
            .arg("syncback")
            .arg(&project)
            .arg("-i")
            .arg(&place)
            .arg("--interactive")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let declined = run("n\n");
    assert!(declined.status.success());
    assert!(String::from_utf8_lossy(&declined.stdout).contains("cancelled"));
    assert_eq!(snapshot_dir(&project), before, "a declined syncback wrote");

    let accepted = run("y\n");
    assert!(accepted.status.success());
    let stdout = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        stdout.contains("Syncback:") && stdout.contains("added"),
        "{stdout}"
    );
    assert!(project
        .join("src/ServerScriptService/Main.server.luau")
        .exists());
    assert!(!project.join("src/ReplicatedStorage/Existing.luau").exists());

    // Once more: nothing to do.
    let output = atlas()
        .arg("syncback")
        .arg(&project)
        .arg("-i")
        .arg(&place)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0 added, 0 changed, 0 removed"), "{stdout}");
}
