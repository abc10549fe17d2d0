//! `.txt` files: a `StringValue` whose `Value` is the file's text, unchanged.

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;

use super::{FileInput, SnapshotResult};

pub fn snapshot(input: &FileInput) -> SnapshotResult {
    let text = input.read_text()?;
    let mut snapshot = input.new_snapshot("StringValue");
    snapshot
        .properties
        .insert(ustr("Value"), Variant::String(text));
    input.apply_adjacent_meta(&mut snapshot)?;
    Ok(Some(snapshot))
}
