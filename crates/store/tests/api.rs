//! Behaviour tests of the public API: nats-server semantics a user can observe (state after
//! purge, gaps from store_at, limit errors and their texts, expiry, snapshots, concurrency).

use std::sync::Arc;
use std::time::Duration;

use jetmirror_store::{
    Discard, PurgeRequest, Store, StoreConfig, StoreError, SyncPolicy, WriteError,
};

fn open(dir: &std::path::Path, cfg: StoreConfig) -> Store {
    Store::open(dir, cfg).expect("open").0
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos() as i64
}

#[test]
fn byte_accounting_matches_nats_server() {
    // spec §3.4: 3 × 44 + 2 × 72 = 276 for these five messages.
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(tmp.path(), StoreConfig::default());
    for i in 1..=5 {
        let hdr: &[u8] = if i % 2 == 0 {
            b"NATS/1.0\r\nX-Foo: bar\r\n\r\n"
        } else {
            b""
        };
        s.append(&format!("orig.a.{i}"), hdr, b"hello!", i)
            .expect("append");
    }
    let st = s.state(false);
    assert_eq!(
        (
            st.messages,
            st.bytes,
            st.first_seq,
            st.last_seq,
            st.num_subjects
        ),
        (5, 276, 1, 5, 5)
    );
}

#[test]
fn fresh_purged_and_skipped_states() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(tmp.path(), StoreConfig::default());
    let st = s.state(false);
    assert_eq!((st.first_seq, st.last_seq, st.messages), (0, 0, 0));
    for i in 1..=10 {
        s.append("a", b"", b"x", i).expect("append");
    }
    assert_eq!(s.purge(PurgeRequest::default()).expect("purge"), 10);
    let st = s.state(false);
    assert_eq!(
        (
            st.first_seq,
            st.last_seq,
            st.first_ts,
            st.last_ts,
            st.num_deleted
        ),
        (11, 10, 0, 10, 0)
    );
    drop(s);
    let tmp2 = tempfile::tempdir().expect("tmp");
    let s = open(tmp2.path(), StoreConfig::default());
    s.skip_to(100).expect("skip");
    let st = s.state(false);
    assert_eq!((st.first_seq, st.last_seq), (100, 99));
    assert_eq!(s.append("a", b"", b"x", 1).expect("append"), 100);
}

#[test]
fn store_at_gaps_are_interior_deletes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(tmp.path(), StoreConfig::default());
    s.store_at(5, 50, "m.a", b"", b"five")
        .expect("store_at into empty moves first");
    s.store_at(7, 70, "m.b", b"", b"seven").expect("store_at");
    s.store_at(10, 100, "m.a", b"", b"ten").expect("store_at");
    let st = s.state(true);
    assert_eq!(
        (st.first_seq, st.last_seq, st.messages, st.num_deleted),
        (5, 10, 3, 3)
    );
    assert_eq!(st.deleted, vec![6, 8, 9]);
    assert_eq!((st.first_ts, st.last_ts), (50, 100));
    assert!(matches!(
        s.store_at(10, 1, "m", b"", b""),
        Err(WriteError::SequenceMismatch {
            seq: 10,
            last_seq: 10
        })
    ));
    assert_eq!(
        s.next_matching(6, "m.a").expect("scan").map(|m| m.seq),
        Some(10)
    );
    assert_eq!(
        s.next_matching(6, "m.*").expect("scan").map(|m| m.seq),
        Some(7)
    );
    assert_eq!(
        s.last_for_subject("m.a").expect("last").map(|m| m.payload),
        Some(bytes::Bytes::from_static(b"ten"))
    );
    assert_eq!(s.num_pending(6, "m.>"), 2);
    assert!(matches!(s.delete(11, false), Err(StoreError::Eof)));
    assert!(!s.delete(6, false).expect("delete gap"));
    assert!(s.delete(5, true).expect("delete first"));
    assert_eq!(s.state(false).first_seq, 7);
}

