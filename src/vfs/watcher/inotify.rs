//! The Linux watcher: one inotify watch per folder, set up by reading
//! folder entries' types (no `stat` per file), subscribed only to changes.
//!
//! notify's inotify backend, which this replaces on Linux, also subscribes
//! to every file *opened*: the dev server reading a 61k-file project
//! overflowed the kernel's event queue, and a user's save in that window
//! was lost with the overflow. Its recursive set-up stats every file too
//! (80k system calls for Miner's Haven's project, 0.3 s on a core that the
//! read needs).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
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

/// A watched folder.
struct Folder {
    path: PathBuf,
    /// Its subfolders are watched too (and new ones as they appear).
    recursive: bool,
    /// Only these entries of it matter (a watched file is watched through
    /// its folder, so that an editor's save-by-rename is seen); `None`:
    /// every entry.
    only: Option<Vec<OsString>>,
}

struct State {
    watches: Watches,
    folders: HashMap<WatchDescriptor, Folder>,
}

pub struct InotifyWatcher {
    state: Arc<Mutex<State>>,
    waker: Waker,
    thread: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn setup_error(source: io::Error) -> WatchError {
    WatchError {
        path: PathBuf::new(),
        source,
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
        }));
        let thread = {
            let state = state.clone();
            std::thread::Builder::new()
                .name("atlas-watcher".to_owned())
                .spawn(move || run(inotify, poll, &state, listener))
                .map_err(setup_error)?
        };
        Ok(InotifyWatcher {
            state,
            waker,
            thread: Some(thread),
        })
    }

    /// Watches `path`: a folder with everything under it, a file through
    /// its folder.
    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        let error = |source| WatchError {
            path: path.to_path_buf(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(error)?;
        if metadata.is_dir() {
            return add_tree(&self.state, path);
        }
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(error(io::Error::other("not a file or folder")));
        };
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        add_folder(&self.state, folder, Some(name.to_owned()))
            .map(|_| ())
            .map_err(|source| WatchError {
                path: folder.to_path_buf(),
                source: explain(source),
            })
    }
}

impl Drop for InotifyWatcher {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            if self.waker.wake().is_ok() {
                let _ = thread.join();
            }
        }
    }
}

/// The limit on watches is the one error whose system text misleads.
fn explain(error: io::Error) -> io::Error {
    if error.raw_os_error() == Some(28) {
        io::Error::other(
            "the system's limit on watched folders was reached \
             (raise it with `sysctl fs.inotify.max_user_watches=524288`)",
        )
    } else {
        error
    }
}

/// Watches `folder` (recursively when `only` is `None`). Returns whether
/// its subfolders still need watching: false when it was watched
/// recursively already (the same folder reached twice, through a link).
fn add_folder(state: &Mutex<State>, folder: &Path, only: Option<OsString>) -> io::Result<bool> {
    let mut state = lock(state);
    // Inside the lock: the reader looks a watch's folder up under it, so
    // it never sees a watch before its folder is known.
    let wd = state.watches.add(folder, mask())?;
    let recursive = only.is_none();
    match state.folders.get_mut(&wd) {
        Some(known) if known.recursive => Ok(false),
        Some(known) => {
            match (only, &mut known.only) {
                (Some(name), Some(names)) => {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                (_, names) => *names = None,
            }
            known.recursive = recursive;
            known.path = folder.to_path_buf();
            Ok(recursive)
        }
        None => {
            state.folders.insert(
                wd,
                Folder {
                    path: folder.to_path_buf(),
                    recursive,
                    only: only.map(|name| vec![name]),
                },
            );
            Ok(recursive)
        }
    }
}

/// Watches `root` and every folder under it. A subfolder that is gone by
/// the time it is reached is skipped (its parent's event reports it).
fn add_tree(state: &Mutex<State>, root: &Path) -> Result<(), WatchError> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let is_root = folder == root;
        let error = |source| WatchError {
            path: folder.clone(),
            source: explain(source),
        };
        match add_folder(state, &folder, None) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) if !is_root && is_gone(&e) => continue,
            Err(e) => return Err(error(e)),
        }
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if !is_root && is_gone(&e) => continue,
            Err(e) => return Err(error(e)),
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            // The type comes with the entry; only links cost a `stat`.
            let is_folder = kind.is_dir()
                || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()));
            if is_folder {
                stack.push(entry.path());
            }
        }
    }
    Ok(())
}

