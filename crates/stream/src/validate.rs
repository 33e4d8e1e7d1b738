//! Config validation and defaults, following nats-server: `checkStreamCfgLocked` and
//! `configUpdateCheckLocked` (server/stream.go), `setConsumerConfigDefaults`,
//! `checkConsumerCfg` and `checkNewConsumerConfig` (server/consumer.go). Each failure is
//! the `ApiError` nats-server returns, with its text.
//!
//! Checks that need the whole account (subjects overlapping another stream, mirror/source
//! cycles, account limits) take the other streams' configs as an argument.

use jetmirror_subject::{filters_overlap, is_valid_subject, subject_is_subset};

use crate::api::consumer::{AckPolicy, ConsumerConfig, DeliverPolicy, PriorityPolicy};
use crate::api::stream::{DiscardPolicy, PersistMode, RetentionPolicy, StorageType, StreamConfig};
use crate::api::ApiError;

pub const MAX_NAME_LEN: usize = 255;
pub const MAX_DESCRIPTION_LEN: usize = 4 * 1024;
pub const MAX_METADATA_LEN: usize = 128 * 1024;
pub const DEFAULT_DUPLICATE_WINDOW_NS: i64 = 120_000_000_000;
pub const DEFAULT_ACK_WAIT_NS: i64 = 30_000_000_000;
pub const DEFAULT_MAX_ACK_PENDING: i64 = 1000;
pub const DEFAULT_MAX_WAITING: i64 = 512;
pub const DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD_NS: i64 = 5_000_000_000;
const MS_100: i64 = 100_000_000;
const STREAM_MAX_REPLICAS: i64 = 5;

/// nats-server's `isValidAssetName`.
pub fn is_valid_asset_name(name: &str) -> bool {
    !name.is_empty() && !name.contains([' ', '\t', '\r', '\n', '\x0c', '.', '*', '>', '\\', '/'])
}

fn invalid(msg: impl std::fmt::Display) -> ApiError {
    ApiError::stream_invalid_config(msg)
}

