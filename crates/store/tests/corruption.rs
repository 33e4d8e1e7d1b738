//! Corruption tests: torn tails at every offset of the last record, random bit flips,
//! appended garbage, damaged headers. The store must open, keep every intact record before
//! the damage, and report what it dropped.

use std::path::{Path, PathBuf};

use jetmirror_store::{Store, StoreConfig, SyncPolicy};

fn cfg() -> StoreConfig {
    StoreConfig {
        segment_size: 4096,
        sync: SyncPolicy::Never,
        ..StoreConfig::default()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    (0..(seq as usize * 13) % 97 + 3)
        .map(|i| (i as u64 ^ seq) as u8)
        .collect()
}

fn build(dir: &Path, n: u64) {
    let (s, _) = Store::open(dir, cfg()).expect("open");
    for seq in 1..=n {
        s.append(&format!("sub.{}", seq % 3), b"", &payload(seq), seq as i64)
            .expect("append");
    }
    s.close().expect("close");
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

/// (offset, len, seq) of every record in a segment file.
fn records(bytes: &[u8]) -> Vec<(usize, usize, u64)> {
    let mut v = Vec::new();
    let mut off = jetmirror_store::testing::SEGMENT_HEADER_LEN;
    while off + 32 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().expect("4")) as usize;
        let seq = u64::from_le_bytes(bytes[off + 16..off + 24].try_into().expect("8"));
        v.push((off, len, seq));
        off += len;
    }
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("ls") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn assert_msg(s: &Store, seq: u64) {
    let m = s
        .get(seq)
        .expect("get")
        .unwrap_or_else(|| panic!("seq {seq} missing"));
    assert_eq!(m.subject, format!("sub.{}", seq % 3));
    assert_eq!(&m.payload[..], &payload(seq)[..], "seq {seq}");
}

#[test]
fn torn_tail_at_every_offset_of_the_last_record() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = tmp.path().join("base");
    build(&base, 30);
    let segs = segments(&base);
    let last = segs.last().expect("a segment").clone();
    let bytes = std::fs::read(&last).expect("read");
    let recs = records(&bytes);
    let &(start, len, seq) = recs.last().expect("records");
    assert_eq!(start + len, bytes.len());
    assert_eq!(seq, 30);
    for cut in start..start + len {
        let d = tmp.path().join(format!("cut{cut}"));
        copy_dir(&base, &d);
        if cut % 2 == 0 {
            let _ = std::fs::remove_file(d.join("index.db"));
        }
        let seg = d.join(last.file_name().expect("name"));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .expect("open")
            .set_len(cut as u64)
            .expect("truncate");
        let (s, report) = Store::open(&d, cfg()).expect("open after cut");
        let st = s.state(false);
        assert_eq!((st.messages, st.last_seq), (29, 29), "cut at {cut}");
        for q in 1..=29 {
            assert_msg(&s, q);
        }
        if cut == start {
            assert!(
                report.dropped.is_empty(),
                "clean cut at a record boundary: {:?}",
                report.dropped
            );
        } else {
            assert_eq!(
                report.dropped.len(),
                1,
                "cut at {cut}: {:?}",
                report.dropped
            );
            let dr = &report.dropped[0];
            assert_eq!(
                (dr.segment.file_name(), dr.offset, dr.records, dr.bytes),
                (seg.file_name(), start as u64, 1, (cut - start) as u64)
            );
            assert!(st.lost.is_some());
        }
        // The store keeps working after the cut, and the next open is clean.
        assert_eq!(s.append("sub.0", b"", b"after", 99).expect("append"), 30);
        drop(s);
        let (s, report) = Store::open(&d, cfg()).expect("reopen");
        assert!(report.dropped.is_empty());
        assert_eq!(s.get(30).expect("get").expect("30").payload, &b"after"[..]);
        drop(s);
        std::fs::remove_dir_all(&d).expect("rm");
    }
}

#[test]
fn random_bit_flips_keep_intact_records() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = tmp.path().join("base");
    build(&base, 150);
    let segs = segments(&base);
    assert!(segs.len() >= 3, "want several segments, got {}", segs.len());
    let mut rng: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for trial in 0..60 {
        let d = tmp.path().join(format!("flip{trial}"));
        copy_dir(&base, &d);
        let _ = std::fs::remove_file(d.join("index.db"));
        let si = (next() % segs.len() as u64) as usize;
        let seg = d.join(segs[si].file_name().expect("name"));
        let mut bytes = std::fs::read(&seg).expect("read");
        let recs = records(&bytes);
        let header_hit = trial % 10 == 9;
        let (byte, hit) = if header_hit {
            ((next() % 40) as usize, None)
        } else {
            let r = recs[(next() % recs.len() as u64) as usize];
            (r.0 + (next() % r.1 as u64) as usize, Some(r))
        };
        bytes[byte] ^= 1 << (next() % 8);
        std::fs::write(&seg, &bytes).expect("write");
        let (s, report) = Store::open(&d, cfg()).expect("open never fails on corruption");
        assert!(
            !report.dropped.is_empty(),
            "trial {trial}: damage must be reported"
        );
        assert!(report
            .dropped
            .iter()
            .all(|x| x.segment.file_name() == seg.file_name()));
        // Every record in earlier segments and before the damage in this one is intact.
        let damaged_from = hit.map_or(0, |r| r.0);
        for (i, p) in segs.iter().enumerate() {
            let b = std::fs::read(p).expect("read base");
            for (off, _, seq) in records(&b) {
                if i < si || (i == si && off < damaged_from) {
                    assert_msg(&s, seq);
                }
            }
        }
        if let Some((off, _, seq)) = hit {
            assert!(
                s.get(seq).expect("get").is_none(),
                "trial {trial}: damaged record must not be served"
            );
            assert_eq!(report.dropped[0].offset, off as u64);
        }
        drop(s);
        std::fs::remove_dir_all(&d).expect("rm");
    }
}

