use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;

#[test]
fn parent_components_are_resolved_by_name() {
    assert_eq!(
        lexical(Path::new("/a/game/../shared")),
        PathBuf::from("/a/shared")
    );
    assert_eq!(lexical(Path::new("/a/./b/c/..")), PathBuf::from("/a/b"));
    assert!(!lexical(Path::new("/a/game/../shared")).starts_with(lexical(Path::new("/a/game"))));
}

/// A watcher over a fresh folder, and what it reported.
struct Probe {
    _watcher: Watcher,
    events: mpsc::Receiver<WatchEvent>,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

const PATIENCE: Duration = Duration::from_secs(10);
/// Long enough for an event that is coming to have come.
const QUIET: Duration = Duration::from_millis(300);

/// A watcher over a fresh folder that `setup` fills.
fn probe(portable: bool, setup: impl FnOnce(&Path)) -> Probe {
    probe_watching(portable, |root| {
        setup(root);
        root.to_path_buf()
    })
}

/// A watcher of what `setup` returns, in a fresh folder it fills.
fn probe_watching(portable: bool, setup: impl FnOnce(&Path) -> PathBuf) -> Probe {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = crate::vfs::canonical_path(dir.path()).expect("its path");
    let watched = setup(&root);
    let (sender, events) = mpsc::channel();
    let listener = move |event| {
        let _ = sender.send(event);
    };
    let mut watcher = if portable {
        Watcher::portable(listener)
    } else {
        Watcher::new(listener)
    }
    .expect("a watcher");
    watcher.watch(&watched).expect("watching");
    Probe {
        _watcher: watcher,
        events,
        root,
        _dir: dir,
    }
}

impl Probe {
    /// Waits until `path` is reported.
    fn expect(&self, path: &Path) {
        self.expect_all(&[path]);
    }

    /// Waits until each of `paths` is reported.
    fn expect_all(&self, paths: &[&Path]) {
        let mut missing: Vec<&Path> = paths.to_vec();
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(WatchEvent::Changed(reported)) => {
                    missing.retain(|m| !reported.iter().any(|r| r == m));
                    if missing.is_empty() {
                        return;
                    }
                }
                Ok(other) => panic!("waiting for {missing:?}: {other:?}"),
                Err(_) => break,
            }
        }
        panic!("{missing:?} not reported");
    }

    fn inotify(&self) -> &super::inotify::InotifyWatcher {
        match &self._watcher.backend {
            Backend::Inotify(watcher) => watcher,
            Backend::Portable(_) => panic!("not the inotify watcher"),
        }
    }

    /// Every path reported until nothing came for a while.
    fn drain(&self) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        while let Ok(event) = self.events.recv_timeout(QUIET) {
            match event {
                WatchEvent::Changed(p) => paths.extend(p),
                WatchEvent::Rescan => paths.push(PathBuf::from("<rescan>")),
                WatchEvent::Error(e) | WatchEvent::Stopped(e) => panic!("the watcher failed: {e}"),
            }
        }
        paths
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("writing a file");
}

fn changes_are_reported(portable: bool) {
    let probe = probe(portable, |root| write(&root.join("kept.luau"), "return 1"));
    let file = probe.root.join("a.luau");
    write(&file, "return 1");
    probe.expect(&file);
    probe.drain();
    write(&file, "return 2");
    probe.expect(&file);
    probe.drain();
    let renamed = probe.root.join("b.luau");
    std::fs::rename(&file, &renamed).expect("renaming");
    probe.expect_all(&[&file, &renamed]);
    probe.drain();
    std::fs::remove_file(&renamed).expect("removing");
    probe.expect(&renamed);
}

fn new_folders_are_watched(portable: bool) {
    let probe = probe(portable, |_| {});
    let folder = probe.root.join("new");
    std::fs::create_dir(&folder).expect("a folder");
    // Reported once its watch is in place: what appears in it next is seen.
    probe.expect(&folder);
    settle(portable);
    let deeper = folder.join("deeper");
    std::fs::create_dir(&deeper).expect("a folder");
    probe.expect(&deeper);
    settle(portable);
    let file = deeper.join("x.luau");
    write(&file, "return 1");
    probe.expect(&file);
}

