//! What each reference's last resolution read, so that after a change only
//! the references that read something changed are resolved again.
//!
//! A `Rojo_Ref_*` path reads the instances it walks: where it starts, each
//! instance whose children it searched or whose parent it took, and where it
//! ended (a search that failed read the instance it searched). Changing an
//! instance's name, class or name on disk, or the children of one it
//! searched, or removing one it read, can change what the path resolves to;
//! nothing else can (removing a child the search did not pick leaves the
//! pick as it was). A `Rojo_Target_*` id reads every id in the tree: it
//! reads [`IDS`].

use std::collections::{HashMap, HashSet};

use rbx_dom_weak::types::Ref;

/// What an id lookup reads: every id of the tree.
pub const IDS: Ref = Ref::none();

/// Holder → what its references read, and the reverse.
#[derive(Debug, Default)]
pub struct RefReads {
    of: HashMap<Ref, Vec<Ref>>,
    readers: HashMap<Ref, HashSet<Ref>>,
}

impl RefReads {
    /// Records what the references of `holder` read, replacing what they
    /// read before.
    pub fn set(&mut self, holder: Ref, reads: Vec<Ref>) {
        self.forget(holder);
        for read in &reads {
            self.readers.entry(*read).or_default().insert(holder);
        }
        self.of.insert(holder, reads);
    }

    /// Drops what `holder` read (it left the tree, or lost its references).
    pub fn forget(&mut self, holder: Ref) {
        let Some(reads) = self.of.remove(&holder) else {
            return;
        };
        for read in reads {
            if let Some(readers) = self.readers.get_mut(&read) {
                readers.remove(&holder);
                if readers.is_empty() {
                    self.readers.remove(&read);
                }
            }
        }
    }

    /// The holders whose references read `instance`.
    pub fn readers_of(&self, instance: Ref) -> impl Iterator<Item = Ref> + '_ {
        self.readers.get(&instance).into_iter().flatten().copied()
    }

    pub fn clear(&mut self) {
        self.of.clear();
        self.readers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_forget_drops_the_reverse_entries() {
        let (holder, a, b) = (Ref::new(), Ref::new(), Ref::new());
        let mut reads = RefReads::default();
        reads.set(holder, vec![a, b, a]);
        assert_eq!(reads.readers_of(a).collect::<Vec<_>>(), vec![holder]);
        reads.set(holder, vec![b]);
        assert_eq!(reads.readers_of(a).count(), 0);
        assert_eq!(reads.readers_of(b).collect::<Vec<_>>(), vec![holder]);
        reads.forget(holder);
        assert_eq!(reads.readers_of(b).count(), 0);
        assert!(reads.readers.is_empty() && reads.of.is_empty());
    }
}
