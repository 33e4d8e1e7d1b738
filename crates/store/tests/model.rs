//! Property test: random operation sequences (appends, store_at with gaps, skips, deletes,
//! purges, truncates, limit changes, reopen with and without the index file) against a plain
//! BTreeMap model of nats-server's semantics. After every step the state and every message
//! must match.

use std::collections::BTreeMap;
use std::path::Path;

use jetmirror_store::{Discard, PurgeRequest, Store, StoreConfig, SyncPolicy, WriteError};
use proptest::prelude::*;

const SUBJECTS: &[&str] = &["a", "a.b", "a.c", "b.x", "b.y.z"];
const FILTERS: &[&str] = &["", ">", "a", "a.*", "b.>", "*.x", "a.b", "c"];

#[derive(Debug, Clone)]
struct Msg {
    ts: i64,
    subject: String,
    headers: Vec<u8>,
    payload: Vec<u8>,
}

fn size_raw(m: &Msg) -> u64 {
    let (s, h, p) = (
        m.subject.len() as u64,
        m.headers.len() as u64,
        m.payload.len() as u64,
    );
    if h == 0 {
        22 + s + p + 8
    } else {
        22 + s + 4 + h + p + 8
    }
}

#[derive(Debug, Clone, Default)]
struct Model {
    msgs: BTreeMap<u64, Msg>,
    last: u64,
    last_ts: i64,
    cfg: StoreConfig,
}

#[derive(Debug, PartialEq)]
enum Refused {
    MaxMsgs,
    MaxBytes,
    PerSubject,
    TooLarge,
    Seq,
}

impl Model {
    fn first(&self) -> u64 {
        self.msgs.keys().next().copied().unwrap_or(self.last + 1)
    }
    fn bytes(&self) -> u64 {
        self.msgs.values().map(size_raw).sum()
    }
    fn count(&self, subj: &str) -> u64 {
        self.msgs.values().filter(|m| m.subject == subj).count() as u64
    }
    fn remove_front(&mut self) {
        let k = *self.msgs.keys().next().unwrap();
        self.msgs.remove(&k);
    }
    fn trim_subject(&mut self, subj: &str) {
        let mmp = self.cfg.max_msgs_per_subject;
        if mmp <= 0 {
            return;
        }
        while self.count(subj) > mmp as u64 {
            let k = *self.msgs.iter().find(|(_, m)| m.subject == subj).unwrap().0;
            self.msgs.remove(&k);
        }
    }
    fn enforce(&mut self) {
        if self.cfg.discard != Discard::Old {
            return;
        }
        if self.cfg.max_msgs > 0 {
            while self.msgs.len() as u64 > self.cfg.max_msgs as u64 {
                self.remove_front();
            }
        }
        if self.cfg.max_bytes > 0 {
            while self.bytes() > self.cfg.max_bytes as u64 {
                self.remove_front();
            }
        }
    }
    fn store(&mut self, seq: Option<u64>, m: Msg) -> Result<u64, Refused> {
        let c = self.cfg.clone();
        if c.max_msg_size > 0 && m.headers.len() + m.payload.len() > c.max_msg_size as usize {
            return Err(Refused::TooLarge);
        }
        let seq = match seq {
            None => self.last + 1,
            Some(s) if s > self.last => s,
            Some(_) => return Err(Refused::Seq),
        };
        if c.discard == Discard::New {
            let mmp = c.max_msgs_per_subject;
            let mut asl = false;
            let mut first_size = 0;
            if mmp > 0 && self.count(&m.subject) + 1 > mmp as u64 {
                if c.discard_new_per_subject {
                    return Err(Refused::PerSubject);
                }
                asl = true;
                first_size = self
                    .msgs
                    .values()
                    .find(|x| x.subject == m.subject)
                    .map_or(0, size_raw);
            }
            if c.max_msgs > 0 && self.msgs.len() as u64 >= c.max_msgs as u64 && !asl {
                return Err(Refused::MaxMsgs);
            }
            if c.max_bytes > 0
                && self.bytes() + size_raw(&m) > c.max_bytes as u64
                && (!asl || first_size < size_raw(&m))
            {
                return Err(Refused::MaxBytes);
            }
        }
        let subj = m.subject.clone();
        self.last = seq;
        self.last_ts = m.ts;
        self.msgs.insert(seq, m);
        self.trim_subject(&subj);
        self.enforce();
        Ok(seq)
    }
    fn matches(filter: &str, subj: &str) -> bool {
        if filter.is_empty() || filter == ">" {
            return true;
        }
        let f: Vec<&str> = filter.split('.').collect();
        let s: Vec<&str> = subj.split('.').collect();
        for (i, ft) in f.iter().enumerate() {
            if *ft == ">" {
                return s.len() > i;
            }
            match s.get(i) {
                Some(st) if *ft == "*" || ft == st => {}
                _ => return false,
            }
        }
        f.len() == s.len()
    }
    fn purge(&mut self, req: &PurgeRequest) -> u64 {
        let up_to = req.up_to_seq.unwrap_or(0);
        if up_to == 1 {
            return 0;
        }
        let filter = req.subject.clone().unwrap_or_default();
        let before = self.msgs.len() as u64;
        if filter.is_empty() || filter == ">" {
            let keep = req.keep.unwrap_or(0);
            if up_to > 1 {
                self.msgs = self.msgs.split_off(&up_to);
                if up_to > self.last + 1 {
                    self.last = up_to - 1;
                }
            } else if keep == 0 {
                self.msgs.clear();
            } else {
                while self.msgs.len() as u64 > keep {
                    self.remove_front();
                }
            }
            return before - self.msgs.len() as u64;
        }
        let matching: Vec<u64> = self
            .msgs
            .iter()
            .filter(|(_, m)| Self::matches(&filter, &m.subject))
            .map(|(k, _)| *k)
            .collect();
        let mut cand: Vec<u64> = matching
            .iter()
            .copied()
            .filter(|s| up_to <= 1 || *s < up_to)
            .collect();
        if let Some(keep) = req.keep.filter(|k| *k > 0) {
            let total = matching.len() as u64;
            if keep >= total {
                return 0;
            }
            cand.truncate((total - keep) as usize);
        }
        for s in &cand {
            self.msgs.remove(s);
        }
        cand.len() as u64
    }
}

