//! `$JS.API` request dispatch: the subject names the operation and the stream (and
//! consumer); the body is parsed with nats-server's rules; the answer is the JSON envelope
//! with nats-server's `type` string, or its error. Stream lifetimes go to the account,
//! everything else becomes a command on the stream.

use bytes::Bytes;
use jetmirror_stream::account::parse_request;
use jetmirror_stream::api::consumer::{
    ConsumerAction, CreateConsumerRequest, NextRequest, PauseRequest, PauseResponse, UnpinRequest,
};
use jetmirror_stream::api::responses::{
    self, page, types, ConsumerListResponse, ConsumerNamesResponse, MsgGetResponse, PurgeResponse,
    StreamCreateResponse, StreamInfoResponse, Success, LIST_LIMIT, NAMES_LIMIT,
};
use jetmirror_stream::api::stream::{
    ApiStoredMsg, ClusterInfo, MsgGetRequest, PurgeRequest, StreamConfig, StreamInfoRequest,
};
use jetmirror_stream::{ApiError, Command, Outcome};
use rand::Rng;
use serde::Deserialize;

use super::{now_ns, Outgoing, Service};
use crate::internal::InternalMsg;

const CONSUMER_PAUSE: &str = "io.nats.jetstream.api.v1.consumer_pause_response";
const CONSUMER_UNPIN: &str = "io.nats.jetstream.api.v1.consumer_unpin_response";
const CONSUMER_RESET: &str = "io.nats.jetstream.api.v1.consumer_reset_response";

const STREAM_SNAPSHOT: &str = "io.nats.jetstream.api.v1.stream_snapshot_response";
const STREAM_RESTORE: &str = "io.nats.jetstream.api.v1.stream_restore_response";

/// nats-server `isEmptyRequest`: no body, or a JSON object without members.
fn is_empty_request(body: &[u8]) -> bool {
    body.is_empty()
        || serde_json::from_slice::<serde_json::Value>(body)
            .is_ok_and(|v| v.as_object().is_some_and(serde_json::Map::is_empty))
}

/// `STREAM.SNAPSHOT` body (the fields checked before a snapshot starts).
#[derive(Debug, Default, Deserialize)]
struct SnapshotRequest {
    #[serde(default)]
    deliver_subject: String,
}

/// `STREAM.RESTORE` body (the fields checked before a restore starts).
#[derive(Debug, Default, Deserialize)]
struct RestoreRequest {
    #[serde(default)]
    config: Option<StreamConfig>,
}

/// `STREAM.RESTORE` error answer (after the `type`): nats-server always adds the
/// (empty) deliver subject.
#[derive(serde::Serialize)]
struct RestoreError {
    error: ApiError,
    deliver_subject: &'static str,
}

/// `CONSUMER.RESET` body: the stream sequence to start again at (absent: past the ack floor).
#[derive(Debug, Default, Deserialize)]
struct ResetRequest {
    #[serde(default)]
    seq: u64,
}

/// `CONSUMER.RESET` error answer (after the `type`).
#[derive(serde::Serialize)]
struct ResetError {
    error: ApiError,
    reset_seq: u64,
}

/// `CONSUMER.RESET` answer: the consumer's info, then the sequence it delivers next.
#[derive(serde::Serialize)]
struct ResetResponse<'a> {
    #[serde(flatten)]
    info: &'a jetmirror_stream::api::consumer::ConsumerInfo,
    reset_seq: u64,
}
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A `CONSUMER.PAUSE` error answer (after the `type`).
#[derive(serde::Serialize)]
struct PauseError {
    error: ApiError,
    paused: bool,
    pause_until: &'static str,
}

/// Paging body of NAMES / LIST requests.
#[derive(Debug, Default, Deserialize)]
struct PagedRequest {
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    subject: String,
}

/// `STREAM.MSG.DELETE` body.
#[derive(Debug, Default, Deserialize)]
struct MsgDeleteRequest {
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    no_erase: bool,
}

/// Parses an optional body: empty means the default.
fn optional<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_request(body)
    }
}

