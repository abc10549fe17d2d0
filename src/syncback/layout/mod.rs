//! Where each instance goes on disk.
//!
//! The walk starts at the project's root node and the DOM's root. A project
//! node keeps its place (its `$path`, its entry in the project file); every
//! other instance gets a fresh place from its class (the table below), its
//! name ([`slugify`]) and its siblings ([`TakenNames`]). In incremental mode,
//! an instance already on disk stays in the file that holds it when that
//! file's format can still hold it ([`keep`]), and in both modes a
//! ModuleScript a data file holds (`wally.toml`) stays in that data file
//! while the format can hold its source. Layout decides which format and
//! where; each format module says whether it can hold an instance.
//!
//! | class | no children | children |
//! |---|---|---|
//! | Script, LocalScript, ModuleScript | `Name.<suffix>.luau` | `Name/init.<suffix>.luau` |
//! | LocalizationTable (when CSV holds it exactly) | `Name.csv` | `Name/init.csv` |
//! | StringValue | `Name.txt` | `Name/` + `init.meta.json5` |
//! | Folder, Configuration, Tool, ScreenGui, SurfaceGui, BillboardGui, AdGui | `Name/` | `Name/` |
//! | anything else | `Name.model.json5` | `Name/` + `init.meta.json5` |
//!
//! Nothing is written here; project files, `$path` targets and existing
//! data files are read (through the VFS) to learn what they are.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Instance, Ustr, WeakDom};

mod keep;

use super::incremental::Previous;
use super::SyncbackError;
use crate::formats::csv::text_for as csv_contents;
use crate::formats::names::{dedup_index, slugify, strip_dedup_suffix, Shape, TakenNames};
use crate::formats::script::suffix_for;
use crate::formats::{file_rule, infer_class};
use crate::project::{
    suffixes, IgnoreGlob, Middleware, Project, ProjectNode, SyncRule, SyncbackRules,
    DEFAULT_PROJECT_NAMES,
};
use crate::reflection;
use crate::snapshot::refs::instance_path;
use crate::vfs::{EntryKind, Vfs};

/// Classes written as a folder even without children.
const FOLDER_CLASSES: &[&str] = &[
    "Folder",
    "Configuration",
    "Tool",
    "ScreenGui",
    "SurfaceGui",
    "BillboardGui",
    "AdGui",
];

/// The file inside a folder that gives the folder's instance its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Init {
    /// `init<suffix><extension>` (`.luau`, or `.lua` where an existing
    /// `init.lua` is kept); the RunContext goes in `init.meta.json5` when
    /// the suffix does not give it.
    Script {
        suffix: &'static str,
        extension: &'static str,
        run_context_in_meta: bool,
    },
    /// `init.csv`
    Csv,
}

/// Where an instance's own data goes.
#[derive(Debug, Clone)]
pub(super) enum Home {
    Script {
        path: PathBuf,
        meta: PathBuf,
        run_context_in_meta: bool,
    },
    Text {
        path: PathBuf,
        meta: PathBuf,
    },
    Csv {
        path: PathBuf,
        meta: PathBuf,
    },
    /// A `.model.json5`; with `embed_children` its whole subtree is in it.
    Model {
        path: PathBuf,
        embed_children: bool,
    },
    /// A `.rbxm`/`.rbxmx` holding the whole subtree.
    Rbxm {
        path: PathBuf,
        xml: bool,
    },
    /// A folder; its own data in an init file and `init.meta.json5`.
    Folder {
        dir: PathBuf,
        init: Option<Init>,
        class_in_meta: bool,
        has_children: bool,
        /// `init.meta.json5`, or `init.meta.json` in Rojo projects.
        meta_name: &'static str,
    },
    /// Written inside an ancestor's model file.
    Embedded,
    /// A project node: class, properties and attributes in the project file,
    /// unless `init` puts a script or table in its `$path` folder.
    Node {
        node: usize,
        dir: Option<PathBuf>,
        init: Option<Init>,
        meta_name: &'static str,
        /// The `$path` folder already has an init meta file: what the node
        /// does not declare itself stays in that file.
        meta_in_dir: bool,
    },
    /// A data module (JSON, TOML or YAML) whose format holds the
    /// ModuleScript's source exactly: written back as data.
    Data {
        path: PathBuf,
        middleware: Middleware,
        meta: PathBuf,
    },
    /// Nothing to write: a `$path` data file that already reads back as
    /// this instance, or an instance no file holds that did not change.
    Unchanged,
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The name standing for the instance inside its parent's folder:
    /// the file or folder name, the node key, or the instance name inside a
    /// model file. `Rojo_Ref_*` paths are made of these.
    pub segment: String,
    pub home: Home,
    /// The name on disk does not give back the instance's name, so a `name`
    /// field is written.
    pub write_name: bool,
    /// The files holding the instance's own data already read back as it
    /// (incremental mode): nothing is written for them, they stay as they
    /// are. For a model or `.rbxm` file, the whole subtree is unchanged.
    pub unchanged: bool,
}