#[test]
fn discard_new_errors_have_nats_texts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        max_msgs: 2,
        discard: Discard::New,
        max_msg_size: 8,
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg.clone());
    s.append("a", b"", b"1", 1).expect("1");
    s.append("a", b"", b"2", 2).expect("2");
    let e = s.append("a", b"", b"3", 3).expect_err("full");
    assert_eq!(e.to_string(), "maximum messages exceeded");
    let e = s.append("a", b"", b"123456789", 3).expect_err("too big");
    assert_eq!(e.to_string(), "message size exceeds maximum allowed");
    s.update_config(StoreConfig {
        max_msgs: -1,
        max_bytes: 100,
        ..cfg.clone()
    })
    .expect("cfg");
    let e = s.append("a", b"", b"12345678", 3).expect_err("bytes");
    assert_eq!(e.to_string(), "maximum bytes exceeded");
    s.update_config(StoreConfig {
        max_msgs: -1,
        max_msgs_per_subject: 2,
        discard_new_per_subject: true,
        ..cfg
    })
    .expect("cfg");
    let e = s.append("a", b"", b"x", 3).expect_err("per subject");
    assert_eq!(e.to_string(), "maximum messages per subject exceeded");
    assert_eq!(s.append("b", b"", b"x", 3).expect("other subject"), 3);
}

#[test]
fn discard_old_limits_drop_the_oldest() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        max_msgs: 100,
        max_msgs_per_subject: 3,
        segment_size: 4096,
        sync: SyncPolicy::Never,
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg);
    for i in 1..=1000u64 {
        s.append(&format!("k.{}", i % 50), b"", &[0u8; 64], i as i64)
            .expect("append");
    }
    let st = s.state(false);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (100, 901, 1000));
    assert_eq!(s.subject_counts("k.*").values().copied().max(), Some(2));
    // Dead leading segments are removed in the background; state survives reopen.
    std::thread::sleep(Duration::from_millis(1500));
    let segs = std::fs::read_dir(tmp.path())
        .expect("ls")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "seg"))
        })
        .count();
    assert!(segs <= 6, "dead segments not removed: {segs}");
    drop(s);
    let _ = std::fs::remove_file(tmp.path().join("index.db"));
    let s = open(tmp.path(), StoreConfig::default());
    let st2 = s.state(false);
    assert_eq!(
        (st2.messages, st2.first_seq, st2.last_seq, st2.bytes),
        (st.messages, st.first_seq, st.last_seq, st.bytes)
    );
}

#[test]
fn max_age_expires_in_background_and_at_open() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        max_age: Duration::from_millis(300),
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg.clone());
    let t = now();
    s.append("old", b"", b"x", t - 10_000_000_000)
        .expect("append");
    s.append("new", b"", b"y", t).expect("append");
    assert_eq!(s.expire(t).expect("expire"), 1);
    assert_eq!(s.state(false).first_seq, 2);
    std::thread::sleep(Duration::from_millis(900));
    let st = s.state(false);
    assert_eq!(
        (st.messages, st.first_seq, st.last_seq),
        (0, 3, 2),
        "background expiry"
    );
    s.append("again", b"", b"z", now() - 1_000_000_000)
        .expect("append");
    s.update_config(StoreConfig {
        max_age: Duration::ZERO,
        ..cfg.clone()
    })
    .expect("cfg");
    drop(s);
    let (s, report) = Store::open(tmp.path(), cfg).expect("reopen");
    assert_eq!(report.expired, 1);
    assert_eq!(s.state(false).messages, 0);
}

