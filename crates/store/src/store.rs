//! The `Store`: write path (limits, records, group commit), read path, background work.
//!
//! Locking: one `Mutex<Inner>` guards the index, the segments and the write buffer; a write
//! encodes its record into the buffer and updates the index under it, then (sync `Always`)
//! waits outside it on a condvar until the "synced up to" watermark covers its record. The
//! first waiter to find no fsync in flight becomes the leader: it hands the buffer to the OS
//! under the lock, then fsyncs without it, so writers arriving meanwhile share the next fsync.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use tracing::warn;

use crate::config::{Discard, StoreConfig, SyncPolicy};
use crate::error::{StoreError, WriteError};
use crate::index::{msg_size_raw, Entry, Index, MAX_GAP, MAX_SEQ};
use crate::record::{self, Decoded, Kind, RecordRef, SEGMENT_HEADER_LEN};
use crate::segment::{self, Segment};
use crate::subject;

/// Write buffer size at which appends hand the buffer to the OS without waiting for a sync.
const WRITE_OUT_BYTES: usize = 256 * 1024;

/// A message read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMsg {
    pub seq: u64,
    pub ts_ns: i64,
    pub subject: String,
    pub headers: Bytes,
    pub payload: Bytes,
}

/// nats-server's purge request: `subject` filter (wildcards ok), `up_to_seq` (exclusive, the
/// API's `seq`), `keep` (keep the newest N).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeRequest {
    pub subject: Option<String>,
    pub up_to_seq: Option<u64>,
    pub keep: Option<u64>,
}

/// Data lost to corruption found at open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LostStreamData {
    /// Sequences known lost (those whose record header could still be read).
    pub msgs: Vec<u64>,
    /// Bytes of segment data dropped.
    pub bytes: u64,
}

/// nats-server's `StreamState` (times in ns since the epoch, 0 = zero time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamState {
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts: i64,
    pub last_seq: u64,
    pub last_ts: i64,
    pub num_subjects: u64,
    pub num_deleted: u64,
    /// Interior deleted sequences; filled only when asked for.
    pub deleted: Vec<u64>,
    pub lost: Option<LostStreamData>,
}

/// Something `open` dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub segment: PathBuf,
    pub offset: u64,
    pub bytes: u64,
    pub records: u64,
    pub reason: String,
}

/// What `open` found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub segments: usize,
    /// Records replayed from segments (0 for the part covered by a valid index file).
    pub records_replayed: u64,
    pub used_index_file: bool,
    pub dropped: Vec<Dropped>,
    /// Messages removed by max_age at open.
    pub expired: u64,
}

impl RecoveryReport {
    pub fn dropped_records(&self) -> u64 {
        self.dropped.iter().map(|d| d.records).sum()
    }
}

pub(crate) struct Inner {
    pub dir: PathBuf,
    pub cfg: StoreConfig,
    pub idx: Index,
    pub segs: BTreeMap<u32, Segment>,
    pub active: u32,
    /// Unflushed tail of the active segment; it starts at `flushed`.
    pub buf: Vec<u8>,
    pub flushed: u64,
    /// Bytes of records ever appended by this process (the group-commit clock).
    pub written: u64,
    /// Sealed segments not yet fsynced.
    pub to_sync: Vec<Arc<File>>,
    pub dir_dirty: bool,
    pub scratch: Vec<u8>,
    pub lost: Option<LostStreamData>,
    /// (segment, offset, crc) of the newest record, for the index file's staleness check.
    pub last_record: Option<(u32, u64, u32)>,
    pub poisoned: Option<String>,
    /// (first_seq, its timestamp): `state()` is asked on every publish and the first
    /// message's time would otherwise be read from disk each time. A sequence's record never
    /// changes except through truncate, which clears this.
    pub first_ts_cache: Option<(u64, i64)>,
}

struct SyncState {
    synced: u64,
    in_progress: bool,
    poisoned: Option<String>,
}

struct BgState {
    shutdown: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    sync: Mutex<SyncState>,
    sync_cv: Condvar,
    bg: Mutex<BgState>,
    bg_cv: Condvar,
}

/// A file-backed, append-only message store. `Send + Sync`; share it behind an `Arc`.
pub struct Store {
    shared: Arc<Shared>,
    bg: Option<JoinHandle<()>>,
}

pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn to_msg(r: &RecordRef<'_>) -> StoredMsg {
    StoredMsg {
        seq: r.seq,
        ts_ns: r.ts,
        subject: String::from_utf8_lossy(r.subject).into_owned(),
        headers: Bytes::copy_from_slice(r.headers),
        payload: Bytes::copy_from_slice(r.payload),
    }
}

impl Inner {
    fn check_poisoned(&self) -> Result<(), StoreError> {
        match &self.poisoned {
            Some(p) => Err(StoreError::Poisoned(p.clone())),
            None => Ok(()),
        }
    }

    fn active_seg(&self) -> Result<&Segment, StoreError> {
        self.segs
            .get(&self.active)
            .ok_or_else(|| StoreError::Invalid(format!("active segment {} missing", self.active)))
    }

