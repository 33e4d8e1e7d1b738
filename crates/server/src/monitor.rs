//! HTTP monitoring on the `http` port (and HTTPS on `https_port`), with nats-server's paths,
//! field names, key order and JSON types: `/varz`, `/connz`, `/subsz` (`/subscriptionsz`),
//! `/routez`, `/healthz`, `/jsz`, `/accountz`.
//! Bodies are two-space indented JSON except `/healthz`, which is compact.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::info::{COMPAT_VERSION, GIT_COMMIT, RUNTIME};
use crate::server::ServerState;
use crate::time_fmt::{go_duration, rfc3339_nanos, uptime};

type Params = Query<HashMap<String, String>>;

/// Serves monitoring requests until the server shuts down.
pub async fn serve(state: Arc<ServerState>, listener: TcpListener) {
    serve_on(state, listener).await;
}

/// Serves monitoring requests over TLS (`https_port`) with the client port's
/// certificate, until the server shuts down.
pub async fn serve_https(
    state: Arc<ServerState>,
    listener: TcpListener,
    tls: Arc<crate::tls::ServerTls>,
) {
    let shutdown = state.shutdown_token().clone();
    serve_on(
        state,
        crate::tls::HttpsListener::new(listener, tls, shutdown),
    )
    .await;
}

async fn serve_on<L>(state: Arc<ServerState>, listener: L)
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let app = Router::new()
        .route("/", any(root))
        .route("/varz", any(varz))
        .route("/connz", any(connz))
        .route("/subsz", any(subsz))
        .route("/subscriptionsz", any(subsz))
        .route("/routez", any(routez))
        .route("/healthz", any(healthz))
        .route("/jsz", any(jsz))
        .route("/accountz", any(accountz))
        .fallback(not_found)
        .with_state(state.clone());
    let shutdown = state.shutdown_token().clone();
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
}

fn count(state: &ServerState, path: &str) {
    *state
        .http_req_stats
        .lock()
        .entry(path.to_string())
        .or_insert(0) += 1;
}

fn json_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn pretty(v: &Value) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_string_pretty(v).unwrap_or_default(),
    )
}

fn bad_request(text: String) -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(text))
        .unwrap_or_else(|_| StatusCode::BAD_REQUEST.into_response())
}

async fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from("404 page not found\n"))
        .unwrap_or_else(|_| StatusCode::NOT_FOUND.into_response())
}

async fn root(State(state): State<Arc<ServerState>>) -> Response {
    count(&state, "/");
    let links = ["varz", "connz", "routez", "subsz", "jsz", "healthz"]
        .iter()
        .map(|p| format!("<a href=\"./{p}\">{p}</a><br/>"))
        .collect::<String>();
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(format!(
            "<html><body><h1>jetmirror</h1>{links}</body></html>"
        )))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Go's `strconv.ParseBool`. (An error is the HTTP answer itself, hence the large Err.)
#[allow(clippy::result_large_err)]
fn parse_bool(name: &str, v: Option<&String>) -> Result<bool, Response> {
    match v.map(String::as_str) {
        None | Some("") => Ok(false),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Ok(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Ok(false),
        Some(other) => Err(bad_request(format!(
            "Error decoding boolean for '{name}': strconv.ParseBool: parsing \"{other}\": invalid syntax"
        ))),
    }
}

/// `offset` and `limit` query parameters (default limit 1024, as nats-server's lists).
#[allow(clippy::result_large_err)]
fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let offset = parse_int("offset", q.get("offset"))?.unwrap_or(0).max(0);
    let limit = parse_int("limit", q.get("limit"))?
        .filter(|l| *l > 0)
        .unwrap_or(1024);
    Ok((
        usize::try_from(offset).unwrap_or(0),
        usize::try_from(limit).unwrap_or(1024),
    ))
}

/// Go's `strconv.Atoi` for a query parameter.
#[allow(clippy::result_large_err)]
fn parse_int(name: &str, v: Option<&String>) -> Result<Option<i64>, Response> {
    match v.map(String::as_str) {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            bad_request(format!(
                "Error decoding int for '{name}': strconv.Atoi: parsing \"{s}\": invalid syntax"
            ))
        }),
    }
}

