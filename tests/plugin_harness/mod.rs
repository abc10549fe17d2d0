//! Runs the Studio plugin's real modules headless: an embedded Luau (mlua)
//! with a Roblox DOM (lune-roblox). The plugin is built from
//! `plugin/test.project.json5` with Atlas's own build code (so specs and
//! test helpers are included) and loaded as instances; `require` runs a
//! ModuleScript's Source with `script` set, as Studio does.
//!
//! What Studio would provide, the harness provides from Rust: HTTP and
//! WebSocket (`transport`), `SerializationService` and place files (`dom`).
#![allow(dead_code)]

pub mod dom;
pub mod transport;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use lune_roblox::document::{Document, DocumentFormat, DocumentKind};
use lune_roblox::instance::Instance;
use mlua::prelude::*;
use rbx_dom_weak::types::Ref;
use rbx_dom_weak::{InstanceBuilder, WeakDom};

pub use transport::Transport;

pub fn plugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin")
}

/// An embedded Luau holding the plugin.
pub struct Harness {
    pub lua: Lua,
    /// The plugin's root instance (a Script named Atlas).
    pub root: Instance,
    pub transport: Transport,
    /// Everything `warn` and `print` wrote, in order.
    pub output: Rc<RefCell<Vec<String>>>,
}

impl Harness {
    /// The plugin with its specs and test helpers.
    pub fn new() -> Harness {
        Harness::from_project(&plugin_dir().join("test.project.json5"))
    }

    pub fn from_project(project: &Path) -> Harness {
        let loaded = atlas::build::load_tree(&atlas::vfs::StdVfs, project)
            .unwrap_or_else(|e| panic!("the plugin does not build: {e}"));
        let tree_dom = loaded.tree.into_dom();
        let mut dom = WeakDom::new(InstanceBuilder::new("ROOT"));
        let copy = tree_dom.clone_into_external(tree_dom.root_ref(), &mut dom);
        let root_ref = dom.root_ref();
        dom.transfer_within(copy, root_ref);
        let root = Document::from((DocumentKind::Model, DocumentFormat::Binary, dom))
            .into_instance_array()
            .expect("the plugin loads as a model")
            .remove(0);

        let lua = Lua::new();
        let output = Rc::new(RefCell::new(Vec::new()));
        install_globals(&lua, &output).expect("globals install");
        let transport = Transport::new();
        let harness = Harness {
            lua,
            root,
            transport,
            output,
        };
        harness.install_require().expect("require installs");
        harness
    }

    fn install_require(&self) -> LuaResult<()> {
        let cache: Rc<RefCell<HashMap<Ref, Option<LuaValue>>>> = Rc::default();
        let require = self
            .lua
            .create_function(move |lua, module: LuaUserDataRef<Instance>| {
                let module = *module;
                if let Some(entry) = cache.borrow().get(&module.dom_ref) {
                    return match entry {
                        Some(value) => Ok(value.clone()),
                        None => Err(LuaError::runtime(format!(
                            "{} requires itself (a require cycle)",
                            module.get_full_name()
                        ))),
                    };
                }
                if module.get_class_name() != "ModuleScript" {
                    return Err(LuaError::runtime(format!(
                        "{} is a {}, not a ModuleScript",
                        module.get_full_name(),
                        module.get_class_name()
                    )));
                }
                let source = match module.get_property("Source") {
                    Some(rbx_dom_weak::types::Variant::String(s)) => s,
                    _ => String::new(),
                };
                cache.borrow_mut().insert(module.dom_ref, None);
                let env = module_environment(lua, module)?;
                let value: LuaValue = lua
                    .load(source.as_str())
                    .set_name(format!("={}", module.get_full_name()))
                    .set_environment(env)
                    .eval()?;
                cache
                    .borrow_mut()
                    .insert(module.dom_ref, Some(value.clone()));
                Ok(value)
            })?;
        self.lua.globals().set("require", require)?;
        let transport = self.transport.lua_table(&self.lua)?;
        let harness = self.lua.create_table()?;
        harness.set("transport", transport)?;
        harness.set(
            "root",
            lune_roblox::instance::instance_to_lua(&self.lua, self.root)?,
        )?;
        harness.set(
            "serialize",
            self.lua
                .create_function(|lua, list: Vec<LuaUserDataRef<Instance>>| {
                    let instances: Vec<Instance> = list.iter().map(|i| **i).collect();
                    let bytes = dom::serialize(&instances).map_err(LuaError::runtime)?;
                    lua.create_buffer(bytes)
                })?,
        )?;
        self.lua.globals().set("harness", harness)?;
        Ok(())
    }