/// A `domain` key in the mirror block (client-library sugar; nats-server never sees
/// it) becomes `external.api = $JS.<domain>.API` unless `external` is given.
fn domain_to_external(value: &mut serde_json::Value) {
    let Some(m) = value
        .get_mut("mirror")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let Some(domain) = m.remove("domain") else {
        return;
    };
    if let Some(d) = domain.as_str().filter(|d| !d.is_empty()) {
        if !m.contains_key("external") {
            m.insert(
                "external".into(),
                serde_json::json!({ "api": format!("$JS.{d}.API") }),
            );
        }
    }
}

/// A random ephemeral consumer name (nats-server uses 8 characters).
fn ephemeral_name() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// The JetStream API's catch-all subscription (`$JS.API.>`): every request on it reaches the
/// service, unknown ones included (nats-server answers those with silence), except
/// `DIRECT.GET`: only a stream that allows direct gets subscribes those, so without one the
/// requester gets no-responders, as from nats-server.
pub(super) struct ApiHandler(pub(super) std::sync::Arc<crate::internal::ChannelHandler>);

impl crate::router::InternalHandler for ApiHandler {
    fn deliver(&self, sid: &Bytes, msg: &crate::router::RoutedMsg<'_>) -> bool {
        let mut tokens = msg.subject.split('.');
        let after_api = match (tokens.next(), tokens.next()) {
            (Some("$JS"), Some("API")) => tokens.next(),
            (Some("$JS"), Some(_)) if tokens.next() == Some("API") => tokens.next(),
            _ => None,
        };
        if after_api == Some("DIRECT") && tokens.next() == Some("GET") {
            return false;
        }
        self.0.deliver(sid, msg)
    }
}

impl Service {
    fn reply(&mut self, to: &Option<String>, payload: Vec<u8>) {
        if let Some(to) = to {
            self.out.push(Outgoing {
                subject: to.clone(),
                wire_subject: None,
                reply: None,
                headers: None,
                payload: Bytes::from(payload),
            });
        }
    }

    /// [`Self::answer`] for responses whose error form carries more than `error`: an
    /// error is encoded as `body(&error)` after the `type`.
    fn answer_with<T: serde::Serialize>(
        &mut self,
        to: &Option<String>,
        kind: &str,
        result: Result<Vec<u8>, ApiError>,
        body: impl FnOnce(ApiError) -> T,
    ) {
        let result = result.or_else(|e| {
            self.api_errors += 1;
            Ok(responses::success(kind, &body(e)))
        });
        self.answer(to, kind, result);
    }

    fn answer(&mut self, to: &Option<String>, kind: &str, result: Result<Vec<u8>, ApiError>) {
        self.api_total += 1;
        let payload = match result {
            Ok(p) => p,
            Err(e) => {
                self.api_errors += 1;
                responses::error(kind, &e)
            }
        };
        self.reply(to, payload);
    }

    /// The 503 status a requester that asked for no-responders gets when no subscriber
    /// takes its request (the same message a client's own publish would produce).
    pub(super) fn no_responders(&mut self, subject: &str, to: String) {
        let headers = format!("NATS/1.0 503\r\nNats-Subject: {subject}\r\n\r\n");
        self.out.push(Outgoing {
            subject: to,
            wire_subject: None,
            reply: None,
            headers: Some(Bytes::from(headers)),
            payload: Bytes::new(),
        });
    }