#[test]
fn garbage_after_the_tail_is_cut() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("s");
    build(&d, 10);
    let seg = segments(&d).pop().expect("seg");
    let mut bytes = std::fs::read(&seg).expect("read");
    let good = bytes.len();
    bytes.extend((0..333u32).map(|i| (i * 7 + 3) as u8));
    std::fs::write(&seg, &bytes).expect("write");
    let (s, report) = Store::open(&d, cfg()).expect("open");
    assert_eq!(s.state(false).messages, 10);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].offset, good as u64);
    assert_eq!(
        std::fs::metadata(&seg).expect("stat").len(),
        good as u64,
        "tail cut on disk"
    );
}

#[test]
fn empty_and_header_only_segments_open() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("s");
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join(jetmirror_store::testing::segment_file_name(1)), b"").expect("write");
    let (s, report) = Store::open(&d, cfg()).expect("open");
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(s.append("a", b"", b"x", 1).expect("append"), 1);
    drop(s);
    let (s, report) = Store::open(&d, cfg()).expect("reopen");
    assert!(report.dropped.is_empty());
    assert_eq!(s.state(false).messages, 1);
}

#[test]
fn damage_in_the_middle_of_the_last_segment_keeps_its_bytes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("s");
    build(&d, 30);
    let _ = std::fs::remove_file(d.join("index.db"));
    let seg = segments(&d).pop().expect("seg");
    let mut bytes = std::fs::read(&seg).expect("read");
    let recs = records(&bytes);
    assert!(recs.len() >= 4, "want several records in the last segment");
    let (off, _, seq) = recs[recs.len() / 2];
    // Break the length field: the records behind it can no longer be framed.
    bytes[off + 5] ^= 0x40;
    std::fs::write(&seg, &bytes).expect("write");
    let (s, report) = Store::open(&d, cfg()).expect("open");
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(
        (
            report.dropped[0].offset,
            report.dropped[0].segment.file_name()
        ),
        (off as u64, seg.file_name())
    );
    assert_eq!(
        std::fs::metadata(&seg).expect("stat").len(),
        bytes.len() as u64,
        "damaged segment must not be cut"
    );
    for q in 1..seq {
        assert_msg(&s, q);
    }
    assert!(s.get(seq).expect("get").is_none());
    let next = s.append("sub.0", b"", b"after", 1).expect("append");
    drop(s);
    let (s, report2) = Store::open(&d, cfg()).expect("reopen");
    assert!(report2.used_index_file && report2.dropped.is_empty());
    assert_eq!(
        s.get(next)
            .expect("get")
            .expect("appended after damage")
            .payload,
        &b"after"[..]
    );
    drop(s);
    let _ = std::fs::remove_file(d.join("index.db"));
    let (s, report2) = Store::open(&d, cfg()).expect("reopen");
    assert_eq!(
        report2.dropped, report.dropped,
        "same damage reported, nothing new"
    );
    assert_eq!(
        s.get(next)
            .expect("get")
            .expect("appended after damage")
            .payload,
        &b"after"[..]
    );
}

#[test]
fn probing_after_damage_in_a_big_segment_stays_fast() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("s");
    let big = StoreConfig {
        segment_size: 8 << 20,
        ..cfg()
    };
    let (s, _) = Store::open(&d, big.clone()).expect("open");
    for i in 0..30_000u64 {
        s.append("big", b"", &[(i % 251) as u8; 200], i as i64)
            .expect("append");
    }
    drop(s);
    let _ = std::fs::remove_file(d.join("index.db"));
    let seg = segments(&d).pop().expect("seg");
    let mut bytes = std::fs::read(&seg).expect("read");
    let recs = records(&bytes);
    // Length field of an early record: framing is lost for megabytes behind it.
    let (off, _, seq) = recs[10];
    bytes[off + 6] ^= 0x10;
    std::fs::write(&seg, &bytes).expect("write");
    let t = std::time::Instant::now();
    let (s, report) = Store::open(&d, big).expect("open");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "open took {:?}",
        t.elapsed()
    );
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(s.state(false).last_seq, seq - 1);
    assert_eq!(
        std::fs::metadata(&seg).expect("stat").len(),
        bytes.len() as u64,
        "kept, not cut"
    );
}

#[test]
fn a_big_garbage_tail_is_cut_quickly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("s");
    build(&d, 20);
    let seg = segments(&d).pop().expect("seg");
    let mut bytes = std::fs::read(&seg).expect("read");
    let good = bytes.len();
    let mut x: u64 = 88172645463325252;
    bytes.extend((0..(4 << 20)).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    std::fs::write(&seg, &bytes).expect("write");
    let t = std::time::Instant::now();
    let (s, report) = Store::open(&d, cfg()).expect("open");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "open took {:?}",
        t.elapsed()
    );
    assert_eq!(s.state(false).messages, 20);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(std::fs::metadata(&seg).expect("stat").len(), good as u64);
}
