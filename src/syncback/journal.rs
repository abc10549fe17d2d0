//! The journal that makes applying a change set all or nothing, even when
//! the process is killed halfway.
//!
//! Before the writer touches the project it writes, in one go, what it is
//! about to do: files it creates where nothing was, folders it creates,
//! temporary files it writes for changed files, entries it moves aside and
//! paths it removes. Once everything is staged it appends `commit`. Then it
//! renames, removes, and deletes the journal.
//!
//! A journal left behind means a writer died. [`recover`] (run by the
//! writer and by every command that opens a project) finishes its work when
//! the journal says `commit` (the renames and removals are idempotent), and
//! takes back everything staged when it does not, so the project is either
//! as it was or as the syncback left it, never a mix.
//!
//! The journal is plain text, one record per line: a tag, a tab, then the
//! paths relative to the project folder, tab-separated. No fsync: it
//! survives a killed process (the kernel holds what was written); a power
//! cut is outside what it promises, as it is for the files themselves.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The journal's name in the project folder.
pub const JOURNAL_NAME: &str = ".atlas-syncback.journal";

const HEADER: &str = "atlas syncback journal 1";

/// What a writer is about to do, in the order it does it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Files created where nothing was.
    pub new_files: Vec<PathBuf>,
    /// Folders created where nothing was (parents first).
    pub new_dirs: Vec<PathBuf>,
    /// Changed files: (temporary file, target).
    pub temps: Vec<(PathBuf, PathBuf)>,
    /// Entries in the way of a write: (original, where it is moved).
    pub asides: Vec<(PathBuf, PathBuf)>,
    /// Paths removed after the commit.
    pub removals: Vec<PathBuf>,
}

/// What [`recover`] did with an interrupted syncback's journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The syncback had committed: its renames and removals were finished.
    Finished,
    /// It had not: what it had staged was taken back.
    RolledBack,
}

