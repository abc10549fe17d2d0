//! Crash safety: a syncback killed at any step of writing the project
//! (`ATLAS_TEST_CRASH_AT=N` ends the process at the N-th step, with no
//! cleanup, as `kill -9` would) leaves it, once Atlas next runs on it,
//! exactly as it was or exactly as the syncback would have left it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atlas::syncback::chunks::split;
use common::live::{LiveServer, SyncbackBody};
use rbx_dom_weak::types::Variant;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

const JOURNAL: &str = ".atlas-syncback.journal";

/// Every file (with its bytes) and every folder (`None`) under `dir`: a
/// folder left behind counts too.
fn files(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                found.insert(relative, None);
                stack.push(path);
            } else {
                found.insert(relative, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

fn atlas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_atlas"))
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    common::repo_copy("examples/demo-place", "demo")
}

/// The demo place, edited: a script changed, a folder of remotes removed,
/// a folder of twelve new scripts added, a script renamed.
fn edited_demo_place(dir: &Path) -> WeakDom {
    let built = dir.join("demo.rbxl");
    let output = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&built)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut dom = common::read_dom_file(&built);
    let util = common::instance_at(&dom, "ReplicatedStorage/Util");
    dom.get_by_ref_mut(util)
        .unwrap()
        .properties
        .insert("Source".into(), Variant::String("return 'edited'\n".into()));
    let remotes = common::instance_at(&dom, "ReplicatedStorage/Remotes");
    dom.destroy(remotes);
    let workspace = common::instance_at(&dom, "Workspace");
    let added = dom.insert(workspace, InstanceBuilder::new("Folder").with_name("Added"));
    for i in 0..12 {
        dom.insert(
            added,
            InstanceBuilder::new("Script")
                .with_name(format!("Script{i}"))
                .with_property("Source", Variant::String(format!("print({i})\n"))),
        );
    }
    let motd = common::instance_at(&dom, "ReplicatedStorage/Motd");
    dom.get_by_ref_mut(motd).unwrap().name = "Welcome".to_owned();
    dom
}

