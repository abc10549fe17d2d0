//! Watching the project's paths for changes.
//!
//! The watcher only reports *which* paths changed; it does not debounce or
//! interpret events (a rename is two paths, a `git checkout` is hundreds).
//! The dev server's change processor coalesces them into batches.

use std::io;
use std::path::{Path, PathBuf};

#[cfg(target_os = "linux")]
mod inotify;
mod portable;

/// What the watcher tells its listener.
#[derive(Debug)]
pub enum WatchEvent {
    /// These paths (files or folders) were created, changed or removed.
    Changed(Vec<PathBuf>),
    /// The watcher lost events (e.g. the kernel's queue overflowed): what is
    /// on disk must be read again.
    Rescan,
    /// The watcher reported an error it could recover from.
    Error(String),
    /// The watcher stopped: nothing is reported from now on.
    Stopped(String),
}

/// Called from the watcher's own thread.
type Listener = Box<dyn Fn(WatchEvent) + Send + 'static>;

/// Watches a set of paths while it lives; dropping it stops the watching
/// (and the watcher's thread).
///
/// Reading files is never reported, only changes: the dev server reads
/// thousands of files while it watches them.
pub struct Watcher {
    backend: Backend,
    watched: Vec<PathBuf>,
}

enum Backend {
    #[cfg(target_os = "linux")]
    Inotify(inotify::InotifyWatcher),
    Portable(portable::PortableWatcher),
}

#[derive(Debug, thiserror::Error)]
#[error("could not watch {}: {source}", path.display())]
pub struct WatchError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl Watcher {
    /// Starts a watcher that calls `listener` from its own thread: inotify
    /// on Linux, notify's recommended backend elsewhere.
    pub fn new(listener: impl Fn(WatchEvent) + Send + 'static) -> Result<Watcher, WatchError> {
        #[cfg(target_os = "linux")]
        let backend = Backend::Inotify(inotify::InotifyWatcher::new(Box::new(listener))?);
        #[cfg(not(target_os = "linux"))]
        let backend = Backend::Portable(portable::PortableWatcher::new(Box::new(listener))?);
        Ok(Watcher {
            backend,
            watched: Vec::new(),
        })
    }

    /// A watcher on notify's recommended backend, whatever the system (on
    /// Linux, notify also reports files being read: only tests use it).
    pub fn portable(listener: impl Fn(WatchEvent) + Send + 'static) -> Result<Watcher, WatchError> {
        Ok(Watcher {
            backend: Backend::Portable(portable::PortableWatcher::new(Box::new(listener))?),
            watched: Vec::new(),
        })
    }

    /// Watches `path`, and everything under it if it is a folder. Paths
    /// under one already watched are skipped.
    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        // Compared with `..` resolved (`game/../shared` is not under `game`),
        // but watched as given: events then carry the same spelling as the
        // paths the tree recorded.
        let resolved = lexical(path);
        if self
            .watched
            .iter()
            .any(|w| resolved.starts_with(lexical(w)))
        {
            return Ok(());
        }
        match &mut self.backend {
            #[cfg(target_os = "linux")]
            Backend::Inotify(watcher) => watcher.watch(path)?,
            Backend::Portable(watcher) => watcher.watch(path)?,
        }
        self.watched.push(path.to_path_buf());
        Ok(())
    }

    pub fn watched(&self) -> &[PathBuf] {
        &self.watched
    }
}

/// `path` with `.` and `..` resolved by name (no file system access).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests;
