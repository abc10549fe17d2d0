//! Roblox's own files: places (`.rbxl`, `.rbxlx`) and models (`.rbxm`,
//! `.rbxmx`), binary or XML, in both directions.
//!
//! A place file holds the children of a DataModel; a model file holds one or
//! more top-level instances. Reading gives a `WeakDom` whose root is a
//! DataModel holding what the file holds.

mod binary_bounds;
mod exact_cframes;
mod xml_carriage_returns;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use rbx_dom_weak::types::Ref;
use rbx_dom_weak::WeakDom;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Place,
    Model,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Binary,
    Xml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomFileKind {
    pub container: Container,
    pub encoding: Encoding,
}

impl DomFileKind {
    /// The kind named by a file's extension, if it is one of the four.
    pub fn from_path(path: &Path) -> Option<DomFileKind> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        let (container, encoding) = match extension.as_str() {
            "rbxl" => (Container::Place, Encoding::Binary),
            "rbxlx" => (Container::Place, Encoding::Xml),
            "rbxm" => (Container::Model, Encoding::Binary),
            "rbxmx" => (Container::Model, Encoding::Xml),
            _ => return None,
        };
        Some(DomFileKind {
            container,
            encoding,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomFileError {
    #[error("could not decode the {encoding} file: {message}")]
    Decode {
        encoding: &'static str,
        message: String,
    },
    #[error("could not encode the {encoding} file: {message}")]
    Encode {
        encoding: &'static str,
        message: String,
    },
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Binary => "binary",
        Encoding::Xml => "XML",
    }
}

/// The encoding `bytes` are in, by their content: binary files start with
/// `<roblox!`, XML ones with `<roblox` or `<?xml` (after an optional byte
/// order mark and white space).
pub fn sniff(bytes: &[u8]) -> Option<Encoding> {
    if bytes.starts_with(b"<roblox!") {
        return Some(Encoding::Binary);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    (text.starts_with(b"<roblox") || text.starts_with(b"<?xml")).then_some(Encoding::Xml)
}

/// Decodes a place or model file. The content decides binary or XML (old
/// places are often XML under a `.rbxl` name, and Studio opens them);
/// `encoding`, from the file's name, is used when the content does not
/// tell. Unknown properties in XML files are kept.
pub fn read(bytes: &[u8], encoding: Encoding) -> Result<WeakDom, DomFileError> {
    let encoding = sniff(bytes).unwrap_or(encoding);
    // The decoders assert on some malformed input instead of returning an
    // error; a corrupt file must be an error, not a crash.
    let decoded = quietly(|| decode(bytes, encoding));
    match decoded {
        Ok(result) => result,
        Err(message) => Err(DomFileError::Decode {
            encoding: encoding_name(encoding),
            message: format!("the file is corrupt ({message})"),
        }),
    }
}

thread_local! {
    /// True while this thread decodes inside [`quietly`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into an error message without printing it.
/// The panic hook is wrapped once, and stays silent only for the thread
/// running `f`: swapping the process's hook for each call would also
/// silence (or race with) panics of other threads meanwhile.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|quiet| quiet.get()) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(was_quiet));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the decoder stopped".to_owned())
    })
}

fn decode(bytes: &[u8], encoding: Encoding) -> Result<WeakDom, DomFileError> {
    let result = match encoding {
        Encoding::Binary => binary_bounds::check(bytes)
            .map_err(|message| format!("the file is corrupt ({message})"))
            .and_then(|()| rbx_binary::from_reader(bytes).map_err(|e| e.to_string())),
        Encoding::Xml => {
            let options = rbx_xml::DecodeOptions::new()
                .property_behavior(rbx_xml::DecodePropertyBehavior::ReadUnknown);
            rbx_xml::from_reader(bytes, options).map_err(|e| e.to_string())
        }
    };
    result.map_err(|message| DomFileError::Decode {
        encoding: encoding_name(encoding),
        message,
    })
}

/// Encodes `roots` (and their descendants) from `dom`. Unknown properties
/// are written to XML files too; binary files keep every CFrame exactly
/// (`exact_cframes`), XML files every carriage return
/// (`xml_carriage_returns`).
pub fn write<W: Write>(
    writer: W,
    dom: &WeakDom,
    roots: &[Ref],
    encoding: Encoding,
) -> Result<(), DomFileError> {
    let result = match encoding {
        Encoding::Binary => {
            let mut bytes = Vec::new();
            rbx_binary::to_writer(&mut bytes, dom, roots)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    let bytes = exact_cframes::keep_exact_cframes(bytes, dom, roots);
                    let mut writer = writer;
                    writer.write_all(&bytes).map_err(|e| e.to_string())
                })
        }
        Encoding::Xml => {
            let options = rbx_xml::EncodeOptions::new()
                .property_behavior(rbx_xml::EncodePropertyBehavior::WriteUnknown);
            let mut bytes = Vec::new();
            rbx_xml::to_writer(&mut bytes, dom, roots, options)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    let bytes = xml_carriage_returns::escape_carriage_returns(bytes);
                    let mut writer = writer;
                    writer.write_all(&bytes).map_err(|e| e.to_string())
                })
        }
    };
    result.map_err(|message| DomFileError::Encode {
        encoding: encoding_name(encoding),
        message,
    })
}

