//! Incremental mode: an instance already on disk stays in the file or
//! folder that holds it, in that file's format, when the format can still
//! hold it; only new instances (and ones whose format no longer fits) take
//! the default layout.
//!
//! | on disk now | kept when | written as |
//! |---|---|---|
//! | a folder (`X/`, `X/init.server.lua`, `X/init.meta.json`) | always | the same folder, init file spelling and meta file name kept |
//! | `X.model.json` / `X.model.json5` | it has no children, or held some already | the same file, children inline |
//! | `X.rbxm` / `X.rbxmx` | always | the same file, the whole subtree |
//! | a script file (`.lua` or `.luau`, any suffix) | same class, no children | the same file and its meta file |
//! | `X.txt` / `X.csv` | StringValue / a table CSV holds, no children | the same file and its meta file |
//! | a data module (`.json`, `.toml`, `.yaml`) | the format holds the source exactly | the same file, as data (else a script file, with a warning) |
//!
//! When the instance's data is unchanged ([`Unchanged`]) nothing is written
//! for it: its files are kept byte for byte.

use std::path::{Path, PathBuf};

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::ustr;

use super::{init_meta_name, run_context_name, Context, Entry, Home, Init, Planner};
use crate::formats::file_rule;
use crate::formats::meta::meta_paths;
use crate::formats::names::{slugify, strip_dedup_suffix, Shape};
use crate::formats::script::script_class;
use crate::formats::{csv, data_module, script, txt};
use crate::project::{suffixes, Middleware};
use crate::snapshot::InstigatingSource;
use crate::syncback::incremental::Previous;
use crate::syncback::properties::PropertyRules;
use crate::syncback::unchanged::Unchanged;
use crate::vfs::EntryKind;

/// An instance that keeps its place on disk.
pub(super) struct Kept {
    /// The name it reserves in its folder (file name minus extension).
    pub stem: String,
    /// `None` for a folder.
    pub extension: Option<String>,
    /// Whether a meta file may sit beside the file.
    pub with_meta: bool,
    pub entry: Entry,
    /// Files that stay as they are (the instance is unchanged).
    pub keep_paths: Vec<PathBuf>,
    /// The instance is the root of a project of its own (`X/default.project.json5`
    /// or `X.project.json5` in the folder): laid out as that project's nodes.
    pub nested_project: Option<PathBuf>,
}

impl Kept {
    /// An instance no file holds that has nothing to write (it reserves its
    /// name as a folder would).
    fn nothing_to_write(name: &str) -> Kept {
        Kept {
            stem: slugify(name),
            extension: None,
            with_meta: false,
            keep_paths: Vec::new(),
            nested_project: None,
            entry: Entry {
                segment: name.to_owned(),
                home: Home::Unchanged,
                write_name: false,
                unchanged: true,
            },
        }
    }

    pub fn shape(&self) -> Shape<'_> {
        match &self.extension {
            None => Shape::Dir,
            Some(extension) => Shape::File {
                extension,
                with_meta: self.with_meta,
            },
        }
    }
}

