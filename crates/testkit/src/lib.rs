//! jetmirror-testkit (placeholder; see the crate's issue).
