//! Compares two instance trees: names, classes, hierarchy, every property,
//! and Ref properties by the instance they point at.
//!
//! Same-named siblings may come back in another order (files are read in
//! file-name order), so siblings are paired by name and class, and within a
//! group of duplicates by a content signature.
//!
//! Floats compare bit-exact (`Floats::Exact`: values must print the same) or
//! within a tolerance (`Floats::Within`), for files made by other tools.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::hash::{Hash, Hasher};

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::{Instance, Ustr, WeakDom};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Floats {
    Exact,
    /// `|a - b| <= eps * max(1, |a|, |b|)`
    Within(f64),
}

#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub floats: Floats,
    /// A property missing on one side equals the class default on the other.
    pub defaults_equal_absent: bool,
    /// Compare the names of the two roots too.
    pub compare_root_names: bool,
    /// Properties left out of the comparison entirely.
    pub ignored_properties: Vec<&'static str>,
    /// Compare a tree in memory with one read back from a file: accept the
    /// changes encoding makes (a String attribute read back as BinaryString,
    /// Color3 stored as Color3uint8, aliases and migrated properties stored
    /// under their canonical name, zero values filled in for unknown ones).
    pub lenient_encodings: bool,
    /// Leave out every `UniqueId` value (syncback writes none).
    pub ignore_unique_ids: bool,
    /// Pair same-named siblings by their position among themselves, as
    /// `FindFirstChild` and `GetChildren` see them, instead of by content.
    pub positional_siblings: bool,
}

impl CompareOptions {
    pub fn exact() -> Self {
        CompareOptions {
            floats: Floats::Exact,
            defaults_equal_absent: true,
            compare_root_names: true,
            ignored_properties: Vec::new(),
            lenient_encodings: false,
            ignore_unique_ids: false,
            positional_siblings: false,
        }
    }

    /// Exact, with same-named siblings paired by position: what a user
    /// (and `FindFirstChild`) sees.
    pub fn strict() -> Self {
        CompareOptions {
            positional_siblings: true,
            ..CompareOptions::exact()
        }
    }

    pub fn within(eps: f64) -> Self {
        CompareOptions {
            floats: Floats::Within(eps),
            ..CompareOptions::exact()
        }
    }
}

/// What differs between two trees, one line per difference.
#[derive(Debug, Default)]
pub struct Comparison {
    pub differences: Vec<String>,
    pub instances_compared: usize,
    pub properties_compared: usize,
}

impl Comparison {
    pub fn is_equal(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn report(&self, limit: usize) -> String {
        let mut out = format!(
            "{} difference(s) over {} instances / {} properties:\n",
            self.differences.len(),
            self.instances_compared,
            self.properties_compared
        );
        for line in self.differences.iter().take(limit) {
            let _ = writeln!(out, "  {line}");
        }
        if self.differences.len() > limit {
            let _ = writeln!(out, "  ... and {} more", self.differences.len() - limit);
        }
        out
    }
}

pub fn compare(
    left: &WeakDom,
    left_root: Ref,
    right: &WeakDom,
    right_root: Ref,
    options: &CompareOptions,
) -> Comparison {
    let mut state = State {
        left,
        right,
        options,
        pairs: HashMap::new(),
        signatures: (HashMap::new(), HashMap::new()),
        full: (RefCell::new(HashMap::new()), RefCell::new(HashMap::new())),
        result: Comparison::default(),
    };
    if options.compare_root_names {
        let (l, r) = (instance(left, left_root), instance(right, right_root));
        if l.name != r.name {
            state
                .result
                .differences
                .push(format!("root name: {:?} != {:?}", l.name, r.name));
        }
    }
    state.pair(
        left_root,
        right_root,
        &instance(left, left_root).name.clone(),
    );
    let mut pairs: Vec<(Ref, Ref, String)> = Vec::new();
    collect_paths(
        &state,
        left_root,
        &instance(left, left_root).name.clone(),
        &mut pairs,
    );
    for (l, r, path) in pairs {
        state.compare_properties(l, r, &path);
    }
    state.result
}

/// Panics with a report when the trees differ.
pub fn assert_trees_equal(
    left: &WeakDom,
    left_root: Ref,
    right: &WeakDom,
    right_root: Ref,
    options: &CompareOptions,
) {
    let comparison = compare(left, left_root, right, right_root, options);
    assert!(
        comparison.is_equal(),
        "trees differ: {}",
        comparison.report(60)
    );
}

fn instance(dom: &WeakDom, referent: Ref) -> &Instance {
    dom.get_by_ref(referent).expect("referent in tree")
}

fn collect_paths(state: &State, left: Ref, path: &str, out: &mut Vec<(Ref, Ref, String)>) {
    let Some(right) = state.pairs.get(&left) else {
        return;
    };
    out.push((left, *right, path.to_owned()));
    for child in instance(state.left, left).children() {
        let child_path = format!("{path}/{}", instance(state.left, *child).name);
        collect_paths(state, *child, &child_path, out);
    }
}

/// Subtree hashes already computed.
type Memo = RefCell<HashMap<Ref, u64>>;

/// Siblings sharing a (name, class): those on the left, those on the right.
type SiblingGroup = ((String, Ustr), Vec<Ref>, Vec<Ref>);

struct State<'a> {
    left: &'a WeakDom,
    right: &'a WeakDom,
    options: &'a CompareOptions,
    pairs: HashMap<Ref, Ref>,
    signatures: (HashMap<Ref, u64>, HashMap<Ref, u64>),
    full: (Memo, Memo),
    result: Comparison,
}