    /// Handles a request on `$JS.API.…` (or `$JS.<domain>.API.…`).
    pub(super) fn api(&mut self, m: InternalMsg) {
        let tokens: Vec<&str> = m.subject.split('.').collect();
        // Skip `$JS.API` or `$JS.<domain>.API`.
        let op: Vec<String> = match tokens.get(1) {
            Some(&"API") => tokens.iter().skip(2).map(|t| t.to_string()).collect(),
            Some(_) if tokens.get(2) == Some(&"API") => {
                tokens.iter().skip(3).map(|t| t.to_string()).collect()
            }
            _ => return,
        };
        let op: Vec<&str> = op.iter().map(String::as_str).collect();
        let body = m.payload.clone();
        let reply = m.reply.clone();
        let now = now_ns();
        match op.as_slice() {
            ["INFO"] => {
                let mut info = self.account.info();
                info.limits = self.account_limits();
                info.api.total = self.api_total;
                info.api.errors = self.api_errors;
                self.api_total += 1;
                self.reply(&reply, responses::success(types::ACCOUNT_INFO, &info));
            }
            ["STREAM", "CREATE", name] => {
                let r = self.stream_create(name, &body, now, false);
                self.answer(&reply, types::STREAM_CREATE, r);
            }
            ["STREAM", "UPDATE", name] => {
                let r = self.stream_create(name, &body, now, true);
                self.answer(&reply, types::STREAM_UPDATE, r);
            }
            ["STREAM", "DELETE", name] => {
                let r = self.account.delete_stream(name, now).map(|fx| {
                    self.effects(name, fx);
                    self.unsubscribe_stream(name);
                    self.stop_mirror(name);
                    self.push_active.retain(|(s, _), _| s != name);
                    self.push_consumers_stale = true;
                    self.dirty.insert(name.to_string());
                    responses::success(types::STREAM_DELETE, &Success { success: true })
                });
                self.answer(&reply, types::STREAM_DELETE, r);
            }
            ["STREAM", "INFO", name] => {
                let r = optional::<StreamInfoRequest>(&body).and_then(|req| {
                    let s = self
                        .account
                        .stream(name)
                        .ok_or_else(ApiError::stream_not_found)?;
                    let filter =
                        (!req.subjects_filter.is_empty()).then_some(req.subjects_filter.as_str());
                    let mut info = s.info(now, req.deleted_details, filter);
                    // STREAM.INFO (unlike the create answer) names the JetStream domain.
                    info.domain = self.account.domain().to_string();
                    info.cluster = Some(ClusterInfo {
                        name: self.state.cluster_name(),
                        leader: self.state.server_name.clone(),
                    });
                    info.mirror = self.mirror_info(s.config());
                    info.sources = self.sources_info(name, now, false);
                    // With a subjects filter the answer pages the subject map
                    // (nats-server's JSMaxSubjectDetails is 100,000 a page).
                    let (total, limit) = match filter {
                        Some(_) => (info.state.subjects.len() as u64, 100_000),
                        None => (0, 0),
                    };
                    Ok(responses::success(
                        types::STREAM_INFO,
                        &StreamInfoResponse {
                            total,
                            offset: 0,
                            limit,
                            info: &info,
                        },
                    ))
                });
                self.paged_answer(&reply, types::STREAM_INFO, r);
            }
            ["STREAM", "NAMES"] => match optional::<PagedRequest>(&body) {
                Ok(req) => {
                    self.api_total += 1;
                    let names = self.account.stream_names(req.offset, &req.subject);
                    self.reply(&reply, responses::success(types::STREAM_NAMES, &names));
                }
                Err(e) => {
                    self.api_total += 1;
                    self.api_errors += 1;
                    self.reply(&reply, responses::paged_error(types::STREAM_NAMES, &e));
                }
            },
            ["STREAM", "LIST"] => match optional::<PagedRequest>(&body) {
                Ok(req) => {
                    self.api_total += 1;
                    let mut list = self.account.stream_list(req.offset, &req.subject, now);
                    for info in &mut list.streams {
                        info.mirror = self.mirror_info(&info.config);
                        info.sources = self.sources_info(&info.config.name, now, false);
                    }
                    self.reply(&reply, responses::success(types::STREAM_LIST, &list));
                }
                Err(e) => {
                    self.api_total += 1;
                    self.api_errors += 1;
                    self.reply(&reply, responses::paged_error(types::STREAM_LIST, &e));
                }
            },
            ["STREAM", "PURGE", name] => {
                let r = optional::<PurgeRequest>(&body).and_then(|request| {
                    if self.account.stream(name).is_none() {
                        return Err(ApiError::stream_not_found());
                    }
                    match self.apply(
                        name,
                        Command::Purge {
                            request,
                            now_ns: now,
                        },
                    ) {
                        Some(Outcome::Purged { purged }) => Ok(responses::success(
                            types::STREAM_PURGE,
                            &PurgeResponse {
                                success: true,
                                purged,
                            },
                        )),
                        Some(Outcome::Failed(e)) => Err(e),
                        _ => Err(ApiError::stream_not_found()),
                    }
                });
                self.api_total += 1;
                match r {
                    Ok(p) => self.reply(&reply, p),
                    Err(e) => {
                        self.api_errors += 1;
                        self.reply(&reply, responses::purge_error(&e));
                    }
                }
            }
            ["STREAM", "MSG", "GET", name] => {
                let r = parse_request::<MsgGetRequest>(&body).and_then(|req| {
                    let s = self
                        .account
                        .stream(name)
                        .ok_or_else(ApiError::stream_not_found)?;
                    let m = s.get_msg(&req)?;
                    Ok(responses::success(
                        types::STREAM_MSG_GET,
                        &MsgGetResponse {
                            message: ApiStoredMsg::from_stored(&m),
                        },
                    ))
                });
                // nats-server answers a found message outside its API layer
                // (jsMsgGetRequest), so only failed gets count in `api`.
                match r {
                    Ok(p) => self.reply(&reply, p),
                    Err(e) => self.answer(&reply, types::STREAM_MSG_GET, Err(e)),
                }
            }
            ["STREAM", "MSG", "DELETE", name] => {
                let r = parse_request::<MsgDeleteRequest>(&body).and_then(|req| {
                    if self.account.stream(name).is_none() {
                        return Err(ApiError::stream_not_found());
                    }
                    match self.apply(
                        name,
                        Command::DeleteMsg {
                            seq: req.seq,
                            no_erase: req.no_erase,
                            now_ns: now,
                        },
                    ) {
                        Some(Outcome::Failed(e)) => Err(e),
                        _ => Ok(responses::success(
                            types::STREAM_MSG_DELETE,
                            &Success { success: true },
                        )),
                    }
                });
                // nats-server (jsMsgDeleteRequest) counts a failed removal itself (the
                // sequence is not there, the store refused) as an answered request, not an
                // API error; the checks before it (stream, sealed, deny_delete) are errors.
                let removal_failed = r.as_ref().is_err_and(|e| {
                    e.err_code == 10043
                        || (e.err_code == 10057 && e.description != "message delete not permitted")
                });
                match r {
                    Err(e) if removal_failed => {
                        self.api_total += 1;
                        self.reply(&reply, responses::error(types::STREAM_MSG_DELETE, &e));
                    }
                    r => self.answer(&reply, types::STREAM_MSG_DELETE, r),
                }
            }
            ["STREAM", "LEADER", "STEPDOWN", _] => {
                self.answer(
                    &reply,
                    types::STREAM_LEADER_STEPDOWN,
                    Err(ApiError::cluster_required()),
                );
            }
            ["STREAM", "PEER", "REMOVE", _] => {
                self.answer(
                    &reply,
                    types::STREAM_REMOVE_PEER,
                    Err(ApiError::cluster_required()),
                );
            }
            ["DIRECT", "GET", name, rest @ ..] => {
                let Some(s) = self.account.stream(name) else {
                    return;
                };
                let subject = rest.join(".");
                let last = (!rest.is_empty()).then_some(subject.as_str());
                let max_pending = usize::try_from(self.state.opts().max_pending).unwrap_or(0);
                let replies = s.direct_get(&body, last, max_pending);
                if let Some(to) = reply {
                    for (headers, payload) in replies {
                        self.out.push(Outgoing {
                            subject: to.clone(),
                            wire_subject: None,
                            reply: None,
                            headers: Some(headers),
                            payload,
                        });
                    }
                }
            }
            ["CONSUMER", "CREATE", stream, rest @ ..] => {
                let (name, filter) = match rest {
                    [] => (None, None),
                    [name] => (Some(name.to_string()), None),
                    [name, filter @ ..] => (Some(name.to_string()), Some(filter.join("."))),
                };
                let r = self.consumer_create(stream, name, filter, false, &body, now);
                self.answer(&reply, types::CONSUMER_CREATE, r);
            }
            ["CONSUMER", "DURABLE", "CREATE", stream, durable] => {
                let r =
                    self.consumer_create(stream, Some(durable.to_string()), None, true, &body, now);
                self.answer(&reply, types::CONSUMER_CREATE, r);
            }
            ["CONSUMER", "INFO", stream, consumer] => {
                let r = self
                    .account
                    .stream(stream)
                    .ok_or_else(ApiError::stream_not_found)
                    .and_then(|s| {
                        s.consumer_info(consumer, now)
                            .ok_or_else(ApiError::consumer_not_found)
                    })
                    .map(|info| responses::success(types::CONSUMER_INFO, &info));
                self.answer(&reply, types::CONSUMER_INFO, r);
            }
            ["CONSUMER", "DELETE", stream, consumer] => {
                let r = if self.account.stream(stream).is_none() {
                    Err(ApiError::stream_not_found())
                } else {
                    match self.apply(
                        stream,
                        Command::DeleteConsumer {
                            name: consumer.to_string(),
                            now_ns: now,
                        },
                    ) {
                        Some(Outcome::Failed(e)) => Err(e),
                        _ => Ok(responses::success(
                            types::CONSUMER_DELETE,
                            &Success { success: true },
                        )),
                    }
                };
                self.answer(&reply, types::CONSUMER_DELETE, r);
            }
            ["CONSUMER", "NAMES", stream] => {
                let r = optional::<PagedRequest>(&body).and_then(|req| {
                    let s = self
                        .account
                        .stream(stream)
                        .ok_or_else(ApiError::stream_not_found)?;
                    let (consumers, total, offset, limit) =
                        page(&s.consumer_names(), req.offset, NAMES_LIMIT);
                    Ok(responses::success(
                        types::CONSUMER_NAMES,
                        &ConsumerNamesResponse {
                            total,
                            offset,
                            limit,
                            consumers,
                        },
                    ))
                });
                self.paged_answer(&reply, types::CONSUMER_NAMES, r);
            }
            ["CONSUMER", "LIST", stream] => {
                let r = optional::<PagedRequest>(&body).and_then(|req| {
                    let s = self
                        .account
                        .stream(stream)
                        .ok_or_else(ApiError::stream_not_found)?;
                    let (names, total, offset, limit) =
                        page(&s.consumer_names(), req.offset, LIST_LIMIT);
                    let consumers = names
                        .iter()
                        .filter_map(|n| s.consumer_list_info(n, now))
                        .collect();
                    Ok(responses::success(
                        types::CONSUMER_LIST,
                        &ConsumerListResponse {
                            total,
                            offset,
                            limit,
                            consumers,
                            missing: Vec::new(),
                        },
                    ))
                });
                self.paged_answer(&reply, types::CONSUMER_LIST, r);
            }
            ["CONSUMER", "PAUSE", stream, consumer] => {
                let r = self.consumer_pause(stream, consumer, &body, now);
                // Errors keep the response's non-omitempty `paused` and `pause_until`.
                self.answer_with(&reply, CONSUMER_PAUSE, r, |error| PauseError {
                    error,
                    paused: false,
                    pause_until: GO_ZERO_TIME,
                });
            }
            ["CONSUMER", "UNPIN", stream, consumer] => {
                let r = self.consumer_unpin(stream, consumer, &body, now);
                self.answer(&reply, CONSUMER_UNPIN, r);
            }
            ["CONSUMER", "RESET", stream, consumer] => {
                // Each consumer answers its own resets (nats-server subscribes per
                // consumer): an unknown stream or consumer leaves the request unanswered.
                let known = self
                    .account
                    .stream(stream)
                    .is_some_and(|s| s.has_consumer(consumer));
                if known && reply.is_some() {
                    let r = self.consumer_reset(stream, consumer, &body, now);
                    // The answer always carries `reset_seq`, 0 with an error.
                    self.answer_with(&reply, CONSUMER_RESET, r, |error| ResetError {
                        error,
                        reset_seq: 0,
                    });
                }
            }
            ["STREAM", "SNAPSHOT", name] => {
                let r = self.stream_snapshot(name, &body);
                self.answer(&reply, STREAM_SNAPSHOT, r);
            }
            ["STREAM", "RESTORE", name] => {
                let r = Err(self.stream_restore(name, &body));
                self.answer_with(&reply, STREAM_RESTORE, r, |error| RestoreError {
                    error,
                    deliver_subject: "",
                });
            }
            ["STREAM", "PEER", "EVACUATE", _] => {
                self.answer(
                    &reply,
                    "io.nats.jetstream.api.v1.stream_evacuate_peer_response",
                    Err(ApiError::cluster_required()),
                );
            }
            ["STREAM", "CANCEL_MOVE", _] => {
                self.answer(
                    &reply,
                    "io.nats.jetstream.api.v1.stream_cancel_move_response",
                    Err(ApiError::cluster_required()),
                );
            }
            ["CONSUMER", "MSG", "NEXT", stream, consumer] => {
                let Some(to) = reply else { return };
                let exists = self
                    .account
                    .stream(stream)
                    .is_some_and(|s| s.has_consumer(consumer));
                if !exists {
                    // nats-server has no subscriber on a missing consumer's
                    // MSG.NEXT subject: the requester gets no-responders.
                    if m.no_responders {
                        self.no_responders(&m.subject, to);
                    }
                    return;
                }
                match NextRequest::parse(&body) {
                    Ok(request) => {
                        self.apply(
                            stream,
                            Command::Pull {
                                consumer: consumer.to_string(),
                                reply: to,
                                request,
                                now_ns: now,
                            },
                        );
                    }
                    Err(e) => {
                        let h = jetmirror_protocol::headers::HeaderMap::with_status(
                            400,
                            Some(&format!("Bad Request - {e}")),
                        );
                        self.out.push(Outgoing {
                            subject: to,
                            wire_subject: None,
                            reply: None,
                            headers: Some(h.to_bytes()),
                            payload: Bytes::new(),
                        });
                    }
                }
            }
            ["CONSUMER", "MSG", "NEXT", ..] => {
                // Not a consumer's subject: nobody answers on nats-server either.
                if let (Some(to), true) = (reply, m.no_responders) {
                    self.no_responders(&m.subject, to);
                }
            }
            ["CONSUMER", "LEADER", "STEPDOWN", _, _] => {
                self.answer(
                    &reply,
                    types::CONSUMER_LEADER_STEPDOWN,
                    Err(ApiError::cluster_required()),
                );
            }
            _ => {}
        }
    }

