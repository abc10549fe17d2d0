//! The change processor: a thread that turns file events into patches.
//!
//! Events arrive from the watcher in bursts (an editor's save is several
//! events, a `git checkout` hundreds). The processor waits until the
//! project has been quiet for [`QUIET`] (but never longer than [`MAX_WAIT`]
//! after the first event), then handles the whole batch at once: it forgets
//! the changed paths in the VFS cache, finds the units they affect, reads
//! each again, reconciles it into the tree, resolves references again, and
//! pushes one message. A unit that fails to read is logged, keeps its last
//! good instances and is tried again with the next batch.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rbx_dom_weak::types::Ref;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::snapshot::patch::{reconcile, AppliedPatch};
use crate::snapshot::refs::{refresh_refs, refresh_refs_after};
use crate::snapshot::InstanceTree;
use crate::syncback::SyncbackOptions;
use crate::vfs::{CachedVfs, Vfs};

use super::instance_data::PatchMessage;
use super::lock;
use super::message_queue::MessageQueue;
use super::new_entries::{self, NewEntry, Reading};
use super::units::{
    fallback_units, outermost_units, outside_units, snapshot_new_file, units_for_paths, Recipe,
    Unit,
};
use super::write::{self, WriteError, WriteOutcome, WriteRequest};

/// How long the project must be quiet before a batch is handled.
pub const QUIET: Duration = Duration::from_millis(10);
/// The longest a change waits for the project to become quiet.
pub const MAX_WAIT: Duration = Duration::from_millis(50);

pub enum ProcessorEvent {
    Changed(Vec<PathBuf>),
    /// Events were lost: read everything again.
    Rescan,
    /// Studio edits to write into the project (two-way sync).
    Write(WriteJob),
    Shutdown,
}

/// A write and where its outcome goes.
pub struct WriteJob {
    pub request: WriteRequest,
    pub reply: mpsc::Sender<Result<WriteOutcome, WriteError>>,
}

pub struct Processor {
    pub tree: Arc<Mutex<InstanceTree>>,
    pub vfs: Arc<CachedVfs>,
    pub queue: Arc<MessageQueue<PatchMessage>>,
    pub root_project: PathBuf,
    /// Warnings already shown, so each is logged once.
    pub known_warnings: HashSet<String>,
    /// Units that failed to read, with their error, retried with every
    /// batch; an error is logged again only when it changes.
    pub failed_units: HashMap<Unit, String>,
    /// The tree changed outside a reconcile (a two-way write): the next
    /// batch resolves every reference again.
    pub refs_stale: bool,
    /// What two-way writes left at each path they wrote, created or removed,
    /// once read back into the tree: a watcher event for a path that still
    /// holds exactly that is the write's own echo, with nothing to read.
    pub written: HashMap<PathBuf, Written>,
}

/// What a two-way write left at a path. (Folders are not recorded: an
/// event for a folder stands for changes inside it.)
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    File(Vec<u8>),
    Gone,
}

/// Echo records kept at most (a long session of writes forgets them all
/// past this; their events are then read as any other).
const WRITTEN_LIMIT: usize = 100_000;