fn write_place(dom: &WeakDom, path: &Path) {
    let mut bytes = Vec::new();
    let roots = dom.root().children().to_vec();
    atlas::dom_file::write(&mut bytes, dom, &roots, atlas::dom_file::Encoding::Binary).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn syncback(root: &Path, place: &Path, crash_at: Option<usize>) -> Output {
    let mut command = atlas();
    command.arg("syncback").arg(root).arg("-i").arg(place);
    if let Some(n) = crash_at {
        command.env("ATLAS_TEST_CRASH_AT", n.to_string());
    }
    command.output().unwrap()
}

/// Runs Atlas on the project again (a build, which reads it): it must
/// recover whatever a killed syncback left.
fn next_run(root: &Path, out: &Path) -> Output {
    let output = atlas()
        .arg("build")
        .arg(root)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the next run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn killed(output: &Output) -> bool {
    !output.status.success() && output.status.code().is_none()
}

/// What the kills at every step left, once recovered.
#[derive(Default, Debug)]
struct Outcomes {
    before: usize,
    after: usize,
    /// Kills that left a mix on disk (before recovery repaired it).
    mixed_on_disk: usize,
}

fn check_recovered(
    n: usize,
    root: &Path,
    out: &Path,
    before: &BTreeMap<String, Option<Vec<u8>>>,
    after: &BTreeMap<String, Option<Vec<u8>>>,
    outcomes: &mut Outcomes,
) {
    let left = files(root);
    if &left != before && &left != after {
        outcomes.mixed_on_disk += 1;
        assert!(
            root.join(JOURNAL).exists(),
            "step {n}: a mix on disk without a journal to repair it"
        );
    }
    let recovered = next_run(root, out);
    let now = files(root);
    if &now == before {
        outcomes.before += 1;
    } else if &now == after {
        outcomes.after += 1;
    } else {
        let differing: Vec<&String> = now
            .keys()
            .chain(before.keys())
            .chain(after.keys())
            .filter(|k| now.get(*k) != after.get(*k) && now.get(*k) != before.get(*k))
            .collect();
        panic!(
            "killed at step {n}: after recovery the project is neither as it was nor as the syncback leaves it; differing: {differing:?}\n{}",
            String::from_utf8_lossy(&recovered.stderr)
        );
    }
    if &left != before && &left != after {
        assert!(
            String::from_utf8_lossy(&recovered.stderr).contains("interrupted syncback"),
            "step {n}: the recovery was not reported"
        );
    }
}

#[test]
fn a_syncback_killed_at_any_step_is_finished_or_taken_back_by_the_next_run() {
    let work = common::temp_dir();
    let place = work.path().join("edited.rbxl");
    write_place(&edited_demo_place(work.path()), &place);
    let out = work.path().join("out.rbxl");

    let (_before_dir, before_root) = demo();
    let before = files(&before_root);
    let (_after_dir, after_root) = demo();
    let output = syncback(&after_root, &place, None);
    assert!(output.status.success(), "{output:?}");
    let after = files(&after_root);
    assert_ne!(before, after);

    let mut outcomes = Outcomes::default();
    let mut steps = 0;
    for n in 1.. {
        let (_dir, root) = demo();
        let output = syncback(&root, &place, Some(n));
        if output.status.success() {
            assert_eq!(files(&root), after, "step {n} was past the end");
            steps = n - 1;
            break;
        }
        assert!(
            killed(&output),
            "step {n}: the syncback failed instead of being killed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        check_recovered(n, &root, &out, &before, &after, &mut outcomes);
        assert!(n < 500, "the syncback never got to its end");
    }
    // Twelve new scripts, changes, removals: many steps, each one tried.
    assert!(steps >= 15, "only {steps} steps");
    assert!(outcomes.before >= 1 && outcomes.after >= 1, "{outcomes:?}");
    assert!(
        outcomes.mixed_on_disk >= steps / 2,
        "the kills hardly ever left a mix, so recovery went untested: {outcomes:?}"
    );
    eprintln!("{steps} steps: {outcomes:?}");
}

#[test]
fn a_live_syncback_killed_halfway_is_finished_or_taken_back_by_the_next_run() {
    let work = common::temp_dir();
    let dom = edited_demo_place(work.path());
    let place = work.path().join("edited.rbxl");
    write_place(&dom, &place);
    let out = work.path().join("out.rbxl");
    let (data, chunks) = split(&dom).unwrap();
    let body = SyncbackBody::new(&data, &chunks).encode();

    let (_before_dir, before_root) = demo();
    let before = files(&before_root);
    let (_after_dir, after_root) = demo();
    assert!(syncback(&after_root, &place, None).status.success());
    let after = files(&after_root);

    let mut outcomes = Outcomes::default();
    // Steps through staging and through the renames and removals after the
    // commit (the CLI test above tries every one of the same steps).
    for n in [1, 20, 40, 55, 65, 75] {
        let (_dir, root) = demo();
        let mut server =
            LiveServer::start_with_env(&root, &[], &[("ATLAS_TEST_CRASH_AT", &n.to_string())]);
        let (status, reply) = server.post_syncback(&body);
        assert_eq!(status, 200, "{reply}");
        let status = server.child.wait().unwrap();
        if status.success() || status.code().is_some() {
            // Past the end: the server came back (it never exits by itself).
            panic!("step {n}: the server was not killed ({status:?})");
        }
        check_recovered(n, &root, &out, &before, &after, &mut outcomes);
    }
    assert!(outcomes.before >= 1 && outcomes.after >= 1, "{outcomes:?}");
}

#[test]
fn a_full_disk_while_staging_is_a_clear_error_and_changes_nothing() {
    let work = common::temp_dir();
    let place = work.path().join("edited.rbxl");
    write_place(&edited_demo_place(work.path()), &place);
    let (_before_dir, before_root) = demo();
    let before = files(&before_root);
    // The first file, one in the middle, one near the end of staging.
    for n in [1, 10, 25] {
        let (_dir, root) = demo();
        let output = atlas()
            .arg("syncback")
            .arg(&root)
            .arg("-i")
            .arg(&place)
            .env("ATLAS_TEST_FULL_DISK_AT", n.to_string())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "write {n}: {stderr}");
        assert!(
            stderr.contains("No space left on device") && stderr.contains("nothing was changed"),
            "write {n}: {stderr}"
        );
        assert_eq!(files(&root), before, "write {n}: the project changed");
        assert!(
            !root.join(JOURNAL).exists(),
            "write {n}: a journal was left"
        );
    }
}
