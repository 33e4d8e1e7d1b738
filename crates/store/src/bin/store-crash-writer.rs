//! Crash-test child: appends with sync `Always` from several threads and prints each
//! acknowledged sequence (and the payload length) to stdout, until killed.
//!
//! Usage: `store-crash-writer <dir> <threads> <segment_size>`

use std::io::Write;
use std::sync::Arc;

use jetmirror_store::{Store, StoreConfig, SyncPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .ok_or("usage: store-crash-writer <dir> <threads> <segment_size>")?;
    let threads: usize = args.get(2).map_or(Ok(4), |s| s.parse())?;
    let seg: u64 = args.get(3).map_or(Ok(1 << 16), |s| s.parse())?;
    let cfg = StoreConfig {
        segment_size: seg,
        sync: SyncPolicy::Always,
        ..StoreConfig::default()
    };
    let (store, _) = Store::open(std::path::Path::new(dir), cfg)?;
    let store = Arc::new(store);
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let mut hs = Vec::new();
    for t in 0..threads {
        let store = store.clone();
        let out = out.clone();
        hs.push(std::thread::spawn(move || -> Result<(), String> {
            let mut i: u64 = 0;
            loop {
                i += 1;
                let len = ((i * 7919 + t as u64 * 31) % 700) as usize;
                let subject = format!("crash.{t}.{}", i % 5);
                // Payload is derived from (subject, len) so the test can verify content.
                let payload: Vec<u8> = (0..len).map(|k| (k as u8) ^ (t as u8)).collect();
                let seq = store
                    .append(&subject, b"", &payload, i as i64)
                    .map_err(|e| e.to_string())?;
                // Every 50th message is deleted again, so deletes are crash-tested too.
                let deleted =
                    i.is_multiple_of(50) && store.delete(seq, false).map_err(|e| e.to_string())?;
                let mut o = out.lock().map_err(|e| e.to_string())?;
                let tag = if deleted { "D" } else { "A" };
                writeln!(o, "{tag} {seq} {t} {len} {subject}").map_err(|e| e.to_string())?;
                o.flush().map_err(|e| e.to_string())?;
            }
        }));
    }
    for h in hs {
        h.join().map_err(|_| "writer thread panicked")??;
    }
    Ok(())
}
