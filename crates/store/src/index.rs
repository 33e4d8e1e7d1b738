//! The in-memory index: one 16-byte `Entry` per sequence between first_seq and last_seq, the
//! subject table, per-segment live counts, and the state fields (first/last seq, counts).
//!
//! Every change to the store is a record in the log; `apply_*` here is the one place that turns
//! a record into a state change, used both by live writes and by replay on open, so a reopened
//! store ends in the state the writes left.

use std::collections::{BTreeMap, HashMap};

use crate::entries::Entries;
use std::hash::{BuildHasherDefault, Hasher};

/// `Entry::seg` of a deleted (or skipped) sequence.
pub(crate) const DELETED: u32 = u32::MAX;

/// Highest sequence the store accepts (keeps `last_seq + 1` far from overflow).
pub(crate) const MAX_SEQ: u64 = 1 << 62;
/// Largest gap of interior deleted sequences one write may open while the store holds
/// messages: gaps cost 8 bytes per 4096 sequences, so a corrupt or hostile sequence number
/// must still not allocate without bound.
pub(crate) const MAX_GAP: u64 = 1 << 30;

/// Location and accounting of one sequence. 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub seg: u32,
    pub off: u32,
    pub subj: u32,
    /// nats-server's accounted size (`fileStoreMsgSizeRaw`).
    pub size: u32,
}

impl Entry {
    pub(crate) const GAP: Entry = Entry {
        seg: DELETED,
        off: 0,
        subj: 0,
        size: 0,
    };
    pub(crate) fn live(&self) -> bool {
        self.seg != DELETED
    }
}

/// Per-subject bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct SubjectInfo {
    pub name: Box<str>,
    pub count: u64,
    /// Lower bound of the first live sequence with this subject.
    pub first_hint: u64,
    /// Exact last live sequence with this subject (when count > 0).
    pub last: u64,
}

/// Live messages and bytes per segment id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SegLive {
    pub msgs: u64,
    pub bytes: u64,
}

/// FxHash: the subject map is hit on every append; SipHash is needlessly slow here and the
/// keys come from our own users' subjects.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);
impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// nats-server's `fileStoreMsgSizeRaw`.
pub(crate) fn msg_size_raw(subject_len: usize, headers_len: usize, payload_len: usize) -> u64 {
    if headers_len == 0 {
        (22 + subject_len + payload_len + 8) as u64
    } else {
        (22 + subject_len + 4 + headers_len + payload_len + 8) as u64
    }
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Entries for sequences `first_seq ..= last_seq` when `msgs > 0`; empty otherwise.
    pub entries: Entries,
    pub first_seq: u64,
    pub last_seq: u64,
    pub last_ts: i64,
    pub msgs: u64,
    pub bytes: u64,
    pub subjects: Vec<SubjectInfo>,
    pub by_name: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    pub free_ids: Vec<u32>,
    pub seg_live: BTreeMap<u32, SegLive>,
}

impl Index {
    /// A fresh index whose next sequence is `last_seq + 1`.
    pub(crate) fn new(last_seq: u64, last_ts: i64) -> Index {
        Index {
            first_seq: last_seq.saturating_add(1),
            last_seq,
            last_ts,
            ..Index::default()
        }
    }

    pub(crate) fn entry(&self, seq: u64) -> Option<Entry> {
        if seq < self.first_seq {
            return None;
        }
        let i = usize::try_from(seq - self.first_seq).ok()?;
        self.entries.get(i).filter(Entry::live)
    }

