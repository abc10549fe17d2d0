//! How long each phase of a long operation took, logged at debug level
//! (`-v`), for finding where the time goes without a profiler.

use std::time::{Duration, Instant};

pub struct Phases {
    what: &'static str,
    last: Instant,
    parts: Vec<(&'static str, Duration)>,
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
        self.parts.push((name, now - self.last));
        self.last = now;
    }

    /// Logs every phase (debug level).
    pub fn log(&self) {
        if log::log_enabled!(log::Level::Debug) {
            let parts: Vec<String> = self
                .parts
                .iter()
                .map(|(name, took)| format!("{name} {took:.1?}"))
                .collect();
            log::debug!("{}: {}", self.what, parts.join(", "));
        }
    }
}
