//! Properties: `matches` agrees with a naive recursive matcher; the subset and
//! overlap relations agree with brute force over a small universe of subjects;
//! `SubjectIndex::matches` agrees with a linear scan across random insert/remove
//! sequences, with the cache in play.

use std::collections::BTreeSet;

use jetmirror_subject::{
    filters_overlap, is_valid_subject, matches, subject_is_subset, SubjectIndex,
};
use proptest::prelude::*;

/// Naive reference matcher, written independently of the crate's iterator walk.
fn naive(filter: &[&str], subject: &[&str]) -> bool {
    match (filter.split_first(), subject.split_first()) {
        (None, None) => true,
        (Some((&">", _)), Some(_)) => true,
        (Some((f, frest)), Some((s, srest))) => (*f == "*" || f == s) && naive(frest, srest),
        _ => false,
    }
}

const TOKENS: &[&str] = &["a", "b", "c", "*", ">"];

fn subject_of(tokens: &[&str]) -> impl Strategy<Value = String> {
    let tokens: Vec<String> = tokens.iter().map(|s| (*s).to_owned()).collect();
    prop::collection::vec(prop::sample::select(tokens), 1..5).prop_map(|t| t.join("."))
}

fn literal() -> impl Strategy<Value = String> {
    subject_of(&["a", "b", "c"])
}

/// Valid filters (with `>` only last).
fn filter() -> impl Strategy<Value = String> {
    subject_of(TOKENS).prop_filter("valid", |s| is_valid_subject(s))
}

/// Every literal subject over {a, b, c, x} with 1..=5 tokens.
fn universe() -> Vec<String> {
    let mut out = vec![String::new()];
    let mut all = Vec::new();
    for _ in 0..5 {
        let mut next = Vec::new();
        for prefix in &out {
            for t in ["a", "b", "c", "x"] {
                next.push(if prefix.is_empty() {
                    t.to_owned()
                } else {
                    format!("{prefix}.{t}")
                });
            }
        }
        all.extend(next.iter().cloned());
        out = next;
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn matches_agrees_with_naive(f in subject_of(TOKENS), s in subject_of(TOKENS)) {
        let fv: Vec<&str> = f.split('.').collect();
        let sv: Vec<&str> = s.split('.').collect();
        prop_assert_eq!(matches(&f, &s), naive(&fv, &sv));
    }

    #[test]
    fn subset_and_overlap_agree_with_brute_force(a in filter(), b in filter()) {
        // Subjects longer than any filter here are covered because filters have at
        // most 4 tokens and the universe goes to 5.
        let u = universe();
        let brute_subset = u.iter().all(|s| !matches(&a, s) || matches(&b, s));
        let brute_overlap = u.iter().any(|s| matches(&a, s) && matches(&b, s));
        prop_assert_eq!(subject_is_subset(&a, &b), brute_subset, "subset {} {}", a, b);
        prop_assert_eq!(filters_overlap(&a, &b), brute_overlap, "overlap {} {}", a, b);
        prop_assert_eq!(filters_overlap(&a, &b), filters_overlap(&b, &a));
    }
}

#[derive(Debug, Clone)]
enum Action {
    Insert(String, Option<String>, u8),
    Remove(String, Option<String>, u8),
    Match(String),
}

fn action() -> impl Strategy<Value = Action> {
    let queue = prop::option::of(prop::sample::select(vec!["q1".to_owned(), "q2".to_owned()]));
    prop_oneof![
        (filter(), queue.clone(), 0u8..4).prop_map(|(s, q, v)| Action::Insert(s, q, v)),
        (filter(), queue, 0u8..4).prop_map(|(s, q, v)| Action::Remove(s, q, v)),
        subject_of(TOKENS).prop_map(Action::Match),
        literal().prop_map(Action::Match),
    ]
}

/// Sorted plain values and sorted (queue, sorted members), for order-free comparison.
type Canon = (Vec<u8>, BTreeSet<(String, Vec<u8>)>);

fn canon(plain: &[u8], queues: &[(String, Vec<u8>)]) -> Canon {
    let mut p = plain.to_vec();
    p.sort_unstable();
    let q = queues
        .iter()
        .map(|(n, m)| {
            let mut m = m.clone();
            m.sort_unstable();
            (n.clone(), m)
        })
        .collect();
    (p, q)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn index_agrees_with_linear_scan(actions in prop::collection::vec(action(), 1..120)) {
        let mut index = SubjectIndex::new();
        let mut model: Vec<(String, Option<String>, u8)> = Vec::new();
        let mut generation = index.generation();
        for a in actions {
            match a {
                Action::Insert(s, q, v) => {
                    prop_assert_eq!(index.insert(&s, q.as_deref(), v), Ok(()));
                    model.push((s, q, v));
                    prop_assert!(index.generation() > generation);
                    generation = index.generation();
                }
                Action::Remove(s, q, v) => {
                    let pos = model.iter().position(|(ms, mq, mv)| *ms == s && *mq == q && *mv == v);
                    prop_assert_eq!(index.remove(&s, q.as_deref(), &v), pos.is_some());
                    if let Some(p) = pos {
                        model.remove(p);
                        prop_assert!(index.generation() > generation);
                        generation = index.generation();
                    }
                }
                Action::Match(subject) => {
                    let got = index.matches(&subject);
                    let mut plain = Vec::new();
                    let mut queues: Vec<(String, Vec<u8>)> = Vec::new();
                    for (s, q, v) in &model {
                        if !matches(s, &subject) {
                            continue;
                        }
                        match q {
                            None => plain.push(*v),
                            Some(q) => match queues.iter_mut().find(|(n, _)| n == q) {
                                Some((_, m)) => m.push(*v),
                                None => queues.push((q.clone(), vec![*v])),
                            },
                        }
                    }
                    prop_assert_eq!(canon(&got.plain, &got.queues), canon(&plain, &queues), "subject {}", subject);
                    // Queue names in a result are distinct.
                    let names: BTreeSet<&String> = got.queues.iter().map(|(n, _)| n).collect();
                    prop_assert_eq!(names.len(), got.queues.len());
                }
            }
            prop_assert_eq!(index.count(), model.len());
        }
    }
}
