//! The contents of every file, once the layout is known.
//!
//! Each laid-out instance is written on its own (in parallel); Ref
//! properties become `Rojo_Ref_*` attributes whose paths come from the
//! layout, so they point at the files as they will be.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Instance, Ustr, WeakDom};

use super::layout::{Entry, Home, Init, Layout};
use super::prepare::Removed;
use super::properties::PropertyRules;
use super::refs::relative_path;
use super::SyncbackError;
use crate::dom_file::{self, Encoding};
use crate::formats::csv::text_for as csv_contents;
use crate::formats::data_module;
use crate::formats::json_model::{self, ModelData};
use crate::formats::meta::{self, MetaData};
use crate::json::{self, JsonValue};
use crate::project::suffixes;
use crate::snapshot::refs::{instance_path, resolve_path_in, REF_PREFIX};
use crate::vfs::Vfs;

/// Data a project node holds itself.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NodeData {
    /// The instance's class.
    pub class: String,
    /// Set when the instance's class differs from what the node gives.
    pub class_name: Option<String>,
    pub properties: BTreeMap<String, JsonValue>,
    pub attributes: BTreeMap<String, JsonValue>,
}

#[derive(Default)]
pub(super) struct Emitted {
    pub files: Vec<(PathBuf, Vec<u8>)>,
    pub dirs: Vec<PathBuf>,
    pub nodes: Vec<(usize, NodeData)>,
    pub warnings: Vec<String>,
}

impl Emitted {
    fn merge(mut self, other: Emitted) -> Emitted {
        self.files.extend(other.files);
        self.dirs.extend(other.dirs);
        self.nodes.extend(other.nodes);
        self.warnings.extend(other.warnings);
        self
    }

    fn file(&mut self, path: PathBuf, contents: impl Into<Vec<u8>>) {
        self.files.push((path, contents.into()));
    }
}

pub(super) struct Emitter<'a> {
    pub dom: &'a WeakDom,
    pub layout: &'a Layout,
    pub rules: PropertyRules<'a>,
    pub removed: &'a Removed,
    /// Reads files that exist: data files keep their look, and so do meta
    /// and model files with `keep_look`.
    pub vfs: &'a dyn Vfs,
    /// Incremental mode: a meta or model file that exists is rewritten in
    /// its own look (key spelling and order, indentation, settings).
    pub keep_look: bool,
}