fn metadata_len(m: &std::collections::BTreeMap<String, String>) -> usize {
    m.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// `checkStreamCfgLocked` for one stream: validates `config` and returns it with the
/// defaults filled in. Single server: `num_replicas > 1` is refused (10074) by
/// [`check_stream_create`].
pub fn check_stream_config(
    config: &StreamConfig,
    pedantic: bool,
) -> Result<StreamConfig, ApiError> {
    if !is_valid_asset_name(&config.name) {
        return Err(invalid(
            "stream name is required and can not contain '.', '*', '>', '\\', '/'",
        ));
    }
    if config.name.len() > MAX_NAME_LEN {
        return Err(invalid(format!(
            "stream name is too long, maximum allowed is {MAX_NAME_LEN}"
        )));
    }
    if config.description.len() > MAX_DESCRIPTION_LEN {
        return Err(invalid(format!(
            "stream description is too long, maximum allowed is {MAX_DESCRIPTION_LEN}"
        )));
    }
    if metadata_len(&config.metadata) > MAX_METADATA_LEN {
        return Err(invalid(format!(
            "stream metadata exceeds maximum size of {MAX_METADATA_LEN} bytes"
        )));
    }
    let mut cfg = config.clone();
    if cfg.num_replicas == 0 {
        cfg.num_replicas = 1;
    }
    if cfg.num_replicas > STREAM_MAX_REPLICAS {
        return Err(invalid(format!(
            "maximum replicas is {STREAM_MAX_REPLICAS}"
        )));
    }
    if cfg.num_replicas < 0 {
        return Err(ApiError::replicas_count_cannot_be_negative());
    }
    for (v, name) in [
        (&mut cfg.max_msgs, "max_msgs"),
        (&mut cfg.max_msgs_per_subject, "max_msgs_per_subject"),
        (&mut cfg.max_bytes, "max_bytes"),
        (&mut cfg.max_consumers, "max_consumers"),
    ] {
        if *v == 0 || *v < -1 {
            if pedantic && *v < -1 {
                return Err(ApiError::pedantic(format!("{name} must be set to -1")));
            }
            *v = -1;
        }
    }
    if cfg.max_msg_size == 0 || cfg.max_msg_size < -1 {
        if pedantic && cfg.max_msg_size < -1 {
            return Err(ApiError::pedantic("max_msg_size must be set to -1"));
        }
        cfg.max_msg_size = -1;
    }
    // Go checks max_consumers between max_msg_size and max_age; the order of the
    // normalisations above does not change the outcome.
    if cfg.max_age < 0 {
        return Err(invalid("max age can not be negative"));
    }
    if cfg.max_age != 0 && cfg.max_age < MS_100 {
        return Err(invalid("max age needs to be >= 100ms"));
    }
    if cfg.duplicate_window == 0 && cfg.mirror.is_none() && cfg.sources.is_empty() {
        let max_window = DEFAULT_DUPLICATE_WINDOW_NS;
        if cfg.max_age != 0 && cfg.max_age < max_window {
            if pedantic {
                return Err(ApiError::pedantic(
                    "duplicate window cannot be bigger than max age",
                ));
            }
            cfg.duplicate_window = cfg.max_age;
        } else {
            cfg.duplicate_window = max_window;
        }
    }
    if cfg.duplicate_window < 0 {
        return Err(invalid("duplicates window can not be negative"));
    }
    if cfg.max_age != 0 && cfg.duplicate_window > cfg.max_age {
        return Err(invalid("duplicates window can not be larger then max age"));
    }
    if cfg.duplicate_window > 0 && cfg.duplicate_window < MS_100 {
        return Err(invalid("duplicates window needs to be >= 100ms"));
    }
    if cfg.deny_purge && cfg.allow_rollup_hdrs {
        return Err(invalid("roll-ups require the purge permission"));
    }
    if cfg.allow_msg_counter {
        if cfg.discard == DiscardPolicy::New {
            return Err(invalid("counter stream cannot use discard new"));
        }
        if cfg.allow_msg_ttl {
            return Err(invalid("counter stream cannot use message TTLs"));
        }
        if cfg.allow_msg_schedules {
            return Err(invalid("counter stream cannot use message schedules"));
        }
        if cfg.retention != RetentionPolicy::Limits {
            return Err(invalid("counter stream can only use limits retention"));
        }
    }
    if cfg.discard_new_per_subject {
        if cfg.discard != DiscardPolicy::New {
            return Err(invalid(
                "discard new per subject requires discard new policy to be set",
            ));
        }
        if cfg.max_msgs_per_subject <= 0 {
            return Err(invalid(
                "discard new per subject requires max msgs per subject > 0",
            ));
        }
    }
    if cfg.subject_delete_marker_ttl > 0 {
        if cfg.subject_delete_marker_ttl < 1_000_000_000 {
            return Err(invalid(
                "subject delete marker TTL must be at least 1 second",
            ));
        }
        if !cfg.allow_msg_ttl {
            if pedantic {
                return Err(invalid(
                    "subject delete marker cannot be set if message TTLs are disabled",
                ));
            }
            cfg.allow_msg_ttl = true;
        }
        if !cfg.allow_rollup_hdrs {
            if pedantic {
                return Err(invalid(
                    "subject delete marker cannot be set if roll-ups are disabled",
                ));
            }
            cfg.allow_rollup_hdrs = true;
            cfg.deny_purge = false;
        }
    } else if cfg.subject_delete_marker_ttl < 0 {
        return Err(invalid("subject delete marker TTL must not be negative"));
    }
    if cfg.allow_msg_schedules {
        if cfg.discard == DiscardPolicy::New {
            return Err(invalid("message scheduling cannot use discard new"));
        }
        if !cfg.allow_rollup_hdrs {
            if pedantic {
                return Err(invalid(
                    "message scheduling cannot be set if roll-ups are disabled",
                ));
            }
            cfg.allow_rollup_hdrs = true;
            cfg.deny_purge = false;
        }
    }
    if cfg.persist_mode == PersistMode::Async {
        if cfg.storage != StorageType::File {
            return Err(invalid(
                "async persist mode is only supported on file storage",
            ));
        }
        if cfg.num_replicas > 1 {
            return Err(invalid(
                "async persist mode is not supported on replicated streams",
            ));
        }
        if cfg.allow_atomic {
            return Err(invalid(
                "async persist mode is not supported with atomic batch publish",
            ));
        }
    }
    if let Some(m) = &cfg.mirror {
        if cfg.first_seq > 0 {
            return Err(ApiError::mirror_with_first_seq());
        }
        if !cfg.subjects.is_empty() {
            return Err(ApiError::mirror_with_subjects());
        }
        if !cfg.sources.is_empty() {
            return Err(ApiError::mirror_with_sources());
        }
        if cfg.allow_msg_counter {
            return Err(ApiError::mirror_with_counters());
        }
        if cfg.allow_atomic {
            return Err(ApiError::mirror_with_atomic_publish());
        }
        if cfg.allow_batched {
            return Err(ApiError::mirror_with_batch_publish());
        }
        if cfg.allow_msg_schedules {
            return Err(ApiError::mirror_with_msg_schedules());
        }
        if let Some(c) = &m.consumer {
            // nats-server checkStreamCfg: a durable consumer on the origin (API level 4)
            // is reset and followed as configured, so it excludes start options and
            // filters of the mirror's own.
            let bad = !is_valid_asset_name(&c.name)
                || !jetmirror_subject::is_valid_literal_subject(&c.deliver_subject)
                || m.opt_start_seq != 0
                || m.opt_start_time.is_some()
                || !m.filter_subject.is_empty();
            if bad {
                return Err(ApiError::mirror_durable_consumer_cfg_invalid());
            }
        }
        if !m.filter_subject.is_empty() && !m.subject_transforms.is_empty() {
            return Err(ApiError::mirror_multiple_filters_not_allowed());
        }
        if cfg.subject_delete_marker_ttl > 0 {
            return Err(invalid("subject delete markers forbidden on mirrors"));
        }
        if m.external.is_none() && !is_valid_asset_name(&m.name) {
            return Err(ApiError::mirror_invalid_stream_name());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for src in &cfg.sources {
        if !is_valid_asset_name(&src.name) {
            return Err(ApiError::source_invalid_stream_name());
        }
        let iname = format!(
            "{}:{}:{}",
            src.name,
            src.external
                .as_ref()
                .map(|e| e.api_prefix.as_str())
                .unwrap_or(""),
            src.filter_subject
        );
        if !seen.insert(iname) {
            return Err(ApiError::source_duplicate_detected());
        }
        if !src.filter_subject.is_empty() && !src.subject_transforms.is_empty() {
            return Err(ApiError::source_multiple_filters_not_allowed());
        }
    }
    if cfg.subjects.is_empty() {
        if cfg.mirror.is_none() && cfg.sources.is_empty() {
            cfg.subjects.push(cfg.name.clone());
        }
    } else {
        for (i, subj) in cfg.subjects.iter().enumerate() {
            if !is_valid_subject(subj) {
                return Err(invalid("invalid subject"));
            }
            let rest = cfg.subjects.get(i + 1..).unwrap_or_default();
            if rest.iter().any(|s| s == subj) {
                return Err(invalid("duplicate subjects detected"));
            }
            if subj == ">" {
                if !cfg.no_ack {
                    return Err(invalid("capturing all subjects requires no-ack to be true"));
                }
                if cfg.num_replicas != 1 {
                    return Err(invalid("capturing all subjects requires replicas of 1"));
                }
            }
            if !cfg.no_ack {
                for ns in ["$JS.>", "$JSC.>", "$NRG.>"] {
                    if filters_overlap(subj, ns) && !subject_is_subset(subj, "$JS.EVENT.>") {
                        return Err(invalid(
                            "subjects that overlap with jetstream api require no-ack to be true",
                        ));
                    }
                }
                if filters_overlap(subj, "$SYS.>") && !subject_is_subset(subj, "$SYS.ACCOUNT.>") {
                    return Err(invalid(
                        "subjects that overlap with system api require no-ack to be true",
                    ));
                }
            }
            for t in rest {
                if filters_overlap(t, subj) {
                    return Err(invalid(format!("subject {subj:?} overlaps with {t:?}")));
                }
            }
        }
    }
    if cfg.subjects.is_empty() && cfg.sources.is_empty() && cfg.mirror.is_none() {
        return Err(invalid(
            "stream needs at least one configured subject or be a source/mirror",
        ));
    }
    if let Some(t) = &cfg.subject_transform {
        if !t.source.is_empty() && !is_valid_subject(&t.source) {
            return Err(ApiError::stream_transform_invalid_source(format!(
                "invalid subject {}",
                t.source
            )));
        }
        if let Err(e) = jetmirror_subject::validate_mapping(&t.source, &t.destination) {
            return Err(ApiError::stream_transform_invalid_destination(e));
        }
    }
    if let Some(rp) = &mut cfg.republish {
        if rp.source.is_empty() {
            if pedantic {
                return Err(ApiError::pedantic("republish source can not be empty"));
            }
            rp.source = ">".to_string();
        }
        // `>` to `>` republishes under the transformed subject when the transform's source
        // is the only stream subject.
        if let Some(t) = &cfg.subject_transform {
            if rp.destination == ">"
                && rp.source == ">"
                && cfg.subjects.len() == 1
                && cfg.subjects.first() == Some(&t.source)
            {
                if pedantic {
                    return Err(ApiError::pedantic(
                        "implicit republish based on subject transform",
                    ));
                }
                rp.source = t.destination.clone();
                rp.destination = t.destination.clone();
            }
        }
        if cfg
            .subjects
            .iter()
            .any(|s| filters_overlap(&rp.destination, s))
        {
            return Err(invalid(
                "stream configuration for republish destination forms a cycle",
            ));
        }
        if jetmirror_subject::SubjectTransform::new(&rp.source, &rp.destination).is_err() {
            return Err(invalid(format!(
                "stream configuration for republish with transform from '{}' to '{}' not valid",
                rp.source, rp.destination
            )));
        }
    }
    if cfg
        .placement
        .as_ref()
        .is_some_and(|p| *p == Default::default())
    {
        cfg.placement = None;
    }
    if cfg
        .placement
        .as_ref()
        .is_some_and(|p| !p.preferred.is_empty())
    {
        return Err(invalid("preferred server not permitted in placement"));
    }
    Ok(cfg)
}

/// Create-time checks on top of [`check_stream_config`] for a single server: sealed on
/// create (10052) and replicas > 1 (10074). `others` are the account's other streams, for
/// the subject overlap check (10065).
pub fn check_stream_create<'a>(
    config: &StreamConfig,
    pedantic: bool,
    others: impl IntoIterator<Item = &'a StreamConfig>,
) -> Result<StreamConfig, ApiError> {
    let cfg = check_stream_config(config, pedantic)?;
    if cfg.sealed {
        return Err(invalid("stream configuration for create can not be sealed"));
    }
    if cfg.num_replicas > 1 {
        return Err(ApiError::stream_replicas_not_supported());
    }
    check_subjects_overlap(&cfg, others)?;
    Ok(cfg)
}

/// 10065 when any subject of `cfg` collides with a subject of another stream (streams with
/// the same name are skipped).
pub fn check_subjects_overlap<'a>(
    cfg: &StreamConfig,
    others: impl IntoIterator<Item = &'a StreamConfig>,
) -> Result<(), ApiError> {
    for o in others {
        if o.name == cfg.name {
            continue;
        }
        if cfg
            .subjects
            .iter()
            .any(|s| o.subjects.iter().any(|t| filters_overlap(s, t)))
        {
            return Err(ApiError::stream_subject_overlap());
        }
    }
    Ok(())
}

/// `configUpdateCheckLocked`: the updated config with defaults, or why the update is refused
/// (all 10052 except the mirror block, 10055). The API layer wraps other errors like Go's
/// `NewJSStreamInvalidConfigError(err, Unless(err))`, which keeps an `ApiError` as is.
pub fn check_stream_update<'a>(
    old: &StreamConfig,
    new: &StreamConfig,
    pedantic: bool,
    others: impl IntoIterator<Item = &'a StreamConfig>,
) -> Result<StreamConfig, ApiError> {
    let mut cfg = check_stream_config(new, pedantic)?;
    if cfg.name != old.name {
        return Err(invalid("stream configuration name must match original"));
    }
    if cfg.num_replicas > 1 {
        return Err(ApiError::stream_replicas_not_supported());
    }
    if cfg.storage != old.storage {
        return Err(invalid(
            "stream configuration update can not change storage type",
        ));
    }
    if cfg.retention != old.retention
        && (old.retention == RetentionPolicy::WorkQueue
            || cfg.retention == RetentionPolicy::WorkQueue)
    {
        return Err(invalid(
            "stream configuration update can not change retention policy to/from workqueue",
        ));
    }
    if !cfg.sealed && old.sealed {
        return Err(invalid(
            "stream configuration update can not unseal a sealed stream",
        ));
    }
    if !cfg.deny_delete && old.deny_delete {
        return Err(invalid(
            "stream configuration update can not cancel deny message deletes",
        ));
    }
    if !cfg.deny_purge && old.deny_purge {
        return Err(invalid(
            "stream configuration update can not cancel deny purge",
        ));
    }
    if cfg.mirror.is_some() && cfg.mirror != old.mirror {
        return Err(ApiError::stream_mirror_not_updatable());
    }
    if old.allow_msg_ttl && !cfg.allow_msg_ttl {
        return Err(invalid("message TTL status can not be disabled"));
    }
    if cfg.allow_msg_counter != old.allow_msg_counter {
        return Err(invalid(
            "stream configuration update can not change message counter setting",
        ));
    }
    if old.allow_msg_schedules && !cfg.allow_msg_schedules {
        return Err(invalid("message schedules can not be disabled"));
    }
    if old.persist_mode != cfg.persist_mode {
        return Err(invalid(
            "stream configuration update can not change persist mode",
        ));
    }
    if cfg.sealed {
        cfg.max_age = 0;
        cfg.discard = DiscardPolicy::New;
        cfg.deny_delete = true;
        cfg.deny_purge = true;
        cfg.allow_rollup_hdrs = false;
    }
    check_subjects_overlap(&cfg, others)?;
    Ok(cfg)
}

