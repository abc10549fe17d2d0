//! Trims the new DOM down to what is synced, before anything is laid out.
//!
//! In order: every class must be one Atlas knows; under a DataModel, only
//! the 14 visible services are kept (plus services the project names) and
//! visible services the place lacks are created empty, so a place and the
//! same place sent from Studio give the same files; the Workspace camera is
//! dropped unless `syncCurrentCamera`; `ignoreClasses` and `ignoreTrees`
//! remove instances. What was removed is remembered so references to it can
//! be reported by path.

use std::collections::HashMap;

use globset::GlobMatcher;
use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, InstanceBuilder, WeakDom};

use super::properties::is_default;
use super::{SyncbackError, VISIBLE_SERVICES};
use crate::project::{Project, SyncbackRules};
use crate::reflection;
use crate::snapshot::refs::instance_path;

/// What `prepare` removed, by referent, with the path it had.
pub(super) type Removed = HashMap<Ref, String>;

/// Instances and properties of `referent`'s subtree that are not defaults.
fn content(dom: &WeakDom, referent: Ref) -> (usize, usize) {
    let mut instances = 0;
    let mut properties = 0;
    let mut stack = vec![referent];
    while let Some(current) = stack.pop() {
        let Some(instance) = dom.get_by_ref(current) else {
            continue;
        };
        if current != referent {
            instances += 1;
        }
        properties += instance
            .properties
            .iter()
            .filter(|(name, value)| !is_default(instance.class, **name, value))
            .count();
        stack.extend_from_slice(instance.children());
    }
    (instances, properties)
}

/// Trims `dom` to what is synced. Returns what was removed, and one line per
/// kind of data the place holds that will not be written (for the summary).
pub(super) fn prepare(
    dom: &mut WeakDom,
    project: &Project,
    rules: &SyncbackRules,
) -> Result<(Removed, Vec<String>), SyncbackError> {
    for instance in dom.descendants() {
        if reflection::class(&instance.class).is_none() {
            return Err(SyncbackError::UnknownClass {
                instance: instance_path(dom, instance.referent()),
                class: instance.class.to_string(),
            });
        }
    }

    let mut removed = Removed::new();
    let mut left_out = Vec::new();
    let root = dom.root_ref();
    let root_is_place = dom.root().class == "DataModel";

    if root_is_place
        && project
            .ignore_hidden_services
            .or(rules.ignore_hidden_services)
            .unwrap_or(true)
    {
        let declared = &project.tree.children;
        let hidden: Vec<Ref> = dom
            .root()
            .children()
            .iter()
            .copied()
            .filter(|r| {
                let name = dom
                    .get_by_ref(*r)
                    .map(|i| i.name.as_str())
                    .unwrap_or_default();
                !VISIBLE_SERVICES.contains(&name) && !declared.contains_key(name)
            })
            .collect();
        for referent in hidden {
            let (instances, properties) = content(dom, referent);
            if instances + properties > 0 {
                let name = dom
                    .get_by_ref(referent)
                    .map(|i| i.name.to_string())
                    .unwrap_or_default();
                left_out.push(format!(
                    "not written: {name} ({instances} instance(s), {properties} property value(s)); only the visible services are synced, name it in the project to keep it"
                ));
            }
            destroy(dom, referent, &mut removed);
        }
        for service in VISIBLE_SERVICES {
            let present = dom
                .root()
                .children()
                .iter()
                .any(|r| dom.get_by_ref(*r).is_some_and(|i| i.name == service));
            if !present {
                dom.insert(root, InstanceBuilder::new(service).with_name(service));
            }
        }
    }

    if root_is_place && !rules.sync_current_camera {
        let workspace = dom
            .root()
            .children()
            .iter()
            .copied()
            .find(|r| dom.get_by_ref(*r).is_some_and(|i| i.class == "Workspace"));
        if let Some(workspace) = workspace {
            let camera = match dom
                .get_by_ref(workspace)
                .and_then(|w| w.properties.get(&ustr("CurrentCamera")))
            {
                Some(Variant::Ref(camera)) => Some(*camera),
                _ => None,
            };
            if let Some(ws) = dom.get_by_ref_mut(workspace) {
                ws.properties.remove(&ustr("CurrentCamera"));
            }
            if let Some(camera) = camera {
                let inside = dom
                    .get_by_ref(camera)
                    .is_some_and(|c| c.parent() == workspace);
                if inside {
                    left_out.push(format!(
                        "not written: the camera ({}); set syncbackRules.syncCurrentCamera to keep it",
                        instance_path(dom, camera)
                    ));
                    destroy(dom, camera, &mut removed);
                }
            }
        }
    }

    if !rules.ignore_classes.is_empty() {
        let doomed: Vec<Ref> = dom
            .descendants()
            .filter(|i| {
                i.referent() != root && rules.ignore_classes.iter().any(|c| c == i.class.as_str())
            })
            .map(|i| i.referent())
            .collect();
        if !doomed.is_empty() {
            left_out.push(format!(
                "not written: {} instance(s) of syncbackRules.ignoreClasses ({})",
                doomed.len(),
                rules.ignore_classes.join(", ")
            ));
        }
        for referent in doomed {
            destroy(dom, referent, &mut removed);
        }
    }

    compact(dom);

    if !rules.ignore_trees.is_empty() {
        let matchers = TreeMatchers::new(&rules.ignore_trees);
        let doomed: Vec<Ref> = dom
            .descendants()
            .filter(|i| i.referent() != root && matchers.matches(&tree_path(dom, i.referent())))
            .map(|i| i.referent())
            .collect();
        for referent in doomed {
            destroy(dom, referent, &mut removed);
        }
    }

    Ok((removed, left_out))
}

