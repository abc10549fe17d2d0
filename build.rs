// Build script: embeds the Studio plugin's sources (plugin/) in the binary,
// so `atlas plugin install` builds the plugin of this very version. Specs
// and test helpers are left out, as `plugin/default.project.json5` leaves
// them out of `atlas build plugin`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let plugin = root.join("plugin");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=plugin");

    let version = std::fs::read_to_string(plugin.join("src/Version.txt"))
        .expect("plugin/src/Version.txt is readable");
    let crate_version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    if version.trim() != crate_version {
        panic!(
            "plugin/src/Version.txt says {} but Cargo.toml says {crate_version}: the plugin and the \
             server must have the same version; update Version.txt",
            version.trim()
        );
    }

    let mut files = vec![plugin.join("default.project.json5")];
    collect(&plugin.join("src"), &mut files);
    files.sort();

    let mut out = String::from(
        "/// The plugin's files (path relative to `plugin/`, contents).\n\
         pub static PLUGIN_FILES: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let relative = file
            .strip_prefix(&plugin)
            .expect("under plugin/")
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            file.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("plugin_files.rs"), out).expect("OUT_DIR is writable");
}

/// Every shipped file under `dir`: not specs, not `testing/`.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable folder entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            if name != "testing" {
                collect(&path, files);
            }
        } else if !name.ends_with(".spec.luau") {
            files.push(path);
        }
    }
}
