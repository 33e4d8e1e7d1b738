//! Benchmarks and side-by-side comparisons with nats-server (see README.md here for the
//! figures and the commands that produced them).
