//! `ServeSession`: one life of the dev server's view of the project.
//!
//! A session reads the project into a live [`InstanceTree`] (through a
//! [`CachedVfs`]), watches the project's paths, and runs the change
//! processor thread that keeps the tree current and fills the message
//! queue. Dropping the session stops the watcher and joins the thread:
//! nothing of it outlives it, so a new session (after a live syncback)
//! starts clean.

use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rbx_dom_weak::types::Ref;

use crate::build::load_tree;
use crate::formats::SnapshotError;
use crate::project::{Project, ProjectError};
use crate::snapshot::{InstanceTree, InstigatingSource};
use crate::vfs::watcher::{WatchError, WatchEvent, Watcher};
use crate::vfs::{canonical_path, CachedVfs, EntryKind, StdVfs, Vfs};

use super::instance_data::PatchMessage;
use super::lock;
use super::message_queue::MessageQueue;
use super::processor::{Processor, ProcessorEvent, WriteJob};
use super::write::{WriteError, WriteOutcome, WriteRequest};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not start the change processor thread: {0}")]
    Thread(std::io::Error),
}

/// Why a script's file cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("no instance has the id {0}")]
    NotFound(Ref),
    #[error("{0} is a {1}, not a script")]
    NotAScript(Ref, String),
    #[error("the script {0} has no file inside the project")]
    NoFile(Ref),
}

pub struct ServeSession {
    /// Declared first, so dropped first: stops the watcher and joins the
    /// thread before the tree goes.
    processor: Option<ProcessorHandle>,
    root: Ref,
    session_id: String,
    project: Project,
    project_file: PathBuf,
    tree: Arc<Mutex<InstanceTree>>,
    vfs: Arc<CachedVfs>,
    queue: Arc<MessageQueue<PatchMessage>>,
}

struct ProcessorHandle {
    sender: mpsc::Sender<ProcessorEvent>,
    thread: Option<JoinHandle<()>>,
    watcher: Option<Watcher>,
}

impl Drop for ProcessorHandle {
    fn drop(&mut self) {
        // No more events, then stop the thread and wait for it.
        drop(self.watcher.take());
        let _ = self.sender.send(ProcessorEvent::Shutdown);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("the change processor thread panicked");
            }
        }
    }
}

impl ServeSession {
    /// Reads the project at `project` (a project file, or a folder holding
    /// one) and starts watching it.
    pub fn new(project: &Path) -> Result<ServeSession, ServeError> {
        Self::start(project, true)
    }

    /// A session whose tree never changes (no watcher, no thread).
    pub fn new_unwatched(project: &Path) -> Result<ServeSession, ServeError> {
        Self::start(project, false)
    }

    fn start(project: &Path, watch: bool) -> Result<ServeSession, ServeError> {
        let located = Project::locate(project)?;
        let project_file = canonical_path(&located).map_err(|source| ServeError::Io {
            path: located.clone(),
            source,
        })?;
        let folder = project_file
            .parent()
            .unwrap_or(Path::new("/"))
            .to_path_buf();

        // Watch first, then read: a change made during the read waits in
        // the channel for the processor. (Watching while reading would miss
        // a save to a file read before its folder was watched.)
        let (sender, receiver) = mpsc::channel();
        let watcher = if watch {
            let start = std::time::Instant::now();
            let mut watcher = new_watcher(sender.clone())?;
            watcher.watch(&folder)?;
            log::debug!(
                "watching {} (set up in {:.1?})",
                folder.display(),
                start.elapsed()
            );
            Some(watcher)
        } else {
            None
        };

        let vfs = Arc::new(CachedVfs::new());
        vfs.set_caching(false);
        let loaded = vfs
            .read(&project_file)
            .map_err(|source| ServeError::Io {
                path: project_file.clone(),
                source,
            })
            .and_then(|bytes| Ok(Project::from_bytes(&project_file, &bytes)?))
            .and_then(|project| Ok((project, load_tree(vfs.as_ref(), &project_file)?)));
        vfs.set_caching(true);
        let (root_project, loaded) = loaded?;
        for warning in &loaded.ref_warnings {
            log::warn!("{warning}");
        }
        let tree = loaded.tree;

        let mut session = ServeSession {
            processor: None,
            root: tree.root_ref(),
            session_id: uuid::Uuid::new_v4().to_string(),
            project: root_project,
            project_file,
            tree: Arc::new(Mutex::new(tree)),
            vfs,
            queue: Arc::new(MessageQueue::new()),
        };
        if let Some(mut watcher) = watcher {
            // Known once the project is read, so watched after it: they
            // are read once more, for what changed in between.
            let outside = session.outside_roots();
            for root in &outside {
                watcher.watch(root)?;
            }
            if !outside.is_empty() {
                let _ = sender.send(ProcessorEvent::Changed(outside));
            }
            let processor = Processor {
                tree: session.tree.clone(),
                vfs: session.vfs.clone(),
                queue: session.queue.clone(),
                root_project: session.project_file.clone(),
                known_warnings: loaded.ref_warnings.iter().map(|w| w.to_string()).collect(),
                refs_stale: false,
                written: Default::default(),
                failed_units: Default::default(),
            };
            let thread = std::thread::Builder::new()
                .name("atlas-change-processor".to_owned())
                .spawn(move || processor.run(receiver))
                .map_err(ServeError::Thread)?;
            session.processor = Some(ProcessorHandle {
                sender,
                thread: Some(thread),
                watcher: Some(watcher),
            });
        }
        Ok(session)
    }

