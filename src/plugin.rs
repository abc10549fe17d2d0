//! The Studio plugin embedded in the binary (`build.rs` packs `plugin/`),
//! built into a model with the same code as `atlas build plugin`, and where
//! Studio looks for plugins.

use std::path::{Path, PathBuf};

use rbx_dom_weak::WeakDom;

use crate::build::{load_tree, write_output, BuildError};
use crate::dom_file::{Container, DomFileKind};
use crate::formats::SnapshotError;
use crate::vfs::MemoryVfs;

include!(concat!(env!("OUT_DIR"), "/plugin_files.rs"));

/// The file name the plugin is installed as.
pub const FILE_NAME: &str = "Atlas.rbxm";

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("the embedded plugin does not build: {0}")]
    Build(#[from] SnapshotError),
    #[error(transparent)]
    Write(#[from] BuildError),
    #[error("{0}: the plugin must be written as .rbxm or .rbxmx")]
    NotAModel(PathBuf),
    #[error("Roblox Studio's plugins folder is unknown on this system; give a file with --output")]
    NoPluginsFolder,
}

/// The embedded plugin's tree (root: the plugin's Script).
pub fn model() -> Result<WeakDom, PluginError> {
    let root = Path::new("/atlas-plugin");
    let vfs = MemoryVfs::new(root, PLUGIN_FILES.iter().copied());
    let loaded = load_tree(&vfs, &root.join("default.project.json5"))?;
    Ok(loaded.tree.into_dom())
}

/// Writes the plugin model to `output` (.rbxm or .rbxmx).
pub fn write(output: &Path) -> Result<(), PluginError> {
    let kind = match DomFileKind::from_path(output) {
        Some(kind) if kind.container == Container::Model => kind,
        _ => return Err(PluginError::NotAModel(output.to_path_buf())),
    };
    let dom = model()?;
    write_output(&dom, output, kind)?;
    Ok(())
}

/// Studio's plugins folder: `%LOCALAPPDATA%\Roblox\Plugins` on Windows,
/// `~/Documents/Roblox/Plugins` on macOS.
pub fn plugins_folder() -> Result<PathBuf, PluginError> {
    if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA")
            .map(|dir| PathBuf::from(dir).join("Roblox").join("Plugins"))
            .ok_or(PluginError::NoPluginsFolder)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME")
            .map(|dir| PathBuf::from(dir).join("Documents/Roblox/Plugins"))
            .ok_or(PluginError::NoPluginsFolder)
    } else {
        Err(PluginError::NoPluginsFolder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_plugin_builds_without_specs_or_test_helpers() {
        let dom = model().unwrap();
        let root = dom.root();
        assert_eq!(root.name, "Atlas");
        assert_eq!(root.class, "Script");
        let names: Vec<&str> = dom.descendants().map(|i| i.name.as_str()).collect();
        assert!(names.contains(&"Session"), "{names:?}");
        assert!(names.contains(&"Version"), "{names:?}");
        assert!(!names.iter().any(|n| n.ends_with(".spec")), "{names:?}");
        assert!(!names.contains(&"testing"), "{names:?}");
    }

    #[test]
    fn only_models_are_written() {
        assert!(matches!(
            write(Path::new("Atlas.rbxl")),
            Err(PluginError::NotAModel(_))
        ));
    }
}