/// `setConsumerConfigDefaults` (no server or account limits configured).
pub fn set_consumer_defaults(
    config: &mut ConsumerConfig,
    stream: &StreamConfig,
    pedantic: bool,
) -> Result<(), ApiError> {
    if config.max_deliver == 0 || config.max_deliver < -1 {
        if pedantic && config.max_deliver < -1 {
            return Err(ApiError::pedantic("max_deliver must be set to -1"));
        }
        config.max_deliver = -1;
    }
    let zero_if_negative = |v: &mut i64, what: &str| -> Result<(), ApiError> {
        if *v < 0 {
            if pedantic {
                return Err(ApiError::pedantic(format!("{what} must not be negative")));
            }
            *v = 0;
        }
        Ok(())
    };
    zero_if_negative(&mut config.max_waiting, "max_waiting")?;
    if config.max_ack_pending < -1 {
        if pedantic {
            return Err(ApiError::pedantic("max_ack_pending must be set to -1"));
        }
        config.max_ack_pending = -1;
    }
    zero_if_negative(&mut config.max_request_batch, "max_batch")?;
    zero_if_negative(&mut config.max_request_expires, "max_expires")?;
    zero_if_negative(&mut config.max_request_max_bytes, "max_bytes")?;
    zero_if_negative(&mut config.heartbeat, "idle_heartbeat")?;
    zero_if_negative(&mut config.inactive_threshold, "inactive_threshold")?;
    zero_if_negative(&mut config.pinned_ttl, "priority_timeout")?;
    if config.deliver_subject.is_empty() && config.max_waiting == 0 {
        config.max_waiting = DEFAULT_MAX_WAITING;
    }
    if config.ack_wait == 0 && matches!(config.ack_policy, AckPolicy::Explicit | AckPolicy::All) {
        config.ack_wait = DEFAULT_ACK_WAIT_NS;
    }
    if let Some(first) = config.backoff.first() {
        if pedantic && config.ack_wait != *first {
            return Err(ApiError::pedantic(
                "first backoff value has to equal batch AckWait",
            ));
        }
        config.ack_wait = *first;
    }
    if config.max_ack_pending == 0 {
        config.max_ack_pending = stream.consumer_limits.max_ack_pending;
    }
    if config.inactive_threshold == 0 {
        config.inactive_threshold = stream.consumer_limits.inactive_threshold;
    }
    if config.max_ack_pending == 0 && config.ack_policy != AckPolicy::None {
        config.max_ack_pending = DEFAULT_MAX_ACK_PENDING;
    }
    if config.priority_policy == PriorityPolicy::PinnedClient && config.pinned_ttl == 0 {
        config.pinned_ttl = 120_000_000_000;
    }
    if config.ack_policy == AckPolicy::FlowControl && !pedantic {
        config.flow_control = true;
        config.heartbeat = 1_000_000_000;
    }
    // Ephemerals get the 5 s inactivity default (server/consumer.go, addConsumer...:
    // "Check for ephemeral / name based" sets dthresh = JsDeleteWaitTimeDefault).
    if !config.is_durable() && config.inactive_threshold == 0 {
        config.inactive_threshold = DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD_NS;
    }
    Ok(())
}

