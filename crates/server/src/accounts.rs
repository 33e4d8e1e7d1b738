//! Accounts: every connection and internal service belongs to one account, and each account
//! has its own subject space (its own [`Router`]). This module owns the registry of accounts
//! (`$G`, the system account `$SYS` and the configured ones) and the wiring between them:
//! service imports (a request in the importing account reaches the exporter's responders,
//! and the reply travels back through an `_R_.` subject in the exporter, as nats-server
//! does) and stream imports (the exporter's messages delivered into the importer's space,
//! under a prefix or a mapped subject).
//!
//! A connection looks its account up once, at CONNECT, and publishes straight into that
//! account's router afterwards: an account costs nothing per message.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use jetmirror_config::{AccountJetStream, Export, ExportKind, Import, Options};
use parking_lot::{Mutex, RwLock};
use rand::Rng;
use tracing::warn;

use crate::router::{InternalHandler, RoutedMsg, Router, Sub, SubTarget};

/// The global account: anonymous clients and users of the top-level `authorization`.
pub const GLOBAL: &str = "$G";
/// The default system account.
pub const SYSTEM: &str = "$SYS";
/// How long a service import's reply mapping waits for its answer (nats-server's default
/// response threshold).
const RESPONSE_TTL: Duration = Duration::from_secs(120);
/// Most service-import replies one exporting account keeps waiting at once.
const MAX_PENDING_RESPONSES: usize = 65_536;
/// Deepest chain of imports one message may cross (stops import cycles).
const MAX_IMPORT_HOPS: u32 = 8;

