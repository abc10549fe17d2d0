//! The Linux watcher: one inotify watch per folder, set up by reading
//! folder entries' types (no `stat` per file), subscribed only to changes.
//!
//! notify's inotify backend, which this replaces on Linux, also subscribes
//! to every file *opened*: the dev server reading a 61k-file project
//! overflowed the kernel's event queue, and a user's save in that window
//! was lost with the overflow. Its recursive set-up stats every file too
//! (80k system calls for Miner's Haven's project, 0.3 s on a core that the
//! read needs).
//!
//! What it keeps true: every folder under a watched root is watched under
//! its current path. New folders (and links to folders) are watched before
//! their paths are reported; a folder moved away is forgotten; a root that
//! is removed, renamed or replaced is watched again when it comes back
//! (through a watch on its parent); after the kernel's queue overflows,
//! the roots are walked again before the listener is told to read
//! everything again.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use super::{Listener, WatchError, WatchEvent};

const INOTIFY: Token = Token(0);
const STOP: Token = Token(1);

/// Changes only: reads (`OPEN`, `ACCESS`, `CLOSE_NOWRITE`) are not asked for.
fn mask() -> WatchMask {
    WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MODIFY
        | WatchMask::CLOSE_WRITE
        | WatchMask::ATTRIB
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
}

/// An entry of a folder that is watched for its sake alone.
#[derive(Clone)]
struct Entry {
    name: OsString,
    /// The path its events are reported under (a watched link's target is
    /// reported under the link's path).
    report: PathBuf,
    /// A watched root folder: watched again when it comes back.
    root: bool,
}

/// A watched folder.
struct Folder {
    path: PathBuf,
    /// Its subfolders are watched too (and new ones as they appear).
    recursive: bool,
    /// The entries that matter when it is not `recursive`.
    entries: Vec<Entry>,
}

struct State {
    watches: Watches,
    folders: HashMap<WatchDescriptor, Folder>,
    /// The recursive folders by path.
    by_path: HashMap<PathBuf, WatchDescriptor>,
    /// The folders watched with everything under them.
    roots: Vec<PathBuf>,
}

pub struct InotifyWatcher {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    waker: Waker,
    thread: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn setup_error(source: io::Error) -> WatchError {
    WatchError {
        path: PathBuf::from("(the file watcher)"),
        source: explain(source),
    }
}

impl InotifyWatcher {
    pub fn new(listener: Listener) -> Result<InotifyWatcher, WatchError> {
        let inotify = Inotify::init().map_err(setup_error)?;
        let poll = Poll::new().map_err(setup_error)?;
        poll.registry()
            .register(
                &mut SourceFd(&inotify.as_raw_fd()),
                INOTIFY,
                Interest::READABLE,
            )
            .map_err(setup_error)?;
        let waker = Waker::new(poll.registry(), STOP).map_err(setup_error)?;
        let state = Arc::new(Mutex::new(State {
            watches: inotify.watches(),
            folders: HashMap::new(),
            by_path: HashMap::new(),
            roots: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("atlas-watcher".to_owned())
                .spawn(move || {
                    let reader = Reader {
                        state: &state,
                        stop: &stop,
                        listener: &listener,
                    };
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        reader.run(inotify, poll)
                    }));
                    let error = match outcome {
                        Ok(Ok(())) => return,
                        Ok(Err(e)) => e.to_string(),
                        Err(_) => "it panicked".to_owned(),
                    };
                    listener(WatchEvent::Stopped(error));
                })
                .map_err(setup_error)?
        };
        Ok(InotifyWatcher {
            state,
            stop,
            waker,
            thread: Some(thread),
        })
    }