/// `checkConsumerCfg` against the stream's config (no server/account limits).
pub fn check_consumer_config(
    config: &ConsumerConfig,
    stream: &StreamConfig,
) -> Result<(), ApiError> {
    if !config.name.is_empty() && !is_valid_asset_name(&config.name) {
        return Err(invalid(
            "consumer name can not contain '.', '*', '>', '\\', '/'",
        ));
    }
    if !config.durable_name.is_empty() && !is_valid_asset_name(&config.durable_name) {
        return Err(invalid(
            "consumer durable name can not contain '.', '*', '>', '\\', '/'",
        ));
    }
    if config.replicas > 0 && config.replicas > stream.num_replicas {
        return Err(ApiError::consumer_replicas_exceeds_stream());
    }
    if config.replicas < 0 {
        return Err(ApiError::replicas_count_cannot_be_negative());
    }
    if matches!(
        stream.retention,
        RetentionPolicy::Interest | RetentionPolicy::WorkQueue
    ) && config.replicas != 0
        && config.replicas != stream.num_replicas
    {
        return Err(ApiError::consumer_replicas_should_match_stream());
    }
    if config.backoff.iter().any(|b| *b < 0) {
        return Err(ApiError::consumer_back_off_negative());
    }
    if config.ack_wait < 0 {
        return Err(ApiError::consumer_ack_wait_negative());
    }
    if config.ack_policy == AckPolicy::FlowControl {
        if config.deliver_subject.is_empty() {
            return Err(ApiError::consumer_ack_fc_requires_push());
        }
        if !config.flow_control {
            return Err(ApiError::consumer_ack_fc_requires_fc());
        }
        if config.heartbeat != 1_000_000_000 {
            return Err(invalid("flow control ack policy heartbeat needs to be 1s"));
        }
        if config.max_ack_pending <= 0 {
            return Err(ApiError::consumer_ack_fc_requires_max_ack_pending());
        }
        if config.ack_wait != 0 || !config.backoff.is_empty() {
            return Err(ApiError::consumer_ack_fc_requires_no_ack_wait());
        }
        if config.max_deliver > 0 {
            return Err(ApiError::consumer_ack_fc_requires_no_max_deliver());
        }
    }
    let lbo = config.backoff.len() as i64;
    if lbo > 0 && config.max_deliver != -1 && lbo > config.max_deliver {
        return Err(ApiError::consumer_max_deliver_backoff());
    }
    if config.description.len() > MAX_DESCRIPTION_LEN {
        return Err(ApiError::consumer_description_too_long(MAX_DESCRIPTION_LEN));
    }
    if !config.deliver_subject.is_empty() {
        if config
            .deliver_subject
            .split('.')
            .any(|t| t == "*" || t == ">")
        {
            return Err(ApiError::consumer_deliver_to_wildcards());
        }
        if !is_valid_subject(&config.deliver_subject) {
            return Err(ApiError::consumer_invalid_deliver_subject());
        }
        if stream
            .subjects
            .iter()
            .any(|s| filters_overlap(s, &config.deliver_subject))
        {
            return Err(ApiError::consumer_deliver_cycle());
        }
        if config.max_waiting != 0 {
            return Err(ApiError::consumer_push_max_waiting());
        }
        if config.max_ack_pending > 0 && config.ack_policy == AckPolicy::None {
            return Err(ApiError::consumer_max_pending_ack_policy_required());
        }
        if config.heartbeat > 0 && config.heartbeat < MS_100 {
            return Err(ApiError::consumer_small_heartbeat());
        }
    } else {
        if config.ack_policy == AckPolicy::None && stream.retention == RetentionPolicy::WorkQueue {
            return Err(ApiError::consumer_pull_requires_ack());
        }
        if config.rate_limit > 0 {
            return Err(ApiError::consumer_pull_with_rate_limit());
        }
        if config.max_waiting < 0 {
            return Err(ApiError::consumer_max_waiting_negative());
        }
        if config.heartbeat > 0 {
            return Err(ApiError::consumer_hb_requires_push());
        }
        if config.flow_control {
            return Err(ApiError::consumer_fc_requires_push());
        }
        if config.max_request_batch < 0 {
            return Err(ApiError::consumer_max_request_batch_negative());
        }
        if config.max_request_expires != 0 && config.max_request_expires < 1_000_000 {
            return Err(ApiError::consumer_max_request_expires_too_small());
        }
    }
    if stream.consumer_limits.max_ack_pending > 0
        && config.max_ack_pending > stream.consumer_limits.max_ack_pending
    {
        return Err(ApiError::consumer_max_pending_ack_excess(
            stream.consumer_limits.max_ack_pending,
        ));
    }
    if stream.consumer_limits.inactive_threshold > 0
        && config.inactive_threshold > stream.consumer_limits.inactive_threshold
    {
        return Err(ApiError::consumer_inactive_threshold_excess(
            crate::consumer::go_duration(stream.consumer_limits.inactive_threshold),
        ));
    }
    if config.direct {
        if config.deliver_subject.is_empty() {
            return Err(ApiError::consumer_direct_requires_push());
        }
        if config.is_durable() {
            return Err(ApiError::consumer_direct_requires_ephemeral());
        }
    }
    if !config.filter_subject.is_empty() && !config.filter_subjects.is_empty() {
        return Err(ApiError::consumer_duplicate_filter_subjects());
    }
    if !config.filter_subject.is_empty() && !is_valid_subject(&config.filter_subject) {
        return Err(invalid("invalid subject"));
    }
    if config.filter_subjects.iter().any(String::is_empty) {
        return Err(ApiError::consumer_empty_filter());
    }
    let filters = config.filters();
    for (i, f) in filters.iter().enumerate() {
        if !is_valid_subject(f) {
            return Err(invalid("invalid subject"));
        }
        for (j, g) in filters.iter().enumerate() {
            if i != j && subject_is_subset(f, g) {
                return Err(ApiError::consumer_overlapping_subject_filters());
            }
        }
    }
    let bad_start = |dp: &str, start: &str| {
        ApiError::consumer_invalid_policy(format!(
            "consumer delivery policy is deliver {dp}, but optional start {start} is also set"
        ))
    };
    let not_set = |dp: &str, what: &str| {
        ApiError::consumer_invalid_policy(format!(
            "consumer delivery policy is deliver {dp}, but optional {what} is not set"
        ))
    };
    let (seq_set, time_set) = (config.opt_start_seq > 0, config.opt_start_time.is_some());
    match config.deliver_policy {
        DeliverPolicy::All
        | DeliverPolicy::Last
        | DeliverPolicy::New
        | DeliverPolicy::LastPerSubject => {
            let dp = match config.deliver_policy {
                DeliverPolicy::All => "all",
                DeliverPolicy::Last => "last",
                DeliverPolicy::New => "new",
                _ => "last per subject",
            };
            if seq_set {
                return Err(bad_start(dp, "sequence"));
            }
            if time_set {
                return Err(bad_start(dp, "time"));
            }
            if config.deliver_policy == DeliverPolicy::LastPerSubject && filters.is_empty() {
                return Err(not_set(dp, "filter subject"));
            }
        }
        DeliverPolicy::ByStartSequence => {
            if !seq_set {
                return Err(not_set("by start sequence", "start sequence"));
            }
            if time_set {
                return Err(bad_start("by start sequence", "time"));
            }
        }
        DeliverPolicy::ByStartTime => {
            if !time_set {
                return Err(not_set("by start time", "start time"));
            }
            if seq_set {
                return Err(bad_start("by start time", "start sequence"));
            }
        }
    }
    if !config.sample_frequency.is_empty() {
        let s = config.sample_frequency.trim_end_matches('%');
        match s.parse::<i64>() {
            Ok(v) if v >= 0 => {}
            Ok(_) => return Err(ApiError::consumer_invalid_sampling("<nil>")),
            Err(_) => {
                return Err(ApiError::consumer_invalid_sampling(format!(
                    "strconv.Atoi: parsing {s:?}: invalid syntax"
                )))
            }
        }
    }
    if config.flow_control && config.heartbeat == 0 {
        return Err(ApiError::consumer_with_flow_control_needs_heartbeats());
    }
    if !config.durable_name.is_empty()
        && !config.name.is_empty()
        && config.name != config.durable_name
    {
        return Err(ApiError::consumer_create_durable_and_name_mismatch());
    }
    if metadata_len(&config.metadata) > MAX_METADATA_LEN {
        return Err(ApiError::consumer_metadata_length(format!(
            "{}KB",
            MAX_METADATA_LEN / 1024
        )));
    }
    if config.priority_policy != PriorityPolicy::None {
        if !config.deliver_subject.is_empty() {
            return Err(ApiError::consumer_push_with_priority_group());
        }
        if config.priority_groups.is_empty() {
            return Err(ApiError::consumer_priority_policy_without_group());
        }
        for group in &config.priority_groups {
            if group.is_empty() {
                return Err(ApiError::consumer_empty_group_name());
            }
            if !is_valid_group_name(group) {
                return Err(ApiError::consumer_invalid_group_name());
            }
        }
    } else {
        if !config.priority_groups.is_empty() {
            return Err(ApiError::consumer_priority_group_with_policy_none());
        }
        if config.pinned_ttl > 0 {
            return Err(ApiError::consumer_pinned_ttl_without_priority_policy_none());
        }
    }
    Ok(())
}

