//! Runs one scenario against one target and records what its clients observe.
//!
//! A recording is a list of observations, one JSON object per step that observed something
//! (`{"client":"a","expect":"PONG\r\n"}`), already normalised (see `normalize`). Nothing
//! here can hang: every read, connect and request has a timeout, and the whole scenario is
//! bounded by [`SCENARIO_TIMEOUT`]. A target that fails to start or misbehaves is recorded
//! as an observation, not an error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use futures::StreamExt;
use jetmirror_testkit::{upstream_pair_with, Kind, Server, ServerSpec};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use crate::normalize;
use crate::scenario::{
    Action, CollectArgs, ConnectArgs, Expect, JsRequest, Outgoing, Scenario, ServeArgs, Step,
};

/// Upper bound for one scenario on one target.
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);
/// Default wait for `expect`, `request` and `connect`.
const DEFAULT_WAIT: Duration = Duration::from_millis(2000);

/// A server binary to run scenarios against.
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: Kind,
    pub bin: PathBuf,
    /// The nats-server binary used for the hub of `mirror_pair` (always the reference).
    pub hub_bin: PathBuf,
}

/// What one run of one scenario produced.
#[derive(Debug, Default)]
pub struct Recording {
    pub observations: Vec<Value>,
    /// Steps whose `expect` text never came (checked on the reference: the scenario's own
    /// expectations must hold there).
    pub unmet: Vec<String>,
    /// Setup or harness trouble, for the report (the observation only says "failed").
    pub notes: Vec<String>,
}

/// The servers of a topology, by name.
struct Topo {
    servers: Vec<(String, Server)>,
    default: String,
}

impl Topo {
    fn port(&self, name: Option<&str>) -> Result<u16> {
        let name = name.unwrap_or(&self.default);
        self.servers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.port())
            .ok_or_else(|| anyhow!("no server named {name:?} in this topology"))
    }
}

fn start_topology(scenario: &Scenario, target: &Target) -> Result<Topo> {
    match scenario.topology {
        crate::scenario::Topology::Standalone => {
            let mut config = String::new();
            if !scenario.config.contains("server_name") {
                // A fixed name keeps INFO `server_name` and `cluster.leader` comparable.
                config.push_str("server_name: S1\n");
            }
            config.push_str(&scenario.config);
            let server = Server::start(ServerSpec {
                config,
                jetstream: scenario.jetstream,
                bin: Some(target.bin.clone()),
                ..ServerSpec::new(target.kind)
            })?;
            Ok(Topo {
                servers: vec![("main".to_string(), server)],
                default: "main".to_string(),
            })
        }
        crate::scenario::Topology::MirrorPair => {
            let (hub, side) = upstream_pair_with(
                target.kind,
                Some(target.hub_bin.clone()),
                Some(target.bin.clone()),
            )?;
            Ok(Topo {
                servers: vec![("hub".to_string(), hub), ("side".to_string(), side)],
                default: "side".to_string(),
            })
        }
        crate::scenario::Topology::Cluster => Err(anyhow!("cluster topology not built yet")),
    }
}

/// Runs `scenario` on `target`; never fails, never hangs.
pub async fn run(scenario: Arc<Scenario>, target: Target) -> Recording {
    let setup = {
        let scenario = scenario.clone();
        let target = target.clone();
        tokio::task::spawn_blocking(move || start_topology(&scenario, &target))
    };
    let topo = match timeout(Duration::from_secs(40), setup).await {
        Ok(Ok(Ok(topo))) => topo,
        Ok(Ok(Err(err))) => return failed_setup(format!("{err:#}")),
        Ok(Err(err)) => return failed_setup(format!("setup task: {err}")),
        Err(_) => return failed_setup("setup timed out".into()),
    };
    let mut runner = Runner {
        topo: &topo,
        clients: HashMap::new(),
        recording: Recording::default(),
    };
    let steps = scenario.steps.clone();
    let finished = timeout(SCENARIO_TIMEOUT, async {
        for step in &steps {
            runner.step(step).await;
        }
    })
    .await;
    if finished.is_err() {
        runner
            .recording
            .observations
            .push(json!({"harness": "scenario timed out"}));
    }
    let Runner {
        clients, recording, ..
    } = runner;
    drop(clients);
    // Killing and reaping blocks briefly; keep it off the async workers.
    let _ = tokio::task::spawn_blocking(move || drop(topo)).await;
    recording
}

