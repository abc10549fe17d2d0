//! Syncback: a DOM (from a place file, or from Studio) → the project folder.
//!
//! [`syncback`] is the one core every entry point calls: it takes the
//! project, the tree on disk now (when needed) and the new DOM, and returns a
//! [`ChangeSet`] without touching the disk. [`ChangeSet::apply`] is the one
//! writer. The pipeline:
//!
//! 1. `prepare`: check classes, keep the synced services, drop the camera,
//!    apply `ignoreClasses` and `ignoreTrees`;
//! 2. `layout`: give every instance its place on disk (project nodes keep
//!    theirs; everything else by class, slug and dedup);
//! 3. `emit`: the bytes of every file, with `Rojo_Ref_*` paths from the
//!    layout; project files are rewritten only where a node's data changed;
//! 4. `orphans` (clean mode): remove what the layout no longer writes.
//!
//! Clean mode (the default) lays everything out afresh; incremental mode
//! keeps the file names and formats of instances that match.
//!
//! [`plan`] wraps the core for a project file on disk: `atlas syncback` and
//! live syncback (`atlas serve`, `POST /api/syncback`) both call it, then
//! `ChangeSet::apply`, so the two write the same bytes for the same DOM.
//! [`chunks`] turns what the plugin sends back into a DOM.

mod changeset;
pub mod chunks;
mod emit;
mod incremental;
pub mod journal;
mod layout;
mod orphans;
mod prepare;
mod project_file;
mod properties;
mod refs;
mod unchanged;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

use crate::formats::SnapshotError;
use crate::project::{Project, ProjectError};
use crate::snapshot::InstanceTree;
use crate::vfs::{EntryKind, Vfs};

pub use changeset::{ApplyError, ChangeSet, ChangeSummary};
pub use properties::{exact_eq, is_default};

