//! Monitoring endpoints: the same request to nats-server 2.15.1 and to jetmirror must give
//! JSON documents whose keys (the ones jetmirror provides) have the same JSON types, in the
//! same order, since tools decode them into nats-server's Go structs.

use jetmirror_testkit::{http_get, Kind, Server, ServerSpec};
use serde_json::Value;

fn start(kind: Kind) -> Server {
    let mut spec = ServerSpec::new(kind);
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

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `ours` exists in `reference` with the same JSON type; `required` keys of the
/// reference must be present in ours; shared keys come in the same relative order.
fn assert_compatible(path: &str, reference: &Value, ours: &Value, required: &[&str]) {
    let (Value::Object(r), Value::Object(o)) = (reference, ours) else {
        panic!("{path}: not objects");
    };
    for (k, v) in o {
        if let Some(rv) = r.get(k) {
            assert_eq!(kind_of(rv), kind_of(v), "{path}: type of \"{k}\"");
        }
    }
    for k in required {
        assert!(o.contains_key(*k), "{path}: jetmirror lacks \"{k}\"");
    }
    let shared_ref: Vec<&String> = r.keys().filter(|k| o.contains_key(*k)).collect();
    let shared_ours: Vec<&String> = o.keys().filter(|k| r.contains_key(*k)).collect();
    assert_eq!(shared_ours, shared_ref, "{path}: key order");
}

#[test]
fn varz_has_nats_server_fields_and_types() {
    let reference = start(Kind::NatsServer);
    let ours = start(Kind::Jetmirror);
    let r = get(&reference, "/varz");
    let o = get(&ours, "/varz");
    let required = [
        "server_id",
        "server_name",
        "version",
        "proto",
        "go",
        "host",
        "port",
        "max_connections",
        "ping_interval",
        "ping_max",
        "http_host",
        "http_port",
        "http_base_path",
        "https_port",
        "auth_timeout",
        "max_control_line",
        "max_payload",
        "max_pending",
        "cluster",
        "gateway",
        "leaf",
        "mqtt",
        "websocket",
        "jetstream",
        "tls_timeout",
        "write_deadline",
        "start",
        "now",
        "uptime",
        "mem",
        "cores",
        "gomaxprocs",
        "cpu",
        "connections",
        "total_connections",
        "routes",
        "remotes",
        "leafnodes",
        "in_msgs",
        "in_bytes",
        "in_client_msgs",
        "in_client_bytes",
        "out_msgs",
        "out_bytes",
        "out_client_msgs",
        "out_client_bytes",
        "slow_consumers",
        "stale_connections",
        "stalled_clients",
        "subscriptions",
        "http_req_stats",
        "config_load_time",
        "config_digest",
        "slow_consumer_stats",
        "disk_io_wait_stats",
    ];
    assert_compatible("/varz", &r, &o, &required);
    assert_eq!(
        o["version"], r["version"],
        "clients gate features on the version"
    );
    assert_eq!(o["max_payload"], r["max_payload"]);
    assert_eq!(o["ping_interval"], r["ping_interval"]);
    assert_eq!(o["write_deadline"], r["write_deadline"]);
}

#[test]
fn connz_lists_connections_with_counters() {
    let reference = start(Kind::NatsServer);
    let ours = start(Kind::Jetmirror);
    let mut socks = Vec::new();
    for server in [&reference, &ours] {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        s.write_all(b"CONNECT {\"verbose\":false,\"name\":\"probe\",\"lang\":\"raw\",\"version\":\"1.0\"}\r\nSUB foo.> 1\r\nSUB bar 2\r\nPUB foo.x 5\r\nhello\r\nPING\r\n").unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("PONG") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
        socks.push(s);
    }
    let r = get(&reference, "/connz?subs=1");
    let o = get(&ours, "/connz?subs=1");
    assert_compatible(
        "/connz",
        &r,
        &o,
        &[
            "server_id",
            "now",
            "num_connections",
            "total",
            "offset",
            "limit",
            "connections",
        ],
    );
    let rc = &r["connections"][0];
    let oc = &o["connections"][0];
    assert_compatible(
        "/connz connection",
        rc,
        oc,
        &[
            "cid",
            "kind",
            "type",
            "ip",
            "port",
            "start",
            "last_activity",
            "uptime",
            "idle",
            "pending_bytes",
            "in_msgs",
            "out_msgs",
            "in_bytes",
            "out_bytes",
            "subscriptions",
            "name",
            "lang",
            "version",
            "subscriptions_list",
        ],
    );
    for key in [
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "subscriptions",
        "name",
        "lang",
        "version",
    ] {
        assert_eq!(oc[key], rc[key], "/connz: {key}");
    }
    // nats-server lists subscriptions in map order; compare them as sets.
    let sorted = |v: &Value| {
        let mut l: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect();
        l.sort();
        l
    };
    assert_eq!(
        sorted(&oc["subscriptions_list"]),
        sorted(&rc["subscriptions_list"])
    );
}

#[test]
fn subsz_and_healthz() {
    let reference = start(Kind::NatsServer);
    let ours = start(Kind::Jetmirror);
    let r = get(&reference, "/subsz");
    let o = get(&ours, "/subsz");
    assert_compatible(
        "/subsz",
        &r,
        &o,
        &[
            "server_id",
            "now",
            "num_subscriptions",
            "num_cache",
            "num_inserts",
            "num_removes",
            "num_matches",
            "cache_hit_rate",
            "max_fanout",
            "avg_fanout",
            "total",
            "offset",
            "limit",
        ],
    );
    let port = ours.http_port().expect("http port");
    assert_eq!(http_get(port, "/healthz").unwrap(), "{\"status\":\"ok\"}");
    let ref_port = reference.http_port().expect("http port");
    assert_eq!(
        http_get(port, "/healthz?js-enabled-only=true").unwrap(),
        http_get(ref_port, "/healthz?js-enabled-only=true").unwrap()
    );
}
