//! Store benches (criterion): append throughput per payload size and sync policy (with the
//! machine's sequential write bandwidth for the same volume, measured in the same run), reads
//! by sequence, filtered scans, open time, index memory per message.
//!
//! Quick run:  cargo bench -p jetmirror-store --bench store
//! With the 10M-message open: JM_BENCH_10M=1 cargo bench -p jetmirror-store --bench store -- open

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jetmirror_store::{Store, StoreConfig, SyncPolicy};

fn cfg(sync: SyncPolicy) -> StoreConfig {
    StoreConfig {
        sync,
        ..StoreConfig::default()
    }
}

/// Record bytes on disk for one message of this size (32-byte record header + subject).
fn disk_bytes(payload: usize) -> u64 {
    (32 + "bench.subject".len() + payload) as u64
}

/// Append `n` messages from `writers` threads; returns the elapsed time (including a final
/// flush so every policy ends durable).
fn run_appends(dir: &Path, sync: SyncPolicy, payload: usize, n: u64, writers: u64) -> Duration {
    let (store, _) = Store::open(dir, cfg(sync)).expect("open");
    let store = Arc::new(store);
    let data = vec![0xabu8; payload];
    let start = Instant::now();
    let hs: Vec<_> = (0..writers)
        .map(|_| {
            let (s, d) = (store.clone(), data.clone());
            std::thread::spawn(move || {
                for i in 0..n / writers {
                    s.append("bench.subject", b"", &d, i as i64)
                        .expect("append");
                }
            })
        })
        .collect();
    for h in hs {
        h.join().expect("join");
    }
    store.flush().expect("flush");
    start.elapsed()
}

/// Plain sequential write of `bytes` in 1 MiB chunks plus one fsync: the machine's limit.
fn seq_write(dir: &Path, bytes: u64) -> Duration {
    let chunk = vec![0x5au8; 1 << 20];
    let start = Instant::now();
    let mut f = File::create(dir.join("seq.bin")).expect("create");
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    f.sync_all().expect("fsync");
    start.elapsed()
}

/// Append throughput: the store is opened once per case; each measurement times only the
/// appends (split over `writers` threads), so open and thread start-up are not counted.
fn appends(c: &mut Criterion) {
    for payload in [128usize, 1024] {
        let mut g = c.benchmark_group(format!("append_{payload}B"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(500));
        g.throughput(Throughput::Elements(1));
        let cases: [(&str, SyncPolicy, u64); 4] = [
            (
                "interval_1s",
                SyncPolicy::Interval(Duration::from_secs(1)),
                1,
            ),
            ("never", SyncPolicy::Never, 1),
            ("always", SyncPolicy::Always, 1),
            ("always", SyncPolicy::Always, 64),
        ];
        for (name, sync, writers) in cases {
            let tmp = tempfile::tempdir().expect("tmp");
            let (store, _) = Store::open(tmp.path(), cfg(sync)).expect("open");
            let data = vec![0xabu8; payload];
            g.bench_function(BenchmarkId::new(name, format!("{writers}_writers")), |b| {
                b.iter_custom(|iters| {
                    let per = iters.div_ceil(writers);
                    let start = Instant::now();
                    std::thread::scope(|sc| {
                        for _ in 0..writers {
                            sc.spawn(|| {
                                for i in 0..per {
                                    store
                                        .append("bench.subject", b"", &data, i as i64)
                                        .expect("append");
                                }
                            });
                        }
                    });
                    // Report per-append time for exactly `iters` appends.
                    start
                        .elapsed()
                        .mul_f64(iters as f64 / (per * writers) as f64)
                })
            });
            store.abandon();
        }
        g.finish();
    }
}

/// Not a criterion measurement: one fixed volume per case, appends vs plain sequential
/// write of the same bytes, printed as a table (the ratio is what the targets are about).
fn bandwidth_table(_c: &mut Criterion) {
    eprintln!(
        "\n| payload | policy | writers | msgs | appends/s | store MB/s | seq write MB/s | ratio |"
    );
    eprintln!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for payload in [128usize, 1024] {
        let n: u64 = if payload == 128 { 2_000_000 } else { 500_000 };
        let bytes = n * disk_bytes(payload);
        for (name, sync, writers, n) in [
            (
                "interval_1s",
                SyncPolicy::Interval(Duration::from_secs(1)),
                1,
                n,
            ),
            ("never", SyncPolicy::Never, 1, n),
            ("always", SyncPolicy::Always, 64, n / 10),
            ("always", SyncPolicy::Always, 1, 2_000),
        ] {
            let bytes = if n == 2_000 || writers == 64 {
                n * disk_bytes(payload)
            } else {
                bytes
            };
            let tmp = tempfile::tempdir().expect("tmp");
            let t = run_appends(tmp.path(), sync, payload, n, writers);
            let tmp2 = tempfile::tempdir().expect("tmp");
            let base = seq_write(tmp2.path(), bytes);
            let mbs = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
            eprintln!(
                "| {payload} B | {name} | {writers} | {n} | {:.0} | {:.0} | {:.0} | {:.2} |",
                n as f64 / t.as_secs_f64(),
                mbs(t),
                mbs(base),
                base.as_secs_f64() / t.as_secs_f64()
            );
        }
    }
}

fn build(dir: &Path, n: u64, subjects: u64) {
    let (s, _) = Store::open(dir, cfg(SyncPolicy::Never)).expect("open");
    let data = [7u8; 128];
    for i in 0..n {
        s.append(&format!("s.{}", i % subjects), b"", &data, i as i64)
            .expect("append");
    }
    s.close().expect("close");
}

fn reads(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tmp");
    let n = 1_000_000u64;
    build(tmp.path(), n, 10);
    let (s, _) = Store::open(tmp.path(), cfg(SyncPolicy::Never)).expect("open");
    let mut g = c.benchmark_group("read");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    let mut x = 12345u64;
    g.bench_function("get_random_seq_128B", |b| {
        b.iter(|| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.get(1 + (x >> 33) % n).expect("get").expect("present")
        })
    });
    // One element = one message delivered by a filtered scan ("s.3" is 1 in 10 messages).
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("next_matching_filter_1_in_10", |b| {
        b.iter(|| {
            let mut seq = 1;
            for _ in 0..10_000 {
                let m = s.next_matching(seq, "s.3").expect("scan").expect("found");
                seq = m.seq + 1;
            }
        })
    });
    g.bench_function("next_matching_wildcard_1_in_10", |b| {
        b.iter(|| {
            let mut seq = 1;
            for _ in 0..10_000 {
                let m = s.next_matching(seq, "*.3").expect("scan").expect("found");
                seq = m.seq + 1;
            }
        })
    });
    g.finish();
}