#[test]
fn purge_variants() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(
        tmp.path(),
        StoreConfig {
            sync: SyncPolicy::Never,
            ..StoreConfig::default()
        },
    );
    for i in 1..=20u64 {
        s.append(
            if i % 2 == 0 { "ev.even" } else { "ev.odd" },
            b"",
            b"x",
            i as i64,
        )
        .expect("append");
    }
    let p = |subject: Option<&str>, up_to_seq, keep| PurgeRequest {
        subject: subject.map(String::from),
        up_to_seq,
        keep,
    };
    assert_eq!(
        s.purge(p(Some("ev.odd"), Some(10), None)).expect("purge"),
        5
    ); // 1,3,5,7,9
    assert_eq!(
        s.purge(p(Some("ev.even"), None, Some(2))).expect("purge"),
        8
    ); // keeps 18,20
    assert_eq!(s.subject_counts(">").get("ev.even"), Some(&2));
    assert_eq!(s.purge(p(None, None, Some(3))).expect("purge"), 4); // 11,13,15,17 of 11..20 live 7
    assert_eq!(s.purge(p(None, Some(20), None)).expect("purge"), 2);
    let st = s.state(false);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (1, 20, 20));
    assert_eq!(s.purge(p(None, Some(30), None)).expect("purge"), 1);
    let st = s.state(false);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (0, 30, 29));
}

#[test]
fn truncate_drops_the_tail_and_allows_rewrite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(tmp.path(), StoreConfig::default());
    for i in 1..=10 {
        s.append("t", b"", format!("v{i}").as_bytes(), i)
            .expect("append");
    }
    s.truncate(6).expect("truncate");
    let st = s.state(false);
    assert_eq!((st.messages, st.last_seq, st.last_ts), (6, 6, 6));
    assert_eq!(s.append("t", b"", b"new7", 77).expect("append"), 7);
    drop(s);
    let _ = std::fs::remove_file(tmp.path().join("index.db"));
    let s = open(tmp.path(), StoreConfig::default());
    assert_eq!(s.get(7).expect("get").expect("7").payload, &b"new7"[..]);
    assert!(
        s.get(8).expect("get").is_none(),
        "truncated tail must not come back"
    );
    assert!(s.truncate(8).is_err());
}

#[test]
fn group_commit_64_writers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Arc::new(open(tmp.path(), StoreConfig::default()));
    let hs: Vec<_> = (0..64)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        s.append(&format!("w.{t}"), b"", &[t as u8; 32], i)
                            .expect("append")
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = hs
        .into_iter()
        .flat_map(|h| h.join().expect("join"))
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=3200).collect::<Vec<u64>>());
    assert_eq!(s.subject_counts("w.*").len(), 64);
}

#[test]
fn snapshot_restore_round_trip() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(
        tmp.path().join("a").as_path(),
        StoreConfig {
            sync: SyncPolicy::Never,
            segment_size: 4096,
            ..StoreConfig::default()
        },
    );
    s.skip_to(3).expect("skip");
    for i in 0..200u64 {
        s.append(
            &format!("s.{}", i % 7),
            if i % 3 == 0 { b"NATS/1.0\r\n\r\n" } else { b"" },
            &i.to_le_bytes(),
            i as i64,
        )
        .expect("append");
    }
    s.store_at(250, 9, "s.x", b"", b"gap").expect("store_at");
    s.delete(10, false).expect("delete");
    s.delete(3, false).expect("delete first");
    s.delete(250, false).expect("delete last");
    let mut snap = Vec::new();
    s.snapshot(&mut snap).expect("snapshot");
    let r = Store::restore(
        &tmp.path().join("b"),
        StoreConfig::default(),
        &mut &snap[..],
    )
    .expect("restore");
    assert_eq!(r.state(true), s.state(true));
    for seq in 0..=251 {
        assert_eq!(
            r.get(seq).expect("get"),
            s.get(seq).expect("get"),
            "seq {seq}"
        );
    }
    let mut bad = snap.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 4;
    assert!(Store::restore(&tmp.path().join("c"), StoreConfig::default(), &mut &bad[..]).is_err());
    assert!(
        Store::restore(
            &tmp.path().join("b"),
            StoreConfig::default(),
            &mut &snap[..]
        )
        .is_err(),
        "target must be empty"
    );
}