impl Processor {
    pub fn run(mut self, events: Receiver<ProcessorEvent>) {
        // Built here, not on the way to serving the first read.
        {
            let start = Instant::now();
            lock(&self.tree).enable_path_index();
            log::debug!("indexed the tree's paths in {:.1?}", start.elapsed());
            // The start-up's snapshots are gone: their memory goes back.
            crate::memory::release_free_memory();
        }
        while let Ok(first) = events.recv() {
            let mut paths = Vec::new();
            let mut rescan = false;
            // A write waits for the file changes that came before it, so it
            // is made over the project as it is on disk.
            let mut write = None;
            match first {
                ProcessorEvent::Shutdown => return,
                ProcessorEvent::Changed(p) => paths.extend(p),
                ProcessorEvent::Rescan => rescan = true,
                ProcessorEvent::Write(job) => write = Some(job),
            }
            let deadline = Instant::now() + MAX_WAIT;
            while write.is_none() {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match events.recv_timeout(QUIET.min(deadline - now)) {
                    Ok(ProcessorEvent::Changed(p)) => paths.extend(p),
                    Ok(ProcessorEvent::Rescan) => rescan = true,
                    Ok(ProcessorEvent::Write(job)) => write = Some(job),
                    Ok(ProcessorEvent::Shutdown) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            if rescan {
                log::warn!("the file watcher lost events; reading the project again");
                self.written.clear();
            } else {
                // A two-way write's own files, already read back.
                paths.retain(|path| !self.is_own_echo(path));
            }
            if (!paths.is_empty() || rescan)
                && self
                    .guarded("reading changed files", |p| p.handle(paths, rescan))
                    .is_none()
            {
                self.recover();
            }
            if let Some(job) = write {
                let outcome =
                    match self.guarded("writing Studio's changes", |p| p.write(job.request)) {
                        Some(outcome) => outcome,
                        None => {
                            self.recover();
                            Err(WriteError::Internal)
                        }
                    };
                if let Err(error) = &outcome {
                    log::error!("could not write Studio's changes: {error}");
                }
                // The client may have gone; the write stands either way.
                let _ = job.reply.send(outcome);
            }
        }
    }

    /// Runs one job; a panic in it (a bug) is caught and logged, so live
    /// sync goes on: `None` then, and the caller recovers.
    fn guarded<T>(&mut self, what: &str, job: impl FnOnce(&mut Self) -> T) -> Option<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(self))) {
            Ok(value) => Some(value),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                log::error!("internal error while {what} ({message}); reading the project again");
                None
            }
        }
    }

    /// After a job panicked: the tree may be half-updated, so the whole
    /// project is read again (clients get what differs).
    fn recover(&mut self) {
        if self
            .guarded("reading the project again", |p| p.handle(Vec::new(), true))
            .is_none()
        {
            log::error!("the project could not be read again; restart atlas serve");
        }
    }

    /// Writes a batch of Studio edits into the project: the live tree with
    /// the batch applied, synced back incrementally (the same code as
    /// `atlas syncback --incremental`, over the tree on disk now, which the
    /// live tree is). Then the live tree takes the batch, keeping the ids
    /// the plugin gave new instances, and the written files are read back at
    /// once: what they give that Studio does not have yet is sent to
    /// clients; Studio's own edits are not echoed back (they are already
    /// in the tree), and the watcher's later events for the same files find
    /// nothing new.
    pub fn write(&mut self, request: WriteRequest) -> Result<WriteOutcome, WriteError> {
        let start = Instant::now();
        let mut phases = crate::timing::Phases::new("write");
        let mut request = request;
        // Only the tests set this: a write whose first update sets a
        // Source to this text panics, to check that nothing goes down.
        if std::env::var_os("ATLAS_TEST_PANIC_IN_WRITE").is_some()
            && request.updated.first().is_some_and(|u| {
                u.changed_properties.values().any(|v| {
                    matches!(v, Some(rbx_dom_weak::types::Variant::String(s)) if s == "ATLAS_TEST_PANIC")
                })
            })
        {
            panic!("a panic the tests asked for");
        }
        let mut tree = lock(&self.tree);
        write::check(&tree, &request)?;
        write::settle(&tree, &mut request);
        let scoped = self.scoped_plan(&tree, &request, &mut phases)?;
        let plan = match scoped {
            Some(plan) if !check_scoped() => plan,
            scoped => {
                let plan = self.whole_plan(&tree, &request, &mut phases)?;
                if let Some(scoped) = scoped {
                    assert_same_changes(&scoped, &plan);
                }
                plan
            }
        };
        let mut paths = write::touched_paths(&tree, &request);
        let changes = &plan.result.changes;
        paths.extend(changes.files.keys().cloned());
        paths.extend(changes.removals.iter().cloned());
        let summary = changes.apply(&plan.project.folder)?;
        let echoes: Vec<(PathBuf, Written)> = changes
            .removals
            .iter()
            .map(|p| (p.clone(), Written::Gone))
            .chain(
                changes
                    .files
                    .iter()
                    .map(|(p, bytes)| (p.clone(), Written::File(bytes.clone()))),
            )
            .collect();
        phases.mark("files");
        write::apply(tree.dom_mut(), &request)?;
        tree.forget_missing();
        drop(tree);
        phases.mark("live tree");
        for warning in &plan.result.warnings {
            log::warn!("{warning}");
        }
        // Ref values set by the batch itself come back as reference
        // attributes of the written files, resolved with them; a structural
        // batch changed what paths lead to.
        self.refs_stale |= request.is_structural();
        self.handle(write::read_back_paths(&request, paths), false);
        phases.mark("read back");
        // Read back: the watcher's events for these paths, while they hold
        // what was written, have nothing new to tell.
        if self.written.len() > WRITTEN_LIMIT {
            self.written.clear();
        }
        self.written.extend(echoes);
        phases.log();
        log::info!(
            "wrote Studio's changes: {} ({:.1?})",
            crate::syncback::describe(&summary),
            start.elapsed()
        );
        Ok(WriteOutcome {
            summary,
            warnings: plan.result.warnings,
        })
    }

    /// The syncback of a batch over the part of the tree it can change
    /// (`write::scope`); `None` when the part would be too big or alone
    /// cannot say what changes.
    fn scoped_plan(
        &self,
        tree: &InstanceTree,
        request: &WriteRequest,
        phases: &mut crate::timing::Phases,
    ) -> Result<Option<crate::syncback::Plan>, WriteError> {
        let Some(scope) = write::scope(tree, self.vfs.as_ref(), request) else {
            log::debug!("the write reaches too much of the tree: synced back whole");
            return Ok(None);
        };
        let (stored, identity) = write::as_stored_paired(&scope.new)?;
        phases.mark("scope");
        let part = crate::syncback::Part {
            old: &scope.old,
            identity: &identity,
            may_move: &scope.may_move,
        };
        let plan = crate::syncback::plan_scoped(
            self.vfs.as_ref(),
            &self.root_project,
            tree,
            &part,
            stored,
        )?;
        phases.mark("scoped syncback");
        if plan.is_none() {
            log::debug!("an instance of the write's scope moves on disk: synced back whole");
        }
        Ok(plan)
    }

    /// The syncback of the whole live tree with the batch applied.
    fn whole_plan(
        &self,
        tree: &InstanceTree,
        request: &WriteRequest,
        phases: &mut crate::timing::Phases,
    ) -> Result<crate::syncback::Plan, WriteError> {
        let mut copy = write::copy_dom(tree.dom());
        write::apply(&mut copy, request)?;
        phases.mark("copy");
        let stored = write::as_stored(&copy)?;
        drop(copy);
        phases.mark("store");
        let plan = crate::syncback::plan_over(
            self.vfs.as_ref(),
            &self.root_project,
            tree,
            stored,
            SyncbackOptions::INCREMENTAL,
        )?;
        phases.mark("syncback");
        Ok(plan)
    }

    /// True if `path` still holds what a two-way write left there (already
    /// read back into the tree). Any other content drops the record.
    fn is_own_echo(&mut self, path: &Path) -> bool {
        let Some(expected) = self.written.get(path) else {
            return false;
        };
        // What the cache holds is what the write read back: ask the disk.
        self.vfs.invalidate(path);
        let vfs = self.vfs.as_ref();
        let same = match expected {
            Written::File(bytes) => vfs.read(path).is_ok_and(|now| now == *bytes),
            Written::Gone => vfs.kind(path).is_err(),
        };
        if !same {
            self.written.remove(path);
        }
        same
    }

    /// Handles one batch of changed paths.
    pub fn handle(&mut self, mut paths: Vec<PathBuf>, rescan: bool) {
        let start = Instant::now();
        paths.sort();
        paths.dedup();
        if log::log_enabled!(log::Level::Debug) {
            let shown: Vec<String> = paths
                .iter()
                .take(20)
                .map(|p| {
                    let folder = self.root_project.parent().unwrap_or(Path::new(""));
                    p.strip_prefix(folder).unwrap_or(p).display().to_string()
                })
                .collect();
            let more = paths.len().saturating_sub(shown.len());
            log::debug!(
                "changed: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        if rescan {
            self.vfs.clear();
        } else {
            for path in &paths {
                self.vfs.invalidate(path);
            }
        }

        let tree = lock(&self.tree);
        let (mut units, entries) = if rescan {
            (vec![Unit::Full], Vec::new())
        } else {
            units_for_paths(&tree, self.vfs.as_ref(), &paths)
        };
        let previous_failures = std::mem::take(&mut self.failed_units);
        for unit in previous_failures.keys().copied() {
            let still_there = match unit {
                Unit::Full => true,
                Unit::Instance(id) => tree.dom().get_by_ref(id).is_some(),
            };
            if still_there && !units.contains(&unit) {
                units.push(unit);
            }
        }
        let all_entries = entries.clone();
        let entries = outside_units(&tree, &units, entries);

        // New entries are read alone, without the tree lock (this thread is
        // the only one that changes the tree); one that cannot be read
        // (a broken file) makes its folder's unit read instead, so it is
        // reported, and retried, as it would have been.
        let readings: Vec<Reading> = entries
            .into_iter()
            .filter_map(|entry| Reading::new(&tree, entry))
            .collect();
        drop(tree);
        let mut new_entries = Vec::with_capacity(readings.len());
        for reading in readings {
            match reading.read(self.vfs.as_ref()) {
                Ok(snapshot) => new_entries.push((reading.entry, snapshot)),
                Err(_) => units.push(Unit::Instance(reading.entry.folder)),
            }
        }
        let tree = lock(&self.tree);
        let units = outermost_units(&tree, units);
        let entries: Vec<NewEntry> = new_entries.iter().map(|(e, _)| e.clone()).collect();
        let kept = outside_units(&tree, &units, entries);
        new_entries.retain(|(entry, _)| kept.contains(entry));
        if units.is_empty() && new_entries.is_empty() {
            return;
        }

        // Read without the tree lock, so clients are not kept waiting.
        let recipes: Vec<Recipe> = units.iter().map(|u| Recipe::new(&tree, *u)).collect();
        drop(tree);
        let mut results = Vec::with_capacity(recipes.len());
        for recipe in recipes {
            let result = recipe.snapshot(self.vfs.as_ref(), &self.root_project);
            let covers_all = recipe.unit == Unit::Full && result.is_ok();
            results.push((recipe.unit, result));
            if covers_all {
                break;
            }
        }
        let mut tree = lock(&self.tree);

        let mut patch = AppliedPatch::default();
        for (unit, result) in results {
            // A unit may be gone by now, removed by an earlier one.
            if let Unit::Instance(id) = unit {
                if tree.dom().get_by_ref(id).is_none() {
                    continue;
                }
            }
            match result {
                Ok(snapshot) => {
                    let id = match unit {
                        Unit::Full => tree.root_ref(),
                        Unit::Instance(id) => id,
                    };
                    if snapshot.is_none() && id == tree.root_ref() {
                        let text = "the project's root is gone".to_owned();
                        if previous_failures.get(&unit) != Some(&text) {
                            log::error!("{text}; keeping the last good tree");
                        }
                        self.failed_units.insert(unit, text);
                        continue;
                    }
                    if previous_failures.contains_key(&unit) {
                        log::info!("the broken file is fixed; syncing it again");
                    }
                    reconcile(&mut tree, id, snapshot, &mut patch);
                    if unit == Unit::Full {
                        self.failed_units.clear();
                        break;
                    }
                }
                Err(error) => {
                    let text = error.to_string();
                    if previous_failures.get(&unit) != Some(&text) {
                        log::error!(
                            "{text} (keeping the last good version; fix it and save again)"
                        );
                    }
                    self.failed_units.insert(unit, text);
                }
            }
        }

        // New entries inside a unit that failed (a broken file in a folder
        // above them, or a broken project file) are read alone, so they
        // sync while the break lasts, as entries elsewhere do.
        let succeeded: Vec<Unit> = units
            .iter()
            .filter(|u| !self.failed_units.contains_key(u))
            .copied()
            .collect();
        for entry in outside_units(&tree, &succeeded, all_entries) {
            if new_entries.iter().any(|(read, _)| *read == entry) {
                continue;
            }
            if let Some(reading) = Reading::new(&tree, entry) {
                if let Ok(snapshot) = reading.read(self.vfs.as_ref()) {
                    new_entries.push((reading.entry, snapshot));
                }
            }
        }
        for (entry, snapshot) in new_entries {
            let Some(snapshot) = snapshot else { continue };
            if new_entries::insert(&mut tree, &entry, snapshot, &mut patch) {
                continue;
            }
            // Where it goes depends on its siblings: read the folder.
            let unit = Unit::Instance(entry.folder);
            if tree.dom().get_by_ref(entry.folder).is_none() {
                continue;
            }
            match Recipe::new(&tree, unit).snapshot(self.vfs.as_ref(), &self.root_project) {
                Ok(snapshot) => {
                    reconcile(&mut tree, entry.folder, snapshot, &mut patch);
                }
                Err(error) => {
                    let text = error.to_string();
                    log::error!("{text} (keeping the last good version; fix it and save again)");
                    self.failed_units.insert(unit, text);
                }
            }
        }

        // A folder that failed as a whole because of one broken file: apply
        // what can be applied inside it, so the rest keeps syncing.
        let failed_now: Vec<Ref> = self
            .failed_units
            .keys()
            .filter_map(|u| match u {
                Unit::Instance(id) => Some(*id),
                Unit::Full => None,
            })
            .collect();
        for failed in failed_now {
            if tree.dom().get_by_ref(failed).is_none() {
                continue;
            }
            let (units, new_files) = fallback_units(&tree, self.vfs.as_ref(), failed, &paths);
            for unit in units {
                let Unit::Instance(id) = unit else { continue };
                if tree.dom().get_by_ref(id).is_none() {
                    continue;
                }
                match Recipe::new(&tree, unit).snapshot(self.vfs.as_ref(), &self.root_project) {
                    Ok(snapshot) => {
                        reconcile(&mut tree, id, snapshot, &mut patch);
                    }
                    Err(error) => log::debug!("{error}"),
                }
            }
            for file in new_files {
                match snapshot_new_file(&tree, self.vfs.as_ref(), &file) {
                    Ok(Some(snapshot)) => {
                        let added = tree.insert(file.folder, snapshot);
                        patch.added.push(added);
                    }
                    Ok(None) => {}
                    Err(error) => log::error!("{error}"),
                }
            }
        }

        // References resolve as before unless the batch changed what they
        // read (a saved script does not); then only those that read it are
        // resolved again. After a rescan or a structural two-way write (the
        // tree was changed directly), every reference is.
        let ref_changes = if rescan || self.refs_stale {
            self.refs_stale = false;
            let (ref_changes, warnings) = refresh_refs(&mut tree);
            let mut shown = HashSet::new();
            for warning in warnings {
                let text = warning.to_string();
                if !self.known_warnings.contains(&text) {
                    log::warn!("{text}");
                }
                shown.insert(text);
            }
            self.known_warnings = shown;
            ref_changes
        } else if patch.affects_refs() {
            let (ref_changes, warnings) = refresh_refs_after(&mut tree, &patch);
            for warning in warnings {
                let text = warning.to_string();
                if self.known_warnings.insert(text.clone()) {
                    log::warn!("{text}");
                }
            }
            ref_changes
        } else {
            Vec::new()
        };
        patch.finish(&tree, ref_changes);
        if patch.is_empty() {
            log::debug!("{} changed path(s), nothing to send", paths.len());
            return;
        }
        let message = PatchMessage::new(&tree, patch);
        if log::log_enabled!(log::Level::Debug) {
            for added in message
                .added
                .iter()
                .filter(|a| !message.added.iter().any(|other| other.id == a.parent))
            {
                log::debug!(
                    "added {} ({})",
                    crate::snapshot::refs::instance_path(tree.dom(), added.id),
                    added.class_name
                );
            }
            if !message.removed.is_empty() {
                log::debug!("removed {} instance(s)", message.removed.len());
            }
            for update in &message.updated {
                let mut what: Vec<String> = update
                    .changed_properties
                    .keys()
                    .map(|k| k.to_string())
                    .collect();
                what.extend(update.changed_name.as_ref().map(|_| "Name".to_owned()));
                what.extend(update.changed_class_name.map(|_| "ClassName".to_owned()));
                what.extend(
                    update
                        .changed_ignore_unknown_instances
                        .map(|_| "ignoreUnknownInstances".to_owned()),
                );
                log::debug!(
                    "updated {}: {}",
                    crate::snapshot::refs::instance_path(tree.dom(), update.id),
                    what.join(", ")
                );
            }
        }
        let summary = (
            message.added.len(),
            message.removed.len(),
            message.updated.len(),
        );
        // Pushed under the tree lock, so a reader sees a tree and a cursor
        // that agree.
        self.queue.push(message);
        drop(tree);
        log::info!(
            "applied a change: {} added, {} removed, {} updated ({:.1?})",
            summary.0,
            summary.1,
            summary.2,
            start.elapsed()
        );
    }
}

