//! Crash test: a child process appends (sync Always, 4 threads, small segments) and prints
//! every acknowledged sequence; we SIGKILL it at random moments, many rounds on the same
//! directory, and after each reopen every acknowledged message must be there and intact, and
//! no acknowledged delete may be undone.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jetmirror_store::{Store, StoreConfig};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_never_loses_acknowledged_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("s");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    // seq -> (thread, len, subject) for acknowledged appends; acknowledged deletes.
    let mut acked: BTreeMap<u64, (u8, usize, String)> = BTreeMap::new();
    let mut deleted: BTreeSet<u64> = BTreeSet::new();
    let started = Instant::now();
    let mut rounds = 0;
    while rounds < 30 && started.elapsed() < Duration::from_secs(25) {
        rounds += 1;
        let mut child = Command::new(env!("CARGO_BIN_EXE_store-crash-writer"))
            .arg(&dir)
            .arg("4")
            .arg("65536")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line.ends_with('\n') {
                    lines.push(line.trim_end().to_string());
                }
                line.clear();
            }
            lines
        });
        std::thread::sleep(Duration::from_millis(20 + rng.next() % 200));
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
        let lines = reader.join().expect("reader");
        for l in &lines {
            let f: Vec<&str> = l.split(' ').collect();
            let seq: u64 = f[1].parse().expect("seq");
            let t: u8 = f[2].parse().expect("t");
            let len: usize = f[3].parse().expect("len");
            acked.insert(seq, (t, len, f[4].to_string()));
            if f[0] == "D" {
                deleted.insert(seq);
            }
        }
        if rounds % 3 == 0 {
            let _ = std::fs::remove_file(dir.join("index.db"));
        }
        let (store, report) = Store::open(&dir, StoreConfig::default()).expect("reopen after kill");
        for d in &report.dropped {
            // Only a torn tail of the last segment is acceptable after a crash.
            assert!(
                d.reason.contains("torn")
                    || d.reason.contains("checksum")
                    || d.reason.contains("short segment header"),
                "unexpected drop {d:?}"
            );
        }
        let st = store.state(false);
        for (seq, (t, len, subject)) in &acked {
            let got = store.get(*seq).expect("read");
            if deleted.contains(seq) {
                assert!(
                    got.is_none(),
                    "round {rounds}: deleted seq {seq} resurrected"
                );
                continue;
            }
            let m = got.unwrap_or_else(|| {
                panic!("round {rounds}: acknowledged seq {seq} lost (state {st:?})")
            });
            assert_eq!(&m.subject, subject);
            assert_eq!(m.payload.len(), *len, "seq {seq}");
            assert!(
                m.payload
                    .iter()
                    .enumerate()
                    .all(|(k, b)| *b == (k as u8) ^ *t),
                "seq {seq} payload corrupt"
            );
        }
        assert!(st.last_seq >= acked.keys().next_back().copied().unwrap_or(0));
        // Unacknowledged messages that made it are fine, but they must be whole.
        for seq in st.first_seq..=st.last_seq {
            if let Some(m) = store.get(seq).expect("read") {
                let t: u8 = m
                    .subject
                    .split('.')
                    .nth(1)
                    .and_then(|x| x.parse().ok())
                    .expect("subject");
                assert!(
                    m.payload
                        .iter()
                        .enumerate()
                        .all(|(k, b)| *b == (k as u8) ^ t),
                    "seq {seq} payload corrupt"
                );
            }
        }
        drop(store);
    }
    assert!(
        acked.len() > 100,
        "writer acknowledged too little ({}) to test anything",
        acked.len()
    );
    eprintln!(
        "{rounds} rounds, {} acknowledged, {} deleted",
        acked.len(),
        deleted.len()
    );
}