impl<'a> Planner<'a> {
    pub(super) fn same(&self, previous: &'a Previous<'a>) -> Unchanged<'a> {
        let (old, pairs) = previous.stored();
        Unchanged {
            new: self.dom,
            old,
            pairs,
            rules: PropertyRules { rules: self.rules },
        }
    }

    /// The files of an old instance that stay when it is unchanged: every
    /// file it was read from (its meta file included), not its folder,
    /// whose entries are laid out one by one.
    fn old_files(&self, previous: &Previous, old: Ref) -> Vec<PathBuf> {
        let Some(metadata) = previous.metadata(old) else {
            return Vec::new();
        };
        metadata
            .relevant_paths
            .iter()
            .filter(|p| previous.knows_file(p))
            .cloned()
            .collect()
    }

    /// Where `referent` stays, if it is already an entry of `dir` in a
    /// format that can still hold it.
    pub(super) fn kept_form(
        &mut self,
        context: &Context,
        dir: &Path,
        referent: Ref,
        previous: &'a Previous<'a>,
    ) -> Option<Kept> {
        let instance = self.instance(referent);
        let Some(old) = previous.old_of(referent) else {
            // A service the place lacked (syncback adds every visible one)
            // that the project does not have either: nothing to write.
            let empty_service = crate::reflection::is_service(&instance.class)
                && instance.children().is_empty()
                && PropertyRules { rules: self.rules }
                    .written(instance)
                    .is_empty();
            return empty_service.then(|| Kept::nothing_to_write(&instance.name));
        };
        let same = self.same(previous);
        let has_children = !instance.children().is_empty();
        let write_name = |stem: &str| strip_dedup_suffix(stem) != instance.name;

        let metadata = previous.metadata(old)?;
        match &metadata.instigating_source {
            // Made by the build, not read from a file (a service the project
            // does not name): nothing to write while it stays as it was.
            None if same.subtree(referent) => return Some(Kept::nothing_to_write(&instance.name)),
            Some(InstigatingSource::ProjectNode { project, node_path }) if node_path.is_empty() => {
                return self.kept_project(context, dir, referent, project);
            }
            _ => {}
        }
        let (path, fs_name) = previous.entry_path(old, dir)?;

        if self.vfs.kind(path).ok()? == EntryKind::Dir {
            let init = self.init_for(context, instance).map(|init| match init {
                Init::Script {
                    suffix,
                    run_context_in_meta,
                    ..
                } => {
                    let lua = format!("init{suffix}{}", suffixes::LUA);
                    let keeps_lua = previous.knows(&path.join(&lua));
                    Init::Script {
                        suffix,
                        extension: if keeps_lua {
                            suffixes::LUA
                        } else {
                            suffixes::LUAU
                        },
                        run_context_in_meta,
                    }
                }
                other => other,
            });
            let meta_name = suffixes::INIT_META
                .into_iter()
                .find(|name| previous.knows(&path.join(name)))
                .unwrap_or_else(|| init_meta_name(context));
            let unchanged = same.own(referent);
            let mut keep_paths = if unchanged {
                self.old_files(previous, old)
            } else {
                Vec::new()
            };
            // A `.gitkeep` stays with an unchanged folder, unless the empty
            // folder it kept got children; a folder written again gets one
            // only if it is empty and has nothing else (as a fresh syncback
            // writes it).
            if has_children && !previous.has_children(old) {
                let gitkeep = path.join(suffixes::GITKEEP);
                keep_paths.retain(|p| *p != gitkeep);
            }
            return Some(Kept {
                stem: fs_name.to_owned(),
                extension: None,
                with_meta: false,
                keep_paths,
                nested_project: None,
                entry: Entry {
                    segment: fs_name.to_owned(),
                    home: Home::Folder {
                        dir: path.to_path_buf(),
                        init,
                        class_in_meta: init.is_none() && self.class_in_meta(instance),
                        has_children,
                        meta_name,
                    },
                    write_name: write_name(fs_name),
                    unchanged,
                },
            });
        }

        let (middleware, stem) = file_rule(&context.sync_rules, path, fs_name)?;
        let extension = fs_name[stem.len()..].to_owned();
        let meta = meta_paths(dir, stem)
            .into_iter()
            .find(|p| previous.knows(p))
            .unwrap_or_else(|| dir.join(format!("{stem}{}", context.meta_extension())));
        let (home, whole_subtree) = match middleware {
            // A model file without children that gains some becomes a
            // folder, as a fresh syncback writes it; one that held children
            // keeps them inline.
            Middleware::JsonModel if !has_children || previous.has_children(old) => (
                Home::Model {
                    path: path.to_path_buf(),
                    embed_children: true,
                },
                true,
            ),
            Middleware::Rbxm | Middleware::Rbxmx => (
                Home::Rbxm {
                    path: path.to_path_buf(),
                    xml: middleware == Middleware::Rbxmx,
                },
                true,
            ),
            Middleware::Text if txt::can_hold(instance) => (
                Home::Text {
                    path: path.to_path_buf(),
                    meta,
                },
                false,
            ),
            Middleware::Csv if !has_children && csv::text_for(instance).is_some() => (
                Home::Csv {
                    path: path.to_path_buf(),
                    meta,
                },
                false,
            ),
            Middleware::Json | Middleware::Toml | Middleware::Yaml => {
                (self.data_home(path, middleware, meta, referent)?, false)
            }
            script if script::can_hold(script, context.emit_legacy_scripts, instance) => {
                let (_, context_name) = script_class(script, context.emit_legacy_scripts);
                (
                    Home::Script {
                        path: path.to_path_buf(),
                        meta,
                        run_context_in_meta: context_name.is_some()
                            && context_name != run_context_name(instance),
                    },
                    false,
                )
            }
            _ => return None,
        };
        let unchanged = if whole_subtree {
            same.subtree(referent)
        } else {
            same.own(referent)
        };
        Some(Kept {
            stem: stem.to_owned(),
            with_meta: !whole_subtree,
            extension: Some(extension),
            keep_paths: if unchanged {
                self.old_files(previous, old)
            } else {
                Vec::new()
            },
            nested_project: None,
            entry: Entry {
                segment: fs_name.to_owned(),
                home,
                write_name: write_name(stem),
                unchanged,
            },
        })
    }

    /// Where a ModuleScript read from the data file at `path` goes: that file
    /// while its format can hold the module's source exactly (see
    /// [`data_module::write`]), else nowhere (it becomes a script file, and
    /// a warning says why).
    pub(super) fn data_home(
        &mut self,
        path: &Path,
        middleware: Middleware,
        meta: PathBuf,
        referent: Ref,
    ) -> Option<Home> {
        let instance = self.instance(referent);
        let source = match instance.properties.get(&ustr("Source")) {
            Some(Variant::String(source)) => source.as_str(),
            _ => "",
        };
        let old = self
            .vfs
            .read(path)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if instance.class == "ModuleScript"
            && instance.children().is_empty()
            && data_module::write(middleware, path, source, old.as_deref()).is_some()
        {
            return Some(Home::Data {
                path: path.to_path_buf(),
                middleware,
                meta,
            });
        }
        self.layout.warnings.push(format!(
            "{}: the {} it holds is no longer plain data this format can hold; it is written as a script file instead, and this file is removed",
            path.display(),
            instance.class
        ));
        None
    }

    /// A ModuleScript that a data file in `dir` already holds (clean mode
    /// too: a package manifest such as `wally.toml` stays a data file).
    pub(super) fn data_file_form(
        &mut self,
        context: &Context,
        dir: &Path,
        referent: Ref,
    ) -> Option<Kept> {
        let instance = self.instance(referent);
        let returns = matches!(
            instance.properties.get(&ustr("Source")),
            Some(Variant::String(source)) if source.starts_with("return")
        );
        if instance.class != "ModuleScript" || !instance.children().is_empty() || !returns {
            return None;
        }
        let stem = slugify(&instance.name);
        let (path, middleware, extension) = suffixes::DATA.iter().find_map(|extension| {
            let path = dir.join(format!("{stem}{extension}"));
            let file_name = path.file_name()?.to_str()?;
            match file_rule(&context.sync_rules, &path, file_name) {
                Some((
                    middleware @ (Middleware::Json | Middleware::Toml | Middleware::Yaml),
                    s,
                )) if s == stem && self.vfs.kind(&path).is_ok_and(|k| k == EntryKind::File) => {
                    Some((path, middleware, *extension))
                }
                _ => None,
            }
        })?;
        let meta = meta_paths(dir, &stem)
            .into_iter()
            .find(|p| self.vfs.kind(p).is_ok_and(|k| k == EntryKind::File))
            .unwrap_or_else(|| dir.join(format!("{stem}{}", context.meta_extension())));
        let home = self.data_home(&path, middleware, meta, referent)?;
        Some(Kept {
            stem: stem.clone(),
            extension: Some(extension.to_owned()),
            with_meta: true,
            keep_paths: Vec::new(),
            nested_project: None,
            entry: Entry {
                segment: format!("{stem}{extension}"),
                home,
                write_name: strip_dedup_suffix(&stem) != instance.name,
                unchanged: false,
            },
        })
    }

    /// A project of its own inside `dir`: `dir/X/default.project.json5`
    /// (the folder `X` stands for the instance) or `dir/X.project.json5`.
    fn kept_project(
        &self,
        context: &Context,
        dir: &Path,
        referent: Ref,
        project: &Path,
    ) -> Option<Kept> {
        let instance = self.instance(referent);
        let file_name = project.file_name()?.to_str()?;
        let parent = project.parent()?;
        let (stem, extension, segment) = if parent == dir {
            // The rule that made it a project (`.project.json5`, or a
            // project's own `syncRules`, `*.rojo`) gives the stem.
            let (middleware, stem) = file_rule(&context.sync_rules, project, file_name)?;
            if middleware != Middleware::Project {
                return None;
            }
            let extension = &file_name[stem.len()..];
            (
                stem.to_owned(),
                Some(extension.to_owned()),
                instance.name.clone(),
            )
        } else if parent.parent() == Some(dir) {
            let folder = parent.file_name()?.to_str()?.to_owned();
            (folder.clone(), None, folder)
        } else {
            return None;
        };
        Some(Kept {
            stem,
            extension,
            with_meta: false,
            keep_paths: Vec::new(),
            nested_project: Some(project.to_path_buf()),
            entry: Entry {
                segment,
                home: Home::Unchanged,
                write_name: false,
                unchanged: false,
            },
        })
    }

    /// True if a project node's instance is unchanged (incremental mode);
    /// its files then stay as they are.
    pub(super) fn node_unchanged(&mut self, referent: Ref, home: &Home) -> bool {
        let Some(previous) = self.previous else {
            return false;
        };
        let Some(old) = previous.old_of(referent) else {
            return false;
        };
        let same = self.same(previous);
        let unchanged = match home {
            Home::Model { .. } | Home::Rbxm { .. } => same.subtree(referent),
            _ => same.own(referent),
        };
        if unchanged {
            // Project files are kept whatever happens (and rewritten only
            // where a node changed): not counted here.
            let mut files = self.old_files(previous, old);
            files.retain(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(suffixes::is_project)
            });
            self.layout.unchanged_files += files.len();
            self.layout.keep.extend(files);
        }
        unchanged
    }
}
