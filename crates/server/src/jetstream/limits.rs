//! The account's JetStream limits (`jetstream { max_streams, max_consumers, max_file,
//! max_mem, max_ack_pending }` in an account block), checked as nats-server checks them:
//! at stream create (jetstream_api.go `jsNonClusteredStreamLimitsCheck`: the stream count,
//! then the bytes the new stream reserves next to the others' `max_bytes`), at consumer
//! create (consumer.go: the account's `max_consumers` per stream, its `max_ack_pending` as
//! default and ceiling), and at publish
//! (jetstream.go `wouldExceedLimits`: the account's stored bytes plus the new message).
//! Also the server-wide `jetstream { limits { … } }` (`JSLimitOpts`): the duplicate
//! window's ceiling, the consumers' `max_ack_pending` and `max_batch` defaults and
//! ceilings, and the per-stream consumer limit of streams that set none
//! (`default_max_consumers`, 1000 unless configured).

use jetmirror_config::JetStreamLimits;
use jetmirror_stream::api::consumer::{AckPolicy, ConsumerConfig};
use jetmirror_stream::api::responses::AccountLimits;
use jetmirror_stream::api::stream::{StorageType, StreamConfig};
use jetmirror_stream::validate::{
    check_stream_config, DEFAULT_DUPLICATE_WINDOW_NS, DEFAULT_MAX_ACK_PENDING,
};
use jetmirror_stream::ApiError;

use super::Service;

/// nats-server's file store record size (filestore.go `fileStoreMsgSizeRaw`).
fn file_msg_size(subject: &str, headers: &[u8], payload: &[u8]) -> i64 {
    let h = if headers.is_empty() {
        0
    } else {
        4 + headers.len()
    };
    i64::try_from(22 + subject.len() + h + payload.len() + 8).unwrap_or(i64::MAX)
}

impl Service {
    /// The limits as `$JS.API.INFO` reports them.
    pub(super) fn account_limits(&self) -> AccountLimits {
        AccountLimits {
            max_memory: self.limits.max_memory,
            max_storage: self.limits.max_file,
            max_streams: self.limits.max_streams,
            max_consumers: self.limits.max_consumers,
            max_ack_pending: self.limits.max_ack_pending,
            ..AccountLimits::default()
        }
    }

    /// Whether creating `cfg` stays within the account's limits.
    pub(super) fn check_stream_limits(&self, cfg: &StreamConfig) -> Result<(), ApiError> {
        let l = &self.limits;
        let others: Vec<&StreamConfig> = self
            .account
            .metas()
            .iter()
            .map(|m| m.config.name.clone())
            .filter(|n| *n != cfg.name)
            .filter_map(|n| self.account.stream(&n).map(|s| s.config()))
            .collect();
        if l.max_streams > 0 && i64::try_from(others.len()).unwrap_or(i64::MAX) >= l.max_streams {
            return Err(ApiError::maximum_streams_limit());
        }
        if cfg.max_consumers > 0 && l.max_consumers > 0 && cfg.max_consumers > l.max_consumers {
            return Err(ApiError::maximum_consumers_limit());
        }
        let reserved: i64 = others
            .iter()
            .filter(|o| o.storage == cfg.storage && o.max_bytes > 0)
            .map(|o| o.max_bytes)
            .fold(0i64, i64::saturating_add);
        let add = if cfg.max_bytes < 0 { 1 } else { cfg.max_bytes };
        let (max, err): (i64, fn() -> ApiError) = match cfg.storage {
            StorageType::Memory => (l.max_memory, ApiError::memory_resources_exceeded),
            StorageType::File => (l.max_file, ApiError::storage_resources_exceeded),
        };
        if max >= 0 && (reserved > max || add > max - reserved) {
            return Err(err());
        }
        Ok(())
    }

