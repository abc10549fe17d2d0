//! The dev server under load: many clients while many files change, and a
//! burst of changes the size of a branch switch. Sizes are bounded for
//! `cargo test`; `ATLAS_LOAD_SCALE=N` multiplies them (`N=10` gives the
//! issue's 1,000 edits and 10,000-file burst).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::thread::sleep;
use std::time::{Duration, Instant};

use atlas::serve::ServeSession;
use atlas::vfs::StdVfs;
use common::compare::{compare, CompareOptions};
use common::live::LiveServer;
use common::write_file as write;

fn scale() -> usize {
    std::env::var("ATLAS_LOAD_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// A place project whose ReplicatedStorage holds `folders` folders of
/// modules, `files` modules in all.
fn generated(files: usize, folders: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = common::temp_dir();
    let root = dir.path().join("load");
    write(
        &root.join("default.project.json5"),
        "{ name: 'Load', tree: { $className: 'DataModel', ReplicatedStorage: { $path: 'src' } } }\n",
    );
    for i in 0..files {
        write(
            &root.join(format!("src/Folder{}/Module{i}.luau", i % folders)),
            &format!("return {i}\n"),
        );
    }
    (dir, root)
}

/// The edit markers (`load-edit-N`) in a message, in the order they appear.
fn markers(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("load-edit-") {
        rest = &rest[at + "load-edit-".len()..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse() {
            found.push(n);
        }
    }
    found
}

#[test]
fn a_hundred_clients_each_get_every_patch_in_the_same_order() {
    let edits = 100 * scale();
    let clients = 100;
    let (_dir, root) = generated(edits, 10);
    let server = LiveServer::start(&root, &[]);
    let sockets: Vec<_> = (0..clients).map(|_| server.socket(0)).collect();
    let start = Arc::new(Barrier::new(clients + 1));
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let mut seen: Vec<usize> = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                while seen.len() < edits && Instant::now() < deadline {
                    if let Some(packet) = socket.next_packet(Duration::from_millis(200)) {
                        seen.extend(markers(&packet.to_string()));
                    }
                }
                seen
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for i in 0..edits {
        write(
            &root.join(format!("src/Folder{}/Module{i}.luau", i % 10)),
            &format!("-- load-edit-{i}\nreturn {i}\n"),
        );
    }
    let seen: Vec<Vec<usize>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    let elapsed = began.elapsed();
    let all: BTreeSet<usize> = (0..edits).collect();
    for (client, markers) in seen.iter().enumerate() {
        let unique: BTreeSet<usize> = markers.iter().copied().collect();
        assert_eq!(
            markers.len(),
            unique.len(),
            "client {client} got a patch twice"
        );
        assert_eq!(
            unique,
            all,
            "client {client} missed {} of {edits} patches",
            all.difference(&unique).count()
        );
        assert_eq!(
            markers, &seen[0],
            "client {client} got the patches in another order than client 0"
        );
    }
    eprintln!(
        "{clients} clients, {edits} edits: every client got every patch, in the same order, within {elapsed:.1?}"
    );
}

fn fresh_build(root: &Path) -> rbx_dom_weak::WeakDom {
    let project = atlas::project::Project::locate(root).unwrap();
    atlas::build::load_tree(&StdVfs, &project)
        .unwrap_or_else(|e| panic!("fresh build: {e}"))
        .tree
        .into_dom()
}

#[test]
fn a_burst_the_size_of_a_branch_switch_ends_equal_to_a_fresh_build() {
    let files = 1000 * scale();
    let folders = 20;
    let (_dir, root) = generated(files, folders);
    let src = root.join("src");
    let session = ServeSession::new(&root).unwrap();
    let began = Instant::now();
    let mut changes = 0;
    // As a checkout writes: files edited, removed and added, folders
    // renamed and removed, all at once.
    for i in (0..files).step_by(2) {
        write(
            &src.join(format!("Folder{}/Module{i}.luau", i % folders)),
            &format!("return {i} -- on the branch\n"),
        );
        changes += 1;
    }
    for i in (1..files).step_by(4) {
        let _ = std::fs::remove_file(src.join(format!("Folder{}/Module{i}.luau", i % folders)));
        changes += 1;
    }
    for i in 0..files / 4 {
        write(
            &src.join(format!("Branch{}/New{i}.luau", i % 7)),
            &format!("return 'new {i}'\n"),
        );
        changes += 1;
    }
    std::fs::rename(src.join("Folder3"), src.join("Renamed3")).unwrap();
    std::fs::remove_dir_all(src.join("Folder5")).unwrap();
    changes += 2 * files / folders;
    let expected = fresh_build(&root);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let report = {
            let tree = session.tree();
            let comparison = compare(
                tree.dom(),
                tree.root_ref(),
                &expected,
                expected.root_ref(),
                &CompareOptions::strict(),
            );
            (!comparison.is_equal()).then(|| comparison.report(20))
        };
        match report {
            None => break,
            Some(report) if Instant::now() > deadline => {
                panic!("after a burst of {changes} changes, the live tree differs from a fresh build: {report}")
            }
            Some(_) => sleep(Duration::from_millis(50)),
        }
    }
    eprintln!(
        "a burst of about {changes} file changes over {files} files: equal to a fresh build after {:.1?}",
        began.elapsed()
    );
}
