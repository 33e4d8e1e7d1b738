//! The subscription index (nats-server's `Sublist`, `server/sublist.go`): a trie of
//! subject tokens holding plain and queue subscriptions, plus a bounded cache of
//! match results keyed by the published subject.
//!
//! Concurrency: mutation takes `&mut self`; [`SubjectIndex::matches`] takes `&self`
//! and keeps its cache behind its own mutex, so the server can hold the index under
//! a read lock and match from many tasks at once. A cached lookup is one hash
//! lookup and one `Arc` clone; the mutex is held only for that.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::Split;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::matching::matches as filter_matches;
use crate::validate::{is_valid_queue_name, is_valid_subject};

/// Largest number of cached match results. When full, a quarter is evicted.
const CACHE_MAX_ENTRIES: usize = 1024;
/// How many entries to keep after an eviction sweep.
const CACHE_SWEEP_TO: usize = CACHE_MAX_ENTRIES - CACHE_MAX_ENTRIES / 4;
/// Slots of the admission filter (a power of two): the hashes of subjects that missed
/// once. A subject enters the cache on its second miss, so one-off subjects (ack and
/// reply inboxes, each unique) neither allocate a cache entry nor evict useful ones.
const ADMISSION_SLOTS: usize = 4096;

/// `insert` was given a subject (or queue name) that is not a valid subscription subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid subject")]
pub struct InvalidSubject;

/// The subscriptions that match one published subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches<T> {
    /// Every matching non-queue subscription (each gets a copy).
    pub plain: Vec<T>,
    /// Matching queue subscriptions grouped by queue name (one member of each group
    /// gets a copy). Groups with the same name from different filters are merged.
    pub queues: Vec<(String, Vec<T>)>,
}

impl<T> Default for Matches<T> {
    fn default() -> Self {
        Matches {
            plain: Vec::new(),
            queues: Vec::new(),
        }
    }
}

impl<T> Matches<T> {
    /// True if nothing matched.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.queues.is_empty()
    }

    /// Number of subscriptions in the result (plain plus every queue member).
    pub fn len(&self) -> usize {
        self.plain.len() + self.queues.iter().map(|(_, m)| m.len()).sum::<usize>()
    }
}

/// Counters for `/subsz` (names follow nats-server's `SublistStats`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IndexStats {
    pub num_subscriptions: u32,
    pub num_cache: u32,
    pub num_inserts: u64,
    pub num_removes: u64,
    pub num_matches: u64,
    /// Cache hits divided by matches, 0.0 before the first match.
    pub cache_hit_rate: f64,
    /// Largest result size among cached entries.
    pub max_fanout: u32,
    /// Mean result size among cached entries.
    pub avg_fanout: f64,
}

/// FxHash (rustc's hasher): fast for short keys. The cache it serves is bounded, so
/// adversarial collisions cost at most a bounded chain walk.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;
type Cache<T> = HashMap<Box<str>, Arc<Matches<T>>, FxBuild>;

/// The match cache and its admission filter, under one mutex.
struct CacheState<T> {
    entries: Cache<T>,
    /// `hash(subject)` of subjects that missed once, direct-mapped by the hash's low bits.
    seen: Box<[u64]>,
}

impl<T> CacheState<T> {
    fn new() -> Self {
        CacheState {
            entries: HashMap::default(),
            seen: vec![0; ADMISSION_SLOTS].into_boxed_slice(),
        }
    }
}

fn subject_hash(subject: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(subject.as_bytes());
    // Never 0, the value of an empty slot.
    h.finish() | 1
}

/// One trie node: the subscriptions whose subject ends here, and the next level.
struct Node<T> {
    children: HashMap<Box<str>, Node<T>, FxBuild>,
    /// Next level for a `*` token.
    pwc: Option<Box<Node<T>>>,
    /// Subscriptions ending in `>` at this level (a `>` node never has children).
    fwc: Option<Box<Node<T>>>,
    plain: Vec<T>,
    queues: Vec<(Box<str>, Vec<T>)>,
}

