//! `/jsz`: the same streams and consumers on nats-server 2.15.1 and on jetmirror must give
//! documents whose keys (the ones jetmirror provides) have nats-server's JSON types and key
//! order, with equal values for the stable fields; mirrors report their `mirror` block.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use jetmirror_testkit::{http_get, Kind, Server, ServerSpec};
use serde_json::Value;

fn start(kind: Kind, jetstream: bool) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.jetstream = jetstream;
    spec.http = true;
    match Server::start(spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot start {kind:?}: {e:#}"),
    }
}

fn get(server: &Server, path: &str) -> Value {
    let port = server.http_port().expect("http port");
    let body = http_get(port, path).unwrap_or_else(|e| panic!("GET {path}: {e:#}"));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
}

/// A JSON document with its objects' keys in document order (serde_json, without its
/// `preserve_order` feature here, sorts them).
#[derive(Debug)]
enum Ordered {
    Leaf,
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// Parses a (valid) JSON text, keeping object keys in document order.
    fn parse(text: &str) -> Ordered {
        let b = text.as_bytes();
        let mut i = 0;
        let v = Self::value(b, &mut i);
        Self::ws(b, &mut i);
        assert_eq!(i, b.len(), "trailing data in {text}");
        v
    }

    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }

    fn string(b: &[u8], i: &mut usize) -> String {
        let start = *i;
        *i += 1;
        while b[*i] != b'"' {
            *i += if b[*i] == b'\\' { 2 } else { 1 };
        }
        *i += 1;
        serde_json::from_slice(&b[start..*i]).expect("JSON string")
    }

    fn value(b: &[u8], i: &mut usize) -> Ordered {
        Self::ws(b, i);
        match b[*i] {
            b'{' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    Self::ws(b, i);
                    match b[*i] {
                        b'}' => {
                            *i += 1;
                            return Ordered::Object(v);
                        }
                        b',' => *i += 1,
                        _ => {
                            let k = Self::string(b, i);
                            Self::ws(b, i);
                            assert_eq!(b[*i], b':');
                            *i += 1;
                            v.push((k, Self::value(b, i)));
                        }
                    }
                }
            }
            b'[' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    Self::ws(b, i);
                    match b[*i] {
                        b']' => {
                            *i += 1;
                            return Ordered::Array(v);
                        }
                        b',' => *i += 1,
                        _ => v.push(Self::value(b, i)),
                    }
                }
            }
            b'"' => {
                Self::string(b, i);
                Ordered::Leaf
            }
            _ => {
                while *i < b.len()
                    && !matches!(b[*i], b',' | b'}' | b']')
                    && !b[*i].is_ascii_whitespace()
                {
                    *i += 1;
                }
                Ordered::Leaf
            }
        }
    }
}

/// Shared keys come in the same relative order, at every level (metadata maps excepted).
fn assert_key_order(path: &str, reference: &Ordered, ours: &Ordered) {
    match (reference, ours) {
        (Ordered::Object(r), Ordered::Object(o)) => {
            let shared_ref: Vec<&String> = r
                .iter()
                .map(|(k, _)| k)
                .filter(|k| o.iter().any(|(ok, _)| ok == *k))
                .collect();
            let shared_ours: Vec<&String> = o
                .iter()
                .map(|(k, _)| k)
                .filter(|k| r.iter().any(|(rk, _)| rk == *k))
                .collect();
            assert_eq!(shared_ours, shared_ref, "{path}: key order");
            for (k, ov) in o {
                if k == "metadata" {
                    continue;
                }
                if let Some((_, rv)) = r.iter().find(|(rk, _)| rk == k) {
                    assert_key_order(&format!("{path}.{k}"), rv, ov);
                }
            }
        }
        (Ordered::Array(r), Ordered::Array(o)) => {
            for (i, (rv, ov)) in r.iter().zip(o).enumerate() {
                assert_key_order(&format!("{path}[{i}]"), rv, ov);
            }
        }
        _ => {}
    }
}

fn get_raw(server: &Server, path: &str) -> String {
    let port = server.http_port().expect("http port");
    http_get(port, path).unwrap_or_else(|e| panic!("GET {path}: {e:#}"))
}