/// A consumer tailing a stream: sequential reads of messages still in the active segment
/// (written, handed to the OS, not sealed), the pull-fetch path.
fn tail_reads(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tmp");
    let n = 200_000u64; // ~34 MB: all in the active 64 MiB segment
    build(tmp.path(), n, 10);
    let (s, _) = Store::open(tmp.path(), cfg(SyncPolicy::Never)).expect("open");
    let mut g = c.benchmark_group("read");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(10_000));
    let mut seq = 1u64;
    g.bench_function("next_matching_all_active_segment_128B", |b| {
        b.iter(|| {
            for _ in 0..10_000 {
                let m = s.next_matching(seq, ">").expect("scan").expect("found");
                seq = if m.seq >= n { 1 } else { m.seq + 1 };
            }
        })
    });
    g.finish();
}

fn open_time(c: &mut Criterion) {
    let mut sizes = vec![1_000_000u64];
    if std::env::var_os("JM_BENCH_10M").is_some() {
        sizes.push(10_000_000);
    }
    let mut g = c.benchmark_group("open");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for n in sizes {
        let tmp = tempfile::tempdir().expect("tmp");
        build(tmp.path(), n, 100);
        let index = std::fs::read(tmp.path().join("index.db")).expect("index file");
        g.bench_function(BenchmarkId::new("with_index", n), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    std::fs::write(tmp.path().join("index.db"), &index).expect("restore index");
                    let t = Instant::now();
                    let (s, report) =
                        Store::open(tmp.path(), cfg(SyncPolicy::Never)).expect("open");
                    total += t.elapsed();
                    assert!(report.used_index_file);
                    s.abandon(); // skip writing the index again on close
                }
                total
            })
        });
        let t = Instant::now();
        let _ = std::fs::remove_file(tmp.path().join("index.db"));
        let (s, report) = Store::open(tmp.path(), cfg(SyncPolicy::Never)).expect("open");
        eprintln!(
            "open {n} msgs without index file (full replay of {} records): {:?}",
            report.records_replayed,
            t.elapsed()
        );
        let mem = s.index_memory_bytes();
        eprintln!(
            "index memory for {n} msgs, 100 subjects: {mem} bytes = {:.1} bytes/msg",
            mem as f64 / n as f64
        );
        s.abandon();
    }
    g.finish();
}

criterion_group!(
    benches,
    appends,
    reads,
    tail_reads,
    open_time,
    bandwidth_table
);
criterion_main!(benches);
