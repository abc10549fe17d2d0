//! The fast ways to read JSON5 (serde_json for plain JSON, and for JSON5
//! whose only difference is unquoted keys) must give exactly what the JSON5
//! parser gives: checked on every `.json5` and `.json` file of the
//! repository and of the shared fixtures, and on what syncback writes.

mod common;

use std::path::{Path, PathBuf};

use atlas::json::{self, JsonValue};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let json = |name: &str| name.ends_with(".json5") || name.ends_with(".json");
    common::files::find_files(dir, &json, out);
}

fn agree(path: &Path, text: &str) -> bool {
    let fast: Result<JsonValue, _> = json::from_str(text);
    let slow: Result<JsonValue, _> = json::json5_only(text);
    match (&fast, &slow) {
        // Debug text: floats to the bit, and NaN equal to itself.
        (Ok(a), Ok(b)) => assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "{}: the fast path reads another value",
            path.display()
        ),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "{}: the fast path and the JSON5 parser disagree: {fast:?} / {slow:?}",
            path.display()
        ),
    }
    slow.is_ok()
}

#[test]
fn every_json5_file_reads_the_same_through_the_fast_path() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["rojo-test", "examples", "plugin", "schemas"] {
        walk(&repo.join(dir), &mut files);
    }
    let shared = common::shared_dir().join("conformance");
    if common::have_shared_or(&shared, false) {
        walk(&shared, &mut files);
    }
    let mut parsed = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if agree(path, &text) {
            parsed += 1;
        }
    }
    assert!(parsed > 300, "only {parsed} files parsed");
    eprintln!("{parsed} of {} files read the same both ways", files.len());
}

#[test]
fn what_syncback_writes_reads_the_same_through_the_fast_path() {
    // A place with every kind of value, written by syncback into a project.
    let work = common::temp_dir();
    let built = work.path().join("demo.rbxl");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["build", "examples/demo-place", "-o"])
        .arg(&built)
        .status()
        .unwrap();
    assert!(status.success());
    let (_dir, root) = common::repo_copy("examples/demo-place", "demo");
    std::fs::remove_dir_all(root.join("src")).unwrap();
    common::cli_syncback(&root, &built);
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut quoted = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(agree(path, &text), "{}: does not read", path.display());
        if serde_json::from_str::<serde_json::Value>(&text).is_err() {
            quoted += 1;
        }
    }
    assert!(quoted > 5, "only {quoted} files needed their keys quoted");
}
