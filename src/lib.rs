//! Atlas keeps a Roblox game as ordinary files and turns them into places.
//!
//! See `ARCHITECTURE.md` for the map of modules and the rules between them.

pub mod atomic_write;
pub mod build;
pub mod cli;
pub mod dom_file;
pub mod formats;
pub mod init;
pub mod json;
pub mod memory;
pub mod plugin;
pub mod project;
pub mod reflection;
pub mod schemas;
pub mod serve;
pub mod snapshot;
pub mod sourcemap;
pub mod syncback;
pub mod timing;
pub mod value;
pub mod vfs;
pub mod web;
