//! Segment files: naming, creation, and reading one record by location.
//!
//! A sealed segment is read through a read-only mmap of its whole file. The active one is
//! read from the in-memory write buffer for the part not yet handed to the OS, and through
//! a read-only mmap reserved at the segment size (mapped on the first read, so after any
//! cut at open) for the part that was: pages are only ever touched below `flushed`, which
//! the file always covers, so the reservation past the file's end is never read (no
//! SIGBUS), and the active file is never truncated while mapped. A record the reservation
//! does not cover (one larger than the segment size) is read with `pread`.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use crate::error::StoreError;
use crate::record::{self, SegmentHeader, SEGMENT_HEADER_LEN};

/// One segment file.
pub(crate) struct Segment {
    #[allow(dead_code)]
    pub id: u32,
    pub path: PathBuf,
    pub nonce: u64,
    pub file: Arc<File>,
    /// Set once the segment is sealed.
    pub map: Option<Mmap>,
    /// The active segment's reservation mapping (see the module doc); `None` until the
    /// first read, and always `None` once sealed.
    pub active_map: Option<Mmap>,
    /// Logical length: for the active segment, includes bytes still in the write buffer.
    pub len: u64,
}

pub(crate) fn segment_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{id:010}.seg"))
}

/// Parse a segment file name into its id.
pub(crate) fn parse_segment_name(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".seg")?;
    if stem.len() != 10 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// A nonce that differs between segment files written at different times or by different
/// processes (no RNG dependency needed: it only has to differ, not be unpredictable).
pub(crate) fn new_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let c = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut x = t ^ (u64::from(std::process::id()) << 32) ^ c.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

/// Create a new, empty segment with its header written (not yet fsynced).
pub(crate) fn create(
    dir: &Path,
    id: u32,
    base_first_seq: u64,
    base_last_seq: u64,
    base_last_ts: i64,
) -> Result<Segment, StoreError> {
    let path = segment_path(dir, id);
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| StoreError::io("create segment", &path, e))?;
    let nonce = new_nonce();
    let header = SegmentHeader {
        nonce,
        base_first_seq,
        base_last_seq,
        base_last_ts,
    };
    file.write_all_at(&header.encode(), 0)
        .map_err(|e| StoreError::io("write segment header", &path, e))?;
    Ok(Segment {
        id,
        path,
        nonce,
        file: Arc::new(file),
        map: None,
        active_map: None,
        len: SEGMENT_HEADER_LEN as u64,
    })
}

/// Map a file read-only. Empty files cannot be mapped, so they give `None`.
pub(crate) fn map_file(file: &File, path: &Path) -> Result<Option<Mmap>, StoreError> {
    let len = file
        .metadata()
        .map_err(|e| StoreError::io("stat segment", path, e))?
        .len();
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: the store owns its directory; segment files are only ever appended to, cut at
    // open (before mapping), or rewritten in place record-for-record by erase, never truncated
    // while mapped. Another process truncating them is outside the contract.
    let map = unsafe { Mmap::map(file) }.map_err(|e| StoreError::io("mmap segment", path, e))?;
    Ok(Some(map))
}

/// Map `len` bytes of the active segment's file read-only, past its current end.
pub(crate) fn map_reserved(file: &File, path: &Path, len: u64) -> Result<Mmap, StoreError> {
    let len = usize::try_from(len).map_err(|_| StoreError::Invalid("segment too large".into()))?;
    // SAFETY: as for `map_file`. Pages beyond the file's end are never read: the store reads
    // the active segment through this mapping only below `flushed`, and the file is written
    // up to `flushed` before `flushed` moves; the active file is never truncated while
    // mapped (the only cut happens at open, before the first read).
    let map = unsafe { memmap2::MmapOptions::new().len(len).map(file) }
        .map_err(|e| StoreError::io("mmap active segment", path, e))?;
    Ok(map)
}

impl Segment {
    /// Bytes of the record at `off`, from a mapping or with `pread` into `scratch`.
    /// `tail` is the unflushed write buffer of the active segment, which starts at `flushed`.
    pub(crate) fn record_bytes<'a>(
        &'a self,
        off: u64,
        flushed: u64,
        tail: &'a [u8],
        scratch: &'a mut Vec<u8>,
    ) -> Result<&'a [u8], StoreError> {
        let corrupt = |reason: &str| StoreError::Corrupt {
            path: self.path.clone(),
            offset: off,
            reason: reason.to_string(),
        };
        if let Some(map) = &self.map {
            let start = usize::try_from(off).map_err(|_| corrupt("offset out of range"))?;
            return map
                .get(start..)
                .ok_or_else(|| corrupt("offset beyond end of segment"));
        }
        if off >= flushed {
            let start =
                usize::try_from(off - flushed).map_err(|_| corrupt("offset out of range"))?;
            return tail
                .get(start..)
                .ok_or_else(|| corrupt("offset beyond end of segment"));
        }
        if let Some(map) = &self.active_map {
            let start = usize::try_from(off).map_err(|_| corrupt("offset out of range"))?;
            if let Some(head) = start.checked_add(8).and_then(|end| map.get(start..end)) {
                let len = record::le_u32(head, 4).ok_or_else(|| corrupt("short record"))?;
                if u64::from(len) > record::MAX_RECORD_LEN || off + u64::from(len) > flushed {
                    return Err(corrupt("record length beyond end of segment"));
                }
                if let Some(bytes) = start
                    .checked_add(len as usize)
                    .and_then(|end| map.get(start..end))
                {
                    return Ok(bytes);
                }
            }
        }
        let mut head = [0u8; 8];
        self.file
            .read_exact_at(&mut head, off)
            .map_err(|e| StoreError::io("read record", &self.path, e))?;
        let len = record::le_u32(&head, 4).ok_or_else(|| corrupt("short record"))?;
        if u64::from(len) > record::MAX_RECORD_LEN || off + u64::from(len) > flushed {
            return Err(corrupt("record length beyond end of segment"));
        }
        scratch.resize(len as usize, 0);
        self.file
            .read_exact_at(scratch, off)
            .map_err(|e| StoreError::io("read record", &self.path, e))?;
        Ok(scratch)
    }
}
