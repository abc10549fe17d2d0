//! Decodes a place or model file as `atlas syncback` does, and does nothing
//! else: the floor of syncback's time and memory (the decoder and the DOM
//! it builds). `bench/syncback_bench.py` measures it beside each syncback.
//!
//! usage: cargo run --release --example decode_floor -- FILE

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: decode_floor FILE");
        return ExitCode::FAILURE;
    };
    let Some(kind) = atlas::dom_file::DomFileKind::from_path(&path) else {
        eprintln!("{}: not a place or model file", path.display());
        return ExitCode::FAILURE;
    };
    let decoded = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| atlas::dom_file::read(&bytes, kind.encoding).map_err(|e| e.to_string()));
    match decoded {
        Ok(dom) => {
            println!("{} instances", dom.descendants().count());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}: {error}", path.display());
            ExitCode::FAILURE
        }
    }
}
