//! nats-server's config digest: `-t` prints `configuration file <f> is valid (sha256:<hex>)`
//! and `/varz` shows it as `config_digest`; the input is [`crate::Map::to_go_json`].

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of the map's Go JSON, as nats-server prints it.
pub fn config_digest(map: &crate::Map) -> String {
    let mut s = String::from("sha256:");
    for b in Sha256::digest(map.to_go_json().as_bytes()) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