impl State<'_> {
    fn pair(&mut self, left: Ref, right: Ref, path: &str) {
        self.pairs.insert(left, right);
        self.result.instances_compared += 1;
        let (l, r) = (instance(self.left, left), instance(self.right, right));
        if l.class != r.class {
            self.result
                .differences
                .push(format!("{path}: class {} != {}", l.class, r.class));
        }

        // Group children by (name, class), keeping order.
        let mut groups: Vec<SiblingGroup> = Vec::new();
        for child in l.children() {
            let c = instance(self.left, *child);
            let key = (c.name.clone(), c.class);
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.1.push(*child),
                None => groups.push((key, vec![*child], Vec::new())),
            }
        }
        for child in r.children() {
            let c = instance(self.right, *child);
            let key = (c.name.clone(), c.class);
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.2.push(*child),
                None => groups.push((key, Vec::new(), vec![*child])),
            }
        }

        for ((name, class), lefts, rights) in groups {
            let child_path = format!("{path}/{name}");
            if lefts.len() != rights.len() {
                self.result.differences.push(format!(
                    "{child_path}: {} {class} instance(s) on the left, {} on the right",
                    lefts.len(),
                    rights.len()
                ));
            }
            let matched = self.match_group(&lefts, &rights);
            for (l, r) in matched {
                self.pair(l, r, &child_path);
            }
        }
    }

    /// Pairs duplicates: equal signatures first, in order; then the rest in order.
    fn match_group(&mut self, lefts: &[Ref], rights: &[Ref]) -> Vec<(Ref, Ref)> {
        if lefts.len() <= 1 || rights.len() <= 1 || self.options.positional_siblings {
            return lefts.iter().copied().zip(rights.iter().copied()).collect();
        }
        let left_sigs: Vec<u64> = lefts
            .iter()
            .map(|r| signature(self.left, *r, &mut self.signatures.0))
            .collect();
        let right_sigs: Vec<u64> = rights
            .iter()
            .map(|r| signature(self.right, *r, &mut self.signatures.1))
            .collect();
        let mut used = vec![false; rights.len()];
        let mut result = Vec::new();
        // Identical subtrees (every value, at every depth) pair first.
        let left_full: Vec<u64> = lefts
            .iter()
            .map(|r| full_signature(self.left, *r, &mut self.full.0.borrow_mut(), self.options))
            .collect();
        let right_full: Vec<u64> = rights
            .iter()
            .map(|r| full_signature(self.right, *r, &mut self.full.1.borrow_mut(), self.options))
            .collect();
        let mut lefts_left = Vec::new();
        for (i, l) in lefts.iter().enumerate() {
            match (0..rights.len()).find(|j| !used[*j] && right_full[*j] == left_full[i]) {
                Some(j) => {
                    used[j] = true;
                    result.push((*l, rights[j]));
                }
                None => lefts_left.push(i),
            }
        }
        // Then the look-alikes whose values (floats included) match; then
        // the rest by signature; then by order. A real difference stays with
        // the instance that has it instead of shifting every pair after it.
        let mut unmatched = Vec::new();
        for i in lefts_left {
            let l = &lefts[i];
            let exact = (0..rights.len()).find(|j| {
                !used[*j] && right_sigs[*j] == left_sigs[i] && self.properties_match(*l, rights[*j])
            });
            match exact {
                Some(j) => {
                    used[j] = true;
                    result.push((*l, rights[j]));
                }
                None => unmatched.push(i),
            }
        }
        let mut leftover = Vec::new();
        for i in unmatched {
            match (0..rights.len()).find(|j| !used[*j] && right_sigs[*j] == left_sigs[i]) {
                Some(j) => {
                    used[j] = true;
                    result.push((lefts[i], rights[j]));
                }
                None => leftover.push(lefts[i]),
            }
        }
        let mut rest = (0..rights.len()).filter(|j| !used[*j]);
        for l in leftover {
            if let Some(j) = rest.next() {
                result.push((l, rights[j]));
            }
        }
        result
    }

    fn twins(&self, left: Ref, right: Ref) -> bool {
        let (Some(l), Some(r)) = (self.left.get_by_ref(left), self.right.get_by_ref(right)) else {
            return false;
        };
        self.pairs.get(&l.parent()) == Some(&r.parent())
            && full_signature(self.left, left, &mut self.full.0.borrow_mut(), self.options)
                == full_signature(
                    self.right,
                    right,
                    &mut self.full.1.borrow_mut(),
                    self.options,
                )
    }

    /// True if every non-Ref property of the two instances is equal.
    fn properties_match(&self, left: Ref, right: Ref) -> bool {
        let (l, r) = (instance(self.left, left), instance(self.right, right));
        l.properties.keys().chain(r.properties.keys()).all(|name| {
            if self.options.ignored_properties.contains(&name.as_str()) {
                return true;
            }
            match (l.properties.get(name), r.properties.get(name)) {
                (Some(Variant::Ref(_)), _) | (_, Some(Variant::Ref(_))) => true,
                (Some(a), Some(b)) => self.values_differ(a, b).is_none(),
                (Some(a), None) => self.absent_differs(&l.class, name, a, self.left).is_none(),
                (None, Some(b)) => self.absent_differs(&r.class, name, b, self.right).is_none(),
                (None, None) => true,
            }
        })
    }

    fn compare_properties(&mut self, left: Ref, right: Ref, path: &str) {
        let (l, r) = (instance(self.left, left), instance(self.right, right));
        let names: BTreeSet<Ustr> = l
            .properties
            .keys()
            .chain(r.properties.keys())
            .copied()
            .collect();
        for name in names {
            if self.options.ignored_properties.contains(&name.as_str()) {
                continue;
            }
            let is_unique_id = |v: Option<&Variant>| matches!(v, Some(Variant::UniqueId(_)));
            if self.options.ignore_unique_ids
                && (is_unique_id(l.properties.get(&name)) || is_unique_id(r.properties.get(&name)))
            {
                continue;
            }
            self.result.properties_compared += 1;
            let difference = match (l.properties.get(&name), r.properties.get(&name)) {
                (Some(a), Some(b)) => self.values_differ(a, b),
                (Some(a), None) => self
                    .absent_differs(&l.class, &name, a, self.left)
                    .map(|d| format!("{d} (missing on the right)")),
                (None, Some(b)) => self
                    .absent_differs(&r.class, &name, b, self.right)
                    .map(|d| format!("{d} (missing on the left)")),
                (None, None) => None,
            };
            if let Some(detail) = difference {
                self.result
                    .differences
                    .push(format!("{path}: .{name}: {detail}"));
            }
        }
    }

    fn values_differ(&self, a: &Variant, b: &Variant) -> Option<String> {
        match (a, b) {
            (Variant::Ref(ta), Variant::Ref(tb)) => {
                let la = ta.is_some() && self.left.get_by_ref(*ta).is_some();
                let lb = tb.is_some() && self.right.get_by_ref(*tb).is_some();
                match (la, lb) {
                    (false, false) => None,
                    (true, true) if self.pairs.get(ta) == Some(tb) => None,
                    // Identical twins (same parent, same everything) cannot be
                    // told apart; pointing at either is the same.
                    (true, true) if self.twins(*ta, *tb) => None,
                    _ => Some(format!(
                        "Ref -> {} != -> {}",
                        target_path(self.left, *ta),
                        target_path(self.right, *tb)
                    )),
                }
            }
            _ if self.options.lenient_encodings && lenient_equal(a, b, self.options.floats) => None,
            _ => (!values_equal(a, b, self.options.floats))
                .then(|| format!("{} != {}", short(a), short(b))),
        }
    }

    fn absent_differs(
        &self,
        class: &str,
        name: &str,
        present: &Variant,
        dom: &WeakDom,
    ) -> Option<String> {
        if let Variant::Ref(target) = present {
            return (target.is_some() && dom.get_by_ref(*target).is_some())
                .then(|| format!("Ref -> {}", target_path(dom, *target)));
        }
        if self.options.lenient_encodings
            && (not_stored_as_itself(class, name)
                || is_zero_value(present)
                || is_migration_target(class, name)
                || atlas::reflection::property(class, name).is_none())
        {
            return None;
        }
        if !self.options.defaults_equal_absent {
            return Some(short(present));
        }
        match default_of(class, name) {
            Some(default) if values_equal(present, default, self.options.floats) => None,
            Some(default) => Some(format!("{} (default {})", short(present), short(default))),
            None if is_empty_container(present) => None,
            None => Some(format!("{} (no known default)", short(present))),
        }
    }
}

