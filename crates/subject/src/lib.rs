//! jetmirror-subject: NATS subjects, as nats-server's `server/sublist.go` defines them.
//!
//! Parts:
//! - [`validate`]: which strings are valid subscription subjects, publish subjects and
//!   queue names (`IsValidSubject`, `IsValidLiteralSubject`, `IsValidPublishSubject`).
//! - [`matching`]: wildcard matching of one filter against one subject, and the
//!   filter-versus-filter relations JetStream needs (subset, overlap).
//! - [`index`]: [`SubjectIndex`], the subscription index (nats-server's `Sublist`):
//!   a token trie with a bounded match cache.
//! - [`transform`]: subject transforms (mappings) as `server/subject_transform.go`.
//!
//! Subjects are `.`-separated tokens; `*` matches one token and `>` one or more
//! trailing tokens, and both are wildcards only as whole tokens.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod index;
pub mod matching;
pub mod transform;
pub mod validate;

pub use index::{IndexStats, InvalidSubject, Matches, SubjectIndex};
pub use matching::{filters_overlap, matches, subject_is_subset};
pub use transform::{validate_mapping, SubjectTransform, TransformError};
pub use validate::{
    is_valid_literal_subject, is_valid_publish_subject, is_valid_queue_name, is_valid_subject,
};
