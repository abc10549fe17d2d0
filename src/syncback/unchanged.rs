//! Whether an instance already on disk needs writing at all.
//!
//! In incremental mode a new instance is compared with the old instance it
//! continues (see `incremental`), on what syncback would write: the
//! properties and attributes after the same rules (defaults, exclusions,
//! `syncbackRules`), and Ref targets through the pairing. When they are equal
//! the files that hold the instance already read back as it, whatever their
//! spelling, so they are left exactly as they are.

use std::collections::HashMap;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{ustr, Instance, WeakDom};

use super::properties::{exact_eq, stored_eq, PropertyRules};
use crate::snapshot::refs::is_reference_attribute;

pub(super) struct Unchanged<'a> {
    pub new: &'a WeakDom,
    /// The old tree as a built file holds it.
    pub old: &'a WeakDom,
    /// New referent → its old instance in `old`.
    pub pairs: &'a HashMap<Ref, Ref>,
    pub rules: PropertyRules<'a>,
}

impl Unchanged<'_> {
    /// True if the instance's own data (class, name, properties, attributes,
    /// references) is what its old instance has.
    pub fn own(&self, new: Ref) -> bool {
        let Some(old) = self.pairs.get(&new) else {
            return false;
        };
        let (Some(a), Some(b)) = (self.new.get_by_ref(new), self.old.get_by_ref(*old)) else {
            return false;
        };
        a.class == b.class
            && a.name == b.name
            && self.same_properties(a, b)
            && same_attributes(a, b)
            && (self.rules.rules.ignore_referents || self.same_refs(a, b))
    }

    /// True if the whole subtree is what the old one is, children in order.
    pub fn subtree(&self, new: Ref) -> bool {
        if !self.own(new) {
            return false;
        }
        let (Some(a), Some(b)) = (
            self.new.get_by_ref(new),
            self.pairs
                .get(&new)
                .and_then(|old| self.old.get_by_ref(*old)),
        ) else {
            return false;
        };
        a.children().len() == b.children().len()
            && a.children()
                .iter()
                .zip(b.children())
                .all(|(n, o)| self.pairs.get(n) == Some(o) && self.subtree(*n))
    }

    /// The written properties are the same, as a place file stores them.
    fn same_properties(&self, a: &Instance, b: &Instance) -> bool {
        let (written_a, written_b) = (self.rules.written(a), self.rules.written(b));
        let differing = written_a
            .iter()
            .find(|(name, value)| {
                !written_b
                    .get(*name)
                    .is_some_and(|other| stored_eq(value, other))
            })
            .map(|(name, _)| *name)
            .or_else(|| {
                written_b
                    .keys()
                    .find(|name| !written_a.contains_key(*name))
                    .copied()
            });
        if let Some(name) = differing {
            log::trace!("{}.{name} changed", a.name);
        }
        differing.is_none()
    }

    /// True if both instances hold the same references, through the pairing.
    fn same_refs(&self, a: &Instance, b: &Instance) -> bool {
        let target = |instance: &Instance, name| match instance.properties.get(name) {
            Some(Variant::Ref(r)) if r.is_some() => Some(*r),
            _ => None,
        };
        let refs_of = |instance: &Instance| {
            instance
                .properties
                .iter()
                .filter(|(_, v)| matches!(v, Variant::Ref(r) if r.is_some()))
                .count()
        };
        refs_of(a) == refs_of(b)
            && a.properties.iter().all(|(name, value)| match value {
                Variant::Ref(r) if r.is_some() => {
                    target(b, name).is_some_and(|old| self.pairs.get(r) == Some(&old))
                }
                _ => true,
            })
    }
}

/// True if both hold the same attributes, reference attributes aside. Both
/// sides are as a place file stores them (the old tree went through one),
/// so the values compare exactly.
fn same_attributes(a: &Instance, b: &Instance) -> bool {
    fn listed(instance: &Instance) -> Vec<(&String, &Variant)> {
        match instance.properties.get(&ustr("Attributes")) {
            Some(Variant::Attributes(attributes)) => attributes
                .iter()
                .filter(|(name, _)| !is_reference_attribute(name))
                .collect(),
            _ => Vec::new(),
        }
    }
    let (a, b) = (listed(a), listed(b));
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|((name_a, value_a), (name_b, value_b))| {
                name_a == name_b && exact_eq(value_a, value_b)
            })
}
