//! `.txt` files: a `StringValue` whose `Value` is the file's text, unchanged.

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;

use super::meta::{apply_meta_for, MetaKind};
use super::{FileInput, SnapshotResult};

pub fn snapshot(input: &FileInput) -> SnapshotResult {
    let text = input.read_text()?;
    let mut snapshot = input.new_snapshot("StringValue");
    snapshot
        .properties
        .insert(ustr("Value"), Variant::String(text));
    let dir = input.path.parent().unwrap_or(input.path);
    apply_meta_for(
        input.vfs,
        |p| input.sibling_exists(p),
        &mut snapshot,
        dir,
        input.stem,
        MetaKind::Fixed,
    )?;
    Ok(Some(snapshot))
}