impl Recovery {
    /// One line for the log.
    pub fn describe(&self, root: &Path) -> String {
        match self {
            Recovery::Finished => format!(
                "{}: an interrupted syncback had written everything it stages; its renames and removals are now done",
                root.display()
            ),
            Recovery::RolledBack => format!(
                "{}: an interrupted syncback was taken back; the project is as it was before it",
                root.display()
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error("{}: not an Atlas syncback journal (line {line}); remove it by hand once the project is as it should be", path.display())]
    Malformed { path: PathBuf, line: usize },
}

/// An open journal, for the writer.
pub struct Journal {
    path: PathBuf,
    file: fs::File,
}

impl Journal {
    /// Writes `intent` as a new journal in `root`.
    pub fn begin(root: &Path, intent: &Intent) -> Result<Journal, JournalError> {
        let path = root.join(JOURNAL_NAME);
        let io_error = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut text = String::with_capacity(64 * (intent.new_files.len() + intent.temps.len()));
        text.push_str(HEADER);
        text.push('\n');
        let mut record = |tag: &str, paths: &[&Path]| {
            text.push_str(tag);
            for p in paths {
                text.push('\t');
                text.push_str(&relative(root, p));
            }
            text.push('\n');
        };
        for dir in &intent.new_dirs {
            record("dir", &[dir]);
        }
        for file in &intent.new_files {
            record("new", &[file]);
        }
        for (temp, target) in &intent.temps {
            record("temp", &[temp, target]);
        }
        for (original, aside) in &intent.asides {
            record("aside", &[original, aside]);
        }
        for path in &intent.removals {
            record("remove", &[path]);
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error)?;
        if let Err(source) = file.write_all(text.as_bytes()) {
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(JournalError::Io { path, source });
        }
        Ok(Journal { path, file })
    }

    /// Records that `path` already existed when it was to be created (so a
    /// rollback must not remove it), and that it is written through
    /// `temp` instead.
    pub fn existed(&mut self, root: &Path, path: &Path, temp: &Path) -> io::Result<()> {
        let (path, temp) = (relative(root, path), relative(root, temp));
        self.file
            .write_all(format!("existed\t{path}\ntemp\t{temp}\t{path}\n").as_bytes())
    }

    /// Everything is staged: from here on, recovery finishes the syncback.
    pub fn commit(&mut self) -> io::Result<()> {
        self.file.write_all(b"commit\n")
    }

    /// The syncback is complete (or fully undone): the journal goes.
    pub fn end(self) -> io::Result<()> {
        drop(self.file);
        fs::remove_file(&self.path)
    }
}

/// `path` relative to `root`, `/`-separated, with `\\`, tab, newline and
/// carriage return escaped (file names may hold them).
fn relative(root: &Path, path: &Path) -> String {
    let rest = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, component) in rest.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for c in component.as_os_str().to_string_lossy().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    out
}

fn unescape(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

/// Finishes or takes back a syncback that was interrupted in `root` (a
/// journal is there). `None` when there was nothing to do.
pub fn recover(root: &Path) -> Result<Option<Recovery>, JournalError> {
    let path = root.join(JOURNAL_NAME);
    let text = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(JournalError::Io { path, source }),
    };
    let text = String::from_utf8_lossy(&text);
    let (intent, existed, committed) = parse(&path, root, &text)?;
    let io_error = |p: &Path| {
        let p = p.to_path_buf();
        move |source| JournalError::Io { path: p, source }
    };
    let recovery = if committed {
        for (temp, target) in &intent.temps {
            if exists(temp) {
                fs::rename(temp, target).map_err(io_error(target))?;
            }
        }
        for (_, aside) in &intent.asides {
            if exists(aside) {
                remove_any(aside).map_err(io_error(aside))?;
            }
        }
        for removal in &intent.removals {
            if exists(removal) {
                remove_any(removal).map_err(io_error(removal))?;
            }
        }
        Recovery::Finished
    } else {
        for (temp, _) in &intent.temps {
            if exists(temp) {
                fs::remove_file(temp).map_err(io_error(temp))?;
            }
        }
        for file in intent.new_files.iter().filter(|f| !existed.contains(f)) {
            if exists(file) {
                fs::remove_file(file).map_err(io_error(file))?;
            }
        }
        for dir in intent.new_dirs.iter().rev() {
            // Only if empty: something else put there stays.
            let _ = fs::remove_dir(dir);
        }
        for (original, aside) in &intent.asides {
            if exists(aside) && !exists(original) {
                fs::rename(aside, original).map_err(io_error(original))?;
            }
        }
        Recovery::RolledBack
    };
    fs::remove_file(&path).map_err(|source| JournalError::Io { path, source })?;
    Ok(Some(recovery))
}

type Parsed = (Intent, Vec<PathBuf>, bool);

fn parse(path: &Path, root: &Path, text: &str) -> Result<Parsed, JournalError> {
    let malformed = |line: usize| JournalError::Malformed {
        path: path.to_path_buf(),
        line,
    };
    let mut intent = Intent::default();
    let mut existed = Vec::new();
    let mut committed = false;
    // A last line without its newline was cut short by the kill: it was
    // never acted on.
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut lines = complete.split('\n').enumerate();
    match lines.next() {
        Some((_, HEADER)) => {}
        // Killed while writing the header: nothing was done.
        None | Some((_, "")) if complete.is_empty() => {}
        _ => return Err(malformed(1)),
    }
    for (index, line) in lines {
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or_default();
        let paths: Vec<PathBuf> = fields
            .map(|p| join_plain(root, p))
            .collect::<Option<_>>()
            .ok_or_else(|| malformed(index + 1))?;
        match (tag, &paths[..]) {
            ("dir", [dir]) => intent.new_dirs.push(dir.clone()),
            ("new", [file]) => intent.new_files.push(file.clone()),
            ("temp", [temp, target]) => intent.temps.push((temp.clone(), target.clone())),
            ("aside", [original, aside]) => intent.asides.push((original.clone(), aside.clone())),
            ("remove", [removal]) => intent.removals.push(removal.clone()),
            ("existed", [file]) => existed.push(file.clone()),
            ("commit", []) => committed = true,
            _ => return Err(malformed(index + 1)),
        }
    }
    Ok((intent, existed, committed))
}

/// `root/relative` when `relative` is made of plain names (a journal never
/// leads recovery outside the project).
fn join_plain(root: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for part in relative.split('/') {
        let part = unescape(part)?;
        let mut components = Path::new(&part).components();
        match (components.next(), components.next()) {
            (Some(std::path::Component::Normal(name)), None) if name == part.as_str() => {
                path.push(name)
            }
            _ => return None,
        }
    }
    Some(path)
}

/// True if something (a file, a folder, a link) is at `path`.
pub(super) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Removes the file, link or folder (with its contents) at `path`.
pub(super) fn remove_any(path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// A test hook: counts its calls and says when the count reaches the
/// number in the environment variable `var` (never when it is unset).
struct CountedHook {
    var: &'static str,
    at: std::sync::OnceLock<Option<u64>>,
    count: std::sync::atomic::AtomicU64,
}

impl CountedHook {
    const fn new(var: &'static str) -> CountedHook {
        CountedHook {
            var,
            at: std::sync::OnceLock::new(),
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// True on the N-th call.
    fn hit(&self) -> bool {
        let at = self
            .at
            .get_or_init(|| std::env::var(self.var).ok().and_then(|v| v.parse().ok()));
        at.is_some_and(|at| {
            self.count
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1
                == at
        })
    }
}

/// Tests only: `ATLAS_TEST_CRASH_AT=N` ends the process, as `kill -9`
/// would (no cleanup), at the N-th step of applying a change set (steps are
/// counted from 1: the journal written, each staged file or folder, the
/// commit, each rename and removal).
pub fn crash_point() {
    static HOOK: CountedHook = CountedHook::new("ATLAS_TEST_CRASH_AT");
    if HOOK.hit() {
        std::process::abort();
    }
}

/// Tests only: `ATLAS_TEST_FULL_DISK_AT=N` makes the N-th file written
/// while staging fail as a full disk does (ENOSPC).
pub fn full_disk_point() -> io::Result<()> {
    static HOOK: CountedHook = CountedHook::new("ATLAS_TEST_FULL_DISK_AT");
    if HOOK.hit() {
        // ENOSPC on Linux and macOS.
        return Err(io::Error::from_raw_os_error(28));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_not_acted_on() {
        let root = Path::new("/p");
        let text = format!("{HEADER}\nnew\ta/b.luau\ncomm");
        let (intent, _, committed) = parse(Path::new("/p/j"), root, &text).unwrap();
        assert_eq!(intent.new_files, vec![PathBuf::from("/p/a/b.luau")]);
        assert!(!committed);
    }

    #[test]
    fn a_path_leading_outside_the_project_is_refused() {
        let text = format!("{HEADER}\nremove\t../etc\n");
        let err = parse(Path::new("/p/j"), Path::new("/p"), &text).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn names_with_tabs_newlines_and_backslashes_read_back() {
        let root = Path::new("/p");
        let odd = root.join("a\tb").join("c\nd\\e.luau");
        let line = relative(root, &odd);
        assert!(!line.contains('\t') && !line.contains('\n'), "{line}");
        assert_eq!(join_plain(root, &line), Some(odd));
    }

    #[test]
    fn an_empty_journal_means_nothing_was_done() {
        let (intent, existed, committed) = parse(Path::new("/p/j"), Path::new("/p"), "").unwrap();
        assert_eq!(intent, Intent::default());
        assert!(existed.is_empty() && !committed);
    }
}
