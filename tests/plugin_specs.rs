//! Every `*.spec.luau` beside the plugin's modules, run headless in an
//! embedded Luau with a Roblox DOM (see `plugin_harness`). One line per spec
//! case; the test fails listing every case that failed.

mod plugin_harness;

use mlua::prelude::*;
use plugin_harness::Harness;

#[test]
fn plugin_specs() {
    let harness = Harness::new();
    let spec = harness.require_table("testing/Spec");
    let run: LuaFunction = spec.get("run").unwrap();
    let require: LuaFunction = harness.lua.globals().get("require").unwrap();
    let specs = harness.specs();
    assert!(specs.len() >= 1, "only {} spec modules found", specs.len());

    let mut passed = 0;
    let mut failures = Vec::new();
    for (name, module) in specs {
        let body = match require.call::<LuaValue>(harness.instance_value(module)) {
            Ok(body) => body,
            Err(e) => {
                failures.push(format!("{name}: does not load: {e}"));
                continue;
            }
        };
        let results: Vec<LuaTable> = run
            .call((name.clone(), body))
            .unwrap_or_else(|e| panic!("{name}: the runner failed: {e}"));
        for result in results {
            let case: String = result.get("name").unwrap();
            let ok: bool = result.get("ok").unwrap();
            if ok {
                passed += 1;
                println!("ok    {case}");
            } else {
                let message: String = result.get("message").unwrap_or_default();
                println!("FAIL  {case}\n{message}");
                failures.push(format!("{case}\n    {}", message.replace('\n', "\n    ")));
            }
        }
    }
    println!("{passed} spec cases passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} plugin spec case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every script of the plugin compiles; every module outside `adapter/`
/// (which needs Studio) loads and returns a value.
#[test]
fn every_plugin_module_compiles_and_loads() {
    let harness = Harness::new();
    let require: LuaFunction = harness.lua.globals().get("require").unwrap();
    let mut scripts = vec![harness.root];
    scripts.extend(harness.root.get_descendants());
    let mut loaded = 0;
    for script in scripts {
        let class = script.get_class_name().to_owned();
        if !matches!(class.as_str(), "Script" | "ModuleScript" | "LocalScript") {
            continue;
        }
        let name = script.get_full_name();
        let source = match script.get_property("Source") {
            Some(rbx_dom_weak::types::Variant::String(s)) => s,
            other => panic!("{name} has no Source: {other:?}"),
        };
        assert!(source.starts_with("--!strict"), "{name} is not --!strict");
        harness
            .lua
            .load(source.as_str())
            .set_name(format!("={name}"))
            .into_function()
            .unwrap_or_else(|e| panic!("{name} does not compile: {e}"));
        if class == "ModuleScript" && !name.contains(".adapter.") {
            require
                .call::<LuaValue>(harness.instance_value(script))
                .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
            loaded += 1;
        }
    }
    assert!(loaded > 25, "only {loaded} modules loaded");
}
