//! Helpers shared by the integration tests: a readable view of an instance
//! tree (for snapshots) and a tree comparison (for conformance and round
//! trips).
#![allow(dead_code)]

pub mod compare;
pub mod files;
pub mod live;
pub mod rng;
pub mod roundtrip;
pub mod tree_view;
pub mod two_way;

use std::path::PathBuf;

/// The shared test data (real places, Rojo's fixtures): the folder
/// `ATLAS_SHARED_DIR` names, else `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ATLAS_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared"),
    }
}

/// True if `path`, a piece of the shared test data, exists. When it does
/// not, the calling test is skipped and says so on stderr, loudly; with
/// `ATLAS_REQUIRE_SHARED` set (CI sets it) the test fails instead.
pub fn have_shared(path: &std::path::Path) -> bool {
    have_shared_or(path, std::env::var_os("ATLAS_REQUIRE_SHARED").is_some())
}

/// [`have_shared`] with the requirement given.
pub fn have_shared_or(path: &std::path::Path, required: bool) -> bool {
    match missing_shared(path) {
        None => true,
        Some(message) if required => panic!("{message} (ATLAS_REQUIRE_SHARED is set)"),
        Some(message) => {
            eprintln!("{message}");
            false
        }
    }
}

/// The message a test skipped for missing shared data prints, or `None`
/// when `path` exists.
pub fn missing_shared(path: &std::path::Path) -> Option<String> {
    (!path.exists()).then(|| {
        format!(
            "SKIPPED: {} is missing; this test needs the shared test data (../shared beside the repository, or ATLAS_SHARED_DIR)",
            path.display()
        )
    })
}

/// Reads a place or model file into a DOM (root = DataModel holding the
/// file's top-level instances).
pub fn read_dom_file(path: &std::path::Path) -> rbx_dom_weak::WeakDom {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let kind =
        atlas::dom_file::DomFileKind::from_path(path).expect("a .rbxl/.rbxm/.rbxlx/.rbxmx path");
    atlas::dom_file::read(&bytes, kind.encoding)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A temporary folder, in memory (`/dev/shm`) where the system has one:
/// tests that write thousands of files then do not depend on the state of
/// the disk's file system.
pub fn temp_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().expect("a temporary folder")
}

/// A copy of a folder of this repository (`examples/demo-place`) in a
/// temporary folder, as `<temp>/<name>`.
pub fn repo_copy(relative: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir();
    let root = dir.path().join(name);
    roundtrip::copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative),
        &root,
        false,
    );
    (dir, root)
}

/// The instance at `path` (names separated by `/`, the first of each name)
/// below the root of `dom`.
pub fn instance_at(dom: &rbx_dom_weak::WeakDom, path: &str) -> rbx_dom_weak::types::Ref {
    let mut current = dom.root_ref();
    for name in path.split('/') {
        current = *dom
            .get_by_ref(current)
            .unwrap()
            .children()
            .iter()
            .find(|c| dom.get_by_ref(**c).unwrap().name == name)
            .unwrap_or_else(|| panic!("no {path}"));
    }
    current
}

/// Writes a file, creating its folder.
pub fn write_file(path: &std::path::Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Runs `atlas syncback ROOT -i PLACE` (clean mode) and checks it succeeds.
pub fn cli_syncback(root: &std::path::Path, place: &std::path::Path) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_atlas"))
        .arg("syncback")
        .arg(root)
        .arg("-i")
        .arg(place)
        .output()
        .expect("atlas runs");
    assert!(
        output.status.success(),
        "atlas syncback: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One test per fixture folder, each calling `run("<name>")`, and a test
/// that the list and the folders in `$dir` agree (a fixture without a test
/// or a test without a fixture fails).
#[allow(unused_macros)]
macro_rules! fixture_tests {
    ($dir:literal; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*

        /// Every fixture folder has a test, and every test a folder.
        #[test]
        fn every_case_has_a_test() {
            let mut on_disk: Vec<String> = std::fs::read_dir($dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = [$(stringify!($name)),*]
                .iter()
                .map(|s| s.to_string())
                .collect();
            listed.sort();
            assert_eq!(on_disk, listed);
        }
    };
}
#[allow(unused_imports)]
pub(crate) use fixture_tests;
