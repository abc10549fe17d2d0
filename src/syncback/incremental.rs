//! Incremental mode: what is on disk now, so instances already there keep
//! their files.
//!
//! The project as it is on disk is read into a tree first. Every instance of
//! the new DOM is paired with the old instance it continues, top down, in one
//! pass per folder: the k-th child named `X` of class `C` pairs with the k-th
//! old child named `X` of class `C` of the paired parent. The layout then
//! keeps a paired instance in the file or folder that holds it now when that
//! format can still hold it (`keep`), and [`super::unchanged`] tells whether
//! its files need writing at all. Names of old instances that did not pair
//! stay reserved, so nothing is renamed onto them, and only files the old
//! tree read may be removed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{Ustr, WeakDom};

use crate::formats::names::{Shape, TakenNames};
use crate::snapshot::{InstanceMetadata, InstanceTree, InstigatingSource};
use crate::vfs::{EntryKind, Vfs};

struct OldEntry {
    old: Ref,
    fs_name: String,
    is_dir: bool,
}

pub(super) struct Previous<'a> {
    tree: &'a InstanceTree,
    /// New referent → the old referent it continues.
    pairs: HashMap<Ref, Ref>,
    /// The old tree as a built place file holds it (see [`Stored`]).
    stored: Stored,
    /// Old referents some new instance continues.
    paired_old: HashSet<Ref>,
    /// The old instances read from each folder's entries.
    by_dir: HashMap<PathBuf, Vec<OldEntry>>,
    /// Every file and folder the old tree was read from, with its kind.
    known_paths: HashMap<PathBuf, EntryKind>,
}

impl<'a> Previous<'a> {
    pub fn new(tree: &'a InstanceTree, vfs: &dyn Vfs, dom: &WeakDom) -> Previous<'a> {
        Previous::over(tree, vfs, dom, tree.dom())
    }

    /// [`Previous::new`] over `old`: the whole old tree, or (a scoped
    /// syncback, see [`super::syncback_scoped`]) part of it, copied with its
    /// referents. Only instances of `old` are paired, compared and known.
    pub fn over(
        tree: &'a InstanceTree,
        vfs: &dyn Vfs,
        dom: &WeakDom,
        old: &WeakDom,
    ) -> Previous<'a> {
        let mut by_dir: HashMap<PathBuf, Vec<OldEntry>> = HashMap::new();
        let mut known_paths = HashMap::new();
        for instance in old.descendants() {
            let Some(metadata) = tree.metadata(instance.referent()) else {
                continue;
            };
            for path in &metadata.relevant_paths {
                if let Ok(kind) = vfs.kind(path) {
                    known_paths.insert(path.clone(), kind);
                }
            }
            let (Some(InstigatingSource::Path(path)), Some(fs_name)) =
                (&metadata.instigating_source, &metadata.fs_name)
            else {
                continue;
            };
            let Some(dir) = path.parent() else { continue };
            let is_dir = known_paths.get(path) == Some(&EntryKind::Dir);
            by_dir.entry(dir.to_path_buf()).or_default().push(OldEntry {
                old: instance.referent(),
                fs_name: fs_name.clone(),
                is_dir,
            });
        }
        let pairs = pair(dom, old);
        let paired_old = pairs.values().copied().collect();
        let stored = Stored::new(old, dom.root().class == "DataModel", &pairs);
        Previous {
            tree,
            pairs,
            stored,
            paired_old,
            by_dir,
            known_paths,
        }
    }

    /// True if the old tree was read from `path`: only such paths are removed
    /// in incremental mode.
    pub fn knows(&self, path: &Path) -> bool {
        self.known_paths.contains_key(path)
    }

    /// Every file and folder the old tree was read from, with its kind.
    pub fn known(&self) -> impl Iterator<Item = (&Path, EntryKind)> {
        self.known_paths
            .iter()
            .map(|(path, kind)| (path.as_path(), *kind))
    }

    /// True if the old tree was read from the file (not folder) `path`.
    pub fn knows_file(&self, path: &Path) -> bool {
        self.known_paths.get(path) == Some(&EntryKind::File)
    }

    /// The old instance `new` continues, if any.
    /// The path the files of `new`'s old instance hold in the reference
    /// attribute `attribute` (`Rojo_Ref_Value`), if any.
    pub fn old_ref_path(&self, new: Ref, attribute: &str) -> Option<String> {
        let old = self.pairs.get(&new)?;
        let metadata = self.tree.metadata(*old)?;
        metadata
            .ref_attributes
            .iter()
            .find(|(name, _)| name == attribute)
            .and_then(|(_, value)| match value {
                rbx_dom_weak::types::Variant::String(path) => Some(path.clone()),
                _ => None,
            })
    }

    /// True if the old instance `old` has children.
    pub fn has_children(&self, old: Ref) -> bool {
        self.tree
            .dom()
            .get_by_ref(old)
            .is_some_and(|i| !i.children().is_empty())
    }

    pub fn old_of(&self, new: Ref) -> Option<Ref> {
        self.pairs.get(&new).copied()
    }