/// A project node an instance maps to.
#[derive(Debug, Clone)]
pub(super) struct NodeInfo {
    pub project_file: PathBuf,
    /// Keys from the project's `tree` to the node.
    pub keys: Vec<String>,
    pub node: ProjectNode,
    /// The class the node has without `$className` (inferred or from its
    /// `$path`), if any.
    pub implied_class: Option<String>,
}

/// The settings of the project that owns a folder.
#[derive(Clone)]
pub(super) struct Context {
    pub emit_legacy_scripts: bool,
    pub sync_rules: Arc<[SyncRule]>,
    /// `globIgnorePaths` in force (they add up through nested projects).
    pub ignore_globs: Arc<[IgnoreGlob]>,
    /// A Rojo project (`.project.json`): meta and model files are written
    /// as `.meta.json`/`.model.json` in plain JSON, which Rojo reads too.
    pub rojo_files: bool,
}

impl Context {
    pub fn model_extension(&self) -> &'static str {
        suffixes::model(self.rojo_files)
    }

    pub fn meta_extension(&self) -> &'static str {
        suffixes::meta(self.rojo_files)
    }
}

impl Context {
    pub fn for_project(project: &Project, parent: Option<&Context>) -> Context {
        let emit_legacy_scripts = project.emit_legacy_scripts.unwrap_or(match parent {
            Some(parent) => parent.emit_legacy_scripts,
            None => project.default_emit_legacy_scripts(),
        });
        let ignore_globs: Vec<IgnoreGlob> = parent
            .map(|p| p.ignore_globs.to_vec())
            .unwrap_or_default()
            .into_iter()
            .chain(project.glob_ignore_paths.iter().cloned())
            .collect();
        Context {
            emit_legacy_scripts,
            sync_rules: project.sync_rules.clone().into(),
            ignore_globs: ignore_globs.into(),
            rojo_files: project.flavor == crate::project::ProjectFlavor::Rojo,
        }
    }
}

#[derive(Default)]
pub(super) struct Layout {
    pub entries: HashMap<Ref, Entry>,
    pub nodes: Vec<NodeInfo>,
    /// Folders project nodes own (their `$path`), with the context of their
    /// project: scanned for orphans.
    pub node_dirs: Vec<(PathBuf, Context)>,
    /// Those of `node_dirs` a build needs: a node without a `$className`
    /// builds no instance while its folder is missing, optional or not. The
    /// others (with one) are not created for nothing; a folder two nodes
    /// share is needed if either needs it.
    pub required_node_dirs: HashSet<PathBuf>,
    /// Paths nothing is written to but that must not be removed.
    pub keep: HashSet<PathBuf>,
    /// How many files of unchanged instances stay as they are (incremental
    /// mode), for the summary.
    pub unchanged_files: usize,
    /// Instances of a folder that took a new place (no place on disk they
    /// could keep): a scoped syncback checks they may move.
    pub fresh: HashSet<Ref>,
    pub warnings: Vec<String>,
}

/// A node of a project, and where it is in the project's tree.
pub(super) struct NodeAt<'p> {
    pub project: &'p Project,
    /// Keys from the tree's root to the node.
    pub keys: Vec<String>,
    pub node: &'p ProjectNode,
}

impl<'p> NodeAt<'p> {
    pub fn root(project: &'p Project) -> Self {
        NodeAt {
            project,
            keys: Vec::new(),
            node: &project.tree,
        }
    }
}

pub(super) struct Planner<'a> {
    pub dom: &'a WeakDom,
    pub vfs: &'a dyn Vfs,
    pub previous: Option<&'a Previous<'a>>,
    pub rules: &'a SyncbackRules,
    pub layout: Layout,
}

