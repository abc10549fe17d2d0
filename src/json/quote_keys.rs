//! The JSON that a JSON5 text means, when the only JSON5 it uses is
//! unquoted object keys (the style Atlas writes: `{ className: "Part" }`).
//! serde_json then reads it several times faster than the JSON5 parser.
//!
//! Keys made of ASCII letters, digits, `_` and `$` are quoted; everything
//! else is copied as it is. A text with anything else JSON5 allows (comments,
//! single quotes, other identifiers) gives `None`, and so does a text whose
//! strings do not end; the JSON5 parser reads those. What serde_json then
//! refuses (trailing commas, `Infinity`, hexadecimal...) goes to the JSON5
//! parser too, so this is only ever a faster way to the same value.

/// `text` with its unquoted keys quoted, or `None` (see the module).
pub fn quote_keys(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut copied = 0;
    // The open containers: `{` or `[`.
    let mut open: Vec<u8> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                expect_key = false;
            }
            b'\'' | b'/' => return None,
            b'{' => {
                open.push(b'{');
                expect_key = true;
            }
            b'[' => {
                open.push(b'[');
                expect_key = false;
            }
            b'}' | b']' => {
                open.pop();
                expect_key = false;
            }
            b',' => expect_key = open.last() == Some(&b'{'),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            c if expect_key && (c.is_ascii_alphabetic() || c == b'_' || c == b'$') => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                {
                    i += 1;
                }
                out.push_str(&text[copied..start]);
                out.push('"');
                out.push_str(&text[start..i]);
                out.push('"');
                copied = i;
                expect_key = false;
                continue;
            }
            _ => expect_key = false,
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_and_strings_left_alone() {
        assert_eq!(
            quote_keys("{ className: \"a: b, c: d\", properties: { $x_1: [1, { y: 2 }] } }")
                .unwrap(),
            "{ \"className\": \"a: b, c: d\", \"properties\": { \"$x_1\": [1, { \"y\": 2 }] } }"
        );
        assert_eq!(
            quote_keys("{ \"a\\\"b\": 1 }").unwrap(),
            "{ \"a\\\"b\": 1 }"
        );
    }

    #[test]
    fn other_json5_is_left_to_the_json5_parser() {
        assert_eq!(quote_keys("{ a: 'x' }"), None);
        assert_eq!(quote_keys("{ a: 1 // note\n}"), None);
        assert_eq!(quote_keys("{ a: \"open"), None);
        // Not an ASCII identifier: left unquoted, so serde_json refuses it.
        assert_eq!(quote_keys("{ é: 1 }").unwrap(), "{ é: 1 }");
    }
}