    /// StreamInfo's `mirror` block of a mirror stream.
    pub(super) fn mirror_info(
        &self,
        cfg: &StreamConfig,
    ) -> Option<jetmirror_stream::api::stream::StreamSourceInfo> {
        self.mirror_block(cfg)
    }

    fn paged_answer(&mut self, to: &Option<String>, kind: &str, r: Result<Vec<u8>, ApiError>) {
        self.api_total += 1;
        match r {
            Ok(p) => self.reply(to, p),
            Err(e) => {
                self.api_errors += 1;
                self.reply(to, responses::paged_error(kind, &e));
            }
        }
    }

    fn stream_create(
        &mut self,
        name: &str,
        body: &[u8],
        now: i64,
        update: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let mut value: serde_json::Value = parse_request(body)?;
        jetmirror_stream::account::strip_nulls(&mut value);
        domain_to_external(&mut value);
        let pedantic = value
            .get("pedantic")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let mut config: StreamConfig =
            serde_json::from_value(value).map_err(ApiError::invalid_json)?;
        if update {
            if config.name == name {
                self.apply_duplicate_window_limit(&mut config, pedantic)?;
                self.check_stream_update_limits(&config, pedantic)?;
            }
            let (mut info, fx) = self.account.update_stream(name, &config, pedantic, now)?;
            self.effects(name, fx);
            self.dirty.insert(name.to_string());
            self.subscribe_stream(name);
            if info.config.mirror.is_none() {
                // Promotion (the mirror block removed): the mirror stops.
                self.stop_mirror(name);
            }
            info.mirror = self.mirror_info(&info.config);
            info.sources = self.sources_info(name, now, true);
            Ok(responses::success(types::STREAM_UPDATE, &info))
        } else {
            // Refuse what cannot run before anything is created.
            self.prepare_mirror_create(&mut config)?;
            if config.name == name {
                self.apply_duplicate_window_limit(&mut config, pedantic)?;
                self.check_stream_limits(&config)?;
            }
            let (mut info, fx) = self.account.create_stream(name, &config, pedantic, now)?;
            let created = !fx.is_empty();
            self.effects(name, fx);
            if created {
                self.dirty.insert(name.to_string());
                self.subscribe_stream(name);
                if let Err(e) = self.start_mirror(name) {
                    tracing::warn!(stream = %name, error = %e, "mirror not started");
                }
            }
            info.mirror = self.mirror_info(&info.config);
            info.sources = self.sources_info(name, now, true);
            // nats-server 2.15.1 answers `did_create: true` to an identical re-create too.
            Ok(responses::success(
                types::STREAM_CREATE,
                &StreamCreateResponse {
                    info: &info,
                    did_create: true,
                },
            ))
        }
    }

