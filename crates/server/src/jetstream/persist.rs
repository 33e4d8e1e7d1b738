//! Stream metadata on disk: one JSON file per stream, written to a temporary file, synced and
//! renamed over the old one, so a crash leaves either the old or the new version.

use std::io::Write;
use std::path::{Path, PathBuf};

use jetmirror_stream::StreamMeta;
use tracing::warn;

fn meta_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Reads every stream's metadata; a file that does not parse is reported and skipped.
pub fn load_metas(dir: &Path) -> std::io::Result<Vec<StreamMeta>> {
    let mut metas = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        match serde_json::from_slice::<StreamMeta>(&bytes) {
            Ok(m) => metas.push(m),
            Err(e) => {
                warn!(file = %path.display(), error = %e, "skipping unreadable stream metadata")
            }
        }
    }
    metas.sort_by(|a, b| a.config.name.cmp(&b.config.name));
    Ok(metas)
}

pub fn save_meta(dir: &Path, meta: &StreamMeta) -> std::io::Result<()> {
    let path = meta_path(dir, &meta.config.name);
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(meta).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

pub fn remove_meta(dir: &Path, name: &str) {
    let _ = std::fs::remove_file(meta_path(dir, name));
}