    /// The instance at `path` below the plugin root (`"Reconciler/Diff"`).
    pub fn instance(&self, path: &str) -> Instance {
        let mut current = self.root;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            current = current
                .find_child(|c| c.name == part)
                .unwrap_or_else(|| panic!("the plugin has no {path}"));
        }
        current
    }

    /// `require` of the module at `path` below the plugin root.
    pub fn require(&self, path: &str) -> LuaResult<LuaValue> {
        let module = self.instance(path);
        let require: LuaFunction = self.lua.globals().get("require")?;
        require.call(lune_roblox::instance::instance_to_lua(&self.lua, module)?)
    }

    pub fn require_table(&self, path: &str) -> LuaTable {
        match self.require(path) {
            Ok(LuaValue::Table(t)) => t,
            Ok(other) => panic!("{path} returned a {}", other.type_name()),
            Err(e) => panic!("{path} does not load: {e}"),
        }
    }

    /// Runs a chunk of Luau and returns its value.
    pub fn eval<R: FromLuaMulti>(&self, source: &str) -> LuaResult<R> {
        self.lua.load(source).set_name("=test").eval()
    }

    pub fn instance_value(&self, instance: Instance) -> LuaValue {
        lune_roblox::instance::instance_to_lua(&self.lua, instance).expect("an instance value")
    }

    /// Every ModuleScript below the root whose name ends in `.spec`, by
    /// full name.
    pub fn specs(&self) -> Vec<(String, Instance)> {
        let mut specs: Vec<(String, Instance)> = self
            .root
            .get_descendants()
            .into_iter()
            .filter(|i| i.get_class_name() == "ModuleScript" && i.get_name().ends_with(".spec"))
            .map(|i| (i.get_full_name(), i))
            .collect();
        specs.sort_by(|a, b| a.0.cmp(&b.0));
        specs
    }

    /// Delivers WebSocket frames that arrived (waiting up to `timeout` for
    /// the first one) to the plugin's handlers; returns how many.
    pub fn pump(&self, timeout: std::time::Duration) -> LuaResult<usize> {
        self.transport.pump(&self.lua, timeout)
    }
}

/// `script` for one module, everything else from the globals.
fn module_environment(lua: &Lua, module: Instance) -> LuaResult<LuaTable> {
    let env = lua.create_table()?;
    env.set(
        "script",
        lune_roblox::instance::instance_to_lua(lua, module)?,
    )?;
    let meta = lua.create_table()?;
    meta.set("__index", lua.globals())?;
    env.set_metatable(Some(meta))?;
    Ok(env)
}

/// The Roblox types and what a plugin script sees in Studio that Luau does
/// not have: `warn`, a `task` library that runs things at once.
fn install_globals(lua: &Lua, output: &Rc<RefCell<Vec<String>>>) -> LuaResult<()> {
    let roblox = lune_roblox::module(lua.clone())?;
    let globals = lua.globals();
    for pair in roblox.pairs::<String, LuaValue>() {
        let (name, value) = pair?;
        globals.set(name, value)?;
    }
    let quiet = std::env::var_os("ATLAS_PLUGIN_LOG").is_none();
    for (name, prefix) in [("warn", "warning: "), ("print", "")] {
        let output = output.clone();
        globals.set(
            name,
            lua.create_function(move |_, args: LuaMultiValue| {
                let text: Vec<String> = args
                    .iter()
                    .map(|v| v.to_string().unwrap_or_else(|_| format!("{v:?}")))
                    .collect();
                let line = format!("{prefix}{}", text.join(" "));
                if !quiet {
                    eprintln!("[plugin] {line}");
                }
                output.borrow_mut().push(line);
                Ok(())
            })?,
        )?;
    }
    let task: LuaTable = lua
        .load(
            r#"
            local task = {}
            function task.spawn(f, ...)
                local thread = if type(f) == "thread" then f else coroutine.create(f)
                local ok, err = coroutine.resume(thread, ...)
                if not ok then error(err, 0) end
                return thread
            end
            task.defer = task.spawn
            function task.delay(_, f, ...) return task.spawn(f, ...) end
            function task.wait() return 0 end
            function task.cancel() end
            return task
            "#,
        )
        .set_name("=task")
        .eval()?;
    globals.set("task", task)?;
    numbers_are_doubles_in_attributes(lua)?;
    Ok(())
}