/// The source cycle check of nats-server's `checkStreamCfg`: following local sources (and
/// mirrors) from `cfg` must not come back to a stream already visited whose subjects the
/// source's filter overlaps (`detected cycle`). `get` looks up the account's streams.
pub fn check_source_cycles(
    cfg: &StreamConfig,
    get: &dyn Fn(&str) -> Option<StreamConfig>,
) -> Result<(), ApiError> {
    let overlaps = |subjects: &[String], filter: &str| {
        filter.is_empty() || subjects.iter().any(|s| filters_overlap(s, filter))
    };
    let mut to_visit = std::collections::VecDeque::from([cfg.clone()]);
    let mut visited = std::collections::BTreeSet::new();
    // Bounded: each step visits a stream of the account; a pathological graph stops here.
    let mut steps = 0usize;
    while let Some(c) = to_visit.pop_front() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        visited.insert(c.name.clone());
        for src in &c.sources {
            if src.external.is_some() {
                continue;
            }
            if visited.contains(&src.name) {
                if overlaps(&c.subjects, &src.filter_subject) {
                    return Err(invalid("detected cycle"));
                }
            } else if let Some(sc) = get(&src.name) {
                to_visit.push_back(sc);
            }
        }
        if let Some(m) = c.mirror.as_ref().filter(|m| m.external.is_none()) {
            if visited.contains(&m.name) {
                return Err(invalid("detected cycle"));
            }
            if let Some(mc) = get(&m.name) {
                to_visit.push_back(mc);
            }
        }
    }
    Ok(())
}

