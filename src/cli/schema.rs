//! `atlas schema project|meta|model`

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::schemas::SchemaKind;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Which {
    /// `*.project.json5` (and `.project.json`)
    Project,
    /// `*.meta.json5`, `init.meta.json5` (and `.json`)
    Meta,
    /// `*.model.json5` (and `.model.json`)
    Model,
}

#[derive(Debug, Args)]
pub struct SchemaCommand {
    /// Which file's schema to print.
    #[arg(value_enum)]
    pub which: Which,
}

impl SchemaCommand {
    pub fn run(self) -> anyhow::Result<()> {
        let kind = match self.which {
            Which::Project => SchemaKind::Project,
            Which::Meta => SchemaKind::Meta,
            Which::Model => SchemaKind::Model,
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(kind.text().as_bytes())?;
        stdout.flush()?;
        Ok(())
    }
}
