//! The dev server's session: the live tree, the watcher, the change
//! processor and the message queue. Nothing here knows HTTP or the wire
//! format (that is `web/`); nothing here does network I/O.

mod instance_data;
mod message_queue;
mod new_entries;
mod processor;
mod session;
mod units;
pub mod write;

pub use instance_data::{InstanceData, PatchMessage};
pub use message_queue::MessageQueue;
pub use session::{OpenError, ServeError, ServeSession};
pub use write::{AddedInstance, WriteError, WriteOutcome, WriteRequest, WriteUpdate};

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`; a thread that panicked while holding it leaves data that
/// is still whole (every change is applied before the lock is released).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
