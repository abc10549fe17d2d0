//! `atlas plugin install [--output FILE]` and `atlas plugin uninstall`

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::plugin;

#[derive(Debug, Args)]
pub struct PluginCommand {
    #[command(subcommand)]
    pub action: PluginAction,
}

#[derive(Debug, Subcommand)]
pub enum PluginAction {
    /// Put the Atlas plugin (of this Atlas version) into Roblox Studio's
    /// plugins folder, or write it to a file.
    Install {
        /// Write the plugin here (.rbxm or .rbxmx) instead of Studio's
        /// plugins folder.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Remove the Atlas plugin from Roblox Studio's plugins folder.
    Uninstall {
        /// Remove this file instead.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn target(output: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match output {
        Some(path) => Ok(path),
        None => Ok(plugin::plugins_folder()?.join(plugin::FILE_NAME)),
    }
}

impl PluginCommand {
    pub fn run(self) -> anyhow::Result<()> {
        match self.action {
            PluginAction::Install { output } => {
                let path = target(output)?;
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("could not create {}", parent.display()))?;
                }
                plugin::write(&path).with_context(|| {
                    format!("could not install the plugin at {}", path.display())
                })?;
                println!(
                    "Installed the Atlas {} plugin at {}; restart Studio or reload plugins to use it",
                    env!("CARGO_PKG_VERSION"),
                    path.display()
                );
            }
            PluginAction::Uninstall { output } => {
                let path = target(output)?;
                match std::fs::remove_file(&path) {
                    Ok(()) => println!("Removed the Atlas plugin from {}", path.display()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        println!("The Atlas plugin is not installed at {}", path.display())
                    }
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("could not remove {}", path.display()))
                    }
                }
            }
        }
        Ok(())
    }
}