/// In Studio a number attribute is a double. lune-roblox stores a whole
/// Luau number as an Int32 and then a Float32; this wraps `SetAttribute` so
/// numbers are stored as Float64, as Studio does.
fn numbers_are_doubles_in_attributes(lua: &Lua) -> LuaResult<()> {
    let sample: LuaAnyUserData = lua.load("return Instance.new('Folder')").eval()?;
    let original: LuaFunction = sample.metatable()?.get("__index")?;
    let original_for_method = original.clone();
    let set_attribute = lua.create_function(
        move |_, (this, name, value): (LuaAnyUserData, String, LuaValue)| {
            let number = match value {
                LuaValue::Integer(i) => Some(i as f64),
                LuaValue::Number(n) => Some(n),
                _ => None,
            };
            match number {
                Some(n) => {
                    let instance = *this.borrow::<Instance>()?;
                    instance.set_attribute(name, rbx_dom_weak::types::Variant::Float64(n));
                    Ok(())
                }
                None => {
                    let method: LuaFunction =
                        original_for_method.call((this.clone(), "SetAttribute"))?;
                    method.call((this, name, value))
                }
            }
        },
    )?;
    let index = lua.create_function(move |_, (this, key): (LuaAnyUserData, LuaValue)| {
        if let LuaValue::String(s) = &key {
            if s.as_bytes().as_ref() == b"SetAttribute" {
                return Ok(LuaValue::Function(set_attribute.clone()));
            }
        }
        original.call::<LuaValue>((this, key))
    })?;
    // mlua refuses to replace `__index` through its API; the metatable is
    // a plain Luau table, so set the field directly.
    unsafe {
        lua.exec_raw::<()>((sample, index), |state| {
            use mlua::ffi;
            ffi::lua_getmetatable(state, 1);
            ffi::lua_setreadonly(state, -1, 0);
            ffi::lua_pushstring(state, c"__index".as_ptr());
            ffi::lua_pushvalue(state, 2);
            ffi::lua_rawset(state, -3);
            ffi::lua_pop(state, 1);
        })?;
    }
    Ok(())
}

/// The plugin driven as a user would, against a real server: the App from
/// `testing/Driver`, a DataModel, the buttons.
pub struct Driver<'h> {
    pub harness: &'h Harness,
    pub driver: LuaTable,
    pub app: LuaTable,
    pub game: Instance,
}

impl<'h> Driver<'h> {
    /// `options` is Luau table syntax for extra Driver options
    /// (`config = {...}`, `settings = {...}`, `placeId = N`).
    pub fn new(harness: &'h Harness, game: Instance, port: u16, options: &str) -> Driver<'h> {
        let make: LuaFunction = harness
            .eval(&format!(
                "return function(game) return require(harness.root.testing.Driver).new({{ game = game, port = \"{port}\", {options} }}) end"
            ))
            .expect("the driver loads");
        let driver: LuaTable = make
            .call(harness.instance_value(game))
            .unwrap_or_else(|e| panic!("the driver starts: {e}"));
        let app = driver.get("app").unwrap();
        Driver {
            harness,
            driver,
            app,
            game,
        }
    }

    /// Presses a button of the current page.
    pub fn press(&self, id: &str) {
        let press: LuaFunction = self.driver.get("press").unwrap();
        press
            .call::<()>(id)
            .unwrap_or_else(|e| panic!("pressing {id}: {e}"));
    }

    pub fn page(&self) -> String {
        let state: LuaTable = self.app.get("state").unwrap();
        state.get("page").unwrap()
    }

    pub fn state_field(&self, name: &str) -> LuaValue {
        let state: LuaTable = self.app.get("state").unwrap();
        state.get(name).unwrap()
    }

    /// Every text of the current page.
    pub fn texts(&self) -> String {
        let texts: LuaFunction = self.driver.get("texts").unwrap();
        texts.call(()).unwrap()
    }

    pub fn recordings(&self) -> Vec<String> {
        self.driver.get("recordings").unwrap()
    }

    /// The DataModel as a place file holds it.
    pub fn place(&self) -> WeakDom {
        dom::export_place(self.game)
    }
}