#[test]
fn erase_overwrites_payload_on_disk() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(tmp.path(), StoreConfig::default());
    s.append("e", b"", b"SECRET-PAYLOAD", 1).expect("append");
    s.append("e", b"", b"keep", 2).expect("append");
    assert!(s.delete(1, true).expect("erase"));
    drop(s);
    let mut found = false;
    for e in std::fs::read_dir(tmp.path()).expect("ls") {
        let b = std::fs::read(e.expect("e").path()).expect("read");
        found |= b.windows(6).any(|w| w == b"SECRET");
    }
    assert!(!found, "erased payload still on disk");
    let _ = std::fs::remove_file(tmp.path().join("index.db"));
    let (s, report) = Store::open(tmp.path(), StoreConfig::default()).expect("reopen");
    assert!(report.dropped.is_empty());
    let st = s.state(false);
    assert_eq!((st.messages, st.first_seq), (1, 2));
}

#[test]
fn index_file_is_used_and_stale_copies_are_ignored() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        sync: SyncPolicy::Never,
        segment_size: 8192,
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg.clone());
    for i in 0..500 {
        s.append("x", b"", &[7u8; 50], i).expect("append");
    }
    drop(s);
    let stale = std::fs::read(tmp.path().join("index.db")).expect("index written on close");
    let (s, report) = Store::open(tmp.path(), cfg.clone()).expect("open");
    assert!(report.used_index_file);
    assert_eq!(report.records_replayed, 0);
    s.append("x", b"", b"more", 1).expect("append");
    s.delete(1, false).expect("delete");
    s.flush().expect("flush");
    s.abandon(); // like a crash: no new index file
    std::fs::write(tmp.path().join("index.db"), &stale).expect("plant stale index");
    let (s, _) = Store::open(tmp.path(), cfg).expect("open");
    let st = s.state(false);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (500, 2, 501));
}

#[test]
fn huge_mirror_gaps_are_cheap() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = open(
        tmp.path(),
        StoreConfig {
            sync: SyncPolicy::Never,
            ..StoreConfig::default()
        },
    );
    s.append("g", b"", b"1", 1).expect("append");
    s.store_at(500_000_002, 2, "g", b"", b"2")
        .expect("gap of 5e8");
    assert!(
        s.index_memory_bytes() < 16 << 20,
        "gap cost {} bytes",
        s.index_memory_bytes()
    );
    let st = s.state(false);
    assert_eq!(
        (st.messages, st.first_seq, st.last_seq, st.num_deleted),
        (2, 1, 500_000_002, 500_000_000)
    );
    assert_eq!(
        s.next_matching(2, "g").expect("scan").map(|m| m.seq),
        Some(500_000_002)
    );
    assert_eq!(s.num_pending(2, ">"), 1);
    drop(s);
    for drop_index in [false, true] {
        if drop_index {
            let _ = std::fs::remove_file(tmp.path().join("index.db"));
        }
        let (s, report) = Store::open(tmp.path(), StoreConfig::default()).expect("reopen");
        assert_eq!(report.used_index_file, !drop_index);
        assert_eq!(s.state(false), st);
    }
    let (s, _) = Store::open(tmp.path(), StoreConfig::default()).expect("reopen");
    assert!(s.delete(1, false).expect("delete"));
    assert_eq!(s.state(false).first_seq, 500_000_002);
}