    /// Every path the tree depends on that lies outside the project folder
    /// (`$path: "../shared"`). Only project nodes point outside: everything
    /// else lies inside what they point at.
    fn outside_roots(&self) -> Vec<PathBuf> {
        let folder = self.project_folder().to_path_buf();
        let tree = self.tree();
        let dom = tree.dom();
        let mut outside: Vec<PathBuf> = dom
            .descendants()
            .filter_map(|i| tree.metadata(i.referent()))
            .filter(|m| {
                matches!(
                    m.instigating_source,
                    Some(InstigatingSource::ProjectNode { .. })
                )
            })
            .flat_map(|m| m.relevant_paths.iter())
            .filter(|p| {
                !p.starts_with(&folder) || p.components().any(|c| c == Component::ParentDir)
            })
            .filter(|p| {
                canonical_path(p)
                    .map(|c| !c.starts_with(&folder))
                    .unwrap_or(false)
            })
            .map(|p| p.to_path_buf())
            .collect();
        outside.sort();
        outside.dedup();
        outside
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The root project file, canonical.
    pub fn project_file(&self) -> &Path {
        &self.project_file
    }

    pub fn project_folder(&self) -> &Path {
        self.project_file.parent().unwrap_or(Path::new("/"))
    }

    pub fn queue(&self) -> &Arc<MessageQueue<PatchMessage>> {
        &self.queue
    }

    /// The live tree. Hold the lock briefly: the change processor waits.
    pub fn tree(&self) -> MutexGuard<'_, InstanceTree> {
        lock(&self.tree)
    }

    /// The root's referent (it never changes: the root is updated in
    /// place, never replaced).
    pub fn root_ref(&self) -> Ref {
        self.root
    }

    /// Calls `f` with the tree, the message cursor it is current at, and
    /// the instances `ids` and all their descendants (each once, parents
    /// first), all under the tree lock. `Err` names the first unknown id.
    pub fn read<R>(
        &self,
        ids: &[Ref],
        f: impl FnOnce(&InstanceTree, u32, &[Ref]) -> R,
    ) -> Result<R, Ref> {
        let tree = self.tree();
        // Under the tree lock: patches are pushed under it too.
        let cursor = self.queue.cursor();
        let mut referents = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if tree.dom().get_by_ref(*id).is_none() {
                return Err(*id);
            }
            if ids.len() == 1 {
                referents.extend(tree.dom().descendants_of(*id).map(|i| i.referent()));
                break;
            }
            for instance in tree.dom().descendants_of(*id) {
                if seen.insert(instance.referent()) {
                    referents.push(instance.referent());
                }
            }
        }
        Ok(f(&tree, cursor, &referents))
    }

    /// Writes a batch of Studio edits into the project (two-way sync) and
    /// waits until the files are written and the live tree has them. The
    /// change processor does it, between batches of file changes.
    pub fn write(&self, request: WriteRequest) -> Result<WriteOutcome, WriteError> {
        let Some(processor) = &self.processor else {
            return Err(WriteError::NotWatching);
        };
        let (reply, outcome) = mpsc::channel();
        processor
            .sender
            .send(ProcessorEvent::Write(WriteJob { request, reply }))
            .map_err(|_| WriteError::Stopped)?;
        outcome.recv().map_err(|_| WriteError::Stopped)?
    }

    /// The file that holds the source of the script `id`: the first of its
    /// relevant paths that is a `.luau` or `.lua` file inside the project.
    pub fn script_file(&self, id: Ref) -> Result<PathBuf, OpenError> {
        let tree = self.tree();
        let instance = tree.dom().get_by_ref(id).ok_or(OpenError::NotFound(id))?;
        if !matches!(
            instance.class.as_str(),
            "Script" | "LocalScript" | "ModuleScript"
        ) {
            return Err(OpenError::NotAScript(id, instance.class.to_string()));
        }
        let metadata = tree.metadata(id).ok_or(OpenError::NotFound(id))?;
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(InstigatingSource::Path(path)) = &metadata.instigating_source {
            candidates.push(path.clone());
        }
        candidates.extend(metadata.relevant_paths.iter().cloned());
        drop(tree);
        // Checked on the file that would really be opened (a link is
        // followed first), straight from disk: this runs on a server
        // thread, and the cache belongs to the change processor.
        let folder = self.project_folder();
        candidates
            .into_iter()
            .filter_map(|p| canonical_path(&p).ok())
            .filter(|p| p.starts_with(folder) && StdVfs.kind(p).ok() == Some(EntryKind::File))
            .find(|p| p.extension().is_some_and(|e| e == "luau" || e == "lua"))
            .ok_or(OpenError::NoFile(id))
    }
}

fn new_watcher(sender: mpsc::Sender<ProcessorEvent>) -> Result<Watcher, WatchError> {
    Watcher::new(move |event| {
        let event = match event {
            WatchEvent::Changed(paths) => ProcessorEvent::Changed(paths),
            WatchEvent::Rescan => ProcessorEvent::Rescan,
            WatchEvent::Error(message) => {
                log::warn!("file watcher: {message}");
                return;
            }
            WatchEvent::Stopped(message) => {
                log::error!(
                    "the file watcher stopped ({message}): changes to files no longer sync; restart atlas serve"
                );
                return;
            }
        };
        let _ = sender.send(event);
    })
}