impl Emitter<'_> {
    fn read_text(&self, path: &std::path::Path) -> Option<String> {
        self.vfs
            .read(path)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// A meta or model file: `.json` files (Rojo's) get plain JSON, the
    /// others JSON5; canonical, or merged into the file already there.
    fn write_json(&self, out: &mut Emitted, path: PathBuf, value: &JsonValue) {
        let style = if path.extension().is_some_and(|e| e == "json") {
            json::Style::Json
        } else {
            json::Style::Json5
        };
        let old_text = self.keep_look.then(|| self.read_text(&path)).flatten();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let is_model = suffixes::MODEL.iter().any(|m| file_name.ends_with(m));
        let old = old_text
            .as_deref()
            .and_then(|text| json::parse(text).ok().map(|value| (text, value)));
        let text = match old {
            Some((text, old)) => {
                let merged = json::merge_document(&old, value, &|key| {
                    if is_model {
                        json_model::is_setting_key(key)
                    } else {
                        meta::is_setting_key(key)
                    }
                });
                if merged == old {
                    // It already says this: left byte for byte (comments too).
                    text.to_owned()
                } else {
                    json::to_string_formatted(&merged, &json::Format::detect(text, style))
                }
            }
            None => json::to_string_styled(value, style),
        };
        out.file(path, text);
    }

    pub fn emit(&self) -> Result<Emitted, SyncbackError> {
        let entries: Vec<(&Ref, &Entry)> = self.layout.entries.iter().collect();
        entries
            .par_iter()
            .map(|(referent, entry)| self.emit_entry(**referent, entry))
            .try_reduce(Emitted::default, |a, b| Ok(a.merge(b)))
    }

    fn instance(&self, referent: Ref) -> &Instance {
        self.dom
            .get_by_ref(referent)
            .unwrap_or_else(|| unreachable!("laid-out referents are in the tree"))
    }

    fn emit_entry(&self, referent: Ref, entry: &Entry) -> Result<Emitted, SyncbackError> {
        let mut out = Emitted::default();
        let instance = self.instance(referent);
        let name = entry.write_name.then_some(instance.name.as_str());
        if entry.unchanged {
            // Its files already read back as it: they stay byte for byte.
            if let Home::Folder { dir, .. } = &entry.home {
                out.dirs.push(dir.clone());
            }
            return Ok(out);
        }
        match &entry.home {
            Home::Script {
                path,
                meta,
                run_context_in_meta,
            } => {
                out.file(path.clone(), source(instance));
                let skip = script_skip(instance, *run_context_in_meta);
                self.meta(&mut out, meta.clone(), referent, None, name, skip);
            }
            Home::Data {
                path,
                middleware,
                meta,
            } => {
                let source = String::from_utf8_lossy(&source(instance)).into_owned();
                let old = self.read_text(path);
                let text = data_module::write(*middleware, path, &source, old.as_deref())
                    .ok_or_else(|| SyncbackError::Layout {
                        instance: instance_path(self.dom, referent),
                        message: format!("{} cannot hold its source as data", path.display()),
                    })?;
                out.file(path.clone(), text);
                self.meta(&mut out, meta.clone(), referent, None, name, &["Source"]);
            }
            Home::Text { path, meta } => {
                out.file(path.clone(), string_property(instance, "Value"));
                self.meta(&mut out, meta.clone(), referent, None, name, &["Value"]);
            }
            Home::Csv { path, meta } => {
                out.file(path.clone(), csv_contents(instance).unwrap_or_default());
                self.meta(&mut out, meta.clone(), referent, None, name, &["Contents"]);
            }
            Home::Model {
                path,
                embed_children,
            } => {
                let value = self.model(referent, name, *embed_children, &mut out.warnings);
                self.write_json(&mut out, path.clone(), &value);
            }
            Home::Rbxm { path, xml } => {
                let mut bytes = Vec::new();
                let encoding = if *xml {
                    Encoding::Xml
                } else {
                    Encoding::Binary
                };
                dom_file::write(&mut bytes, self.dom, &[referent], encoding).map_err(|e| {
                    SyncbackError::Layout {
                        instance: instance_path(self.dom, referent),
                        message: e.to_string(),
                    }
                })?;
                out.file(path.clone(), bytes);
            }
            Home::Folder {
                dir,
                init,
                class_in_meta,
                has_children,
                meta_name,
            } => {
                out.dirs.push(dir.clone());
                let class = class_in_meta.then_some(instance.class.as_str());
                let wrote_init = self.init(&mut out, dir, meta_name, *init, referent, class, name);
                if !*has_children && !wrote_init {
                    out.file(dir.join(suffixes::GITKEEP), Vec::new());
                }
            }
            Home::Node {
                node,
                dir,
                init,
                meta_name,
                meta_in_dir,
            } => {
                if let (Some(dir), Some(_)) = (dir, init) {
                    self.init(&mut out, dir, meta_name, *init, referent, None, None);
                } else {
                    let info = &self.layout.nodes[*node];
                    let given = info
                        .node
                        .class_name
                        .as_deref()
                        .or(info.implied_class.as_deref());
                    let class_name = (given != Some(instance.class.as_str()))
                        .then(|| instance.class.to_string());
                    let (mut attributes, warnings) = self.attributes(referent);
                    out.warnings.extend(warnings);
                    let mut properties = self.rules.properties(instance, &[]);
                    if let (Some(dir), true) = (dir, *meta_in_dir) {
                        // What the node declares stays in the node; the rest
                        // stays in the folder's init meta file.
                        let (in_node, in_meta): (BTreeMap<_, _>, BTreeMap<_, _>) = properties
                            .into_iter()
                            .partition(|(key, _)| info.node.properties.contains_key(key));
                        properties = in_node;
                        let meta_attributes = if info.node.attributes.is_empty() {
                            std::mem::take(&mut attributes)
                        } else {
                            BTreeMap::new()
                        };
                        let document = meta::document(MetaData {
                            properties: in_meta,
                            attributes: meta_attributes,
                            ..MetaData::default()
                        });
                        // An emptied meta file still says `{}` (it may keep
                        // settings such as `ignoreUnknownInstances`).
                        let document = document.unwrap_or(JsonValue::Object(Vec::new()));
                        self.write_json(&mut out, dir.join(meta_name), &document);
                    }
                    out.nodes.push((
                        *node,
                        NodeData {
                            class: instance.class.to_string(),
                            class_name,
                            properties,
                            attributes,
                        },
                    ));
                }
            }
            Home::Embedded | Home::Unchanged => {}
        }
        Ok(out)
    }

    /// Writes a folder's init file (if any) and `init.meta.json5`. Returns
    /// true if either was written.
    #[allow(clippy::too_many_arguments)]
    fn init(
        &self,
        out: &mut Emitted,
        dir: &std::path::Path,
        meta_name: &str,
        init: Option<Init>,
        referent: Ref,
        class: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        let instance = self.instance(referent);
        let skip: &[&str] = match init {
            Some(Init::Script {
                suffix,
                extension,
                run_context_in_meta,
            }) => {
                out.file(
                    dir.join(format!("init{suffix}{extension}")),
                    source(instance),
                );
                script_skip(instance, run_context_in_meta)
            }
            Some(Init::Csv) => {
                out.file(
                    dir.join(suffixes::INIT_CSV),
                    csv_contents(instance).unwrap_or_default(),
                );
                &["Contents"]
            }
            None => &[],
        };
        let wrote_meta = self.meta(out, dir.join(meta_name), referent, class, name, skip);
        init.is_some() || wrote_meta
    }

    /// Writes a meta file unless it would be empty. Returns true if written.
    fn meta(
        &self,
        out: &mut Emitted,
        path: PathBuf,
        referent: Ref,
        class: Option<&str>,
        name: Option<&str>,
        skip: &[&str],
    ) -> bool {
        let instance = self.instance(referent);
        let properties = self.rules.properties(instance, skip);
        let (attributes, warnings) = self.attributes(referent);
        out.warnings.extend(warnings);
        let document = meta::document(MetaData {
            class_name: class,
            name,
            properties,
            attributes,
        });
        match document {
            Some(document) => {
                self.write_json(out, path, &document);
                true
            }
            None => false,
        }
    }

    /// A model file's JSON: the instance and, when embedding, its subtree.
    fn model(
        &self,
        referent: Ref,
        name: Option<&str>,
        embed_children: bool,
        warnings: &mut Vec<String>,
    ) -> JsonValue {
        let instance = self.instance(referent);
        let (attributes, ref_warnings) = self.attributes(referent);
        warnings.extend(ref_warnings);
        let children = if embed_children {
            instance
                .children()
                .iter()
                .map(|child| {
                    let child_name = self.instance(*child).name.as_str();
                    self.model(*child, Some(child_name), true, warnings)
                })
                .collect()
        } else {
            Vec::new()
        };
        json_model::document(ModelData {
            class_name: instance.class.as_str(),
            name,
            properties: self.rules.properties(instance, &[]),
            attributes,
            children,
        })
    }

    /// The instance's attributes plus a `Rojo_Ref_*` attribute for each Ref
    /// property, and warnings for Refs that point outside what is synced.
    fn attributes(&self, referent: Ref) -> (BTreeMap<String, JsonValue>, Vec<String>) {
        let instance = self.instance(referent);
        let mut attributes = self.rules.attributes(instance);
        let mut warnings = Vec::new();
        if self.rules.rules.ignore_referents {
            // `syncbackRules.ignoreReferents`: Ref properties are not written.
            return (attributes, warnings);
        }
        let mut refs: Vec<(&Ustr, Ref)> = instance
            .properties
            .iter()
            .filter_map(|(name, value)| match value {
                Variant::Ref(target) if target.is_some() => Some((name, *target)),
                _ => None,
            })
            .collect();
        refs.sort_by(|a, b| a.0.cmp(b.0));
        for (property, target) in refs {
            let source_segments = self.segments(referent);
            let target_segments = self.segments(target);
            match (source_segments, target_segments) {
                (Some(source), Some(target_path)) => {
                    let source: Vec<&str> = source.iter().map(String::as_str).collect();
                    let target_path: Vec<&str> = target_path.iter().map(String::as_str).collect();
                    attributes.insert(
                        format!("{REF_PREFIX}{property}"),
                        JsonValue::String(relative_path(&source, &target_path)),
                    );
                }
                _ => {
                    let target_name = match self.dom.get_by_ref(target) {
                        Some(_) => instance_path(self.dom, target),
                        None => self
                            .removed
                            .get(&target)
                            .cloned()
                            .unwrap_or_else(|| "an instance outside the place".to_owned()),
                    };
                    warnings.push(format!(
                        "{}: {property} points at {target_name}, which is not synced; the reference is not written",
                        instance_path(self.dom, referent)
                    ));
                }
            }
        }
        (attributes, warnings)
    }

    /// The segments from the root down to `referent`, if it was laid out.
    fn segments(&self, referent: Ref) -> Option<Vec<String>> {
        let mut segments = Vec::new();
        let mut current = referent;
        loop {
            let instance = self.dom.get_by_ref(current)?;
            if instance.parent().is_none() {
                break;
            }
            segments.push(self.layout.entries.get(&current)?.segment.clone());
            current = instance.parent();
        }
        segments.reverse();
        Some(segments)
    }
}

