//! Watching the project's paths for changes (`notify`).
//!
//! The watcher only reports *which* paths changed; it does not debounce or
//! interpret events (a rename is two paths, a `git checkout` is hundreds).
//! The dev server's change processor coalesces them into batches.

use std::path::{Path, PathBuf};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

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
}

/// Watches a set of paths while it lives; dropping it stops the watching
/// (and notify's thread).
pub struct Watcher {
    inner: RecommendedWatcher,
    watched: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not watch {}: {source}", path.display())]
pub struct WatchError {
    pub path: PathBuf,
    pub source: notify::Error,
}

impl Watcher {
    /// Starts a watcher that calls `listener` from notify's thread.
    pub fn new(listener: impl Fn(WatchEvent) + Send + 'static) -> Result<Watcher, WatchError> {
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
            .map_err(|source| WatchError {
                path: PathBuf::new(),
                source,
            })?;
        Ok(Watcher {
            inner,
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
        self.inner
            .watch(path, RecursiveMode::Recursive)
            .map_err(|source| WatchError {
                path: path.to_path_buf(),
                source,
            })?;
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
mod tests {
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
}