    /// Decode the record at a location, checking its CRC and kind.
    pub(crate) fn read_record(&mut self, seg: u32, off: u32) -> Result<RecordRef<'_>, StoreError> {
        let is_active = seg == self.active;
        let flushed = if is_active { self.flushed } else { u64::MAX };
        if is_active && u64::from(off) < flushed {
            self.map_active();
        }
        let segment = self.segs.get(&seg).ok_or_else(|| {
            StoreError::Invalid(format!("segment {seg} missing for offset {off}"))
        })?;
        let bytes = segment.record_bytes(u64::from(off), flushed, &self.buf, &mut self.scratch)?;
        match record::decode(bytes) {
            Decoded::Ok(r) => Ok(r),
            Decoded::Incomplete => Err(StoreError::Corrupt {
                path: segment.path.clone(),
                offset: u64::from(off),
                reason: "short record".into(),
            }),
            Decoded::Corrupt { reason, .. } => Err(StoreError::Corrupt {
                path: segment.path.clone(),
                offset: u64::from(off),
                reason: reason.into(),
            }),
        }
    }

    /// Map the active segment's reservation if it is not mapped yet (first read after open
    /// or a roll).
    fn map_active(&mut self) {
        let size = self.cfg.effective_segment_size();
        let Some(seg) = self.segs.get_mut(&self.active) else {
            return;
        };
        if seg.active_map.is_some() || seg.map.is_some() {
            return;
        }
        match segment::map_reserved(&seg.file, &seg.path, size.max(seg.len)) {
            Ok(m) => seg.active_map = Some(m),
            // Reads fall back to `pread`; the mapping is tried again on the next read.
            Err(e) => {
                tracing::debug!(segment = %seg.path.display(), error = %e, "cannot map the active segment")
            }
        }
    }

    fn read_msg(&mut self, seq: u64, e: Entry) -> Result<StoredMsg, StoreError> {
        let found = {
            let r = self.read_record(e.seg, e.off)?;
            if r.seq == seq && matches!(r.kind, Kind::Msg | Kind::Erased) {
                return Ok(to_msg(&r));
            }
            r.seq
        };
        let path = self
            .segs
            .get(&e.seg)
            .map(|s| s.path.clone())
            .unwrap_or_default();
        Err(StoreError::Corrupt {
            path,
            offset: u64::from(e.off),
            reason: format!("index says seq {seq}, record has seq {found}"),
        })
    }

    fn ts_of(&mut self, seq: u64) -> Result<Option<i64>, StoreError> {
        match self.idx.entry(seq) {
            Some(e) => Ok(Some(self.read_record(e.seg, e.off)?.ts)),
            None => Ok(None),
        }
    }

    /// Hand the write buffer to the OS.
    pub(crate) fn write_out(&mut self) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let res = {
            let seg = self.active_seg()?;
            seg.file
                .write_all_at(&self.buf, self.flushed)
                .map_err(|e| StoreError::io("write segment", &seg.path, e))
        };
        if let Err(e) = res {
            self.poisoned = Some(e.to_string());
            return Err(e);
        }
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Seal the active segment and start a new one.
    fn roll(&mut self) -> Result<(), StoreError> {
        self.write_out()?;
        let next = self
            .active
            .checked_add(1)
            .ok_or_else(|| StoreError::Invalid("segment ids exhausted".into()))?;
        let new = segment::create(
            &self.dir,
            next,
            self.idx.first_seq,
            self.idx.last_seq,
            self.idx.last_ts,
        )?;
        if let Some(seg) = self.segs.get_mut(&self.active) {
            seg.active_map = None;
            seg.map = segment::map_file(&seg.file, &seg.path)?;
            self.to_sync.push(seg.file.clone());
        }
        self.flushed = new.len;
        self.active = next;
        self.segs.insert(next, new);
        self.dir_dirty = true;
        Ok(())
    }

    /// Append one record to the active segment (rolling first if it would overflow).
    pub(crate) fn append_record(
        &mut self,
        kind: Kind,
        seq: u64,
        ts: i64,
        subject: &[u8],
        headers: &[u8],
        payload: &[u8],
    ) -> Result<(u32, u32), StoreError> {
        self.check_poisoned()?;
        let len = record::record_len(subject.len(), headers.len(), payload.len());
        let active_len = self.active_seg()?.len;
        if active_len > SEGMENT_HEADER_LEN as u64
            && active_len + len > self.cfg.effective_segment_size()
        {
            self.roll()?;
        }
        let seg_id = self.active;
        let off = self.active_seg()?.len;
        let start = self.buf.len();
        record::encode(&mut self.buf, kind, seq, ts, subject, headers, payload);
        let crc = record::le_u32(&self.buf, start).unwrap_or(0);
        if let Some(seg) = self.segs.get_mut(&seg_id) {
            seg.len += len;
        }
        self.written += len;
        self.last_record = Some((seg_id, off, crc));
        if self.buf.len() >= WRITE_OUT_BYTES {
            self.write_out()?;
        }
        let off32 = u32::try_from(off)
            .map_err(|_| StoreError::Invalid("segment offset beyond 4 GiB".into()))?;
        Ok((seg_id, off32))
    }

    /// Store a message at `seq` (None = next), applying every limit.
    pub(crate) fn write_msg(
        &mut self,
        seq: Option<u64>,
        ts: i64,
        subj: &str,
        hdr: &[u8],
        payload: &[u8],
        check_limits: bool,
    ) -> Result<u64, WriteError> {
        self.check_poisoned()?;
        if subj.len() > usize::from(u16::MAX) {
            return Err(WriteError::Invalid("subject longer than 65535 bytes"));
        }
        if record::record_len(subj.len(), hdr.len(), payload.len()) > record::MAX_RECORD_LEN / 2 {
            return Err(WriteError::Invalid("message larger than 1 GiB"));
        }
        let cfg = &self.cfg;
        if check_limits
            && cfg.max_msg_size > 0
            && hdr.len() + payload.len() > cfg.max_msg_size as usize
        {
            return Err(WriteError::MsgTooLarge);
        }
        let last = self.idx.last_seq;
        let seq = match seq {
            None => last + 1,
            Some(s) if s > last => s,
            Some(s) => {
                return Err(WriteError::SequenceMismatch {
                    seq: s,
                    last_seq: last,
                })
            }
        };
        if seq > MAX_SEQ {
            return Err(WriteError::Invalid("sequence above 2^62"));
        }
        if self.idx.msgs > 0 && seq - last > MAX_GAP {
            return Err(WriteError::Invalid(
                "sequence gap above 2^24 in a non-empty store",
            ));
        }
        let size = msg_size_raw(subj.len(), hdr.len(), payload.len());
        let mmp = if cfg.max_msgs_per_subject > 0 {
            cfg.max_msgs_per_subject as u64
        } else {
            0
        };
        let subj_id = self.idx.subject_id(subj);
        let subj_count = subj_id
            .and_then(|id| self.idx.subject(id))
            .map_or(0, |s| s.count);
        if check_limits && cfg.discard == Discard::New {
            let mut asl = false;
            let mut first_size = 0u64;
            if mmp > 0 && subj_count + 1 > mmp {
                if cfg.discard_new_per_subject {
                    return Err(WriteError::MaxMsgsPerSubject);
                }
                asl = true;
                if let Some(first) = subj_id.and_then(|id| self.idx.first_for_subject(id)) {
                    first_size = self.idx.entry(first).map_or(0, |e| u64::from(e.size));
                }
            }
            let cfg = &self.cfg;
            if cfg.max_msgs > 0 && self.idx.msgs >= cfg.max_msgs as u64 && !asl {
                return Err(WriteError::MaxMsgs);
            }
            if cfg.max_bytes > 0
                && self.idx.bytes + size > cfg.max_bytes as u64
                && (!asl || first_size < size)
            {
                return Err(WriteError::MaxBytes);
            }
        }
        let (seg, off) = self.append_record(Kind::Msg, seq, ts, subj.as_bytes(), hdr, payload)?;
        let applied = self.idx.apply_msg(seq, ts, subj, size, seg, off);
        debug_assert!(applied, "checked above");
        if mmp > 0 {
            self.enforce_per_subject(subj, mmp)?;
        }
        self.enforce_limits()?;
        Ok(seq)
    }

    fn delete_seq(&mut self, seq: u64) -> Result<Option<Entry>, StoreError> {
        if self.idx.entry(seq).is_none() {
            return Ok(None);
        }
        self.append_record(Kind::Delete, seq, 0, b"", b"", b"")?;
        Ok(self.idx.apply_delete(seq))
    }

    fn enforce_per_subject(&mut self, subj: &str, mmp: u64) -> Result<(), StoreError> {
        let Some(id) = self.idx.subject_id(subj) else {
            return Ok(());
        };
        while self.idx.subject(id).is_some_and(|s| s.count > mmp) {
            let Some(first) = self.idx.first_for_subject(id) else {
                break;
            };
            self.delete_seq(first)?;
        }
        Ok(())
    }

    /// Remove from the front up to (not including) `new_first`.
    fn purge_front_to(&mut self, new_first: u64) -> Result<u64, StoreError> {
        if new_first <= self.idx.first_seq && self.idx.msgs > 0 {
            return Ok(0);
        }
        self.append_record(Kind::Purge, new_first, 0, b"", b"", b"")?;
        Ok(self.idx.apply_purge(new_first).0)
    }

    /// The sequence that becomes first after removing front messages while `take` says so.
    fn front_cut(&self, mut take: impl FnMut(u64, &Entry) -> bool) -> u64 {
        for (i, e) in self.idx.entries.live_from(0) {
            if !take(self.idx.first_seq + i as u64, &e) {
                return self.idx.first_seq + i as u64;
            }
        }
        self.idx.last_seq + 1
    }

    /// max_msgs and max_bytes with discard old.
    fn enforce_limits(&mut self) -> Result<u64, StoreError> {
        if self.cfg.discard != Discard::Old {
            return Ok(0);
        }
        let mut removed = 0;
        let max_msgs = self.cfg.max_msgs;
        if max_msgs > 0 && self.idx.msgs > max_msgs as u64 {
            let mut excess = self.idx.msgs - max_msgs as u64;
            let cut = self.front_cut(|_, _| {
                if excess == 0 {
                    return false;
                }
                excess -= 1;
                true
            });
            removed += self.purge_front_to(cut)?;
        }
        let max_bytes = self.cfg.max_bytes;
        if max_bytes > 0 && self.idx.bytes > max_bytes as u64 {
            let mut bytes = self.idx.bytes;
            let cut = self.front_cut(|_, e| {
                if bytes <= max_bytes as u64 {
                    return false;
                }
                bytes -= u64::from(e.size);
                true
            });
            removed += self.purge_front_to(cut)?;
        }
        Ok(removed)
    }

    /// Rewrite sealed segment `id` keeping only what replay needs: live messages, every
    /// non-message record, and for each dead message a bare placeholder (seq and ts, no
    /// subject or data) so last_seq/last_ts replay exactly as before. Damaged segments are
    /// left alone. Returns the bytes reclaimed.
    pub(crate) fn compact_segment(&mut self, id: u32) -> Result<u64, StoreError> {
        if id == self.active {
            return Ok(0);
        }
        let Some(seg) = self.segs.get(&id) else {
            return Ok(0);
        };
        let Some(map) = seg.map.as_ref() else {
            return Ok(0);
        };
        let Ok(header) = record::SegmentHeader::decode(map) else {
            return Ok(0);
        };
        let header = record::SegmentHeader {
            nonce: segment::new_nonce(),
            ..header
        };
        let mut out = Vec::with_capacity(map.len() / 2);
        out.extend_from_slice(&header.encode());
        let mut moved: Vec<(u64, u32)> = Vec::new();
        let idx = &self.idx;
        let sc = crate::recovery::scan(map, SEGMENT_HEADER_LEN as u64, |r, off| match r.kind {
            Kind::Msg | Kind::Erased => {
                let live = idx
                    .entry(r.seq)
                    .is_some_and(|e| e.seg == id && u64::from(e.off) == off);
                if live {
                    moved.push((r.seq, out.len() as u32));
                    record::encode(
                        &mut out, r.kind, r.seq, r.ts, r.subject, r.headers, r.payload,
                    );
                } else {
                    record::encode(&mut out, Kind::Erased, r.seq, r.ts, b"", b"", b"");
                }
            }
            _ => record::encode(
                &mut out, r.kind, r.seq, r.ts, r.subject, r.headers, r.payload,
            ),
        });
        if sc.cut || !sc.dropped.is_empty() {
            return Ok(0);
        }
        let old_len = map.len() as u64;
        let path = seg.path.clone();
        let tmp = path.with_extension("seg.compact");
        let io = |op: &'static str, e: std::io::Error| StoreError::io(op, &tmp, e);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io("create compacted segment", e))?;
        file.write_all_at(&out, 0)
            .map_err(|e| io("write compacted segment", e))?;
        file.sync_all()
            .map_err(|e| io("fsync compacted segment", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| StoreError::io("replace segment", &path, e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io("fsync directory", &self.dir, e))?;
        let new_map = segment::map_file(&file, &path)?;
        if let Some(seg) = self.segs.get_mut(&id) {
            seg.nonce = header.nonce;
            seg.file = Arc::new(file);
            seg.map = new_map;
            seg.len = out.len() as u64;
        }
        let first = self.idx.first_seq;
        for (seq, off) in moved {
            if let Ok(i) = usize::try_from(seq - first) {
                if let Some(mut e) = self.idx.entries.get(i) {
                    e.off = off;
                    self.idx.entries.set(i, e);
                }
            }
        }
        let _ = std::fs::remove_file(self.dir.join("index.db"));
        Ok(old_len.saturating_sub(out.len() as u64))
    }

    /// Sealed segments worth compacting: at least a quarter of a segment long, under half
    /// live, except a dead oldest segment (removed whole), at most ~256 MiB of them per call.
    fn compaction_candidates(&self) -> Vec<u32> {
        let min_len = (self.cfg.effective_segment_size() / 4).max(4096);
        let mut budget: u64 = 256 << 20;
        let mut out = Vec::new();
        let oldest = self.segs.keys().next().copied();
        for (id, s) in &self.segs {
            let live = self.idx.seg_live.get(id).copied().unwrap_or_default();
            let removable_whole = live.msgs == 0 && Some(*id) == oldest;
            if *id == self.active
                || s.map.is_none()
                || s.len < min_len
                || removable_whole
                || live.bytes >= s.len / 2
            {
                continue;
            }
            if s.len > budget {
                break;
            }
            budget -= s.len;
            out.push(*id);
        }
        out
    }

    pub(crate) fn expire(&mut self, now: i64) -> Result<u64, StoreError> {
        let max_age = self.cfg.max_age;
        if max_age.is_zero() || self.idx.msgs == 0 {
            return Ok(0);
        }
        let cutoff = now.saturating_sub(i64::try_from(max_age.as_nanos()).unwrap_or(i64::MAX));
        let mut cut = self.idx.last_seq + 1;
        let first = self.idx.first_seq;
        let mut from = 0usize;
        loop {
            let next = self.idx.entries.live_from(from).next();
            let Some((i, e)) = next else { break };
            let ts = self.read_record(e.seg, e.off)?.ts;
            if ts > cutoff {
                cut = first + i as u64;
                break;
            }
            from = i + 1;
        }
        self.purge_front_to(cut)
    }

    fn state(&mut self, with_deleted: bool) -> StreamState {
        let first_ts = match self.first_ts_cache {
            _ if self.idx.msgs == 0 => 0,
            Some((seq, ts)) if seq == self.idx.first_seq => ts,
            _ => {
                let ts = self.ts_of(self.idx.first_seq).ok().flatten().unwrap_or(0);
                self.first_ts_cache = Some((self.idx.first_seq, ts));
                ts
            }
        };
        let idx = &self.idx;
        let first_seq = if idx.msgs == 0 && idx.last_seq == 0 && idx.first_seq == 1 {
            0
        } else {
            idx.first_seq
        };
        StreamState {
            messages: idx.msgs,
            bytes: idx.bytes,
            first_seq,
            first_ts,
            last_seq: idx.last_seq,
            last_ts: idx.last_ts,
            num_subjects: idx.num_subjects(),
            num_deleted: idx.num_deleted(),
            deleted: if with_deleted {
                idx.deleted()
            } else {
                Vec::new()
            },
            lost: self.lost.clone(),
        }
    }

    /// Sequences matching `filter`, scanning from `start`, as a predicate on entries.
    fn matcher(&self, filter: &str) -> Matcher {
        if subject::is_all(filter) {
            Matcher::All
        } else if !subject::has_wildcard(filter) {
            match self.idx.subject_id(filter) {
                Some(id) => Matcher::Id(id),
                None => Matcher::Nothing,
            }
        } else {
            Matcher::Wild {
                filter: filter.to_string(),
                cache: Vec::new(),
            }
        }
    }

    fn matches(&self, m: &mut Matcher, e: &Entry) -> bool {
        match m {
            Matcher::All => true,
            Matcher::Nothing => false,
            Matcher::Id(id) => e.subj == *id,
            Matcher::Wild { filter, cache } => {
                let i = e.subj as usize;
                if cache.len() <= i {
                    cache.resize(i + 1, 0);
                }
                match cache.get(i) {
                    Some(1) => true,
                    Some(2) => false,
                    _ => {
                        let hit = self
                            .idx
                            .subject(e.subj)
                            .is_some_and(|s| subject::matches(filter, &s.name));
                        if let Some(c) = cache.get_mut(i) {
                            *c = if hit { 1 } else { 2 };
                        }
                        hit
                    }
                }
            }
        }
    }
}

enum Matcher {
    All,
    Nothing,
    Id(u32),
    /// `cache[subject id]`: 0 not yet matched, 1 matches, 2 does not (ids are dense).
    Wild {
        filter: String,
        cache: Vec<u8>,
    },
}

impl Shared {
    /// Flush the buffer and fsync everything written so far; returns the covered watermark.
    fn sync_once(&self) -> Result<u64, StoreError> {
        let (target, files, dir, sync_dir) = {
            let mut g = self.inner.lock();
            g.write_out()?;
            let mut files = std::mem::take(&mut g.to_sync);
            if let Ok(seg) = g.active_seg() {
                files.push(seg.file.clone());
            }
            let sync_dir = std::mem::take(&mut g.dir_dirty);
            (g.written, files, g.dir.clone(), sync_dir)
        };
        for f in &files {
            f.sync_data()
                .map_err(|e| StoreError::io("fsync segment", &dir, e))?;
        }
        if sync_dir {
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| StoreError::io("fsync directory", &dir, e))?;
        }
        Ok(target)
    }

    /// Wait until everything up to `pos` is fsynced, doing the fsync if nobody else is.
    fn wait_durable(&self, pos: u64) -> Result<(), StoreError> {
        let mut s = self.sync.lock();
        loop {
            if let Some(p) = &s.poisoned {
                return Err(StoreError::Poisoned(p.clone()));
            }
            if s.synced >= pos {
                return Ok(());
            }
            if s.in_progress {
                self.sync_cv.wait(&mut s);
                continue;
            }
            s.in_progress = true;
            drop(s);
            let res = self.sync_once();
            s = self.sync.lock();
            s.in_progress = false;
            match res {
                Ok(t) => s.synced = s.synced.max(t),
                Err(e) => {
                    let msg = e.to_string();
                    warn!(error = %msg, "fsync failed; store refuses further writes");
                    s.poisoned = Some(msg.clone());
                    self.inner.lock().poisoned = Some(msg);
                    self.sync_cv.notify_all();
                    return Err(e);
                }
            }
            self.sync_cv.notify_all();
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        let pos = self.inner.lock().written;
        self.wait_durable(pos)
    }

    /// Wait per the sync policy for a write that ended at `pos`.
    fn after_write(&self, policy: SyncPolicy, pos: u64) -> Result<(), StoreError> {
        match policy {
            SyncPolicy::Always => self.wait_durable(pos),
            _ => Ok(()),
        }
    }

    /// Compact one mostly-deleted segment, then remove oldest segments that hold no live
    /// message (never the active one).
    fn drop_dead_segments(&self) -> Result<(), StoreError> {
        let policy = self.inner.lock().cfg.sync;
        if policy != SyncPolicy::Never {
            // Whatever made them dead must be durable before their messages disappear.
            self.flush()?;
        }
        let mut g = self.inner.lock();
        for id in g.compaction_candidates() {
            match g.compact_segment(id) {
                Ok(n) if n > 0 => tracing::debug!(segment = id, reclaimed = n, "compacted segment"),
                Ok(_) => {}
                Err(e) => warn!(segment = id, error = %e, "compaction failed"),
            }
        }
        while let Some((&id, _)) = g.segs.iter().next() {
            if id == g.active || g.idx.seg_live.get(&id).is_some_and(|l| l.msgs > 0) {
                break;
            }
            if let Some(seg) = g.segs.remove(&id) {
                g.idx.seg_live.remove(&id);
                // The index file covers this segment and can no longer be used; drop it now
                // rather than have the next open read it only to reject it.
                let _ = std::fs::remove_file(g.dir.join("index.db"));
                std::fs::remove_file(&seg.path)
                    .map_err(|e| StoreError::io("remove segment", &seg.path, e))?;
                g.dir_dirty = true;
            }
        }
        Ok(())
    }
}

fn bg_loop(shared: Arc<Shared>) {
    let started = Instant::now();
    let mut last_sync = started;
    let mut last_expire = started;
    let mut last_maint = started;
    loop {
        {
            let mut b = shared.bg.lock();
            if b.shutdown {
                return;
            }
            shared.bg_cv.wait_for(&mut b, Duration::from_millis(20));
            if b.shutdown {
                return;
            }
        }
        let (policy, max_age, poisoned) = {
            let g = shared.inner.lock();
            (g.cfg.sync, g.cfg.max_age, g.poisoned.is_some())
        };
        if poisoned {
            continue;
        }
        match policy {
            SyncPolicy::Interval(d) if last_sync.elapsed() >= d => {
                last_sync = Instant::now();
                let _ = shared.flush();
            }
            SyncPolicy::Never | SyncPolicy::Interval(_)
                if last_sync.elapsed() >= Duration::from_millis(100) =>
            {
                // Keep the user-space buffer short so a process crash loses little.
                let _ = shared.inner.lock().write_out();
            }
            _ => {}
        }
        if !max_age.is_zero()
            && last_expire.elapsed()
                >= (max_age / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
        {
            last_expire = Instant::now();
            let r = shared.inner.lock().expire(now_ns());
            if let Ok(n) = r {
                if n > 0 && policy == SyncPolicy::Always {
                    let _ = shared.flush();
                }
            }
        }
        if last_maint.elapsed() >= Duration::from_secs(1) {
            last_maint = Instant::now();
            if let Err(e) = shared.drop_dead_segments() {
                warn!(error = %e, "removing dead segments failed");
            }
        }
    }
}

/// A handle that makes a store's writes durable from another thread (a commit pipeline
/// that fsyncs one batch while the next is being applied). It keeps the store's shared
/// state alive, not the store: after the store is closed, `flush` finds nothing new.
#[derive(Clone)]
pub struct Flusher {
    shared: Arc<Shared>,
}

impl Flusher {
    /// fsync everything written to the store so far (as [`Store::flush`]).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.shared.flush()
    }
}

impl std::fmt::Debug for Flusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Flusher")
    }
}

