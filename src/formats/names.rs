//! Instance names on disk, in both directions.
//!
//! Reading: a trailing `~N` is removed from file and folder names, so
//! same-named siblings can live side by side (`Part.model.json5`,
//! `Part~2.model.json5`).
//!
//! Writing: a name that cannot be a file name on every system (or would be
//! read back as something else) is **slugified**, and the real name is kept
//! in the instance's meta or model file; then siblings are **deduplicated**
//! so no two claim the same file, nor the same meta file, even on a
//! case-insensitive disk.

use std::collections::{HashMap, HashSet};

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

/// The `~N` of a file or folder name (`Part~3.model.json5` → 3), or 1
/// without one: the place of a same-named sibling among its siblings.
pub fn dedup_index(fs_name: &str) -> u64 {
    let mut rest = fs_name;
    while let Some(at) = rest.find('~') {
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let ends = after[digits..].is_empty() || after[digits..].starts_with('.');
        if at > 0 && digits > 0 && ends {
            if let Ok(n) = after[..digits].parse::<u64>() {
                if n > 0 {
                    return n;
                }
            }
        }
        rest = after;
    }
    1
}

/// Characters no file name may hold on some system, plus `~`, which would
/// read back as a dedup suffix.
const FORBIDDEN: &[char] = &['<', '>', ':', '"', '/', '|', '?', '*', '\\', '~'];

/// Endings the reader would take for a script suffix or a special file.
const DANGEROUS_SUFFIXES: &[&str] = &[
    ".server", ".client", ".plugin", ".local", ".legacy", ".meta", ".model", ".project",
];

/// Names Windows reserves for devices, and `init`, which names init files.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "init",
];

/// The longest slug, in bytes: leaves room for `~NNNN` and the longest
/// extension within the usual 255-byte file name limit.
pub const MAX_SLUG_BYTES: usize = 200;

fn is_reserved(name: &str) -> bool {
    // Windows reserves `CON` and also `CON.anything`.
    let stem = name.split('.').next().unwrap_or(name);
    RESERVED.iter().any(|r| stem.eq_ignore_ascii_case(r))
}

