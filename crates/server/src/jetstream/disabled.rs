//! The JetStream API of an account without JetStream, while the node runs JetStream for
//! other accounts: every request gets nats-server's answer, the operation's response type
//! with error 10039 `JetStream not enabled for account` (and the operation's always-present
//! fields), answered inline at delivery. `DIRECT.GET` and `CONSUMER.MSG.NEXT` find no
//! responder, as on nats-server.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use jetmirror_stream::api::responses::{self, types};
use jetmirror_stream::ApiError;
use serde_json::{json, Value};
use tracing::warn;

use crate::accounts::AccountState;
use crate::router::{InternalHandler, RoutedMsg};

/// Answers one account's `$JS.API` requests with the not-enabled error.
struct DisabledApi {
    account: Weak<AccountState>,
}

/// The answer nats-server gives for the operation `op` (the tokens after `API`), or `None`
/// when it leaves the request unanswered (`Some(None)`) or has no responder (`None`).
fn answer(op: &[&str]) -> Option<Option<Vec<u8>>> {
    let e = ApiError::not_enabled_for_account();
    let with = |kind: &str, extra: Value| {
        let mut v =
            serde_json::from_slice::<Value>(&responses::error(kind, &e)).unwrap_or(json!({}));
        if let (Value::Object(m), Value::Object(x)) = (&mut v, extra) {
            m.extend(x);
        }
        serde_json::to_vec(&v).unwrap_or_default()
    };
    let paged = |kind: &str, key: &str, empty: Value| {
        let mut extra = serde_json::Map::new();
        extra.insert("total".into(), json!(0));
        extra.insert("offset".into(), json!(0));
        extra.insert("limit".into(), json!(0));
        extra.insert(key.into(), empty);
        with(kind, Value::Object(extra))
    };
    let body = match op {
        ["INFO"] => responses::error(types::ACCOUNT_INFO, &e),
        ["STREAM", "NAMES"] => paged(types::STREAM_NAMES, "streams", Value::Null),
        ["STREAM", "LIST"] => paged(types::STREAM_LIST, "streams", json!([])),
        ["STREAM", "CREATE", _] => responses::error(types::STREAM_CREATE, &e),
        ["STREAM", "UPDATE", _] => responses::error(types::STREAM_UPDATE, &e),
        ["STREAM", "DELETE", _] => responses::error(types::STREAM_DELETE, &e),
        ["STREAM", "INFO", _] => responses::paged_error(types::STREAM_INFO, &e),
        ["STREAM", "PURGE", _] => responses::purge_error(&e),
        ["STREAM", "MSG", "GET", _] => responses::error(types::STREAM_MSG_GET, &e),
        ["STREAM", "MSG", "DELETE", _] => responses::error(types::STREAM_MSG_DELETE, &e),
        ["STREAM", "SNAPSHOT", _] => {
            responses::error("io.nats.jetstream.api.v1.stream_snapshot_response", &e)
        }
        ["STREAM", "LEADER", "STEPDOWN", _] => {
            responses::error(types::STREAM_LEADER_STEPDOWN, &ApiError::cluster_required())
        }
        ["CONSUMER", "CREATE", ..] | ["CONSUMER", "DURABLE", "CREATE", _, _] => {
            responses::error(types::CONSUMER_CREATE, &e)
        }
        ["CONSUMER", "INFO", _, _] => responses::error(types::CONSUMER_INFO, &e),
        ["CONSUMER", "DELETE", _, _] => responses::error(types::CONSUMER_DELETE, &e),
        ["CONSUMER", "NAMES", _] => paged(types::CONSUMER_NAMES, "consumers", json!([])),
        ["CONSUMER", "LIST", _] => paged(types::CONSUMER_LIST, "consumers", json!([])),
        ["CONSUMER", "MSG", "NEXT", ..] | ["DIRECT", ..] => return None,
        _ => return Some(None),
    };
    Some(Some(body))
}

impl InternalHandler for DisabledApi {
    fn deliver(&self, _sid: &Bytes, msg: &RoutedMsg<'_>) -> bool {
        let tokens: Vec<&str> = msg.subject.split('.').collect();
        let op = match tokens.get(1) {
            Some(&"API") => tokens.get(2..),
            Some(_) if tokens.get(2) == Some(&"API") => tokens.get(3..),
            _ => None,
        };
        let Some(op) = op else { return false };
        let Some(body) = answer(op) else {
            return false;
        };
        let (Some(body), Some(reply), Some(account)) = (
            body,
            msg.reply.and_then(|r| std::str::from_utf8(r).ok()),
            self.account.upgrade(),
        ) else {
            return true;
        };
        account.deliver_internal(reply, None, None, None, &Bytes::from(body));
        true
    }
}

/// Subscribes the not-enabled answers in each of `accounts`.
pub fn install(accounts: &[Arc<AccountState>], domain: &str) {
    let mut prefixes = vec!["$JS.API.>".to_string()];
    if !domain.is_empty() {
        prefixes.push(format!("$JS.{domain}.API.>"));
    }
    for acc in accounts {
        let handler = Arc::new(DisabledApi {
            account: Arc::downgrade(acc),
        });
        for p in &prefixes {
            // The subscription lives as long as the account.
            if acc
                .subscribe_internal(p, None, "js-disabled", handler.clone())
                .is_err()
            {
                warn!(account = %acc.name, subject = %p, "cannot subscribe the JetStream API");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_nats_server() {
        let names = answer(&["STREAM", "NAMES"]).flatten().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&names),
            r#"{"type":"io.nats.jetstream.api.v1.stream_names_response","error":{"code":503,"err_code":10039,"description":"JetStream not enabled for account"},"total":0,"offset":0,"limit":0,"streams":null}"#
        );
        assert!(answer(&["DIRECT", "GET", "S"]).is_none());
        assert_eq!(answer(&["NOPE"]), Some(None));
    }
}