fn failed_setup(note: String) -> Recording {
    Recording {
        observations: vec![json!({"setup": "failed to start"})],
        unmet: Vec::new(),
        notes: vec![note],
    }
}

enum Client {
    Raw(RawClient),
    Nats(Box<NatsClient>),
}

struct Runner<'a> {
    topo: &'a Topo,
    clients: HashMap<String, Client>,
    recording: Recording,
}

impl Runner<'_> {
    fn observe(&mut self, step: &Step, value: Value) {
        let mut map = Map::new();
        map.insert("client".into(), Value::String(step.client.clone()));
        map.insert(step.action.key().into(), value);
        self.recording.observations.push(Value::Object(map));
    }

    async fn step(&mut self, step: &Step) {
        match self.try_step(step).await {
            Ok(Some(value)) => self.observe(step, value),
            Ok(None) => {}
            Err(err) => {
                self.recording.notes.push(format!(
                    "client {} {}: {err:#}",
                    step.client,
                    step.action.key()
                ));
                self.observe(step, json!({"harness_error": short_error(&err)}));
            }
        }
    }

    async fn try_step(&mut self, step: &Step) -> Result<Option<Value>> {
        let name = step.client.as_str();
        match &step.action {
            Action::Open(args) => {
                let port = self.topo.port(args.server.as_deref())?;
                let client = RawClient::open(port).await;
                match client {
                    Ok(client) => {
                        self.clients.insert(name.into(), Client::Raw(client));
                        Ok(None)
                    }
                    Err(err) => Ok(Some(json!({"error": short_error(&err)}))),
                }
            }
            Action::Connect(args) => {
                let port = self.topo.port(args.server.as_deref())?;
                match NatsClient::connect(port, args).await {
                    Ok(client) => {
                        self.clients
                            .insert(name.into(), Client::Nats(Box::new(client)));
                        Ok(Some(Value::String("ok".into())))
                    }
                    Err(err) => Ok(Some(json!({"error": err}))),
                }
            }
            Action::Close(_) => {
                if let Some(Client::Nats(client)) = self.clients.remove(name) {
                    let _ = timeout(DEFAULT_WAIT, client.client.flush()).await;
                }
                Ok(None)
            }
            action => match self.clients.get_mut(name) {
                Some(Client::Raw(client)) => {
                    let (value, unmet) = client.act(action).await?;
                    if let Some(unmet) = unmet {
                        self.recording.unmet.push(format!("client {name}: {unmet}"));
                    }
                    Ok(value)
                }
                Some(Client::Nats(client)) => {
                    let value = client.act(action).await;
                    for unmet in client.unmet.drain(..) {
                        self.recording.unmet.push(format!("client {name}: {unmet}"));
                    }
                    value
                }
                None => Err(anyhow!("no client {name:?} (open or connect it first)")),
            },
        }
    }
}

fn short_error(err: &anyhow::Error) -> String {
    err.to_string()
}

// ---------------------------------------------------------------------------------------
// raw clients

struct RawClient {
    stream: TcpStream,
    /// Bytes read but not yet recorded by an `expect`.
    pending: Vec<u8>,
    closed: bool,
}

impl RawClient {
    async fn open(port: u16) -> Result<RawClient> {
        let stream = timeout(DEFAULT_WAIT, TcpStream::connect(("127.0.0.1", port)))
            .await
            .map_err(|_| anyhow!("connect timed out"))?
            .context("connect")?;
        stream.set_nodelay(true)?;
        Ok(RawClient {
            stream,
            pending: Vec::new(),
            closed: false,
        })
    }

