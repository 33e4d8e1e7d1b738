//! jetmirror-subject (placeholder; see the crate's issue).