    /// The three CREATE forms and DURABLE.CREATE, with nats-server's name rules.
    /// `CONSUMER.PAUSE`: a body that is not a JSON object or array means "resume".
    fn consumer_pause(
        &mut self,
        stream: &str,
        consumer: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Vec<u8>, ApiError> {
        let is_json = body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
        let req: PauseRequest = if is_json {
            parse_request(body)?
        } else {
            PauseRequest::default()
        };
        if self.account.stream(stream).is_none() {
            return Err(ApiError::stream_not_found());
        }
        match self.apply(
            stream,
            Command::PauseConsumer {
                name: consumer.to_string(),
                pause_until: req.pause_until,
                now_ns: now,
            },
        ) {
            Some(Outcome::ConsumerPaused {
                paused,
                pause_until,
                pause_remaining,
            }) => Ok(responses::success(
                CONSUMER_PAUSE,
                &PauseResponse {
                    paused,
                    pause_until,
                    pause_remaining,
                },
            )),
            Some(Outcome::Failed(e)) => Err(e),
            _ => Err(ApiError::consumer_not_found()),
        }
    }

    /// `STREAM.SNAPSHOT`: the request is checked as nats-server checks it (empty body,
    /// unknown stream, JSON, deliver subject); snapshots themselves (nats-server's
    /// tar+s2 archive) are not produced, which is answered with 10064.
    fn stream_snapshot(&self, name: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        if is_empty_request(body) {
            return Err(ApiError::bad_request());
        }
        if self.account.stream(name).is_none() {
            return Err(ApiError::stream_not_found());
        }
        let req: SnapshotRequest = parse_request(body)?;
        if !jetmirror_subject::is_valid_publish_subject(&req.deliver_subject) {
            return Err(ApiError::snapshot_deliver_subject_invalid());
        }
        Err(ApiError::stream_snapshot(
            "stream snapshots are not supported by jetmirror",
        ))
    }

    /// `STREAM.RESTORE`: checked as nats-server checks it (empty body, JSON, the
    /// config's name); restoring an archive is not supported (10062).
    fn stream_restore(&self, name: &str, body: &[u8]) -> ApiError {
        if is_empty_request(body) {
            return ApiError::bad_request();
        }
        let req: RestoreRequest = match parse_request(body) {
            Ok(r) => r,
            Err(e) => return e,
        };
        if req.config.is_none_or(|c| c.name != name) {
            return ApiError::stream_mismatch();
        }
        ApiError::stream_restore("stream restores are not supported by jetmirror")
    }

    /// `CONSUMER.RESET` (empty, or `{"seq":…}`).
    fn consumer_reset(
        &mut self,
        stream: &str,
        consumer: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Vec<u8>, ApiError> {
        // nats-server reads this body with `json.Unmarshal`, whose truncated-input text
        // differs from the request decoder's.
        let req: ResetRequest = if body.is_empty() {
            ResetRequest::default()
        } else {
            parse_request(body).map_err(|mut e| {
                if e.description == "invalid JSON: unexpected EOF" {
                    e.description = "invalid JSON: unexpected end of JSON input".into();
                }
                e
            })?
        };
        match self.apply(
            stream,
            Command::ResetConsumer {
                name: consumer.to_string(),
                seq: req.seq,
                now_ns: now,
            },
        ) {
            Some(Outcome::ConsumerReset { info, reset_seq }) => Ok(responses::success(
                CONSUMER_RESET,
                &ResetResponse {
                    info: &info,
                    reset_seq,
                },
            )),
            Some(Outcome::Failed(e)) => Err(e),
            _ => Err(ApiError::consumer_not_found()),
        }
    }

    /// `CONSUMER.UNPIN` `{"group":…}`.
    fn consumer_unpin(
        &mut self,
        stream: &str,
        consumer: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Vec<u8>, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_json("unexpected end of JSON input"));
        }
        let req: UnpinRequest = parse_request(body)?;
        if req.group.is_empty() {
            return Err(ApiError::invalid_json("consumer group not specified"));
        }
        if !jetmirror_stream::validate::is_valid_group_name(&req.group) {
            return Err(ApiError::consumer_invalid_group_name());
        }
        if self.account.stream(stream).is_none() {
            return Err(ApiError::stream_not_found());
        }
        match self.apply(
            stream,
            Command::UnpinConsumer {
                name: consumer.to_string(),
                group: req.group,
                now_ns: now,
            },
        ) {
            Some(Outcome::Failed(e)) => Err(e),
            Some(_) => Ok(responses::success(CONSUMER_UNPIN, &serde_json::Map::new())),
            None => Err(ApiError::consumer_not_found()),
        }
    }