impl<T> Node<T> {
    fn new() -> Self {
        Node {
            children: HashMap::default(),
            pwc: None,
            fwc: None,
            plain: Vec::new(),
            queues: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.children.is_empty()
            && self.pwc.is_none()
            && self.fwc.is_none()
            && self.plain.is_empty()
            && self.queues.is_empty()
    }
}

/// The subscription index. See the module documentation.
pub struct SubjectIndex<T> {
    root: Node<T>,
    count: usize,
    generation: u64,
    num_inserts: u64,
    num_removes: u64,
    num_matches: AtomicU64,
    cache_hits: AtomicU64,
    cache: Mutex<CacheState<T>>,
}

impl<T: Clone + PartialEq> Default for SubjectIndex<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::fmt::Debug for SubjectIndex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectIndex")
            .field("count", &self.count)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + PartialEq> SubjectIndex<T> {
    pub fn new() -> Self {
        SubjectIndex {
            root: Node::new(),
            count: 0,
            generation: 0,
            num_inserts: 0,
            num_removes: 0,
            num_matches: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache: Mutex::new(CacheState::new()),
        }
    }

    /// Adds a subscription. The same `(subject, queue, value)` may be inserted more
    /// than once; each insert is a separate entry and needs its own `remove`.
    pub fn insert(
        &mut self,
        subject: &str,
        queue: Option<&str>,
        value: T,
    ) -> Result<(), InvalidSubject> {
        if !is_valid_subject(subject) || matches!(queue, Some(q) if !is_valid_queue_name(q)) {
            return Err(InvalidSubject);
        }
        let mut node = &mut self.root;
        for token in subject.split('.') {
            node = match token {
                "*" => node.pwc.get_or_insert_with(|| Box::new(Node::new())),
                ">" => node.fwc.get_or_insert_with(|| Box::new(Node::new())),
                literal => node
                    .children
                    .entry(literal.into())
                    .or_insert_with(Node::new),
            };
        }
        match queue {
            None => node.plain.push(value),
            Some(q) => match node.queues.iter_mut().find(|(name, _)| &**name == q) {
                Some((_, members)) => members.push(value),
                None => node.queues.push((q.into(), vec![value])),
            },
        }
        self.count += 1;
        self.num_inserts += 1;
        self.changed(subject);
        Ok(())
    }

    /// Removes one subscription equal to `(subject, queue, value)`. Returns false if
    /// there was none.
    pub fn remove(&mut self, subject: &str, queue: Option<&str>, value: &T) -> bool {
        if !is_valid_subject(subject) {
            return false;
        }
        let removed = remove_rec(&mut self.root, subject.split('.'), queue, value);
        if removed {
            self.count -= 1;
            self.num_removes += 1;
            self.changed(subject);
        }
        removed
    }

    /// After a change to `filter`'s subscriptions: drop every cached result whose
    /// subject `filter` matches (exactly the entries that could now be stale).
    fn changed(&mut self, filter: &str) {
        self.generation += 1;
        let cache = &mut self.cache.get_mut().entries;
        if cache.is_empty() {
            return;
        }
        if filter.split('.').any(|t| t == "*" || t == ">") {
            cache.retain(|subject, _| !filter_matches(filter, subject));
        } else {
            // A literal filter matches only the published subject equal to it.
            cache.remove(filter);
        }
    }

    /// The subscriptions matching the published (literal) `subject`. Wildcard tokens
    /// in `subject` are taken literally; a subject with an empty token matches nothing.
    pub fn matches(&self, subject: &str) -> Arc<Matches<T>> {
        self.num_matches.fetch_add(1, Ordering::Relaxed);
        if let Some(hit) = self.cache.lock().entries.get(subject) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Arc::clone(hit);
        }
        if subject.is_empty()
            || subject.starts_with('.')
            || subject.ends_with('.')
            || subject.contains("..")
        {
            return Arc::new(Matches::default());
        }
        let mut nodes = Vec::new();
        collect(&self.root, subject.split('.'), &mut nodes);
        let mut result = Matches::default();
        for node in nodes {
            result.plain.extend(node.plain.iter().cloned());
            for (name, members) in &node.queues {
                match result.queues.iter_mut().find(|(n, _)| n == &**name) {
                    Some((_, m)) => m.extend(members.iter().cloned()),
                    None => result.queues.push((name.to_string(), members.clone())),
                }
            }
        }
        let result = Arc::new(result);
        let hash = subject_hash(subject);
        let mut state = self.cache.lock();
        if let Some(slot) = state.seen.get_mut((hash as usize) & (ADMISSION_SLOTS - 1)) {
            if *slot != hash {
                // First miss (or its slot was taken since): remember it, do not cache yet.
                *slot = hash;
                return result;
            }
        }
        let cache = &mut state.entries;
        if cache.len() >= CACHE_MAX_ENTRIES {
            let mut keep = CACHE_SWEEP_TO;
            cache.retain(|_, _| {
                if keep == 0 {
                    false
                } else {
                    keep -= 1;
                    true
                }
            });
        }
        cache.insert(subject.into(), Arc::clone(&result));
        result
    }

    /// Bumps on every successful insert and remove.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of subscriptions.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Number of cached match results.
    pub fn cache_len(&self) -> usize {
        self.cache.lock().entries.len()
    }

