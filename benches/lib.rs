//! Benchmarks (criterion) and side-by-side comparisons with nats-server.