    pub(crate) fn subject_id(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn subject(&self, id: u32) -> Option<&SubjectInfo> {
        self.subjects.get(id as usize)
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.by_name.get(name) {
            return *id;
        }
        let info = SubjectInfo {
            name: name.into(),
            count: 0,
            first_hint: 0,
            last: 0,
        };
        let id = match self.free_ids.pop() {
            Some(id) => {
                if let Some(slot) = self.subjects.get_mut(id as usize) {
                    *slot = info;
                }
                id
            }
            None => {
                self.subjects.push(info);
                (self.subjects.len() - 1) as u32
            }
        };
        self.by_name.insert(name.into(), id);
        id
    }

    /// A message record. Ignored (returns false) if `seq` is not above `last_seq`.
    pub(crate) fn apply_msg(
        &mut self,
        seq: u64,
        ts: i64,
        subject: &str,
        size: u64,
        seg: u32,
        off: u32,
    ) -> bool {
        if seq <= self.last_seq || seq > MAX_SEQ || (self.msgs > 0 && seq - self.last_seq > MAX_GAP)
        {
            return false;
        }
        if self.msgs == 0 {
            self.entries.clear();
            self.first_seq = seq;
        } else {
            self.entries.push_gaps((seq - self.last_seq - 1) as usize);
        }
        let subj = self.intern(subject);
        if let Some(info) = self.subjects.get_mut(subj as usize) {
            if info.count == 0 {
                info.first_hint = seq;
            }
            info.count += 1;
            info.last = seq;
        }
        let size32 = u32::try_from(size).unwrap_or(u32::MAX);
        self.entries.push_back(Entry {
            seg,
            off,
            subj,
            size: size32,
        });
        self.last_seq = seq;
        self.last_ts = ts;
        self.msgs += 1;
        self.bytes += size;
        let s = self.seg_live.entry(seg).or_default();
        s.msgs += 1;
        s.bytes += size;
        true
    }

    /// Mark one live entry removed (counts, subject, segment); the caller fixes the deque ends.
    fn remove_at(&mut self, i: usize, seq: u64, fix_last: &mut Vec<u32>) -> Option<Entry> {
        let e = self.entries.get(i)?;
        if !e.live() {
            return None;
        }
        self.entries.set(i, Entry::GAP);
        self.msgs -= 1;
        self.bytes -= u64::from(e.size);
        if let Some(s) = self.seg_live.get_mut(&e.seg) {
            s.msgs = s.msgs.saturating_sub(1);
            s.bytes = s.bytes.saturating_sub(u64::from(e.size));
        }
        let mut freed = false;
        if let Some(info) = self.subjects.get_mut(e.subj as usize) {
            info.count -= 1;
            if info.count == 0 {
                freed = true;
            } else {
                if info.first_hint == seq {
                    info.first_hint = seq + 1;
                }
                if info.last == seq {
                    fix_last.push(e.subj);
                }
            }
        }
        if freed {
            if let Some(info) = self.subjects.get_mut(e.subj as usize) {
                let name = std::mem::take(&mut info.name);
                self.by_name.remove(&name);
            }
            self.free_ids.push(e.subj);
        }
        Some(e)
    }

    /// Drop deleted entries from the front (and everything when empty).
    fn normalize(&mut self) {
        if self.msgs == 0 {
            self.entries.clear();
            self.first_seq = self.last_seq + 1;
            return;
        }
        if self.entries.front().is_some_and(|e| e.live()) {
            return;
        }
        let k = self
            .entries
            .live_from(0)
            .next()
            .map_or(self.entries.len(), |(i, _)| i);
        self.entries.drop_front(k);
        self.first_seq += k as u64;
    }

    /// Recompute `last` of the given subjects by scanning backwards.
    fn fix_lasts(&mut self, mut ids: Vec<u32>) {
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|id| self.subjects.get(*id as usize).is_some_and(|s| s.count > 0));
        if ids.is_empty() {
            return;
        }
        let mut remaining = ids.len();
        let mut found: Vec<(u32, u64)> = Vec::new();
        for (i, e) in self.entries.live_rev() {
            if found.iter().any(|(s, _)| *s == e.subj) || ids.binary_search(&e.subj).is_err() {
                continue;
            }
            found.push((e.subj, self.first_seq + i as u64));
            remaining -= 1;
            if remaining == 0 {
                break;
            }
        }
        for (id, seq) in found {
            if let Some(info) = self.subjects.get_mut(id as usize) {
                info.last = seq;
            }
        }
    }

