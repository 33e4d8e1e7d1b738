//! Record and segment-header encoding: the bytes of the on-disk format (see the crate doc).
//!
//! Everything here is pure: encode into a `Vec<u8>`, decode from a byte slice. Decoding never
//! panics and tells "need more bytes" (a torn tail) from "bad bytes" (a failed CRC or an
//! impossible length).

/// Segment file magic.
pub(crate) const SEGMENT_MAGIC: [u8; 4] = *b"JMSG";
/// On-disk format version written in every segment header.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// Size of the segment header in bytes.
pub(crate) const SEGMENT_HEADER_LEN: usize = 48;
/// Size of the fixed part of a record in bytes.
pub(crate) const RECORD_HEADER_LEN: usize = 32;
/// Largest record we accept when decoding (guards allocations on corrupt lengths).
pub(crate) const MAX_RECORD_LEN: u64 = 1 << 31;

/// Record kinds (byte 8 of a record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    /// A stored message.
    Msg = 1,
    /// A delete tombstone for `seq`.
    Delete = 2,
    /// Skip: the next sequence becomes `seq`; `ts` becomes last_ts.
    Skip = 3,
    /// Purge: every message below `seq` is gone; if `seq > last_seq + 1`, last_seq = seq - 1.
    Purge = 4,
    /// Truncate: every message above `seq` is gone; last_seq = seq, last_ts = ts.
    Truncate = 5,
    /// A message whose payload was erased in place (a tombstone for it follows).
    Erased = 6,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Msg,
            2 => Kind::Delete,
            3 => Kind::Skip,
            4 => Kind::Purge,
            5 => Kind::Truncate,
            6 => Kind::Erased,
            _ => return None,
        })
    }
}

/// Segment header: written once when a segment is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    /// Random value that changes whenever a segment file is (re)written, so an index file can
    /// tell a rewritten segment from the one it described.
    pub nonce: u64,
    /// Store state when the segment was created; used when older segments were removed.
    pub base_first_seq: u64,
    pub base_last_seq: u64,
    pub base_last_ts: i64,
}

impl SegmentHeader {
    pub(crate) fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut b = [0u8; SEGMENT_HEADER_LEN];
        let mut v = Vec::with_capacity(SEGMENT_HEADER_LEN);
        v.extend_from_slice(&SEGMENT_MAGIC);
        v.push(FORMAT_VERSION);
        v.extend_from_slice(&[0u8; 3]);
        v.extend_from_slice(&self.nonce.to_le_bytes());
        v.extend_from_slice(&self.base_first_seq.to_le_bytes());
        v.extend_from_slice(&self.base_last_seq.to_le_bytes());
        v.extend_from_slice(&self.base_last_ts.to_le_bytes());
        let crc = crc32fast::hash(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        v.extend_from_slice(&[0u8; 4]);
        b.copy_from_slice(&v);
        b
    }

    /// Decode a header; `Err` carries a reason.
    pub(crate) fn decode(b: &[u8]) -> Result<SegmentHeader, &'static str> {
        if b.len() < SEGMENT_HEADER_LEN {
            return Err("short segment header");
        }
        if b.get(0..4) != Some(&SEGMENT_MAGIC[..]) {
            return Err("bad segment magic");
        }
        if b.get(4) != Some(&FORMAT_VERSION) {
            return Err("unsupported segment format version");
        }
        let crc = le_u32(b, 40).ok_or("short segment header")?;
        let body = b.get(0..40).ok_or("short segment header")?;
        if crc32fast::hash(body) != crc {
            return Err("segment header checksum mismatch");
        }
        Ok(SegmentHeader {
            nonce: le_u64(b, 8).ok_or("short")?,
            base_first_seq: le_u64(b, 16).ok_or("short")?,
            base_last_seq: le_u64(b, 24).ok_or("short")?,
            base_last_ts: le_u64(b, 32).ok_or("short")? as i64,
        })
    }
}

/// A decoded record borrowing its variable parts from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRef<'a> {
    pub kind: Kind,
    pub seq: u64,
    pub ts: i64,
    pub subject: &'a [u8],
    pub headers: &'a [u8],
    pub payload: &'a [u8],
    /// Total encoded length.
    pub len: u32,
    pub crc: u32,
}

/// Outcome of decoding at an offset.
#[derive(Debug)]
pub(crate) enum Decoded<'a> {
    Ok(RecordRef<'a>),
    /// Not enough bytes for a whole record (torn tail or end of data).
    Incomplete,
    /// The bytes are not a valid record; `len` is the length field if it looked plausible.
    Corrupt {
        reason: &'static str,
        len: Option<u32>,
    },
}

pub(crate) fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub(crate) fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
pub(crate) fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Encoded length of a record with these variable parts.
pub(crate) fn record_len(subject_len: usize, headers_len: usize, payload_len: usize) -> u64 {
    (RECORD_HEADER_LEN + subject_len + headers_len + payload_len) as u64
}