/// What a script's meta file leaves out: the source, and the RunContext of
/// a Script when the file's suffix gives it. (A LocalScript or ModuleScript
/// may carry a RunContext too; it is only a property there.)
fn script_skip(instance: &Instance, run_context_in_meta: bool) -> &'static [&'static str] {
    if instance.class == "Script" && !run_context_in_meta {
        &["Source", "RunContext"]
    } else {
        &["Source"]
    }
}

fn source(instance: &Instance) -> Vec<u8> {
    string_property(instance, "Source")
}

fn string_property(instance: &Instance, name: &str) -> Vec<u8> {
    match instance.properties.get(&Ustr::from(name)) {
        Some(Variant::String(s)) => s.as_bytes().to_vec(),
        Some(Variant::BinaryString(b)) => AsRef::<[u8]>::as_ref(b).to_vec(),
        _ => Vec::new(),
    }
}

/// Entries laid out as unchanged whose files hold a `Rojo_Ref_*` path
/// that no longer leads to its target in the layout being written (the
/// target, or a folder on the way, now has another name on disk): their
/// files must be written again. A path that still leads there stays as
/// it was written, whatever its form. `old_path(instance, attribute)` is
/// the path the instance's files hold now (`None`: the reference is not
/// held as a path).
pub fn stale_ref_paths(
    dom: &WeakDom,
    layout: &Layout,
    old_path: impl Fn(Ref, &str) -> Option<String>,
) -> Vec<Ref> {
    let segment = |r: Ref| layout.entries.get(&r).map(|e| e.segment.as_str());
    let holds_stale = |referent: Ref| {
        let Some(instance) = dom.get_by_ref(referent) else {
            return false;
        };
        instance.properties.iter().any(|(property, value)| {
            let Variant::Ref(target) = value else {
                return false;
            };
            if target.is_none() {
                return false;
            }
            old_path(referent, &format!("{REF_PREFIX}{property}"))
                .is_some_and(|old| resolve_path_in(dom, referent, &old, segment) != Some(*target))
        })
    };
    let mut stale = Vec::new();
    for (referent, entry) in &layout.entries {
        if !entry.unchanged {
            continue;
        }
        let found = match entry.home {
            // The whole subtree is in the file.
            Home::Model {
                embed_children: true,
                ..
            } => dom
                .descendants_of(*referent)
                .any(|i| holds_stale(i.referent())),
            Home::Model { .. }
            | Home::Folder { .. }
            | Home::Script { .. }
            | Home::Text { .. }
            | Home::Csv { .. }
            | Home::Data { .. } => holds_stale(*referent),
            _ => false,
        };
        if found {
            stale.push(*referent);
        }
    }
    stale
}
