//! The streams of one account: create, update, delete, NAMES, LIST, account info, and the
//! account-wide checks (subjects overlapping another stream, name already in use with a
//! different configuration). Stream lifetimes are meta-level commands; this type applies
//! them directly on one node and is the unit a meta Raft group will replicate later.
//!
//! Each stream lives in `<root>/<name>/`; the caller persists [`StreamMeta`] (from
//! [`Account::metas`]) and passes it back to [`Account::open`] after a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jetmirror_store::SyncPolicy;
use serde::de::DeserializeOwned;

use crate::api::responses::{self, AccountInfo, StreamListResponse, StreamNamesResponse};
use crate::api::stream::{StorageType, StreamConfig, StreamInfo};
use crate::api::ApiError;
use crate::stream::{Command, Effect, Outcome, Stream, StreamError, StreamMeta};
use crate::validate;

/// Parses an API request body like nats-server: bad JSON → 400/10025 `invalid JSON: …`,
/// with Go's syntax-error text (see [`crate::api::go_json`]).
/// A `null` value leaves the field at its default, as Go's decoder does (clients such as
/// async-nats send `"consumer_limits": null`).
pub fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        // Syntax errors read like Go's decoder; anything else keeps serde's text.
        match crate::api::go_json::syntax_error(body) {
            Some(go) => ApiError::invalid_json(go),
            None => ApiError::invalid_json(e),
        }
    })?;
    if value.is_null() {
        // `null` decodes into a Go struct as "nothing set".
        value = serde_json::Value::Object(serde_json::Map::new());
    }
    strip_nulls(&mut value);
    serde_json::from_value(value).map_err(ApiError::invalid_json)
}

/// Removes `null` members from every object in `value`, recursively.
pub fn strip_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The streams of one account.
pub struct Account {
    root: PathBuf,
    domain: String,
    sync: SyncPolicy,
    streams: BTreeMap<String, Stream>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("root", &self.root)
            .field("streams", &self.streams.len())
            .finish()
    }
}

impl Account {
    /// Opens the account under `root` with the persisted stream metadata.
    pub fn open(
        root: &Path,
        domain: &str,
        sync: SyncPolicy,
        metas: Vec<StreamMeta>,
    ) -> Result<Account, StreamError> {
        let mut streams = BTreeMap::new();
        for m in metas {
            let name = m.config.name.clone();
            let s = Stream::open_with_sync(&root.join(&name), m, sync)?;
            streams.insert(name, s);
        }
        Ok(Account {
            root: root.to_path_buf(),
            domain: domain.to_string(),
            sync,
            streams,
        })
    }

    /// Metadata of every stream, to persist.
    pub fn metas(&self) -> Vec<StreamMeta> {
        self.streams.values().map(Stream::meta).collect()
    }

    /// Every stream, by name.
    pub fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.streams.values()
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn stream(&self, name: &str) -> Option<&Stream> {
        self.streams.get(name)
    }

    pub fn stream_mut(&mut self, name: &str) -> Option<&mut Stream> {
        self.streams.get_mut(name)
    }

    /// The stream whose subjects match a published subject, if any.
    pub fn stream_for_subject(&self, subject: &str) -> Option<&str> {
        self.streams
            .values()
            .find(|s| {
                s.config()
                    .subjects
                    .iter()
                    .any(|f| jetmirror_subject::matches(f, subject))
            })
            .map(Stream::name)
    }

    /// `STREAM.CREATE.<name>`: `subject_name` from the API subject, `config` the body.
    /// Returns the info and advisory (none when the identical stream already existed).
    pub fn create_stream(
        &mut self,
        subject_name: &str,
        config: &StreamConfig,
        pedantic: bool,
        now_ns: i64,
    ) -> Result<(StreamInfo, Vec<Effect>), ApiError> {
        if config.name.is_empty() || config.name != subject_name {
            return Err(ApiError::stream_mismatch());
        }
        let others: Vec<&StreamConfig> = self.streams.values().map(Stream::config).collect();
        let cfg = validate::check_stream_create(config, pedantic, others)?;
        validate::check_source_cycles(&cfg, &|n| self.streams.get(n).map(|s| s.config().clone()))?;
        if let Some(existing) = self.streams.get(&cfg.name) {
            if strip_meta(existing.config()) != strip_meta(&cfg) {
                return Err(ApiError::stream_name_exist());
            }
            return Ok((existing.info(now_ns, false, None), Vec::new()));
        }
        let name = cfg.name.clone();
        let s =
            Stream::create_with_sync(&self.root.join(&name), cfg, now_ns, &self.domain, self.sync)
                .map_err(ApiError::stream_create)?;
        let adv = s.stream_action_advisory("create", now_ns);
        let info = s.info(now_ns, false, None);
        self.streams.insert(name, s);
        Ok((info, vec![Effect::Advisory(adv)]))
    }