/// Types and values (sorted-key documents) plus key order (from the raw text).
fn assert_compatible_raw(path: &str, reference: &str, ours: &str) {
    let parse = |t: &str| -> Value { serde_json::from_str(t).expect("JSON") };
    assert_compatible(path, &parse(reference), &parse(ours));
    assert_key_order(path, &Ordered::parse(reference), &Ordered::parse(ours));
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Recursively: every key of `ours` exists in `reference` with the same JSON type; arrays
/// compare their elements pairwise. (Key order: [`assert_key_order`].)
fn assert_compatible(path: &str, reference: &Value, ours: &Value) {
    assert_eq!(kind_of(reference), kind_of(ours), "{path}: JSON type");
    match (reference, ours) {
        (Value::Object(r), Value::Object(o)) => {
            for (k, v) in o {
                let rv = r
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}: \"{k}\" is not in nats-server's answer"));
                // A metadata map holds server-specific keys; only its type matters.
                if k != "metadata" {
                    assert_compatible(&format!("{path}.{k}"), rv, v);
                }
            }
        }
        (Value::Array(r), Value::Array(o)) => {
            assert_eq!(r.len(), o.len(), "{path}: length");
            for (i, (rv, ov)) in r.iter().zip(o).enumerate() {
                assert_compatible(&format!("{path}[{i}]"), rv, ov);
            }
        }
        _ => {}
    }
}