/// Drops every property exactly equal to its class default (none is written)
/// and shrinks the property maps: a decoded place holds every property of
/// every instance, and most are defaults.
fn compact(dom: &mut WeakDom) {
    use rayon::prelude::*;
    let referents: Vec<Ref> = dom.descendants().map(|i| i.referent()).collect();
    // Find the defaults in parallel; removing them needs the tree mutably.
    let doomed: Vec<(Ref, Vec<rbx_dom_weak::Ustr>)> = {
        let dom = &*dom;
        referents
            .par_iter()
            .filter_map(|r| {
                let instance = dom.get_by_ref(*r)?;
                let names: Vec<_> = instance
                    .properties
                    .iter()
                    .filter(|(name, value)| is_default(instance.class, **name, value))
                    .map(|(name, _)| *name)
                    .collect();
                (!names.is_empty()).then_some((*r, names))
            })
            .collect()
    };
    for (referent, names) in doomed {
        if let Some(instance) = dom.get_by_ref_mut(referent) {
            for name in names {
                instance.properties.remove(&name);
            }
            instance.properties.shrink_to_fit();
        }
    }
}

/// Removes an instance and its subtree, remembering their paths.
fn destroy(dom: &mut WeakDom, referent: Ref, removed: &mut Removed) {
    if dom.get_by_ref(referent).is_none() {
        return; // already gone with an ancestor
    }
    let subtree: Vec<Ref> = dom.descendants_of(referent).map(|i| i.referent()).collect();
    for r in subtree {
        removed.insert(r, instance_path(dom, r));
    }
    dom.destroy(referent);
}

/// The path `ignoreTrees` matches: names from the root's child down, joined
/// by `/`, with a `/` inside a name written `\/`.
pub(super) fn tree_path(dom: &WeakDom, referent: Ref) -> String {
    let mut names = Vec::new();
    let mut current = referent;
    while let Some(instance) = dom.get_by_ref(current) {
        if instance.parent().is_none() {
            break;
        }
        names.push(instance.name.replace('/', "\\/"));
        current = instance.parent();
    }
    names.reverse();
    names.join("/")
}

/// `ignoreTrees` entries: globs, or plain prefixes when not valid globs.
pub(super) struct TreeMatchers {
    globs: Vec<GlobMatcher>,
    prefixes: Vec<String>,
}

impl TreeMatchers {
    pub fn new(patterns: &[String]) -> Self {
        let mut globs = Vec::new();
        let mut prefixes = Vec::new();
        // `X/**` also means X itself, as for `ignorePaths`.
        let with_dirs = patterns
            .iter()
            .filter_map(|p| p.strip_suffix("/**").map(str::to_owned));
        let all: Vec<String> = patterns.iter().cloned().chain(with_dirs).collect();
        for pattern in &all {
            match globset::Glob::new(pattern) {
                Ok(glob) => globs.push(glob.compile_matcher()),
                Err(_) => prefixes.push(pattern.clone()),
            }
        }
        TreeMatchers { globs, prefixes }
    }

    pub fn matches(&self, path: &str) -> bool {
        self.globs.iter().any(|g| g.is_match(path))
            || self.prefixes.iter().any(|p| path.starts_with(p.as_str()))
    }
}