    pub fn stats(&self) -> IndexStats {
        let num_matches = self.num_matches.load(Ordering::Relaxed);
        let hits = self.cache_hits.load(Ordering::Relaxed);
        let state = self.cache.lock();
        let cache = &state.entries;
        let mut max_fanout = 0usize;
        let mut total_fanout = 0usize;
        for result in cache.values() {
            let n = result.len();
            max_fanout = max_fanout.max(n);
            total_fanout += n;
        }
        IndexStats {
            num_subscriptions: u32::try_from(self.count).unwrap_or(u32::MAX),
            num_cache: u32::try_from(cache.len()).unwrap_or(u32::MAX),
            num_inserts: self.num_inserts,
            num_removes: self.num_removes,
            num_matches,
            cache_hit_rate: if num_matches == 0 {
                0.0
            } else {
                hits as f64 / num_matches as f64
            },
            max_fanout: u32::try_from(max_fanout).unwrap_or(u32::MAX),
            avg_fanout: if cache.is_empty() {
                0.0
            } else {
                total_fanout as f64 / cache.len() as f64
            },
        }
    }
}

/// Pushes every node whose subscriptions match the remaining `tokens`.
fn collect<'a, T>(node: &'a Node<T>, mut tokens: Split<'_, char>, out: &mut Vec<&'a Node<T>>) {
    let Some(token) = tokens.next() else {
        out.push(node);
        return;
    };
    if let Some(fwc) = &node.fwc {
        out.push(fwc);
    }
    if let Some(pwc) = &node.pwc {
        collect(pwc, tokens.clone(), out);
    }
    if let Some(child) = node.children.get(token) {
        collect(child, tokens, out);
    }
}

fn remove_rec<T: PartialEq>(
    node: &mut Node<T>,
    mut tokens: Split<'_, char>,
    queue: Option<&str>,
    value: &T,
) -> bool {
    let Some(token) = tokens.next() else {
        return remove_here(node, queue, value);
    };
    match token {
        "*" => {
            let Some(child) = node.pwc.as_deref_mut() else {
                return false;
            };
            let removed = remove_rec(child, tokens, queue, value);
            if removed && child.is_empty() {
                node.pwc = None;
            }
            removed
        }
        ">" => {
            let Some(child) = node.fwc.as_deref_mut() else {
                return false;
            };
            let removed = remove_rec(child, tokens, queue, value);
            if removed && child.is_empty() {
                node.fwc = None;
            }
            removed
        }
        literal => {
            let Some(child) = node.children.get_mut(literal) else {
                return false;
            };
            let removed = remove_rec(child, tokens, queue, value);
            if removed && child.is_empty() {
                node.children.remove(literal);
            }
            removed
        }
    }
}