thread_local! {
    static IMPORT_HOPS: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` one import hop deeper; `None` when the chain is too deep (a cycle).
fn hop<T>(f: impl FnOnce() -> T) -> Option<T> {
    let depth = IMPORT_HOPS.with(|h| h.get());
    if depth >= MAX_IMPORT_HOPS {
        return None;
    }
    IMPORT_HOPS.with(|h| h.set(depth + 1));
    let r = f();
    IMPORT_HOPS.with(|h| h.set(depth));
    Some(r)
}

/// One account and its subject space.
pub struct AccountState {
    pub name: String,
    pub router: Router,
    pub is_system: bool,
    /// JetStream limits when JetStream is enabled for this account.
    pub jetstream: Option<AccountJetStream>,
    pub exports: Vec<Export>,
    pub imports: Vec<Import>,
    /// When the account was set up (`update_time` in `/accountz`).
    pub updated: SystemTime,
    /// Client connections bound to this account now.
    pub clients: AtomicUsize,
    /// Pending service-import replies: `_R_.` subject in this (exporting) account → where
    /// the answer goes in the importing account.
    responses: Mutex<HashMap<String, PendingReply>>,
    /// This account's `_R_.<prefix>.` reply prefix, when it exports services.
    reply_prefix: String,
    next_reply: AtomicU64,
    /// Internal subscriptions set up for imports (kept for their lifetime).
    import_subs: Mutex<Vec<(Weak<AccountState>, Sub)>>,
}

impl std::fmt::Debug for AccountState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountState")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

struct PendingReply {
    importer: Weak<AccountState>,
    reply: String,
    expires: Instant,
    singleton: bool,
}

fn random_token(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

impl AccountState {
    fn new(name: &str, is_system: bool, cfg: Option<&jetmirror_config::Account>) -> Self {
        AccountState {
            name: name.to_string(),
            router: Router::new(),
            is_system,
            jetstream: cfg.and_then(|c| c.jetstream.clone()),
            exports: cfg.map(|c| c.exports.clone()).unwrap_or_default(),
            imports: cfg.map(|c| c.imports.clone()).unwrap_or_default(),
            updated: SystemTime::now(),
            clients: AtomicUsize::new(0),
            responses: Mutex::new(HashMap::new()),
            reply_prefix: format!("_R_.{}.", random_token(6)),
            next_reply: AtomicU64::new(0),
            import_subs: Mutex::new(Vec::new()),
        }
    }

    /// Subscribes an internal handler in this account.
    pub fn subscribe_internal(
        &self,
        subject: &str,
        queue: Option<&str>,
        sid: &str,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<Sub, jetmirror_subject::InvalidSubject> {
        let sub = Sub::new(
            SubTarget::Internal(handler),
            Bytes::copy_from_slice(sid.as_bytes()),
            subject.to_string(),
            queue.map(str::to_string),
        );
        self.router.insert(&sub)?;
        Ok(sub)
    }

    pub fn unsubscribe_internal(&self, sub: &Sub) {
        self.router.remove(sub);
    }

    /// Publishes from inside the node into this account. Returns the number of deliveries.
    pub fn deliver_internal(
        &self,
        subject: &str,
        wire_subject: Option<&str>,
        reply: Option<&str>,
        headers: Option<&Bytes>,
        payload: &Bytes,
    ) -> usize {
        let msg = RoutedMsg {
            subject,
            wire_subject,
            reply: reply.map(str::as_bytes),
            headers: headers.filter(|h| !h.is_empty()),
            payload,
            sender_cid: 0,
            sender_echo: true,
            sender_no_responders: false,
        };
        self.router.publish(&msg)
    }

    /// The response type of the service export that covers `subject`.
    fn export_is_singleton(&self, subject: &str) -> bool {
        self.exports
            .iter()
            .filter(|e| e.kind == ExportKind::Service)
            .find(|e| jetmirror_subject::matches(&e.subject, subject))
            .and_then(|e| e.response_type.as_deref())
            .is_none_or(|t| t.eq_ignore_ascii_case("singleton"))
    }

    /// Makes an `_R_.` reply subject in this account that forwards the answer to `reply`
    /// in `importer`.
    fn map_reply(&self, importer: &Arc<AccountState>, reply: &str, subject: &str) -> String {
        let n = self.next_reply.fetch_add(1, Ordering::Relaxed);
        let mapped = format!("{}{}{n}", self.reply_prefix, random_token(6));
        let now = Instant::now();
        let mut responses = self.responses.lock();
        // Expired mappings (never answered) are swept every 1024 requests.
        if n % 1024 == 1023 {
            responses.retain(|_, r| r.expires > now);
        }
        if responses.len() >= MAX_PENDING_RESPONSES {
            // Requests that are never answered must not grow the map without bound: the
            // quarter closest to expiring goes (their late answers are dropped).
            let mut expiries: Vec<Instant> = responses.values().map(|r| r.expires).collect();
            expiries.sort_unstable();
            if let Some(cut) = expiries.get(MAX_PENDING_RESPONSES / 4).copied() {
                responses.retain(|_, r| r.expires > cut);
            }
            warn!(account = %self.name, "too many unanswered service import requests; oldest reply mappings dropped");
        }
        responses.insert(
            mapped.clone(),
            PendingReply {
                importer: Arc::downgrade(importer),
                reply: reply.to_string(),
                expires: now + RESPONSE_TTL,
                singleton: self.export_is_singleton(subject),
            },
        );
        mapped
    }

    /// Number of service-import replies still waiting (for `/accountz`).
    pub fn pending_responses(&self) -> usize {
        self.responses.lock().len()
    }
}

/// Delivers requests made in an importing account to the exporting account's responders.
struct ServiceImportHandler {
    importer: Weak<AccountState>,
    exporter: Weak<AccountState>,
    /// The subject the importer publishes on (`to`, or the exported subject).
    local: String,
    /// The exported subject.
    remote: String,
}

impl InternalHandler for ServiceImportHandler {
    fn deliver(&self, _sid: &Bytes, msg: &RoutedMsg<'_>) -> bool {
        let (Some(importer), Some(exporter)) = (self.importer.upgrade(), self.exporter.upgrade())
        else {
            return false;
        };
        let subject = map_subject(&self.local, &self.remote, msg.subject);
        let mapped_reply = msg
            .reply
            .and_then(|r| std::str::from_utf8(r).ok())
            .map(|r| exporter.map_reply(&importer, r, &subject));
        let out = RoutedMsg {
            subject: &subject,
            wire_subject: None,
            reply: mapped_reply.as_deref().map(str::as_bytes),
            headers: msg.headers,
            payload: msg.payload,
            sender_cid: 0,
            sender_echo: true,
            sender_no_responders: msg.sender_no_responders,
        };
        let delivered = hop(|| exporter.router.publish(&out)).unwrap_or(0);
        if delivered == 0 {
            if let Some(r) = &mapped_reply {
                exporter.responses.lock().remove(r);
            }
        }
        delivered > 0
    }
}

/// Forwards answers published on an exporter's `_R_.` subjects back to the requester.
struct ResponseHandler {
    exporter: Weak<AccountState>,
}

impl InternalHandler for ResponseHandler {
    fn deliver(&self, _sid: &Bytes, msg: &RoutedMsg<'_>) -> bool {
        let Some(exporter) = self.exporter.upgrade() else {
            return false;
        };
        let target = {
            let mut responses = exporter.responses.lock();
            match responses.get(msg.subject) {
                Some(p) if p.expires <= Instant::now() => {
                    responses.remove(msg.subject);
                    None
                }
                Some(p) if p.singleton => {
                    responses.remove(msg.subject).map(|p| (p.importer, p.reply))
                }
                Some(p) => Some((p.importer.clone(), p.reply.clone())),
                None => None,
            }
        };
        let Some((importer, reply)) = target else {
            return false;
        };
        let Some(importer) = importer.upgrade() else {
            return false;
        };
        let out = RoutedMsg {
            subject: &reply,
            wire_subject: None,
            reply: msg.reply,
            headers: msg.headers,
            payload: msg.payload,
            sender_cid: 0,
            sender_echo: true,
            sender_no_responders: msg.sender_no_responders,
        };
        hop(|| importer.router.publish(&out)).unwrap_or(0) > 0
    }
}

/// Delivers an exporter's messages into an importing account.
struct StreamImportHandler {
    importer: Weak<AccountState>,
    /// The exported subject (the import's `subject`).
    remote: String,
    prefix: Option<String>,
    to: Option<String>,
}

impl InternalHandler for StreamImportHandler {
    fn deliver(&self, _sid: &Bytes, msg: &RoutedMsg<'_>) -> bool {
        let Some(importer) = self.importer.upgrade() else {
            return false;
        };
        let subject = match (&self.prefix, &self.to) {
            (Some(p), _) => format!("{p}.{}", msg.subject),
            (None, Some(to)) => map_subject(&self.remote, to, msg.subject),
            (None, None) => msg.subject.to_string(),
        };
        let out = RoutedMsg {
            subject: &subject,
            wire_subject: None,
            reply: msg.reply,
            headers: msg.headers,
            payload: msg.payload,
            sender_cid: 0,
            sender_echo: true,
            sender_no_responders: msg.sender_no_responders,
        };
        hop(|| importer.router.publish(&out)).unwrap_or(0) > 0
    }
}

/// Maps `subject` (which matches the pattern `from`) onto the pattern `to`: the tokens
/// that `from`'s wildcards matched fill `to`'s wildcards in order, `>` takes the rest.
/// A literal `to` is returned as it is.
pub fn map_subject(from: &str, to: &str, subject: &str) -> String {
    if from == to {
        return subject.to_string();
    }
    let tokens: Vec<&str> = subject.split('.').collect();
    let mut singles: Vec<&str> = Vec::new();
    let mut rest: Option<String> = None;
    for (i, f) in from.split('.').enumerate() {
        match f {
            "*" => singles.extend(tokens.get(i)),
            ">" => {
                rest = Some(tokens.get(i..).map(|t| t.join(".")).unwrap_or_default());
                break;
            }
            _ => {}
        }
    }
    let mut singles = singles.into_iter();
    let mapped: Vec<String> = to
        .split('.')
        .map(|t| match t {
            "*" => singles.next().unwrap_or("*").to_string(),
            ">" => rest.clone().unwrap_or_else(|| ">".to_string()),
            other => other.to_string(),
        })
        .collect();
    mapped.join(".")
}

/// Every account of the node.
pub struct Accounts {
    map: RwLock<BTreeMap<String, Arc<AccountState>>>,
    global: Arc<AccountState>,
    system: Option<String>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("accounts", &self.map.read().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Accounts {
    /// Builds the accounts of `opts` and wires their imports.
    pub fn from_options(opts: &Options) -> Self {
        let system = if opts.no_system_account {
            None
        } else {
            Some(
                opts.system_account
                    .clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| SYSTEM.to_string()),
            )
        };
        let mut map = BTreeMap::new();
        let global = Arc::new(AccountState::new(GLOBAL, false, None));
        map.insert(GLOBAL.to_string(), global.clone());
        for a in &opts.accounts {
            let is_system = system.as_deref() == Some(a.name.as_str());
            map.insert(
                a.name.clone(),
                Arc::new(AccountState::new(&a.name, is_system, Some(a))),
            );
        }
        if let Some(s) = &system {
            if !map.contains_key(s) {
                map.insert(s.clone(), Arc::new(AccountState::new(s, true, None)));
            }
        }
        let accounts = Accounts {
            map: RwLock::new(map),
            global,
            system,
        };
        accounts.wire_imports();
        accounts
    }

    /// Sets up the internal subscriptions that carry service and stream imports.
    fn wire_imports(&self) {
        let map = self.map.read().clone();
        for exporter in map.values() {
            if exporter
                .exports
                .iter()
                .any(|e| e.kind == ExportKind::Service)
            {
                let handler = Arc::new(ResponseHandler {
                    exporter: Arc::downgrade(exporter),
                });
                let subject = format!("{}>", exporter.reply_prefix);
                if let Ok(sub) = exporter.subscribe_internal(&subject, None, "_R_", handler) {
                    exporter
                        .import_subs
                        .lock()
                        .push((Arc::downgrade(exporter), sub));
                }
            }
        }
        for importer in map.values() {
            for imp in &importer.imports {
                let Some(exporter) = map.get(&imp.account) else {
                    warn!(account = %importer.name, from = %imp.account, subject = %imp.subject, "import from an unknown account ignored");
                    continue;
                };
                if !authorized(exporter, imp, &importer.name) {
                    warn!(account = %importer.name, from = %imp.account, subject = %imp.subject, "import not authorized; ignored");
                    continue;
                }
                match imp.kind {
                    ExportKind::Service => {
                        let local = imp.to.clone().unwrap_or_else(|| imp.subject.clone());
                        let handler = Arc::new(ServiceImportHandler {
                            importer: Arc::downgrade(importer),
                            exporter: Arc::downgrade(exporter),
                            local: local.clone(),
                            remote: imp.subject.clone(),
                        });
                        match importer.subscribe_internal(&local, None, "si", handler) {
                            Ok(sub) => importer
                                .import_subs
                                .lock()
                                .push((Arc::downgrade(importer), sub)),
                            Err(_) => {
                                warn!(account = %importer.name, subject = %local, "invalid service import subject")
                            }
                        }
                    }
                    ExportKind::Stream => {
                        let handler = Arc::new(StreamImportHandler {
                            importer: Arc::downgrade(importer),
                            remote: imp.subject.clone(),
                            prefix: imp.prefix.clone().filter(|p| !p.is_empty()),
                            to: imp.to.clone().filter(|t| !t.is_empty()),
                        });
                        match exporter.subscribe_internal(
                            &imp.subject,
                            None,
                            "stream-import",
                            handler,
                        ) {
                            Ok(sub) => exporter
                                .import_subs
                                .lock()
                                .push((Arc::downgrade(exporter), sub)),
                            Err(_) => {
                                warn!(account = %importer.name, subject = %imp.subject, "invalid stream import subject")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the accounts of a reloaded configuration that did not exist yet (their imports
    /// and exports, like every account's, need a restart to change).
    pub fn add_new(&self, opts: &Options) {
        let mut map = self.map.write();
        for a in &opts.accounts {
            if !map.contains_key(&a.name) {
                let is_system = self.system.as_deref() == Some(a.name.as_str());
                if !a.imports.is_empty() || !a.exports.is_empty() || a.jetstream.is_some() {
                    warn!(account = %a.name, "account added by a reload: its imports, exports and JetStream need a restart");
                }
                map.insert(
                    a.name.clone(),
                    Arc::new(AccountState::new(&a.name, is_system, None)),
                );
            }
        }
    }

    /// The global account `$G`.
    pub fn global(&self) -> &Arc<AccountState> {
        &self.global
    }

    pub fn get(&self, name: &str) -> Option<Arc<AccountState>> {
        self.map.read().get(name).cloned()
    }

    /// The account `name`, or `$G` when it is not known.
    pub fn get_or_global(&self, name: Option<&str>) -> Arc<AccountState> {
        name.and_then(|n| self.get(n))
            .unwrap_or_else(|| self.global.clone())
    }

    /// Every account, sorted by name.
    pub fn all(&self) -> Vec<Arc<AccountState>> {
        self.map.read().values().cloned().collect()
    }

    /// Subscriptions in every account (`/varz` `subscriptions`).
    pub fn num_subscriptions(&self) -> usize {
        self.map.read().values().map(|a| a.router.count()).sum()
    }

    /// The subject index statistics of every account together (`/subsz`), as nats-server
    /// adds its accounts' sublist statistics.
    pub fn stats(&self) -> jetmirror_subject::IndexStats {
        let mut total = jetmirror_subject::IndexStats::default();
        let (mut hits, mut fanout) = (0.0f64, 0.0f64);
        for a in self.map.read().values() {
            let st = a.router.stats();
            total.num_subscriptions = total.num_subscriptions.saturating_add(st.num_subscriptions);
            total.num_cache = total.num_cache.saturating_add(st.num_cache);
            total.num_inserts += st.num_inserts;
            total.num_removes += st.num_removes;
            total.num_matches += st.num_matches;
            total.max_fanout = total.max_fanout.max(st.max_fanout);
            hits += st.cache_hit_rate * st.num_matches as f64;
            fanout += st.avg_fanout * f64::from(st.num_cache);
        }
        if total.num_matches > 0 {
            total.cache_hit_rate = hits / total.num_matches as f64;
        }
        if total.num_cache > 0 {
            total.avg_fanout = fanout / f64::from(total.num_cache);
        }
        total
    }

    /// The system account's name, unless disabled.
    pub fn system_account(&self) -> Option<&str> {
        self.system.as_deref()
    }

    /// Whether only `$G` (and the system account) exist: JetStream then runs in `$G`.
    pub fn global_only(&self) -> bool {
        self.map
            .read()
            .values()
            .all(|a| a.name == GLOBAL || a.is_system)
    }
}

/// Whether `exporter` exports what `imp` imports to the account `importer`: an export of
/// the same kind whose subject covers the imported one, public or listing the importer.
pub fn authorized(exporter: &AccountState, imp: &Import, importer: &str) -> bool {
    exporter.exports.iter().any(|e| {
        e.kind == imp.kind
            && jetmirror_subject::subject_is_subset(&imp.subject, &e.subject)
            && (e.accounts.is_empty() || e.accounts.iter().any(|a| a == importer))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_requests_stay_bounded() {
        let exporter = Arc::new(AccountState::new("E", false, None));
        let importer = Arc::new(AccountState::new("I", false, None));
        for i in 0..(MAX_PENDING_RESPONSES + 10) {
            exporter.map_reply(&importer, &format!("reply.{i}"), "svc");
        }
        assert!(exporter.pending_responses() <= MAX_PENDING_RESPONSES);
        assert!(exporter.pending_responses() > MAX_PENDING_RESPONSES / 2);
    }

    #[test]
    fn maps_subjects_through_wildcards() {
        assert_eq!(map_subject("a.>", "svc.>", "a.x.y"), "svc.x.y");
        assert_eq!(map_subject("a.*.b", "svc.*", "a.q.b"), "svc.q");
        assert_eq!(map_subject("req", "svc.req", "req"), "svc.req");
        assert_eq!(map_subject("x.>", "x.>", "x.1"), "x.1");
    }
}