    /// Watches `path`: a folder with everything under it, a file through
    /// its folder.
    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        let metadata = std::fs::metadata(path).map_err(|source| WatchError {
            path: path.to_path_buf(),
            source,
        })?;
        // Through its folder too: a file's saves by rename, a root
        // folder's return after a removal.
        let through_parent = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                let entry = Entry {
                    name: name.to_owned(),
                    report: path.to_path_buf(),
                    root: metadata.is_dir(),
                };
                add_entry(&self.state, parent, entry)
            }
            // `/`: no folder to see it through.
            _ => Ok(()),
        };
        if !metadata.is_dir() {
            through_parent?;
            return self.watch_link_target(path);
        }
        // Without its parent (one Atlas may not watch), a root is watched
        // all the same; only its return goes unseen.
        if let Err(e) = through_parent {
            log::debug!("{e}");
        }
        lock(&self.state).roots.push(path.to_path_buf());
        let mut errors = Vec::new();
        add_tree(&self.state, path, None, &mut errors)?;
        errors.into_iter().next().map_or(Ok(()), Err)
    }

    /// A watched file that is a link: its target's folder reports the
    /// target under the link's path.
    fn watch_link_target(&mut self, link: &Path) -> Result<(), WatchError> {
        if !std::fs::symlink_metadata(link).is_ok_and(|m| m.file_type().is_symlink()) {
            return Ok(());
        }
        let Ok(target) = std::fs::canonicalize(link) else {
            return Ok(());
        };
        let (Some(folder), Some(name)) = (target.parent(), target.file_name()) else {
            return Ok(());
        };
        let entry = Entry {
            name: name.to_owned(),
            report: link.to_path_buf(),
            root: false,
        };
        add_entry(&self.state, folder, entry)
    }
}

impl Drop for InotifyWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // Without a wake-up the thread would sleep on: it is left, not
            // waited for.
            if self.waker.wake().is_ok() {
                let _ = thread.join();
            }
        }
    }
}

/// The limits on watches and watchers are the errors whose system text
/// misleads.
fn explain(error: io::Error) -> io::Error {
    match error.raw_os_error() {
        // ENOSPC
        Some(28) => io::Error::other(
            "the system's limit on watched folders was reached \
             (raise it with `sysctl fs.inotify.max_user_watches=524288`)",
        ),
        // EMFILE
        Some(24) => io::Error::other(
            "the system's limit on file watchers was reached \
             (raise it with `sysctl fs.inotify.max_user_instances=1024`)",
        ),
        _ => error,
    }
}

fn is_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::PermissionDenied
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Watches `folder` for the sake of one of its entries.
fn add_entry(state: &Mutex<State>, folder: &Path, entry: Entry) -> Result<(), WatchError> {
    let mut state = lock(state);
    let wd = state
        .watches
        .add(folder, mask() | WatchMask::ONLYDIR)
        .map_err(|source| WatchError {
            path: folder.to_path_buf(),
            source: explain(source),
        })?;
    match state.folders.get_mut(&wd) {
        // Every entry of it matters already.
        Some(known) if known.recursive => {}
        Some(known) => {
            known.entries.retain(|e| e.name != entry.name);
            known.entries.push(entry);
        }
        None => {
            state.folders.insert(
                wd,
                Folder {
                    path: folder.to_path_buf(),
                    recursive: false,
                    entries: vec![entry],
                },
            );
        }
    }
    Ok(())
}

/// Watches `folder` with everything under it. Returns whether its
/// subfolders still need a look: not when it is watched already under this
/// path or, through a link, under another path that still leads to it.
fn add_folder(state: &Mutex<State>, folder: &Path) -> io::Result<(WatchDescriptor, bool)> {
    let mut state = lock(state);
    // Inside the lock: the reader looks a watch's folder up under it, so
    // it never sees a watch before its folder is known.
    let wd = state.watches.add(folder, mask() | WatchMask::ONLYDIR)?;
    let Some(known) = state.folders.get_mut(&wd) else {
        state.folders.insert(
            wd.clone(),
            Folder {
                path: folder.to_path_buf(),
                recursive: true,
                entries: Vec::new(),
            },
        );
        state.by_path.insert(folder.to_path_buf(), wd.clone());
        return Ok((wd, true));
    };
    if !known.recursive {
        known.recursive = true;
        known.entries.clear();
        known.path = folder.to_path_buf();
        state.by_path.insert(folder.to_path_buf(), wd.clone());
        return Ok((wd, true));
    }
    if known.path == folder {
        return Ok((wd, false));
    }
    let old = known.path.clone();
    if same_file(&old, folder) {
        // The same folder reached twice (a link): reported under the path
        // it was first watched under.
        return Ok((wd, false));
    }
    // It moved, and the move's event was lost (or it came in from another
    // root): everything under it is renamed.
    rename_tree(&mut state, &old, folder);
    Ok((wd, true))
}

