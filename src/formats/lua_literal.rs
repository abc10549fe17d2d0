//! The way back from a data module's Lua to data: `return <literal>`, where
//! the literal is made of `nil`, booleans, numbers (`0/0`, `math.huge`),
//! strings and tables (`{1, 2}`, `{ key = v, ["any key"] = v }`), as
//! [`super::data_module::write_lua`] writes them, with Lua's own spellings
//! (single quotes, `;` separators, `--` comments) accepted too. Anything
//! else (code, mixed tables, numeric keys) is not data: `None`.

use crate::json::{JsonValue, Number};

/// The data a module's source returns, if the source is only a literal.
pub fn parse_module(source: &str) -> Option<JsonValue> {
    let mut parser = Parser {
        text: source.as_bytes(),
        at: 0,
    };
    parser.skip_space();
    parser.keyword("return")?;
    let value = parser.value()?;
    parser.skip_space();
    if parser.peek() == Some(b';') {
        parser.at += 1;
        parser.skip_space();
    }
    (parser.at == parser.text.len()).then_some(value)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.text[self.at.min(self.text.len())..]
    }

    fn skip_space(&mut self) {
        loop {
            while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                self.at += 1;
            }
            if self.rest().starts_with(b"--") && !self.rest().starts_with(b"--[[") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else {
                return;
            }
        }
    }

    fn identifier(&mut self) -> Option<&str> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.at += 1;
        }
        let word = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        (!word.is_empty() && !word.as_bytes()[0].is_ascii_digit()).then_some(word)
    }

    fn keyword(&mut self, word: &str) -> Option<()> {
        let start = self.at;
        if self.identifier() == Some(word) {
            Some(())
        } else {
            self.at = start;
            None
        }
    }

    fn value(&mut self) -> Option<JsonValue> {
        self.skip_space();
        match self.peek()? {
            b'{' => self.table(),
            b'"' | b'\'' => self.string().map(JsonValue::String),
            b'-' | b'.' | b'0'..=b'9' => self.number(),
            _ => {
                let start = self.at;
                let word = self.identifier()?.to_owned();
                match word.as_str() {
                    "nil" => Some(JsonValue::Null),
                    "true" => Some(JsonValue::Bool(true)),
                    "false" => Some(JsonValue::Bool(false)),
                    "math" if self.rest().starts_with(b".huge") => {
                        self.at += 5;
                        Some(JsonValue::Number(Number::F64(f64::INFINITY)))
                    }
                    _ => {
                        self.at = start;
                        None
                    }
                }
            }
        }
    }

    fn number(&mut self) -> Option<JsonValue> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
            self.skip_space();
            if self.rest().starts_with(b"math.huge") {
                self.at += 9;
                return Some(JsonValue::Number(Number::F64(f64::NEG_INFINITY)));
            }
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E'))
            || (matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.text.get(self.at - 1), Some(b'e' | b'E')))
        {
            self.at += 1;
        }
        let digits = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        if digits == "0" && self.rest().starts_with(b"/0") {
            self.at += 2;
            return Some(JsonValue::Number(Number::F64(f64::NAN)));
        }
        let is_integer = digits.bytes().all(|c| c.is_ascii_digit());
        if is_integer {
            if let Ok(n) = digits.parse::<i64>() {
                let n = if negative { -n } else { n };
                return Some(JsonValue::Number(if n < 0 {
                    Number::I64(n)
                } else {
                    Number::U64(n as u64)
                }));
            }
        }
        let value: f64 = digits.parse().ok()?;
        Some(JsonValue::Number(Number::F64(if negative {
            -value
        } else {
            value
        })))
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut bytes = Vec::new();
        loop {
            let c = self.peek()?;
            self.at += 1;
            match c {
                c if c == quote => break,
                b'\n' => return None,
                b'\\' => {
                    let escape = self.peek()?;
                    self.at += 1;
                    match escape {
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'\\' | b'"' | b'\'' => bytes.push(escape),
                        b'0'..=b'9' => {
                            let start = self.at - 1;
                            while self.at < start + 3
                                && self.peek().is_some_and(|c| c.is_ascii_digit())
                            {
                                self.at += 1;
                            }
                            let code: u32 = std::str::from_utf8(&self.text[start..self.at])
                                .ok()?
                                .parse()
                                .ok()?;
                            bytes.push(u8::try_from(code).ok()?);
                        }
                        _ => return None,
                    }
                }
                c => bytes.push(c),
            }
        }
        String::from_utf8(bytes).ok()
    }

    fn table(&mut self) -> Option<JsonValue> {
        self.at += 1; // `{`
        let mut items = Vec::new();
        let mut entries: Vec<(String, JsonValue)> = Vec::new();
        loop {
            self.skip_space();
            if self.peek()? == b'}' {
                self.at += 1;
                break;
            }
            let start = self.at;
            let key = if self.peek() == Some(b'[') {
                self.at += 1;
                self.skip_space();
                let key = self.string()?;
                self.skip_space();
                (self.peek()? == b']').then_some(())?;
                self.at += 1;
                Some(key)
            } else {
                match self.identifier().map(str::to_owned) {
                    Some(word) => {
                        self.skip_space();
                        if self.peek() == Some(b'=') && self.text.get(self.at + 1) != Some(&b'=') {
                            Some(word)
                        } else {
                            self.at = start;
                            None
                        }
                    }
                    None => {
                        self.at = start;
                        None
                    }
                }
            };
            match key {
                Some(key) => {
                    self.skip_space();
                    (self.peek()? == b'=').then_some(())?;
                    self.at += 1;
                    let value = self.value()?;
                    if entries.iter().any(|(k, _)| *k == key) {
                        return None;
                    }
                    entries.push((key, value));
                }
                None => items.push(self.value()?),
            }
            self.skip_space();
            match self.peek()? {
                b',' | b';' => self.at += 1,
                b'}' => {}
                _ => return None,
            }
        }
        match (items.is_empty(), entries.is_empty()) {
            (_, true) => Some(JsonValue::Array(items)),
            (true, false) => Some(JsonValue::Object(entries)),
            (false, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::data_module::write_lua;
    use crate::json;

    fn lua(value: &JsonValue) -> String {
        let mut out = String::from("return ");
        write_lua(&mut out, value, 0);
        out
    }

    #[test]
    fn what_write_lua_writes_reads_back() {
        let value = json::parse(
            r#"{"a": [1, -2, 2.5, 1e-7, "x\"y\n\u0001"], "b": {"c": true, "d": null}, "not ident": false}"#,
        )
        .unwrap();
        let source = lua(&value);
        let parsed = parse_module(&source).unwrap();
        assert_eq!(lua(&parsed), source);
    }

    #[test]
    fn lua_spellings_are_data_too() {
        let parsed =
            parse_module("-- config\nreturn { speed = 16; name = 'x', list = {1, 2,}, };\n")
                .unwrap();
        assert_eq!(
            lua(&parsed),
            "return {\n\tlist = {1, 2},\n\tname = \"x\",\n\tspeed = 16,\n}"
        );
        let special = parse_module("return {0/0, math.huge, -math.huge}").unwrap();
        assert_eq!(lua(&special), "return {0/0, math.huge, -math.huge}");
    }

    #[test]
    fn code_is_not_data() {
        for source in [
            "return function() end",
            "local x = 1 return x",
            "return { a = 1, 2 }",
            "return { [1] = 2 }",
            "return {a = b}",
            "return 1 + 2",
            "return { a = 1, a = 2 }",
        ] {
            assert!(parse_module(source).is_none(), "{source}");
        }
    }
}
