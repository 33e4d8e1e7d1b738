//! The memory store behind `storage: memory` streams, with the file store's semantics
//! (limits, discard policies, purge variants, skip, deleted-sequence accounting) and
//! nats-server's memory byte accounting: `len(subject) + len(headers) + len(payload) + 16`
//! (server/memstore.go, memStoreMsgSizeRaw). Contents are lost on restart, as in nats-server.
//!
//! [`Backend`] puts it and the file store behind one interface for the state machine.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use jetmirror_store::{
    Discard, PurgeRequest, Store, StoreConfig, StoreError, StoredMsg, StreamState, WriteError,
};

fn is_all(filter: &str) -> bool {
    filter.is_empty() || filter == ">"
}

fn matches(filter: &str, subject: &str) -> bool {
    is_all(filter) || jetmirror_subject::matches(filter, subject)
}

/// nats-server's memory message size.
pub fn mem_msg_size(subject: &str, headers: &[u8], payload: &[u8]) -> u64 {
    (subject.len() + headers.len() + payload.len() + 16) as u64
}

/// An in-memory message store.
#[derive(Debug, Clone)]
pub struct MemStore {
    cfg: StoreConfig,
    msgs: BTreeMap<u64, StoredMsg>,
    subjects: BTreeMap<String, BTreeSet<u64>>,
    first_seq: u64,
    last_seq: u64,
    last_ts: i64,
    bytes: u64,
}

impl MemStore {
    pub fn new(cfg: StoreConfig) -> MemStore {
        MemStore {
            cfg,
            msgs: BTreeMap::new(),
            subjects: BTreeMap::new(),
            first_seq: 1,
            last_seq: 0,
            last_ts: 0,
            bytes: 0,
        }
    }

    fn size_of(m: &StoredMsg) -> u64 {
        mem_msg_size(&m.subject, &m.headers, &m.payload)
    }

    fn normalize(&mut self) {
        self.first_seq = match self.msgs.keys().next() {
            Some(s) => *s,
            None => self.last_seq + 1,
        };
    }

    fn remove(&mut self, seq: u64) -> Option<StoredMsg> {
        let m = self.msgs.remove(&seq)?;
        self.bytes -= Self::size_of(&m);
        if let Some(set) = self.subjects.get_mut(&m.subject) {
            set.remove(&seq);
            if set.is_empty() {
                self.subjects.remove(&m.subject);
            }
        }
        Some(m)
    }

    fn purge_front_to(&mut self, new_first: u64) -> u64 {
        if new_first <= self.first_seq && !self.msgs.is_empty() {
            return 0;
        }
        let doomed: Vec<u64> = self.msgs.range(..new_first).map(|(s, _)| *s).collect();
        for s in &doomed {
            self.remove(*s);
        }
        if new_first > self.last_seq + 1 {
            self.last_seq = new_first - 1;
        }
        self.normalize();
        doomed.len() as u64
    }

    fn enforce_per_subject(&mut self, subject: &str, mmp: u64) {
        while let Some(first) = self
            .subjects
            .get(subject)
            .filter(|s| s.len() as u64 > mmp)
            .and_then(|s| s.iter().next().copied())
        {
            self.remove(first);
        }
        self.normalize();
    }

    fn enforce_limits(&mut self) {
        if self.cfg.discard != Discard::Old {
            return;
        }
        let max_msgs = self.cfg.max_msgs;
        if max_msgs > 0 {
            while self.msgs.len() as u64 > max_msgs as u64 {
                let Some(first) = self.msgs.keys().next().copied() else {
                    break;
                };
                self.purge_front_to(first + 1);
            }
        }
        let max_bytes = self.cfg.max_bytes;
        if max_bytes > 0 {
            while self.bytes > max_bytes as u64 {
                let Some(first) = self.msgs.keys().next().copied() else {
                    break;
                };
                self.purge_front_to(first + 1);
            }
        }
    }

    pub fn append(
        &mut self,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
        ts_ns: i64,
    ) -> Result<u64, WriteError> {
        let cfg = &self.cfg;
        if cfg.max_msg_size > 0 && headers.len() + payload.len() > cfg.max_msg_size as usize {
            return Err(WriteError::MsgTooLarge);
        }
        let size = mem_msg_size(subject, headers, payload);
        let mmp = if cfg.max_msgs_per_subject > 0 {
            cfg.max_msgs_per_subject as u64
        } else {
            0
        };
        let subj_count = self.subjects.get(subject).map_or(0, |s| s.len() as u64);
        if cfg.discard == Discard::New {
            let mut asl = false;
            let mut first_size = 0;
            if mmp > 0 && subj_count + 1 > mmp {
                if cfg.discard_new_per_subject {
                    return Err(WriteError::MaxMsgsPerSubject);
                }
                asl = true;
                if let Some(first) = self.subjects.get(subject).and_then(|s| s.iter().next()) {
                    first_size = self.msgs.get(first).map_or(0, Self::size_of);
                }
            }
            if cfg.max_msgs > 0 && self.msgs.len() as u64 >= cfg.max_msgs as u64 && !asl {
                return Err(WriteError::MaxMsgs);
            }
            if cfg.max_bytes > 0
                && self.bytes + size > cfg.max_bytes as u64
                && (!asl || first_size < size)
            {
                return Err(WriteError::MaxBytes);
            }
        }
        let seq = self.last_seq + 1;
        if self.msgs.is_empty() {
            self.first_seq = seq;
        }
        let m = StoredMsg {
            seq,
            ts_ns,
            subject: subject.to_string(),
            headers: Bytes::copy_from_slice(headers),
            payload: Bytes::copy_from_slice(payload),
        };
        self.msgs.insert(seq, m);
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .insert(seq);
        self.bytes += size;
        self.last_seq = seq;
        self.last_ts = ts_ns;
        if mmp > 0 {
            self.enforce_per_subject(subject, mmp);
        }
        self.enforce_limits();
        Ok(seq)
    }

