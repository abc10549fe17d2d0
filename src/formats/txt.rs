//! `.txt` files: a `StringValue` whose `Value` is the file's text, unchanged.

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;

use super::{FileInput, SnapshotResult};

/// A `.txt` file holds a StringValue with no children (its other
/// properties go in the meta file beside it).
pub fn can_hold(instance: &rbx_dom_weak::Instance) -> bool {
    instance.class == "StringValue" && instance.children().is_empty()
}

pub fn snapshot(input: &FileInput) -> SnapshotResult {
    let text = input.read_text()?;
    let mut snapshot = input.new_snapshot("StringValue");
    snapshot
        .properties
        .insert(ustr("Value"), Variant::String(text));
    input.apply_adjacent_meta(&mut snapshot)?;
    Ok(Some(snapshot))
}