/// Append one record to `out`. The caller checks lengths (subject < 64 KiB, total < 2 GiB).
pub(crate) fn encode(
    out: &mut Vec<u8>,
    kind: Kind,
    seq: u64,
    ts: i64,
    subject: &[u8],
    headers: &[u8],
    payload: &[u8],
) {
    let len = record_len(subject.len(), headers.len(), payload.len()) as u32;
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(kind as u8);
    out.push(0);
    out.extend_from_slice(&(subject.len() as u16).to_le_bytes());
    out.extend_from_slice(&(headers.len() as u32).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(subject);
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    let crc = match out.get(start + 4..) {
        Some(body) => crc32fast::hash(body),
        None => 0,
    };
    if let Some(slot) = out.get_mut(start..start + 4) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
}

/// Decode the record at the start of `b`.
pub(crate) fn decode(b: &[u8]) -> Decoded<'_> {
    let (Some(crc), Some(len)) = (le_u32(b, 0), le_u32(b, 4)) else {
        return Decoded::Incomplete;
    };
    if (len as usize) < RECORD_HEADER_LEN || u64::from(len) > MAX_RECORD_LEN {
        return Decoded::Corrupt {
            reason: "impossible record length",
            len: None,
        };
    }
    let Some(rec) = b.get(..len as usize) else {
        return Decoded::Incomplete;
    };
    // Cheap plausibility before the CRC: resyncing after damage probes many offsets, and a
    // random "length" must not cost a CRC over megabytes each time.
    let plausible = rec.get(8).and_then(|k| Kind::from_u8(*k)).is_some()
        && rec.get(9) == Some(&0)
        && match (le_u16(rec, 10), le_u32(rec, 12)) {
            (Some(s), Some(h)) => {
                RECORD_HEADER_LEN as u64 + u64::from(s) + u64::from(h) <= u64::from(len)
            }
            _ => false,
        };
    if !plausible {
        return Decoded::Corrupt {
            reason: "record header fields inconsistent",
            len: Some(len),
        };
    }
    let body = rec.get(4..).unwrap_or_default();
    if crc32fast::hash(body) != crc {
        return Decoded::Corrupt {
            reason: "record checksum mismatch",
            len: Some(len),
        };
    }
    let parsed = (|| {
        let kind = Kind::from_u8(*rec.get(8)?)?;
        let slen = le_u16(rec, 10)? as usize;
        let hlen = le_u32(rec, 12)? as usize;
        let seq = le_u64(rec, 16)?;
        let ts = le_u64(rec, 24)? as i64;
        let s_end = RECORD_HEADER_LEN.checked_add(slen)?;
        let h_end = s_end.checked_add(hlen)?;
        Some(RecordRef {
            kind,
            seq,
            ts,
            subject: rec.get(RECORD_HEADER_LEN..s_end)?,
            headers: rec.get(s_end..h_end)?,
            payload: rec.get(h_end..)?,
            len,
            crc,
        })
    })();
    match parsed {
        Some(r) => Decoded::Ok(r),
        None => Decoded::Corrupt {
            reason: "record fields inconsistent",
            len: Some(len),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_truncation_is_incomplete() {
        let mut v = Vec::new();
        encode(
            &mut v,
            Kind::Msg,
            7,
            -3,
            b"a.b",
            b"NATS/1.0\r\n\r\n",
            b"hello",
        );
        let Decoded::Ok(r) = decode(&v) else {
            panic!("decode")
        };
        assert_eq!((r.kind, r.seq, r.ts), (Kind::Msg, 7, -3));
        assert_eq!(
            (r.subject, r.headers, r.payload),
            (&b"a.b"[..], &b"NATS/1.0\r\n\r\n"[..], &b"hello"[..])
        );
        assert_eq!(r.len as usize, v.len());
        for cut in 0..v.len() {
            assert!(
                matches!(decode(&v[..cut]), Decoded::Incomplete),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn any_bit_flip_is_detected() {
        let mut v = Vec::new();
        encode(&mut v, Kind::Msg, 1, 2, b"x", b"", b"payload");
        for bit in 0..v.len() * 8 {
            let mut w = v.clone();
            w[bit / 8] ^= 1 << (bit % 8);
            assert!(!matches!(decode(&w), Decoded::Ok(_)), "bit {bit}");
        }
    }

    #[test]
    fn header_round_trip() {
        let h = SegmentHeader {
            nonce: 9,
            base_first_seq: 3,
            base_last_seq: 2,
            base_last_ts: -1,
        };
        assert_eq!(SegmentHeader::decode(&h.encode()), Ok(h));
        let mut b = h.encode();
        b[20] ^= 1;
        assert!(SegmentHeader::decode(&b).is_err());
    }
}
