//! Stream sources on this node: after each batch and on each tick, the messages that
//! arrived in a source stream since the last copy are read from its store and applied to
//! the sourcing stream as `Command::SourceStore` (the state machine adds the
//! `Nats-Stream-Source` header, the transforms and the new sequence). A source stream
//! that does not exist (yet) is simply waited for.

use jetmirror_stream::api::stream::StreamSourceInfo;
use jetmirror_stream::source::SourcePlan;
use jetmirror_stream::{ApiError, Command};

use super::{now_ns, Service};

/// Messages copied per source per round, so one large source does not hold the batch.
const ROUND_MAX: usize = 1024;

/// Where reading starts: after what was copied, else the source's start options.
fn start_seq(plan: &SourcePlan, src: &jetmirror_stream::Stream) -> u64 {
    if plan.next_seq > 0 {
        plan.next_seq
    } else if plan.opt_start_seq > 0 {
        plan.opt_start_seq
    } else if let Some(t) = plan.opt_start_time {
        src.first_seq_at_or_after(t)
    } else {
        1
    }
}

impl Service {
    /// The `sources[]` blocks of stream `name`'s info.
    /// Before the first copy the lag is 0 and a missing source stream no error yet
    /// (nats-server's create answer); `created` asks for that view.
    pub(super) fn sources_info(
        &self,
        name: &str,
        now: i64,
        created: bool,
    ) -> Vec<StreamSourceInfo> {
        let Some(s) = self.account.stream(name) else {
            return Vec::new();
        };
        let plans = s.source_plans();
        s.source_infos(now, &|iname| {
            let Some(p) = plans.iter().find(|p| p.index_name == iname) else {
                return (0, None);
            };
            if self.account.stream(&p.stream).is_none() {
                let error = (!created).then(ApiError::stream_not_found);
                return (0, error);
            }
            if created || p.next_seq == 0 {
                return (0, None);
            }
            (self.source_lag(p), None)
        })
    }

    /// Copies what is new in every source of every stream.
    pub(super) fn pump_sources(&mut self) {
        // Runs after every batch: without sourcing streams it costs one pass over configs.
        let plans: Vec<(String, Vec<SourcePlan>)> = self
            .account
            .streams()
            .filter(|s| !s.config().sources.is_empty())
            .map(|s| (s.name().to_string(), s.source_plans()))
            .collect();
        if plans.is_empty() {
            return;
        }
        let now = now_ns();
        for (name, plans) in plans {
            for plan in plans {
                for cmd in self.read_source(&plan, now) {
                    self.apply(&name, cmd);
                }
            }
        }
    }

    /// The next messages of `plan`'s source stream, as commands.
    fn read_source(&self, plan: &SourcePlan, now: i64) -> Vec<Command> {
        let Some(src) = self.account.stream(&plan.stream) else {
            return Vec::new();
        };
        let mut seq = start_seq(plan, src);
        let store = src.store();
        let mut out = Vec::new();
        while out.len() < ROUND_MAX {
            let next = plan
                .filters
                .iter()
                .filter_map(|f| store.next_matching(seq, f).ok().flatten())
                .min_by_key(|m| m.seq);
            let Some(m) = next else { break };
            seq = m.seq + 1;
            out.push(Command::SourceStore {
                index_name: plan.index_name.clone(),
                source_created_ns: src.created_ns(),
                source_seq: m.seq,
                subject: m.subject,
                headers: m.headers,
                payload: m.payload,
                now_ns: now,
            });
        }
        out
    }

    /// How many messages of the source wait to be copied.
    fn source_lag(&self, plan: &SourcePlan) -> u64 {
        let Some(src) = self.account.stream(&plan.stream) else {
            return 0;
        };
        let start = start_seq(plan, src);
        plan.filters
            .iter()
            .map(|f| src.store().num_pending(start, f))
            .sum()
    }
}