    async fn write(&mut self, bytes: &[u8]) {
        // A write to a socket the server already closed may or may not fail depending on
        // timing; the next read shows the close, so write errors are not recorded.
        let _ = timeout(DEFAULT_WAIT, self.stream.write_all(bytes)).await;
        let _ = timeout(DEFAULT_WAIT, self.stream.flush()).await;
    }

    /// Reads more bytes into `pending`, until `deadline`. False when nothing more can come.
    async fn fill(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let mut buf = [0u8; 16384];
        match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
            Err(_) => false,
            Ok(Ok(0)) | Ok(Err(_)) => {
                // EOF and reset both mean "the server closed the connection".
                self.closed = true;
                false
            }
            Ok(Ok(n)) => {
                self.pending
                    .extend_from_slice(buf.get(..n).unwrap_or_default());
                true
            }
        }
    }

    fn record(&mut self, upto: usize, check_closed: bool) -> Value {
        let taken: Vec<u8> = self.pending.drain(..upto.min(self.pending.len())).collect();
        let text = normalize::protocol(&String::from_utf8_lossy(&taken));
        if check_closed && self.closed && self.pending.is_empty() {
            json!({"recv": text, "closed": true})
        } else {
            Value::String(text)
        }
    }

    async fn act(&mut self, action: &Action) -> Result<(Option<Value>, Option<String>)> {
        match action {
            Action::Send(text) => {
                self.write(text.as_bytes()).await;
                Ok((None, None))
            }
            Action::SendSplit(parts) => {
                for part in parts {
                    self.write(part.as_bytes()).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok((None, None))
            }
            Action::SendFill(fill) => {
                let mut text = fill.before.clone();
                text.push_str(&fill.fill.repeat(fill.count));
                text.push_str(&fill.after);
                self.write(text.as_bytes()).await;
                Ok((None, None))
            }
            Action::Expect(expect) => {
                let (until, wait, unordered) = match expect {
                    Expect::Until(until) => (until.as_str(), DEFAULT_WAIT, false),
                    Expect::Full {
                        until,
                        timeout_ms,
                        unordered,
                    } => (
                        until.as_str(),
                        timeout_ms
                            .map(Duration::from_millis)
                            .unwrap_or(DEFAULT_WAIT),
                        *unordered,
                    ),
                };
                let deadline = Instant::now() + wait;
                let needle = until.as_bytes();
                loop {
                    if let Some(at) = find(&self.pending, needle) {
                        let mut value = self.record(at + needle.len(), true);
                        if unordered {
                            sort_frames(&mut value);
                        }
                        return Ok((Some(value), None));
                    }
                    if !self.fill(deadline).await {
                        let len = self.pending.len();
                        let mut value = self.record(len, false);
                        let mut map = match value.take() {
                            Value::String(text) => {
                                let mut map = Map::new();
                                map.insert("recv".into(), Value::String(text));
                                map
                            }
                            _ => Map::new(),
                        };
                        if self.closed {
                            map.insert("closed".into(), Value::Bool(true));
                        }
                        map.insert("unmet".into(), Value::String(until.to_string()));
                        return Ok((
                            Some(Value::Object(map)),
                            Some(format!("expected {until:?}, not received")),
                        ));
                    }
                }
            }
            Action::ExpectClosed(wait_ms) => {
                let deadline = Instant::now() + Duration::from_millis(wait_ms.unwrap_or(3000));
                while self.fill(deadline).await {}
                let len = self.pending.len();
                let text = self.record(len, false);
                let closed = self.closed;
                let unmet = (!closed).then(|| "expected the server to close".to_string());
                Ok((Some(json!({"recv": text, "closed": closed})), unmet))
            }
            Action::ExpectNothing(ms) => {
                let deadline = Instant::now() + Duration::from_millis(*ms);
                while self.fill(deadline).await {}
                let len = self.pending.len();
                let value = self.record(len, true);
                let unmet = (value != Value::String(String::new()))
                    .then(|| format!("expected nothing, got {value}"));
                Ok((Some(value), unmet))
            }
            other => Err(anyhow!(
                "{} is not a raw-client action (use connect for an async-nats client)",
                other.key()
            )),
        }
    }
}

