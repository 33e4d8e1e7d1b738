//! Opening a store: find the segments, load the index file if it still describes them,
//! replay the records after it, cut a torn or corrupt tail (reported, never a panic), and
//! write the index file on clean close.
//!
//! The index file (`index.db`) is only an optimisation. It describes the state after a prefix
//! of the log: it is used only if the segments it covers are still the same files (ids and
//! nonces) and the newest record it covers is still where it was (offset and CRC); replay then
//! continues after that prefix. Anything else, and the segments are replayed from the start.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tracing::{info, warn};

use crate::config::StoreConfig;
use crate::error::StoreError;
use crate::index::{msg_size_raw, Entry, Index, SubjectInfo};
use crate::record::{self, Decoded, Kind, RecordRef, SegmentHeader, SEGMENT_HEADER_LEN};
use crate::segment::{self, Segment};
use crate::store::{Dropped, Inner, LostStreamData, RecoveryReport};

const INDEX_FILE: &str = "index.db";
const INDEX_MAGIC: [u8; 4] = *b"JMIX";
const INDEX_VERSION: u8 = 1;

/// Apply one replayed record to the index.
pub(crate) fn apply(idx: &mut Index, r: &RecordRef<'_>, seg: u32, off: u32) {
    match r.kind {
        Kind::Msg | Kind::Erased => {
            let subj = String::from_utf8_lossy(r.subject);
            let size = msg_size_raw(r.subject.len(), r.headers.len(), r.payload.len());
            idx.apply_msg(r.seq, r.ts, &subj, size, seg, off);
        }
        Kind::Delete => {
            idx.apply_delete(r.seq);
        }
        Kind::Skip => idx.apply_skip(r.seq, r.ts),
        Kind::Purge => {
            idx.apply_purge(r.seq);
        }
        Kind::Truncate => {
            idx.apply_truncate(r.seq, r.ts);
        }
    }
}