impl<'a> Planner<'a> {
    pub fn new(
        dom: &'a WeakDom,
        vfs: &'a dyn Vfs,
        previous: Option<&'a Previous<'a>>,
        rules: &'a SyncbackRules,
    ) -> Self {
        Planner {
            dom,
            vfs,
            previous,
            rules,
            layout: Layout::default(),
        }
    }

    pub(super) fn instance(&self, referent: Ref) -> &'a Instance {
        self.dom
            .get_by_ref(referent)
            .unwrap_or_else(|| unreachable!("referents come from the same tree"))
    }

    fn error(&self, referent: Ref, message: impl Into<String>) -> SyncbackError {
        SyncbackError::Layout {
            instance: instance_path(self.dom, referent),
            message: message.into(),
        }
    }

    /// Lays out `referent` as the project node `node` (at `keys` in
    /// `project`). `handled` holds children an outer node already took.
    pub fn node(
        &mut self,
        context: &Context,
        at: NodeAt,
        referent: Ref,
        parent_class: Option<&str>,
        handled: &HashSet<Ref>,
    ) -> Result<(), SyncbackError> {
        let NodeAt {
            project,
            keys,
            node,
        } = at;
        let instance = self.instance(referent);
        let mut handled = handled.clone();

        // Children the project names get their own nodes.
        let mut declared: Vec<(&String, &ProjectNode, Option<Ref>)> = Vec::new();
        for (key, child_node) in &node.children {
            // A build puts node children after the children of the node's
            // `$path`, so of same-named children the node's is the last.
            let found = instance
                .children()
                .iter()
                .copied()
                .filter(|c| !handled.contains(c))
                .rfind(|c| self.instance(*c).name == *key);
            if let Some(child) = found {
                handled.insert(child);
            }
            declared.push((key, child_node, found));
        }
        let undeclared: Vec<Ref> = instance
            .children()
            .iter()
            .copied()
            .filter(|c| !handled.contains(c))
            .collect();

        // The node's slot is taken now: laying out its `$path` folder may
        // reach nested projects, whose nodes come after it.
        let node_index = self.layout.nodes.len();
        self.layout.nodes.push(NodeInfo {
            project_file: project.file_location.clone(),
            keys: keys.clone(),
            node: node.clone(),
            implied_class: None,
        });
        let mut implied_class = parent_class
            .and_then(|p| infer_class(&instance.name, p))
            .map(str::to_owned);
        let meta_name = init_meta_name(context);
        let mut home = Home::Node {
            node: node_index,
            dir: None,
            init: None,
            meta_name,
            meta_in_dir: false,
        };
        let mut nested: Option<(Project, Context)> = None;

        match &node.path {
            None => {
                // Instances with nothing in them (services Atlas created)
                // are no loss.
                let undeclared: Vec<Ref> = undeclared
                    .iter()
                    .copied()
                    .filter(|r| {
                        let i = self.instance(*r);
                        !i.children().is_empty() || !i.properties.is_empty()
                    })
                    .collect();
                if !undeclared.is_empty() {
                    let names = self.names_of(&undeclared);
                    if node.ignore_unknown_instances == Some(false) {
                        return Err(self.error(
                            referent,
                            format!(
                                "the project node has no $path to write its children {names} to; add a $path or remove $ignoreUnknownInstances: false"
                            ),
                        ));
                    }
                    self.layout.warnings.push(format!(
                        "{}: children {names} are not written: the project node has no $path",
                        instance_path(self.dom, referent)
                    ));
                }
            }
            Some(path_node) => {
                let target = project.folder.join(path_node.path());
                match self.target_kind(context, &target) {
                    TargetKind::Dir => {
                        let nested_file = DEFAULT_PROJECT_NAMES
                            .iter()
                            .map(|name| target.join(name))
                            .find(|p| self.vfs.kind(p).is_ok_and(|k| k == EntryKind::File));
                        match nested_file {
                            Some(file) => nested = Some(self.load_nested(context, &file)?),
                            None => {
                                implied_class.get_or_insert_with(|| "Folder".to_owned());
                                let init = self.init_for(context, instance);
                                let existing_meta = suffixes::INIT_META.into_iter().find(|name| {
                                    self.vfs
                                        .kind(&target.join(name))
                                        .is_ok_and(|k| k == EntryKind::File)
                                });
                                home = Home::Node {
                                    node: node_index,
                                    dir: Some(target.clone()),
                                    init,
                                    meta_name: existing_meta.unwrap_or(meta_name),
                                    meta_in_dir: existing_meta.is_some(),
                                };
                                self.layout
                                    .node_dirs
                                    .push((target.clone(), context.clone()));
                                // With a `$className`, a build makes the
                                // instance without the folder. Without one
                                // (an optional `$path` too), a missing folder
                                // means no instance: it must be made.
                                if node.class_name.is_none() {
                                    self.layout.required_node_dirs.insert(target.clone());
                                }
                                self.children(context, &target, &undeclared)?;
                            }
                        }
                    }
                    TargetKind::File(Middleware::Project) => {
                        nested = Some(self.load_nested(context, &target)?)
                    }
                    TargetKind::File(middleware) => {
                        home =
                            self.node_file(context, &target, middleware, referent, &undeclared)?;
                        implied_class = None;
                    }
                }
            }
        }

        self.layout.nodes[node_index].implied_class = implied_class;

        if let Some((nested_project, nested_context)) = nested {
            // The nested project's root node describes this same instance;
            // the outer node keeps only what it declares itself.
            let mut taken = handled.clone();
            taken.extend(declared.iter().filter_map(|(_, _, r)| *r));
            self.node(
                &nested_context,
                NodeAt::root(&nested_project),
                referent,
                parent_class,
                &taken,
            )?;
            // The entry of the nested root stands for the instance; the outer
            // node still records its own `$properties`.
            if let Some(entry) = self.layout.entries.get_mut(&referent) {
                entry.segment = instance.name.clone();
            }
        } else {
            let unchanged = self.node_unchanged(referent, &home);
            self.layout.entries.insert(
                referent,
                Entry {
                    segment: instance.name.clone(),
                    home,
                    write_name: false,
                    unchanged,
                },
            );
        }

        for (key, child_node, found) in declared {
            let mut child_keys = keys.clone();
            child_keys.push(key.clone());
            match found {
                Some(child) => self.node(
                    context,
                    NodeAt {
                        project,
                        keys: child_keys,
                        node: child_node,
                    },
                    child,
                    Some(instance.class.as_str()),
                    &HashSet::new(),
                )?,
                None => {
                    self.layout.warnings.push(format!(
                        "{}: the project names a child `{key}` that the place does not have; its files are left as they are",
                        instance_path(self.dom, referent)
                    ));
                    if let Some(path_node) = &child_node.path {
                        self.layout
                            .keep
                            .insert(project.folder.join(path_node.path()));
                    }
                }
            }
        }
        Ok(())
    }

    fn names_of(&self, refs: &[Ref]) -> String {
        let names: Vec<String> = refs
            .iter()
            .take(5)
            .map(|r| format!("`{}`", self.instance(*r).name))
            .collect();
        let more = if refs.len() > 5 {
            format!(" and {} more", refs.len() - 5)
        } else {
            String::new()
        };
        format!("{}{more}", names.join(", "))
    }

    fn load_nested(
        &mut self,
        context: &Context,
        file: &Path,
    ) -> Result<(Project, Context), SyncbackError> {
        let bytes = self.vfs.read(file).map_err(|source| SyncbackError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        let project = Project::from_bytes(file, &bytes)?;
        let nested_context = Context::for_project(&project, Some(context));
        Ok((project, nested_context))
    }

    fn target_kind(&self, context: &Context, target: &Path) -> TargetKind {
        match self.vfs.kind(target) {
            Ok(EntryKind::Dir) => TargetKind::Dir,
            _ => {
                let name = target
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                match file_rule(&context.sync_rules, target, name) {
                    Some((middleware, _)) if middleware != Middleware::Ignore => {
                        TargetKind::File(middleware)
                    }
                    // A path no file rule matches is a folder to be.
                    _ => TargetKind::Dir,
                }
            }
        }
    }

    /// The home of a node whose `$path` is a file.
    fn node_file(
        &mut self,
        context: &Context,
        target: &Path,
        middleware: Middleware,
        referent: Ref,
        undeclared: &[Ref],
    ) -> Result<Home, SyncbackError> {
        let instance = self.instance(referent);
        let file_name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let stem = file_rule(&context.sync_rules, target, file_name)
            .map(|(_, stem)| stem)
            .unwrap_or(file_name);
        let meta = target.with_file_name(format!("{stem}{}", context.meta_extension()));
        let display = target.display();

        if !undeclared.is_empty()
            && !matches!(
                middleware,
                Middleware::JsonModel | Middleware::Rbxm | Middleware::Rbxmx
            )
        {
            return Err(self.error(
                referent,
                format!(
                    "it has children ({}), but its project node's $path `{display}` is a file that cannot hold them; point $path at a folder",
                    self.names_of(undeclared)
                ),
            ));
        }
        let home = match middleware {
            Middleware::JsonModel => {
                self.embed(undeclared);
                Home::Model {
                    path: target.to_path_buf(),
                    embed_children: true,
                }
            }
            Middleware::Rbxm | Middleware::Rbxmx => {
                self.embed(undeclared);
                Home::Rbxm {
                    path: target.to_path_buf(),
                    xml: middleware == Middleware::Rbxmx,
                }
            }
            Middleware::Text if crate::formats::txt::can_hold(instance) => Home::Text {
                path: target.to_path_buf(),
                meta,
            },
            Middleware::Csv if csv_contents(instance).is_some() => Home::Csv {
                path: target.to_path_buf(),
                meta,
            },
            Middleware::Json | Middleware::Toml | Middleware::Yaml => {
                if self.reads_back_the_same(target, instance) {
                    self.layout.keep.insert(target.to_path_buf());
                    Home::Unchanged
                } else if let Some(home) = self.data_home(target, middleware, meta, referent) {
                    home
                } else {
                    return Err(self.error(
                        referent,
                        format!(
                            "its project node's $path `{display}` is a data file, which cannot hold the script's source (it is not plain data); point $path at a .luau file"
                        ),
                    ));
                }
            }
            script if script.is_script() => {
                let (class, context_name) =
                    crate::formats::script::script_class(script, context.emit_legacy_scripts);
                if class != instance.class.as_str() {
                    return Err(self.error(
                        referent,
                        format!(
                            "it is a {}, but its project node's $path `{display}` makes a {class}; rename the file",
                            instance.class
                        ),
                    ));
                }
                Home::Script {
                    path: target.to_path_buf(),
                    meta,
                    run_context_in_meta: context_name.is_some()
                        && context_name != run_context_name(instance),
                }
            }
            _ => {
                return Err(self.error(
                    referent,
                    format!(
                        "it is a {}, which its project node's $path `{display}` cannot hold",
                        instance.class
                    ),
                ))
            }
        };
        Ok(home)
    }

    /// True if the file at `path` already reads back as `instance` (a data
    /// module whose Lua source is the instance's `Source`).
    fn reads_back_the_same(&self, path: &Path, instance: &Instance) -> bool {
        let context = Arc::new(crate::snapshot::InstanceContext::default());
        match crate::formats::snapshot_from_path(&context, self.vfs, path) {
            Ok(Some(snapshot)) => {
                snapshot.class_name == instance.class
                    && snapshot.properties.get(&Ustr::from("Source"))
                        == instance.properties.get(&Ustr::from("Source"))
            }
            _ => false,
        }
    }

    /// Marks a whole subtree as written inside its ancestor's file.
    pub(super) fn embed(&mut self, refs: &[Ref]) {
        for referent in refs {
            let instance = self.instance(*referent);
            self.layout.entries.insert(
                *referent,
                Entry {
                    segment: instance.name.clone(),
                    home: Home::Embedded,
                    write_name: false,
                    unchanged: false,
                },
            );
            let children = instance.children().to_vec();
            self.embed(&children);
        }
    }

    /// The init file for a folder-backed instance of a script or table class.
    pub(super) fn init_for(&self, context: &Context, instance: &Instance) -> Option<Init> {
        if csv_contents(instance).is_some() {
            return Some(Init::Csv);
        }
        suffix_for(
            &instance.class,
            run_context_name(instance),
            context.emit_legacy_scripts,
        )
        .map(|(suffix, run_context_in_meta)| Init::Script {
            suffix,
            extension: suffixes::LUAU,
            run_context_in_meta,
        })
    }

    /// Lays out `children`, all written into the folder `dir`. In
    /// incremental mode, instances already on disk here keep their files
    /// when those can still hold them (`keep`); the others take the default
    /// format and a free name.
    pub fn children(
        &mut self,
        context: &Context,
        dir: &Path,
        children: &[Ref],
    ) -> Result<(), SyncbackError> {
        let mut ordered: Vec<Ref> = children.to_vec();
        ordered.sort_by(|a, b| self.instance(*a).name.cmp(&self.instance(*b).name));

        let mut taken = TakenNames::new();
        let mut kept: HashMap<Ref, keep::Kept> = HashMap::new();
        if let Some(previous) = self.previous {
            for referent in &ordered {
                if let Some(form) = self.kept_form(context, dir, *referent, previous) {
                    taken.keep(&form.stem, form.shape());
                    kept.insert(*referent, form);
                }
            }
            previous.seed_unmatched(dir, &mut taken);
        }

        // Same-named siblings read back in the order of their `~N`, so along
        // a group (adjacent in `ordered`, in the DOM's order) the `~N` must
        // grow: a kept file whose `~N` does not is laid out afresh, and a
        // new one takes a `~N` after the sibling before it.
        let mut group: Option<(&str, u64)> = None;
        for referent in ordered {
            let instance = self.instance(referent);
            let grandchildren = instance.children().to_vec();
            let after = match group {
                Some((name, index)) if name == instance.name => index,
                _ => 0,
            };
            let kept_form = kept
                .remove(&referent)
                .filter(|form| dedup_index(&form.stem) > after);
            if let Some(form) = kept_form {
                group = Some((instance.name.as_str(), dedup_index(&form.stem)));
                self.layout.unchanged_files += form.keep_paths.len();
                if let Some(file) = &form.nested_project {
                    let (project, nested_context) = self.load_nested(context, file)?;
                    let parent_class = self
                        .dom
                        .get_by_ref(instance.parent())
                        .map(|p| p.class.to_string());
                    self.node(
                        &nested_context,
                        NodeAt::root(&project),
                        referent,
                        parent_class.as_deref(),
                        &HashSet::new(),
                    )?;
                    if let Some(entry) = self.layout.entries.get_mut(&referent) {
                        entry.segment = form.entry.segment;
                    }
                    continue;
                }
                self.layout.keep.extend(form.keep_paths);
                let home = form.entry.home.clone();
                self.layout.entries.insert(referent, form.entry);
                match home {
                    Home::Folder { dir, .. } => self.children(context, &dir, &grandchildren)?,
                    Home::Model { .. } | Home::Rbxm { .. } => self.embed(&grandchildren),
                    _ => {}
                }
                continue;
            }
            self.layout.fresh.insert(referent);
            // A data file (`wally.toml`) stays one while it can hold the module.
            if let Some(form) = self.data_file_form(context, dir, referent) {
                let index = dedup_index(&form.stem);
                if index > after && taken.reserve(&form.stem, form.shape()) {
                    group = Some((instance.name.as_str(), index));
                    self.layout.keep.extend(form.keep_paths);
                    self.layout.entries.insert(referent, form.entry);
                    continue;
                }
            }
            let plan = self.plan(context, referent)?;
            let stem = taken.claim_after(&slugify(&instance.name), plan.shape(), after);
            group = Some((instance.name.as_str(), dedup_index(&stem)));
            let write_name = strip_dedup_suffix(&stem) != instance.name;
            let (segment, home) = plan.place(dir, &stem, context);
            let child_dir = match &home {
                Home::Folder { dir, .. } => Some(dir.clone()),
                _ => None,
            };
            self.layout.entries.insert(
                referent,
                Entry {
                    segment,
                    home,
                    write_name,
                    unchanged: false,
                },
            );
            if let Some(child_dir) = child_dir {
                self.children(context, &child_dir, &grandchildren)?;
            }
        }
        Ok(())
    }

    /// The format an instance takes from its class (see the module table).
    fn plan(&self, context: &Context, referent: Ref) -> Result<Plan, SyncbackError> {
        let instance = self.instance(referent);
        let class = instance.class.as_str();
        let has_children = !instance.children().is_empty();

        if let Some(init) = self.init_for(context, instance) {
            return Ok(if has_children {
                Plan::Folder {
                    init: Some(init),
                    class_in_meta: false,
                    has_children,
                }
            } else {
                match init {
                    Init::Script {
                        suffix,
                        run_context_in_meta,
                        ..
                    } => Plan::Script {
                        extension: format!("{suffix}{}", suffixes::LUAU),
                        run_context_in_meta,
                    },
                    Init::Csv => Plan::Csv,
                }
            });
        }
        if crate::formats::txt::can_hold(instance) {
            return Ok(Plan::Text);
        }
        if FOLDER_CLASSES.contains(&class) || has_children || reflection::is_service(class) {
            return Ok(Plan::Folder {
                init: None,
                class_in_meta: self.class_in_meta(instance),
                has_children,
            });
        }
        Ok(Plan::Model {
            extension: context.model_extension(),
        })
    }

    /// True if a folder without an init file must name the instance's class
    /// in its `init.meta` file. A service (or StarterPlayerScripts,
    /// Terrain...) named after its class needs none: reading infers the
    /// class from the name.
    pub(super) fn class_in_meta(&self, instance: &Instance) -> bool {
        let parent_class = self
            .dom
            .get_by_ref(instance.parent())
            .map(|p| p.class.as_str());
        let inferred = parent_class.and_then(|p| infer_class(&instance.name, p))
            == Some(instance.class.as_str());
        instance.class != "Folder" && !inferred
    }
}