/// Sorts the protocol frames of a recorded text (in place, in either recording shape).
fn sort_frames(value: &mut Value) {
    let text = match value {
        Value::String(text) => text,
        Value::Object(map) => match map.get_mut("recv") {
            Some(Value::String(text)) => text,
            _ => return,
        },
        _ => return,
    };
    let mut frames = split_frames(text);
    frames.sort();
    *text = frames.concat();
}

/// Splits protocol text into frames: a MSG/HMSG line with its payload, or one line.
fn split_frames(text: &str) -> Vec<String> {
    let mut frames = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |at| at + 1);
        let line = rest.get(..line_end).unwrap_or(rest);
        let mut end = line_end;
        if line.starts_with("MSG ") || line.starts_with("HMSG ") {
            let size = line
                .split_whitespace()
                .last()
                .and_then(|size| size.parse::<usize>().ok())
                .unwrap_or(0);
            end = (line_end + size + 2).min(rest.len());
        }
        let (frame, tail) = rest.split_at(end);
        frames.push(frame.to_string());
        rest = tail;
    }
    frames
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

// ---------------------------------------------------------------------------------------
// async-nats clients

struct NatsClient {
    client: async_nats::Client,
    subs: HashMap<String, async_nats::Subscriber>,
    errors: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Expectations (`js` with `until`) that were not met, for the runner.
    unmet: Vec<String>,
    /// The messages the last `collect` read (for `ack`).
    collected: Vec<async_nats::Message>,
}