/// Only the tests set `ATLAS_TEST_CHECK_SCOPED=1`: every write that a scoped
/// syncback can do is also synced back whole, and the two change sets must
/// be the same.
fn check_scoped() -> bool {
    static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHECK.get_or_init(|| std::env::var_os("ATLAS_TEST_CHECK_SCOPED").is_some_and(|v| v == "1"))
}

/// Panics (a bug: the processor catches it, and the write fails) when a
/// scoped syncback's files differ from the whole syncback's.
fn assert_same_changes(scoped: &crate::syncback::Plan, whole: &crate::syncback::Plan) {
    let (a, b) = (&scoped.result.changes, &whole.result.changes);
    let differing: Vec<&PathBuf> = a
        .files
        .iter()
        .filter(|(path, bytes)| b.files.get(*path) != Some(bytes))
        .map(|(path, _)| path)
        .chain(b.files.keys().filter(|path| !a.files.contains_key(*path)))
        .collect();
    let shown = |files: &std::collections::BTreeMap<PathBuf, Vec<u8>>| {
        differing
            .first()
            .and_then(|path| files.get(*path))
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    };
    assert!(
        differing.is_empty()
            && a.removals == b.removals
            && a.dirs_to_create() == b.dirs_to_create(),
        "the scoped syncback differs from the whole one: files {differing:?} (the first: {:?} against {:?}), removals {:?} against {:?}, new folders {:?} against {:?}",
        shown(&a.files),
        shown(&b.files),
        a.removals,
        b.removals,
        a.dirs_to_create(),
        b.dirs_to_create()
    );
}