fn resident_memory_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn cpu_percent(state: &ServerState) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: utime and stime are the 14th and 15th fields overall.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11usize, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    let secs = state.started.elapsed().as_secs_f64().max(0.001);
    ((ticks / 100.0) / secs * 1000.0).round() / 10.0
}

/// A float64 as Go's encoding/json writes it: whole numbers without a fraction (`2`,
/// not `2.0`).
fn go_float(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

async fn varz(State(state): State<Arc<ServerState>>) -> Response {
    count(&state, "/varz");
    let o = state.opts();
    let addr = state.client_addr();
    let http_port = state.http_addr().map_or(0, |a| a.port());
    let msgs = state.counters.msgs.snapshot();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let now = SystemTime::now();
    // Filled in when the JetStream layer lands; `{}` is what nats-server shows without it.
    let jetstream = json!({});
    let tls = state.tls();
    let tls_required = tls.is_some() && !o.allow_non_tls;
    let tls_verify = tls.as_ref().is_some_and(|t| t.verify);
    let v = json!({
        "server_id": state.server_id,
        "server_name": state.server_name,
        "version": COMPAT_VERSION,
        "proto": 1,
        "git_commit": GIT_COMMIT,
        "go": RUNTIME,
        "host": o.host,
        "port": addr.map_or(0, |a| a.port()),
        "auth_required": state.authenticator().required(),
        "tls_required": tls_required,
        "tls_verify": tls_verify,
        "max_connections": o.max_connections,
        "max_subscriptions": o.max_subscriptions,
        "ping_interval": state.ping_interval().as_nanos() as u64,
        "ping_max": o.ping_max,
        "http_host": o.http_host,
        "http_port": http_port,
        "http_base_path": o.http_base_path.clone().unwrap_or_default(),
        "https_port": state.https_addr().map_or(0, |a| i32::from(a.port())),
        "auth_timeout": go_float(state.auth_timeout().as_secs_f64()),
        "max_control_line": state.max_control_line(),
        "max_payload": o.max_payload,
        "max_pending": o.max_pending,
        "cluster": {},
        "gateway": {},
        "leaf": {},
        "mqtt": {},
        "websocket": {},
        "jetstream": jetstream,
        "tls_timeout": go_float(o.tls.as_ref().map_or(2.0, |t| t.timeout.as_secs_f64())),
        "write_deadline": state.write_deadline().as_nanos() as u64,
        "start": rfc3339_nanos(state.start_time),
        "now": rfc3339_nanos(now),
        "uptime": uptime(state.started.elapsed()),
        "mem": resident_memory_bytes(),
        "cores": cores,
        "gomaxprocs": cores,
        "cpu": cpu_percent(&state),
        "connections": state.num_clients(),
        "total_connections": state.counters.total_connections.load(Ordering::Relaxed),
        "routes": 0,
        "remotes": 0,
        "leafnodes": 0,
        "in_msgs": msgs.in_msgs,
        "in_bytes": msgs.in_bytes,
        "in_client_msgs": msgs.in_msgs,
        "in_client_bytes": msgs.in_bytes,
        "out_msgs": msgs.out_msgs,
        "out_bytes": msgs.out_bytes,
        "out_client_msgs": msgs.out_msgs,
        "out_client_bytes": msgs.out_bytes,
        "slow_consumers": state.counters.slow_consumers.load(Ordering::Relaxed),
        "stale_connections": state.counters.stale_connections.load(Ordering::Relaxed),
        "stalled_clients": 0,
        "subscriptions": state.accounts.num_subscriptions(),
        "http_req_stats": *state.http_req_stats.lock(),
        "config_load_time": rfc3339_nanos(state.config_load_time),
        "config_digest": "",
        "system_account": state.accounts.system_account().unwrap_or_default(),
        "slow_consumer_stats": {
            "clients": state.counters.slow_consumers.load(Ordering::Relaxed),
            "routes": 0, "gateways": 0, "leafs": 0
        },
        "stale_connection_stats": {
            "clients": state.counters.stale_connections.load(Ordering::Relaxed),
            "routes": 0, "gateways": 0, "leafs": 0
        },
        "disk_io_wait_stats": {"waiters": 0, "waits": 0, "wait_time": 0, "max_wait_time": 0},
    });
    let mut v = v;
    if let Value::Object(m) = &mut v {
        // omitempty keys
        if !state.authenticator().required() {
            m.shift_remove("auth_required");
        }
        if o.max_subscriptions == 0 {
            m.shift_remove("max_subscriptions");
        }
        if state.accounts.system_account().is_none() {
            m.shift_remove("system_account");
        }
        if !tls_required {
            m.shift_remove("tls_required");
        }
        if !tls_verify {
            m.shift_remove("tls_verify");
        }
        if let Some(after) = tls.as_ref().and_then(|t| t.cert_not_after.clone()) {
            m.insert("tls_cert_not_after".to_string(), Value::String(after));
        }
    }
    pretty(&v)
}

/// One row of `/connz`, open or closed.
struct ConnRow {
    cid: u64,
    ip: String,
    port: u16,
    start: SystemTime,
    last_activity: SystemTime,
    stop: Option<SystemTime>,
    reason: Option<&'static str>,
    rtt: Option<std::time::Duration>,
    pending: usize,
    counters: crate::stats::CounterSnapshot,
    subs: Vec<crate::client::SubDetail>,
    name: String,
    lang: String,
    version: String,
    user: Option<String>,
    account: String,
}

async fn connz(State(state): State<Arc<ServerState>>, Query(q): Params) -> Response {
    count(&state, "/connz");
    let subs_detail = q.get("subs").map(String::as_str) == Some("detail");
    let with_subs = if subs_detail {
        true
    } else {
        match parse_bool("subs", q.get("subs")) {
            Ok(b) => b,
            Err(r) => return r,
        }
    };
    let with_auth = match parse_bool("auth", q.get("auth")) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (offset, limit) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let cid_filter = match parse_int("cid", q.get("cid")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let state_param = q.get("state").map(String::as_str).unwrap_or("open");
    let (want_open, want_closed) = match state_param {
        "open" | "" => (true, false),
        "closed" => (false, true),
        "any" | "all" => (true, true),
        other => return bad_request(format!("Error decoding state for {other}")),
    };

    let mut rows: Vec<ConnRow> = Vec::new();
    if want_open {
        for c in state.clients() {
            let meta = c.meta.lock().clone();
            rows.push(ConnRow {
                cid: c.cid,
                ip: meta.addr.ip().to_string(),
                port: meta.addr.port(),
                start: meta.start,
                last_activity: meta.last_activity,
                stop: None,
                reason: None,
                rtt: meta.rtt,
                pending: c.out.pending_bytes(),
                counters: c.counters.snapshot(),
                subs: c.sub_details(),
                name: meta.name,
                lang: meta.lang,
                version: meta.version,
                user: meta.user,
                account: meta.account,
            });
        }
    }
    if want_closed {
        for c in state.closed_clients() {
            rows.push(ConnRow {
                cid: c.cid,
                ip: c.addr.ip().to_string(),
                port: c.addr.port(),
                start: c.start,
                last_activity: c.last_activity,
                stop: Some(c.stop),
                reason: Some(c.reason),
                rtt: c.rtt,
                pending: 0,
                counters: c.counters,
                subs: c.subscriptions,
                name: c.name,
                lang: c.lang,
                version: c.version,
                user: c.user,
                account: c.account,
            });
        }
    }
    if let Some(cid) = cid_filter {
        rows.retain(|r| r.cid as i64 == cid);
    }
    if let Some(acc) = q.get("acc").filter(|a| !a.is_empty()) {
        rows.retain(|r| r.account == *acc);
    }
    match q.get("sort").map(String::as_str).unwrap_or("cid") {
        "cid" | "" => rows.sort_by_key(|r| r.cid),
        "start" => rows.sort_by_key(|r| r.start),
        "subs" => rows.sort_by_key(|r| std::cmp::Reverse(r.subs.len())),
        "pending" => rows.sort_by_key(|r| std::cmp::Reverse(r.pending)),
        "msgs_to" => rows.sort_by_key(|r| std::cmp::Reverse(r.counters.out_msgs)),
        "msgs_from" => rows.sort_by_key(|r| std::cmp::Reverse(r.counters.in_msgs)),
        "bytes_to" => rows.sort_by_key(|r| std::cmp::Reverse(r.counters.out_bytes)),
        "bytes_from" => rows.sort_by_key(|r| std::cmp::Reverse(r.counters.in_bytes)),
        "last" => rows.sort_by_key(|r| std::cmp::Reverse(r.last_activity)),
        "idle" => rows.sort_by_key(|r| r.last_activity),
        "uptime" => rows.sort_by_key(|r| r.start),
        "rtt" => rows.sort_by_key(|r| std::cmp::Reverse(r.rtt)),
        "stop" if want_closed => rows.sort_by_key(|r| std::cmp::Reverse(r.stop)),
        "reason" if want_closed => rows.sort_by_key(|r| r.reason),
        other => return bad_request(format!("Invalid sorting option: {other}")),
    }
    let total = rows.len();
    let now = SystemTime::now();
    let conns: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|r| {
            let end = r.stop.unwrap_or(now);
            let mut m = serde_json::Map::new();
            m.insert("cid".into(), json!(r.cid));
            m.insert("kind".into(), json!("Client"));
            m.insert("type".into(), json!("nats"));
            m.insert("ip".into(), json!(r.ip));
            m.insert("port".into(), json!(r.port));
            m.insert("start".into(), json!(rfc3339_nanos(r.start)));
            m.insert(
                "last_activity".into(),
                json!(rfc3339_nanos(r.last_activity)),
            );
            if let Some(stop) = r.stop {
                m.insert("stop".into(), json!(rfc3339_nanos(stop)));
            }
            if let Some(reason) = r.reason {
                m.insert("reason".into(), json!(reason));
            }
            if let Some(rtt) = r.rtt {
                m.insert("rtt".into(), json!(go_duration(rtt)));
            }
            m.insert(
                "uptime".into(),
                json!(uptime(end.duration_since(r.start).unwrap_or_default())),
            );
            m.insert(
                "idle".into(),
                json!(uptime(
                    end.duration_since(r.last_activity).unwrap_or_default()
                )),
            );
            m.insert("pending_bytes".into(), json!(r.pending));
            m.insert("in_msgs".into(), json!(r.counters.in_msgs));
            m.insert("out_msgs".into(), json!(r.counters.out_msgs));
            m.insert("in_bytes".into(), json!(r.counters.in_bytes));
            m.insert("out_bytes".into(), json!(r.counters.out_bytes));
            m.insert("subscriptions".into(), json!(r.subs.len()));
            for (k, v) in [
                ("name", &r.name),
                ("lang", &r.lang),
                ("version", &r.version),
            ] {
                if !v.is_empty() {
                    m.insert(k.into(), json!(v));
                }
            }
            if with_auth {
                if let Some(u) = &r.user {
                    m.insert("authorized_user".into(), json!(u));
                }
                // As nats-server: `account` only outside `$G`.
                if r.account != crate::accounts::GLOBAL {
                    m.insert("account".into(), json!(r.account));
                }
            }
            if with_subs && !r.subs.is_empty() {
                let mut subs = r.subs.clone();
                subs.sort();
                if subs_detail {
                    let detail: Vec<Value> =
                        subs.iter().map(|s| sub_detail(None, s, r.cid)).collect();
                    m.insert("subscriptions_list_detail".into(), json!(detail));
                } else {
                    let subjects: Vec<&str> = subs.iter().map(|s| s.subject.as_str()).collect();
                    m.insert("subscriptions_list".into(), json!(subjects));
                }
            }
            // The account's name tag: always for open connections, outside `$G` for closed
            // ones (nats-server's ConnInfo `name_tag`).
            if with_auth && (r.stop.is_none() || r.account != crate::accounts::GLOBAL) {
                m.insert("name_tag".into(), json!(r.account));
            }
            Value::Object(m)
        })
        .collect();
    pretty(&json!({
        "server_id": state.server_id,
        "now": rfc3339_nanos(now),
        "num_connections": conns.len(),
        "total": total,
        "offset": offset,
        "limit": limit,
        "connections": conns,
    }))
}

async fn subsz(State(state): State<Arc<ServerState>>, Query(q): Params) -> Response {
    count(&state, "/subsz");
    let with_subs = match parse_bool("subs", q.get("subs")) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (offset, limit) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let stats = state.accounts.stats();
    let mut v = json!({
        "server_id": state.server_id,
        "now": rfc3339_nanos(SystemTime::now()),
        "num_subscriptions": stats.num_subscriptions,
        "num_cache": stats.num_cache,
        "num_inserts": stats.num_inserts,
        "num_removes": stats.num_removes,
        "num_matches": stats.num_matches,
        "cache_hit_rate": stats.cache_hit_rate,
        "max_fanout": stats.max_fanout,
        "avg_fanout": stats.avg_fanout,
        "total": 0,
        "offset": offset,
        "limit": limit,
    });
    if with_subs {
        let test = q.get("test").filter(|t| !t.is_empty());
        let only = q.get("acc").filter(|a| !a.is_empty());
        let mut list: Vec<Value> = Vec::new();
        for c in state.clients() {
            let account = c.meta.lock().account.clone();
            if only.is_some_and(|a| *a != account) {
                continue;
            }
            let mut subs = c.sub_details();
            subs.sort();
            for s in subs {
                if test.is_some_and(|t| !jetmirror_subject::matches(&s.subject, t)) {
                    continue;
                }
                list.push(sub_detail(Some(&account), &s, c.cid));
            }
        }
        let total = list.len();
        let page: Vec<Value> = list.into_iter().skip(offset).take(limit).collect();
        if let Value::Object(m) = &mut v {
            m.insert("total".into(), json!(total));
            if !page.is_empty() {
                m.insert("subscriptions_list".into(), json!(page));
            }
        }
    }
    pretty(&v)
}

/// nats-server's `SubDetail`: `account` and `account_tag` in `/subsz` (not in `/connz`),
/// `qgroup` and `max` only when set.
fn sub_detail(account: Option<&str>, s: &crate::client::SubDetail, cid: u64) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(a) = account {
        m.insert("account".into(), json!(a));
        m.insert("account_tag".into(), json!(a));
    }
    m.insert("subject".into(), json!(s.subject));
    if let Some(q) = &s.queue {
        m.insert("qgroup".into(), json!(q));
    }
    m.insert("sid".into(), json!(s.sid));
    m.insert("msgs".into(), json!(s.msgs));
    if s.max > 0 {
        m.insert("max".into(), json!(s.max));
    }
    m.insert("cid".into(), json!(cid));
    Value::Object(m)
}