impl Drop for NatsClient {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl NatsClient {
    async fn connect(port: u16, args: &ConnectArgs) -> std::result::Result<NatsClient, String> {
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        let mut options = async_nats::ConnectOptions::new()
            .connection_timeout(DEFAULT_WAIT)
            .request_timeout(Some(DEFAULT_WAIT))
            .ignore_discovered_servers()
            .max_reconnects(Some(1))
            .event_callback(move |event| {
                let sink = sink.clone();
                async move {
                    if let async_nats::Event::ServerError(err) = event {
                        if let Ok(mut sink) = sink.lock() {
                            sink.push(err.to_string());
                        }
                    }
                }
            });
        if let Some(name) = &args.name {
            options = options.name(name);
        }
        if let (Some(user), Some(password)) = (&args.user, &args.password) {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &args.token {
            options = options.token(token.clone());
        }
        if args.no_echo {
            options = options.no_echo();
        }
        let url = format!("nats://127.0.0.1:{port}");
        match timeout(DEFAULT_WAIT * 2, options.connect(url)).await {
            Ok(Ok(client)) => Ok(NatsClient {
                client,
                subs: HashMap::new(),
                errors,
                tasks: Vec::new(),
                unmet: Vec::new(),
                collected: Vec::new(),
            }),
            Ok(Err(err)) => Err(format!("{:?}", err.kind())),
            Err(_) => Err("timed out".into()),
        }
    }

    async fn flush(&self) -> Result<()> {
        timeout(DEFAULT_WAIT, self.client.flush())
            .await
            .map_err(|_| anyhow!("flush timed out"))?
            .map_err(|err| anyhow!("flush: {err}"))
    }

    async fn act(&mut self, action: &Action) -> Result<Option<Value>> {
        match action {
            Action::Subscribe(args) => {
                let subscriber = match &args.queue {
                    Some(queue) => {
                        self.client
                            .queue_subscribe(args.subject.clone(), queue.clone())
                            .await
                    }
                    None => self.client.subscribe(args.subject.clone()).await,
                }
                .map_err(|err| anyhow!("subscribe: {err}"))?;
                // The SUB must reach the server before later steps publish.
                self.flush().await?;
                let alias = args.alias.clone().unwrap_or_else(|| args.subject.clone());
                self.subs.insert(alias, subscriber);
                Ok(None)
            }
            Action::Unsubscribe(args) => {
                let sub = self
                    .subs
                    .get_mut(&args.sub)
                    .ok_or_else(|| anyhow!("no subscription {:?}", args.sub))?;
                match args.after {
                    Some(max) => sub.unsubscribe_after(max).await,
                    None => sub.unsubscribe().await,
                }
                .map_err(|err| anyhow!("unsubscribe: {err}"))?;
                self.flush().await?;
                Ok(None)
            }
            Action::Publish(out) => {
                let payload = outgoing_payload(out)?;
                let headers = header_map(&out.headers);
                let subject = out.subject.clone();
                let result = match (&out.reply, headers) {
                    (Some(reply), Some(headers)) => {
                        self.client
                            .publish_with_reply_and_headers(
                                subject,
                                reply.clone(),
                                headers,
                                payload,
                            )
                            .await
                    }
                    (Some(reply), None) => {
                        self.client
                            .publish_with_reply(subject, reply.clone(), payload)
                            .await
                    }
                    (None, Some(headers)) => {
                        self.client
                            .publish_with_headers(subject, headers, payload)
                            .await
                    }
                    (None, None) => self.client.publish(subject, payload).await,
                };
                match result {
                    Ok(()) => Ok(None),
                    Err(err) => Ok(Some(json!({"error": format!("{:?}", err.kind())}))),
                }
            }
            Action::Flush(_) => {
                self.flush().await?;
                Ok(None)
            }
            Action::Request(out) => {
                let payload = outgoing_payload(out)?;
                Ok(Some(
                    self.request(&out.subject, &out.headers, payload, out.timeout_ms)
                        .await,
                ))
            }
            Action::Js(js) => Ok(Some(self.js(js).await?)),
            Action::Serve(args) => self.serve(args).await,
            Action::Collect(args) => self.collect(args).await,
            Action::Ack(args) => {
                // Replies (e.g. `+ACK`, `-NAK`, `+TERM`) to the reply subjects of the messages
                // the last `collect` read, then a flush so the server has them.
                let targets: Vec<usize> = match args.index {
                    Some(index) => vec![index],
                    None => (0..self.collected.len()).collect(),
                };
                for index in targets {
                    let reply = self
                        .collected
                        .get(index)
                        .and_then(|message| message.reply.clone())
                        .ok_or_else(|| anyhow!("no collected message {index} with a reply"))?;
                    self.client
                        .publish(reply, args.body.clone().into())
                        .await
                        .map_err(|err| anyhow!("ack: {err}"))?;
                }
                self.flush().await?;
                Ok(None)
            }
            Action::Errors(args) => {
                // A round trip first, so that -ERRs caused by earlier steps have arrived; the
                // client reports them through its event task, so give it a bounded moment.
                let _ = self.flush().await;
                let deadline =
                    Instant::now() + Duration::from_millis(args.timeout_ms.unwrap_or(500));
                loop {
                    let seen = self
                        .errors
                        .lock()
                        .map(|errors| errors.len())
                        .unwrap_or_default();
                    if seen >= args.count.unwrap_or(1) || Instant::now() > deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let seen = self
                    .errors
                    .lock()
                    .map(|mut errors| std::mem::take(&mut *errors))
                    .unwrap_or_default();
                Ok(Some(json!(seen)))
            }
            other => Err(anyhow!(
                "{} is not an async-nats client action (use open for a raw client)",
                other.key()
            )),
        }
    }

    async fn request(
        &self,
        subject: &str,
        headers: &std::collections::BTreeMap<String, String>,
        payload: bytes::Bytes,
        timeout_ms: Option<u64>,
    ) -> Value {
        let wait = timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_WAIT);
        let mut request = async_nats::Request::new()
            .payload(payload)
            .timeout(Some(wait));
        if let Some(headers) = header_map(headers) {
            request = request.headers(headers);
        }
        let sent = self.client.send_request(subject.to_string(), request);
        match timeout(wait + Duration::from_millis(500), sent).await {
            Ok(Ok(message)) => message_json(&message),
            Ok(Err(err)) => json!({"error": request_error(&err)}),
            Err(_) => json!({"error": "timed_out"}),
        }
    }

    /// A JetStream API request; with `until`, repeated every 50 ms until the normalised reply
    /// contains that text (or `timeout_ms`, default 10000, passes), recording the last reply.
    async fn js(&mut self, js: &JsRequest) -> Result<Value> {
        let Some(until) = &js.until else {
            return self.js_once(js).await;
        };
        let wait = Duration::from_millis(js.timeout_ms.unwrap_or(10_000));
        let deadline = Instant::now() + wait;
        loop {
            let reply = self.js_once(js).await?;
            if reply.to_string().contains(until.as_str()) {
                return Ok(reply);
            }
            if Instant::now() > deadline {
                self.unmet
                    .push(format!("js {}: reply never contained {until:?}", js.api));
                return Ok(reply);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn js_once(&self, js: &JsRequest) -> Result<Value> {
        let subject = match &js.domain {
            Some(domain) => format!("$JS.{domain}.API.{}", js.api),
            None => format!("$JS.API.{}", js.api),
        };
        let payload = match &js.body {
            Some(body) => serde_json::to_vec(&yaml_to_json(body)?)?.into(),
            None => bytes::Bytes::new(),
        };
        let reply = self
            .request(
                &subject,
                &Default::default(),
                payload,
                js.until.is_none().then_some(js.timeout_ms).flatten(),
            )
            .await;
        // For API answers only the JSON matters; keep it as the observation.
        Ok(match reply {
            Value::Object(mut map) if map.contains_key("payload") => {
                match map.remove("payload") {
                    // Shown as JSON in the report when that renders back to the very same
                    // text (`preserve_order` keeps the key order); else kept as text, so
                    // spacing and number formats still count.
                    Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
                        Ok(value)
                            if serde_json::to_string(&value).is_ok_and(|again| again == text) =>
                        {
                            value
                        }
                        _ => Value::String(text),
                    },
                    other => other.unwrap_or(Value::Null),
                }
            }
            other => other,
        })
    }

    async fn serve(&mut self, args: &ServeArgs) -> Result<Option<Value>> {
        let mut subscriber = match &args.queue {
            Some(queue) => {
                self.client
                    .queue_subscribe(args.subject.clone(), queue.clone())
                    .await
            }
            None => self.client.subscribe(args.subject.clone()).await,
        }
        .map_err(|err| anyhow!("subscribe: {err}"))?;
        self.flush().await?;
        let client = self.client.clone();
        let payload: bytes::Bytes = args.payload.clone().into();
        let headers = header_map(&args.headers);
        let count = args.count.unwrap_or(1);
        self.tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let Some(message) = subscriber.next().await else {
                    return;
                };
                let Some(reply) = message.reply else {
                    continue;
                };
                let _ = match &headers {
                    Some(headers) => {
                        client
                            .publish_with_headers(reply, headers.clone(), payload.clone())
                            .await
                    }
                    None => client.publish(reply, payload.clone()).await,
                };
                let _ = client.flush().await;
            }
        }));
        Ok(None)
    }

