//! `CachedVfs`: a [`Vfs`] that remembers what it read until told a path
//! changed.
//!
//! The dev server reads the project through it: the first snapshot fills
//! the cache, and each batch of file events [`CachedVfs::invalidate`]s the
//! paths it names before the affected part is read again, so unchanged
//! files are never read twice. Missing paths are cached too (meta files are
//! looked for beside every file).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::{DirEntry, EntryKind, StdVfs, Vfs};

#[derive(Default)]
struct Cache {
    contents: HashMap<PathBuf, Arc<Vec<u8>>>,
    listings: HashMap<PathBuf, Arc<Vec<DirEntry>>>,
    /// `None`: the path does not exist.
    kinds: HashMap<PathBuf, Option<EntryKind>>,
}

/// The cache is split into shards by path, so the parallel reads of a
/// first snapshot rarely wait for each other.
const SHARDS: usize = 32;

pub struct CachedVfs {
    inner: StdVfs,
    shards: Vec<RwLock<Cache>>,
    /// Every folder that has something cached below it: only these are
    /// swept when a path that may have been a folder is invalidated (a
    /// gone path is most often an editor's or Atlas's own temporary file).
    parents: RwLock<HashSet<PathBuf>>,
    /// Whether what is read is kept.
    caching: AtomicBool,
}

impl Default for CachedVfs {
    fn default() -> Self {
        CachedVfs {
            inner: StdVfs,
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            parents: RwLock::default(),
            caching: AtomicBool::new(true),
        }
    }
}

impl CachedVfs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns caching on or off (it starts on). The dev server reads the
    /// whole project once at start-up with it off: filling the cache with
    /// every file and listing then costs start-up time for files most of
    /// which never change, and the system's page cache has them anyway.
    /// From the first change on, what is read again is kept.
    pub fn set_caching(&self, on: bool) {
        self.caching.store(on, Ordering::Relaxed);
    }

    fn caching(&self) -> bool {
        self.caching.load(Ordering::Relaxed)
    }

    /// Forgets what is known about `path`, the listing of its folder, and,
    /// if it is or was a folder (or is gone, and might have been one: a
    /// moved folder is reported by its own path only), everything under it.
    pub fn invalidate(&self, path: &Path) {
        let known_dir = {
            let shard = self.read_shard(path);
            shard.listings.contains_key(path)
                || matches!(shard.kinds.get(path), Some(Some(EntryKind::Dir)))
        };
        let was_dir = known_dir || !matches!(self.inner.kind(path), Ok(EntryKind::File));
        {
            let mut shard = self.write_shard(path);
            shard.contents.remove(path);
            shard.listings.remove(path);
            shard.kinds.remove(path);
        }
        if let Some(parent) = path.parent() {
            self.write_shard(parent).listings.remove(parent);
        }
        let has_below = lock_read(&self.parents).contains(path);
        if was_dir && has_below {
            for shard in &self.shards {
                let mut shard = lock_write(shard);
                shard.contents.retain(|p, _| !p.starts_with(path));
                shard.listings.retain(|p, _| !p.starts_with(path));
                shard.kinds.retain(|p, _| !p.starts_with(path));
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        for shard in &self.shards {
            *lock_write(shard) = Cache::default();
        }
        lock_write(&self.parents).clear();
    }

    /// Records that something below each ancestor of `path` is cached.
    fn note_parents(&self, path: &Path) {
        let missing = |parents: &HashSet<PathBuf>| {
            path.parent()
                .is_some_and(|parent| !parents.contains(parent))
        };
        if !missing(&lock_read(&self.parents)) {
            return;
        }
        let mut parents = lock_write(&self.parents);
        for ancestor in path.ancestors().skip(1) {
            if !parents.insert(ancestor.to_path_buf()) {
                break; // its own ancestors are in already
            }
        }
    }

    fn shard(&self, path: &Path) -> &RwLock<Cache> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut hasher);
        &self.shards[(hasher.finish() as usize) % SHARDS]
    }

    fn read_shard(&self, path: &Path) -> std::sync::RwLockReadGuard<'_, Cache> {
        lock_read(self.shard(path))
    }

    fn write_shard(&self, path: &Path) -> std::sync::RwLockWriteGuard<'_, Cache> {
        lock_write(self.shard(path))
    }
}