#[test]
fn compaction_shrinks_mostly_deleted_segments_and_keeps_state() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        sync: SyncPolicy::Never,
        segment_size: 16 * 1024,
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg.clone());
    for i in 1..=1000u64 {
        s.append(&format!("c.{}", i % 4), b"", &[i as u8; 100], i as i64)
            .expect("append");
    }
    // Delete 9 of every 10 messages, and the very last one (last_seq must survive compaction).
    for i in 1..=1000u64 {
        if i % 10 != 0 || i == 1000 {
            assert!(s.delete(i, false).expect("delete"));
        }
    }
    let before = s.state(true);
    let size = |d: &std::path::Path| -> u64 {
        std::fs::read_dir(d)
            .expect("ls")
            .map(|e| e.expect("e"))
            .filter(|e| e.path().extension().is_some_and(|x| x == "seg"))
            .map(|e| e.metadata().expect("stat").len())
            .sum()
    };
    let on_disk = size(tmp.path());
    // The background thread compacts on its own within about a second.
    std::thread::sleep(Duration::from_millis(2500));
    let after_bg = size(tmp.path());
    assert!(
        after_bg < on_disk / 2,
        "background compaction: {on_disk} -> {after_bg}"
    );
    assert_eq!(s.state(true), before);
    for i in (10..1000).step_by(10) {
        assert_eq!(
            &s.get(i).expect("get").expect("live").payload[..],
            &[i as u8; 100][..]
        );
    }
    drop(s);
    let _ = std::fs::remove_file(tmp.path().join("index.db"));
    let (s, report) = Store::open(tmp.path(), cfg).expect("reopen");
    assert!(report.dropped.is_empty());
    assert_eq!(s.state(true), before, "replay of compacted segments");
    assert_eq!(s.state(false).last_seq, 1000);
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
}

#[test]
fn reads_of_the_active_segment_follow_writes_rolls_and_reopens() {
    // The active segment is read through a mapping of its written prefix and from the
    // write buffer beyond it; records larger than the segment go through pread. Interleave
    // writes, reads, rolls and an erase, and compare every read with what was written.
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = StoreConfig {
        segment_size: 8192,
        sync: SyncPolicy::Never,
        ..StoreConfig::default()
    };
    let s = open(tmp.path(), cfg.clone());
    let payload = |i: u64| -> Vec<u8> {
        let len = match i % 50 {
            0 => 20_000, // larger than the segment: a segment of its own
            n => (n * 37) as usize,
        };
        (0..len).map(|k| (k as u64 + i) as u8).collect()
    };
    for i in 1..=400u64 {
        s.append(&format!("a.{}", i % 7), b"", &payload(i), i as i64)
            .expect("append");
        if i % 3 == 0 {
            // Written but maybe still buffered, then handed to the OS by a flush.
            let m = s.get(i).expect("get").expect("present");
            assert_eq!(m.payload.as_ref(), payload(i).as_slice(), "seq {i}");
        }
        if i % 40 == 0 {
            s.flush().expect("flush");
            for j in (i - 39)..=i {
                let m = s.get(j).expect("get").expect("present");
                assert_eq!(m.payload.as_ref(), payload(j).as_slice(), "seq {j}");
                assert_eq!(m.subject, format!("a.{}", j % 7));
            }
        }
    }
    // An erase rewrites a record of the active segment in place: reads see it gone.
    s.append("secret", b"", b"SECRET-PAYLOAD", 401)
        .expect("append");
    s.flush().expect("flush");
    assert!(s.get(401).expect("get").is_some());
    assert!(s.delete(401, true).expect("erase"));
    assert!(s.get(401).expect("get").is_none());
    s.abandon();
    // A torn tail on the active segment is cut at open, before anything maps it.
    let last = std::fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .max()
        .expect("a segment");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .expect("open segment");
    std::io::Write::write_all(&mut f, &[0xAB; 100]).expect("garbage");
    drop(f);
    let (s, report) = Store::open(tmp.path(), cfg).expect("reopen");
    assert_eq!(report.dropped_records(), 1, "{report:?}");
    for i in 1..=400u64 {
        let m = s.get(i).expect("get").expect("present");
        assert_eq!(
            m.payload.as_ref(),
            payload(i).as_slice(),
            "seq {i} after reopen"
        );
    }
    s.append("after", b"", b"tail", 402).expect("append");
    assert_eq!(
        s.get(402).expect("get").expect("present").payload.as_ref(),
        b"tail"
    );
}
