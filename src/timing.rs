//! How long each phase of a long operation took, logged at debug level
//! (`-v`), for finding where the time (and, on Linux, the memory) goes
//! without a profiler.

use std::time::{Duration, Instant};

pub struct Phases {
    what: &'static str,
    last: Instant,
    parts: Vec<(&'static str, Duration, Option<Memory>)>,
}

/// The process's resident memory when a phase ended, and its peak so far
/// (kibibytes; Linux only).
#[derive(Clone, Copy)]
struct Memory {
    resident: u64,
    peak: u64,
}

impl Memory {
    fn now() -> Option<Memory> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(Memory {
            resident: field("VmRSS:")?,
            peak: field("VmHWM:")?,
        })
    }
}

impl Phases {
    pub fn new(what: &'static str) -> Phases {
        Phases {
            what,
            last: Instant::now(),
            parts: Vec::new(),
        }
    }

    /// The phase `name` ended now.
    pub fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        let memory = log::log_enabled!(log::Level::Debug)
            .then(Memory::now)
            .flatten();
        self.parts.push((name, now - self.last, memory));
        self.last = now;
    }

    /// Logs every phase (debug level).
    pub fn log(&self) {
        if log::log_enabled!(log::Level::Debug) {
            let parts: Vec<String> = self
                .parts
                .iter()
                .map(|(name, took, memory)| match memory {
                    Some(m) => format!(
                        "{name} {took:.1?} (resident {} MiB, peak {} MiB)",
                        m.resident / 1024,
                        m.peak / 1024
                    ),
                    None => format!("{name} {took:.1?}"),
                })
                .collect();
            log::debug!("{}: {}", self.what, parts.join(", "));
        }
    }
}