enum TargetKind {
    Dir,
    File(Middleware),
}

/// A format chosen before the name is known.
pub(super) enum Plan {
    Script {
        extension: String,
        run_context_in_meta: bool,
    },
    Text,
    Csv,
    Model {
        extension: &'static str,
    },
    Folder {
        init: Option<Init>,
        class_in_meta: bool,
        has_children: bool,
    },
}

impl Plan {
    pub(super) fn shape(&self) -> Shape<'_> {
        match self {
            Plan::Script { extension, .. } => Shape::File {
                extension,
                with_meta: true,
            },
            Plan::Text => Shape::File {
                extension: suffixes::TEXT,
                with_meta: true,
            },
            Plan::Csv => Shape::File {
                extension: suffixes::CSV,
                with_meta: true,
            },
            Plan::Model { extension } => Shape::File {
                extension,
                with_meta: false,
            },
            Plan::Folder { .. } => Shape::Dir,
        }
    }

    fn place(self, dir: &Path, stem: &str, context: &Context) -> (String, Home) {
        let meta = dir.join(format!("{stem}{}", context.meta_extension()));
        match self {
            Plan::Script {
                extension,
                run_context_in_meta,
            } => {
                let name = format!("{stem}{extension}");
                (
                    name.clone(),
                    Home::Script {
                        path: dir.join(name),
                        meta,
                        run_context_in_meta,
                    },
                )
            }
            Plan::Text => {
                let name = format!("{stem}{}", suffixes::TEXT);
                (
                    name.clone(),
                    Home::Text {
                        path: dir.join(name),
                        meta,
                    },
                )
            }
            Plan::Csv => {
                let name = format!("{stem}{}", suffixes::CSV);
                (
                    name.clone(),
                    Home::Csv {
                        path: dir.join(name),
                        meta,
                    },
                )
            }
            Plan::Model { extension } => {
                let name = format!("{stem}{extension}");
                (
                    name.clone(),
                    Home::Model {
                        path: dir.join(name),
                        embed_children: false,
                    },
                )
            }
            Plan::Folder {
                init,
                class_in_meta,
                has_children,
            } => (
                stem.to_owned(),
                Home::Folder {
                    dir: dir.join(stem),
                    init,
                    class_in_meta,
                    has_children,
                    meta_name: init_meta_name(context),
                },
            ),
        }
    }
}

pub(super) fn init_meta_name(context: &Context) -> &'static str {
    suffixes::init_meta(context.rojo_files)
}

/// The name of a Script's RunContext item (`None` for other classes). A
/// Script without the property has the default, Legacy.
pub(super) fn run_context_name(instance: &Instance) -> Option<&'static str> {
    if instance.class != "Script" {
        return None;
    }
    match instance.properties.get(&Ustr::from("RunContext")) {
        Some(Variant::Enum(item)) => reflection::enum_item_name("RunContext", item.to_u32()),
        _ => Some("Legacy"),
    }
}
