//! Binary output that keeps every CFrame exactly as the DOM holds it.
//!
//! `rbx_binary`'s writer stores a rotation as one of the 24 axis-aligned
//! rotation ids whenever it is *close* to one (`0.99999994` becomes `1`,
//! `-2.6e-17` becomes `0`), so a built `.rbxl` did not hold the values the
//! project's files hold, while Roblox's own files keep such rotations as nine
//! floats. This step runs after the writer: it walks the file's chunks, and
//! in every CFrame (and OptionalCFrame) property chunk it replaces each
//! rotation id that does not stand for the instance's exact matrix with the
//! nine floats themselves, the form the format uses for any rotation. Nothing
//! else in the file changes: the positions that follow the rotations are
//! copied as they are, and chunks without a replaced rotation keep their
//! bytes.
//!
//! Chosen over re-implementing the binary writer (thousands of lines for one
//! value form) and over nudging values so the writer keeps them (that would
//! change the values). It relies on two facts of the format: the values of a
//! property chunk follow the order of the class's `INST` referents, and
//! `rbx_binary` numbers referents in depth-first post-order from the roots;
//! every instance's class is checked against the file before anything is
//! replaced, and a file that does not match is left as the writer made it.

use std::collections::HashMap;

use rbx_dom_weak::types::{Matrix3, Ref, Variant};
use rbx_dom_weak::WeakDom;
use rbx_reflection::{PropertyKind, PropertySerialization};

const HEADER_LEN: usize = 32;
const TYPE_CFRAME: u8 = 0x10;
const TYPE_OPTIONAL_CFRAME: u8 = 0x1E;

/// `bytes` (a binary file `rbx_binary` wrote for `roots` of `dom`) with every
/// snapped rotation written out in full; `bytes` unchanged when there is
/// none, or when the file is not laid out as expected.
pub fn keep_exact_cframes(bytes: Vec<u8>, dom: &WeakDom, roots: &[Ref]) -> Vec<u8> {
    match rewrite(&bytes, dom, roots) {
        Ok(Some(rewritten)) => rewritten,
        Ok(None) => bytes,
        Err(reason) => {
            log::debug!("binary output kept as written ({reason})");
            bytes
        }
    }
}

struct Chunk<'a> {
    name: [u8; 4],
    /// The chunk as it appears in the file, header included.
    raw: &'a [u8],
    compressed: bool,
    payload: &'a [u8],
    len: usize,
}

fn chunks(bytes: &[u8]) -> Result<Vec<Chunk<'_>>, String> {
    if bytes.len() < HEADER_LEN || !bytes.starts_with(b"<roblox!") {
        return Err("not a binary file".into());
    }
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let header = bytes
            .get(at..at + 16)
            .ok_or("a chunk header runs past the end")?;
        let name: [u8; 4] = header[0..4].try_into().map_err(|_| "a chunk name")?;
        let compressed_len =
            u32::from_le_bytes(header[4..8].try_into().unwrap_or_default()) as usize;
        let len = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default()) as usize;
        let stored = if compressed_len == 0 {
            len
        } else {
            compressed_len
        };
        let end = at + 16 + stored;
        let payload = bytes.get(at + 16..end).ok_or("a chunk runs past the end")?;
        out.push(Chunk {
            name,
            raw: &bytes[at..end],
            compressed: compressed_len != 0,
            payload,
            len,
        });
        at = end;
        if &name == b"END\0" {
            break;
        }
    }
    Ok(out)
}

fn data(chunk: &Chunk) -> Result<Vec<u8>, String> {
    if !chunk.compressed {
        return Ok(chunk.payload.to_vec());
    }
    if chunk.payload.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err("a zstd chunk".into());
    }
    lz4_flex::block::decompress(chunk.payload, chunk.len).map_err(|e| e.to_string())
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let slice = self
            .data
            .get(self.at..self.at + n)
            .ok_or("a chunk ends early")?;
        self.at += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| "a u32")?,
        ))
    }

    fn string(&mut self) -> Result<&'a str, String> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).map_err(|e| e.to_string())
    }

    /// `n` referents: interleaved big-endian i32s, zigzag-encoded, as
    /// differences from the previous one.
    fn referents(&mut self, n: usize) -> Result<Vec<i32>, String> {
        let bytes = self.take(n * 4)?;
        let mut last = 0i32;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let raw =
                u32::from_be_bytes([bytes[i], bytes[n + i], bytes[2 * n + i], bytes[3 * n + i]]);
            let value = ((raw >> 1) as i32) ^ -((raw & 1) as i32);
            last = last.wrapping_add(value);
            out.push(last);
        }
        Ok(out)
    }
}

