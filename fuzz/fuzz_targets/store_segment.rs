//! Fuzz target: arbitrary bytes opened as a store's only segment file.
//!
//! Properties: `open` never panics; when it succeeds, every message it serves is a record the
//! segment scanner accepts (valid CRC), `state()` agrees with what `get` returns, sequences
//! are increasing, and reopening gives the same state and reports no new damage (recovery is
//! idempotent).
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use jetmirror_store::{testing, Store, StoreConfig, SyncPolicy};
use libfuzzer_sys::fuzz_target;

static N: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    // tmpfs when there is one: recovery fsyncs, and the disk would make this 100x slower.
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "jm-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(testing::segment_file_name(1)), data).expect("write");
    let cfg = StoreConfig {
        sync: SyncPolicy::Never,
        ..StoreConfig::default()
    };
    let accepted: std::collections::BTreeSet<u64> = testing::scan_segment(data)
        .into_iter()
        .filter(|(_, k)| *k == 1 || *k == 6)
        .map(|(s, _)| s)
        .collect();
    if let Ok((store, report)) = Store::open(&dir, cfg.clone()) {
        let st = store.state(true);
        assert!(st.first_seq <= st.last_seq + 1 || (st.first_seq == 0 && st.last_seq == 0));
        let mut seen = 0u64;
        let mut prev = 0u64;
        if st.messages > 0 && st.last_seq - st.first_seq < 200_000 {
            for seq in st.first_seq..=st.last_seq {
                match store.get(seq) {
                    Ok(Some(m)) => {
                        assert_eq!(m.seq, seq);
                        assert!(seq > prev);
                        assert!(
                            accepted.contains(&seq),
                            "served seq {seq} from no valid record"
                        );
                        prev = seq;
                        seen += 1;
                    }
                    Ok(None) => {}
                    Err(_) => {}
                }
            }
            assert_eq!(seen, st.messages);
            assert_eq!(st.num_deleted as usize, st.deleted.len());
        }
        store.abandon();
        let (again, report2) = Store::open(&dir, cfg).expect("second open of a repaired store");
        // Torn tails were cut the first time; what is still reported is exactly the corrupt
        // records skipped (and kept on disk) the first time.
        assert!(
            report2.dropped.iter().all(|d| report.dropped.contains(d)),
            "second open found new damage {:?} (first {:?})",
            report2.dropped,
            report.dropped
        );
        let st2 = again.state(true);
        assert_eq!(
            (st2.messages, st2.bytes, st2.first_seq, st2.last_seq),
            (st.messages, st.bytes, st.first_seq, st.last_seq)
        );
        again.abandon();
    }
    let _ = std::fs::remove_dir_all(&dir);
});