/// The cache holds no invariant a panicking reader or writer could break
/// halfway: a poisoned lock is used as it is.
fn lock_read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    match lock.read() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn lock_write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    match lock.write() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Vfs for CachedVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if let Some(bytes) = self.read_shard(path).contents.get(path) {
            return Ok(bytes.as_ref().clone());
        }
        let bytes = self.inner.read(path)?;
        if !self.caching() {
            return Ok(bytes);
        }
        self.note_parents(path);
        self.write_shard(path)
            .contents
            .insert(path.to_path_buf(), Arc::new(bytes.clone()));
        Ok(bytes)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        if let Some(entries) = self.read_shard(path).listings.get(path) {
            return Ok(entries.as_ref().clone());
        }
        let entries = self.inner.read_dir(path)?;
        if !self.caching() {
            return Ok(entries);
        }
        // The entries' kinds are cached below `path`, the listing below its
        // parent: an entry's ancestors cover both.
        match entries.first() {
            Some(entry) => self.note_parents(&entry.path),
            None => self.note_parents(path),
        }
        for entry in &entries {
            self.write_shard(&entry.path)
                .kinds
                .insert(entry.path.clone(), Some(entry.kind));
        }
        self.write_shard(path)
            .listings
            .insert(path.to_path_buf(), Arc::new(entries.clone()));
        Ok(entries)
    }

    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        if let Some(kind) = self.read_shard(path).kinds.get(path) {
            return kind.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound));
        }
        if !self.caching() {
            return self.inner.kind(path);
        }
        self.note_parents(path);
        match self.inner.kind(path) {
            Ok(kind) => {
                self.write_shard(path)
                    .kinds
                    .insert(path.to_path_buf(), Some(kind));
                Ok(kind)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.write_shard(path)
                    .kinds
                    .insert(path.to_path_buf(), None);
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
    fn nothing_is_kept_while_caching_is_off() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "one").unwrap();
        let vfs = CachedVfs::new();
        vfs.set_caching(false);
        assert_eq!(vfs.read(&file).unwrap(), b"one");
        assert_eq!(vfs.read_dir(dir.path()).unwrap().len(), 1);
        std::fs::write(&file, "two").unwrap();
        std::fs::write(dir.path().join("b.txt"), "").unwrap();
        assert_eq!(vfs.read(&file).unwrap(), b"two");
        assert_eq!(vfs.read_dir(dir.path()).unwrap().len(), 2);
        vfs.set_caching(true);
        assert_eq!(vfs.read(&file).unwrap(), b"two");
        std::fs::write(&file, "three").unwrap();
        assert_eq!(vfs.read(&file).unwrap(), b"two", "kept once caching is on");
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
    fn a_folder_moved_into_place_replaces_what_was_known_under_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("x.luau"), "old").unwrap();
        let vfs = CachedVfs::new();
        // Known: the file's contents and a missing meta file; not the folder.
        assert_eq!(vfs.read(&a.join("x.luau")).unwrap(), b"old");
        assert!(!vfs.exists(&a.join("x.meta.json5")));
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("x.luau"), "new").unwrap();
        std::fs::write(other.join("x.meta.json5"), "{}").unwrap();
        std::fs::rename(&a, dir.path().join("gone")).unwrap();
        std::fs::rename(&other, &a).unwrap();
        vfs.invalidate(&a);
        assert_eq!(vfs.read(&a.join("x.luau")).unwrap(), b"new");
        assert!(vfs.exists(&a.join("x.meta.json5")));
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

    /// A gone path (an editor's temporary file) sweeps only what was cached
    /// below it: the rest of the cache stays, and a folder known only through
    /// an empty listing is swept too.
    #[test]
    fn a_gone_path_sweeps_only_what_is_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.txt");
        std::fs::write(&kept, "cached").unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let vfs = CachedVfs::new();
        assert_eq!(vfs.read(&kept).unwrap(), b"cached");
        assert!(vfs.read_dir(&empty).unwrap().is_empty());
        std::fs::write(&kept, "changed on disk").unwrap();
        vfs.invalidate(&dir.path().join(".kept.txt.swp"));
        assert_eq!(vfs.read(&kept).unwrap(), b"cached", "not swept");
        std::fs::remove_dir(&empty).unwrap();
        std::fs::create_dir_all(empty.join("now/full")).unwrap();
        vfs.invalidate(&empty);
        assert_eq!(vfs.read_dir(&empty).unwrap().len(), 1);
        assert_eq!(vfs.read(&kept).unwrap(), b"cached", "not swept");
    }
}
