//! What one mirror needs to know about itself and its origin: the `mirror` block of
//! its StreamConfig (mirror.md §1) plus the mirroring side's identity (stream name,
//! account, JetStream domain), which feed the stable consumer name.

use serde::{Deserialize, Serialize};

/// `{"src","dest"}`; `dest` empty keeps the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectTransform {
    pub src: String,
    #[serde(default)]
    pub dest: String,
}

/// `external: {"api", "deliver"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct External {
    #[serde(default)]
    pub api: String,
    #[serde(default)]
    pub deliver: String,
}

/// `mirror.consumer: {"name", "deliver_subject"}`: a durable push consumer with
/// `ack_policy: flow_control` that already exists on the origin (API level 4, durable
/// sourcing). The mirror resets it instead of creating a consumer of its own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DurableConsumer {
    pub name: String,
    pub deliver_subject: String,
}

/// One mirror's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorConfig {
    /// The mirror stream's own name (`_nats.mirror.stream`, hashed into the name).
    pub stream: String,
    /// The mirror's account (`$G` without accounts).
    pub account: String,
    /// The mirroring server's own JetStream domain, if it has one (hashed into the
    /// consumer name and sent as `_nats.mirror.domain`). Not the origin's domain.
    pub local_domain: Option<String>,
    /// The origin stream (`mirror.name`).
    pub origin: String,
    /// `mirror.opt_start_seq` (0 = unset).
    pub opt_start_seq: u64,
    /// `mirror.opt_start_time`, RFC 3339, passed through as configured.
    pub opt_start_time: Option<String>,
    /// `mirror.filter_subject`.
    pub filter_subject: Option<String>,
    /// `mirror.subject_transforms`.
    pub subject_transforms: Vec<SubjectTransform>,
    /// `mirror.external` (a config `domain: D` arrives here as api `$JS.D.API`).
    pub external: Option<External>,
    /// `mirror.consumer`: follow this durable consumer of the origin.
    pub consumer: Option<DurableConsumer>,
}

impl MirrorConfig {
    /// A plain mirror `stream` of `origin` in account `$G`, no options.
    pub fn new(stream: &str, origin: &str) -> MirrorConfig {
        MirrorConfig {
            stream: stream.to_owned(),
            account: "$G".to_owned(),
            local_domain: None,
            origin: origin.to_owned(),
            opt_start_seq: 0,
            opt_start_time: None,
            filter_subject: None,
            subject_transforms: Vec::new(),
            external: None,
            consumer: None,
        }
    }

    /// The `domain: D` shorthand of a mirror block: the origin is reached through
    /// `$JS.D.API` (what client libraries send as `external.api`).
    pub fn with_origin_domain(mut self, domain: &str) -> MirrorConfig {
        self.external = Some(External {
            api: format!("$JS.{domain}.API"),
            deliver: String::new(),
        });
        self
    }

    /// The API prefix the origin is reached through: `external.api` (any `..`
    /// collapsed, trailing `.` dropped), else `$JS.API`.
    pub fn api_prefix(&self) -> String {
        match self.external.as_ref().map(|e| e.api.as_str()) {
            Some(api) if !api.is_empty() => collapse_dots(api).trim_end_matches('.').to_owned(),
            _ => "$JS.API".to_owned(),
        }
    }

    /// The deliver-subject prefix: `<external.deliver>.M` or `$JS.M`.
    pub fn deliver_prefix(&self) -> String {
        match self.external.as_ref().map(|e| e.deliver.as_str()) {
            Some(d) if !d.is_empty() => collapse_dots(&format!("{d}.M")),
            _ => "$JS.M".to_owned(),
        }
    }

    /// True when the origin delivers only part of its subjects.
    pub fn is_filtered(&self) -> bool {
        self.filter_subject
            .as_deref()
            .is_some_and(|f| !f.is_empty())
            || !self.subject_transforms.is_empty()
    }
}

/// Replaces every run of dots with one dot.
pub(crate) fn collapse_dots(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_dot = false;
    for c in s.chars() {
        if c == '.' && prev_dot {
            continue;
        }
        prev_dot = c == '.';
        out.push(c);
    }
    out
}