    /// Store at an explicit sequence (> last_seq) and timestamp, as a mirror does; the gap
    /// becomes interior deleted sequences (or moves first_seq when the store is empty).
    pub fn store_at(
        &mut self,
        seq: u64,
        ts_ns: i64,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
    ) -> Result<(), WriteError> {
        if seq <= self.last_seq {
            return Err(WriteError::SequenceMismatch {
                seq,
                last_seq: self.last_seq,
            });
        }
        let before = (self.first_seq, self.last_seq);
        self.skip_to(seq)?;
        match self.append(subject, headers, payload, ts_ns) {
            Ok(got) => {
                debug_assert_eq!(got, seq);
                Ok(())
            }
            Err(e) => {
                // Refused (limits): the store is as before.
                (self.first_seq, self.last_seq) = before;
                Err(e)
            }
        }
    }

    pub fn skip_to(&mut self, seq: u64) -> Result<(), WriteError> {
        if seq <= self.last_seq {
            return Err(WriteError::SequenceMismatch {
                seq,
                last_seq: self.last_seq,
            });
        }
        if seq == self.last_seq + 1 {
            return Ok(());
        }
        if self.msgs.is_empty() {
            self.first_seq = seq;
        }
        self.last_seq = seq - 1;
        Ok(())
    }

    pub fn delete(&mut self, seq: u64) -> Result<bool, StoreError> {
        if seq > self.last_seq {
            return Err(StoreError::Eof);
        }
        let found = self.remove(seq).is_some();
        self.normalize();
        Ok(found)
    }

    pub fn purge(&mut self, req: &PurgeRequest) -> u64 {
        let up_to = req.up_to_seq.unwrap_or(0);
        if up_to == 1 {
            return 0;
        }
        let filter = req.subject.as_deref().unwrap_or("");
        if is_all(filter) {
            let keep = req.keep.unwrap_or(0);
            if up_to > 1 {
                return self.purge_front_to(up_to);
            }
            if keep == 0 {
                return self.purge_front_to(self.last_seq + 1);
            }
            if keep >= self.msgs.len() as u64 {
                return 0;
            }
            let excess = self.msgs.len() - keep as usize;
            let cut = self
                .msgs
                .keys()
                .nth(excess)
                .copied()
                .unwrap_or(self.last_seq + 1);
            return self.purge_front_to(cut);
        }
        let matching: Vec<u64> = self
            .msgs
            .iter()
            .filter(|(_, m)| matches(filter, &m.subject))
            .map(|(s, _)| *s)
            .collect();
        let mut seqs: Vec<u64> = matching
            .iter()
            .copied()
            .filter(|s| up_to <= 1 || *s < up_to)
            .collect();
        if let Some(keep) = req.keep.filter(|k| *k > 0) {
            let total = matching.len() as u64;
            if keep >= total {
                return 0;
            }
            seqs.truncate((total - keep) as usize);
        }
        let mut n = 0;
        for s in seqs {
            if self.remove(s).is_some() {
                n += 1;
            }
        }
        self.normalize();
        n
    }

    pub fn get(&self, seq: u64) -> Option<StoredMsg> {
        self.msgs.get(&seq).cloned()
    }

    pub fn next_matching(&self, start: u64, filter: &str) -> Option<StoredMsg> {
        self.msgs
            .range(start..)
            .find(|(_, m)| matches(filter, &m.subject))
            .map(|(_, m)| m.clone())
    }

    pub fn last_for_subject(&self, filter: &str) -> Option<StoredMsg> {
        self.msgs
            .values()
            .rev()
            .find(|m| matches(filter, &m.subject))
            .cloned()
    }

    pub fn subject_counts(&self, filter: &str) -> BTreeMap<String, u64> {
        self.subjects
            .iter()
            .filter(|(s, _)| matches(filter, s))
            .map(|(s, set)| (s.clone(), set.len() as u64))
            .collect()
    }

    pub fn num_pending(&self, start: u64, filter: &str) -> u64 {
        if is_all(filter) {
            return self.msgs.range(start..).count() as u64;
        }
        self.subjects
            .iter()
            .filter(|(s, _)| matches(filter, s))
            .map(|(_, set)| set.range(start..).count() as u64)
            .sum()
    }

