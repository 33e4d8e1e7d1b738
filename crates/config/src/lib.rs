//! jetmirror-config (placeholder; see the crate's issue).
