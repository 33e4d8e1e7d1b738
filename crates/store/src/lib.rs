//! jetmirror-store (placeholder; see the crate's issue).