    pub fn state(&self, with_deleted: bool) -> StreamState {
        let messages = self.msgs.len() as u64;
        let first_seq = if messages == 0 && self.last_seq == 0 && self.first_seq == 1 {
            0
        } else {
            self.first_seq
        };
        let span = if messages == 0 {
            0
        } else {
            self.last_seq - self.first_seq + 1
        };
        StreamState {
            messages,
            bytes: self.bytes,
            first_seq,
            first_ts: self.msgs.values().next().map_or(0, |m| m.ts_ns),
            last_seq: self.last_seq,
            last_ts: self.last_ts,
            num_subjects: self.subjects.len() as u64,
            num_deleted: span - messages,
            deleted: if with_deleted && messages > 0 {
                (self.first_seq..=self.last_seq)
                    .filter(|s| !self.msgs.contains_key(s))
                    .collect()
            } else {
                Vec::new()
            },
            lost: None,
        }
    }

    pub fn update_config(&mut self, cfg: StoreConfig) {
        self.cfg = cfg;
        if self.cfg.max_msgs_per_subject > 0 {
            let mmp = self.cfg.max_msgs_per_subject as u64;
            let over: Vec<String> = self
                .subjects
                .iter()
                .filter(|(_, s)| s.len() as u64 > mmp)
                .map(|(n, _)| n.clone())
                .collect();
            for s in over {
                self.enforce_per_subject(&s, mmp);
            }
        }
        self.enforce_limits();
    }
}

/// The message store of a stream: file (`jetmirror_store::Store`) or memory.
pub enum Backend {
    File(Store),
    Memory(MemStore),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::File(_) => f.write_str("Backend::File"),
            Backend::Memory(m) => write!(f, "Backend::Memory({} msgs)", m.msgs.len()),
        }
    }
}

impl Backend {
    pub fn append(
        &mut self,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
        ts_ns: i64,
    ) -> Result<u64, WriteError> {
        match self {
            Backend::File(s) => s.append(subject, headers, payload, ts_ns),
            Backend::Memory(m) => m.append(subject, headers, payload, ts_ns),
        }
    }
    /// Store at an explicit sequence above last_seq (a mirror's write).
    pub fn store_at(
        &mut self,
        seq: u64,
        ts_ns: i64,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
    ) -> Result<(), WriteError> {
        match self {
            Backend::File(s) => s.store_at(seq, ts_ns, subject, headers, payload),
            Backend::Memory(m) => m.store_at(seq, ts_ns, subject, headers, payload),
        }
    }
    pub fn skip_to(&mut self, seq: u64) -> Result<(), WriteError> {
        match self {
            Backend::File(s) => s.skip_to(seq),
            Backend::Memory(m) => m.skip_to(seq),
        }
    }
    /// `Ok(false)` if absent, `Err(Eof)` beyond last_seq; `erase` overwrites file data.
    pub fn delete(&mut self, seq: u64, erase: bool) -> Result<bool, StoreError> {
        match self {
            Backend::File(s) => s.delete(seq, erase),
            Backend::Memory(m) => m.delete(seq),
        }
    }
    pub fn purge(&mut self, req: PurgeRequest) -> Result<u64, StoreError> {
        match self {
            Backend::File(s) => s.purge(req),
            Backend::Memory(m) => Ok(m.purge(&req)),
        }
    }
    pub fn get(&self, seq: u64) -> Result<Option<StoredMsg>, StoreError> {
        match self {
            Backend::File(s) => s.get(seq),
            Backend::Memory(m) => Ok(m.get(seq)),
        }
    }
    pub fn next_matching(&self, start: u64, filter: &str) -> Result<Option<StoredMsg>, StoreError> {
        match self {
            Backend::File(s) => s.next_matching(start, filter),
            Backend::Memory(m) => Ok(m.next_matching(start, filter)),
        }
    }
    pub fn last_for_subject(&self, filter: &str) -> Result<Option<StoredMsg>, StoreError> {
        match self {
            Backend::File(s) => s.last_for_subject(filter),
            Backend::Memory(m) => Ok(m.last_for_subject(filter)),
        }
    }
    pub fn subject_counts(&self, filter: &str) -> BTreeMap<String, u64> {
        match self {
            Backend::File(s) => s.subject_counts(filter),
            Backend::Memory(m) => m.subject_counts(filter),
        }
    }
    pub fn num_pending(&self, start: u64, filter: &str) -> u64 {
        match self {
            Backend::File(s) => s.num_pending(start, filter),
            Backend::Memory(m) => m.num_pending(start, filter),
        }
    }
    pub fn state(&self, with_deleted: bool) -> StreamState {
        match self {
            Backend::File(s) => s.state(with_deleted),
            Backend::Memory(m) => m.state(with_deleted),
        }
    }
    pub fn update_config(&mut self, cfg: StoreConfig) -> Result<(), StoreError> {
        match self {
            Backend::File(s) => s.update_config(cfg),
            Backend::Memory(m) => {
                m.update_config(cfg);
                Ok(())
            }
        }
    }
}