/// `/accountz` and `/accountz?acc=NAME` (see [`crate::accountz`]).
async fn accountz(State(state): State<Arc<ServerState>>, Query(q): Params) -> Response {
    count(&state, "/accountz");
    match crate::accountz::accountz(&state, q.get("acc").map(String::as_str)) {
        Ok(v) => pretty(&v),
        Err(text) => bad_request(text),
    }
}

async fn routez(State(state): State<Arc<ServerState>>) -> Response {
    count(&state, "/routez");
    pretty(&json!({
        "server_id": state.server_id,
        "server_name": state.server_name,
        "now": rfc3339_nanos(SystemTime::now()),
        "num_routes": 0,
        "routes": [],
    }))
}

async fn healthz(State(state): State<Arc<ServerState>>, Query(q): Params) -> Response {
    count(&state, "/healthz");
    let mut flags = HashMap::new();
    for key in [
        "js-enabled-only",
        "js-server-only",
        "js-meta-only",
        "js-enabled",
        "details",
    ] {
        match parse_bool(key, q.get(key)) {
            Ok(v) => {
                flags.insert(key, v);
            }
            Err(r) => return r,
        }
    }
    let flag = |k: &str| flags.get(k).copied().unwrap_or(false);
    if state.client_addr().is_none() {
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"status":"error","error":"failed to be ready for connections"}"#.to_string(),
        );
    }
    // As nats-server's healthz: js-server-only stops before any JetStream check,
    // js-enabled-only / js-enabled after "is JetStream enabled"; the asset checks
    // (here: mirrors that stalled) come last.
    let check_assets = !flag("js-server-only")
        && !flag("js-enabled-only")
        && !flag("js-enabled")
        && state.jetstream_enabled();
    if check_assets {
        let opts = crate::jetstream::jsz::JszOptions::default();
        let stalled: Vec<(String, String)> = crate::jetstream::jsz::query(&state, opts)
            .await
            .into_iter()
            .flat_map(|(account, snap)| {
                snap.stalled_mirrors
                    .into_iter()
                    .map(move |e| (account.clone(), e))
            })
            .collect();
        if let Some((_, first)) = stalled.first() {
            let body = if flag("details") {
                let errors: Vec<Value> = stalled
                    .iter()
                    .map(|(account, e)| json!({"type": "STREAM", "account": account, "stream": stalled_stream(account, e), "error": e}))
                    .collect();
                json!({"status": "error", "errors": errors})
            } else {
                json!({"status": "unavailable", "error": first})
            };
            return json_response(StatusCode::SERVICE_UNAVAILABLE, body.to_string());
        }
    }
    json_response(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
}