/// The instances `rbx_binary` serializes, in the order it numbers them:
/// depth-first post-order from the roots.
fn post_order(dom: &WeakDom, roots: &[Ref]) -> Vec<Ref> {
    let mut out = Vec::new();
    for root in roots {
        // (instance, index of the next child to visit)
        let mut stack: Vec<(Ref, usize)> = vec![(*root, 0)];
        while let Some((referent, next)) = stack.pop() {
            let children = dom
                .get_by_ref(referent)
                .map(|i| i.children())
                .unwrap_or(&[]);
            if next < children.len() {
                stack.push((referent, next + 1));
                stack.push((children[next], 0));
            } else {
                out.push(referent);
            }
        }
    }
    out
}

/// The name a property is stored under in files.
fn serialized_name(class: &str, property: &str) -> String {
    let Some(descriptor) = crate::reflection::property(class, property) else {
        return property.to_owned();
    };
    let canonical = match &descriptor.kind {
        PropertyKind::Alias { alias_for } => match crate::reflection::property(class, alias_for) {
            Some(canonical) => canonical,
            None => return alias_for.to_string(),
        },
        _ => descriptor,
    };
    match &canonical.kind {
        PropertyKind::Canonical {
            serialization: PropertySerialization::SerializesAs(name),
        } => name.to_string(),
        _ => canonical.name.to_string(),
    }
}

fn same_bits(a: &Matrix3, b: &Matrix3) -> bool {
    let rows = |m: &Matrix3| [m.x, m.y, m.z].map(|v| [v.x.to_bits(), v.y.to_bits(), v.z.to_bits()]);
    rows(a) == rows(b)
}

fn rewrite(bytes: &[u8], dom: &WeakDom, roots: &[Ref]) -> Result<Option<Vec<u8>>, String> {
    let chunks = chunks(bytes)?;
    let order = post_order(dom, roots);
    // Class id → the DOM instances of its INST chunk, in chunk order.
    let mut classes: HashMap<u32, Vec<Ref>> = HashMap::new();
    let mut replaced_chunks: Vec<Option<Vec<u8>>> = Vec::with_capacity(chunks.len());

    for chunk in &chunks {
        let mut replacement = None;
        if &chunk.name == b"INST" {
            let data = data(chunk)?;
            let mut reader = Reader { data: &data, at: 0 };
            let class_id = reader.u32()?;
            let class_name = reader.string()?.to_owned();
            let _object_format = reader.u8()?;
            let count = reader.u32()? as usize;
            let mut instances = Vec::with_capacity(count);
            for referent in reader.referents(count)? {
                let instance = usize::try_from(referent)
                    .ok()
                    .and_then(|i| order.get(i))
                    .copied()
                    .ok_or("a referent outside the serialized instances")?;
                let class = dom.get_by_ref(instance).map(|i| i.class.as_str());
                if class != Some(class_name.as_str()) {
                    return Err(format!(
                        "referent {referent} is a {class_name} in the file but not in the DOM"
                    ));
                }
                instances.push(instance);
            }
            classes.insert(class_id, instances);
        } else if &chunk.name == b"PROP" {
            let data = data(chunk)?;
            if let Some(rewritten) = rewrite_prop(&data, dom, &classes)? {
                let compressed = lz4_flex::block::compress(&rewritten);
                let mut raw = Vec::with_capacity(16 + compressed.len());
                raw.extend_from_slice(b"PROP");
                raw.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
                raw.extend_from_slice(&(rewritten.len() as u32).to_le_bytes());
                raw.extend_from_slice(&0u32.to_le_bytes());
                raw.extend_from_slice(&compressed);
                replacement = Some(raw);
            }
        }
        replaced_chunks.push(replacement);
    }
    if replaced_chunks.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(bytes.len() + 1024);
    out.extend_from_slice(&bytes[..HEADER_LEN]);
    for (chunk, replacement) in chunks.iter().zip(replaced_chunks) {
        out.extend_from_slice(replacement.as_deref().unwrap_or(chunk.raw));
    }
    // Whatever followed the END chunk (nothing, normally).
    let consumed: usize = HEADER_LEN + chunks.iter().map(|c| c.raw.len()).sum::<usize>();
    out.extend_from_slice(&bytes[consumed..]);
    Ok(Some(out))
}

