//! Dropping a dev server session stops its watcher and its change
//! processor: no thread outlives it. (Alone in its test binary, so no other
//! test's threads are counted.)

use std::path::Path;
use std::time::{Duration, Instant};

use atlas::serve::ServeSession;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|entries| entries.count())
        .unwrap_or(0)
}

#[test]
#[cfg(target_os = "linux")]
fn dropping_a_session_leaves_no_thread_behind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-place"),
        &root,
    );
    // Rayon's pool (used by every read, shared by design) starts once.
    rayon::join(|| (), || ());
    let baseline = thread_count();
    for _ in 0..5 {
        let session = ServeSession::new(&root).unwrap();
        assert!(
            thread_count() >= baseline + 2,
            "a live session runs a watcher and a change processor ({} threads, {baseline} before)",
            thread_count()
        );
        std::fs::write(root.join("src/ReplicatedStorage/Util.luau"), "return 2\n").unwrap();
        drop(session);
        let deadline = Instant::now() + Duration::from_secs(5);
        while thread_count() > baseline {
            assert!(
                Instant::now() < deadline,
                "{} threads after dropping the session, {baseline} before",
                thread_count()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
