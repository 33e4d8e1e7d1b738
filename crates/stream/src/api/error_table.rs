//! The JetStream API error table, generated from nats-server's `server/errors.json`
//! (one constructor per entry; `{placeholders}` become arguments). Do not edit by hand:
//! regenerate with `tools/gen_error_table.py`.

use super::ApiError;

impl ApiError {
    /// 10002 (400): `resource limits exceeded for account` (`JSAccountResourcesExceededErr`).
    pub fn account_resources_exceeded() -> ApiError {
        ApiError::new(
            400,
            10002,
            "resource limits exceeded for account".to_string(),
        )
    }
    /// 10003 (400): `bad request` (`JSBadRequestErr`).
    pub fn bad_request() -> ApiError {
        ApiError::new(400, 10003, "bad request".to_string())
    }
    /// 10004 (503): `incomplete results` (`JSClusterIncompleteErr`).
    pub fn cluster_incomplete() -> ApiError {
        ApiError::new(503, 10004, "incomplete results".to_string())
    }
    /// 10005 (400): `{err}` (`JSClusterNoPeersErrF`).
    pub fn cluster_no_peers(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10005, format!("{err}"))
    }
    /// 10006 (500): `JetStream not in clustered mode` (`JSClusterNotActiveErr`).
    pub fn cluster_not_active() -> ApiError {
        ApiError::new(500, 10006, "JetStream not in clustered mode".to_string())
    }
    /// 10007 (500): `JetStream cluster not assigned to this server` (`JSClusterNotAssignedErr`).
    pub fn cluster_not_assigned() -> ApiError {
        ApiError::new(
            500,
            10007,
            "JetStream cluster not assigned to this server".to_string(),
        )
    }
    /// 10008 (503): `JetStream system temporarily unavailable` (`JSClusterNotAvailErr`).
    pub fn cluster_not_avail() -> ApiError {
        ApiError::new(
            503,
            10008,
            "JetStream system temporarily unavailable".to_string(),
        )
    }
    /// 10009 (500): `JetStream cluster can not handle request` (`JSClusterNotLeaderErr`).
    pub fn cluster_not_leader() -> ApiError {
        ApiError::new(
            500,
            10009,
            "JetStream cluster can not handle request".to_string(),
        )
    }
    /// 10010 (503): `JetStream clustering support required` (`JSClusterRequiredErr`).
    pub fn cluster_required() -> ApiError {
        ApiError::new(
            503,
            10010,
            "JetStream clustering support required".to_string(),
        )
    }
    /// 10011 (400): `tags placement not supported for operation` (`JSClusterTagsErr`).
    pub fn cluster_tags() -> ApiError {
        ApiError::new(
            400,
            10011,
            "tags placement not supported for operation".to_string(),
        )
    }
    /// 10012 (500): `{err}` (`JSConsumerCreateErrF`).
    pub fn consumer_create(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10012, format!("{err}"))
    }
    /// 10013 (400): `consumer name already in use` (`JSConsumerNameExistErr`).
    pub fn consumer_name_exist() -> ApiError {
        ApiError::new(400, 10013, "consumer name already in use".to_string())
    }
    /// 10014 (404): `consumer not found` (`JSConsumerNotFoundErr`).
    pub fn consumer_not_found() -> ApiError {
        ApiError::new(404, 10014, "consumer not found".to_string())
    }
    /// 10015 (400): `deliver subject not valid` (`JSSnapshotDeliverSubjectInvalidErr`).
    pub fn snapshot_deliver_subject_invalid() -> ApiError {
        ApiError::new(400, 10015, "deliver subject not valid".to_string())
    }
    /// 10016 (400): `consumer expected to be durable but no durable name set in subject` (`JSConsumerDurableNameNotInSubjectErr`).
    pub fn consumer_durable_name_not_in_subject() -> ApiError {
        ApiError::new(
            400,
            10016,
            "consumer expected to be durable but no durable name set in subject".to_string(),
        )
    }
    /// 10017 (400): `consumer name in subject does not match durable name in request` (`JSConsumerDurableNameNotMatchSubjectErr`).
    pub fn consumer_durable_name_not_match_subject() -> ApiError {
        ApiError::new(
            400,
            10017,
            "consumer name in subject does not match durable name in request".to_string(),
        )
    }
    /// 10018 (400): `consumer expected to be durable but a durable name was not set` (`JSConsumerDurableNameNotSetErr`).
    pub fn consumer_durable_name_not_set() -> ApiError {
        ApiError::new(
            400,
            10018,
            "consumer expected to be durable but a durable name was not set".to_string(),
        )
    }
    /// 10019 (400): `consumer expected to be ephemeral but detected a durable name set in subject` (`JSConsumerEphemeralWithDurableInSubjectErr`).
    pub fn consumer_ephemeral_with_durable_in_subject() -> ApiError {
        ApiError::new(
            400,
            10019,
            "consumer expected to be ephemeral but detected a durable name set in subject"
                .to_string(),
        )
    }
    /// 10020 (400): `consumer expected to be ephemeral but a durable name was set in request` (`JSConsumerEphemeralWithDurableNameErr`).
    pub fn consumer_ephemeral_with_durable_name() -> ApiError {
        ApiError::new(
            400,
            10020,
            "consumer expected to be ephemeral but a durable name was set in request".to_string(),
        )
    }
    /// 10021 (400): `stream external api prefix {prefix} must not overlap with {subject}` (`JSStreamExternalApiOverlapErrF`).
    pub fn stream_external_api_overlap(
        prefix: impl std::fmt::Display,
        subject: impl std::fmt::Display,
    ) -> ApiError {
        ApiError::new(
            400,
            10021,
            format!("stream external api prefix {prefix} must not overlap with {subject}"),
        )
    }
    /// 10022 (400): `stream external delivery prefix {prefix} overlaps with stream subject {subject}` (`JSStreamExternalDelPrefixOverlapsErrF`).
    pub fn stream_external_del_prefix_overlaps(
        prefix: impl std::fmt::Display,
        subject: impl std::fmt::Display,
    ) -> ApiError {
        ApiError::new(
            400,
            10022,
            format!(
                "stream external delivery prefix {prefix} overlaps with stream subject {subject}"
            ),
        )
    }
    /// 10023 (503): `insufficient resources` (`JSInsufficientResourcesErr`).
    pub fn insufficient_resources() -> ApiError {
        ApiError::new(503, 10023, "insufficient resources".to_string())
    }
    /// 10024 (400): `stream external delivery prefix {prefix} must not contain wildcards` (`JSStreamInvalidExternalDeliverySubjErrF`).
    pub fn stream_invalid_external_delivery_subj(prefix: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10024,
            format!("stream external delivery prefix {prefix} must not contain wildcards"),
        )
    }
    /// 10025 (400): `invalid JSON: {err}` (`JSInvalidJSONErr`).
    pub fn invalid_json(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10025, format!("invalid JSON: {err}"))
    }
    /// 10026 (400): `maximum consumers limit reached` (`JSMaximumConsumersLimitErr`).
    pub fn maximum_consumers_limit() -> ApiError {
        ApiError::new(400, 10026, "maximum consumers limit reached".to_string())
    }
    /// 10027 (400): `maximum number of streams reached` (`JSMaximumStreamsLimitErr`).
    pub fn maximum_streams_limit() -> ApiError {
        ApiError::new(400, 10027, "maximum number of streams reached".to_string())
    }
    /// 10028 (500): `insufficient memory resources available` (`JSMemoryResourcesExceededErr`).
    pub fn memory_resources_exceeded() -> ApiError {
        ApiError::new(
            500,
            10028,
            "insufficient memory resources available".to_string(),
        )
    }
    /// 10029 (500): `{err}` (`JSMirrorConsumerSetupFailedErrF`).
    pub fn mirror_consumer_setup_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10029, format!("{err}"))
    }
    /// 10030 (400): `stream mirror must have max message size >= source` (`JSMirrorMaxMessageSizeTooBigErr`).
    pub fn mirror_max_message_size_too_big() -> ApiError {
        ApiError::new(
            400,
            10030,
            "stream mirror must have max message size >= source".to_string(),
        )
    }
    /// 10031 (400): `stream mirrors can not also contain other sources` (`JSMirrorWithSourcesErr`).
    pub fn mirror_with_sources() -> ApiError {
        ApiError::new(
            400,
            10031,
            "stream mirrors can not also contain other sources".to_string(),
        )
    }
    /// 10032 (400): `stream mirrors can not have both start seq and start time configured` (`JSMirrorWithStartSeqAndTimeErr`).
    pub fn mirror_with_start_seq_and_time() -> ApiError {
        ApiError::new(
            400,
            10032,
            "stream mirrors can not have both start seq and start time configured".to_string(),
        )
    }
    /// 10033 (400): `stream mirrors can not contain filtered subjects` (`JSMirrorWithSubjectFiltersErr`).
    pub fn mirror_with_subject_filters() -> ApiError {
        ApiError::new(
            400,
            10033,
            "stream mirrors can not contain filtered subjects".to_string(),
        )
    }
    /// 10034 (400): `stream mirrors can not contain subjects` (`JSMirrorWithSubjectsErr`).
    pub fn mirror_with_subjects() -> ApiError {
        ApiError::new(
            400,
            10034,
            "stream mirrors can not contain subjects".to_string(),
        )
    }
    /// 10035 (503): `account not found` (`JSNoAccountErr`).
    pub fn no_account() -> ApiError {
        ApiError::new(503, 10035, "account not found".to_string())
    }
    /// 10036 (503): `not currently supported in clustered mode` (`JSClusterUnSupportFeatureErr`).
    pub fn cluster_un_support_feature() -> ApiError {
        ApiError::new(
            503,
            10036,
            "not currently supported in clustered mode".to_string(),
        )
    }
    /// 10037 (404): `no message found` (`JSNoMessageFoundErr`).
    pub fn no_message_found() -> ApiError {
        ApiError::new(404, 10037, "no message found".to_string())
    }
    /// 10038 (400): `expected an empty request payload` (`JSNotEmptyRequestErr`).
    pub fn not_empty_request() -> ApiError {
        ApiError::new(400, 10038, "expected an empty request payload".to_string())
    }
    /// 10039 (503): `JetStream not enabled for account` (`JSNotEnabledForAccountErr`).
    pub fn not_enabled_for_account() -> ApiError {
        ApiError::new(503, 10039, "JetStream not enabled for account".to_string())
    }
    /// 10040 (400): `peer not a member` (`JSClusterPeerNotMemberErr`).
    pub fn cluster_peer_not_member() -> ApiError {
        ApiError::new(400, 10040, "peer not a member".to_string())
    }
    /// 10041 (500): `{err}` (`JSRaftGeneralErrF`).
    pub fn raft_general(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10041, format!("{err}"))
    }
    /// 10042 (500): `JetStream unable to subscribe to restore snapshot {subject}: {err}` (`JSRestoreSubscribeFailedErrF`).
    pub fn restore_subscribe_failed(
        subject: impl std::fmt::Display,
        err: impl std::fmt::Display,
    ) -> ApiError {
        ApiError::new(
            500,
            10042,
            format!("JetStream unable to subscribe to restore snapshot {subject}: {err}"),
        )
    }
    /// 10043 (400): `sequence {seq} not found` (`JSSequenceNotFoundErrF`).
    pub fn sequence_not_found(seq: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10043, format!("sequence {seq} not found"))
    }
    /// 10044 (400): `server is not a member of the cluster` (`JSClusterServerNotMemberErr`).
    pub fn cluster_server_not_member() -> ApiError {
        ApiError::new(
            400,
            10044,
            "server is not a member of the cluster".to_string(),
        )
    }
    /// 10045 (500): `{err}` (`JSSourceConsumerSetupFailedErrF`).
    pub fn source_consumer_setup_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10045, format!("{err}"))
    }
    /// 10046 (400): `stream source must have max message size >= target` (`JSSourceMaxMessageSizeTooBigErr`).
    pub fn source_max_message_size_too_big() -> ApiError {
        ApiError::new(
            400,
            10046,
            "stream source must have max message size >= target".to_string(),
        )
    }
    /// 10047 (500): `insufficient storage resources available` (`JSStorageResourcesExceededErr`).
    pub fn storage_resources_exceeded() -> ApiError {
        ApiError::new(
            500,
            10047,
            "insufficient storage resources available".to_string(),
        )
    }
    /// 10048 (500): `{err}` (`JSStreamAssignmentErrF`).
    pub fn stream_assignment(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10048, format!("{err}"))
    }
    /// 10049 (500): `{err}` (`JSStreamCreateErrF`).
    pub fn stream_create(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10049, format!("{err}"))
    }
    /// 10050 (500): `{err}` (`JSStreamDeleteErrF`).
    pub fn stream_delete(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10050, format!("{err}"))
    }
    /// 10051 (500): `{err}` (`JSStreamGeneralErrorF`).
    pub fn stream_general(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10051, format!("{err}"))
    }
    /// 10052 (500): `{err}` (`JSStreamInvalidConfigF`).
    pub fn stream_invalid_config(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10052, format!("{err}"))
    }
    /// 10053 (500): `{err}` (`JSStreamLimitsErrF`).
    pub fn stream_limits(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10053, format!("{err}"))
    }
    /// 10054 (400): `message size exceeds maximum allowed` (`JSStreamMessageExceedsMaximumErr`).
    pub fn stream_message_exceeds_maximum() -> ApiError {
        ApiError::new(
            400,
            10054,
            "message size exceeds maximum allowed".to_string(),
        )
    }
    /// 10055 (400): `stream mirror configuration can not be updated` (`JSStreamMirrorNotUpdatableErr`).
    pub fn stream_mirror_not_updatable() -> ApiError {
        ApiError::new(
            400,
            10055,
            "stream mirror configuration can not be updated".to_string(),
        )
    }
    /// 10056 (400): `stream name in subject does not match request` (`JSStreamMismatchErr`).
    pub fn stream_mismatch() -> ApiError {
        ApiError::new(
            400,
            10056,
            "stream name in subject does not match request".to_string(),
        )
    }
    /// 10057 (500): `{err}` (`JSStreamMsgDeleteFailedF`).
    pub fn stream_msg_delete_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10057, format!("{err}"))
    }
    /// 10058 (400): `stream name already in use with a different configuration` (`JSStreamNameExistErr`).
    pub fn stream_name_exist() -> ApiError {
        ApiError::new(
            400,
            10058,
            "stream name already in use with a different configuration".to_string(),
        )
    }
    /// 10059 (404): `stream not found` (`JSStreamNotFoundErr`).
    pub fn stream_not_found() -> ApiError {
        ApiError::new(404, 10059, "stream not found".to_string())
    }
    /// 10060 (400): `expected stream does not match` (`JSStreamNotMatchErr`).
    pub fn stream_not_match() -> ApiError {
        ApiError::new(400, 10060, "expected stream does not match".to_string())
    }
    /// 10061 (400): `Replicas configuration can not be updated` (`JSStreamReplicasNotUpdatableErr`).
    pub fn stream_replicas_not_updatable() -> ApiError {
        ApiError::new(
            400,
            10061,
            "Replicas configuration can not be updated".to_string(),
        )
    }
    /// 10062 (500): `restore failed: {err}` (`JSStreamRestoreErrF`).
    pub fn stream_restore(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10062, format!("restore failed: {err}"))
    }
    /// 10063 (503): `expected stream sequence does not match` (`JSStreamSequenceNotMatchErr`).
    pub fn stream_sequence_not_match() -> ApiError {
        ApiError::new(
            503,
            10063,
            "expected stream sequence does not match".to_string(),
        )
    }
    /// 10064 (500): `snapshot failed: {err}` (`JSStreamSnapshotErrF`).
    pub fn stream_snapshot(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10064, format!("snapshot failed: {err}"))
    }
    /// 10065 (400): `subjects overlap with an existing stream` (`JSStreamSubjectOverlapErr`).
    pub fn stream_subject_overlap() -> ApiError {
        ApiError::new(
            400,
            10065,
            "subjects overlap with an existing stream".to_string(),
        )
    }
    /// 10066 (500): `{err}` (`JSStreamTemplateCreateErrF`).
    pub fn stream_template_create(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10066, format!("{err}"))
    }
    /// 10067 (500): `{err}` (`JSStreamTemplateDeleteErrF`).
    pub fn stream_template_delete(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10067, format!("{err}"))
    }
    /// 10068 (404): `template not found` (`JSStreamTemplateNotFoundErr`).
    pub fn stream_template_not_found() -> ApiError {
        ApiError::new(404, 10068, "template not found".to_string())
    }
    /// 10069 (500): `{err}` (`JSStreamUpdateErrF`).
    pub fn stream_update(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10069, format!("{err}"))
    }
    /// 10070 (400): `wrong last msg ID: {id}` (`JSStreamWrongLastMsgIDErrF`).
    pub fn stream_wrong_last_msg_id(id: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10070, format!("wrong last msg ID: {id}"))
    }
    /// 10071 (400): `wrong last sequence: {seq}` (`JSStreamWrongLastSequenceErrF`).
    pub fn stream_wrong_last_sequence(seq: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10071, format!("wrong last sequence: {seq}"))
    }
    /// 10072 (500): `JetStream unable to open temp storage for restore` (`JSTempStorageFailedErr`).
    pub fn temp_storage_failed() -> ApiError {
        ApiError::new(
            500,
            10072,
            "JetStream unable to open temp storage for restore".to_string(),
        )
    }
    /// 10073 (400): `template name in subject does not match request` (`JSTemplateNameNotMatchSubjectErr`).
    pub fn template_name_not_match_subject() -> ApiError {
        ApiError::new(
            400,
            10073,
            "template name in subject does not match request".to_string(),
        )
    }
    /// 10074 (500): `replicas > 1 not supported in non-clustered mode` (`JSStreamReplicasNotSupportedErr`).
    pub fn stream_replicas_not_supported() -> ApiError {
        ApiError::new(
            500,
            10074,
            "replicas > 1 not supported in non-clustered mode".to_string(),
        )
    }
    /// 10075 (503): `peer remap failed` (`JSPeerRemapErr`).
    pub fn peer_remap() -> ApiError {
        ApiError::new(503, 10075, "peer remap failed".to_string())
    }
    /// 10076 (503): `JetStream not enabled` (`JSNotEnabledErr`).
    pub fn not_enabled() -> ApiError {
        ApiError::new(503, 10076, "JetStream not enabled".to_string())
    }
    /// 10077 (503): `{err}` (`JSStreamStoreFailedF`).
    pub fn stream_store_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(503, 10077, format!("{err}"))
    }
    /// 10078 (400): `consumer config required` (`JSConsumerConfigRequiredErr`).
    pub fn consumer_config_required() -> ApiError {
        ApiError::new(400, 10078, "consumer config required".to_string())
    }
    /// 10079 (400): `consumer deliver subject has wildcards` (`JSConsumerDeliverToWildcardsErr`).
    pub fn consumer_deliver_to_wildcards() -> ApiError {
        ApiError::new(
            400,
            10079,
            "consumer deliver subject has wildcards".to_string(),
        )
    }
    /// 10080 (400): `consumer in push mode can not set max waiting` (`JSConsumerPushMaxWaitingErr`).
    pub fn consumer_push_max_waiting() -> ApiError {
        ApiError::new(
            400,
            10080,
            "consumer in push mode can not set max waiting".to_string(),
        )
    }
    /// 10081 (400): `consumer deliver subject forms a cycle` (`JSConsumerDeliverCycleErr`).
    pub fn consumer_deliver_cycle() -> ApiError {
        ApiError::new(
            400,
            10081,
            "consumer deliver subject forms a cycle".to_string(),
        )
    }
    /// 10082 (400): `consumer requires ack policy for max ack pending` (`JSConsumerMaxPendingAckPolicyRequiredErr`).
    pub fn consumer_max_pending_ack_policy_required() -> ApiError {
        ApiError::new(
            400,
            10082,
            "consumer requires ack policy for max ack pending".to_string(),
        )
    }
    /// 10083 (400): `consumer idle heartbeat needs to be >= 100ms` (`JSConsumerSmallHeartbeatErr`).
    pub fn consumer_small_heartbeat() -> ApiError {
        ApiError::new(
            400,
            10083,
            "consumer idle heartbeat needs to be >= 100ms".to_string(),
        )
    }
    /// 10084 (400): `consumer in pull mode requires explicit ack policy on workqueue stream` (`JSConsumerPullRequiresAckErr`).
    pub fn consumer_pull_requires_ack() -> ApiError {
        ApiError::new(
            400,
            10084,
            "consumer in pull mode requires explicit ack policy on workqueue stream".to_string(),
        )
    }
    /// 10085 (400): `consumer in pull mode requires a durable name` (`JSConsumerPullNotDurableErr`).
    pub fn consumer_pull_not_durable() -> ApiError {
        ApiError::new(
            400,
            10085,
            "consumer in pull mode requires a durable name".to_string(),
        )
    }
    /// 10086 (400): `consumer in pull mode can not have rate limit set` (`JSConsumerPullWithRateLimitErr`).
    pub fn consumer_pull_with_rate_limit() -> ApiError {
        ApiError::new(
            400,
            10086,
            "consumer in pull mode can not have rate limit set".to_string(),
        )
    }
    /// 10087 (400): `consumer max waiting needs to be positive` (`JSConsumerMaxWaitingNegativeErr`).
    pub fn consumer_max_waiting_negative() -> ApiError {
        ApiError::new(
            400,
            10087,
            "consumer max waiting needs to be positive".to_string(),
        )
    }
    /// 10088 (400): `consumer idle heartbeat requires a push based consumer` (`JSConsumerHBRequiresPushErr`).
    pub fn consumer_hb_requires_push() -> ApiError {
        ApiError::new(
            400,
            10088,
            "consumer idle heartbeat requires a push based consumer".to_string(),
        )
    }
    /// 10089 (400): `consumer flow control requires a push based consumer` (`JSConsumerFCRequiresPushErr`).
    pub fn consumer_fc_requires_push() -> ApiError {
        ApiError::new(
            400,
            10089,
            "consumer flow control requires a push based consumer".to_string(),
        )
    }
    /// 10090 (400): `consumer direct requires a push based consumer` (`JSConsumerDirectRequiresPushErr`).
    pub fn consumer_direct_requires_push() -> ApiError {
        ApiError::new(
            400,
            10090,
            "consumer direct requires a push based consumer".to_string(),
        )
    }
    /// 10091 (400): `consumer direct requires an ephemeral consumer` (`JSConsumerDirectRequiresEphemeralErr`).
    pub fn consumer_direct_requires_ephemeral() -> ApiError {
        ApiError::new(
            400,
            10091,
            "consumer direct requires an ephemeral consumer".to_string(),
        )
    }
    /// 10092 (400): `consumer direct on a mapped consumer` (`JSConsumerOnMappedErr`).
    pub fn consumer_on_mapped() -> ApiError {
        ApiError::new(
            400,
            10092,
            "consumer direct on a mapped consumer".to_string(),
        )
    }
    /// 10093 (400): `consumer filter subject is not a valid subset of the interest subjects` (`JSConsumerFilterNotSubsetErr`).
    pub fn consumer_filter_not_subset() -> ApiError {
        ApiError::new(
            400,
            10093,
            "consumer filter subject is not a valid subset of the interest subjects".to_string(),
        )
    }
    /// 10094 (400): `{err}` (`JSConsumerInvalidPolicyErrF`).
    pub fn consumer_invalid_policy(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10094, format!("{err}"))
    }
    /// 10095 (400): `failed to parse consumer sampling configuration: {err}` (`JSConsumerInvalidSamplingErrF`).
    pub fn consumer_invalid_sampling(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10095,
            format!("failed to parse consumer sampling configuration: {err}"),
        )
    }
    /// 10096 (500): `stream not valid` (`JSStreamInvalidErr`).
    pub fn stream_invalid() -> ApiError {
        ApiError::new(500, 10096, "stream not valid".to_string())
    }
    /// 10097 (400): `header size exceeds maximum allowed of 64k` (`JSStreamHeaderExceedsMaximumErr`).
    pub fn stream_header_exceeds_maximum() -> ApiError {
        ApiError::new(
            400,
            10097,
            "header size exceeds maximum allowed of 64k".to_string(),
        )
    }
    /// 10098 (400): `workqueue stream requires explicit ack` (`JSConsumerWQRequiresExplicitAckErr`).
    pub fn consumer_wq_requires_explicit_ack() -> ApiError {
        ApiError::new(
            400,
            10098,
            "workqueue stream requires explicit ack".to_string(),
        )
    }
    /// 10099 (400): `multiple non-filtered consumers not allowed on workqueue stream` (`JSConsumerWQMultipleUnfilteredErr`).
    pub fn consumer_wq_multiple_unfiltered() -> ApiError {
        ApiError::new(
            400,
            10099,
            "multiple non-filtered consumers not allowed on workqueue stream".to_string(),
        )
    }
    /// 10100 (400): `filtered consumer not unique on workqueue stream` (`JSConsumerWQConsumerNotUniqueErr`).
    pub fn consumer_wq_consumer_not_unique() -> ApiError {
        ApiError::new(
            400,
            10100,
            "filtered consumer not unique on workqueue stream".to_string(),
        )
    }
    /// 10101 (400): `consumer must be deliver all on workqueue stream` (`JSConsumerWQConsumerNotDeliverAllErr`).
    pub fn consumer_wq_consumer_not_deliver_all() -> ApiError {
        ApiError::new(
            400,
            10101,
            "consumer must be deliver all on workqueue stream".to_string(),
        )
    }
    /// 10102 (400): `consumer name is too long, maximum allowed is {max}` (`JSConsumerNameTooLongErrF`).
    pub fn consumer_name_too_long(max: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10102,
            format!("consumer name is too long, maximum allowed is {max}"),
        )
    }
    /// 10103 (400): `durable name can not contain '.', '*', '>'` (`JSConsumerBadDurableNameErr`).
    pub fn consumer_bad_durable_name() -> ApiError {
        ApiError::new(
            400,
            10103,
            "durable name can not contain '.', '*', '>'".to_string(),
        )
    }
    /// 10104 (500): `error creating store for consumer: {err}` (`JSConsumerStoreFailedErrF`).
    pub fn consumer_store_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            500,
            10104,
            format!("error creating store for consumer: {err}"),
        )
    }
    /// 10105 (400): `consumer already exists and is still active` (`JSConsumerExistingActiveErr`).
    pub fn consumer_existing_active() -> ApiError {
        ApiError::new(
            400,
            10105,
            "consumer already exists and is still active".to_string(),
        )
    }
    /// 10106 (400): `consumer replacement durable config not the same` (`JSConsumerReplacementWithDifferentNameErr`).
    pub fn consumer_replacement_with_different_name() -> ApiError {
        ApiError::new(
            400,
            10106,
            "consumer replacement durable config not the same".to_string(),
        )
    }
    /// 10107 (400): `consumer description is too long, maximum allowed is {max}` (`JSConsumerDescriptionTooLongErrF`).
    pub fn consumer_description_too_long(max: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10107,
            format!("consumer description is too long, maximum allowed is {max}"),
        )
    }
    /// 10108 (400): `consumer with flow control also needs heartbeats` (`JSConsumerWithFlowControlNeedsHeartbeats`).
    pub fn consumer_with_flow_control_needs_heartbeats() -> ApiError {
        ApiError::new(
            400,
            10108,
            "consumer with flow control also needs heartbeats".to_string(),
        )
    }
    /// 10109 (400): `invalid operation on sealed stream` (`JSStreamSealedErr`).
    pub fn stream_sealed() -> ApiError {
        ApiError::new(400, 10109, "invalid operation on sealed stream".to_string())
    }
    /// 10110 (500): `{err}` (`JSStreamPurgeFailedF`).
    pub fn stream_purge_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10110, format!("{err}"))
    }
    /// 10111 (500): `{err}` (`JSStreamRollupFailedF`).
    pub fn stream_rollup_failed(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10111, format!("{err}"))
    }
    /// 10112 (400): `invalid push consumer deliver subject` (`JSConsumerInvalidDeliverSubject`).
    pub fn consumer_invalid_deliver_subject() -> ApiError {
        ApiError::new(
            400,
            10112,
            "invalid push consumer deliver subject".to_string(),
        )
    }
    /// 10113 (400): `account requires a stream config to have max bytes set` (`JSStreamMaxBytesRequired`).
    pub fn stream_max_bytes_required() -> ApiError {
        ApiError::new(
            400,
            10113,
            "account requires a stream config to have max bytes set".to_string(),
        )
    }
    /// 10114 (400): `consumer max request batch needs to be > 0` (`JSConsumerMaxRequestBatchNegativeErr`).
    pub fn consumer_max_request_batch_negative() -> ApiError {
        ApiError::new(
            400,
            10114,
            "consumer max request batch needs to be > 0".to_string(),
        )
    }
    /// 10115 (400): `consumer max request expires needs to be >= 1ms` (`JSConsumerMaxRequestExpiresTooSmall`).
    pub fn consumer_max_request_expires_too_small() -> ApiError {
        ApiError::new(
            400,
            10115,
            "consumer max request expires needs to be >= 1ms".to_string(),
        )
    }
    /// 10116 (400): `max deliver is required to be > length of backoff values` (`JSConsumerMaxDeliverBackoffErr`).
    pub fn consumer_max_deliver_backoff() -> ApiError {
        ApiError::new(
            400,
            10116,
            "max deliver is required to be > length of backoff values".to_string(),
        )
    }
    /// 10117 (500): `subject details would exceed maximum allowed` (`JSStreamInfoMaxSubjectsErr`).
    pub fn stream_info_max_subjects() -> ApiError {
        ApiError::new(
            500,
            10117,
            "subject details would exceed maximum allowed".to_string(),
        )
    }
    /// 10118 (500): `stream is offline` (`JSStreamOfflineErr`).
    pub fn stream_offline() -> ApiError {
        ApiError::new(500, 10118, "stream is offline".to_string())
    }
    /// 10119 (500): `consumer is offline` (`JSConsumerOfflineErr`).
    pub fn consumer_offline() -> ApiError {
        ApiError::new(500, 10119, "consumer is offline".to_string())
    }
    /// 10120 (400): `no JetStream default or applicable tiered limit present` (`JSNoLimitsErr`).
    pub fn no_limits() -> ApiError {
        ApiError::new(
            400,
            10120,
            "no JetStream default or applicable tiered limit present".to_string(),
        )
    }
    /// 10121 (400): `consumer max ack pending exceeds system limit of {limit}` (`JSConsumerMaxPendingAckExcessErrF`).
    pub fn consumer_max_pending_ack_excess(limit: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10121,
            format!("consumer max ack pending exceeds system limit of {limit}"),
        )
    }
    /// 10122 (400): `stream max bytes exceeds account limit max stream bytes` (`JSStreamMaxStreamBytesExceeded`).
    pub fn stream_max_stream_bytes_exceeded() -> ApiError {
        ApiError::new(
            400,
            10122,
            "stream max bytes exceeds account limit max stream bytes".to_string(),
        )
    }
    /// 10123 (400): `can not move and scale a stream in a single update` (`JSStreamMoveAndScaleErr`).
    pub fn stream_move_and_scale() -> ApiError {
        ApiError::new(
            400,
            10123,
            "can not move and scale a stream in a single update".to_string(),
        )
    }
    /// 10124 (400): `stream move already in progress` (`JSStreamMoveInProgressErr`).
    pub fn stream_move_in_progress() -> ApiError {
        ApiError::new(400, 10124, "stream move already in progress".to_string())
    }
    /// 10125 (400): `consumer max request batch exceeds server limit of {limit}` (`JSConsumerMaxRequestBatchExceededF`).
    pub fn consumer_max_request_batch_exceeded(limit: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10125,
            format!("consumer max request batch exceeds server limit of {limit}"),
        )
    }
    /// 10126 (400): `consumer config replica count exceeds parent stream` (`JSConsumerReplicasExceedsStream`).
    pub fn consumer_replicas_exceeds_stream() -> ApiError {
        ApiError::new(
            400,
            10126,
            "consumer config replica count exceeds parent stream".to_string(),
        )
    }
    /// 10127 (400): `Consumer name can not contain path separators` (`JSConsumerNameContainsPathSeparatorsErr`).
    pub fn consumer_name_contains_path_separators() -> ApiError {
        ApiError::new(
            400,
            10127,
            "Consumer name can not contain path separators".to_string(),
        )
    }
    /// 10128 (400): `Stream name can not contain path separators` (`JSStreamNameContainsPathSeparatorsErr`).
    pub fn stream_name_contains_path_separators() -> ApiError {
        ApiError::new(
            400,
            10128,
            "Stream name can not contain path separators".to_string(),
        )
    }
    /// 10129 (400): `stream reconfiguration not in progress` (`JSStreamReconfigureNotInProgressErr`).
    pub fn stream_reconfigure_not_in_progress() -> ApiError {
        ApiError::new(
            400,
            10129,
            "stream reconfiguration not in progress".to_string(),
        )
    }
    /// 10130 (400): `stream name already in use, cannot restore` (`JSStreamNameExistRestoreFailedErr`).
    pub fn stream_name_exist_restore_failed() -> ApiError {
        ApiError::new(
            400,
            10130,
            "stream name already in use, cannot restore".to_string(),
        )
    }
    /// 10131 (400): `Consumer create request did not match filtered subject from create subject` (`JSConsumerCreateFilterSubjectMismatchErr`).
    pub fn consumer_create_filter_subject_mismatch() -> ApiError {
        ApiError::new(
            400,
            10131,
            "Consumer create request did not match filtered subject from create subject"
                .to_string(),
        )
    }
    /// 10132 (400): `Consumer Durable and Name have to be equal if both are provided` (`JSConsumerCreateDurableAndNameMismatch`).
    pub fn consumer_create_durable_and_name_mismatch() -> ApiError {
        ApiError::new(
            400,
            10132,
            "Consumer Durable and Name have to be equal if both are provided".to_string(),
        )
    }
    /// 10133 (400): `replicas count cannot be negative` (`JSReplicasCountCannotBeNegative`).
    pub fn replicas_count_cannot_be_negative() -> ApiError {
        ApiError::new(400, 10133, "replicas count cannot be negative".to_string())
    }
    /// 10134 (400): `consumer config replicas must match interest retention stream's replicas` (`JSConsumerReplicasShouldMatchStream`).
    pub fn consumer_replicas_should_match_stream() -> ApiError {
        ApiError::new(
            400,
            10134,
            "consumer config replicas must match interest retention stream's replicas".to_string(),
        )
    }
    /// 10135 (400): `consumer metadata exceeds maximum size of {limit}` (`JSConsumerMetadataLengthErrF`).
    pub fn consumer_metadata_length(limit: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10135,
            format!("consumer metadata exceeds maximum size of {limit}"),
        )
    }
    /// 10136 (400): `consumer cannot have both FilterSubject and FilterSubjects specified` (`JSConsumerDuplicateFilterSubjects`).
    pub fn consumer_duplicate_filter_subjects() -> ApiError {
        ApiError::new(
            400,
            10136,
            "consumer cannot have both FilterSubject and FilterSubjects specified".to_string(),
        )
    }
    /// 10137 (400): `consumer with multiple subject filters cannot use subject based API` (`JSConsumerMultipleFiltersNotAllowed`).
    pub fn consumer_multiple_filters_not_allowed() -> ApiError {
        ApiError::new(
            400,
            10137,
            "consumer with multiple subject filters cannot use subject based API".to_string(),
        )
    }
    /// 10138 (400): `consumer subject filters cannot overlap` (`JSConsumerOverlappingSubjectFilters`).
    pub fn consumer_overlapping_subject_filters() -> ApiError {
        ApiError::new(
            400,
            10138,
            "consumer subject filters cannot overlap".to_string(),
        )
    }
    /// 10139 (400): `consumer filter in FilterSubjects cannot be empty` (`JSConsumerEmptyFilter`).
    pub fn consumer_empty_filter() -> ApiError {
        ApiError::new(
            400,
            10139,
            "consumer filter in FilterSubjects cannot be empty".to_string(),
        )
    }
    /// 10140 (400): `duplicate source configuration detected` (`JSSourceDuplicateDetected`).
    pub fn source_duplicate_detected() -> ApiError {
        ApiError::new(
            400,
            10140,
            "duplicate source configuration detected".to_string(),
        )
    }
    /// 10141 (400): `sourced stream name is invalid` (`JSSourceInvalidStreamName`).
    pub fn source_invalid_stream_name() -> ApiError {
        ApiError::new(400, 10141, "sourced stream name is invalid".to_string())
    }
    /// 10142 (400): `mirrored stream name is invalid` (`JSMirrorInvalidStreamName`).
    pub fn mirror_invalid_stream_name() -> ApiError {
        ApiError::new(400, 10142, "mirrored stream name is invalid".to_string())
    }
    /// 10143 (400): `stream mirrors can not have first sequence configured` (`JSMirrorWithFirstSeqErr`).
    pub fn mirror_with_first_seq() -> ApiError {
        ApiError::new(
            400,
            10143,
            "stream mirrors can not have first sequence configured".to_string(),
        )
    }
    /// 10144 (400): `source with multiple subject transforms cannot also have a single subject filter` (`JSSourceMultipleFiltersNotAllowed`).
    pub fn source_multiple_filters_not_allowed() -> ApiError {
        ApiError::new(
            400,
            10144,
            "source with multiple subject transforms cannot also have a single subject filter"
                .to_string(),
        )
    }
    /// 10145 (400): `source transform source: {err}` (`JSSourceInvalidSubjectFilter`).
    pub fn source_invalid_subject_filter(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10145, format!("source transform source: {err}"))
    }
    /// 10146 (400): `source transform: {err}` (`JSSourceInvalidTransformDestination`).
    pub fn source_invalid_transform_destination(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10146, format!("source transform: {err}"))
    }
    /// 10147 (400): `source filters can not overlap` (`JSSourceOverlappingSubjectFilters`).
    pub fn source_overlapping_subject_filters() -> ApiError {
        ApiError::new(400, 10147, "source filters can not overlap".to_string())
    }
    /// 10148 (400): `consumer already exists` (`JSConsumerAlreadyExists`).
    pub fn consumer_already_exists() -> ApiError {
        ApiError::new(400, 10148, "consumer already exists".to_string())
    }
    /// 10149 (400): `consumer does not exist` (`JSConsumerDoesNotExist`).
    pub fn consumer_does_not_exist() -> ApiError {
        ApiError::new(400, 10149, "consumer does not exist".to_string())
    }
    /// 10150 (400): `mirror with multiple subject transforms cannot also have a single subject filter` (`JSMirrorMultipleFiltersNotAllowed`).
    pub fn mirror_multiple_filters_not_allowed() -> ApiError {
        ApiError::new(
            400,
            10150,
            "mirror with multiple subject transforms cannot also have a single subject filter"
                .to_string(),
        )
    }
    /// 10151 (400): `mirror transform source: {err}` (`JSMirrorInvalidSubjectFilter`).
    pub fn mirror_invalid_subject_filter(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10151, format!("mirror transform source: {err}"))
    }
    /// 10152 (400): `mirror subject filters can not overlap` (`JSMirrorOverlappingSubjectFilters`).
    pub fn mirror_overlapping_subject_filters() -> ApiError {
        ApiError::new(
            400,
            10152,
            "mirror subject filters can not overlap".to_string(),
        )
    }
    /// 10153 (400): `consumer inactive threshold exceeds system limit of {limit}` (`JSConsumerInactiveThresholdExcess`).
    pub fn consumer_inactive_threshold_excess(limit: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10153,
            format!("consumer inactive threshold exceeds system limit of {limit}"),
        )
    }
    /// 10154 (400): `mirror transform: {err}` (`JSMirrorInvalidTransformDestination`).
    pub fn mirror_invalid_transform_destination(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10154, format!("mirror transform: {err}"))
    }
    /// 10155 (400): `stream transform source: {err}` (`JSStreamTransformInvalidSource`).
    pub fn stream_transform_invalid_source(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10155, format!("stream transform source: {err}"))
    }
    /// 10156 (400): `stream transform: {err}` (`JSStreamTransformInvalidDestination`).
    pub fn stream_transform_invalid_destination(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10156, format!("stream transform: {err}"))
    }
    /// 10157 (400): `pedantic mode: {err}` (`JSPedanticErrF`).
    pub fn pedantic(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10157, format!("pedantic mode: {err}"))
    }
    /// 10158 (409): `duplicate message id is in process` (`JSStreamDuplicateMessageConflict`).
    pub fn stream_duplicate_message_conflict() -> ApiError {
        ApiError::new(409, 10158, "duplicate message id is in process".to_string())
    }
    /// 10159 (400): `Setting PriorityPolicy requires at least one PriorityGroup to be set` (`JSConsumerPriorityPolicyWithoutGroup`).
    pub fn consumer_priority_policy_without_group() -> ApiError {
        ApiError::new(
            400,
            10159,
            "Setting PriorityPolicy requires at least one PriorityGroup to be set".to_string(),
        )
    }
    /// 10160 (400): `Provided priority group does not exist for this consumer` (`JSConsumerInvalidPriorityGroupErr`).
    pub fn consumer_invalid_priority_group() -> ApiError {
        ApiError::new(
            400,
            10160,
            "Provided priority group does not exist for this consumer".to_string(),
        )
    }
    /// 10161 (400): `Group name cannot be an empty string` (`JSConsumerEmptyGroupName`).
    pub fn consumer_empty_group_name() -> ApiError {
        ApiError::new(
            400,
            10161,
            "Group name cannot be an empty string".to_string(),
        )
    }
    /// 10162 (400): `Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters` (`JSConsumerInvalidGroupNameErr`).
    pub fn consumer_invalid_group_name() -> ApiError {
        ApiError::new(400, 10162, "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters".to_string())
    }
    /// 10163 (503): `expected last sequence per subject temporarily unavailable` (`JSStreamExpectedLastSeqPerSubjectNotReady`).
    pub fn stream_expected_last_seq_per_subject_not_ready() -> ApiError {
        ApiError::new(
            503,
            10163,
            "expected last sequence per subject temporarily unavailable".to_string(),
        )
    }
    /// 10164 (400): `wrong last sequence` (`JSStreamWrongLastSequenceConstantErr`).
    pub fn stream_wrong_last_sequence_constant() -> ApiError {
        ApiError::new(400, 10164, "wrong last sequence".to_string())
    }
    /// 10165 (400): `invalid per-message TTL` (`JSMessageTTLInvalidErr`).
    pub fn message_ttl_invalid() -> ApiError {
        ApiError::new(400, 10165, "invalid per-message TTL".to_string())
    }
    /// 10166 (400): `per-message TTL is disabled` (`JSMessageTTLDisabledErr`).
    pub fn message_ttl_disabled() -> ApiError {
        ApiError::new(400, 10166, "per-message TTL is disabled".to_string())
    }
    /// 10167 (429): `too many requests` (`JSStreamTooManyRequests`).
    pub fn stream_too_many_requests() -> ApiError {
        ApiError::new(429, 10167, "too many requests".to_string())
    }
    /// 10168 (400): `message counters is disabled` (`JSMessageIncrDisabledErr`).
    pub fn message_incr_disabled() -> ApiError {
        ApiError::new(400, 10168, "message counters is disabled".to_string())
    }
    /// 10169 (400): `message counter increment is missing` (`JSMessageIncrMissingErr`).
    pub fn message_incr_missing() -> ApiError {
        ApiError::new(
            400,
            10169,
            "message counter increment is missing".to_string(),
        )
    }
    /// 10170 (400): `message counter has payload` (`JSMessageIncrPayloadErr`).
    pub fn message_incr_payload() -> ApiError {
        ApiError::new(400, 10170, "message counter has payload".to_string())
    }
    /// 10171 (400): `message counter increment is invalid` (`JSMessageIncrInvalidErr`).
    pub fn message_incr_invalid() -> ApiError {
        ApiError::new(
            400,
            10171,
            "message counter increment is invalid".to_string(),
        )
    }
    /// 10172 (400): `message counter is broken` (`JSMessageCounterBrokenErr`).
    pub fn message_counter_broken() -> ApiError {
        ApiError::new(400, 10172, "message counter is broken".to_string())
    }
    /// 10173 (400): `stream mirrors can not also calculate counters` (`JSMirrorWithCountersErr`).
    pub fn mirror_with_counters() -> ApiError {
        ApiError::new(
            400,
            10173,
            "stream mirrors can not also calculate counters".to_string(),
        )
    }
    /// 10174 (400): `atomic publish is disabled` (`JSAtomicPublishDisabledErr`).
    pub fn atomic_publish_disabled() -> ApiError {
        ApiError::new(400, 10174, "atomic publish is disabled".to_string())
    }
    /// 10175 (400): `atomic publish sequence is missing` (`JSAtomicPublishMissingSeqErr`).
    pub fn atomic_publish_missing_seq() -> ApiError {
        ApiError::new(400, 10175, "atomic publish sequence is missing".to_string())
    }
    /// 10176 (400): `atomic publish batch is incomplete` (`JSAtomicPublishIncompleteBatchErr`).
    pub fn atomic_publish_incomplete_batch() -> ApiError {
        ApiError::new(400, 10176, "atomic publish batch is incomplete".to_string())
    }
    /// 10177 (400): `atomic publish unsupported header used: {header}` (`JSAtomicPublishUnsupportedHeaderBatchErr`).
    pub fn atomic_publish_unsupported_header_batch(header: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10177,
            format!("atomic publish unsupported header used: {header}"),
        )
    }
    /// 10178 (400): `priority groups can not be used with push consumers` (`JSConsumerPushWithPriorityGroupErr`).
    pub fn consumer_push_with_priority_group() -> ApiError {
        ApiError::new(
            400,
            10178,
            "priority groups can not be used with push consumers".to_string(),
        )
    }
    /// 10179 (400): `atomic publish batch ID is invalid` (`JSAtomicPublishInvalidBatchIDErr`).
    pub fn atomic_publish_invalid_batch_id() -> ApiError {
        ApiError::new(400, 10179, "atomic publish batch ID is invalid".to_string())
    }
    /// 10180 (412): `min last sequence` (`JSStreamMinLastSeqErr`).
    pub fn stream_min_last_seq() -> ApiError {
        ApiError::new(412, 10180, "min last sequence".to_string())
    }
    /// 10181 (400): `consumer ack policy invalid` (`JSConsumerAckPolicyInvalidErr`).
    pub fn consumer_ack_policy_invalid() -> ApiError {
        ApiError::new(400, 10181, "consumer ack policy invalid".to_string())
    }
    /// 10182 (400): `consumer replay policy invalid` (`JSConsumerReplayPolicyInvalidErr`).
    pub fn consumer_replay_policy_invalid() -> ApiError {
        ApiError::new(400, 10182, "consumer replay policy invalid".to_string())
    }
    /// 10183 (400): `consumer ack wait needs to be positive` (`JSConsumerAckWaitNegativeErr`).
    pub fn consumer_ack_wait_negative() -> ApiError {
        ApiError::new(
            400,
            10183,
            "consumer ack wait needs to be positive".to_string(),
        )
    }
    /// 10184 (400): `consumer backoff needs to be positive` (`JSConsumerBackOffNegativeErr`).
    pub fn consumer_back_off_negative() -> ApiError {
        ApiError::new(
            400,
            10184,
            "consumer backoff needs to be positive".to_string(),
        )
    }
    /// 10185 (412): `JetStream minimum api level required` (`JSRequiredApiLevelErr`).
    pub fn required_api_level() -> ApiError {
        ApiError::new(
            412,
            10185,
            "JetStream minimum api level required".to_string(),
        )
    }
    /// 10186 (400): `stream mirrors can not also schedule messages` (`JSMirrorWithMsgSchedulesErr`).
    pub fn mirror_with_msg_schedules() -> ApiError {
        ApiError::new(
            400,
            10186,
            "stream mirrors can not also schedule messages".to_string(),
        )
    }
    /// 10187 (400): `stream source can not also schedule messages` (`JSSourceWithMsgSchedulesErr`).
    pub fn source_with_msg_schedules() -> ApiError {
        ApiError::new(
            400,
            10187,
            "stream source can not also schedule messages".to_string(),
        )
    }
    /// 10188 (400): `message schedules is disabled` (`JSMessageSchedulesDisabledErr`).
    pub fn message_schedules_disabled() -> ApiError {
        ApiError::new(400, 10188, "message schedules is disabled".to_string())
    }
    /// 10189 (400): `message schedules pattern is invalid` (`JSMessageSchedulesPatternInvalidErr`).
    pub fn message_schedules_pattern_invalid() -> ApiError {
        ApiError::new(
            400,
            10189,
            "message schedules pattern is invalid".to_string(),
        )
    }
    /// 10190 (400): `message schedules target is invalid` (`JSMessageSchedulesTargetInvalidErr`).
    pub fn message_schedules_target_invalid() -> ApiError {
        ApiError::new(
            400,
            10190,
            "message schedules target is invalid".to_string(),
        )
    }
    /// 10191 (400): `message schedules invalid per-message TTL` (`JSMessageSchedulesTTLInvalidErr`).
    pub fn message_schedules_ttl_invalid() -> ApiError {
        ApiError::new(
            400,
            10191,
            "message schedules invalid per-message TTL".to_string(),
        )
    }
    /// 10192 (400): `message schedules invalid rollup` (`JSMessageSchedulesRollupInvalidErr`).
    pub fn message_schedules_rollup_invalid() -> ApiError {
        ApiError::new(400, 10192, "message schedules invalid rollup".to_string())
    }
    /// 10193 (400): `missing sequence for expected last sequence per subject` (`JSStreamExpectedLastSeqPerSubjectInvalid`).
    pub fn stream_expected_last_seq_per_subject_invalid() -> ApiError {
        ApiError::new(
            400,
            10193,
            "missing sequence for expected last sequence per subject".to_string(),
        )
    }
    /// 10194 (500): `stream is offline: {err}` (`JSStreamOfflineReasonErrF`).
    pub fn stream_offline_reason(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10194, format!("stream is offline: {err}"))
    }
    /// 10195 (500): `consumer is offline: {err}` (`JSConsumerOfflineReasonErrF`).
    pub fn consumer_offline_reason(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, 10195, format!("consumer is offline: {err}"))
    }
    /// 10196 (400): `consumer can not have priority groups when policy is none` (`JSConsumerPriorityGroupWithPolicyNone`).
    pub fn consumer_priority_group_with_policy_none() -> ApiError {
        ApiError::new(
            400,
            10196,
            "consumer can not have priority groups when policy is none".to_string(),
        )
    }
    /// 10197 (400): `PinnedTTL cannot be set when PriorityPolicy is none` (`JSConsumerPinnedTTLWithoutPriorityPolicyNone`).
    pub fn consumer_pinned_ttl_without_priority_policy_none() -> ApiError {
        ApiError::new(
            400,
            10197,
            "PinnedTTL cannot be set when PriorityPolicy is none".to_string(),
        )
    }
    /// 10198 (400): `stream mirrors can not also use atomic publishing` (`JSMirrorWithAtomicPublishErr`).
    pub fn mirror_with_atomic_publish() -> ApiError {
        ApiError::new(
            400,
            10198,
            "stream mirrors can not also use atomic publishing".to_string(),
        )
    }
    /// 10199 (400): `atomic publish batch is too large: {size}` (`JSAtomicPublishTooLargeBatchErrF`).
    pub fn atomic_publish_too_large_batch(size: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10199,
            format!("atomic publish batch is too large: {size}"),
        )
    }
    /// 10200 (400): `atomic publish batch commit is invalid` (`JSAtomicPublishInvalidBatchCommitErr`).
    pub fn atomic_publish_invalid_batch_commit() -> ApiError {
        ApiError::new(
            400,
            10200,
            "atomic publish batch commit is invalid".to_string(),
        )
    }
    /// 10201 (400): `atomic publish batch contains duplicate message id` (`JSAtomicPublishContainsDuplicateMessageErr`).
    pub fn atomic_publish_contains_duplicate_message() -> ApiError {
        ApiError::new(
            400,
            10201,
            "atomic publish batch contains duplicate message id".to_string(),
        )
    }
    /// 10202 (400): `cluster member change is in progress` (`JSClusterServerMemberChangeInflightErr`).
    pub fn cluster_server_member_change_inflight() -> ApiError {
        ApiError::new(
            400,
            10202,
            "cluster member change is in progress".to_string(),
        )
    }
    /// 10203 (400): `message schedules source is invalid` (`JSMessageSchedulesSourceInvalidErr`).
    pub fn message_schedules_source_invalid() -> ApiError {
        ApiError::new(
            400,
            10203,
            "message schedules source is invalid".to_string(),
        )
    }
    /// 10204 (400): `invalid reset: {err}` (`JSConsumerInvalidResetErr`).
    pub fn consumer_invalid_reset(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, 10204, format!("invalid reset: {err}"))
    }
    /// 10205 (400): `batch publish is disabled` (`JSBatchPublishDisabledErr`).
    pub fn batch_publish_disabled() -> ApiError {
        ApiError::new(400, 10205, "batch publish is disabled".to_string())
    }
    /// 10206 (400): `batch publish pattern is invalid` (`JSBatchPublishInvalidPatternErr`).
    pub fn batch_publish_invalid_pattern() -> ApiError {
        ApiError::new(400, 10206, "batch publish pattern is invalid".to_string())
    }
    /// 10207 (400): `batch publish ID is invalid` (`JSBatchPublishInvalidBatchIDErr`).
    pub fn batch_publish_invalid_batch_id() -> ApiError {
        ApiError::new(400, 10207, "batch publish ID is invalid".to_string())
    }
    /// 10208 (400): `batch publish ID unknown` (`JSBatchPublishUnknownBatchIDErr`).
    pub fn batch_publish_unknown_batch_id() -> ApiError {
        ApiError::new(400, 10208, "batch publish ID unknown".to_string())
    }
    /// 10209 (400): `stream mirrors can not also use batch publishing` (`JSMirrorWithBatchPublishErr`).
    pub fn mirror_with_batch_publish() -> ApiError {
        ApiError::new(
            400,
            10209,
            "stream mirrors can not also use batch publishing".to_string(),
        )
    }
    /// 10210 (429): `atomic publish too many inflight` (`JSAtomicPublishTooManyInflight`).
    pub fn atomic_publish_too_many_inflight() -> ApiError {
        ApiError::new(429, 10210, "atomic publish too many inflight".to_string())
    }
    /// 10211 (429): `batch publish too many inflight` (`JSBatchPublishTooManyInflight`).
    pub fn batch_publish_too_many_inflight() -> ApiError {
        ApiError::new(429, 10211, "batch publish too many inflight".to_string())
    }
    /// 10212 (400): `message schedules invalid scheduler` (`JSMessageSchedulesSchedulerInvalidErr`).
    pub fn message_schedules_scheduler_invalid() -> ApiError {
        ApiError::new(
            400,
            10212,
            "message schedules invalid scheduler".to_string(),
        )
    }
    /// 10213 (400): `stream mirror consumer config is invalid` (`JSMirrorDurableConsumerCfgInvalid`).
    pub fn mirror_durable_consumer_cfg_invalid() -> ApiError {
        ApiError::new(
            400,
            10213,
            "stream mirror consumer config is invalid".to_string(),
        )
    }
    /// 10214 (400): `stream mirror consumer requires flow control ack policy` (`JSMirrorConsumerRequiresAckFCErr`).
    pub fn mirror_consumer_requires_ack_fc() -> ApiError {
        ApiError::new(
            400,
            10214,
            "stream mirror consumer requires flow control ack policy".to_string(),
        )
    }
    /// 10215 (400): `stream source consumer config is invalid` (`JSSourceDurableConsumerCfgInvalid`).
    pub fn source_durable_consumer_cfg_invalid() -> ApiError {
        ApiError::new(
            400,
            10215,
            "stream source consumer config is invalid".to_string(),
        )
    }
    /// 10216 (400): `duplicate stream source consumer detected` (`JSSourceDurableConsumerDuplicateDetected`).
    pub fn source_durable_consumer_duplicate_detected() -> ApiError {
        ApiError::new(
            400,
            10216,
            "duplicate stream source consumer detected".to_string(),
        )
    }
    /// 10217 (400): `stream source consumer requires flow control ack policy` (`JSSourceConsumerRequiresAckFCErr`).
    pub fn source_consumer_requires_ack_fc() -> ApiError {
        ApiError::new(
            400,
            10217,
            "stream source consumer requires flow control ack policy".to_string(),
        )
    }
    /// 10218 (400): `flow control ack policy requires a push based consumer` (`JSConsumerAckFCRequiresPushErr`).
    pub fn consumer_ack_fc_requires_push() -> ApiError {
        ApiError::new(
            400,
            10218,
            "flow control ack policy requires a push based consumer".to_string(),
        )
    }
    /// 10219 (400): `flow control ack policy requires flow control` (`JSConsumerAckFCRequiresFCErr`).
    pub fn consumer_ack_fc_requires_fc() -> ApiError {
        ApiError::new(
            400,
            10219,
            "flow control ack policy requires flow control".to_string(),
        )
    }
    /// 10220 (400): `flow control ack policy requires max ack pending` (`JSConsumerAckFCRequiresMaxAckPendingErr`).
    pub fn consumer_ack_fc_requires_max_ack_pending() -> ApiError {
        ApiError::new(
            400,
            10220,
            "flow control ack policy requires max ack pending".to_string(),
        )
    }
    /// 10221 (400): `flow control ack policy requires unset ack wait` (`JSConsumerAckFCRequiresNoAckWaitErr`).
    pub fn consumer_ack_fc_requires_no_ack_wait() -> ApiError {
        ApiError::new(
            400,
            10221,
            "flow control ack policy requires unset ack wait".to_string(),
        )
    }
    /// 10222 (400): `flow control ack policy requires unset max deliver` (`JSConsumerAckFCRequiresNoMaxDeliverErr`).
    pub fn consumer_ack_fc_requires_no_max_deliver() -> ApiError {
        ApiError::new(
            400,
            10222,
            "flow control ack policy requires unset max deliver".to_string(),
        )
    }
    /// 10223 (400): `message schedules time zone is invalid` (`JSMessageSchedulesTimeZoneInvalidErr`).
    pub fn message_schedules_time_zone_invalid() -> ApiError {
        ApiError::new(
            400,
            10223,
            "message schedules time zone is invalid".to_string(),
        )
    }
    /// 10224 (400): `JetStream system rescue not applied: {err}` (`JSClusterRescueErr`).
    pub fn cluster_rescue(err: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10224,
            format!("JetStream system rescue not applied: {err}"),
        )
    }
    /// 10225 (400): `consumer's stream identity does not match: {msg}` (`JSConsumerStreamIdentityMismatchF`).
    pub fn consumer_stream_identity_mismatch(msg: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            400,
            10225,
            format!("consumer's stream identity does not match: {msg}"),
        )
    }
    /// 10226 (400): `stream reconfiguration already in progress` (`JSStreamReconfigureInProgressErr`).
    pub fn stream_reconfigure_in_progress() -> ApiError {
        ApiError::new(
            400,
            10226,
            "stream reconfiguration already in progress".to_string(),
        )
    }
    /// 10227 (400): `message stream source header is not allowed` (`JSMessageSourceHdrNotAllowedErr`).
    pub fn message_source_hdr_not_allowed() -> ApiError {
        ApiError::new(
            400,
            10227,
            "message stream source header is not allowed".to_string(),
        )
    }
}