/// Outcome of scanning one segment's bytes.
pub(crate) struct Scan {
    /// Offset just past the last good record.
    pub good_end: u64,
    pub records: u64,
    pub dropped: Vec<(u64, u64, &'static str, Option<u64>)>,
    /// True if everything from `good_end` on is unusable.
    pub cut: bool,
    /// True if that unusable part is a torn tail (safe to cut off the file).
    pub torn: bool,
}

/// Walk the records in `data` from `start`, calling `f` for each good one. Skips a single
/// corrupt record when the next one parses (a flipped bit inside a record); otherwise stops.
pub(crate) fn scan(data: &[u8], start: u64, mut f: impl FnMut(&RecordRef<'_>, u64)) -> Scan {
    let end = data.len() as u64;
    let mut off = start;
    let mut out = Scan {
        good_end: start,
        records: 0,
        dropped: Vec::new(),
        cut: false,
        torn: false,
    };
    while off < end {
        let Some(rest) = data.get(off as usize..) else {
            break;
        };
        match record::decode(rest) {
            Decoded::Ok(r) => {
                f(&r, off);
                off += u64::from(r.len);
                out.records += 1;
                out.good_end = off;
            }
            Decoded::Incomplete => {
                out.cut = true;
                out.torn = !valid_record_after(rest);
                let reason = if out.torn {
                    "torn record at end of segment"
                } else {
                    "record length runs past the end of the segment"
                };
                out.dropped.push((off, end - off, reason, None));
                return out;
            }
            Decoded::Corrupt { reason, len } => {
                let seq = record::le_u64(rest, 16);
                if let Some(l) = len {
                    let next = off + u64::from(l);
                    let next_ok = next < end
                        && data
                            .get(next as usize..)
                            .is_some_and(|b| matches!(record::decode(b), Decoded::Ok(_)));
                    if next_ok {
                        out.dropped.push((off, u64::from(l), reason, seq));
                        off = next;
                        continue;
                    }
                }
                out.dropped.push((off, end - off, reason, seq));
                out.cut = true;
                // Torn write at the tail, or damage in the middle with possibly intact
                // records behind it that we cannot frame?
                out.torn = !valid_record_after(rest);
                return out;
            }
        }
    }
    out
}

/// Is there a whole, CRC-valid record anywhere after the first byte of `rest` (within 16 MiB)?
/// If not, the damage at the start of `rest` is a torn tail and may be cut off; if so, it is
/// damage in the middle (e.g. a flipped bit in a length field) and the bytes are kept.
fn valid_record_after(rest: &[u8]) -> bool {
    let window = rest.len().min(16 << 20);
    (1..window).any(|p| {
        rest.get(p..)
            .is_some_and(|b| matches!(record::decode(b), Decoded::Ok(_)))
    })
}

fn list_segments(dir: &Path) -> Result<Vec<u32>, StoreError> {
    let mut ids = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| StoreError::io("list store directory", dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| StoreError::io("list store directory", dir, e))?;
        if let Some(id) = ent
            .file_name()
            .to_str()
            .and_then(segment::parse_segment_name)
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

struct LoadedIndex {
    idx: Index,
    resume_seg: u32,
    resume_off: u64,
    nonces: BTreeMap<u32, u64>,
    last_record: Option<(u32, u64, u32)>,
}

pub(crate) fn open_inner(
    dir: &Path,
    cfg: StoreConfig,
) -> Result<(Inner, RecoveryReport), StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create store directory", dir, e))?;
    let mut report = RecoveryReport::default();
    let ids = list_segments(dir)?;
    let index_path = dir.join(INDEX_FILE);
    let loaded = if ids.is_empty() {
        None
    } else {
        load_index_file(&index_path)
    };
    // The index file is left in place: a copy made stale by later writes still describes a
    // true prefix of the log (checked below), and replay continues after it.

    let mut segs: BTreeMap<u32, Segment> = BTreeMap::new();
    let mut headers: BTreeMap<u32, SegmentHeader> = BTreeMap::new();
    for &id in &ids {
        let path = segment::segment_path(dir, id);
        let file = File::options()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io("open segment", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StoreError::io("stat segment", &path, e))?
            .len();
        let mut hb = [0u8; SEGMENT_HEADER_LEN];
        let hdr = if len >= SEGMENT_HEADER_LEN as u64 {
            use std::os::unix::fs::FileExt;
            file.read_exact_at(&mut hb, 0)
                .map_err(|e| StoreError::io("read segment header", &path, e))?;
            SegmentHeader::decode(&hb)
        } else {
            Err("short segment header")
        };
        match hdr {
            Ok(h) => {
                headers.insert(id, h);
                segs.insert(
                    id,
                    Segment {
                        id,
                        path,
                        nonce: h.nonce,
                        file: Arc::new(file),
                        map: None,
                        active_map: None,
                        len,
                    },
                );
            }
            Err(reason) => {
                // Keep the bytes for an operator; never delete data we cannot read.
                let bad = path.with_extension(format!("seg.corrupt-{}", segment::new_nonce()));
                warn!(segment = %path.display(), offset = 0u64, reason, "segment header unreadable; set aside");
                std::fs::rename(&path, &bad)
                    .map_err(|e| StoreError::io("set aside corrupt segment", &path, e))?;
                report.dropped.push(Dropped {
                    segment: path,
                    offset: 0,
                    bytes: len,
                    records: 0,
                    reason: reason.to_string(),
                });
            }
        }
    }

    // Use the index file only if it describes exactly these segments.
    let loaded = loaded.filter(|l| index_matches(l, &segs, &headers));
    let (mut idx, start_seg, start_off, mut last_record) = match loaded {
        Some(l) => {
            report.used_index_file = true;
            (l.idx, l.resume_seg, l.resume_off, l.last_record)
        }
        None => {
            let base = headers.values().next().copied();
            let idx = base.map_or_else(
                || Index::new(0, 0),
                |h| Index::new(h.base_last_seq, h.base_last_ts),
            );
            let first = segs.keys().next().copied().unwrap_or(1);
            (idx, first, SEGMENT_HEADER_LEN as u64, None)
        }
    };

    let last_id = segs.keys().next_back().copied();
    let mut roll_after_damage = false;
    let mut lost = LostStreamData::default();
    for (&id, seg) in segs.iter_mut() {
        if id < start_seg {
            seg.map = segment::map_file(&seg.file, &seg.path)?;
            continue;
        }
        let from = if id == start_seg {
            start_off
        } else {
            SEGMENT_HEADER_LEN as u64
        };
        let map = segment::map_file(&seg.file, &seg.path)?;
        let data: &[u8] = map.as_deref().unwrap_or(&[]);
        let sc = scan(data, from, |r, off| {
            if let Ok(off32) = u32::try_from(off) {
                apply(&mut idx, r, id, off32);
                last_record = Some((id, off, r.crc));
            }
        });
        report.records_replayed += sc.records;
        for (off, bytes, reason, seq) in &sc.dropped {
            warn!(segment = %seg.path.display(), offset = off, bytes, reason, "cut torn tail / dropped corrupt record");
            lost.bytes += bytes;
            lost.msgs.extend(seq.iter().copied());
            report.dropped.push(Dropped {
                segment: seg.path.clone(),
                offset: *off,
                bytes: *bytes,
                records: 1,
                reason: (*reason).to_string(),
            });
        }
        drop(map);
        if sc.cut && !sc.torn && Some(id) == last_id {
            // Damage in the middle: keep the bytes for an operator, write on in a new segment.
            roll_after_damage = true;
        }
        if sc.cut && sc.torn && Some(id) == last_id {
            seg.file
                .set_len(sc.good_end)
                .map_err(|e| StoreError::io("cut torn tail", &seg.path, e))?;
            seg.file
                .sync_all()
                .map_err(|e| StoreError::io("fsync after cut", &seg.path, e))?;
            seg.len = sc.good_end;
        }
        if Some(id) != last_id {
            seg.map = segment::map_file(&seg.file, &seg.path)?;
        }
    }
    report.segments = segs.len();

    let mut dir_dirty = false;
    let active = match last_id {
        Some(id) if !roll_after_damage => id,
        _ => {
            let id = ids.last().map_or(1, |l| l + 1);
            if let Some(prev) = last_id.and_then(|l| segs.get_mut(&l)) {
                if prev.map.is_none() {
                    prev.map = segment::map_file(&prev.file, &prev.path)?;
                }
            }
            let seg = segment::create(dir, id, idx.first_seq, idx.last_seq, idx.last_ts)?;
            seg.file
                .sync_all()
                .map_err(|e| StoreError::io("fsync segment", &seg.path, e))?;
            segs.insert(id, seg);
            dir_dirty = true;
            id
        }
    };
    let flushed = segs
        .get(&active)
        .map_or(SEGMENT_HEADER_LEN as u64, |s| s.len);
    if !report.dropped.is_empty() {
        info!(
            dropped = report.dropped_records(),
            "store opened with data dropped"
        );
    }
    let inner = Inner {
        dir: dir.to_path_buf(),
        cfg,
        idx,
        segs,
        active,
        buf: Vec::with_capacity(1 << 20),
        flushed,
        written: 0,
        to_sync: Vec::new(),
        dir_dirty,
        scratch: Vec::new(),
        lost: if report.dropped.is_empty() {
            None
        } else {
            Some(lost)
        },
        last_record,
        poisoned: None,
        first_ts_cache: None,
    };
    Ok((inner, report))
}

fn index_matches(
    l: &LoadedIndex,
    segs: &BTreeMap<u32, Segment>,
    headers: &BTreeMap<u32, SegmentHeader>,
) -> bool {
    // Every segment up to the resume point must be the one the index saw.
    let on_disk: Vec<(u32, u64)> = headers
        .iter()
        .filter(|(id, _)| **id <= l.resume_seg)
        .map(|(id, h)| (*id, h.nonce))
        .collect();
    let in_index: Vec<(u32, u64)> = l.nonces.iter().map(|(a, b)| (*a, *b)).collect();
    if on_disk != in_index {
        return false;
    }
    if segs.get(&l.resume_seg).is_none_or(|s| s.len < l.resume_off) {
        return false;
    }
    if let Some((seg, off, crc)) = l.last_record {
        use std::os::unix::fs::FileExt;
        let Some(s) = segs.get(&seg) else {
            return false;
        };
        let mut b = [0u8; 8];
        if s.file.read_exact_at(&mut b, off).is_err() || record::le_u32(&b, 0) != Some(crc) {
            return false;
        }
    }
    true
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}
impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn load_index_file(path: &Path) -> Option<LoadedIndex> {
    // Mapped, not read: no copy, and no anonymous buffer to zero and free (most of open time
    // for 10M messages otherwise).
    let file = File::open(path).ok()?;
    let map = segment::map_file(&file, path).ok()??;
    let data: &[u8] = &map;
    let body_len = data.len().checked_sub(4)?;
    let crc = record::le_u32(data, body_len)?;
    let body = data.get(..body_len)?;
    if crc32fast::hash(body) != crc {
        warn!(path = %path.display(), "index file checksum mismatch; rebuilding from segments");
        return None;
    }
    let mut r = Reader { b: body, at: 0 };
    if r.take(4)? != INDEX_MAGIC || r.take(4)?.first() != Some(&INDEX_VERSION) {
        return None;
    }
    let first_seq = r.u64()?;
    let last_seq = r.u64()?;
    let last_ts = r.u64()? as i64;
    let resume_seg = r.u32()?;
    let resume_off = r.u64()?;
    let has_last = r.u32()?;
    let (ls, lo, lc) = (r.u32()?, r.u64()?, r.u32()?);
    let last_record = (has_last == 1).then_some((ls, lo, lc));
    let nsegs = r.u32()?;
    let mut nonces = BTreeMap::new();
    for _ in 0..nsegs {
        let id = r.u32()?;
        nonces.insert(id, r.u64()?);
    }
    let nsubj = r.u32()?;
    let mut subjects = Vec::with_capacity((nsubj as usize).min(1 << 20));
    for _ in 0..nsubj {
        let n = r.u16()? as usize;
        let name = std::str::from_utf8(r.take(n)?).ok()?;
        subjects.push(SubjectInfo {
            name: name.into(),
            count: 0,
            first_hint: 0,
            last: 0,
        });
    }
    let n = usize::try_from(r.u64()?).ok()?;
    let raw = r.take(n.checked_mul(16)?)?;
    let mut idx = Index::new(last_seq, last_ts);
    idx.first_seq = first_seq;
    let span = last_seq.checked_add(1)?.checked_sub(first_seq)?;
    let nsubjects = subjects.len();
    let mut batch: Vec<Entry> = Vec::with_capacity(4096);
    for c in raw.chunks_exact(16) {
        let c: &[u8; 16] = c.try_into().ok()?;
        let e = Entry {
            seg: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            off: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            subj: u32::from_le_bytes([c[8], c[9], c[10], c[11]]),
            size: u32::from_le_bytes([c[12], c[13], c[14], c[15]]),
        };
        if e.live() {
            if (e.subj as usize) >= nsubjects {
                return None;
            }
            batch.push(e);
            if batch.len() == batch.capacity() {
                idx.entries.extend_from_slice(&batch);
                batch.clear();
            }
        } else {
            idx.entries.extend_from_slice(&batch);
            batch.clear();
            // A run of deleted sequences: length in (off, subj).
            let run = u64::from(e.off) | (u64::from(e.subj) << 32);
            if run == 0 || (idx.entries.len() as u64).checked_add(run)? > span {
                return None;
            }
            idx.entries.push_gaps(usize::try_from(run).ok()?);
        }
    }
    idx.entries.extend_from_slice(&batch);
    if idx.entries.len() as u64 > span {
        return None;
    }
    idx.subjects = subjects;
    idx.rebuild_counts();
    if idx.msgs == 0 {
        idx.entries.clear();
    } else if idx.entries.front().is_none_or(|e| !e.live())
        || idx.first_seq + idx.entries.len() as u64 - 1 != idx.last_seq
    {
        return None;
    }
    Some(LoadedIndex {
        idx,
        resume_seg,
        resume_off,
        nonces,
        last_record,
    })
}

/// Write `index.db` describing everything written so far. Call after a full sync.
pub(crate) fn write_index_file(g: &mut Inner) -> Result<(), StoreError> {
    g.write_out()?;
    let idx = &g.idx;
    let runs = idx.entries.runs();
    let mut b: Vec<u8> = Vec::with_capacity(64 + runs.len() * 16);
    b.extend_from_slice(&INDEX_MAGIC);
    b.extend_from_slice(&[INDEX_VERSION, 0, 0, 0]);
    b.extend_from_slice(&idx.first_seq.to_le_bytes());
    b.extend_from_slice(&idx.last_seq.to_le_bytes());
    b.extend_from_slice(&idx.last_ts.to_le_bytes());
    let resume_off = g
        .segs
        .get(&g.active)
        .map_or(SEGMENT_HEADER_LEN as u64, |s| s.len);
    b.extend_from_slice(&g.active.to_le_bytes());
    b.extend_from_slice(&resume_off.to_le_bytes());
    let (has, (ls, lo, lc)) = match g.last_record {
        Some(l) => (1u32, l),
        None => (0u32, (0, 0, 0)),
    };
    b.extend_from_slice(&has.to_le_bytes());
    b.extend_from_slice(&ls.to_le_bytes());
    b.extend_from_slice(&lo.to_le_bytes());
    b.extend_from_slice(&lc.to_le_bytes());
    b.extend_from_slice(&(g.segs.len() as u32).to_le_bytes());
    for (id, s) in &g.segs {
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&s.nonce.to_le_bytes());
    }
    b.extend_from_slice(&(idx.subjects.len() as u32).to_le_bytes());
    for s in &idx.subjects {
        let name = if s.count > 0 { s.name.as_bytes() } else { b"" };
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(name);
    }
    b.extend_from_slice(&(runs.len() as u64).to_le_bytes());
    for (_, e, n) in runs {
        let e = e.unwrap_or(Entry {
            seg: crate::index::DELETED,
            off: n as u32,
            subj: ((n as u64) >> 32) as u32,
            size: 0,
        });
        b.extend_from_slice(&e.seg.to_le_bytes());
        b.extend_from_slice(&e.off.to_le_bytes());
        b.extend_from_slice(&e.subj.to_le_bytes());
        b.extend_from_slice(&e.size.to_le_bytes());
    }
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    let tmp = g.dir.join("index.db.tmp");
    let path = g.dir.join(INDEX_FILE);
    let mut f = File::create(&tmp).map_err(|e| StoreError::io("create index file", &tmp, e))?;
    f.write_all(&b)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io("write index file", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| StoreError::io("rename index file", &path, e))?;
    File::open(&g.dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync directory", &g.dir, e))?;
    Ok(())
}