/// The services syncback writes: the ones a developer edits. The others
/// (Chat, Players, HttpService...) hold engine state, not game content.
pub const VISIBLE_SERVICES: [&str; 14] = [
    "Lighting",
    "MaterialService",
    "ReplicatedFirst",
    "ReplicatedStorage",
    "ServerScriptService",
    "ServerStorage",
    "SoundService",
    "StarterGui",
    "StarterPack",
    "StarterPlayer",
    "Teams",
    "TextChatService",
    "VoiceChatService",
    "Workspace",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncbackOptions {
    /// Keep the file names and formats of instances that match ones on disk,
    /// and remove only what the old tree read.
    pub incremental: bool,
    /// Clean mode even when the project's `syncbackRules.incremental` asks
    /// for incremental mode (`atlas syncback --clean`).
    pub clean: bool,
}

impl SyncbackOptions {
    pub const INCREMENTAL: SyncbackOptions = SyncbackOptions {
        incremental: true,
        clean: false,
    };

    /// The options in force for `project`: incremental when asked for, or
    /// when the project asks for it (`syncbackRules.incremental`) and clean
    /// mode was not asked for.
    pub fn resolved(self, project: &Project) -> SyncbackOptions {
        let project_wants = project
            .syncback_rules
            .as_ref()
            .is_some_and(|rules| rules.incremental);
        SyncbackOptions {
            incremental: !self.clean && (self.incremental || project_wants),
            clean: self.clean,
        }
    }

    /// True if syncback needs the tree on disk now: in incremental mode, and
    /// when `ignoreTrees` must protect files.
    pub fn needs_old_tree(&self, project: &Project) -> bool {
        self.resolved(project).incremental
            || project
                .syncback_rules
                .as_ref()
                .is_some_and(|rules| !rules.ignore_trees.is_empty())
    }
}

#[derive(Debug)]
pub struct SyncbackResult {
    pub changes: ChangeSet,
    pub warnings: Vec<String>,
    /// Instances written (after trimming).
    pub instances: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncbackError {
    #[error(transparent)]
    Project(#[from] ProjectError),

    #[error(transparent)]
    Snapshot(#[from] SnapshotError),

    #[error("{instance}: `{class}` is not a class Atlas knows (is Atlas older than the place?); nothing was written")]
    UnknownClass { instance: String, class: String },

    #[error("{0}")]
    RootMismatch(String),

    #[error("{instance}: {message}")]
    Layout { instance: String, message: String },

    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Syncs `dom` back into `project`. `old_tree` is the project as read from
/// disk now; it is needed when [`SyncbackOptions::needs_old_tree`] says so.
pub fn syncback(
    vfs: &dyn Vfs,
    project: &Project,
    old_tree: Option<&InstanceTree>,
    dom: WeakDom,
    options: SyncbackOptions,
) -> Result<SyncbackResult, SyncbackError> {
    let result = run(
        vfs,
        project,
        old_tree.map(|tree| (tree, None)),
        dom,
        options,
    )?;
    Ok(result.unwrap_or_else(|| unreachable!("only a scoped syncback gives up")))
}

/// Part of a place and of the tree on disk, for [`syncback_scoped`].
pub struct Part<'a> {
    /// Part of the tree on disk, copied with its referents: every folder
    /// whose entries can change with all its entries, every instance whose
    /// files can change with its ancestors.
    pub old: &'a WeakDom,
    /// The new part's referent (as the DOM given to syncback has it) → the
    /// referent of the instance it is in the tree on disk, or a new one.
    pub identity: &'a HashMap<Ref, Ref>,
    /// Instances of the tree on disk that may take another place on disk:
    /// every instance holding a reference to one of them is in the part.
    pub may_move: &'a HashSet<Ref>,
}

/// Incremental [`syncback`] of part of a place (see [`Part`]). Everything
/// runs as for the whole place, over the part. When every instance of the
/// tree on disk that takes another place on disk (a new file, or the file
/// of another instance) may move, no file outside the part can change, and
/// the change set is the one `syncback` gives for the whole place. `None`
/// when another one moves: only a whole syncback says what follows.
pub fn syncback_scoped(
    vfs: &dyn Vfs,
    project: &Project,
    tree: &InstanceTree,
    part: &Part,
    dom: WeakDom,
) -> Result<Option<SyncbackResult>, SyncbackError> {
    run(
        vfs,
        project,
        Some((tree, Some(part))),
        dom,
        SyncbackOptions::INCREMENTAL,
    )
}

/// The pipeline of [`syncback`] and [`syncback_scoped`].
fn run(
    vfs: &dyn Vfs,
    project: &Project,
    old_tree: Option<(&InstanceTree, Option<&Part>)>,
    mut dom: WeakDom,
    options: SyncbackOptions,
) -> Result<Option<SyncbackResult>, SyncbackError> {
    let scope = old_tree.and_then(|(_, scope)| scope);
    let old_tree = old_tree.map(|(tree, _)| tree);
    let options = options.resolved(project);
    let mut phases = crate::timing::Phases::new("syncback");
    let rules = project.syncback_rules.clone().unwrap_or_default();
    check_root(project, &dom)?;
    let (removed, left_out) = prepare::prepare(&mut dom, project, &rules)?;
    phases.mark("prepare");

    let previous = match (options.incremental, old_tree, scope) {
        (true, Some(tree), Some(part)) => {
            Some(incremental::Previous::over(tree, vfs, &dom, part.old))
        }
        (true, Some(tree), None) => Some(incremental::Previous::new(tree, vfs, &dom)),
        _ => None,
    };
    phases.mark("previous");
    let context = layout::Context::for_project(project, None);
    let mut planner = layout::Planner::new(&dom, vfs, previous.as_ref(), &rules);
    planner.node(
        &context,
        layout::NodeAt::root(project),
        dom.root_ref(),
        None,
        &HashSet::new(),
    )?;
    let mut layout = planner.layout;
    phases.mark("layout");
    if let (Some(part), Some(previous), Some(tree)) = (scope, &previous, old_tree) {
        if moves_outside(part, previous, tree, &layout) {
            return Ok(None);
        }
    }
    layout.keep.insert(project.file_location.clone());
    layout
        .keep
        .extend(layout.nodes.iter().map(|n| n.project_file.clone()));
    if let Some(tree) = old_tree {
        layout.keep.extend(ignored_tree_paths(tree, &rules));
    }
    // What syncback leaves out on purpose is not gone from the place: its
    // files stay. Incremental mode knows them from the tree on disk; clean
    // mode keeps at least the folder of a left-out service in the root's
    // `$path` folder (`src/Chat/`).
    match &previous {
        Some(previous) => layout.keep.extend(previous.left_out_paths(&removed)),
        None => layout
            .keep
            .extend(left_out_service_folders(vfs, project, &removed)),
    }

    if let (Some(previous), false) = (&previous, rules.ignore_referents) {
        // A file kept as it is must not hold a reference path that a
        // renamed target (or folder on its way) has made stale.
        let stale = emit::stale_ref_paths(&dom, &layout, |referent, attribute| {
            previous.old_ref_path(referent, attribute)
        });
        for referent in stale {
            if let Some(entry) = layout.entries.get_mut(&referent) {
                entry.unchanged = false;
            }
        }
    }
    let emitter = emit::Emitter {
        dom: &dom,
        layout: &layout,
        rules: properties::PropertyRules { rules: &rules },
        removed: &removed,
        vfs,
        keep_look: options.incremental,
    };
    let emitted = emitter.emit()?;
    phases.mark("emit");

    let mut changes = ChangeSet::default();
    // A scoped syncback's part lacks most of the place: only what its
    // files say about themselves is worth a warning.
    let mut warnings = Vec::new();
    if scope.is_none() {
        warnings.extend(left_out);
        warnings.extend(layout.warnings.iter().cloned());
    }
    warnings.extend(emitted.warnings);
    if rules.warn_duplicate_names && scope.is_none() {
        warnings.extend(duplicate_name_warnings(&dom));
    }
    let mut files = emitted.files;
    // Nearly sorted input builds the map with few path comparisons.
    files.par_sort_unstable_by(|a, b| {
        a.0.as_os_str()
            .as_encoded_bytes()
            .cmp(b.0.as_os_str().as_encoded_bytes())
    });
    changes.files = files.into_iter().collect();
    changes.dirs.extend(emitted.dirs);
    // A node's folder is created only when a build needs it or something
    // goes in it (then it leads to a written file, below).
    changes.dirs.extend(
        layout
            .node_dirs
            .iter()
            .map(|(d, _)| d)
            .filter(|d| {
                layout.required_node_dirs.contains(*d)
                    || vfs.kind(d).is_ok_and(|k| k == EntryKind::Dir)
            })
            .cloned(),
    );
    for (project_file, contents) in project_file::rewrites(vfs, &layout, &dom, emitted.nodes)? {
        changes.files.insert(project_file, contents);
    }

    // Every folder leading to a written file or a kept folder stays.
    let folder = project.folder.as_path();
    let mut all_dirs: HashSet<PathBuf> = changes.dirs.iter().cloned().collect();
    for path in changes.files.keys().chain(&changes.dirs) {
        for ancestor in path.ancestors().skip(1) {
            if ancestor == folder
                || !ancestor.starts_with(folder)
                || ancestor.as_os_str().is_empty()
            {
                break;
            }
            if !all_dirs.insert(ancestor.to_path_buf()) {
                break; // its own ancestors are in already
            }
        }
    }

    let ignore_paths = ignore_path_matchers(&rules);
    let mut leading_to_kept: HashSet<PathBuf> = HashSet::new();
    for path in &layout.keep {
        for ancestor in path.ancestors().skip(1) {
            if !leading_to_kept.insert(ancestor.to_path_buf()) {
                break;
            }
        }
    }
    let mut scan = orphans::OrphanScan {
        vfs,
        files: &changes.files,
        dirs: &all_dirs,
        keep: &layout.keep,
        leading_to_kept: &leading_to_kept,
        project_folder: folder,
        ignore_paths: &ignore_paths,
        previous: previous.as_ref(),
        removals: BTreeSet::new(),
        warnings: Vec::new(),
    };
    match (scope, &previous) {
        (Some(_), Some(previous)) => {
            if !scan.scan_known(previous.known(), &layout.node_dirs) {
                return Ok(None);
            }
        }
        _ => {
            for (dir, context) in &layout.node_dirs {
                scan.scan(dir, context);
            }
        }
    }
    changes.removals = scan.removals;
    warnings.extend(scan.warnings);
    phases.mark("orphans");

    // `ignorePaths`: never written, never removed.
    let is_ignored = |path: &Path| {
        path.strip_prefix(folder)
            .is_ok_and(|relative| ignore_paths.iter().any(|m| m.is_match(relative)))
    };
    changes.files.retain(|path, _| !is_ignored(path));
    changes.removals.retain(|path| !is_ignored(path));
    changes.kept = layout.unchanged_files;

    let instances = layout.entries.len();
    phases.log();
    // Freeing a large tree takes a while and nothing waits for it.
    drop(layout);
    if scope.is_none() {
        std::thread::spawn(move || drop(dom));
    }
    Ok(Some(SyncbackResult {
        changes,
        warnings,
        instances,
    }))
}

/// True if an instance of the tree on disk takes another place on disk
/// (laid out afresh, or paired with another old instance) without being
/// one [`Part::may_move`] allows.
fn moves_outside(
    part: &Part,
    previous: &incremental::Previous,
    tree: &InstanceTree,
    layout: &layout::Layout,
) -> bool {
    layout.entries.keys().any(|referent| {
        let Some(own) = part.identity.get(referent) else {
            return false;
        };
        if tree.dom().get_by_ref(*own).is_none() {
            return false; // new
        }
        let moved = layout.fresh.contains(referent) || previous.old_of(*referent) != Some(*own);
        moved && !part.may_move.contains(own)
    })
}

/// A place goes into a project whose root is a DataModel; a model into one
/// whose root is not.
fn check_root(project: &Project, dom: &WeakDom) -> Result<(), SyncbackError> {
    let project_is_place = project.tree.class_name.as_deref() == Some("DataModel");
    let input_is_place = dom.root().class == "DataModel";
    match (project_is_place, input_is_place) {
        (true, false) => Err(SyncbackError::RootMismatch(format!(
            "{}: the project's root is a DataModel, so syncback needs a place (.rbxl, .rbxlx), but the input's root is a {}",
            project.file_location.display(),
            dom.root().class
        ))),
        (false, true) => Err(SyncbackError::RootMismatch(format!(
            "{}: the project's root is not a DataModel, so syncback needs a model (.rbxm, .rbxmx) holding one instance, but the input is a place",
            project.file_location.display()
        ))),
        _ => Ok(()),
    }
}

/// `syncbackRules.warnDuplicateNames`: one warning per instance whose
/// children share a name (scripts find only the first with `FindFirstChild`).
fn duplicate_name_warnings(dom: &WeakDom) -> Vec<String> {
    let mut warnings = Vec::new();
    for instance in dom.descendants() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for child in instance.children() {
            if let Some(child) = dom.get_by_ref(*child) {
                *counts.entry(child.name.as_str()).or_default() += 1;
            }
        }
        for (name, count) in counts.into_iter().filter(|(_, n)| *n > 1) {
            warnings.push(format!(
                "{}: {count} children are named `{name}` (written with ~N suffixes; FindFirstChild finds only the first)",
                crate::snapshot::refs::instance_path(dom, instance.referent())
            ));
        }
    }
    warnings
}

/// The folders, in the root node's `$path` folder, of services syncback
/// leaves out (hidden services): clean mode keeps them as they are.
fn left_out_service_folders(
    vfs: &dyn Vfs,
    project: &Project,
    removed: &HashMap<Ref, String>,
) -> Vec<PathBuf> {
    let Some(path_node) = &project.tree.path else {
        return Vec::new();
    };
    let root_dir = project.folder.join(path_node.path());
    removed
        .values()
        .filter(|path| !path.contains('/'))
        .map(|service| root_dir.join(service))
        .filter(|dir| vfs.kind(dir).is_ok_and(|k| k == crate::vfs::EntryKind::Dir))
        .collect()
}

/// The compiled `ignorePaths`; with `createIgnoreDirPaths`, `dir/**` also
/// matches `dir` itself.
fn ignore_path_matchers(rules: &crate::project::SyncbackRules) -> Vec<globset::GlobMatcher> {
    let mut patterns: Vec<String> = rules.ignore_paths.clone();
    patterns.push(".git/**".to_owned());
    if rules.create_ignore_dir_paths {
        let dirs: Vec<String> = patterns
            .iter()
            .filter_map(|p| p.strip_suffix("/**").map(str::to_owned))
            .collect();
        patterns.extend(dirs);
    }
    patterns
        .iter()
        .filter_map(|p| globset::Glob::new(p).ok().map(|g| g.compile_matcher()))
        .collect()
}

/// Files of instances `ignoreTrees` matches in the tree on disk: they stay.
fn ignored_tree_paths(tree: &InstanceTree, rules: &crate::project::SyncbackRules) -> Vec<PathBuf> {
    if rules.ignore_trees.is_empty() {
        return Vec::new();
    }
    let matchers = prepare::TreeMatchers::new(&rules.ignore_trees);
    let dom = tree.dom();
    dom.descendants()
        .filter(|i| {
            i.referent() != dom.root_ref()
                && matchers.matches(&prepare::tree_path(dom, i.referent()))
        })
        .filter_map(|i| tree.metadata(i.referent()))
        .flat_map(|m| m.relevant_paths.iter().cloned())
        .collect()
}

/// A syncback ready to apply: the project it is for, and what changes.
#[derive(Debug)]
pub struct Plan {
    pub project: Project,
    pub result: SyncbackResult,
}

/// Reads the project at `project_file` (and, when needed, the tree on disk
/// now) and computes what syncing `dom` back changes. Writes nothing.
pub fn plan(
    vfs: &dyn Vfs,
    project_file: &Path,
    dom: WeakDom,
    options: SyncbackOptions,
) -> Result<Plan, SyncbackError> {
    let project = read_project(vfs, project_file)?;
    let old_tree = if options.needs_old_tree(&project) {
        Some(crate::build::load_tree(vfs, project_file)?.tree)
    } else {
        None
    };
    let result = syncback(vfs, &project, old_tree.as_ref(), dom, options)?;
    Ok(Plan { project, result })
}

/// [`plan`] for a caller that already holds the tree on disk now (the dev
/// server's live tree, which equals a fresh read of the project): the same
/// syncback, without reading the project's files again.
pub fn plan_over(
    vfs: &dyn Vfs,
    project_file: &Path,
    old_tree: &InstanceTree,
    dom: WeakDom,
    options: SyncbackOptions,
) -> Result<Plan, SyncbackError> {
    let project = read_project(vfs, project_file)?;
    let result = syncback(vfs, &project, Some(old_tree), dom, options)?;
    Ok(Plan { project, result })
}

/// [`syncback_scoped`] for a project file on disk, over the dev server's
/// live tree (see [`plan_over`]).
pub fn plan_scoped(
    vfs: &dyn Vfs,
    project_file: &Path,
    tree: &InstanceTree,
    part: &Part,
    dom: WeakDom,
) -> Result<Option<Plan>, SyncbackError> {
    let project = read_project(vfs, project_file)?;
    let result = syncback_scoped(vfs, &project, tree, part, dom)?;
    Ok(result.map(|result| Plan { project, result }))
}

fn read_project(vfs: &dyn Vfs, project_file: &Path) -> Result<Project, SyncbackError> {
    let bytes = vfs.read(project_file).map_err(|source| SyncbackError::Io {
        path: project_file.to_path_buf(),
        source,
    })?;
    Ok(Project::from_bytes(project_file, &bytes)?)
}

/// A model file's DOM re-rooted at its one top-level instance (syncback of
/// a `.rbxm` into a model project).
pub fn model_root(mut dom: WeakDom) -> Result<WeakDom, String> {
    let top: Vec<Ref> = dom.root().children().to_vec();
    let [top] = top[..] else {
        return Err(format!(
            "a model file for syncback must hold exactly one top-level instance, but this one holds {}",
            top.len()
        ));
    };
    let Some(instance) = dom.get_by_ref(top) else {
        return Err("the model's top-level instance is missing".to_owned());
    };
    let builder = InstanceBuilder::new(instance.class)
        .with_referent(top)
        .with_name(instance.name.clone())
        .with_properties(instance.properties.clone());
    let children = instance.children().to_vec();
    let mut rooted = WeakDom::new(builder);
    let root = rooted.root_ref();
    for child in children {
        dom.transfer(child, &mut rooted, root);
    }
    Ok(rooted)
}

/// Counts of what a change set did or would do, for one-line summaries.
pub fn describe(summary: &ChangeSummary) -> String {
    format!(
        "{} added, {} changed, {} removed, {} unchanged",
        summary.added.len(),
        summary.changed.len(),
        summary.removed.len(),
        summary.unchanged
    )
}

/// Paths of a summary relative to `root`, with `/` separators, sorted, for
/// `--list`.
pub fn list_lines(summary: &ChangeSummary, root: &Path) -> Vec<String> {
    let show = |p: &PathBuf| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut lines: BTreeMap<String, &str> = BTreeMap::new();
    for path in &summary.added {
        lines.insert(show(path), "add");
    }
    for path in &summary.changed {
        lines.insert(show(path), "change");
    }
    for path in &summary.removed {
        lines.insert(show(path), "remove");
    }
    lines
        .into_iter()
        .map(|(path, what)| format!("{what:<6} {path}"))
        .collect()
}