    /// A delete tombstone. Returns the removed entry.
    pub(crate) fn apply_delete(&mut self, seq: u64) -> Option<Entry> {
        if seq < self.first_seq || seq > self.last_seq {
            return None;
        }
        let i = usize::try_from(seq - self.first_seq).ok()?;
        let mut fix = Vec::new();
        let e = self.remove_at(i, seq, &mut fix)?;
        self.fix_lasts(fix);
        self.normalize();
        Some(e)
    }

    /// Skip: the next sequence becomes `seq`.
    pub(crate) fn apply_skip(&mut self, seq: u64, ts: i64) {
        if seq <= self.last_seq + 1
            || seq > MAX_SEQ
            || (self.msgs > 0 && seq - self.last_seq > MAX_GAP)
        {
            return;
        }
        if self.msgs == 0 {
            self.first_seq = seq;
        } else {
            self.entries.push_gaps((seq - self.last_seq - 1) as usize);
        }
        self.last_seq = seq - 1;
        self.last_ts = ts;
    }

    /// Purge: every message below `seq` goes. Returns (messages, bytes) removed.
    pub(crate) fn apply_purge(&mut self, seq: u64) -> (u64, u64) {
        let seq = seq.min(MAX_SEQ);
        let (m0, b0) = (self.msgs, self.bytes);
        let mut fix = Vec::new();
        if seq > self.first_seq && !self.entries.is_empty() {
            let n = usize::try_from(seq - self.first_seq)
                .unwrap_or(usize::MAX)
                .min(self.entries.len());
            let doomed: Vec<usize> = self
                .entries
                .live_from(0)
                .take_while(|(i, _)| *i < n)
                .map(|(i, _)| i)
                .collect();
            for i in doomed {
                let s = self.first_seq + i as u64;
                self.remove_at(i, s, &mut fix);
            }
            self.entries.drop_front(n);
            self.first_seq += n as u64;
        }
        if seq > self.last_seq + 1 {
            self.last_seq = seq - 1;
        }
        self.normalize();
        (m0 - self.msgs, b0 - self.bytes)
    }

    /// Truncate: every message above `seq` goes; last_seq = seq, last_ts = ts.
    pub(crate) fn apply_truncate(&mut self, seq: u64, ts: i64) -> (u64, u64) {
        if seq > self.last_seq {
            return (0, 0);
        }
        let (m0, b0) = (self.msgs, self.bytes);
        let mut fix = Vec::new();
        if !self.entries.is_empty() {
            // Entries with index >= keep are above `seq`.
            let keep = usize::try_from((seq + 1).saturating_sub(self.first_seq))
                .unwrap_or(usize::MAX)
                .min(self.entries.len());
            let doomed: Vec<usize> = self
                .entries
                .live_rev()
                .take_while(|(i, _)| *i >= keep)
                .map(|(i, _)| i)
                .collect();
            for i in doomed {
                let s = self.first_seq + i as u64;
                self.remove_at(i, s, &mut fix);
            }
            self.entries.truncate(keep);
        }
        self.last_seq = seq;
        self.last_ts = ts;
        self.fix_lasts(fix);
        self.normalize();
        (m0 - self.msgs, b0 - self.bytes)
    }

    /// First live sequence `>= start` with subject id `subj`.
    pub(crate) fn first_for_subject(&mut self, subj: u32) -> Option<u64> {
        let info = self.subjects.get(subj as usize)?;
        if info.count == 0 {
            return None;
        }
        let start = info.first_hint.max(self.first_seq);
        let found = self.scan_from(start, |e| e.subj == subj)?;
        if let Some(info) = self.subjects.get_mut(subj as usize) {
            info.first_hint = found;
        }
        Some(found)
    }

