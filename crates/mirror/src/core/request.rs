//! The consumer-create request a mirror sends to its origin, byte for byte as
//! nats-server 2.15.1 sends it (mirror.md §4.1–§4.3; nats-server `server/stream.go`,
//! func setupMirrorConsumer), and the stable consumer name hash.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::backoff::{ACK_WAIT, IDLE_HEARTBEAT, INACTIVE_THRESHOLD};
use super::config::{collapse_dots, MirrorConfig};
use super::StoreState;
use sha2::{Digest, Sha256};

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn digit(i: usize) -> char {
    char::from(DIGITS.get(i % DIGITS.len()).copied().unwrap_or(b'0'))
}

/// The header block sent with a create request (API level 4 consumers).
pub const REQUIRED_API_LEVEL_HEADERS: &[u8] = b"NATS/1.0\r\nNats-Required-Api-Level: 4\r\n\r\n";

/// nats-server's `getHashSize(name, 8)`: SHA-256, first 8 bytes mapped to `0-9A-Za-z`.
pub fn stable_hash(input: &str) -> String {
    Sha256::digest(input.as_bytes())
        .iter()
        .take(8)
        .map(|b| digit(usize::from(*b)))
        .collect()
}

/// `JS_MIRROR_<hash of "<stream> <account>[ <domain>]">`.
pub fn consumer_base_name(cfg: &MirrorConfig) -> String {
    let mut id = format!("{} {}", cfg.stream, cfg.account);
    if let Some(domain) = cfg.local_domain.as_deref().filter(|d| !d.is_empty()) {
        id.push(' ');
        id.push_str(domain);
    }
    format!("JS_MIRROR_{}", stable_hash(&id))
}

/// `n` random characters from `0-9A-Za-z`.
pub fn random_token(rng: &mut impl rand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| digit(rng.gen_range(0..DIGITS.len())))
        .collect()
}

/// A create request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    pub subject: String,
    /// `Nats-Required-Api-Level: 4`, or `None` for the legacy resend.
    pub headers: Option<Bytes>,
    pub payload: Bytes,
    pub deliver_subject: String,
    pub consumer_name: String,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Builds the request for the current store state (§4.2 start position). `legacy`
