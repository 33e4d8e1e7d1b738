//! The `/accountz` monitoring document, with nats-server's fields, key order and JSON types
//! (monitor.go `Accountz`, `AccountInfo`, `ExtImport`, `ExtExport`): the list of account
//! names, or with `acc=NAME` that account's detail (exports, imports, connections,
//! subscriptions and subject index statistics).

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use jetmirror_config::ExportKind;
use serde_json::{json, Map, Value};

use crate::accounts::AccountState;
use crate::server::ServerState;
use crate::time_fmt::rfc3339_nanos;

/// `/accountz` (`acc` empty: the names) or `/accountz?acc=NAME`; `Err` carries nats-server's
/// 400 text for an unknown account.
pub fn accountz(state: &ServerState, acc: Option<&str>) -> Result<Value, String> {
    let mut v = Map::new();
    v.insert("server_id".into(), json!(state.server_id));
    v.insert("now".into(), json!(rfc3339_nanos(SystemTime::now())));
    if let Some(sys) = state.accounts.system_account() {
        v.insert("system_account".into(), json!(sys));
    }
    match acc.filter(|a| !a.is_empty()) {
        None => {
            let names: Vec<String> = state
                .accounts
                .all()
                .iter()
                .map(|a| a.name.clone())
                .collect();
            v.insert("accounts".into(), json!(names));
        }
        Some(name) => {
            let Some(a) = state.accounts.get(name) else {
                return Err(format!("Account {name} does not exist"));
            };
            v.insert("account_detail".into(), detail(state, &a));
        }
    }
    Ok(Value::Object(v))
}

fn detail(state: &ServerState, a: &AccountState) -> Value {
    let mut d = Map::new();
    d.insert("account_name".into(), json!(a.name));
    d.insert("update_time".into(), json!(rfc3339_nanos(a.updated)));
    if a.is_system {
        d.insert("is_system".into(), json!(true));
    }
    d.insert("expired".into(), json!(false));
    d.insert("complete".into(), json!(true));
    d.insert(
        "jetstream_enabled".into(),
        json!(state.jsz_queries.lock().contains_key(&a.name)),
    );
    d.insert("leafnode_connections".into(), json!(0));
    d.insert(
        "client_connections".into(),
        json!(a.clients.load(Ordering::Relaxed)),
    );
    let stats = a.router.stats();
    d.insert("subscriptions".into(), json!(stats.num_subscriptions));
    let exports = exports(a);
    if !exports.is_empty() {
        d.insert("exports".into(), Value::Array(exports));
    }
    // nats-server lists its own system imports here for every account, so the key is always
    // present there; jetmirror lists the configured imports (possibly none).
    d.insert("imports".into(), Value::Array(imports(state, a)));
    d.insert("name_tag".into(), json!(a.name));
    d.insert(
        "sublist_stats".into(),
        json!({
            "num_subscriptions": stats.num_subscriptions,
            "num_cache": stats.num_cache,
            "num_inserts": stats.num_inserts,
            "num_removes": stats.num_removes,
            "num_matches": stats.num_matches,
            "cache_hit_rate": stats.cache_hit_rate,
            "max_fanout": stats.max_fanout,
            "avg_fanout": stats.avg_fanout,
        }),
    );
    Value::Object(d)
}

/// Service exports first, then stream exports (nats-server's order), each as `jwt.Export`
/// plus `approved_accounts` when restricted.
fn exports(a: &AccountState) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in [ExportKind::Service, ExportKind::Stream] {
        for e in a.exports.iter().filter(|e| e.kind == kind) {
            let mut m = Map::new();
            m.insert("subject".into(), json!(e.subject));
            match kind {
                ExportKind::Service => {
                    m.insert("type".into(), json!("service"));
                    m.insert(
                        "response_type".into(),
                        json!(response_type(e.response_type.as_deref())),
                    );
                }
                ExportKind::Stream => {
                    m.insert("type".into(), json!("stream"));
                }
            }
            if !e.accounts.is_empty() {
                m.insert("approved_accounts".into(), json!(e.accounts));
            }
            out.push(Value::Object(m));
        }
    }
    out
}

/// nats-server's response type names (`Singleton` by default).
fn response_type(configured: Option<&str>) -> &'static str {
    match configured.map(str::to_ascii_lowercase).as_deref() {
        Some("stream") | Some("streamed") => "Streamed",
        Some("chunk") | Some("chunked") => "Chunked",
        _ => "Singleton",
    }
}

/// Stream imports first, then service imports, as `ExtImport`.
fn imports(state: &ServerState, a: &AccountState) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in [ExportKind::Stream, ExportKind::Service] {
        for i in a.imports.iter().filter(|i| i.kind == kind) {
            let invalid = state
                .accounts
                .get(&i.account)
                .is_none_or(|exp| !crate::accounts::authorized(&exp, i, &a.name));
            let mut m = Map::new();
            m.insert("subject".into(), json!(i.subject));
            m.insert("account".into(), json!(i.account));
            match kind {
                ExportKind::Stream => {
                    let local = match (&i.prefix, &i.to) {
                        (Some(p), _) if !p.is_empty() => format!("{p}.{}", i.subject),
                        (_, Some(t)) if !t.is_empty() => t.clone(),
                        _ => i.subject.clone(),
                    };
                    m.insert("local_subject".into(), json!(local));
                    m.insert("type".into(), json!("stream"));
                }
                ExportKind::Service => {
                    let local = i.to.clone().unwrap_or_else(|| i.subject.clone());
                    m.insert("to".into(), json!(local));
                    m.insert("local_subject".into(), json!(local));
                    m.insert("type".into(), json!("service"));
                }
            }
            m.insert("invalid".into(), json!(invalid));
            m.insert("share".into(), json!(false));
            m.insert("tracking".into(), json!(false));
            out.push(Value::Object(m));
        }
    }
    out
}
