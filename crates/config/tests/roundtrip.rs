//! Property: any value tree written with `Map::to_conf_string` parses back
//! to the same tree.

use std::sync::Arc;

use jetmirror_config::{parse_str, Map, Spanned, Value};
use proptest::prelude::*;

fn sp(v: Value) -> Spanned<Value> {
    Spanned::new(v, Arc::from("p.conf"), 1, 0)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_.:-]{0,10}",
        "[^\"\\x00]{0,8}",
        "[^'\\x00]{0,8}\"[^'\\x00]{0,3}",
    ]
}

fn map_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map> {
    prop::collection::vec((key(), values), 0..5).prop_map(|entries| {
        let mut m = Map::default();
        for (k, v) in entries {
            m.insert(k, sp(v));
        }
        m
    })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        any::<String>().prop_map(Value::String),
        (-1e12f64..1e12).prop_map(Value::Float),
        Just(Value::DateTime("2024-02-29T23:59:59Z".to_string())),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|a| Value::Array(a.into_iter().map(sp).collect())),
            map_of(inner).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn written_config_parses_to_the_same_tree(m in map_of(value())) {
        let text = m.to_conf_string();
        let back = parse_str(&text, "p.conf");
        prop_assert!(back.is_ok(), "{:?}\n{}", back, text);
        if let Ok(back) = back {
            prop_assert!(m.same_tree(&back), "{}\n{:?}", text, back);
        }
    }
}