/// is the resend for origins older than API level 4: no `sourcing`, no header,
/// name `<base>_<8 random chars>`.
pub fn build_create_request(
    cfg: &MirrorConfig,
    store: &StoreState,
    deliver_subject: &str,
    legacy_suffix: Option<&str>,
) -> CreateRequest {
    let base = consumer_base_name(cfg);
    let name = match legacy_suffix {
        Some(sfx) => format!("{base}_{sfx}"),
        None => base.clone(),
    };
    let mut opt_start_seq = store.last_seq.saturating_add(1);
    let mut opt_start_time = None;
    if store.messages == 0 && store.first_seq == 0 {
        opt_start_seq = 0;
        if cfg.opt_start_seq > 0 {
            opt_start_seq = cfg.opt_start_seq;
        } else if let Some(t) = cfg.opt_start_time.as_deref() {
            opt_start_time = Some(t.to_owned());
        }
    }
    let deliver_policy = if opt_start_time.is_some() {
        "by_start_time"
    } else if opt_start_seq > 0 {
        "by_start_sequence"
    } else {
        "all"
    };

    let mut filter_subject = cfg.filter_subject.clone().filter(|f| !f.is_empty());
    let mut filter_subjects = Vec::new();
    if !cfg.subject_transforms.is_empty() {
        let sources: Vec<String> = cfg
            .subject_transforms
            .iter()
            .map(|t| t.src.clone())
            .collect();
        if filter_subject.is_none() && sources.len() == 1 {
            filter_subject = sources.into_iter().next();
        } else {
            filter_subjects = sources;
        }
    }

    // Key order is ConsumerConfig's field order in nats-server (serde_json's
    // preserve_order keeps insertion order).
    let mut c = Map::new();
    c.insert("name".into(), json!(name));
    c.insert("deliver_policy".into(), json!(deliver_policy));
    if opt_start_seq > 0 {
        c.insert("opt_start_seq".into(), json!(opt_start_seq));
    }
    if let Some(t) = &opt_start_time {
        c.insert("opt_start_time".into(), json!(t));
    }
    c.insert("ack_policy".into(), json!("none"));
    c.insert("ack_wait".into(), json!(nanos(ACK_WAIT)));
    c.insert("max_deliver".into(), json!(1));
    if let Some(f) = &filter_subject {
        c.insert("filter_subject".into(), json!(f));
    }
    if !filter_subjects.is_empty() {
        c.insert("filter_subjects".into(), json!(filter_subjects));
    }
    c.insert("replay_policy".into(), json!("instant"));
    c.insert("flow_control".into(), json!(true));
    c.insert("deliver_subject".into(), json!(deliver_subject));
    c.insert("idle_heartbeat".into(), json!(nanos(IDLE_HEARTBEAT)));
    c.insert(
        "inactive_threshold".into(),
        json!(nanos(INACTIVE_THRESHOLD)),
    );
    c.insert("num_replicas".into(), json!(0));
    c.insert("direct".into(), json!(true));
    if legacy_suffix.is_none() {
        c.insert("sourcing".into(), json!(true));
    }
    // A Go map: keys sorted.
    let mut md = Map::new();
    md.insert("_nats.mirror.acc".into(), json!(cfg.account));
    if let Some(domain) = cfg.local_domain.as_deref().filter(|d| !d.is_empty()) {
        md.insert("_nats.mirror.domain".into(), json!(domain));
    }
    md.insert("_nats.mirror.stream".into(), json!(cfg.stream));
    c.insert("metadata".into(), Value::Object(md));

    let mut req = Map::new();
    req.insert("stream_name".into(), json!(cfg.origin));
    req.insert("config".into(), Value::Object(c));
    req.insert("action".into(), json!(""));
    let payload = Value::Object(req).to_string();

    let api = cfg.api_prefix();
    let subject = match &filter_subject {
        Some(f) => format!("{api}.CONSUMER.CREATE.{}.{name}.{f}", cfg.origin),
        None => format!("{api}.CONSUMER.CREATE.{}", cfg.origin),
    };
    CreateRequest {
        subject: collapse_dots(&subject),
        headers: legacy_suffix
            .is_none()
            .then(|| Bytes::from_static(REQUIRED_API_LEVEL_HEADERS)),
        payload: Bytes::from(payload),
        deliver_subject: deliver_subject.to_owned(),
        consumer_name: name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{External, SubjectTransform};

    #[test]
    fn hash_matches_nats_server_observation() {
        // mirror.md §4.1: mirror MIR in $G → JS_MIRROR_L9fwEMNd.
        assert_eq!(
            consumer_base_name(&MirrorConfig::new("MIR", "ORIG")),
            "JS_MIRROR_L9fwEMNd"
        );
    }

    #[test]
    fn first_request_is_exactly_the_observed_one() {
        let cfg = MirrorConfig::new("MIR", "ORIG");
        let r = build_create_request(&cfg, &StoreState::default(), "$JS.M.Wzv2KNDJ", None);
        assert_eq!(r.subject, "$JS.API.CONSUMER.CREATE.ORIG");
        assert_eq!(
            r.headers.as_deref(),
            Some(&b"NATS/1.0\r\nNats-Required-Api-Level: 4\r\n\r\n"[..])
        );
        let want = concat!(
            r#"{"stream_name":"ORIG","config":{"name":"JS_MIRROR_L9fwEMNd","deliver_policy":"all","#,
            r#""ack_policy":"none","ack_wait":79200000000000,"max_deliver":1,"replay_policy":"instant","#,
            r#""flow_control":true,"deliver_subject":"$JS.M.Wzv2KNDJ","idle_heartbeat":1000000000,"#,
            r#""inactive_threshold":10000000000,"num_replicas":0,"direct":true,"sourcing":true,"#,
            r#""metadata":{"_nats.mirror.acc":"$G","_nats.mirror.stream":"MIR"}},"action":""}"#
        );
        assert_eq!(std::str::from_utf8(&r.payload).ok(), Some(want));
    }

    #[test]
    fn resume_uses_last_seq_plus_one_and_ignores_start_options() {
        let mut cfg = MirrorConfig::new("MIR", "ORIG");
        cfg.opt_start_seq = 3;
        let st = StoreState {
            messages: 5,
            first_seq: 1,
            last_seq: 5,
        };
        let r = build_create_request(&cfg, &st, "$JS.M.x", None);
        let p = std::str::from_utf8(&r.payload).unwrap_or("");
        assert!(
            p.contains(r#""deliver_policy":"by_start_sequence","opt_start_seq":6,"ack_policy""#),
            "{p}"
        );
        // A purged mirror (no messages, first_seq > 0) continues too.
        let st = StoreState {
            messages: 0,
            first_seq: 8,
            last_seq: 7,
        };
        let r = build_create_request(&cfg, &st, "$JS.M.x", None);
        assert!(std::str::from_utf8(&r.payload)
            .unwrap_or("")
            .contains(r#""opt_start_seq":8"#));
    }

    #[test]
    fn start_options_when_empty() {
        let mut cfg = MirrorConfig::new("MIR", "ORIG");
        cfg.opt_start_seq = 3;
        cfg.opt_start_time = Some("2020-01-01T00:00:00Z".into());
        let r = build_create_request(&cfg, &StoreState::default(), "$JS.M.x", None);
        let p = String::from_utf8_lossy(&r.payload).into_owned();
        assert!(
            p.contains(r#""deliver_policy":"by_start_sequence","opt_start_seq":3,"ack_policy""#),
            "{p}"
        );
        cfg.opt_start_seq = 0;
        let r = build_create_request(&cfg, &StoreState::default(), "$JS.M.x", None);
        let p = String::from_utf8_lossy(&r.payload).into_owned();
        assert!(p.contains(r#""deliver_policy":"by_start_time","opt_start_time":"2020-01-01T00:00:00Z","ack_policy""#), "{p}");
    }

    #[test]
    fn filters_external_domain_and_legacy() {
        let mut cfg = MirrorConfig::new("MIR", "ORIG");
        cfg.filter_subject = Some("o1.a".into());
        cfg.local_domain = Some("leaf".into());
        cfg.external = Some(External {
            api: "$JS.hub.API".into(),
            deliver: String::new(),
        });
        let r = build_create_request(&cfg, &StoreState::default(), "$JS.M.x", None);
        let name = consumer_base_name(&cfg);
        assert_eq!(
            r.subject,
            format!("$JS.hub.API.CONSUMER.CREATE.ORIG.{name}.o1.a")
        );
        let p = String::from_utf8_lossy(&r.payload).into_owned();
        assert!(
            p.contains(r#""max_deliver":1,"filter_subject":"o1.a","replay_policy""#),
            "{p}"
        );
        assert!(p.contains(r#""metadata":{"_nats.mirror.acc":"$G","_nats.mirror.domain":"leaf","_nats.mirror.stream":"MIR"}"#), "{p}");

        let mut cfg = MirrorConfig::new("MIR", "ORIG");
        cfg.subject_transforms = vec![
            SubjectTransform {
                src: "o1.a".into(),
                dest: "t.a".into(),
            },
            SubjectTransform {
                src: "o1.b".into(),
                dest: String::new(),
            },
        ];
        let r = build_create_request(&cfg, &StoreState::default(), "$JS.M.x", Some("abcdefgh"));
        assert_eq!(r.subject, "$JS.API.CONSUMER.CREATE.ORIG");
        assert_eq!(r.headers, None);
        assert_eq!(r.consumer_name, "JS_MIRROR_L9fwEMNd_abcdefgh");
        let p = String::from_utf8_lossy(&r.payload).into_owned();
        assert!(p.contains(r#""filter_subjects":["o1.a","o1.b"]"#), "{p}");
        assert!(!p.contains("sourcing"), "{p}");
    }

    #[test]
    fn deliver_prefix_from_external() {
        let mut cfg = MirrorConfig::new("MIR", "ORIG");
        assert_eq!(cfg.deliver_prefix(), "$JS.M");
        cfg.external = Some(External {
            api: "$JS.hub.API.".into(),
            deliver: "dp.".into(),
        });
        assert_eq!(cfg.deliver_prefix(), "dp.M");
        assert_eq!(cfg.api_prefix(), "$JS.hub.API");
    }
}