impl Store {
    /// A [`Flusher`] for this store.
    pub fn flusher(&self) -> Flusher {
        Flusher {
            shared: self.shared.clone(),
        }
    }

    /// Open (or create) the store in `dir`: load the index file if valid, replay the segments
    /// after it, cut a torn or corrupt tail, expire by max_age.
    pub fn open(dir: &Path, cfg: StoreConfig) -> Result<(Store, RecoveryReport), StoreError> {
        let (inner, mut report) = crate::recovery::open_inner(dir, cfg)?;
        let store = Store::start(inner);
        let expired = store.expire(now_ns())?;
        report.expired = expired;
        Ok((store, report))
    }

    fn start(inner: Inner) -> Store {
        let synced = inner.written;
        let shared = Arc::new(Shared {
            inner: Mutex::new(inner),
            sync: Mutex::new(SyncState {
                synced,
                in_progress: false,
                poisoned: None,
            }),
            sync_cv: Condvar::new(),
            bg: Mutex::new(BgState { shutdown: false }),
            bg_cv: Condvar::new(),
        });
        let s2 = shared.clone();
        let bg = std::thread::Builder::new()
            .name("jetmirror-store".into())
            .spawn(move || bg_loop(s2))
            .ok();
        Store { shared, bg }
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let (res, policy, pos) = {
            let mut g = self.shared.inner.lock();
            let r = f(&mut g);
            (r, g.cfg.sync, g.written)
        };
        let v = res?;
        self.shared.after_write(policy, pos)?;
        Ok(v)
    }

