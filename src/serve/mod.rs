//! The dev server's session: the live tree, the watcher, the change
//! processor and the message queue. Nothing here knows HTTP or the wire
//! format (that is `web/`); nothing here does network I/O.

mod instance_data;
mod message_queue;
mod processor;
mod session;
mod units;

pub use instance_data::{InstanceData, PatchMessage};
pub use message_queue::MessageQueue;
pub use processor::{MAX_WAIT, QUIET};
pub use session::{OpenError, ServeError, ServeSession};
pub use units::Unit;