fn has_dangerous_suffix(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    DANGEROUS_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// True if `name` cannot be used as a file or folder name as it is.
pub fn needs_slug(name: &str) -> bool {
    name.is_empty()
        || name.len() > MAX_SLUG_BYTES
        || name.starts_with(' ')
        || name.starts_with('.')
        || name.ends_with(' ')
        || name.ends_with('.')
        || name
            .chars()
            .any(|c| FORBIDDEN.contains(&c) || c.is_control())
        || has_dangerous_suffix(name)
        || is_reserved(name)
}

/// A file-name-safe form of `name`: forbidden and control characters become
/// `_`, leading dots and spaces and trailing dots and spaces go, script-like
/// endings lose their dot, reserved names get a `_`, and what is left is cut
/// to [`MAX_SLUG_BYTES`]. Never empty; `name` itself when it is already safe.
pub fn slugify(name: &str) -> String {
    if !needs_slug(name) {
        return name.to_owned();
    }
    let mut slug: String = name
        .chars()
        .map(|c| {
            if FORBIDDEN.contains(&c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    slug = slug.trim_start_matches([' ', '.']).to_owned();
    loop {
        let trimmed = slug.trim_end_matches([' ', '.']);
        if trimmed.len() != slug.len() {
            slug.truncate(trimmed.len());
            continue;
        }
        if has_dangerous_suffix(&slug) {
            if let Some(dot) = slug.rfind('.') {
                slug.replace_range(dot..dot + 1, "_");
                continue;
            }
        }
        break;
    }
    if slug.len() > MAX_SLUG_BYTES {
        let mut end = MAX_SLUG_BYTES;
        while !slug.is_char_boundary(end) {
            end -= 1;
        }
        slug.truncate(end);
        // Cutting may leave a trailing dot or space, or a dangerous ending.
        return slugify(&slug);
    }
    if is_reserved(&slug) {
        let stem_end = slug.find('.').unwrap_or(slug.len());
        slug.insert(stem_end, '_');
    }
    if slug.chars().all(|c| c == '_') {
        return "instance".to_owned();
    }
    slug
}

/// How a sibling appears in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape<'a> {
    /// A folder named `<stem>`.
    Dir,
    /// A file named `<stem><extension>`; `with_meta` when a
    /// `<stem>.meta.json5` may sit beside it.
    File { extension: &'a str, with_meta: bool },
}

/// The names taken in one folder. Keys are lower-cased, so two names that
/// differ only in case collide, as they would on Windows or macOS.
///
/// A new name is claimed by its stem whatever the file kind: a folder
/// `Part/` and a file `Part.model.json5` could sit side by side on disk, but
/// then nothing would tell which `Part` comes first. Claiming stems keeps
/// `~N` counting same-named siblings in their order across file kinds, which
/// the reader follows ([`dedup_index`]). Existing files are only reserved by
/// their own file names (a project may already hold both).
#[derive(Debug, Default)]
pub struct TakenNames {
    taken: HashSet<String>,
    /// Stems (lower-cased) in use by any kind of file or folder.
    stems: HashSet<String>,
    /// The next `~N` to try for a slug (lower-cased), so a folder of a
    /// thousand `Part`s is named in linear time.
    next: HashMap<String, u64>,
}

impl TakenNames {
    pub fn new() -> Self {
        TakenNames::default()
    }

    fn keys(stem: &str, shape: Shape) -> Vec<String> {
        let lower = stem.to_lowercase();
        match shape {
            Shape::Dir => vec![lower],
            Shape::File {
                extension,
                with_meta,
            } => {
                let mut keys = vec![format!("{lower}{}", extension.to_lowercase())];
                if with_meta {
                    keys.extend(
                        crate::project::suffixes::META
                            .iter()
                            .map(|suffix| format!("{lower}{suffix}")),
                    );
                }
                keys
            }
        }
    }

    /// Marks a name as taken (an existing file, a name reserved by the
    /// folder itself). Returns false if it already was.
    pub fn reserve(&mut self, stem: &str, shape: Shape) -> bool {
        let keys = Self::keys(stem, shape);
        if keys.iter().any(|k| self.taken.contains(k)) {
            return false;
        }
        self.taken.extend(keys);
        self.stems.insert(stem.to_lowercase());
        true
    }

    /// Marks the names of a file or folder that exists and stays as taken,
    /// even where it collides with another existing one only by case (the
    /// project already holds both).
    pub fn keep(&mut self, stem: &str, shape: Shape) {
        self.taken.extend(Self::keys(stem, shape));
        self.stems.insert(stem.to_lowercase());
    }

    /// Takes `stem` if neither it (by any kind) nor its files are taken.
    fn take_new(&mut self, stem: &str, shape: Shape) -> bool {
        !self.stems.contains(&stem.to_lowercase()) && self.reserve(stem, shape)
    }

    /// Claims `slug`, or `slug~2`, `slug~3`, ... for the first that is free.
    /// Returns the stem claimed.
    pub fn claim(&mut self, slug: &str, shape: Shape) -> String {
        self.claim_after(slug, shape, 0)
    }

    /// [`TakenNames::claim`] for a sibling that must read back after one
    /// whose `~N` is `after` (the bare name counts as 1; 0 for none): the
    /// first free `~N` above it.
    pub fn claim_after(&mut self, slug: &str, shape: Shape, after: u64) -> String {
        if after == 0 && self.take_new(slug, shape) {
            return slug.to_owned();
        }
        let key = slug.to_lowercase();
        let mut n = self
            .next
            .get(&key)
            .copied()
            .unwrap_or(2)
            .max(after.saturating_add(1))
            .max(2);
        loop {
            let stem = format!("{slug}~{n}");
            n += 1;
            if self.take_new(&stem, shape) {
                self.next.insert(key, n);
                return stem;
            }
        }
    }
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

    #[test]
    fn slugs() {
        let cases = [
            ("Hey/Bro", "Hey_Bro"),
            ("file<1>", "file_1_"),
            ("foo~1", "foo_1"),
            ("CON.", "CON_"),
            ("con.txt", "con_.txt"),
            ("Init", "Init_"),
            ("foo.Server", "foo_Server"),
            ("a.meta.server", "a.meta_server"),
            ("hello .", "hello"),
            (" ", "instance"),
            ("", "instance"),
            ("..", "instance"),
            ("../x", "_x"),
            (".git", "git"),
            ("a\tb", "a_b"),
            ("日本語", "日本語"),
            ("v1.0", "v1.0"),
            ("C:\\Windows", "C__Windows"),
            ("///", "instance"),
        ];
        for (name, slug) in cases {
            assert_eq!(slugify(name), slug, "{name:?}");
            assert!(
                !needs_slug(&slugify(name)),
                "{name:?} -> {:?} is not safe",
                slugify(name)
            );
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let name = "é".repeat(300);
        let slug = slugify(&name);
        assert!(slug.len() <= MAX_SLUG_BYTES);
        assert!(slug.chars().all(|c| c == 'é'));
    }

    #[test]
    fn claims_are_case_insensitive_and_cover_meta_files() {
        let mut taken = TakenNames::new();
        let script = Shape::File {
            extension: ".luau",
            with_meta: true,
        };
        let text = Shape::File {
            extension: ".txt",
            with_meta: true,
        };
        let model = Shape::File {
            extension: ".model.json5",
            with_meta: false,
        };
        assert_eq!(taken.claim("Foo", script), "Foo");
        // Same meta file as Foo.luau: must move.
        assert_eq!(taken.claim("Foo", text), "Foo~2");
        // Another kind of file or a folder: still the next number, so ~N
        // gives the siblings' order.
        assert_eq!(taken.claim("Foo", model), "Foo~3");
        assert_eq!(taken.claim("foo", model), "foo~4");
        assert_eq!(taken.claim("Foo", Shape::Dir), "Foo~5");
        assert_eq!(taken.claim("FOO", Shape::Dir), "FOO~6");
    }

    #[test]
    fn existing_files_are_reserved_by_their_own_names() {
        let mut taken = TakenNames::new();
        let model = Shape::File {
            extension: ".model.json5",
            with_meta: false,
        };
        assert!(taken.reserve("Part", Shape::Dir));
        assert!(taken.reserve("Part", model), "a project may hold both");
        assert!(!taken.reserve("part", Shape::Dir));
        assert_eq!(taken.claim("Part", model), "Part~2");
    }

    #[test]
    fn dedup_index_reads_the_suffix() {
        assert_eq!(dedup_index("Part"), 1);
        assert_eq!(dedup_index("Part.model.json5"), 1);
        assert_eq!(dedup_index("Part~10.model.json5"), 10);
        assert_eq!(dedup_index("Part~2"), 2);
        assert_eq!(dedup_index("Part~2.server.luau"), 2);
        assert_eq!(dedup_index("~2.luau"), 1);
        assert_eq!(dedup_index("a~b~3.txt"), 3);
        assert_eq!(dedup_index("Part~0.txt"), 1);
    }
}