    /// `STREAM.UPDATE.<name>`.
    pub fn update_stream(
        &mut self,
        subject_name: &str,
        config: &StreamConfig,
        pedantic: bool,
        now_ns: i64,
    ) -> Result<(StreamInfo, Vec<Effect>), ApiError> {
        if config.name != subject_name {
            return Err(ApiError::stream_mismatch());
        }
        let others: Vec<StreamConfig> = self
            .streams
            .values()
            .filter(|s| s.name() != subject_name)
            .map(|s| s.config().clone())
            .collect();
        let Some(s) = self.streams.get_mut(subject_name) else {
            return Err(ApiError::stream_not_found());
        };
        let checked = validate::check_stream_update(s.config(), config, pedantic, others.iter())?;
        validate::check_source_cycles(&checked, &|n| others.iter().find(|o| o.name == n).cloned())?;
        let applied = s.apply(Command::UpdateConfig {
            config: checked,
            pedantic,
            now_ns,
        });
        if let Outcome::Failed(e) = applied.outcome {
            return Err(e);
        }
        let mut fx = applied.effects;
        fx.push(Effect::Advisory(s.stream_action_advisory("update", now_ns)));
        Ok((s.info(now_ns, false, None), fx))
    }

    /// `STREAM.DELETE.<name>`: consumers first, then the stream's directory.
    pub fn delete_stream(&mut self, name: &str, now_ns: i64) -> Result<Vec<Effect>, ApiError> {
        let Some(mut s) = self.streams.remove(name) else {
            return Err(ApiError::stream_not_found());
        };
        let mut fx = s.delete_all_consumers(now_ns);
        fx.push(Effect::Advisory(s.stream_action_advisory("delete", now_ns)));
        drop(s);
        match std::fs::remove_dir_all(self.root.join(name)) {
            Ok(()) => {}
            // Memory streams have no directory.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ApiError::stream_delete(e)),
        }
        Ok(fx)
    }

    fn names_matching(&self, subject: &str) -> Vec<String> {
        self.streams
            .values()
            .filter(|s| {
                subject.is_empty()
                    || s.config()
                        .subjects
                        .iter()
                        .any(|f| jetmirror_subject::filters_overlap(f, subject))
            })
            .map(|s| s.name().to_string())
            .collect()
    }

    /// `STREAM.NAMES` (sorted, paged by 1024).
    pub fn stream_names(&self, offset: i64, subject: &str) -> StreamNamesResponse {
        let (streams, total, offset, limit) = responses::page(
            &self.names_matching(subject),
            offset,
            responses::NAMES_LIMIT,
        );
        StreamNamesResponse {
            total,
            offset,
            limit,
            streams,
        }
    }

    /// `STREAM.LIST` (sorted, paged by 256; metadata without `_nats.ver/_nats.level`).
    pub fn stream_list(&self, offset: i64, subject: &str, now_ns: i64) -> StreamListResponse {
        let (names, total, offset, limit) =
            responses::page(&self.names_matching(subject), offset, responses::LIST_LIMIT);
        let streams = names
            .iter()
            .filter_map(|n| self.streams.get(n))
            .map(|s| {
                let mut i = s.info(now_ns, false, None);
                i.config = s.config_with_metadata(false);
                i.domain = self.domain.clone();
                i
            })
            .collect();
        StreamListResponse {
            total,
            offset,
            limit,
            streams,
            missing: Vec::new(),
        }
    }

    /// `$JS.API.INFO` (the caller fills `api.total/errors`).
    pub fn info(&self) -> AccountInfo {
        let mut a = AccountInfo {
            domain: self.domain.clone(),
            ..Default::default()
        };
        for s in self.streams.values() {
            let st = s.state(false, None);
            match s.config().storage {
                StorageType::File => a.storage += st.bytes,
                StorageType::Memory => a.memory += st.bytes,
            }
            a.streams += 1;
            a.consumers += st.consumer_count;
        }
        a
    }
}

fn strip_meta(c: &StreamConfig) -> StreamConfig {
    let mut c = c.clone();
    c.metadata.retain(|k, _| !k.starts_with("_nats."));
    c
}