    /// Whether updating stream `cfg.name` to `cfg` stays within the account's limits
    /// (stream.go `configUpdateCheck`): only the growth of `max_bytes` is reserved anew.
    /// The update's own validation errors come first, as on nats-server.
    pub(super) fn check_stream_update_limits(
        &self,
        cfg: &StreamConfig,
        pedantic: bool,
    ) -> Result<(), ApiError> {
        let l = &self.limits;
        if l.max_memory < 0 && l.max_file < 0 && l.max_consumers <= 0 {
            return Ok(());
        }
        let Some(old) = self.account.stream(&cfg.name).map(|s| s.config().clone()) else {
            return Ok(());
        };
        let others: Vec<StreamConfig> = self
            .account
            .metas()
            .into_iter()
            .map(|m| m.config)
            .filter(|c| c.name != cfg.name)
            .collect();
        let cfg = jetmirror_stream::validate::check_stream_update(&old, cfg, pedantic, &others)?;
        if cfg.max_consumers > 0 && l.max_consumers > 0 && cfg.max_consumers > l.max_consumers {
            return Err(ApiError::maximum_consumers_limit());
        }
        let diff = (cfg.max_bytes.max(0) - old.max_bytes.max(0)).max(0);
        let reserved = others
            .iter()
            .filter(|o| o.storage == cfg.storage && o.max_bytes > 0)
            .map(|o| o.max_bytes)
            .fold(0i64, i64::saturating_add)
            .saturating_add((cfg.max_bytes - diff).max(0));
        let (max, err): (i64, fn() -> ApiError) = match cfg.storage {
            StorageType::Memory => (l.max_memory, ApiError::memory_resources_exceeded),
            StorageType::File => (l.max_file, ApiError::storage_resources_exceeded),
        };
        if max >= 0 && (reserved > max || diff > max - reserved) {
            return Err(err());
        }
        Ok(())
    }

    /// The server-wide `jetstream { limits { … } }`.
    pub(super) fn server_limits(&self) -> JetStreamLimits {
        self.state
            .opts()
            .jetstream
            .as_ref()
            .map(|j| j.limits)
            .unwrap_or_default()
    }

    /// Whether one more consumer on `stream` stays within the account's `max_consumers`
    /// and, for a stream without its own `max_consumers`, the server's
    /// `default_max_consumers` (the stream's own limit is the stream's business).
    pub(super) fn check_consumer_limits(&self, stream: &str) -> Result<(), ApiError> {
        let acc_max = self.limits.max_consumers;
        let Some(s) = self.account.stream(stream) else {
            return Ok(());
        };
        let own = s.config().max_consumers;
        let count = i64::try_from(s.consumer_names().len()).unwrap_or(i64::MAX);
        let applies = acc_max > 0 && (own <= 0 || acc_max < own);
        if applies && count >= acc_max {
            return Err(ApiError::maximum_consumers_limit());
        }
        if own <= 0 {
            if let Some(default) = self.server_limits().default_max_consumers() {
                if count >= default {
                    return Err(ApiError::maximum_consumers_limit());
                }
            }
        }
        Ok(())
    }

