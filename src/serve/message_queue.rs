//! An append-only list of messages with a cursor, that async listeners can
//! wait on.
//!
//! The cursor is the number of messages pushed so far. A client asks for
//! everything after the cursor it last saw; one that reconnects with an old
//! cursor (even 0) gets the whole history since then.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

pub struct MessageQueue<T> {
    messages: Mutex<Vec<Arc<T>>>,
    cursor: watch::Sender<u32>,
}

impl<T> Default for MessageQueue<T> {
    fn default() -> Self {
        MessageQueue {
            messages: Mutex::new(Vec::new()),
            cursor: watch::Sender::new(0),
        }
    }
}

impl<T> MessageQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<T>>> {
        super::lock(&self.messages)
    }

    /// Adds a message; returns the new cursor.
    pub fn push(&self, message: T) -> u32 {
        let mut messages = self.lock();
        messages.push(Arc::new(message));
        let cursor = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        self.cursor.send_replace(cursor);
        cursor
    }

    /// The current cursor.
    pub fn cursor(&self) -> u32 {
        u32::try_from(self.lock().len()).unwrap_or(u32::MAX)
    }

    /// The messages after `cursor`, and the cursor after them.
    pub fn since(&self, cursor: u32) -> (u32, Vec<Arc<T>>) {
        let messages = self.lock();
        let start = (cursor as usize).min(messages.len());
        let now = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        (now, messages[start..].to_vec())
    }

    /// A receiver that wakes up whenever a message is pushed.
    pub fn subscribe(&self) -> watch::Receiver<u32> {
        self.cursor.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_cursor_gets_the_history_since_then() {
        let queue = MessageQueue::new();
        queue.push("a");
        queue.push("b");
        queue.push("c");
        let (cursor, messages) = queue.since(1);
        assert_eq!(cursor, 3);
        assert_eq!(messages.iter().map(|m| **m).collect::<Vec<_>>(), ["b", "c"]);
        assert!(queue.since(3).1.is_empty());
        assert!(queue.since(99).1.is_empty());
    }

    #[tokio::test]
    async fn listeners_wake_on_push() {
        let queue = Arc::new(MessageQueue::new());
        let mut receiver = queue.subscribe();
        let pusher = queue.clone();
        std::thread::spawn(move || pusher.push(1));
        receiver.changed().await.unwrap();
        assert_eq!(queue.since(0).1.len(), 1);
    }
}
