//! Questions Atlas asks the Roblox reflection database.
//!
//! Everything that needs to know about classes, property types, enums or
//! services goes through here, so the database is loaded once and looked up
//! the same way everywhere.

use std::collections::HashMap;
use std::sync::OnceLock;

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::{Ustr, UstrMap};
use rbx_reflection::{ClassDescriptor, ClassTag, DataType, PropertyDescriptor, ReflectionDatabase};

/// The reflection database: a local override if one is installed (see
/// `rbx_reflection_database`), else the one bundled with Atlas.
pub fn database() -> &'static ReflectionDatabase<'static> {
    static DATABASE: OnceLock<&'static ReflectionDatabase<'static>> = OnceLock::new();
    DATABASE.get_or_init(|| match rbx_reflection_database::get() {
        Ok(db) => db,
        Err(err) => {
            log::warn!(
                "could not load the local reflection database ({err}); using the bundled one"
            );
            rbx_reflection_database::get_bundled()
        }
    })
}

/// Starts loading the database on another thread, so it is ready by the time
/// the first property needs it.
pub fn preload() {
    std::thread::spawn(|| {
        database();
    });
}

pub fn class(name: &str) -> Option<&'static ClassDescriptor<'static>> {
    database().classes.get(name)
}

/// Finds a property on a class or any of its superclasses.
pub fn property(class_name: &str, property: &str) -> Option<&'static PropertyDescriptor<'static>> {
    let db = database();
    let class = db.classes.get(class_name)?;
    db.superclasses_iter(class)
        .find_map(|c| c.properties.get(property))
}

/// Every class's properties and defaults with those of its superclasses,
/// keyed by interned names: the fast path for per-property questions.
struct FlatClass {
    properties: UstrMap<&'static PropertyDescriptor<'static>>,
    defaults: UstrMap<&'static Variant>,
}

fn flat_class(class_name: Ustr) -> Option<&'static FlatClass> {
    static FLAT: OnceLock<UstrMap<FlatClass>> = OnceLock::new();
    let flat = FLAT.get_or_init(|| {
        let db = database();
        db.classes
            .values()
            .map(|class| {
                let mut properties = UstrMap::default();
                let mut defaults = UstrMap::default();
                // Nearest class first: a subclass's entry wins.
                for c in db.superclasses_iter(class) {
                    for (name, descriptor) in &c.properties {
                        properties.entry(Ustr::from(name)).or_insert(descriptor);
                    }
                    for (name, value) in &c.default_properties {
                        defaults.entry(Ustr::from(name)).or_insert(value);
                    }
                }
                (
                    Ustr::from(class.name),
                    FlatClass {
                        properties,
                        defaults,
                    },
                )
            })
            .collect()
    });
    flat.get(&class_name)
}

/// Like [`property`], for interned names (much faster in bulk).
pub fn property_of(
    class_name: Ustr,
    property: Ustr,
) -> Option<&'static PropertyDescriptor<'static>> {
    flat_class(class_name)?.properties.get(&property).copied()
}

/// The default value of a property, with inheritance, for interned names.
pub fn default_of(class_name: Ustr, property: Ustr) -> Option<&'static Variant> {
    flat_class(class_name)?.defaults.get(&property).copied()
}

/// True if `class_name` is a service (a class Roblox creates once per place).
pub fn is_service(class_name: &str) -> bool {
    class(class_name).is_some_and(|c| c.tags.contains(&ClassTag::Service))
}

/// True if `class_name` is `ancestor` or inherits from it.
pub fn is_a(class_name: &str, ancestor: &str) -> bool {
    let db = database();
    match db.classes.get(class_name) {
        Some(class) => db.superclasses_iter(class).any(|c| c.name == ancestor),
        None => class_name == ancestor,
    }
}

/// The value of an enum item, looked up by enum name and item name.
pub fn enum_item(enum_name: &str, item: &str) -> Option<u32> {
    database().enums.get(enum_name)?.items.get(item).copied()
}

/// The name of the item of `enum_name` with `value`. When several names share
/// a value, the first in byte order, so the choice is stable.
pub fn enum_item_name(enum_name: &str, value: u32) -> Option<&'static str> {
    static REVERSE: OnceLock<HashMap<&'static str, HashMap<u32, &'static str>>> = OnceLock::new();
    let reverse = REVERSE.get_or_init(|| {
        database()
            .enums
            .iter()
            .map(|(name, descriptor)| {
                let mut by_value: HashMap<u32, &'static str> = HashMap::new();
                for (item, v) in &descriptor.items {
                    let slot = by_value.entry(*v).or_insert(item);
                    if *item < *slot {
                        *slot = item;
                    }
                }
                (*name, by_value)
            })
            .collect()
    });
    reverse.get(enum_name)?.get(&value).copied()
}

/// The names of an enum's items, sorted by value, for error messages.
pub fn enum_item_names(enum_name: &str) -> Vec<&'static str> {
    let Some(descriptor) = database().enums.get(enum_name) else {
        return Vec::new();
    };
    let mut items: Vec<(&'static str, u32)> =
        descriptor.items.iter().map(|(k, v)| (*k, *v)).collect();
    items.sort_by_key(|(name, value)| (*value, *name));
    items.into_iter().map(|(name, _)| name).collect()
}

/// The declared type of a property, if the database knows the property.
pub fn property_type(class_name: &str, property_name: &str) -> Option<&'static DataType<'static>> {
    property(class_name, property_name).map(|p| &p.data_type)
}
