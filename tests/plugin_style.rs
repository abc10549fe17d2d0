//! The plugin's Luau is formatted with StyLua (its Luau syntax, the
//! settings in `plugin/stylua.toml`; generated modules apart) and every
//! module starts `--!strict`.
//! `ATLAS_FORMAT_PLUGIN=1 cargo test --test plugin_style` formats in place.

use std::path::{Path, PathBuf};

use stylua_lib::{CallParenType, Config, IndentType, LineEndings, OutputVerification, QuoteStyle};

fn luau_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            luau_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "luau") {
            out.push(path);
        }
    }
}

fn config() -> Config {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin/stylua.toml"))
            .unwrap();
    let value = |key: &str| -> String {
        text.lines()
            .find_map(|line| {
                line.strip_prefix(key)?
                    .trim()
                    .strip_prefix('=')
                    .map(|v| v.trim().trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("plugin/stylua.toml has no {key}"))
    };
    let mut config = Config::new();
    config.column_width = value("column_width").parse().unwrap();
    config.indent_width = value("indent_width").parse().unwrap();
    assert_eq!(value("indent_type"), "Tabs");
    config.indent_type = IndentType::Tabs;
    assert_eq!(value("line_endings"), "Unix");
    config.line_endings = LineEndings::Unix;
    assert_eq!(value("quote_style"), "AutoPreferDouble");
    config.quote_style = QuoteStyle::AutoPreferDouble;
    assert_eq!(value("call_parentheses"), "Always");
    config.call_parentheses = CallParenType::Always;
    config.syntax = stylua_lib::LuaVersion::Luau;
    config
}

#[test]
fn plugin_luau_is_formatted_and_strict() {
    let mut files = Vec::new();
    luau_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin/src"),
        &mut files,
    );
    files.sort();
    assert!(files.len() > 20, "found only {} Luau files", files.len());
    let config = config();
    let fix = std::env::var_os("ATLAS_FORMAT_PLUGIN").is_some();
    let mut problems = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string();
        if !source.starts_with("--!strict\n") {
            problems.push(format!("{name}: does not start with --!strict"));
        }
        if source.contains("\n-- Generated from ") {
            continue; // written by a test, one entry per line
        }
        match stylua_lib::format_code(&source, config, None, OutputVerification::None) {
            Ok(formatted) if formatted == source => {}
            Ok(formatted) => {
                if fix {
                    std::fs::write(&file, formatted).unwrap();
                } else {
                    problems.push(format!("{name}: not formatted (ATLAS_FORMAT_PLUGIN=1 cargo test --test plugin_style)"));
                }
            }
            Err(e) => problems.push(format!("{name}: does not parse as Luau: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