#[derive(Debug, Clone)]
enum Op {
    Append {
        subj: usize,
        hdr: bool,
        len: usize,
    },
    StoreAt {
        gap: u64,
        subj: usize,
        len: usize,
    },
    Skip {
        gap: u64,
    },
    Delete {
        pick: usize,
        erase: bool,
    },
    Purge {
        filter: Option<usize>,
        up_to: Option<u64>,
        keep: Option<u64>,
    },
    Truncate {
        back: u64,
    },
    Reopen {
        drop_index: bool,
    },
    Compact,
    Config(usize),
    Query {
        filter: usize,
        start: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0..SUBJECTS.len(), any::<bool>(), 0usize..300).prop_map(|(subj, hdr, len)| Op::Append { subj, hdr, len }),
        2 => (1u64..6, 0..SUBJECTS.len(), 0usize..100).prop_map(|(gap, subj, len)| Op::StoreAt { gap, subj, len }),
        1 => (1u64..5).prop_map(|gap| Op::Skip { gap }),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, erase)| Op::Delete { pick, erase }),
        1 => (proptest::option::of(0..FILTERS.len()), proptest::option::of(0u64..40), proptest::option::of(0u64..4))
            .prop_map(|(filter, up_to, keep)| Op::Purge { filter, up_to, keep }),
        1 => (0u64..6).prop_map(|back| Op::Truncate { back }),
        1 => any::<bool>().prop_map(|drop_index| Op::Reopen { drop_index }),
        1 => Just(Op::Compact),
        1 => (0usize..6).prop_map(Op::Config),
        2 => (0..FILTERS.len(), 0u64..40).prop_map(|(filter, start)| Op::Query { filter, start }),
    ]
}

fn config(i: usize) -> StoreConfig {
    let base = StoreConfig {
        segment_size: 4096,
        sync: SyncPolicy::Never,
        ..StoreConfig::default()
    };
    match i {
        0 => base,
        1 => StoreConfig {
            max_msgs: 8,
            ..base
        },
        2 => StoreConfig {
            max_bytes: 1500,
            max_msgs_per_subject: 3,
            ..base
        },
        3 => StoreConfig {
            max_msgs: 6,
            max_bytes: 2000,
            discard: Discard::New,
            max_msg_size: 200,
            ..base
        },
        4 => StoreConfig {
            max_msgs_per_subject: 2,
            discard: Discard::New,
            discard_new_per_subject: true,
            ..base
        },
        _ => StoreConfig {
            max_msgs_per_subject: 2,
            discard: Discard::New,
            max_msgs: 10,
            sync: SyncPolicy::Always,
            ..base
        },
    }
}

