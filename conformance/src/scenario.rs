//! Scenario files: `conformance/scenarios/<area>/<name>.yaml`, one behaviour each.
//!
//! A scenario names a topology, an optional config snippet and a list of steps. Each step is
//! done by a named client (`client:`, default `a`) and is one action (the other key of the
//! step). Clients are created by their first step: `open` makes a raw TCP client speaking
//! the text protocol, `connect` an async-nats client. See `conformance/README.md` for every
//! action and an example.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Where the scenario runs.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One server (`main`).
    #[default]
    Standalone,
    /// A hub nats-server (`hub`, domain `hub`) and the side under test (`side`, domain
    /// `leaf`): for the reference a nats-server leaf node, for jetmirror its `upstream`.
    MirrorPair,
    /// Three-node clusters (not built yet: such scenarios are skipped with a reason).
    Cluster,
}

/// One scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What behaviour this file shows (one sentence).
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub topology: Topology,
    /// Config text (nats-server syntax) for the server under test.
    #[serde(default)]
    pub config: String,
    /// Enable JetStream on the server under test (always on in `mirror_pair`).
    #[serde(default)]
    pub jetstream: bool,
    /// Skip the scenario, with this reason.
    #[serde(default)]
    pub skip: Option<String>,
    pub steps: Vec<Step>,
    /// `<area>/<name>`, from the file path.
    #[serde(skip)]
    pub name: String,
}

fn default_client() -> String {
    "a".to_string()
}

/// One step: which client does what.
#[derive(Clone, Debug, Deserialize)]
pub struct Step {
    #[serde(default = "default_client")]
    pub client: String,
    #[serde(flatten)]
    pub action: Action,
}

/// Read until the received bytes contain `until` (or the timeout, or EOF).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    Until(String),
    Full {
        until: String,
        #[serde(default)]
        timeout_ms: Option<u64>,
        /// Sort the received frames (MSG/HMSG with payload, other lines): for deliveries to
        /// several subscriptions, whose relative order is not a contract.
        #[serde(default)]
        unordered: bool,
    },
}

/// Options of `open` and `connect`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectArgs {
    /// Which server of the topology (`main`; `hub` or `side` in mirror_pair).
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub no_echo: bool,
}

/// A raw send that builds a long line: `before` + `fill` × `count` + `after`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fill {
    #[serde(default)]
    pub before: String,
    pub fill: String,
    pub count: usize,
    #[serde(default)]
    pub after: String,
}

/// A message to publish or a request to send (nats client).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outgoing {
    pub subject: String,
    #[serde(default)]
    pub payload: String,
    /// JSON body (written as YAML); replaces `payload` when present.
    #[serde(default)]
    pub json: Option<serde_yaml::Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// A JetStream API request: `$JS.API.<api>` (or `$JS.<domain>.API.<api>`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsRequest {
    pub api: String,
    #[serde(default)]
    pub body: Option<serde_yaml::Value>,
    #[serde(default)]
    pub domain: Option<String>,
    /// Repeat the request until the (normalised) reply contains this text.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeArgs {
    pub subject: String,
    #[serde(default)]
    pub queue: Option<String>,
    /// Name to refer to this subscription (default: the subject).
    #[serde(default, rename = "as")]
    pub alias: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeArgs {
    pub sub: String,
    #[serde(default)]
    pub after: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectArgs {
    /// The subscription to read.
    #[serde(default)]
    pub sub: Option<String>,
    /// Several subscriptions of this client read together: the messages are merged and
    /// sorted, so which member of a queue group got a message does not count.
    #[serde(default)]
    pub subs: Vec<String>,
    /// Stop after this many messages (then wait `timeout_ms`, default 2000, at most).
    #[serde(default)]
    pub count: Option<usize>,
    /// Without `count`: collect for this long (default 250).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeArgs {
    pub subject: String,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Answer this many requests, then stop (default 1).
    #[serde(default)]
    pub count: Option<usize>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckArgs {
    /// `+ACK` (default), `-NAK`, `+TERM`, `+WPI`, …
    #[serde(default = "default_ack")]
    pub body: String,
    #[serde(default)]
    pub index: Option<usize>,
}

fn default_ack() -> String {
    "+ACK".to_string()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsArgs {
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// What a step does.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // --- raw TCP clients ---
    /// Open a TCP connection (records nothing unless it fails).
    Open(ConnectArgs),
    /// Write bytes (YAML double-quoted strings take `\r\n` escapes).
    Send(String),
    /// Write each fragment separately, 20 ms apart (split-read tests).
    SendSplit(Vec<String>),
    /// Write `before` + `fill` × `count` + `after`.
    SendFill(Fill),
    /// Read until the bytes contain this text; records what was read (up to and including
    /// the match), `closed` on EOF, `unmet` when the text never came.
    Expect(Expect),
    /// Read until the server closes the socket (default timeout 3000 ms).
    ExpectClosed(#[serde(default)] Option<u64>),
    /// Read for this many ms; records whatever arrives (normally nothing).
    ExpectNothing(u64),
    // --- async-nats clients ---
    Connect(ConnectArgs),
    Subscribe(SubscribeArgs),
    Unsubscribe(UnsubscribeArgs),
    Publish(Outgoing),
    Flush(Empty),
    Request(Outgoing),
    Js(JsRequest),
    Serve(ServeArgs),
    Collect(CollectArgs),
    /// Publish `body` to the reply subject of the messages the last `collect` read (all, or
    /// the one at `index`): JetStream acks.
    Ack(AckArgs),
    /// Record the -ERR texts the client's event callback saw so far (waits until `count`,
    /// default 1, have come or `timeout_ms`, default 500, passed).
    Errors(ErrorsArgs),
    // --- both ---
    Close(Empty),
}

impl Action {
    /// The step's key, used as the observation's key.
    pub fn key(&self) -> &'static str {
        match self {
            Action::Open(_) => "open",
            Action::Send(_) => "send",
            Action::SendSplit(_) => "send_split",
            Action::SendFill(_) => "send_fill",
            Action::Expect(_) => "expect",
            Action::ExpectClosed(_) => "expect_closed",
            Action::ExpectNothing(_) => "expect_nothing",
            Action::Connect(_) => "connect",
            Action::Subscribe(_) => "subscribe",
            Action::Unsubscribe(_) => "unsubscribe",
            Action::Publish(_) => "publish",
            Action::Flush(_) => "flush",
            Action::Request(_) => "request",
            Action::Js(_) => "js",
            Action::Serve(_) => "serve",
            Action::Collect(_) => "collect",
            Action::Ack(_) => "ack",
            Action::Errors(_) => "errors",
            Action::Close(_) => "close",
        }
    }
}

/// Loads every `*.yaml` under `dir`, sorted by name.
pub fn load_all(dir: &Path) -> Result<Vec<Scenario>> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut scenarios = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let mut scenario: Scenario = serde_yaml::from_str(&text)
            .with_context(|| format!("parsing scenario {}", file.display()))?;
        let relative = file.strip_prefix(dir).unwrap_or(&file).with_extension("");
        scenario.name = relative.to_string_lossy().replace('\\', "/");
        if scenario.steps.is_empty() {
            bail!("scenario {} has no steps", scenario.name);
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_file_parses() -> Result<()> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let scenarios = load_all(&dir)?;
        assert!(scenarios.len() >= 60, "only {} scenarios", scenarios.len());
        for scenario in &scenarios {
            assert!(
                !scenario.description.trim().is_empty(),
                "{} has no description",
                scenario.name
            );
        }
        Ok(())
    }
}