/// nats-server's `validGroupName`: `^[a-zA-Z0-9/_=-]{1,16}$`.
pub fn is_valid_group_name(group: &str) -> bool {
    (1..=16).contains(&group.len())
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_=-".contains(&b))
}

/// `checkNewConsumerConfig`: what an update may not change. Errors are plain texts that the
/// caller wraps as 500/10012 (`ApiError::consumer_create`).
pub fn check_consumer_update(old: &ConsumerConfig, new: &ConsumerConfig) -> Result<(), ApiError> {
    if old == new {
        return Ok(());
    }
    let e = |m: &str| Err(ApiError::consumer_create(m));
    if old.deliver_policy != new.deliver_policy {
        return e("deliver policy can not be updated");
    }
    if old.memory_storage != new.memory_storage {
        return e("storage type can not be updated");
    }
    if old.direct != new.direct {
        return e("direct can not be updated");
    }
    if old.sourcing != new.sourcing {
        return e("sourcing can not be updated");
    }
    if old.opt_start_seq != new.opt_start_seq {
        return e("start sequence can not be updated");
    }
    if old.opt_start_time != new.opt_start_time {
        return e("start time can not be updated");
    }
    if old.ack_policy != new.ack_policy {
        return e("ack policy can not be updated");
    }
    if old.replay_policy != new.replay_policy {
        return e("replay policy can not be updated");
    }
    if old.heartbeat != new.heartbeat {
        return e("heart beats can not be updated");
    }
    if old.flow_control != new.flow_control {
        return e("flow control can not be updated");
    }
    if old.deliver_subject != new.deliver_subject {
        if old.deliver_subject.is_empty() {
            return e("can not update pull consumer to push based");
        }
        if new.deliver_subject.is_empty() {
            return e("can not update push consumer to pull based");
        }
    }
    if old.max_waiting != new.max_waiting {
        return e("max waiting can not be updated");
    }
    let lbo = new.backoff.len() as i64;
    if lbo > 0 && new.max_deliver != -1 && lbo > new.max_deliver {
        return Err(ApiError::consumer_max_deliver_backoff());
    }
    Ok(())
}