fn is_gone(error: &io::Error) -> bool {
    // ENOENT, ENOTDIR (replaced by a file), EACCES (not ours to read).
    matches!(error.raw_os_error(), Some(2 | 20 | 13))
}

/// Forgets (and removes) the watches of `folder` and of every folder under
/// it: it moved, and its watches would report its old paths.
fn forget_tree(state: &mut State, folder: &Path) {
    let gone: Vec<WatchDescriptor> = state
        .folders
        .iter()
        .filter(|(_, f)| f.path.starts_with(folder))
        .map(|(wd, _)| wd.clone())
        .collect();
    for wd in gone {
        state.folders.remove(&wd);
        let _ = state.watches.remove(wd);
    }
}

fn run(mut inotify: Inotify, mut poll: Poll, state: &Mutex<State>, listener: Listener) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(8);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            listener(WatchEvent::Error(format!("the file watcher stopped: {e}")));
            return;
        }
        if events.iter().any(|event| event.token() == STOP) {
            return;
        }
        // Edge-triggered: read until the queue is empty.
        loop {
            let batch = match inotify.read_events(&mut buffer) {
                Ok(read) => handle(state, read),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    listener(WatchEvent::Error(format!("the file watcher stopped: {e}")));
                    return;
                }
            };
            // New folders are watched before their paths are reported, so
            // whatever appears in them after the report is seen too.
            for folder in &batch.new_folders {
                match add_tree(state, folder) {
                    Err(e) if !is_gone(&e.source) => listener(WatchEvent::Error(e.to_string())),
                    _ => {}
                }
            }
            if !batch.changed.is_empty() {
                listener(WatchEvent::Changed(batch.changed));
            }
            if batch.overflowed {
                listener(WatchEvent::Rescan);
            }
        }
    }
}

#[derive(Default)]
struct Batch {
    changed: Vec<PathBuf>,
    new_folders: Vec<PathBuf>,
    overflowed: bool,
}

fn handle<'a>(
    state: &Mutex<State>,
    events: impl Iterator<Item = inotify::Event<&'a std::ffi::OsStr>>,
) -> Batch {
    let mut batch = Batch::default();
    let mut state = lock(state);
    for event in events {
        if event.mask.contains(EventMask::Q_OVERFLOW) {
            batch.overflowed = true;
            continue;
        }
        if event.mask.contains(EventMask::IGNORED) {
            state.folders.remove(&event.wd);
            continue;
        }
        let Some(folder) = state.folders.get(&event.wd) else {
            continue;
        };
        let path = match (event.name, &folder.only) {
            (Some(name), Some(only)) if !only.iter().any(|o| o == name) => continue,
            (Some(name), _) => folder.path.join(name),
            // The folder itself was removed or moved: so were the files
            // watched through it.
            (None, Some(only)) => {
                batch
                    .changed
                    .extend(only.iter().map(|name| folder.path.join(name)));
                continue;
            }
            (None, None) => folder.path.clone(),
        };
        let recursive = folder.recursive;
        if recursive && event.mask.contains(EventMask::ISDIR) {
            if event.mask.contains(EventMask::MOVED_FROM) {
                forget_tree(&mut state, &path);
            }
            if event
                .mask
                .intersects(EventMask::CREATE | EventMask::MOVED_TO)
            {
                batch.new_folders.push(path.clone());
            }
        }
        if batch.changed.last() != Some(&path) {
            batch.changed.push(path);
        }
    }
    batch
}