    /// The server's and the account's `max_ack_pending` and the server's
    /// `max_request_batch` (consumer.go `setConsumerConfigDefaults` and
    /// `checkConsumerCfg`): the defaults of a consumer that sets none (an acked consumer's
    /// `max_ack_pending` when below nats-server's 1000; a pull consumer's `max_batch`), and
    /// ceilings for one that sets more (10121, 10125).
    pub(super) fn apply_consumer_limits(
        &self,
        stream: &str,
        config: &mut ConsumerConfig,
        pedantic: bool,
    ) -> Result<(), ApiError> {
        let srv = self.server_limits();
        let acc = self.limits.max_ack_pending;
        let pull = config.deliver_subject.is_empty();
        if pull && config.max_request_batch == 0 && srv.max_request_batch > 0 {
            if pedantic {
                return Err(ApiError::pedantic(
                    "max_request_batch must be set if it's JetStream limits are set",
                ));
            }
            config.max_request_batch = srv.max_request_batch;
        }
        if srv.max_ack_pending > 0 || acc > 0 {
            let stream_limit = self
                .account
                .stream(stream)
                .map_or(0, |s| s.config().consumer_limits.max_ack_pending);
            if config.max_ack_pending == 0 {
                if stream_limit > 0 {
                    config.max_ack_pending = stream_limit;
                } else if config.ack_policy != AckPolicy::None {
                    config.max_ack_pending = [srv.max_ack_pending, acc]
                        .into_iter()
                        .filter(|l| *l > 0)
                        .fold(DEFAULT_MAX_ACK_PENDING, i64::min);
                }
            }
        }
        if pull && srv.max_request_batch > 0 && config.max_request_batch > srv.max_request_batch {
            return Err(ApiError::consumer_max_request_batch_exceeded(
                srv.max_request_batch,
            ));
        }
        for limit in [srv.max_ack_pending, acc] {
            if limit > 0 && config.max_ack_pending > limit {
                return Err(ApiError::consumer_max_pending_ack_excess(limit));
            }
        }
        Ok(())
    }

    /// The server's `duplicate_window` limit (stream.go `checkStreamCfgLocked`): the
    /// default window of a stream that sets none is at most the limit, and a larger
    /// window is refused. The stream's own checks run first so their errors keep their
    /// precedence.
    pub(super) fn apply_duplicate_window_limit(
        &self,
        config: &mut StreamConfig,
        pedantic: bool,
    ) -> Result<(), ApiError> {
        let lim = self.server_limits().max_duplicate_window;
        if lim <= 0 {
            return Ok(());
        }
        check_stream_config(config, pedantic)?;
        if config.duplicate_window == 0 && config.mirror.is_none() && config.sources.is_empty() {
            let mut max_window = DEFAULT_DUPLICATE_WINDOW_NS;
            if max_window > lim {
                if pedantic {
                    return Err(ApiError::pedantic(
                        "duplicate window limits are higher than current limits",
                    ));
                }
                max_window = lim;
            }
            if config.max_age > 0 && config.max_age < max_window {
                if pedantic {
                    return Err(ApiError::pedantic(
                        "duplicate window cannot be bigger than max age",
                    ));
                }
                config.duplicate_window = config.max_age;
            } else {
                config.duplicate_window = max_window;
            }
        }
        if config.duplicate_window > lim {
            return Err(ApiError::stream_invalid_config(format!(
                "duplicates window can not be larger then server limit of {}",
                jetmirror_stream::consumer::go_duration(lim)
            )));
        }
        Ok(())
    }

    /// Whether storing this message would take the account past `max_file` / `max_mem`.
    pub(super) fn would_exceed(
        &self,
        storage: StorageType,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
    ) -> bool {
        let max = match storage {
            StorageType::Memory => self.limits.max_memory,
            StorageType::File => self.limits.max_file,
        };
        if max < 0 {
            return false;
        }
        let info = self.account.info();
        let (used, size) = match storage {
            StorageType::Memory => (
                info.memory,
                i64::try_from(jetmirror_stream::memstore::mem_msg_size(
                    subject, headers, payload,
                ))
                .unwrap_or(i64::MAX),
            ),
            StorageType::File => (info.storage, file_msg_size(subject, headers, payload)),
        };
        i64::try_from(used).unwrap_or(i64::MAX).saturating_add(size) > max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_record_sizes_match_nats_server() {
        // 10 messages of 100000 bytes on `s0.x` used 1000340 bytes on nats-server.
        assert_eq!(file_msg_size("s0.x", b"", &[0u8; 100_000]) * 10, 1_000_340);
        assert_eq!(
            file_msg_size("a", b"NATS/1.0\r\n\r\n", b"x"),
            22 + 1 + 4 + 12 + 1 + 8
        );
    }
}
