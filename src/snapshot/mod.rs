//! Instances described by files, before they become a tree.
//!
//! The read path is: `formats` turns files into an [`InstanceSnapshot`] (a
//! plain tree of name, class, properties and children, plus where each
//! instance came from); [`InstanceTree`] turns that into an `rbx_dom_weak`
//! tree that keeps the origin of every instance; [`refs`] then resolves the
//! `Rojo_Ref_*` attributes into real Ref properties, which needs the whole
//! tree. Nothing here touches the disk.

mod context;
pub mod patch;
pub mod ref_reads;
pub mod refs;
mod tree;

use std::path::PathBuf;
use std::sync::Arc;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Ustr, UstrMap};

pub use context::{InstanceContext, ProjectLink};
pub use tree::{InstanceTree, PathIndex};

/// What defined an instance: a file or folder, or a node of a project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstigatingSource {
    Path(PathBuf),
    ProjectNode {
        /// The project file.
        project: PathBuf,
        /// Node names from the project's root, joined with `/`.
        node_path: String,
    },
}

/// Everything Atlas knows about an instance beyond its DOM data.
#[derive(Debug, Clone)]
pub struct InstanceMetadata {
    /// Children the files don't describe may stay (live sync).
    pub ignore_unknown_instances: bool,
    pub instigating_source: Option<InstigatingSource>,
    /// Every path whose change can change this instance.
    pub relevant_paths: Vec<PathBuf>,
    /// The file or folder name that stands for this instance inside its
    /// parent folder (`Part~2.model.json5`, `Model`), or the node key for
    /// project nodes. `Rojo_Ref_*` paths are made of these.
    pub fs_name: Option<String>,
    /// An id given by meta `id`, model `id` or project `$id`, for legacy
    /// `Rojo_Target_*` references.
    pub specified_id: Option<String>,
    /// True when the name came from a `name` field rather than the file name.
    pub specified_name: bool,
    /// The `Rojo_Ref_*`, `Rojo_Target_*` and `Rojo_Id` attributes the files
    /// gave, taken off the instance when it enters an [`InstanceTree`];
    /// [`refs`] turns them into Ref properties.
    pub ref_attributes: Vec<(String, Variant)>,
    pub context: Arc<InstanceContext>,
}

impl InstanceMetadata {
    pub fn new(context: Arc<InstanceContext>) -> Self {
        InstanceMetadata {
            ignore_unknown_instances: false,
            instigating_source: None,
            relevant_paths: Vec::new(),
            fs_name: None,
            specified_id: None,
            specified_name: false,
            ref_attributes: Vec::new(),
            context,
        }
    }
}

#[derive(Debug, Clone)]
pub struct InstanceSnapshot {
    /// The instance's referent in the file it came from (model files), so
    /// Ref properties inside that file keep pointing at the right instance.
    /// `Ref::none()` for everything else.
    pub snapshot_id: Ref,
    pub name: String,
    pub class_name: Ustr,
    pub properties: UstrMap<Variant>,
    pub children: Vec<InstanceSnapshot>,
    pub metadata: InstanceMetadata,
}

impl InstanceSnapshot {
    pub fn new(
        class_name: impl Into<Ustr>,
        name: impl Into<String>,
        context: Arc<InstanceContext>,
    ) -> Self {
        InstanceSnapshot {
            snapshot_id: Ref::none(),
            name: name.into(),
            class_name: class_name.into(),
            properties: UstrMap::default(),
            children: Vec::new(),
            metadata: InstanceMetadata::new(context),
        }
    }

    /// The number of instances in this subtree.
    pub fn count(&self) -> usize {
        1 + self
            .children
            .iter()
            .map(InstanceSnapshot::count)
            .sum::<usize>()
    }
}