/// notify's inotify backend (the portable one, on Linux) reports a new
/// folder before it watches it: what appears in it at once can be missed
/// there (the dev server reads a new folder whole, which covers it).
fn settle(portable: bool) {
    if portable && cfg!(target_os = "linux") {
        std::thread::sleep(QUIET);
    }
}

#[test]
fn changes_are_reported_inotify() {
    changes_are_reported(false);
}

#[test]
fn changes_are_reported_portable() {
    changes_are_reported(true);
}

#[test]
fn new_folders_are_watched_inotify() {
    new_folders_are_watched(false);
}

#[test]
fn new_folders_are_watched_portable() {
    new_folders_are_watched(true);
}

/// The dev server reads thousands of files while it watches them: notify's
/// inotify backend reported each read, overflowed the kernel's queue on
/// Miner's Haven's project, and a save made then was lost with it.
#[cfg(target_os = "linux")]
#[test]
fn a_folder_renamed_in_the_tree_is_watched_under_its_new_name() {
    let probe = probe(false, |root| {
        std::fs::create_dir_all(root.join("a/sub")).expect("folders");
    });
    let (old, new) = (probe.root.join("a"), probe.root.join("b"));
    std::fs::rename(&old, &new).expect("renaming");
    probe.expect(&new);
    probe.drain();
    let file = new.join("sub/x.luau");
    write(&file, "return 1");
    probe.expect(&file);
    let reported = probe.drain();
    assert!(
        reported.iter().all(|p| !p.starts_with(&old)),
        "reported under the old name: {reported:?}"
    );
}

/// A root wiped and written again (a generator's output folder, `git
/// checkout` of a `$path` outside the project) is watched again.
#[cfg(target_os = "linux")]
#[test]
fn a_root_removed_and_made_again_is_watched_again() {
    let probe = probe(false, |root| {
        std::fs::create_dir_all(root.join("sub")).expect("folders");
    });
    std::fs::remove_dir_all(&probe.root).expect("removing the root");
    probe.expect(&probe.root);
    probe.drain();
    std::fs::create_dir_all(probe.root.join("sub")).expect("the root again");
    probe.expect(&probe.root);
    probe.drain();
    let file = probe.root.join("sub/x.luau");
    write(&file, "return 1");
    probe.expect(&file);
}

/// A root renamed away and replaced: the new folder is watched, the old
/// one no longer reports under the root's path.
#[cfg(target_os = "linux")]
#[test]
fn a_root_renamed_away_and_replaced_is_followed() {
    let probe = probe(false, |_| {});
    let away = probe.root.with_extension("old");
    std::fs::rename(&probe.root, &away).expect("renaming the root");
    probe.expect(&probe.root);
    probe.drain();
    std::fs::create_dir(&probe.root).expect("a new root");
    probe.expect(&probe.root);
    probe.drain();
    write(&away.join("old.luau"), "return 1");
    let file = probe.root.join("new.luau");
    write(&file, "return 1");
    probe.expect(&file);
    let reported = probe.drain();
    let _ = std::fs::remove_dir_all(&away);
    assert!(
        !reported.contains(&probe.root.join("old.luau")),
        "the old root still reports: {reported:?}"
    );
}

/// Events the kernel dropped (its queue overflowed) can hide new folders
/// or moves: the watches are repaired before a rescan is asked for.
#[cfg(target_os = "linux")]
#[test]
fn watches_are_repaired_after_lost_events() {
    let probe = probe(false, |root| {
        std::fs::create_dir_all(root.join("a/b")).expect("folders");
    });
    probe.inotify().lose_events_under(&probe.root.join("a"));
    write(&probe.root.join("a/b/lost.luau"), "return 1");
    assert_eq!(probe.drain(), Vec::<PathBuf>::new(), "nothing was lost");
    let errors = probe.inotify().repair();
    assert!(errors.is_empty(), "{errors:?}");
    let file = probe.root.join("a/b/x.luau");
    write(&file, "return 1");
    probe.expect(&file);
}