    async fn collect(&mut self, args: &CollectArgs) -> Result<Option<Value>> {
        let names: Vec<String> = args.sub.iter().chain(args.subs.iter()).cloned().collect();
        if names.is_empty() {
            return Err(anyhow!("collect needs sub or subs"));
        }
        let mut streams = Vec::new();
        for name in &names {
            let sub = self
                .subs
                .remove(name)
                .ok_or_else(|| anyhow!("no subscription {name:?}"))?;
            streams.push((name.clone(), sub));
        }
        let wait = Duration::from_millis(args.timeout_ms.unwrap_or(match args.count {
            Some(_) => 2000,
            None => 250,
        }));
        let deadline = Instant::now() + wait;
        let mut messages = Vec::new();
        let mut collected = Vec::new();
        {
            let mut merged =
                futures::stream::select_all(streams.iter_mut().map(|(_, sub)| sub.by_ref()));
            while args.count.is_none_or(|count| messages.len() < count) {
                match tokio::time::timeout_at(deadline, merged.next()).await {
                    Ok(Some(message)) => {
                        messages.push(message_json(&message));
                        collected.push(message);
                    }
                    Ok(None) => {
                        messages.push(json!({"subscription": "closed"}));
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        for (name, sub) in streams {
            self.subs.insert(name, sub);
        }
        self.collected = collected;
        if names.len() > 1 {
            // Merged reads: order by content, not by which subscription won the race.
            messages.sort_by_key(Value::to_string);
        }
        Ok(Some(Value::Array(messages)))
    }
}

fn request_error(err: &async_nats::RequestError) -> &'static str {
    match err.kind() {
        async_nats::RequestErrorKind::TimedOut => "timed_out",
        async_nats::RequestErrorKind::NoResponders => "no_responders",
        async_nats::RequestErrorKind::InvalidSubject => "invalid_subject",
        async_nats::RequestErrorKind::MaxPayloadExceeded => "max_payload_exceeded",
        async_nats::RequestErrorKind::Other => "other",
    }
}

fn outgoing_payload(out: &Outgoing) -> Result<bytes::Bytes> {
    Ok(match &out.json {
        Some(body) => serde_json::to_vec(&yaml_to_json(body)?)?.into(),
        None => out.payload.clone().into(),
    })
}

/// YAML body → JSON, keeping the key order written in the scenario.
fn yaml_to_json(value: &serde_yaml::Value) -> Result<Value> {
    serde_json::to_value(value).context("scenario body is not representable as JSON")
}

fn header_map(
    headers: &std::collections::BTreeMap<String, String>,
) -> Option<async_nats::HeaderMap> {
    if headers.is_empty() {
        return None;
    }
    let mut map = async_nats::HeaderMap::new();
    for (key, value) in headers {
        map.insert(key.as_str(), value.as_str());
    }
    Some(map)
}

/// A received message as an observation: subject, reply (normalised), status, headers
/// (sorted by name: the client's map has no order), payload (JSON normalised).
fn message_json(message: &async_nats::Message) -> Value {
    let mut map = Map::new();
    map.insert(
        "subject".into(),
        Value::String(normalize::inboxes(message.subject.as_str())),
    );
    if let Some(reply) = &message.reply {
        map.insert(
            "reply".into(),
            Value::String(normalize::subject(reply.as_str())),
        );
    }
    if let Some(status) = &message.status {
        map.insert("status".into(), json!(status.as_u16()));
    }
    if let Some(description) = &message.description {
        map.insert("description".into(), json!(description));
    }
    if let Some(headers) = &message.headers {
        let mut pairs: Vec<(String, String)> = headers
            .iter()
            .flat_map(|(name, values)| {
                values
                    .iter()
                    .map(move |value| (name.to_string(), value.to_string()))
            })
            .collect();
        pairs.sort();
        let pairs: Vec<Value> = pairs
            .into_iter()
            .map(|(name, value)| json!([name, normalize::header_value(&value)]))
            .collect();
        if !pairs.is_empty() {
            map.insert("headers".into(), Value::Array(pairs));
        }
    }
    map.insert(
        "payload".into(),
        Value::String(normalize::payload(&String::from_utf8_lossy(
            &message.payload,
        ))),
    );
    Value::Object(map)
}
