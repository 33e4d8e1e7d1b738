//! Snapshot stream: the whole store as one byte stream, to rebuild it elsewhere (a Raft
//! follower that fell behind, a new node).
//!
//! | field | bytes |
//! | --- | --- |
//! | magic `JMSNAP` + version `1` + reserved | 8 |
//! | first_seq, last_seq, last_ts, message count | 4 × 8 (LE) |
//! | one record per live message, in sequence order (record format of the crate doc) | … |
//! | CRC32 of everything above | 4 |

use std::io::{Read, Write};

use crate::error::StoreError;
use crate::index::MAX_SEQ;
use crate::record::{self, Decoded, Kind, RECORD_HEADER_LEN};
use crate::store::Inner;

const MAGIC: [u8; 8] = *b"JMSNAP\x01\x00";

struct CrcWriter<'a, W: Write> {
    out: &'a mut W,
    crc: crc32fast::Hasher,
}
impl<W: Write> CrcWriter<'_, W> {
    fn put(&mut self, b: &[u8]) -> Result<(), StoreError> {
        self.crc.update(b);
        self.out
            .write_all(b)
            .map_err(|e| StoreError::Snapshot(format!("write: {e}")))
    }
}

pub(crate) fn write(g: &mut Inner, out: &mut impl Write) -> Result<(), StoreError> {
    let mut w = CrcWriter {
        out,
        crc: crc32fast::Hasher::new(),
    };
    w.put(&MAGIC)?;
    let (first, last, last_ts, msgs) = (g.idx.first_seq, g.idx.last_seq, g.idx.last_ts, g.idx.msgs);
    for v in [first, last, last_ts as u64, msgs] {
        w.put(&v.to_le_bytes())?;
    }
    let live: Vec<(u64, u32, u32)> = g
        .idx
        .entries
        .live_from(0)
        .map(|(i, e)| (first + i as u64, e.seg, e.off))
        .collect();
    let mut buf = Vec::new();
    for (seq, seg, off) in live {
        let r = g.read_record(seg, off)?;
        if r.seq != seq {
            return Err(StoreError::Snapshot(format!(
                "index and segment disagree at seq {seq}"
            )));
        }
        buf.clear();
        record::encode(
            &mut buf,
            Kind::Msg,
            r.seq,
            r.ts,
            r.subject,
            r.headers,
            r.payload,
        );
        w.put(&buf)?;
    }
    let crc = w.crc.clone().finalize();
    w.out
        .write_all(&crc.to_le_bytes())
        .map_err(|e| StoreError::Snapshot(format!("write: {e}")))
}

fn read_exact(
    input: &mut impl Read,
    crc: &mut crc32fast::Hasher,
    buf: &mut [u8],
) -> Result<(), StoreError> {
    input
        .read_exact(buf)
        .map_err(|e| StoreError::Snapshot(format!("read: {e}")))?;
    crc.update(buf);
    Ok(())
}

pub(crate) fn read(g: &mut Inner, input: &mut impl Read) -> Result<(), StoreError> {
    let bad = |m: &str| StoreError::Snapshot(m.to_string());
    let mut crc = crc32fast::Hasher::new();
    let mut head = [0u8; 40];
    read_exact(input, &mut crc, &mut head)?;
    if head.get(..8) != Some(&MAGIC[..]) {
        return Err(bad("not a jetmirror snapshot (magic/version)"));
    }
    let f = |i: usize| record::le_u64(&head, 8 + 8 * i).unwrap_or(0);
    let (first, last, last_ts, msgs) = (f(0), f(1), f(2) as i64, f(3));
    if last > MAX_SEQ || first > last.saturating_add(1) {
        return Err(bad("impossible sequence range"));
    }
    let mut rec = Vec::new();
    for _ in 0..msgs {
        rec.resize(8, 0);
        read_exact(input, &mut crc, &mut rec)?;
        let len = record::le_u32(&rec, 4).unwrap_or(0) as usize;
        if len < RECORD_HEADER_LEN || len as u64 > record::MAX_RECORD_LEN {
            return Err(bad("impossible record length"));
        }
        rec.resize(len, 0);
        read_exact(input, &mut crc, rec.get_mut(8..).unwrap_or_default())?;
        let Decoded::Ok(r) = record::decode(&rec) else {
            return Err(bad("record checksum mismatch"));
        };
        if r.kind != Kind::Msg || r.seq < first || r.seq > last {
            return Err(bad("record out of range"));
        }
        let subj = String::from_utf8_lossy(r.subject).into_owned();
        let (seq, ts, hdr, payload) = (r.seq, r.ts, r.headers.to_vec(), r.payload.to_vec());
        if g.idx.msgs == 0 && seq > first {
            // Leading sequences that were deleted: first_seq is still `first`.
            g.append_record(Kind::Skip, first, 0, b"", b"", b"")?;
            g.idx.apply_skip(first, 0);
        }
        g.write_msg(Some(seq), ts, &subj, &hdr, &payload, false)
            .map_err(|e| StoreError::Snapshot(format!("store seq {seq}: {e}")))?;
    }
    let expect = crc.finalize();
    let mut tail = [0u8; 4];
    input
        .read_exact(&mut tail)
        .map_err(|e| StoreError::Snapshot(format!("read: {e}")))?;
    if u32::from_le_bytes(tail) != expect {
        return Err(bad("snapshot checksum mismatch"));
    }
    if last + 1 > g.idx.last_seq + 1 {
        g.append_record(Kind::Skip, last + 1, last_ts, b"", b"", b"")?;
        g.idx.apply_skip(last + 1, last_ts);
    }
    if g.idx.msgs == 0 && first > g.idx.first_seq {
        g.append_record(Kind::Purge, first, 0, b"", b"", b"")?;
        g.idx.apply_purge(first);
    }
    Ok(())
}
