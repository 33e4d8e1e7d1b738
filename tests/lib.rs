//! Integration tests that drive the `jetmirror` binary with real NATS clients.
