//! `CachedVfs`: a [`Vfs`] that remembers what it read until told a path
//! changed.
//!
//! The dev server reads the project through it: the first snapshot fills
//! the cache, and each batch of file events [`CachedVfs::invalidate`]s the
//! paths it names before the affected part is read again, so unchanged
//! files are never read twice. Missing paths are cached too (meta files are
//! looked for beside every file).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::{DirEntry, EntryKind, StdVfs, Vfs};

#[derive(Default)]
struct Cache {
    contents: HashMap<PathBuf, Arc<Vec<u8>>>,
    listings: HashMap<PathBuf, Arc<Vec<DirEntry>>>,
    /// `None`: the path does not exist.
    kinds: HashMap<PathBuf, Option<EntryKind>>,
}

#[derive(Default)]
pub struct CachedVfs {
    inner: StdVfs,
    cache: RwLock<Cache>,
}

impl CachedVfs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what is known about `path`, the listing of its folder, and,
    /// if it was a folder, everything under it.
    pub fn invalidate(&self, path: &Path) {
        let mut cache = match self.cache.write() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        let was_dir = cache.listings.contains_key(path)
            || matches!(cache.kinds.get(path), Some(Some(EntryKind::Dir)));
        cache.contents.remove(path);
        cache.listings.remove(path);
        cache.kinds.remove(path);
        if let Some(parent) = path.parent() {
            cache.listings.remove(parent);
        }
        if was_dir {
            cache.contents.retain(|p, _| !p.starts_with(path));
            cache.listings.retain(|p, _| !p.starts_with(path));
            cache.kinds.retain(|p, _| !p.starts_with(path));
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        *self.cache_mut() = Cache::default();
    }

    fn cache(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        match self.cache.read() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn cache_mut(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        match self.cache.write() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Vfs for CachedVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if let Some(bytes) = self.cache().contents.get(path) {
            return Ok(bytes.as_ref().clone());
        }
        let bytes = self.inner.read(path)?;
        self.cache_mut()
            .contents
            .insert(path.to_path_buf(), Arc::new(bytes.clone()));
        Ok(bytes)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        if let Some(entries) = self.cache().listings.get(path) {
            return Ok(entries.as_ref().clone());
        }
        let entries = self.inner.read_dir(path)?;
        let mut cache = self.cache_mut();
        for entry in &entries {
            cache.kinds.insert(entry.path.clone(), Some(entry.kind));
        }
        cache
            .listings
            .insert(path.to_path_buf(), Arc::new(entries.clone()));
        Ok(entries)
    }

    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        if let Some(kind) = self.cache().kinds.get(path) {
            return kind.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound));
        }
        match self.inner.kind(path) {
            Ok(kind) => {
                self.cache_mut()
                    .kinds
                    .insert(path.to_path_buf(), Some(kind));
                Ok(kind)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.cache_mut().kinds.insert(path.to_path_buf(), None);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.canonicalize(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_cached_until_invalidated() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "one").unwrap();
        let vfs = CachedVfs::new();
        assert_eq!(vfs.read(&file).unwrap(), b"one");
        std::fs::write(&file, "two").unwrap();
        assert_eq!(vfs.read(&file).unwrap(), b"one");
        vfs.invalidate(&file);
        assert_eq!(vfs.read(&file).unwrap(), b"two");
    }

    #[test]
    fn listings_and_missing_paths_are_invalidated_by_a_child() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("b.txt");
        let vfs = CachedVfs::new();
        assert!(vfs.read_dir(dir.path()).unwrap().is_empty());
        assert!(!vfs.exists(&new));
        std::fs::write(&new, "x").unwrap();
        vfs.invalidate(&new);
        assert_eq!(vfs.read_dir(dir.path()).unwrap().len(), 1);
        assert!(vfs.exists(&new));
    }

    #[test]
    fn invalidating_a_folder_forgets_what_is_inside() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("c.txt"), "1").unwrap();
        let vfs = CachedVfs::new();
        assert_eq!(vfs.read(&sub.join("c.txt")).unwrap(), b"1");
        vfs.read_dir(&sub).unwrap();
        std::fs::remove_dir_all(&sub).unwrap();
        vfs.invalidate(&sub);
        assert!(vfs.read(&sub.join("c.txt")).is_err());
    }
}
