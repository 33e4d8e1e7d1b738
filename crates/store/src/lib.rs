//! jetmirror-store: the file-backed, append-only message store behind every stream.
//!
//! Parts: [`config`] (limits, sync policy), [`error`], `record` (byte format), `segment`
//! (files, mmap), `index` (in-memory index and the one place records become state),
//! `entries` (the chunked per-sequence table),
//! `recovery` (open, replay, torn tails, index file), [`store`] (write/read API, group commit,
//! background expiry and sync), `snapshot` (stream out / restore), `subject` (wildcards).
//!
//! # On-disk format (version 1)
//!
//! A store is a directory of segment files `NNNNNNNNNN.seg` (ids ascending) and, after a
//! clean close, an `index.db`. Every change is a record appended to the newest (active)
//! segment; replaying all records in order rebuilds the state. All integers little-endian.
//!
//! Segment header (48 bytes):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic `JMSG` |
//! | 4 | 1 | **format version = 1** |
//! | 5 | 3 | reserved, 0 |
//! | 8 | 8 | nonce (differs for every file written; lets `index.db` detect rewritten segments) |
//! | 16 | 8 | base first_seq (store state when the segment was created) |
//! | 24 | 8 | base last_seq |
//! | 32 | 8 | base last_ts (ns) |
//! | 40 | 4 | CRC32 of bytes 0..40 |
//! | 44 | 4 | reserved, 0 |
//!
//! Record (32-byte fixed part, then the variable parts):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | CRC32 (IEEE) of bytes 4..len, i.e. the whole record but this field |
//! | 4 | 4 | len: total record length |
//! | 8 | 1 | kind: 1 msg, 2 delete, 3 skip, 4 purge, 5 truncate, 6 erased msg |
//! | 9 | 1 | reserved, 0 |
//! | 10 | 2 | subject_len |
//! | 12 | 4 | hdr_len |
//! | 16 | 8 | seq |
//! | 24 | 8 | ts: ns since the epoch |
//! | 32 | subject_len | subject |
//! | … | hdr_len | headers (NATS header block) |
//! | … | len − 32 − subject_len − hdr_len | payload |
//!
//! Meaning of `seq`/`ts` per kind: msg/erased = the message's; delete = the deleted sequence;
//! skip = the next sequence to be used (ts = last_ts); purge = everything below `seq` is gone
//! (and last_seq = seq − 1 if that is higher); truncate = everything above `seq` is gone,
//! last_seq = seq, last_ts = ts. `erase` rewrites a message record in place as kind 6 with a
//! zeroed payload and a fresh CRC, after its delete record is durable.
//!
//! Recovery reads records until one fails. Damage followed by no valid record at all is a
//! torn tail: it is cut off the last segment. A record with a bad CRC whose length still
//! leads to a good record is dropped alone. Any other damage ends that segment's replay but
//! its bytes are kept (a damaged last segment is sealed and writing goes on in a new one).
//! Every drop is in the [`RecoveryReport`] (segment file, offset, bytes, records) and logged
//! with `warn!`. Acknowledged data is never deleted to repair a store.
//!
//! Space: the oldest segments are removed once no message in them is live (their effect on
//! first/last seq survives in the next segment's header). A sealed segment that is mostly
//! deleted is rewritten (temp file, fsync, rename; new nonce) keeping its live messages, every
//! non-message record, and for each dead message a bare kind-6 placeholder (seq and ts only),
//! so replay yields exactly the same state.
//!
//! `index.db` (optional, written on close): magic `JMIX`, version 1, first/last seq, last_ts,
//! resume position, the newest record's location and CRC, the segment ids and nonces it
//! covers, the subject table, the per-sequence entries (segment u32, offset u32, subject id
//! u32, size u32; a run of deleted sequences is one entry with segment `u32::MAX` and the run
//! length in offset/subject), CRC32 of all of it. It is used only while it describes a prefix
//! of the log (same segment files and nonces, newest covered record still in place); replay
//! continues after it. Anything else, and the segments are replayed from the start.
//!
//! In memory: 16 bytes per sequence between first_seq and last_seq, in 4096-entry chunks
//! (chunks of deleted sequences are not allocated, so a mirror's large gaps are cheap), plus
//! a subject table.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

pub mod config;
mod entries;
pub mod error;
mod index;
mod record;
mod recovery;
mod segment;
mod snapshot;
pub mod store;
mod subject;

pub use config::{Discard, StoreConfig, SyncPolicy};
pub use error::{StoreError, WriteError};
pub use store::{
    Dropped, Flusher, LostStreamData, PurgeRequest, RecoveryReport, Store, StoredMsg, StreamState,
};

/// Testing hooks (stable enough for the crate's own tests, fuzz target and benches).
#[doc(hidden)]
pub mod testing {
    /// Segment file name for an id.
    pub fn segment_file_name(id: u32) -> String {
        format!("{id:010}.seg")
    }
    /// Walk the records of a segment file's bytes; returns (seq, kind, crc-valid) triples of
    /// the records recovery would accept.
    pub fn scan_segment(bytes: &[u8]) -> Vec<(u64, u8)> {
        let mut v = Vec::new();
        if bytes.len() < crate::record::SEGMENT_HEADER_LEN {
            return v;
        }
        crate::recovery::scan(bytes, crate::record::SEGMENT_HEADER_LEN as u64, |r, _| {
            v.push((r.seq, r.kind as u8))
        });
        v
    }
    /// Size of the segment header.
    pub const SEGMENT_HEADER_LEN: usize = crate::record::SEGMENT_HEADER_LEN;
    /// Size of a record's fixed part.
    pub const RECORD_HEADER_LEN: usize = crate::record::RECORD_HEADER_LEN;
}