    /// The old tree as a built file holds it, and new referent → its
    /// referent there.
    pub fn stored(&self) -> (&WeakDom, &HashMap<Ref, Ref>) {
        match &self.stored.dom {
            Some(dom) => (dom, &self.stored.pairs),
            None => (self.tree.dom(), &self.pairs),
        }
    }

    pub fn metadata(&self, old: Ref) -> Option<&'a InstanceMetadata> {
        self.tree.metadata(old)
    }

    /// The file or folder an old instance was read from, when it is an
    /// entry of `dir` (not a project node, not inside a model file).
    pub fn entry_path(&self, old: Ref, dir: &Path) -> Option<(&'a Path, &'a str)> {
        let metadata = self.metadata(old)?;
        let Some(InstigatingSource::Path(path)) = &metadata.instigating_source else {
            return None;
        };
        let fs_name = metadata.fs_name.as_deref()?;
        (path.parent() == Some(dir)).then_some((path.as_path(), fs_name))
    }

    /// The files and folders of old instances that syncback leaves out of
    /// the new DOM on purpose (`removed`: hidden services, the camera,
    /// `ignoreClasses`), found by their paths: they stay as they are.
    pub fn left_out_paths(&self, removed: &HashMap<Ref, String>) -> Vec<PathBuf> {
        let dom = self.tree.dom();
        let mut out = Vec::new();
        for path in removed.values() {
            let mut current = dom.root_ref();
            for segment in path.split('/') {
                let found = dom.get_by_ref(current).and_then(|instance| {
                    instance
                        .children()
                        .iter()
                        .copied()
                        .find(|c| dom.get_by_ref(*c).is_some_and(|i| i.name == segment))
                });
                match found {
                    Some(child) => current = child,
                    None => {
                        current = Ref::none();
                        break;
                    }
                }
            }
            if let Some(metadata) = current.is_some().then(|| self.metadata(current)).flatten() {
                out.extend(
                    metadata
                        .relevant_paths
                        .iter()
                        .filter(|p| self.knows(p))
                        .cloned(),
                );
            }
        }
        out
    }

    /// Reserves the names of old instances in `dir` that no new instance
    /// continues, so nothing new is written onto them.
    pub fn seed_unmatched(&self, dir: &Path, taken: &mut TakenNames) {
        let Some(old) = self.by_dir.get(dir) else {
            return;
        };
        for entry in old.iter().filter(|e| !self.paired_old.contains(&e.old)) {
            let shape = if entry.is_dir {
                Shape::Dir
            } else {
                Shape::File {
                    extension: "",
                    with_meta: false,
                }
            };
            taken.reserve(&entry.fs_name, shape);
        }
    }
}

/// The old tree written to a binary file and read back: values as a build
/// of the files gives them to Studio (a Part's `Color3` as `Color3uint8`, a
/// migrated property under its new name, attributes in their stored
/// types). The new DOM, which comes from a place, is compared with this, so
/// a file is "unchanged" exactly when building it gives the place's values.
struct Stored {
    /// `None` if the old tree could not be written (then the old tree
    /// itself is compared).
    dom: Option<WeakDom>,
    /// New referent → referent in `dom`.
    pairs: HashMap<Ref, Ref>,
}

impl Stored {
    fn new(old: &WeakDom, place: bool, pairs: &HashMap<Ref, Ref>) -> Stored {
        let roots = if place {
            old.root().children().to_vec()
        } else {
            vec![old.root_ref()]
        };
        // Old referent -> stored referent.
        let Ok((dom, to_stored)) = crate::dom_file::binary_copy(old, &roots) else {
            return Stored::unavailable();
        };
        let pairs = pairs
            .iter()
            .filter_map(|(new, old)| to_stored.get(old).map(|s| (*new, *s)))
            .collect();
        Stored {
            dom: Some(dom),
            pairs,
        }
    }

    fn unavailable() -> Stored {
        Stored {
            dom: None,
            pairs: HashMap::new(),
        }
    }
}

/// Pairs every instance of `new` with the old instance it continues: the
/// roots, then children by name and class in order, one pass per parent.
fn pair(new: &WeakDom, old: &WeakDom) -> HashMap<Ref, Ref> {
    let mut pairs = HashMap::new();
    let mut stack = vec![(new.root_ref(), old.root_ref())];
    while let Some((new_ref, old_ref)) = stack.pop() {
        pairs.insert(new_ref, old_ref);
        let (Some(new_instance), Some(old_instance)) =
            (new.get_by_ref(new_ref), old.get_by_ref(old_ref))
        else {
            continue;
        };
        let mut groups: HashMap<(&str, Ustr), VecDeque<Ref>> = HashMap::new();
        for child in old_instance.children() {
            if let Some(instance) = old.get_by_ref(*child) {
                groups
                    .entry((instance.name.as_str(), instance.class))
                    .or_default()
                    .push_back(*child);
            }
        }
        for child in new_instance.children() {
            let Some(instance) = new.get_by_ref(*child) else {
                continue;
            };
            if let Some(old_child) = groups
                .get_mut(&(instance.name.as_str(), instance.class))
                .and_then(VecDeque::pop_front)
            {
                stack.push((*child, old_child));
            }
        }
    }
    pairs
}