/// Aliases, migrated and non-serializing properties come back from a file
/// under another name, or not at all.
fn not_stored_as_itself(class: &str, name: &str) -> bool {
    use rbx_reflection::{PropertyKind, PropertySerialization};
    match atlas::reflection::property(class, name) {
        Some(descriptor) => match &descriptor.kind {
            PropertyKind::Alias { .. } => true,
            PropertyKind::Canonical { serialization } => matches!(
                serialization,
                PropertySerialization::DoesNotSerialize | PropertySerialization::Migrate(_)
            ),
            _ => false,
        },
        None => false,
    }
}

/// True if another property of the class is stored under `name` in files
/// (`Decal.Texture` becomes `TextureContent`).
fn is_migration_target(class: &str, name: &str) -> bool {
    use rbx_reflection::{PropertyKind, PropertySerialization};
    let db = atlas::reflection::database();
    let Some(descriptor) = db.classes.get(class) else {
        return false;
    };
    db.superclasses_iter(descriptor).any(|c| {
        c.properties.values().any(|p| match &p.kind {
            PropertyKind::Canonical {
                serialization: PropertySerialization::Migrate(migration),
            } => migration.new_property_names().contains(&name),
            _ => false,
        })
    })
}

/// The value rbx_binary writes for an instance that lacks a property other
/// instances of its class have.
fn is_zero_value(value: &Variant) -> bool {
    match value {
        Variant::Float32(f) => *f == 0.0,
        Variant::Float64(f) => *f == 0.0,
        Variant::Int32(i) => *i == 0,
        Variant::Int64(i) => *i == 0,
        Variant::Bool(b) => !b,
        Variant::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Equality across the encodings a value may take in a file.
fn lenient_equal(a: &Variant, b: &Variant, floats: Floats) -> bool {
    use rbx_dom_weak::types::Color3uint8;
    fn text(v: &Variant) -> Option<String> {
        match v {
            Variant::String(s) => Some(s.clone()),
            Variant::BinaryString(b) => String::from_utf8(AsRef::<[u8]>::as_ref(b).to_vec()).ok(),
            Variant::ContentId(c) => Some(c.as_str().to_owned()),
            Variant::Content(c) => Some(c.as_uri().unwrap_or_default().to_owned()),
            _ => None,
        }
    }
    match (a, b) {
        (Variant::Color3(c), Variant::Color3uint8(u))
        | (Variant::Color3uint8(u), Variant::Color3(c)) => Color3uint8::from(*c) == *u,
        (Variant::Attributes(x), Variant::Attributes(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(k.as_str())
                        .is_some_and(|w| values_equal(v, w, floats) || lenient_equal(v, w, floats))
                })
        }
        _ => match (text(a), text(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn is_empty_container(value: &Variant) -> bool {
    match value {
        Variant::Attributes(a) => a.is_empty(),
        Variant::Tags(t) => t.is_empty(),
        _ => false,
    }
}

fn default_of(class: &str, property: &str) -> Option<&'static Variant> {
    let db = atlas::reflection::database();
    let descriptor = db.classes.get(class)?;
    db.superclasses_iter(descriptor)
        .find_map(|c| c.default_properties.get(property))
}

fn target_path(dom: &WeakDom, target: Ref) -> String {
    if target.is_none() || dom.get_by_ref(target).is_none() {
        return "nil".to_owned();
    }
    atlas::snapshot::refs::instance_path(dom, target)
}

fn short(value: &Variant) -> String {
    let text = format!("{value:?}");
    if text.len() > 200 {
        format!(
            "{}...",
            &text[..text
                .char_indices()
                .take_while(|(i, _)| *i < 200)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8())]
        )
    } else {
        text
    }
}

/// True if `b` is `a` with its rotation replaced by the axis-aligned one
/// rbx_binary's writer stores when `a`'s is within f32::EPSILON of it.
/// Equality by printed form: bit-exact for `Exact`; with numbers compared
/// within the tolerance for `Within`.
pub fn values_equal(a: &Variant, b: &Variant, floats: Floats) -> bool {
    // A material missing from the map means its default color.
    if let (Variant::MaterialColors(x), Variant::MaterialColors(y)) = (a, b) {
        return x.encode() == y.encode();
    }
    // Files store string attributes as bytes: a String and a BinaryString
    // attribute with the same bytes are the same attribute.
    if let (Variant::Attributes(x), Variant::Attributes(y)) = (a, b) {
        return x.len() == y.len()
            && x.iter().all(|(k, v)| {
                y.get(k.as_str()).is_some_and(|w| match (v, w) {
                    (Variant::String(s), Variant::BinaryString(b))
                    | (Variant::BinaryString(b), Variant::String(s)) => {
                        s.as_bytes() == AsRef::<[u8]>::as_ref(b)
                    }
                    _ => values_equal(v, w, floats),
                })
            });
    }
    let (da, db) = (format!("{a:?}"), format!("{b:?}"));
    match floats {
        Floats::Exact => da == db,
        Floats::Within(eps) => da == db || fuzzy_text_eq(&da, &db, eps),
    }
}

/// Compares two printed values token by token; numeric tokens compare within
/// `eps` (relative to their size when above 1).
fn fuzzy_text_eq(a: &str, b: &str, eps: f64) -> bool {
    let (ta, tb) = (tokens(a), tokens(b));
    ta.len() == tb.len()
        && ta.iter().zip(&tb).all(|(x, y)| match (x, y) {
            (Token::Number(x), Token::Number(y)) => {
                x == y
                    || (x.is_nan() && y.is_nan())
                    || (x - y).abs() <= eps * 1f64.max(x.abs()).max(y.abs())
            }
            (Token::Text(x), Token::Text(y)) => x == y,
            _ => false,
        })
}

#[derive(Debug)]
enum Token<'a> {
    Number(f64),
    Text(&'a str),
}

fn tokens(s: &str) -> Vec<Token<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        let prev_is_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let starts_number = !prev_is_word
            && (bytes[i].is_ascii_digit()
                || (bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)));
        if starts_number {
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit()
                    || bytes[j] == b'.'
                    || ((bytes[j] == b'e' || bytes[j] == b'E') && j + 1 < bytes.len())
                    || ((bytes[j] == b'-' || bytes[j] == b'+')
                        && matches!(bytes[j - 1], b'e' | b'E')))
            {
                j += 1;
            }
            if let Ok(value) = s[i..j].parse::<f64>() {
                if text_start < i {
                    out.push(Token::Text(&s[text_start..i]));
                }
                out.push(Token::Number(value));
                text_start = j;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    if text_start < s.len() {
        out.push(Token::Text(&s[text_start..]));
    }
    out
}

/// A hash of a subtree's names, classes and non-float properties, to pair
/// duplicate siblings by content.
fn signature(dom: &WeakDom, referent: Ref, memo: &mut HashMap<Ref, u64>) -> u64 {
    if let Some(sig) = memo.get(&referent) {
        return *sig;
    }
    let inst = instance(dom, referent);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    inst.name.hash(&mut hasher);
    inst.class.as_str().hash(&mut hasher);
    let mut props: Vec<(&str, String)> = inst
        .properties
        .iter()
        // Values equal to the default may be present on one side only.
        .filter(|(k, v)| !atlas::syncback::is_default(inst.class, **k, v))
        .filter_map(|(k, v)| match v {
            Variant::String(_)
            | Variant::Bool(_)
            | Variant::Int32(_)
            | Variant::Int64(_)
            | Variant::Enum(_) => Some((k.as_str(), format!("{v:?}"))),
            _ => None,
        })
        .collect();
    props.sort();
    props.hash(&mut hasher);
    let mut child_sigs: Vec<u64> = inst
        .children()
        .to_vec()
        .into_iter()
        .map(|c| signature(dom, c, memo))
        .collect();
    child_sigs.sort_unstable();
    child_sigs.hash(&mut hasher);
    let sig = hasher.finish();
    memo.insert(referent, sig);
    sig
}

/// A hash of a whole subtree: names, classes and every value but Refs and
/// defaults (CFrames in their snapped form when snapping is allowed).
fn full_signature(
    dom: &WeakDom,
    referent: Ref,
    memo: &mut HashMap<Ref, u64>,
    options: &CompareOptions,
) -> u64 {
    if let Some(sig) = memo.get(&referent) {
        return *sig;
    }
    let inst = instance(dom, referent);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    inst.name.hash(&mut hasher);
    inst.class.as_str().hash(&mut hasher);
    let mut props: Vec<(&str, String)> = inst
        .properties
        .iter()
        .filter(|(k, v)| {
            !matches!(v, Variant::Ref(_))
                && !options.ignored_properties.contains(&k.as_str())
                && !atlas::syncback::is_default(inst.class, **k, v)
        })
        .map(|(k, v)| (k.as_str(), normalized(v)))
        .collect();
    // A reference tells look-alikes apart by what it points at: the
    // target's path and own values.
    for (k, v) in &inst.properties {
        if let Variant::Ref(target) = v {
            if let Some(t) = dom.get_by_ref(*target) {
                let own: Vec<String> = {
                    let mut own: Vec<String> = t
                        .properties
                        .iter()
                        .filter(|(k, v)| {
                            !matches!(v, Variant::Ref(_))
                                && !atlas::syncback::is_default(t.class, **k, v)
                        })
                        .map(|(k, v)| format!("{k}={}", normalized(v)))
                        .collect();
                    own.sort();
                    own
                };
                let described = format!(
                    "{}|{}|{own:?}",
                    atlas::snapshot::refs::instance_path(dom, *target),
                    t.class
                );
                props.push((k.as_str(), described));
            }
        }
    }
    props.sort();
    props.hash(&mut hasher);
    let mut child_sigs: Vec<u64> = inst
        .children()
        .to_vec()
        .into_iter()
        .map(|c| full_signature(dom, c, memo, options))
        .collect();
    child_sigs.sort_unstable();
    child_sigs.hash(&mut hasher);
    let sig = hasher.finish();
    memo.insert(referent, sig);
    sig
}

fn normalized(value: &Variant) -> String {
    match value {
        Variant::Attributes(a) => {
            // String and BinaryString attributes are the same attribute.
            let mut entries: Vec<(String, String)> = a
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Variant::String(s) => format!("{:?}", s.as_bytes()),
                        Variant::BinaryString(b) => format!("{:?}", AsRef::<[u8]>::as_ref(b)),
                        other => format!("{other:?}"),
                    };
                    (k.clone(), text)
                })
                .collect();
            entries.sort();
            format!("{entries:?}")
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_numbers_fuzzily() {
        assert!(fuzzy_text_eq(
            "Vector3 { x: 1.0, y: -2.5 }",
            "Vector3 { x: 1.00001, y: -2.5 }",
            1e-4
        ));
        assert!(!fuzzy_text_eq(
            "Vector3 { x: 1.0 }",
            "Vector3 { x: 1.1 }",
            1e-4
        ));
        assert!(fuzzy_text_eq(
            "Color3uint8 { r: 1 }",
            "Color3uint8 { r: 1 }",
            1e-4
        ));
        assert!(!fuzzy_text_eq("Int32(5)", "Int64(5)", 1e-4));
        assert!(fuzzy_text_eq("Float32(1e-7)", "Float32(1.1e-7)", 1e-4));
    }
}
