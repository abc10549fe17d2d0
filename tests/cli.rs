//! The `atlas` binary itself: exit codes, messages, and the output file.

mod common;

use std::path::Path;
use std::process::Command;

fn atlas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_atlas"))
}

#[test]
fn build_writes_each_output_kind() {
    let temp = tempfile::tempdir().unwrap();
    for name in ["demo.rbxl", "demo.rbxlx", "demo.rbxm", "demo.rbxmx"] {
        let output = temp.path().join(name);
        let result = atlas()
            .args(["build", "examples/demo-place", "-o"])
            .arg(&output)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(stdout.contains("Built"), "{stdout}");

        let dom = common::read_dom_file(&output);
        let top: Vec<&str> = dom
            .root()
            .children()
            .iter()
            .map(|r| dom.get_by_ref(*r).unwrap().class.as_str())
            .collect();
        if name.contains(".rbxl") {
            // A place holds the DataModel's children: the services.
            assert!(top.contains(&"Workspace"), "{name}: {top:?}");
        } else {
            assert_eq!(top, vec!["DataModel"], "{name}");
        }
    }
}

#[test]
fn failed_build_exits_nonzero_and_keeps_the_old_output() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("game.rbxl");
    std::fs::write(&output, b"previous build").unwrap();
    let result = atlas()
        .args(["build", "rojo-test/build-tests/error_malformed_model", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.contains("Bad.model.json5"), "{stderr}");
    assert!(stderr.contains("line 3, column 32"), "{stderr}");
    assert_eq!(std::fs::read(&output).unwrap(), b"previous build");
    assert_eq!(
        std::fs::read_dir(temp.path()).unwrap().count(),
        1,
        "a temporary file was left behind"
    );
}

#[test]
fn unknown_output_extension_is_an_error() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("game.zip");
    let result = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains(".rbxl, .rbxlx, .rbxm or .rbxmx"));
    assert!(!output.exists());
}

#[test]
fn folder_without_project_is_an_error() {
    let temp = tempfile::tempdir().unwrap();
    let result = atlas()
        .arg("build")
        .arg(temp.path())
        .args(["-o", "unused.rbxl"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("no project file"), "{stderr}");
    assert!(!Path::new("unused.rbxl").exists());
}

#[test]
fn unresolved_reference_is_a_warning_not_a_failure() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("refs.rbxm");
    let result = atlas()
        .args(["build", "rojo-test/build-tests/refs_paths", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("Nope.model.json5"), "{stderr}");
    assert!(output.exists());
}

#[cfg(unix)]
#[test]
fn folder_link_loop_is_an_error_not_a_hang() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    std::fs::create_dir_all(root.join("src/a")).unwrap();
    std::fs::write(
        root.join("default.project.json5"),
        "{ name: 'loop', tree: { $path: 'src' } }",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", root.join("src/a/up")).unwrap();
    let result = atlas()
        .arg("build")
        .arg(root)
        .arg("-o")
        .arg(root.join("out.rbxl"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("a folder that contains it"), "{stderr}");
}