/// One stream `ORDERS` with 3 messages and a durable pull consumer `C`.
async fn populate(server: &Server) {
    let client = async_nats::connect(server.client_url())
        .await
        .expect("connect");
    let js = jetstream::new(client);
    let s = js
        .create_stream(stream::Config {
            name: "ORDERS".into(),
            subjects: vec!["orders.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
    for i in 0..3 {
        js.publish(format!("orders.{i}"), format!("m{i}").into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    s.create_consumer(consumer::pull::Config {
        durable_name: Some("C".into()),
        description: Some("jsz test".into()),
        ..Default::default()
    })
    .await
    .expect("consumer");
}

fn pick<'a>(v: &'a Value, ptr: &str) -> &'a Value {
    v.pointer(ptr)
        .unwrap_or_else(|| panic!("{ptr} missing in {v:#}"))
}

fn assert_stable_fields(reference: &Value, ours: &Value, with_consumers: bool) {
    for ptr in [
        "/streams",
        "/consumers",
        "/messages",
        "/bytes",
        "/total",
        "/accounts",
        "/account_details/0/name",
        "/account_details/0/id",
        "/account_details/0/reserved_memory",
        "/account_details/0/storage",
        "/account_details/0/stream_detail/0/name",
        "/account_details/0/stream_detail/0/state/messages",
        "/account_details/0/stream_detail/0/state/bytes",
        "/account_details/0/stream_detail/0/state/first_seq",
        "/account_details/0/stream_detail/0/state/last_seq",
        "/account_details/0/stream_detail/0/state/consumer_count",
    ] {
        assert_eq!(pick(ours, ptr), pick(reference, ptr), "{ptr}");
    }
    if with_consumers {
        for ptr in [
            "/account_details/0/stream_detail/0/consumer_detail/0/stream_name",
            "/account_details/0/stream_detail/0/consumer_detail/0/name",
            "/account_details/0/stream_detail/0/consumer_detail/0/num_pending",
            "/account_details/0/stream_detail/0/consumer_detail/0/num_ack_pending",
        ] {
            assert_eq!(pick(ours, ptr), pick(reference, ptr), "{ptr}");
        }
    }
}

#[tokio::test]
async fn jsz_matches_nats_server() {
    let reference = start(Kind::NatsServer, true);
    let ours = start(Kind::Jetmirror, true);
    populate(&reference).await;
    populate(&ours).await;
    for path in [
        "/jsz",
        "/jsz?accounts=true",
        "/jsz?streams=true",
        "/jsz?streams=true&consumers=true",
        "/jsz?consumers=true&config=true",
    ] {
        let (rt, ot) = (get_raw(&reference, path), get_raw(&ours, path));
        assert_compatible_raw(path, &rt, &ot);
        let r: Value = serde_json::from_str(&rt).expect("JSON");
        let o: Value = serde_json::from_str(&ot).expect("JSON");
        for key in [
            "memory",
            "storage",
            "reserved_memory",
            "reserved_storage",
            "accounts",
            "ha_assets",
            "api",
            "server_id",
            "now",
            "config",
            "streams",
            "consumers",
            "messages",
            "bytes",
            "total",
        ] {
            assert!(o.get(key).is_some(), "{path}: jetmirror lacks \"{key}\"");
        }
        for key in ["max_memory", "max_storage", "store_dir", "sync_interval"] {
            assert!(o["config"].get(key).is_some(), "{path}: config lacks {key}");
        }
        if path == "/jsz" {
            assert!(o.get("account_details").is_none(), "{path}: no details");
            continue;
        }
        if path == "/jsz?accounts=true" {
            assert!(pick(&o, "/account_details/0")
                .get("stream_detail")
                .is_none());
            continue;
        }
        let consumers = path.contains("consumers");
        assert_stable_fields(&r, &o, consumers);
        let sd = pick(&o, "/account_details/0/stream_detail/0");
        assert_eq!(
            sd.get("config").is_some(),
            path.contains("config=true"),
            "{path}: stream config only with config=true"
        );
        assert!(sd.get("mirror").is_none(), "{path}: not a mirror");
        if consumers {
            let cd = pick(sd, "/consumer_detail/0");
            assert_eq!(cd.get("config").is_some(), path.contains("config=true"));
        } else {
            assert!(sd.get("consumer_detail").is_none());
        }
        let server_name = get(&ours, "/varz")["server_name"].clone();
        assert_eq!(
            sd["cluster"]["leader"], server_name,
            "{path}: cluster.leader"
        );
    }
}

#[test]
fn jsz_without_jetstream_is_disabled() {
    let reference = start(Kind::NatsServer, false);
    let ours = start(Kind::Jetmirror, false);
    for path in ["/jsz", "/jsz?streams=true&consumers=true"] {
        let (rt, ot) = (get_raw(&reference, path), get_raw(&ours, path));
        assert_compatible_raw(path, &rt, &ot);
        let mut r: Value = serde_json::from_str(&rt).expect("JSON");
        let mut o: Value = serde_json::from_str(&ot).expect("JSON");
        for v in [&mut r, &mut o] {
            let m = v.as_object_mut().expect("object");
            m.remove("server_id");
            m.remove("now");
        }
        assert_eq!(o, r, "{path}");
    }
}

#[test]
fn jsz_bad_boolean_is_400() {
    let ours = start(Kind::Jetmirror, true);
    let port = ours.http_port().expect("http port");
    let err = http_get(port, "/jsz?streams=maybe").expect_err("400");
    assert!(format!("{err:#}").contains("400"), "{err:#}");
}

/// A jetmirror mirror of a hub stream reports `mirror {name, external, lag, active}` with
/// nats-server's types, and catches up.
#[tokio::test]
async fn jsz_mirror_block() {
    let hub = Server::start(ServerSpec {
        jetstream: true,
        jetstream_domain: Some("hub".into()),
        ..ServerSpec::new(Kind::NatsServer)
    })
    .expect("hub");
    let side = Server::start(ServerSpec {
        config: format!(
            "server_name: leaf\nupstream {{\n  url: \"nats://127.0.0.1:{}\"\n}}\n",
            hub.port()
        ),
        jetstream: true,
        jetstream_domain: Some("leaf".into()),
        http: true,
        ..ServerSpec::new(Kind::Jetmirror)
    })
    .expect("side");
    let hub_js = jetstream::new(async_nats::connect(hub.client_url()).await.expect("hub"));
    hub_js
        .create_stream(stream::Config {
            name: "ORIG".into(),
            subjects: vec!["orig.>".into()],
            ..Default::default()
        })
        .await
        .expect("ORIG");
    for i in 0..4 {
        hub_js
            .publish(format!("orig.{i}"), "x".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let side_js = jetstream::new(async_nats::connect(side.client_url()).await.expect("side"));
    side_js
        .create_stream(stream::Config {
            name: "M".into(),
            mirror: Some(stream::Source {
                name: "ORIG".into(),
                domain: Some("hub".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("mirror");
    let deadline = Instant::now() + Duration::from_secs(15);
    let sd = loop {
        let v = get(&side, "/jsz?streams=true");
        let sd = pick(&v, "/account_details/0/stream_detail/0").clone();
        if sd["state"]["messages"] == 4 && sd["mirror"]["active"].as_i64().unwrap_or(-1) >= 0 {
            break sd;
        }
        assert!(Instant::now() < deadline, "mirror did not catch up: {sd:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let m = &sd["mirror"];
    assert_eq!(m["name"], "ORIG");
    assert_eq!(m["external"]["api"], "$JS.hub.API");
    assert!(m["external"]["deliver"].is_string());
    assert!(m["lag"].is_u64());
    assert!(m["active"]
        .as_i64()
        .is_some_and(|a| (0..5_000_000_000).contains(&a)));
    assert!(m.get("error").is_none());
    let raw = get_raw(&side, "/jsz?streams=true");
    let Ordered::Object(top) = Ordered::parse(&raw) else {
        panic!("not an object: {raw}");
    };
    let Some((_, Ordered::Array(accounts))) = top.iter().find(|(k, _)| k == "account_details")
    else {
        panic!("no account_details: {raw}");
    };
    let Some(Ordered::Object(acc)) = accounts.first() else {
        panic!("no account: {raw}");
    };
    let Some((_, Ordered::Array(streams))) = acc.iter().find(|(k, _)| k == "stream_detail") else {
        panic!("no stream_detail: {raw}");
    };
    let Some(Ordered::Object(sd)) = streams.first() else {
        panic!("no stream: {raw}");
    };
    let keys: Vec<&str> = sd.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["name", "created", "cluster", "state", "mirror"]);
    let Some((_, Ordered::Object(mirror))) = sd.iter().find(|(k, _)| k == "mirror") else {
        panic!("no mirror: {raw}");
    };
    let keys: Vec<&str> = mirror.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["name", "external", "lag", "active"]);
}
