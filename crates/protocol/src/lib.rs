//! jetmirror-protocol (placeholder; see the crate's issue).
