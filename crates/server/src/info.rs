//! The server's identity and the INFO document sent to clients (key order as nats-server's
//! `Info` struct, `omitempty` keys left out when empty).

use rand::Rng;
use serde::Serialize;

/// The nats-server version jetmirror reports. Clients gate features on it (nats.go picks the
/// JetStream API subjects by version), so it must be a 2.15-compatible value.
pub const COMPAT_VERSION: &str = "2.15.1";
/// JetStream API level reported in INFO and `$JS.API.INFO`.
pub const API_LEVEL: i32 = 5;
/// The git commit jetmirror was built from (`git_commit` in INFO and `/varz`).
pub const GIT_COMMIT: &str = env!("JETMIRROR_GIT_COMMIT");
/// The runtime string in the `go` field.
pub const RUNTIME: &str = concat!("jetmirror-", env!("CARGO_PKG_VERSION"));

/// A 56-character nkey-style public key with the given prefix letter (`N` server, `X` curve).
pub fn random_public_key(prefix: char) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let mut s = String::with_capacity(56);
    s.push(prefix);
    for _ in 0..55 {
        let i = rng.random_range(0..ALPHABET.len());
        s.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
    }
    s
}

/// The INFO document. Field order follows nats-server's `Info` struct.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub proto: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub git_commit: String,
    pub go: String,
    pub host: String,
    pub port: u16,
    pub headers: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub tls_verify: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub tls_available: bool,
    pub max_payload: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub jetstream: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub client_id: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_urls: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub ldm: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub connect_info: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remote_account: String,
    #[serde(skip_serializing_if = "is_false")]
    pub acc_is_sys: bool,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub api_lvl: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

impl Info {
    /// The JSON text of this INFO.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_look_like_nkeys() {
        let k = random_public_key('N');
        assert_eq!(k.len(), 56);
        assert!(k.starts_with('N'));
        assert!(k
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
    }
}
