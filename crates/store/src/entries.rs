//! `Entries`: the per-sequence index as a deque of fixed 4096-entry chunks, where a chunk
//! holding only deleted sequences is not allocated. A mirror's gap of a million sequences
//! then costs a few hundred pointers instead of 16 MB, and scans skip it a chunk at a time.
//!
//! Invariant: every slot outside `head .. head + len` is `Entry::GAP`, so growing the deque
//! never exposes stale entries.

use std::collections::VecDeque;

use crate::index::Entry;

const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

type Chunk = Box<[Entry]>;

#[derive(Debug, Default)]
pub(crate) struct Entries {
    chunks: VecDeque<Option<Chunk>>,
    /// Position of logical index 0 inside `chunks[0]`.
    head: usize,
    len: usize,
}

fn new_chunk() -> Chunk {
    vec![Entry::GAP; CHUNK].into_boxed_slice()
}

impl Entries {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.head = 0;
        self.len = 0;
    }

    /// Bytes of memory held.
    pub(crate) fn memory_bytes(&self) -> usize {
        let allocated = self.chunks.iter().filter(|c| c.is_some()).count();
        allocated * CHUNK * std::mem::size_of::<Entry>()
            + self.chunks.capacity() * std::mem::size_of::<Option<Chunk>>()
    }

    pub(crate) fn get(&self, i: usize) -> Option<Entry> {
        if i >= self.len {
            return None;
        }
        let p = self.head + i;
        match self.chunks.get(p >> CHUNK_BITS)? {
            Some(c) => c.get(p & MASK).copied(),
            None => Some(Entry::GAP),
        }
    }

    pub(crate) fn set(&mut self, i: usize, e: Entry) {
        if i >= self.len {
            return;
        }
        let p = self.head + i;
        let Some(slot) = self.chunks.get_mut(p >> CHUNK_BITS) else {
            return;
        };
        if slot.is_none() {
            if !e.live() {
                return;
            }
            *slot = Some(new_chunk());
        }
        if let Some(x) = slot.as_mut().and_then(|c| c.get_mut(p & MASK)) {
            *x = e;
        }
    }

    pub(crate) fn push_back(&mut self, e: Entry) {
        let p = self.head + self.len;
        let ci = p >> CHUNK_BITS;
        if ci >= self.chunks.len() {
            self.chunks.push_back(None);
        }
        self.len += 1;
        if e.live() {
            if let Some(slot) = self.chunks.back_mut() {
                if let Some(x) = slot.get_or_insert_with(new_chunk).get_mut(p & MASK) {
                    *x = e;
                }
            }
        }
    }

    /// Append many entries; whole aligned chunks are copied in one allocation (index load).
    pub(crate) fn extend_from_slice(&mut self, mut rest: &[Entry]) {
        while !rest.is_empty() {
            if (self.head + self.len) & MASK == 0 && rest.len() >= CHUNK {
                let (whole, tail) = rest.split_at(CHUNK);
                self.chunks.push_back(Some(whole.into()));
                self.len += CHUNK;
                rest = tail;
            } else if let Some((first, tail)) = rest.split_first() {
                self.push_back(*first);
                rest = tail;
            }
        }
    }

    /// Append `n` deleted sequences.
    pub(crate) fn push_gaps(&mut self, n: usize) {
        self.len += n;
        let need = (self.head + self.len).div_ceil(CHUNK);
        while self.chunks.len() < need {
            self.chunks.push_back(None);
        }
    }

    pub(crate) fn front(&self) -> Option<Entry> {
        self.get(0)
    }

    /// Drop the first `n` entries.
    pub(crate) fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        if n == self.len {
            self.clear();
            return;
        }
        for i in 0..n.min(CHUNK) {
            // Slots left behind in a kept chunk must read as GAP later (invariant).
            self.set(i, Entry::GAP);
        }
        let p = self.head + n;
        for _ in 0..p >> CHUNK_BITS {
            self.chunks.pop_front();
        }
        if n > CHUNK {
            // Clear the slots before the new head in the (kept) first chunk.
            if let Some(Some(c)) = self.chunks.front_mut() {
                for x in c.iter_mut().take(p & MASK) {
                    *x = Entry::GAP;
                }
            }
        }
        self.head = p & MASK;
        self.len -= n;
    }

    /// Keep only the first `new_len` entries.
    pub(crate) fn truncate(&mut self, new_len: usize) {
        if new_len >= self.len {
            return;
        }
        if new_len == 0 {
            self.clear();
            return;
        }
        let end = self.head + new_len;
        let need = end.div_ceil(CHUNK);
        while self.chunks.len() > need {
            self.chunks.pop_back();
        }
        if let Some(Some(c)) = self.chunks.back_mut() {
            let keep = end - ((need - 1) << CHUNK_BITS);
            for x in c.iter_mut().skip(keep) {
                *x = Entry::GAP;
            }
        }
        self.len = new_len;
    }

    #[cfg(test)]
    pub(crate) fn pop_back(&mut self) {
        if self.len == 0 {
            return;
        }
        self.set(self.len - 1, Entry::GAP);
        self.len -= 1;
        let need = (self.head + self.len).div_ceil(CHUNK);
        while self.chunks.len() > need.max(usize::from(self.len > 0)) {
            self.chunks.pop_back();
        }
        if self.len == 0 {
            self.clear();
        }
    }

    /// Live entries with index `>= from`, ascending, skipping unallocated chunks.
    pub(crate) fn live_from(&self, from: usize) -> impl Iterator<Item = (usize, Entry)> + '_ {
        let start = self.head + from.min(self.len);
        let end = self.head + self.len;
        let first_chunk = start >> CHUNK_BITS;
        self.chunks
            .iter()
            .enumerate()
            .skip(first_chunk)
            .filter_map(|(ci, c)| c.as_ref().map(|c| (ci, c)))
            .flat_map(move |(ci, c)| {
                let base = ci << CHUNK_BITS;
                let lo = start.max(base) - base;
                let hi = end.min(base + CHUNK).saturating_sub(base);
                c.get(lo..hi.max(lo))
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(move |(k, e)| (base + lo + k, *e))
            })
            .filter(|(_, e)| e.live())
            .map(move |(p, e)| (p - self.head, e))
    }

    /// Live entries, descending.
    pub(crate) fn live_rev(&self) -> impl Iterator<Item = (usize, Entry)> + '_ {
        let end = self.head + self.len;
        self.chunks
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(ci, c)| c.as_ref().map(|c| (ci, c)))
            .flat_map(move |(ci, c)| {
                let base = ci << CHUNK_BITS;
                let hi = end.min(base + CHUNK).saturating_sub(base);
                c.get(..hi)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .rev()
                    .map(move |(k, e)| (base + k, *e))
            })
            .filter(move |(p, e)| e.live() && *p >= self.head)
            .map(move |(p, e)| (p - self.head, e))
    }

    /// Runs of the deque: `(index, Some(entry))` for live entries and `(index, None)` with a
    /// count for runs of deleted ones, ascending. Used to list deletes and write index files.
    pub(crate) fn runs(&self) -> Vec<(usize, Option<Entry>, usize)> {
        let mut out: Vec<(usize, Option<Entry>, usize)> = Vec::new();
        let mut gap_start: Option<usize> = None;
        let mut next = 0usize;
        for (i, e) in self.live_from(0) {
            if i > next {
                gap_start.get_or_insert(next);
            }
            if let Some(g) = gap_start.take() {
                out.push((g, None, i - g));
            }
            out.push((i, Some(e), 1));
            next = i + 1;
        }
        if next < self.len {
            out.push((next, None, self.len - next));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn e(n: u32) -> Entry {
        Entry {
            seg: 1,
            off: n,
            subj: 0,
            size: 1,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(u32),
        Gaps(usize),
        DropFront(usize),
        PopBack,
        Truncate(usize),
        Extend(usize),
        Set(usize, bool),
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn matches_a_plain_deque(ops in proptest::collection::vec(prop_oneof![
            any::<u32>().prop_map(Op::Push),
            (0usize..9_000).prop_map(Op::Gaps),
            (0usize..9_000).prop_map(Op::DropFront),
            Just(Op::PopBack),
            (0usize..12_000).prop_map(Op::Truncate),
            (0usize..9_000).prop_map(Op::Extend),
            (any::<usize>(), any::<bool>()).prop_map(|(i, l)| Op::Set(i, l)),
        ], 1..60)) {
            let mut a = Entries::default();
            let mut b: VecDeque<Entry> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(n) => { a.push_back(e(n)); b.push_back(e(n)); }
                    Op::Gaps(n) => { a.push_gaps(n); b.extend(std::iter::repeat_n(Entry::GAP, n)); }
                    Op::DropFront(n) => { a.drop_front(n); b.drain(..n.min(b.len())); }
                    Op::PopBack => { a.pop_back(); b.pop_back(); }
                    Op::Truncate(n) => { a.truncate(n); b.truncate(n); }
                    Op::Extend(n) => {
                        let v: Vec<Entry> = (0..n).map(|i| if i % 5 == 0 { Entry::GAP } else { e(i as u32) }).collect();
                        a.extend_from_slice(&v);
                        b.extend(v);
                    }
                    Op::Set(i, live) if !b.is_empty() => {
                        let i = i % b.len();
                        let v = if live { e(i as u32) } else { Entry::GAP };
                        a.set(i, v);
                        b[i] = v;
                    }
                    Op::Set(..) => {}
                }
                prop_assert_eq!(a.len(), b.len());
                let live: Vec<(usize, Entry)> = b.iter().copied().enumerate().filter(|(_, x)| x.live()).collect();
                prop_assert_eq!(a.live_from(0).collect::<Vec<_>>(), live.clone());
                let mut rev = live.clone();
                rev.reverse();
                prop_assert_eq!(a.live_rev().collect::<Vec<_>>(), rev);
                if !b.is_empty() {
                    let k = b.len() / 2;
                    prop_assert_eq!(a.get(k), Some(b[k]));
                    prop_assert_eq!(a.live_from(k).collect::<Vec<_>>(), live.iter().copied().filter(|(i, _)| *i >= k).collect::<Vec<_>>());
                }
                let expanded: usize = a.runs().iter().map(|r| r.2).sum();
                prop_assert_eq!(expanded, b.len());
            }
        }
    }
}