/// A CFrame property chunk with its snapped rotations written in full, or
/// None when it needs no change.
fn rewrite_prop(
    data: &[u8],
    dom: &WeakDom,
    classes: &HashMap<u32, Vec<Ref>>,
) -> Result<Option<Vec<u8>>, String> {
    let mut reader = Reader { data, at: 0 };
    let class_id = reader.u32()?;
    let property = reader.string()?.to_owned();
    let ty = reader.u8()?;
    if ty == TYPE_OPTIONAL_CFRAME {
        if reader.u8()? != TYPE_CFRAME {
            return Err("an OptionalCFrame chunk without CFrames".into());
        }
    } else if ty != TYPE_CFRAME {
        return Ok(None);
    }
    let instances = classes
        .get(&class_id)
        .ok_or("a property chunk before its class")?;
    let rotations_start = reader.at;

    let mut rotations = Vec::with_capacity(instances.len() * 2);
    let mut changed = false;
    for instance in instances {
        let id = reader.u8()?;
        if id != 0 {
            let exact = exact_rotation(dom, *instance, &property);
            match (exact, Matrix3::from_basic_rotation_id(id)) {
                (Some(exact), Ok(basic)) if !same_bits(&exact, &basic) => {
                    rotations.push(0);
                    for row in [exact.x, exact.y, exact.z] {
                        for value in [row.x, row.y, row.z] {
                            rotations.extend_from_slice(&value.to_le_bytes());
                        }
                    }
                    changed = true;
                }
                _ => rotations.push(id),
            }
        } else {
            rotations.push(0);
            rotations.extend_from_slice(reader.take(36)?);
        }
    }
    if !changed {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(data.len() + rotations.len());
    out.extend_from_slice(&data[..rotations_start]);
    out.extend_from_slice(&rotations);
    out.extend_from_slice(&data[reader.at..]);
    Ok(Some(out))
}

/// The rotation the DOM holds for `instance`'s property stored as
/// `property` in files.
fn exact_rotation(dom: &WeakDom, instance: Ref, property: &str) -> Option<Matrix3> {
    let instance = dom.get_by_ref(instance)?;
    instance.properties.iter().find_map(|(name, value)| {
        let rotation = match value {
            Variant::CFrame(cframe) => cframe.orientation,
            Variant::OptionalCFrame(Some(cframe)) => cframe.orientation,
            _ => return None,
        };
        (serialized_name(&instance.class, name) == property).then_some(rotation)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbx_dom_weak::types::{CFrame, Vector3};
    use rbx_dom_weak::InstanceBuilder;

    fn nearly_identity() -> Matrix3 {
        Matrix3::new(
            Vector3::new(0.99999994, -2.6e-17, 0.0),
            Vector3::new(0.0, 1.0, -0.0),
            Vector3::new(3e-9, 0.0, 0.99999994),
        )
    }

    #[test]
    fn rotations_near_an_axis_come_back_to_the_bit() {
        let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
        let root = dom.root_ref();
        let workspace = dom.insert(root, InstanceBuilder::new("Workspace"));
        let model = dom.insert(
            workspace,
            InstanceBuilder::new("Model").with_property(
                "WorldPivotData",
                Variant::OptionalCFrame(Some(CFrame::new(
                    Vector3::new(1.0, 2.0, 3.0),
                    nearly_identity(),
                ))),
            ),
        );
        let mut parts = Vec::new();
        for i in 0..5 {
            let rotation = if i % 2 == 0 {
                nearly_identity()
            } else {
                Matrix3::identity()
            };
            parts.push(dom.insert(
                model,
                InstanceBuilder::new("Part").with_property(
                    "CFrame",
                    Variant::CFrame(CFrame::new(Vector3::new(i as f32, 0.5, -1.0), rotation)),
                ),
            ));
        }
        let roots = dom.root().children().to_vec();
        let mut bytes = Vec::new();
        super::super::write(&mut bytes, &dom, &roots, super::super::Encoding::Binary).unwrap();
        let back = super::super::read(&bytes, super::super::Encoding::Binary).unwrap();

        let find = |dom: &WeakDom, class: &str| -> Vec<Ref> {
            dom.descendants()
                .filter(|i| i.class == class)
                .map(|i| i.referent())
                .collect()
        };
        let back_parts = find(&back, "Part");
        assert_eq!(back_parts.len(), 5);
        for (original, read) in parts.iter().zip(&back_parts) {
            let a = &dom.get_by_ref(*original).unwrap().properties[&"CFrame".into()];
            let b = &back.get_by_ref(*read).unwrap().properties[&"CFrame".into()];
            match (a, b) {
                (Variant::CFrame(a), Variant::CFrame(b)) => {
                    assert!(same_bits(&a.orientation, &b.orientation), "{a:?} != {b:?}");
                    assert_eq!(a.position, b.position);
                }
                _ => panic!("not CFrames"),
            }
        }
        let back_model = back.get_by_ref(find(&back, "Model")[0]).unwrap();
        match &back_model.properties[&"WorldPivotData".into()] {
            Variant::OptionalCFrame(Some(cframe)) => {
                assert!(same_bits(&cframe.orientation, &nearly_identity()))
            }
            other => panic!("{other:?}"),
        }
        // Exactly axis-aligned rotations keep their short form.
        let identity_id = Matrix3::identity().to_basic_rotation_id().unwrap();
        assert_eq!(identity_id, 2);
    }

    #[test]
    fn post_order_numbers_children_before_their_parent() {
        let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
        let root = dom.root_ref();
        let a = dom.insert(root, InstanceBuilder::new("Folder"));
        let a1 = dom.insert(a, InstanceBuilder::new("Folder"));
        let a2 = dom.insert(a, InstanceBuilder::new("Folder"));
        let b = dom.insert(root, InstanceBuilder::new("Folder"));
        assert_eq!(post_order(&dom, &[a, b]), vec![a1, a2, a, b]);
    }
}