    /// First live sequence `>= start` whose entry satisfies `pred`.
    pub(crate) fn scan_from(
        &self,
        start: u64,
        mut pred: impl FnMut(&Entry) -> bool,
    ) -> Option<u64> {
        let start = start.max(self.first_seq);
        let skip = usize::try_from(start - self.first_seq).ok()?;
        self.entries
            .live_from(skip)
            .find(|(_, e)| pred(e))
            .map(|(i, _)| self.first_seq + i as u64)
    }

    /// Interior deleted sequences, ascending.
    pub(crate) fn deleted(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for (i, e, n) in self.entries.runs() {
            if e.is_none() {
                out.extend((i..i + n).map(|k| self.first_seq + k as u64));
            }
        }
        out
    }

    pub(crate) fn num_deleted(&self) -> u64 {
        if self.msgs == 0 {
            0
        } else {
            self.entries.len() as u64 - self.msgs
        }
    }

    pub(crate) fn num_subjects(&self) -> u64 {
        self.by_name.len() as u64
    }

    /// Rebuild subject counts and segment live counts from the entries (after loading an
    /// index file that stores only entries and subject names).
    pub(crate) fn rebuild_counts(&mut self) {
        self.msgs = 0;
        self.bytes = 0;
        self.seg_live.clear();
        for s in &mut self.subjects {
            s.count = 0;
        }
        let mut seg_cache: Option<(u32, SegLive)> = None;
        for (i, e) in self.entries.live_from(0) {
            let seq = self.first_seq + i as u64;
            self.msgs += 1;
            self.bytes += u64::from(e.size);
            if let Some(s) = self.subjects.get_mut(e.subj as usize) {
                if s.count == 0 {
                    s.first_hint = seq;
                }
                s.count += 1;
                s.last = seq;
            }
            match &mut seg_cache {
                Some((id, l)) if *id == e.seg => {
                    l.msgs += 1;
                    l.bytes += u64::from(e.size);
                }
                _ => {
                    if let Some((id, l)) = seg_cache.take() {
                        let t = self.seg_live.entry(id).or_default();
                        t.msgs += l.msgs;
                        t.bytes += l.bytes;
                    }
                    seg_cache = Some((
                        e.seg,
                        SegLive {
                            msgs: 1,
                            bytes: u64::from(e.size),
                        },
                    ));
                }
            }
        }
        if let Some((id, l)) = seg_cache {
            let t = self.seg_live.entry(id).or_default();
            t.msgs += l.msgs;
            t.bytes += l.bytes;
        }
        self.by_name.clear();
        self.free_ids.clear();
        for (id, s) in self.subjects.iter_mut().enumerate() {
            if s.count > 0 {
                self.by_name.insert(s.name.clone(), id as u32);
            } else {
                s.name = Box::from("");
                self.free_ids.push(id as u32);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn purge_all_sets_first_past_last() {
        let mut ix = Index::new(0, 0);
        for s in 1..=10 {
            assert!(ix.apply_msg(s, s as i64, "a", 40, 0, 0));
        }
        assert_eq!(ix.apply_purge(11), (10, 400));
        assert_eq!(
            (ix.first_seq, ix.last_seq, ix.msgs, ix.num_subjects()),
            (11, 10, 0, 0)
        );
    }

    #[test]
    fn delete_last_of_subject_finds_previous() {
        let mut ix = Index::new(0, 0);
        ix.apply_msg(1, 1, "a", 1, 0, 0);
        ix.apply_msg(2, 2, "b", 1, 0, 0);
        ix.apply_msg(3, 3, "a", 1, 0, 0);
        ix.apply_delete(3);
        let id = ix.subject_id("a").unwrap();
        assert_eq!(ix.subject(id).unwrap().last, 1);
        assert_eq!((ix.first_seq, ix.last_seq, ix.num_deleted()), (1, 3, 1));
        ix.apply_delete(1);
        assert_eq!(
            (ix.first_seq, ix.num_deleted(), ix.num_subjects()),
            (2, 1, 1)
        );
    }
}