/// `old` and everything recorded under it now lie at `new`.
fn rename_tree(state: &mut State, old: &Path, new: &Path) {
    let State {
        folders, by_path, ..
    } = state;
    for (wd, folder) in folders.iter_mut() {
        if let Ok(rest) = folder.path.strip_prefix(old) {
            let path = new.join(rest);
            if folder.recursive {
                by_path.remove(&folder.path);
                by_path.insert(path.clone(), wd.clone());
            }
            folder.path = path;
        }
    }
}

/// Watches `root` and every folder under it. A subfolder that is gone by
/// the time it is reached is skipped (its parent's event reports it).
/// With `seen`, folders watched already are walked too (after events were
/// lost), and `seen` gets every watch reached. Errors below the root are
/// collected in `errors`; the walk goes on.
fn add_tree(
    state: &Mutex<State>,
    root: &Path,
    mut seen: Option<&mut HashSet<WatchDescriptor>>,
    errors: &mut Vec<WatchError>,
) -> Result<(), WatchError> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let is_root = folder == root;
        let error = |source| WatchError {
            path: folder.clone(),
            source: explain(source),
        };
        match add_folder(state, &folder) {
            Ok((wd, descend)) => {
                let first_visit = seen.as_deref_mut().map(|seen| seen.insert(wd));
                let descend = match first_visit {
                    Some(first) => first,
                    None => descend,
                };
                if !descend {
                    continue;
                }
            }
            Err(e) if is_root => return Err(error(e)),
            Err(e) if is_gone(&e) => continue,
            Err(e) => {
                errors.push(error(e));
                continue;
            }
        }
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if is_root => return Err(error(e)),
            Err(e) if is_gone(&e) => continue,
            Err(e) => {
                errors.push(error(e));
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            // The type comes with the entry; only links cost a `stat`.
            if kind.is_dir() || (kind.is_symlink() && is_folder(&entry.path())) {
                stack.push(entry.path());
            }
        }
    }
    Ok(())
}

fn is_folder(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Forgets (and removes) the watches of `folder` and of every folder under
/// it: it moved or was removed, and its watches would report its old paths.
fn forget_tree(state: &mut State, folder: &Path) {
    if !state.by_path.contains_key(folder) {
        return;
    }
    let gone: Vec<WatchDescriptor> = state
        .folders
        .iter()
        .filter(|(_, f)| f.recursive && f.path.starts_with(folder))
        .map(|(wd, _)| wd.clone())
        .collect();
    for wd in gone {
        unwatch(state, wd);
    }
}

/// Removes a folder's watch and forgets the folder.
fn unwatch(state: &mut State, wd: WatchDescriptor) {
    if let Some(f) = state.folders.remove(&wd) {
        state.by_path.remove(&f.path);
    }
    let _ = state.watches.remove(wd);
}

/// After events were lost: every root walked again, watches of folders no
/// longer under one dropped.
fn repair(state: &Mutex<State>) -> Vec<WatchError> {
    let roots = lock(state).roots.clone();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for root in &roots {
        if let Err(e) = add_tree(state, root, Some(&mut seen), &mut errors) {
            if !is_gone(&e.source) {
                errors.push(e);
            }
        }
    }
    let mut state = lock(state);
    let stale: Vec<WatchDescriptor> = state
        .folders
        .iter()
        .filter(|(wd, f)| f.recursive && !seen.contains(*wd))
        .map(|(wd, _)| wd.clone())
        .collect();
    for wd in stale {
        unwatch(&mut state, wd);
    }
    errors
}

struct Reader<'a> {
    state: &'a Mutex<State>,
    stop: &'a AtomicBool,
    listener: &'a Listener,
}