fn remove_here<T: PartialEq>(node: &mut Node<T>, queue: Option<&str>, value: &T) -> bool {
    match queue {
        None => match node.plain.iter().position(|v| v == value) {
            Some(i) => {
                node.plain.remove(i);
                true
            }
            None => false,
        },
        Some(q) => {
            let Some(g) = node.queues.iter().position(|(name, _)| &**name == q) else {
                return false;
            };
            let Some((_, members)) = node.queues.get_mut(g) else {
                return false;
            };
            let Some(i) = members.iter().position(|v| v == value) else {
                return false;
            };
            members.remove(i);
            if members.is_empty() {
                node.queues.remove(g);
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<u32>) -> Vec<u32> {
        v.sort_unstable();
        v
    }

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<X: Send + Sync>() {}
        assert_send_sync::<SubjectIndex<u64>>();
        assert_send_sync::<Arc<Matches<String>>>();
    }

    #[test]
    fn plain_queue_and_wildcards() {
        let mut idx = SubjectIndex::new();
        assert_eq!(idx.insert("foo.bar", None, 1u32), Ok(()));
        assert_eq!(idx.insert("foo.*", None, 2), Ok(()));
        assert_eq!(idx.insert(">", None, 3), Ok(()));
        assert_eq!(idx.insert("foo.bar", Some("q"), 4), Ok(()));
        assert_eq!(idx.insert("foo.*", Some("q"), 5), Ok(()));
        assert_eq!(idx.insert("foo.>", Some("r"), 6), Ok(()));
        assert_eq!(idx.count(), 6);
        let m = idx.matches("foo.bar");
        assert_eq!(sorted(m.plain.clone()), vec![1, 2, 3]);
        let mut q = m.queues.clone();
        q.sort();
        for (_, members) in &mut q {
            members.sort_unstable();
        }
        assert_eq!(
            q,
            vec![("q".to_owned(), vec![4, 5]), ("r".to_owned(), vec![6])]
        );
        // A published "foo.*" is literal: "foo.*" and ">" match, "foo.bar" does not.
        assert_eq!(sorted(idx.matches("foo.*").plain.clone()), vec![2, 3]);
        assert!(idx.matches("foo..bar").is_empty());
        assert!(idx.matches("").is_empty());
        assert_eq!(idx.matches("baz").plain, vec![3]);
    }

    #[test]
    fn invalid_subjects_are_rejected() {
        let mut idx = SubjectIndex::new();
        for bad in ["", "foo..bar", ".foo", "foo.", "foo.>.bar", "a b"] {
            assert_eq!(idx.insert(bad, None, 1u8), Err(InvalidSubject), "{bad:?}");
        }
        assert_eq!(idx.insert("foo", Some(""), 1u8), Err(InvalidSubject));
        assert_eq!(idx.count(), 0);
        assert_eq!(idx.generation(), 0);
    }

    #[test]
    fn cache_is_filled_hit_and_invalidated() {
        let mut idx = SubjectIndex::new();
        assert_eq!(idx.insert("a.b", None, 1u32), Ok(()));
        // A subject is cached on its second miss, not its first.
        let _ = idx.matches("a.b");
        assert_eq!(idx.cache_len(), 0);
        let first = idx.matches("a.b");
        assert_eq!(idx.cache_len(), 1);
        let second = idx.matches("a.b");
        assert!(
            Arc::ptr_eq(&first, &second),
            "third lookup must be the cached Arc"
        );
        let _ = idx.matches("x.y");
        let _ = idx.matches("x.y");
        assert_eq!(idx.cache_len(), 2);
        // Inserting "a.*" invalidates "a.b" but not "x.y".
        assert_eq!(idx.insert("a.*", None, 2), Ok(()));
        assert_eq!(idx.cache_len(), 1);
        assert_eq!(sorted(idx.matches("a.b").plain.clone()), vec![1, 2]);
        // A literal change drops exactly its own subject.
        assert_eq!(idx.insert("x.y", None, 3), Ok(()));
        assert_eq!(
            idx.cache_len(),
            1,
            "a.b (admitted again) stays, x.y is gone"
        );
        assert_eq!(idx.matches("x.y").plain, vec![3]);
        assert!(idx.remove("x.y", None, &3));
        assert!(idx.matches("x.y").is_empty());
        assert!(idx.remove("a.b", None, &1));
        assert_eq!(idx.matches("a.b").plain, vec![2]);
        assert!(!idx.remove("a.b", None, &1));
        let stats = idx.stats();
        assert_eq!(stats.num_subscriptions, 1);
        assert_eq!(stats.num_inserts, 3);
        assert_eq!(stats.num_removes, 2);
        assert_eq!(stats.num_matches, 9);
        assert!(
            (stats.cache_hit_rate - 1.0 / 9.0).abs() < 1e-9,
            "{}",
            stats.cache_hit_rate
        );
        assert_eq!(stats.max_fanout, 1);
    }

    #[test]
    fn cache_is_bounded() {
        let mut idx = SubjectIndex::new();
        assert_eq!(idx.insert(">", None, 0u32), Ok(()));
        for i in 0..5000 {
            let _ = idx.matches(&format!("s.{i}"));
            let m = idx.matches(&format!("s.{i}"));
            assert_eq!(m.plain, vec![0]);
            assert!(idx.cache_len() <= CACHE_MAX_ENTRIES);
        }
        assert!(idx.cache_len() >= CACHE_SWEEP_TO);
        // Subjects seen once are never cached.
        let before = idx.cache_len();
        for i in 0..5000 {
            let _ = idx.matches(&format!("once.{i}"));
        }
        assert_eq!(idx.cache_len(), before);
    }

    #[test]
    fn duplicates_and_pruning() {
        let mut idx = SubjectIndex::new();
        assert_eq!(idx.insert("a.b.c", Some("q"), 7u32), Ok(()));
        assert_eq!(idx.insert("a.b.c", Some("q"), 7), Ok(()));
        assert_eq!(
            idx.matches("a.b.c").queues,
            vec![("q".to_owned(), vec![7, 7])]
        );
        assert!(idx.remove("a.b.c", Some("q"), &7));
        assert!(!idx.remove("a.b.c", None, &7));
        assert!(!idx.remove("a.b.c", Some("other"), &7));
        assert!(idx.remove("a.b.c", Some("q"), &7));
        assert_eq!(idx.count(), 0);
        assert!(idx.root.is_empty(), "empty trie nodes must be pruned");
    }
}