    fn consumer_create(
        &mut self,
        stream: &str,
        subject_name: Option<String>,
        subject_filter: Option<String>,
        durable_form: bool,
        body: &[u8],
        now: i64,
    ) -> Result<Vec<u8>, ApiError> {
        let req: CreateConsumerRequest = parse_request(body)?;
        if req.stream != stream {
            return Err(ApiError::stream_mismatch());
        }
        let Some(mut config) = req.config else {
            return Err(ApiError::consumer_config_required());
        };
        if self.account.stream(stream).is_none() {
            return Err(ApiError::stream_not_found());
        }
        match (&subject_name, durable_form) {
            (None, _) => {
                if !config.durable_name.is_empty() {
                    return Err(ApiError::consumer_ephemeral_with_durable_name());
                }
            }
            (Some(name), true) => {
                if config.durable_name.is_empty() {
                    return Err(ApiError::consumer_durable_name_not_set());
                }
                if &config.durable_name != name {
                    return Err(ApiError::consumer_durable_name_not_match_subject());
                }
            }
            (Some(name), false) => {
                if !config.durable_name.is_empty() && &config.durable_name != name {
                    return Err(ApiError::consumer_durable_name_not_match_subject());
                }
                if let Some(filter) = &subject_filter {
                    if !config.filter_subjects.is_empty() {
                        return Err(ApiError::consumer_multiple_filters_not_allowed());
                    }
                    if &config.filter_subject != filter {
                        return Err(ApiError::consumer_create_filter_subject_mismatch());
                    }
                }
                if config.name.is_empty() {
                    config.name = name.clone();
                } else if &config.name != name {
                    return Err(ApiError::consumer_create_durable_and_name_mismatch());
                }
            }
        }
        let action: ConsumerAction = req.action;
        self.apply_consumer_limits(stream, &mut config, req.pedantic)?;
        let exists = self.account.stream(stream).is_some_and(|s| {
            let names = s.consumer_names();
            [&config.name, &config.durable_name]
                .iter()
                .any(|n| !n.is_empty() && names.contains(n))
        });
        if !exists {
            self.check_consumer_limits(stream)?;
        }
        match self.apply(
            stream,
            Command::CreateConsumer {
                config,
                action,
                pedantic: req.pedantic,
                generated_name: ephemeral_name(),
                now_ns: now,
            },
        ) {
            Some(Outcome::ConsumerCreated(mut info)) => {
                // A push consumer whose deliver subject already has a subscriber is bound
                // from the start (`push_bound`), as nats-server reports it; delivery starts
                // on the next tick, after this answer.
                let deliver = info
                    .config
                    .as_ref()
                    .map(|c| c.deliver_subject.clone())
                    .unwrap_or_default();
                if !deliver.is_empty() && !self.acc.router.matches(&deliver).is_empty() {
                    info.push_bound = true;
                }
                Ok(responses::success(types::CONSUMER_CREATE, &*info))
            }
            Some(Outcome::Failed(e)) => Err(e),
            _ => Err(ApiError::stream_not_found()),
        }
    }
}
