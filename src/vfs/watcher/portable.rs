//! The watcher on macOS and Windows: notify's recommended backend (FSEvents,
//! ReadDirectoryChangesW). On Linux only the watcher's tests use it, so that
//! this path is built and checked everywhere.

use std::io;
use std::path::{Path, PathBuf};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::{Listener, WatchError, WatchEvent};

pub struct PortableWatcher {
    inner: RecommendedWatcher,
}

fn io_error(error: notify::Error) -> io::Error {
    match error.kind {
        notify::ErrorKind::Io(e) => e,
        _ => io::Error::other(error.to_string()),
    }
}

impl PortableWatcher {
    pub fn new(listener: Listener) -> Result<PortableWatcher, WatchError> {
        let inner =
            notify::recommended_watcher(move |result: notify::Result<Event>| match result {
                Ok(event) => {
                    if event.need_rescan() {
                        listener(WatchEvent::Rescan);
                        return;
                    }
                    if matches!(event.kind, EventKind::Access(_)) || event.paths.is_empty() {
                        return;
                    }
                    listener(WatchEvent::Changed(event.paths));
                }
                Err(error) if error.paths.is_empty() => listener(WatchEvent::Rescan),
                Err(error) => listener(WatchEvent::Error(error.to_string())),
            })
            .map_err(|e| WatchError {
                path: PathBuf::new(),
                source: io_error(e),
            })?;
        Ok(PortableWatcher { inner })
    }

    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        self.inner
            .watch(path, RecursiveMode::Recursive)
            .map_err(|e| WatchError {
                path: path.to_path_buf(),
                source: io_error(e),
            })
    }
}