/// The stream name of a `JetStream stream '<account> > NAME' …` health error.
fn stalled_stream<'a>(account: &str, text: &'a str) -> &'a str {
    text.split_once(&format!("'{account} > "))
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or("", |(name, _)| name)
}

/// 75% of the machine's memory: nats-server's default `max_memory`.
fn default_max_memory() -> i64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: i64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    kb * 1024 / 4 * 3
}

/// 75% of the space available where the store lives: nats-server's default `max_storage`
/// (1 TB when that cannot be determined).
fn default_max_storage(dir: &std::path::Path) -> i64 {
    const ONE_TB: i64 = 1 << 40;
    // The store directory may not exist yet: ask about its nearest existing ancestor.
    let mut probe = dir.to_path_buf();
    while !probe.exists() {
        if !probe.pop() {
            return ONE_TB;
        }
    }
    let Ok(c) = std::ffi::CString::new(probe.as_os_str().as_encoded_bytes()) else {
        return ONE_TB;
    };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a zeroed statvfs the call fills in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return ONE_TB;
    }
    let avail = (st.f_bavail as u128) * (st.f_frsize as u128);
    i64::try_from(avail / 4 * 3).unwrap_or(i64::MAX)
}

/// `/jsz`: nats-server's `JSInfo`. The account lives in the JetStream task, which answers
/// a snapshot query.
async fn jsz(State(state): State<Arc<ServerState>>, Query(q): Params) -> Response {
    count(&state, "/jsz");
    let mut flags = HashMap::new();
    for key in [
        "accounts",
        "streams",
        "consumers",
        "direct-consumers",
        "config",
        "leader-only",
        "raft",
        "stream-leader-only",
    ] {
        match parse_bool(key, q.get(key)) {
            Ok(v) => {
                flags.insert(key, v);
            }
            Err(r) => return r,
        }
    }
    let (offset, limit) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let flag = |k: &str| flags.get(k).copied().unwrap_or(false);
    let consumers = flag("consumers");
    let streams = consumers || flag("streams");
    let accounts = streams || flag("accounts");
    let opts = crate::jetstream::jsz::JszOptions {
        streams,
        consumers,
        config: flag("config"),
    };
    let now = rfc3339_nanos(SystemTime::now());
    let snaps = if state.jetstream_enabled() {
        Some(crate::jetstream::jsz::query(&state, opts).await)
    } else {
        None
    };
    let Some(snaps) = snaps else {
        // nats-server without JetStream (observed on 2.15.1).
        return pretty(&json!({
            "memory": 0,
            "storage": 0,
            "reserved_memory": 0,
            "reserved_storage": 0,
            "accounts": 0,
            "ha_assets": 0,
            "api": {"level": 0, "total": 0, "errors": 0},
            "server_id": state.server_id,
            "now": now,
            "disabled": true,
            "config": {"max_memory": 0, "max_storage": 0},
            "streams": 0,
            "consumers": 0,
            "messages": 0,
            "bytes": 0,
            "total": 0,
        }));
    };
    let o = state.opts();
    let js = o.jetstream.clone().unwrap_or_default();
    let store_dir = js
        .store_dir
        .clone()
        .or_else(|| o.store_dir.clone())
        .unwrap_or_else(|| std::env::temp_dir().join("nats"))
        .join("jetstream");
    let mut config = serde_json::Map::new();
    config.insert(
        "max_memory".into(),
        json!(js
            .max_memory_store
            .filter(|v| *v >= 0)
            .unwrap_or_else(default_max_memory)),
    );
    config.insert(
        "max_storage".into(),
        json!(js
            .max_file_store
            .filter(|v| *v >= 0)
            .unwrap_or_else(|| default_max_storage(&store_dir))),
    );
    config.insert("store_dir".into(), json!(store_dir.display().to_string()));
    match js.sync_interval {
        Some(jetmirror_config::SyncInterval::Always) => {
            config.insert("sync_always".into(), json!(true));
        }
        Some(jetmirror_config::SyncInterval::Every(d)) => {
            config.insert("sync_interval".into(), json!(d.as_nanos() as u64));
        }
        None => {
            config.insert("sync_interval".into(), json!(120_000_000_000u64));
        }
    }
    if let Some(d) = js.domain.as_ref().filter(|d| !d.is_empty()) {
        config.insert("domain".into(), json!(d));
    }
    if let Some(t) = js.unique_tag.as_ref().filter(|t| !t.is_empty()) {
        config.insert("unique_tag".into(), json!(t));
    }
    if js.strict.unwrap_or(true) {
        config.insert("strict".into(), json!(true));
    }
    // nats-server's `JSLimitOpts`: only what is set, in the struct's order.
    let mut limits = serde_json::Map::new();
    let l = &js.limits;
    for (key, value) in [
        ("max_request_batch", l.max_request_batch),
        ("max_ack_pending", l.max_ack_pending),
        ("max_ha_assets", l.max_ha_assets),
        ("max_duplicate_window", l.max_duplicate_window),
        (
            "max_batch_inflight_per_stream",
            l.max_batch_inflight_per_stream,
        ),
        ("max_batch_inflight_total", l.max_batch_inflight_total),
        ("max_batch_size", l.max_batch_size),
        ("max_batch_timeout", l.max_batch_timeout),
        (
            "default_max_consumers",
            l.default_max_consumers().unwrap_or(l.default_max_consumers),
        ),
    ] {
        if value != 0 {
            limits.insert(key.into(), json!(value));
        }
    }
    let mut total = crate::jetstream::jsz::JszSnapshot {
        api_level: jetmirror_stream::api::responses::API_LEVEL,
        ..Default::default()
    };
    for (_, s) in &snaps {
        total.memory += s.memory;
        total.storage += s.storage;
        total.streams += s.streams;
        total.consumers += s.consumers;
        total.messages += s.messages;
        total.bytes += s.bytes;
        total.api_total += s.api_total;
        total.api_errors += s.api_errors;
    }
    let snap = total;
    let mut v = json!({
        "memory": snap.memory,
        "storage": snap.storage,
        "reserved_memory": 0,
        "reserved_storage": 0,
        "accounts": snaps.len(),
        "ha_assets": 0,
        "api": {"level": snap.api_level, "total": snap.api_total, "errors": snap.api_errors},
        "server_id": state.server_id,
        "now": now,
        "config": config,
        "limits": limits,
        "streams": snap.streams,
        "consumers": snap.consumers,
        "messages": snap.messages,
        "bytes": snap.bytes,
    });
    if accounts {
        // Every JetStream account, or the one `acc` names; paged like nats-server.
        let wanted = q.get("acc").filter(|a| !a.is_empty());
        let mut details = Vec::new();
        for (name, snap) in snaps
            .iter()
            .filter(|(n, _)| wanted.is_none_or(|w| w == n))
            .skip(offset)
            .take(limit)
        {
            let mut d = json!({
                "name": name,
                "id": name,
                "memory": snap.memory,
                "storage": snap.storage,
                // nats-server shows the account's limit, or "unlimited" as u64::MAX.
                "reserved_memory": u64::try_from(snap.max_memory).unwrap_or(u64::MAX),
                "reserved_storage": u64::try_from(snap.max_storage).unwrap_or(u64::MAX),
                "accounts": 0,
                "ha_assets": 0,
                "api": {"level": 0, "total": snap.api_total, "errors": snap.api_errors},
            });
            if !snap.stream_detail.is_empty() {
                d["stream_detail"] = Value::Array(snap.stream_detail.clone());
            }
            details.push(d);
        }
        if !details.is_empty() {
            v["account_details"] = Value::Array(details);
        }
    }
    v["total"] = json!(snaps.len());
    pretty(&v)
}