fn check(store: &Store, model: &Model) -> Result<(), TestCaseError> {
    let st = store.state(true);
    let first = model.first();
    let empty_fresh = model.msgs.is_empty() && model.last == 0;
    prop_assert_eq!(st.messages, model.msgs.len() as u64, "messages");
    prop_assert_eq!(st.bytes, model.bytes(), "bytes");
    prop_assert_eq!(st.last_seq, model.last, "last_seq");
    prop_assert_eq!(
        st.first_seq,
        if empty_fresh { 0 } else { first },
        "first_seq"
    );
    prop_assert_eq!(st.last_ts, model.last_ts, "last_ts");
    prop_assert_eq!(
        st.first_ts,
        model.msgs.values().next().map_or(0, |m| m.ts),
        "first_ts"
    );
    let deleted: Vec<u64> = if model.msgs.is_empty() {
        vec![]
    } else {
        (first..=model.last)
            .filter(|s| !model.msgs.contains_key(s))
            .collect()
    };
    prop_assert_eq!(st.num_deleted, deleted.len() as u64, "num_deleted");
    prop_assert_eq!(&st.deleted, &deleted, "deleted");
    let subjects: std::collections::BTreeSet<&str> =
        model.msgs.values().map(|m| m.subject.as_str()).collect();
    prop_assert_eq!(st.num_subjects, subjects.len() as u64, "num_subjects");
    for seq in first.saturating_sub(2)..=model.last + 1 {
        let got = store
            .get(seq)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        match (got, model.msgs.get(&seq)) {
            (None, None) => {}
            (Some(g), Some(m)) => {
                prop_assert_eq!(g.seq, seq);
                prop_assert_eq!(g.ts_ns, m.ts);
                prop_assert_eq!(&g.subject, &m.subject);
                prop_assert_eq!(&g.headers[..], &m.headers[..]);
                prop_assert_eq!(&g.payload[..], &m.payload[..]);
            }
            (g, m) => prop_assert!(
                false,
                "seq {seq}: store {:?} model {:?}",
                g.map(|x| x.seq),
                m.map(|x| &x.subject)
            ),
        }
    }
    Ok(())
}