    fn write_store<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (res, policy, pos) = {
            let mut g = self.shared.inner.lock();
            g.check_poisoned()?;
            let r = f(&mut g);
            (r, g.cfg.sync, g.written)
        };
        let v = res?;
        self.shared.after_write(policy, pos)?;
        Ok(v)
    }

    /// Append at the next sequence; durable per the sync policy when it returns.
    pub fn append(
        &self,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
        ts_ns: i64,
    ) -> Result<u64, WriteError> {
        self.write(|g| g.write_msg(None, ts_ns, subject, headers, payload, true))
    }

    /// Store at an explicit sequence (> last_seq) and timestamp, as a mirror does; the gap
    /// becomes interior deleted sequences (or moves first_seq when the store is empty).
    pub fn store_at(
        &self,
        seq: u64,
        ts_ns: i64,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
    ) -> Result<(), WriteError> {
        self.write(|g| {
            g.write_msg(Some(seq), ts_ns, subject, headers, payload, true)
                .map(|_| ())
        })
    }

    /// Make `seq` the next sequence to be appended.
    pub fn skip_to(&self, seq: u64) -> Result<(), WriteError> {
        self.write(|g| {
            let last = g.idx.last_seq;
            if seq <= last {
                return Err(WriteError::SequenceMismatch {
                    seq,
                    last_seq: last,
                });
            }
            if seq == last + 1 {
                return Ok(());
            }
            if seq > MAX_SEQ || (g.idx.msgs > 0 && seq - last > MAX_GAP) {
                return Err(WriteError::Invalid("skip too far"));
            }
            let ts = g.idx.last_ts;
            g.append_record(Kind::Skip, seq, ts, b"", b"", b"")?;
            g.idx.apply_skip(seq, ts);
            Ok(())
        })
    }

    /// Delete one message. `Ok(false)` if it is not there; `Err(Eof)` beyond last_seq.
    /// With `erase`, the record's payload is also overwritten on disk.
    pub fn delete(&self, seq: u64, erase: bool) -> Result<bool, StoreError> {
        let removed = self.write_store(|g| {
            if seq > g.idx.last_seq {
                return Err(StoreError::Eof);
            }
            g.delete_seq(seq)
        })?;
        let Some(e) = removed else { return Ok(false) };
        if erase {
            // The tombstone must be durable before the bytes go.
            self.shared.flush()?;
            let mut g = self.shared.inner.lock();
            g.write_out()?;
            // A compaction may have rewritten the segment since: erase only if the record
            // there is still this message.
            let Ok(r) = g.read_record(e.seg, e.off) else {
                return Ok(true);
            };
            if r.seq != seq || r.kind != Kind::Msg {
                return Ok(true);
            }
            let (seq, ts, subj, hdr, plen) = (
                r.seq,
                r.ts,
                r.subject.to_vec(),
                r.headers.to_vec(),
                r.payload.len(),
            );
            let mut rec = Vec::new();
            record::encode(
                &mut rec,
                Kind::Erased,
                seq,
                ts,
                &subj,
                &hdr,
                &vec![0u8; plen],
            );
            if let Some(seg) = g.segs.get(&e.seg) {
                seg.file
                    .write_all_at(&rec, u64::from(e.off))
                    .and_then(|_| seg.file.sync_data())
                    .map_err(|err| StoreError::io("erase record", &seg.path, err))?;
            }
        }
        Ok(true)
    }

    /// Purge per nats-server's `PurgeEx`. Returns the number of messages removed.
    pub fn purge(&self, req: PurgeRequest) -> Result<u64, StoreError> {
        self.write_store(|g| {
            let up_to = req.up_to_seq.unwrap_or(0);
            if up_to == 1 {
                return Ok(0);
            }
            let filter = req.subject.as_deref().unwrap_or("");
            if subject::is_all(filter) {
                let keep = req.keep.unwrap_or(0);
                if up_to > 1 {
                    return g.purge_front_to(up_to.min(MAX_SEQ));
                }
                if keep == 0 {
                    let to = g.idx.last_seq + 1;
                    return g.purge_front_to(to);
                }
                if keep >= g.idx.msgs {
                    return Ok(0);
                }
                let mut excess = g.idx.msgs - keep;
                let cut = g.front_cut(|_, _| {
                    if excess == 0 {
                        return false;
                    }
                    excess -= 1;
                    true
                });
                return g.purge_front_to(cut);
            }
            let mut m = g.matcher(filter);
            let first = g.idx.first_seq;
            let mut seqs = Vec::new();
            for (i, e) in g.idx.entries.live_from(0) {
                let seq = first + i as u64;
                if up_to > 1 && seq >= up_to {
                    break;
                }
                if g.matches(&mut m, &e) {
                    seqs.push(seq);
                }
            }
            if let Some(keep) = req.keep.filter(|k| *k > 0) {
                let total = if up_to > 1 {
                    let mut n = 0u64;
                    for (_, e) in g.idx.entries.live_from(0) {
                        if g.matches(&mut m, &e) {
                            n += 1;
                        }
                    }
                    n
                } else {
                    seqs.len() as u64
                };
                if keep >= total {
                    return Ok(0);
                }
                seqs.truncate((total - keep) as usize);
            }
            let mut n = 0;
            for seq in seqs {
                if g.delete_seq(seq)?.is_some() {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Drop every message above `last_seq`; last_seq becomes `last_seq` (a Raft follower
    /// dropping an uncommitted tail). `truncate(0)` resets the store.
    pub fn truncate(&self, last_seq: u64) -> Result<(), StoreError> {
        self.write_store(|g| {
            if last_seq > g.idx.last_seq {
                return Err(StoreError::Invalid(format!(
                    "truncate to {last_seq} above last_seq {}",
                    g.idx.last_seq
                )));
            }
            if last_seq == g.idx.last_seq {
                return Ok(());
            }
            // last_ts: the newest remaining message's time, else the old value.
            let mut ts = g.idx.last_ts;
            let lo = g.idx.first_seq;
            let mut s = last_seq;
            while s >= lo && s > 0 {
                if let Some(t) = g.ts_of(s)? {
                    ts = t;
                    break;
                }
                s -= 1;
            }
            g.append_record(Kind::Truncate, last_seq, ts, b"", b"", b"")?;
            g.idx.apply_truncate(last_seq, ts);
            g.first_ts_cache = None;
            Ok(())
        })
    }

    /// fsync everything written so far (for the Raft layer, whatever the policy).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.shared.flush()
    }

    /// The message at `seq`, if present.
    pub fn get(&self, seq: u64) -> Result<Option<StoredMsg>, StoreError> {
        let mut g = self.shared.inner.lock();
        match g.idx.entry(seq) {
            Some(e) => g.read_msg(seq, e).map(Some),
            None => Ok(None),
        }
    }

    /// The first message at or after `start_seq` whose subject matches `filter`.
    pub fn next_matching(
        &self,
        start_seq: u64,
        filter: &str,
    ) -> Result<Option<StoredMsg>, StoreError> {
        let mut g = self.shared.inner.lock();
        let mut m = g.matcher(filter);
        let mut start = start_seq;
        if let Matcher::Id(id) = m {
            match g.idx.subject(id) {
                Some(info) if info.count > 0 && info.last >= start => {
                    start = start.max(info.first_hint)
                }
                _ => return Ok(None),
            }
        }
        let found = {
            let gi = &*g;
            gi.idx.scan_from(start, |e| gi.matches(&mut m, e))
        };
        match found.and_then(|s| g.idx.entry(s).map(|e| (s, e))) {
            Some((s, e)) => g.read_msg(s, e).map(Some),
            None => Ok(None),
        }
    }

    /// The newest message whose subject matches `filter`.
    pub fn last_for_subject(&self, filter: &str) -> Result<Option<StoredMsg>, StoreError> {
        let mut g = self.shared.inner.lock();
        let seq = if subject::is_all(filter) {
            g.idx
                .entries
                .live_rev()
                .next()
                .map(|(i, _)| g.idx.first_seq + i as u64)
        } else if !subject::has_wildcard(filter) {
            g.idx
                .subject_id(filter)
                .and_then(|id| g.idx.subject(id))
                .filter(|s| s.count > 0)
                .map(|s| s.last)
        } else {
            g.idx
                .subjects
                .iter()
                .filter(|s| s.count > 0 && subject::matches(filter, &s.name))
                .map(|s| s.last)
                .max()
        };
        match seq.and_then(|s| g.idx.entry(s).map(|e| (s, e))) {
            Some((s, e)) => g.read_msg(s, e).map(Some),
            None => Ok(None),
        }
    }

    /// Message counts per subject matching `filter`.
    pub fn subject_counts(&self, filter: &str) -> BTreeMap<String, u64> {
        let g = self.shared.inner.lock();
        g.idx
            .subjects
            .iter()
            .filter(|s| s.count > 0 && subject::matches(filter, &s.name))
            .map(|s| (s.name.to_string(), s.count))
            .collect()
    }

    /// Messages at or after `start_seq` matching `filter`.
    pub fn num_pending(&self, start_seq: u64, filter: &str) -> u64 {
        let g = self.shared.inner.lock();
        let mut m = g.matcher(filter);
        match m {
            Matcher::All if start_seq <= g.idx.first_seq => return g.idx.msgs,
            Matcher::Nothing => return 0,
            Matcher::Id(id) => match g.idx.subject(id) {
                Some(s) if start_seq <= s.first_hint.max(g.idx.first_seq) => return s.count,
                Some(s) if start_seq > s.last => return 0,
                _ => {}
            },
            Matcher::Wild { ref filter, .. } if start_seq <= g.idx.first_seq => {
                // Whole stream: the subject table answers without a scan.
                return g
                    .idx
                    .subjects
                    .iter()
                    .filter(|s| s.count > 0 && subject::matches(filter, &s.name))
                    .map(|s| s.count)
                    .sum();
            }
            _ => {}
        }
        let start = start_seq.max(g.idx.first_seq);
        let Ok(skip) = usize::try_from(start - g.idx.first_seq) else {
            return 0;
        };
        let mut n = 0;
        for (_, e) in g.idx.entries.live_from(skip) {
            if g.matches(&mut m, &e) {
                n += 1;
            }
        }
        n
    }

    /// nats-server's StreamState; `with_deleted` fills `deleted`.
    pub fn state(&self, with_deleted: bool) -> StreamState {
        self.shared.inner.lock().state(with_deleted)
    }

    /// Remove messages older than max_age at `now_ns`. Also run by the background thread.
    pub fn expire(&self, now_ns: i64) -> Result<u64, StoreError> {
        self.write_store(|g| g.expire(now_ns))
    }

    /// Apply new limits now (and the new sync policy / segment size from now on).
    pub fn update_config(&self, cfg: StoreConfig) -> Result<(), StoreError> {
        self.write_store(|g| {
            g.cfg = cfg;
            if g.cfg.max_msgs_per_subject > 0 {
                let mmp = g.cfg.max_msgs_per_subject as u64;
                let over: Vec<String> = g
                    .idx
                    .subjects
                    .iter()
                    .filter(|s| s.count > mmp)
                    .map(|s| s.name.to_string())
                    .collect();
                for s in over {
                    g.enforce_per_subject(&s, mmp)?;
                }
            }
            g.enforce_limits()?;
            g.expire(now_ns())?;
            Ok(())
        })?;
        self.shared.bg_cv.notify_all();
        Ok(())
    }

    /// Stream the whole store out (see `snapshot` module for the format). Holds the store
    /// lock for the duration so the snapshot is one consistent point: writers wait.
    pub fn snapshot(&self, out: &mut impl std::io::Write) -> Result<(), StoreError> {
        let mut g = self.shared.inner.lock();
        crate::snapshot::write(&mut g, out)
    }

    /// Build a store in the empty directory `dir` from a snapshot stream. On error the
    /// directory holds a partial store; the caller deletes it.
    pub fn restore(
        dir: &Path,
        cfg: StoreConfig,
        input: &mut impl std::io::Read,
    ) -> Result<Store, StoreError> {
        if std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
        {
            return Err(StoreError::NotEmpty {
                path: dir.to_path_buf(),
            });
        }
        let (store, _) = Store::open(dir, cfg)?;
        {
            let mut g = store.shared.inner.lock();
            crate::snapshot::read(&mut g, input)?;
        }
        store.flush()?;
        Ok(store)
    }

    /// Index memory in bytes (entries + subject table), for benches and capacity planning.
    pub fn index_memory_bytes(&self) -> u64 {
        let g = self.shared.inner.lock();
        let entries = g.idx.entries.memory_bytes();
        let subjects: usize = g.idx.subjects.iter().map(|s| 2 * s.name.len() + 64).sum();
        (entries + subjects) as u64
    }

    /// Stop the background thread, fsync, write the index file. Dropping does the same.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.shutdown()
    }

    /// Compact every sealed segment now, whatever its live ratio (tests and tools; the
    /// background thread compacts mostly-deleted segments by itself). Returns bytes reclaimed.
    #[doc(hidden)]
    pub fn compact_now(&self) -> Result<u64, StoreError> {
        let mut g = self.shared.inner.lock();
        let ids: Vec<u32> = g
            .segs
            .keys()
            .copied()
            .filter(|id| *id != g.active)
            .collect();
        let mut n = 0;
        for id in ids {
            n += g.compact_segment(id)?;
        }
        Ok(n)
    }

    /// Stop like a crash: no final fsync, no index file (buffered data handed to the OS only).
    /// For tests and benches.
    #[doc(hidden)]
    pub fn abandon(mut self) {
        self.stop_bg();
        let _ = self.shared.inner.lock().write_out();
    }

    fn stop_bg(&mut self) -> bool {
        let Some(h) = self.bg.take() else {
            return false;
        };
        self.shared.bg.lock().shutdown = true;
        self.shared.bg_cv.notify_all();
        let _ = h.join();
        true
    }

    fn shutdown(&mut self) -> Result<(), StoreError> {
        if !self.stop_bg() {
            return Ok(());
        }
        self.shared.flush()?;
        let mut g = self.shared.inner.lock();
        if g.poisoned.is_none() {
            crate::recovery::write_index_file(&mut g)?;
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            warn!(error = %e, "closing store failed");
        }
    }
}
