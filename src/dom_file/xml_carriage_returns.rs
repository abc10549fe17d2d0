//! Carriage returns that survive an XML file.
//!
//! XML readers turn every `\r\n` (and lone `\r`) in the text into `\n`
//! before anything else, CDATA sections included; only a character
//! reference (`&#13;`) reads back as a carriage return. `rbx_xml` writes
//! strings as they are, so a script whose `Source` has Windows line ends
//! (common in older games) lost them in a built `.rbxlx`. This step, run on
//! the written bytes, rewrites each CDATA section that holds a `\r` as
//! escaped text (`&amp;`, `&lt;`, `&gt;`, `&#13;`), and any other raw `\r`
//! as `&#13;`. Markup never holds a raw `\r` (`rbx_xml` ends its lines with
//! `\n`), so every one found is text. Left as it was: a string made only of
//! whitespace (`"\r\n"`), since `rbx_xml`'s reader drops text that is only
//! whitespace; it keeps its CDATA and reads back with `\n` line ends.

const CDATA_OPEN: &[u8] = b"<![CDATA[";
const CDATA_CLOSE: &[u8] = b"]]>";

/// `bytes` with every raw carriage return written as a character reference.
pub fn escape_carriage_returns(bytes: Vec<u8>) -> Vec<u8> {
    if !bytes.contains(&b'\r') {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(CDATA_OPEN) {
            let body_start = i + CDATA_OPEN.len();
            let body_len = bytes[body_start..]
                .windows(CDATA_CLOSE.len())
                .position(|w| w == CDATA_CLOSE)
                .unwrap_or(bytes.len() - body_start);
            let body = &bytes[body_start..body_start + body_len];
            let end = (body_start + body_len + CDATA_CLOSE.len()).min(bytes.len());
            // Text of only whitespace is dropped by the reader; such a
            // string keeps its CDATA (and loses its `\r`s, as before).
            if body.contains(&b'\r') && !body.iter().all(u8::is_ascii_whitespace) {
                for &byte in body {
                    match byte {
                        b'&' => out.extend_from_slice(b"&amp;"),
                        b'<' => out.extend_from_slice(b"&lt;"),
                        b'>' => out.extend_from_slice(b"&gt;"),
                        b'\r' => out.extend_from_slice(b"&#13;"),
                        other => out.push(other),
                    }
                }
            } else {
                out.extend_from_slice(&bytes[i..end]);
            }
            i = end;
        } else if bytes[i] == b'\r' {
            out.extend_from_slice(b"&#13;");
            i += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rbx_dom_weak::types::Variant;
    use rbx_dom_weak::{InstanceBuilder, WeakDom};

    use crate::dom_file::{read, write, Encoding};

    /// Regression: a Source with `\r\n` line ends (a Miner's Haven script)
    /// came back from a built `.rbxlx` with `\n` only.
    #[test]
    fn windows_line_ends_survive_an_xml_file() {
        let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
        let root = dom.root_ref();
        let sources = [
            "print(1)\r\n\r\nprint(2)\r\n",
            "lone\rcarriage return",
            "a cdata close ]]> and <markup> & more\r\n",
        ];
        let scripts: Vec<_> = sources
            .iter()
            .map(|source| {
                dom.insert(
                    root,
                    InstanceBuilder::new("ModuleScript")
                        .with_property("Source", Variant::String((*source).to_owned()))
                        .with_property("Attributes", {
                            let mut attributes = rbx_dom_weak::types::Attributes::new();
                            attributes.insert("Text".to_owned(), Variant::String("a\r\nb".into()));
                            attributes
                        }),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        write(&mut bytes, &dom, &scripts, Encoding::Xml).unwrap();
        assert!(!bytes.contains(&b'\r'));
        let back = read(&bytes, Encoding::Xml).unwrap();
        for (child, source) in back.root().children().iter().zip(sources) {
            let instance = back.get_by_ref(*child).unwrap();
            assert_eq!(
                instance.properties.get(&rbx_dom_weak::ustr("Source")),
                Some(&Variant::String(source.to_owned()))
            );
        }
    }
}
