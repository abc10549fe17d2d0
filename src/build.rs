//! Project folder → instance tree → place or model file.
//!
//! [`load_tree`] is the whole read path (project file, every format, Ref
//! resolution); [`build`] adds the output file. The dev server and syncback
//! read projects through `load_tree` too.

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::atomic_write::write_atomic;
use crate::dom_file::{self, Container, DomFileError, DomFileKind};
use crate::formats::{snapshot_project_file, SnapshotError};
use crate::project::{Project, ProjectError};
use crate::snapshot::refs::{resolve_refs, RefWarning};
use crate::snapshot::{InstanceContext, InstanceTree};
use crate::vfs::Vfs;
use rbx_dom_weak::WeakDom;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Project(#[from] ProjectError),

    #[error(transparent)]
    Snapshot(#[from] SnapshotError),

    #[error("{}: the output must end in .rbxl, .rbxlx, .rbxm or .rbxmx", path.display())]
    UnknownOutputKind { path: PathBuf },

    #[error("{}: {source}", path.display())]
    Encode { path: PathBuf, source: DomFileError },

    #[error("{}: could not write the output: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// A project read into a tree.
pub struct LoadedTree {
    pub project_file: PathBuf,
    pub tree: InstanceTree,
    /// `Rojo_Ref_*` / `Rojo_Target_*` attributes that matched nothing.
    pub ref_warnings: Vec<RefWarning>,
}

/// Reads the project at `project_file` and everything it includes.
pub fn load_tree(vfs: &dyn Vfs, project_file: &Path) -> Result<LoadedTree, SnapshotError> {
    let start = Instant::now();
    let snapshot = snapshot_project_file(&InstanceContext::default(), vfs, project_file, None)?;
    log::debug!("read the project's files in {:.1?}", start.elapsed());
    let start = Instant::now();
    let mut tree = InstanceTree::new(snapshot);
    let ref_warnings = resolve_refs(&mut tree);
    log::debug!(
        "built the tree and resolved refs in {:.1?}",
        start.elapsed()
    );
    Ok(LoadedTree {
        project_file: project_file.to_path_buf(),
        tree,
        ref_warnings,
    })
}

/// Encodes `dom` as `kind` (a place holds the root's children, a model the
/// root) and writes it to `output` through a temporary file.
pub fn write_output(dom: &WeakDom, output: &Path, kind: DomFileKind) -> Result<(), BuildError> {
    let roots = match kind.container {
        Container::Place => {
            if dom.root().class != "DataModel" {
                log::warn!(
                    "the project's root is a {}, not a DataModel; the place will hold its children",
                    dom.root().class
                );
            }
            dom.root().children().to_vec()
        }
        Container::Model => {
            if dom.root().class == "DataModel" {
                log::warn!(
                    "the project's root is a DataModel; the model will hold the DataModel itself, which Studio cannot insert; build a .rbxl or .rbxlx for a place"
                );
            }
            vec![dom.root_ref()]
        }
    };

    let start = Instant::now();
    let mut encoded = Vec::new();
    dom_file::write(&mut encoded, dom, &roots, kind.encoding).map_err(|source| {
        BuildError::Encode {
            path: output.to_path_buf(),
            source,
        }
    })?;
    write_atomic(output, |file| {
        use std::io::Write;
        let mut writer = BufWriter::new(file);
        writer.write_all(&encoded)?;
        writer.flush()
    })
    .map_err(|source| BuildError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    log::debug!(
        "encoded and wrote {} bytes in {:.1?}",
        encoded.len(),
        start.elapsed()
    );
    Ok(())
}

pub struct BuildSummary {
    pub project_file: PathBuf,
    pub output: PathBuf,
    pub instances: usize,
    pub ref_warnings: Vec<RefWarning>,
}

/// Builds the project at `project` (a project file, or a folder holding
/// `default.project.json5`/`.json`) into `output`. The output kind comes from
/// its extension. Nothing is written unless the whole build succeeds.
pub fn build(vfs: &dyn Vfs, project: &Path, output: &Path) -> Result<BuildSummary, BuildError> {
    let kind = DomFileKind::from_path(output).ok_or_else(|| BuildError::UnknownOutputKind {
        path: output.to_path_buf(),
    })?;
    let project_file = Project::locate(project)?;
    let loaded = load_tree(vfs, &project_file)?;
    for warning in &loaded.ref_warnings {
        log::warn!("{warning}");
    }

    write_output(loaded.tree.dom(), output, kind)?;

    let instances = loaded.tree.len();
    // Freeing a large tree takes a while and nothing waits for it.
    let tree = loaded.tree;
    std::thread::spawn(move || drop(tree));

    Ok(BuildSummary {
        project_file,
        output: output.to_path_buf(),
        instances,
        ref_warnings: loaded.ref_warnings,
    })
}