impl Reader<'_> {
    fn run(&self, mut inotify: Inotify, mut poll: Poll) -> io::Result<()> {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut events = Events::with_capacity(8);
        while !self.stop.load(Ordering::SeqCst) {
            if let Err(e) = poll.poll(&mut events, None) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            // Edge-triggered: read until the queue is empty (or the
            // watcher is dropped).
            while !self.stop.load(Ordering::SeqCst) {
                let batch = match inotify.read_events(&mut buffer) {
                    Ok(read) => self.batch(read),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.report(batch);
            }
        }
        Ok(())
    }

    fn report(&self, batch: Batch) {
        let mut errors = Vec::new();
        // New folders are watched before their paths are reported, so
        // whatever appears in them after the report is seen too.
        for folder in &batch.new_folders {
            if let Err(e) = add_tree(self.state, folder, None, &mut errors) {
                if !is_gone(&e.source) {
                    errors.push(e);
                }
            }
        }
        if batch.overflowed {
            errors.extend(repair(self.state));
        }
        for error in errors {
            (self.listener)(WatchEvent::Error(error.to_string()));
        }
        if !batch.changed.is_empty() {
            (self.listener)(WatchEvent::Changed(batch.changed));
        }
        if batch.overflowed {
            (self.listener)(WatchEvent::Rescan);
        }
    }

    fn batch<'b>(&self, events: impl Iterator<Item = inotify::Event<&'b OsStr>>) -> Batch {
        let mut batch = Batch::default();
        let mut state = lock(self.state);
        for event in events {
            if event.mask.contains(EventMask::Q_OVERFLOW) {
                batch.overflowed = true;
                continue;
            }
            if event.mask.contains(EventMask::IGNORED) {
                if let Some(f) = state.folders.remove(&event.wd) {
                    if state.by_path.get(&f.path) == Some(&event.wd) {
                        state.by_path.remove(&f.path);
                    }
                }
                continue;
            }
            let Some(folder) = state.folders.get(&event.wd) else {
                continue;
            };
            let (path, follow) = match (event.name, folder.recursive) {
                (Some(name), true) => (folder.path.join(name), true),
                (Some(name), false) => {
                    match folder.entries.iter().find(|e| e.name.as_os_str() == name) {
                        Some(entry) => (entry.report.clone(), entry.root),
                        None => continue,
                    }
                }
                // The folder itself was removed or moved: so were the
                // entries watched through it.
                (None, false) => {
                    let reports = folder.entries.iter().map(|e| e.report.clone());
                    batch.changed.extend(reports);
                    continue;
                }
                (None, true) => {
                    let path = folder.path.clone();
                    if event.mask.contains(EventMask::MOVE_SELF) {
                        forget_tree(&mut state, &path);
                    }
                    batch.push(path);
                    continue;
                }
            };
            if follow {
                if event
                    .mask
                    .intersects(EventMask::MOVED_FROM | EventMask::DELETE)
                {
                    forget_tree(&mut state, &path);
                }
                if event
                    .mask
                    .intersects(EventMask::CREATE | EventMask::MOVED_TO)
                    && (event.mask.contains(EventMask::ISDIR) || is_link_to_folder(&path))
                {
                    // A link moved or made over an old one: its old
                    // target's watches go.
                    forget_tree(&mut state, &path);
                    batch.new_folders.push(path.clone());
                }
            }
            batch.push(path);
        }
        batch
    }
}

fn is_link_to_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) && is_folder(path)
}

#[derive(Default)]
struct Batch {
    changed: Vec<PathBuf>,
    new_folders: Vec<PathBuf>,
    overflowed: bool,
}

impl Batch {
    fn push(&mut self, path: PathBuf) {
        if self.changed.last() != Some(&path) {
            self.changed.push(path);
        }
    }
}

#[cfg(test)]
impl InotifyWatcher {
    /// Forgets the watches under `folder` as a lost event would leave them.
    pub fn lose_events_under(&self, folder: &Path) {
        forget_tree(&mut lock(&self.state), folder);
    }

    /// What the reader does when the kernel's queue overflowed.
    pub fn repair(&self) -> Vec<WatchError> {
        repair(&self.state)
    }
}