/// `roots` of `dom` (with their descendants) written as a binary file and
/// read back: their values as a built file gives them to Studio (a Part's
/// `Color3` as `Color3uint8`, a migrated property under its new name). With
/// it, each written instance's referent -> its copy's referent; when
/// `roots` are the root's children (a place), the root is paired with the
/// copy's root too.
pub fn binary_copy(
    dom: &WeakDom,
    roots: &[Ref],
) -> Result<(WeakDom, HashMap<Ref, Ref>), DomFileError> {
    let mut bytes = Vec::new();
    write(&mut bytes, dom, roots, Encoding::Binary)?;
    let copy = read(&bytes, Encoding::Binary)?;
    drop(bytes);
    let misshapen = || DomFileError::Decode {
        encoding: "binary",
        message: "the copy read back does not have the shape of the tree written".to_owned(),
    };
    let copy_roots = copy.root().children();
    if copy_roots.len() != roots.len() {
        return Err(misshapen());
    }
    let mut to_copy = HashMap::new();
    if roots == dom.root().children() {
        to_copy.insert(dom.root_ref(), copy.root_ref());
    }
    // Both trees walked in step: children in the same order.
    let mut stack: Vec<(Ref, Ref)> = roots
        .iter()
        .copied()
        .zip(copy_roots.iter().copied())
        .collect();
    while let Some((original, copied)) = stack.pop() {
        to_copy.insert(original, copied);
        let (Some(a), Some(b)) = (dom.get_by_ref(original), copy.get_by_ref(copied)) else {
            return Err(misshapen());
        };
        if a.children().len() != b.children().len() {
            return Err(misshapen());
        }
        stack.extend(
            a.children()
                .iter()
                .copied()
                .zip(b.children().iter().copied()),
        );
    }
    Ok((copy, to_copy))
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn xml_under_a_binary_name_is_read_as_xml_and_the_reverse() {
        let mut dom = WeakDom::new(rbx_dom_weak::InstanceBuilder::new("DataModel"));
        let root = dom.root_ref();
        let folder = dom.insert(
            root,
            rbx_dom_weak::InstanceBuilder::new("Folder").with_name("Kept"),
        );
        for (written, claimed) in [
            (Encoding::Xml, Encoding::Binary),
            (Encoding::Binary, Encoding::Xml),
        ] {
            let mut bytes = Vec::new();
            write(&mut bytes, &dom, &[folder], written).unwrap();
            assert_eq!(sniff(&bytes), Some(written));
            let back = read(&bytes, claimed).unwrap();
            let child = back.get_by_ref(back.root().children()[0]).unwrap();
            assert_eq!(child.name, "Kept");
        }
        let mut with_bom = b"\xEF\xBB\xBF\n  ".to_vec();
        with_bom.extend_from_slice(b"<roblox version=\"4\"></roblox>");
        assert_eq!(sniff(&with_bom), Some(Encoding::Xml));
        assert_eq!(sniff(b"garbage"), None);
    }
}