fn open(dir: &Path, cfg: StoreConfig) -> Store {
    Store::open(dir, cfg).expect("open").0
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("s");
    let mut model = Model {
        cfg: config(0),
        ..Model::default()
    };
    let mut store = Some(open(&dir, model.cfg.clone()));
    let mut counter = 0u8;
    for op in ops {
        let s = store.as_ref().expect("store");
        counter = counter.wrapping_add(1);
        let mk = |subj: usize, hdr: bool, len: usize, ts: i64| Msg {
            ts,
            subject: SUBJECTS[subj].to_string(),
            headers: if hdr {
                b"NATS/1.0\r\nX: y\r\n\r\n".to_vec()
            } else {
                vec![]
            },
            payload: (0..len).map(|i| (i as u8).wrapping_add(counter)).collect(),
        };
        match op {
            Op::Append { subj, hdr, len } => {
                let m = mk(subj, hdr, len, 1000 + i64::from(counter));
                let got = s.append(&m.subject, &m.headers, &m.payload, m.ts);
                let want = model.store(None, m);
                match (got, want) {
                    (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                    (Err(WriteError::MaxMsgs), Err(Refused::MaxMsgs))
                    | (Err(WriteError::MaxBytes), Err(Refused::MaxBytes))
                    | (Err(WriteError::MaxMsgsPerSubject), Err(Refused::PerSubject))
                    | (Err(WriteError::MsgTooLarge), Err(Refused::TooLarge)) => {}
                    (g, w) => prop_assert!(false, "append: store {g:?} model {w:?}"),
                }
            }
            Op::StoreAt { gap, subj, len } => {
                let seq = model.last + gap;
                let m = mk(subj, false, len, 5000 + seq as i64);
                let got = s.store_at(seq, m.ts, &m.subject, &m.headers, &m.payload);
                let want = model.store(Some(seq), m);
                prop_assert_eq!(got.is_ok(), want.is_ok(), "store_at {:?} {:?}", got, want);
            }
            Op::Skip { gap } => {
                let seq = model.last + gap;
                s.skip_to(seq)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                if seq > model.last + 1 {
                    model.last = seq - 1;
                }
            }
            Op::Delete { pick, erase } => {
                let span = model.last + 2;
                let seq = (pick as u64) % span;
                let got = s.delete(seq, erase);
                if seq > model.last {
                    prop_assert!(got.is_err(), "delete beyond last must be EOF");
                } else {
                    let want = model.msgs.remove(&seq).is_some();
                    prop_assert_eq!(got.map_err(|e| TestCaseError::fail(e.to_string()))?, want);
                }
            }
            Op::Purge {
                filter,
                up_to,
                keep,
            } => {
                let req = PurgeRequest {
                    subject: filter.map(|f| FILTERS[f].to_string()),
                    up_to_seq: up_to,
                    keep,
                };
                let got = s
                    .purge(req.clone())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let want = model.purge(&req);
                prop_assert_eq!(got, want, "purge {:?}", req);
            }
            Op::Truncate { back } => {
                let seq = model.last.saturating_sub(back);
                s.truncate(seq)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                if seq < model.last {
                    model.msgs.retain(|k, _| *k <= seq);
                    if let Some(m) = model.msgs.values().next_back() {
                        model.last_ts = m.ts;
                    }
                    model.last = seq;
                }
            }
            Op::Reopen { drop_index } => {
                drop(store.take());
                if drop_index {
                    let _ = std::fs::remove_file(dir.join("index.db"));
                }
                let (s2, report) = Store::open(&dir, model.cfg.clone()).expect("reopen");
                prop_assert!(
                    report.dropped.is_empty(),
                    "clean reopen dropped {:?}",
                    report.dropped
                );
                prop_assert_eq!(report.used_index_file, !drop_index);
                store = Some(s2);
            }
            Op::Compact => {
                s.compact_now()
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Config(i) => {
                model.cfg = config(i);
                s.update_config(model.cfg.clone())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let subjects: Vec<String> =
                    model.msgs.values().map(|m| m.subject.clone()).collect();
                for subj in subjects {
                    model.trim_subject(&subj);
                }
                model.enforce();
            }
            Op::Query { filter, start } => {
                let f = FILTERS[filter];
                let want = model
                    .msgs
                    .range(start..)
                    .find(|(_, m)| Model::matches(f, &m.subject))
                    .map(|(k, _)| *k);
                let got = s
                    .next_matching(start, f)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?
                    .map(|m| m.seq);
                prop_assert_eq!(got, want, "next_matching({}, {:?})", start, f);
                let want_last = model
                    .msgs
                    .iter()
                    .rev()
                    .find(|(_, m)| Model::matches(f, &m.subject))
                    .map(|(k, _)| *k);
                let got_last = s
                    .last_for_subject(f)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?
                    .map(|m| m.seq);
                prop_assert_eq!(got_last, want_last, "last_for_subject({:?})", f);
                let pending = model
                    .msgs
                    .range(start..)
                    .filter(|(_, m)| Model::matches(f, &m.subject))
                    .count() as u64;
                prop_assert_eq!(
                    s.num_pending(start, f),
                    pending,
                    "num_pending({}, {:?})",
                    start,
                    f
                );
                let mut counts = BTreeMap::new();
                for m in model
                    .msgs
                    .values()
                    .filter(|m| Model::matches(f, &m.subject))
                {
                    *counts.entry(m.subject.clone()).or_insert(0u64) += 1;
                }
                prop_assert_eq!(s.subject_counts(f), counts);
            }
        }
        check(store.as_ref().expect("store"), &model)?;
    }
    // A final reopen from the segments alone must give the same state.
    drop(store.take());
    let _ = std::fs::remove_file(dir.join("index.db"));
    let s = open(&dir, model.cfg.clone());
    check(&s, &model)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, max_shrink_iters: 2000, ..ProptestConfig::default() })]
    #[test]
    fn store_matches_model(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops)?;
    }
}
