//! `atlas sourcemap [PROJECT] [-o FILE] [--include-non-scripts] [--absolute] [--watch]`

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::serve::ServeSession;
use crate::snapshot::InstanceTree;
use crate::sourcemap::{sourcemap, to_json, SourcemapOptions};
use crate::vfs::{StdVfs, Vfs};

#[derive(Debug, Args)]
pub struct SourcemapCommand {
    /// The project file, or a folder holding default.project.json5 (or .json).
    #[arg(default_value = ".")]
    pub project: PathBuf,

    /// Where to write the sourcemap (written whole, through a temporary
    /// file); without it, it is printed.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// List every instance, not only scripts and what holds them.
    #[arg(long)]
    pub include_non_scripts: bool,

    /// Give absolute file paths (relative to the current folder otherwise).
    #[arg(long)]
    pub absolute: bool,

    /// Keep running: write the sourcemap again after every change to the
    /// project's files (Ctrl-C to stop).
    #[arg(long)]
    pub watch: bool,
}

impl SourcemapCommand {
    pub fn run(self) -> anyhow::Result<()> {
        crate::reflection::preload();
        let options = SourcemapOptions {
            include_non_scripts: self.include_non_scripts,
            absolute: self.absolute,
            base: std::env::current_dir().context("could not read the current folder")?,
        };
        if self.watch {
            return self.watch(&options);
        }
        let project_file = crate::project::Project::locate(&self.project)
            .with_context(|| format!("could not read {}", self.project.display()))?;
        let loaded = crate::build::load_tree(&StdVfs, &project_file)
            .with_context(|| format!("could not read {}", project_file.display()))?;
        self.emit(&loaded.tree, &StdVfs, &options)
    }

    fn emit(
        &self,
        tree: &InstanceTree,
        vfs: &dyn Vfs,
        options: &SourcemapOptions,
    ) -> anyhow::Result<()> {
        let json = to_json(sourcemap(tree, vfs, options).as_ref());
        match &self.output {
            Some(path) => {
                crate::atomic_write::write_atomic(path, |file| file.write_all(&json))
                    .with_context(|| format!("could not write {}", path.display()))?;
            }
            None => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(&json)?;
                stdout.write_all(b"\n")?;
                stdout.flush()?;
            }
        }
        Ok(())
    }

    /// The dev server's session without the server: its tree follows the
    /// files, and each batch of changes writes the sourcemap again.
    fn watch(&self, options: &SourcemapOptions) -> anyhow::Result<()> {
        let session = ServeSession::new(&self.project)
            .with_context(|| format!("could not read {}", self.project.display()))?;
        super::watch::follow(&session, "Wrote", "Rewrote", |what| {
            let start = Instant::now();
            let tree = session.tree();
            match self.emit(&tree, &StdVfs, options) {
                Ok(()) => {
                    if let Some(path) = &self.output {
                        log::info!(
                            "{what} {} in {:.2}s",
                            path.display(),
                            start.elapsed().as_secs_f64()
                        );
                    }
                }
                Err(error) => log::error!("{error:#}"),
            }
        })
    }
}