/// A link to a folder made while watching is followed, as at start-up.
#[cfg(target_os = "linux")]
#[test]
fn a_link_to_a_folder_made_while_watching_is_followed() {
    let target = tempfile::tempdir().expect("a temporary folder");
    let target = crate::vfs::canonical_path(target.path()).expect("its path");
    let probe = probe(false, |_| {});
    let link = probe.root.join("linked");
    std::os::unix::fs::symlink(&target, &link).expect("a link");
    probe.expect(&link);
    probe.drain();
    write(&target.join("x.luau"), "return 1");
    probe.expect(&link.join("x.luau"));
    let _ = std::fs::remove_dir_all(&target);
}

#[cfg(target_os = "linux")]
#[test]
fn reading_files_is_not_reported() {
    let probe = probe(false, |root| {
        for i in 0..200 {
            let folder = root.join(format!("f{}", i % 10));
            std::fs::create_dir_all(&folder).expect("a folder");
            write(&folder.join(format!("{i}.luau")), "return 1");
        }
    });
    for i in 0..200 {
        let path = probe
            .root
            .join(format!("f{}", i % 10))
            .join(format!("{i}.luau"));
        std::fs::read(&path).expect("reading a file");
    }
    let _ = std::fs::read_dir(&probe.root).map(|entries| entries.count());
    assert_eq!(probe.drain(), Vec::<PathBuf>::new());
    // And it still watches.
    let file = probe.root.join("f3").join("3.luau");
    write(&file, "return 2");
    probe.expect(&file);
}

/// A folder moved out stops reporting under its old path; one moved in is
/// watched whole.
#[cfg(target_os = "linux")]
#[test]
fn folders_moved_in_and_out_are_followed() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    let outside = crate::vfs::canonical_path(outside.path()).expect("its path");
    std::fs::create_dir_all(outside.join("tree/sub")).expect("folders");
    let probe = probe(false, |_| {});

    let moved_in = probe.root.join("tree");
    std::fs::rename(outside.join("tree"), &moved_in).expect("moving in");
    probe.expect(&moved_in);
    probe.drain();
    let file = moved_in.join("sub").join("x.luau");
    write(&file, "return 1");
    probe.expect(&file);
    probe.drain();

    std::fs::rename(&moved_in, outside.join("away")).expect("moving out");
    probe.expect(&moved_in);
    probe.drain();
    write(&outside.join("away/sub/y.luau"), "return 1");
    let reported = probe.drain();
    assert!(
        reported.iter().all(|p| !p.starts_with(&moved_in)),
        "a folder moved out still reported: {reported:?}"
    );
    let _ = std::fs::remove_dir_all(&outside);
}

/// A project node's `$path` may be one file: it is watched through its
/// folder, so an editor's save (write a copy, rename it over) is seen
/// every time, and its siblings are not reported.
#[cfg(target_os = "linux")]
#[test]
fn a_watched_file_is_seen_through_saves_by_rename() {
    let probe = probe_watching(false, |root| {
        write(&root.join("main.luau"), "return 1");
        write(&root.join("other.luau"), "return 1");
        root.join("main.luau")
    });
    let (file, sibling) = (probe.root.join("main.luau"), probe.root.join("other.luau"));
    for round in 0..2 {
        let copy = probe.root.join(".main.luau.swp");
        write(&copy, &format!("return {round}"));
        std::fs::rename(&copy, &file).expect("saving by rename");
        probe.expect(&file);
        probe.drain();
    }
    probe.drain();
    write(&sibling, "return 2");
    assert_eq!(probe.drain(), Vec::<PathBuf>::new());
}

/// A `$path` file that is a link: an edit of its target is reported under
/// the link's path (notify, watching the path itself, followed the link).
#[cfg(target_os = "linux")]
#[test]
fn a_watched_link_to_a_file_reports_its_target() {
    let probe = probe_watching(false, |root| {
        std::fs::create_dir_all(root.join("vendor")).expect("a folder");
        std::fs::create_dir_all(root.join("game")).expect("a folder");
        write(&root.join("vendor/config.luau"), "return 1");
        let link = root.join("game/config.luau");
        std::os::unix::fs::symlink(root.join("vendor/config.luau"), &link).expect("a link");
        link
    });
    let (target, link) = (
        probe.root.join("vendor/config.luau"),
        probe.root.join("game/config.luau"),
    );
    write(&target, "return 2");
    probe.expect(&link);
    probe.drain();
    write(&probe.root.join("vendor/other.luau"), "return 1");
    assert_eq!(probe.drain(), Vec::<PathBuf>::new());
}
