//! Instance names on disk.
//!
//! Two siblings may share a name in Roblox but not a file name, so the second
//! one is written as `Name~2`. Reading strips that suffix again.

/// Removes a trailing `~N` (N a whole number of at least 1) from a file or
/// folder name: `Foo~2` → `Foo`. `Foo~0`, `Foo~x`, `Foo~` and `~2` stay as
/// they are.
pub fn strip_dedup_suffix(name: &str) -> &str {
    let Some(idx) = name.rfind('~') else {
        return name;
    };
    let (base, digits) = (&name[..idx], &name[idx + 1..]);
    let is_number = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if base.is_empty() || !is_number || digits.bytes().all(|b| b == b'0') {
        return name;
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_suffix() {
        assert_eq!(strip_dedup_suffix("Foo~2"), "Foo");
        assert_eq!(strip_dedup_suffix("Foo~1"), "Foo");
        assert_eq!(strip_dedup_suffix("Foo~10"), "Foo");
        assert_eq!(strip_dedup_suffix("Foo~0"), "Foo~0");
        assert_eq!(strip_dedup_suffix("Foo~abc"), "Foo~abc");
        assert_eq!(strip_dedup_suffix("Foo~"), "Foo~");
        assert_eq!(strip_dedup_suffix("~2"), "~2");
        assert_eq!(strip_dedup_suffix("a~b~3"), "a~b");
        assert_eq!(strip_dedup_suffix("Plain"), "Plain");
    }
}
