//! Subject transforms of a mirror (mirror.md §4.3), compiled once with the subject
//! crate's engine (nats-server's `subject_transform.go`: `$N`, wildcard, partition,
//! split, slices, left/right, random). As nats-server's mirror: a transform with an empty
//! destination is no transform and is skipped; the first one whose source matches the
//! delivered subject rewrites it; no match keeps the subject.

use jetmirror_subject::transform::SubjectTransform as Compiled;
use tracing::warn;

use super::config::SubjectTransform;

/// A mirror's transforms, ready to apply.
#[derive(Debug, Default)]
pub struct Transforms(Vec<Compiled>);

impl Transforms {
    /// Compiles `transforms`; one that does not compile (stream validation refuses those)
    /// is logged and left out.
    pub fn new(transforms: &[SubjectTransform]) -> Transforms {
        let compiled = transforms
            .iter()
            .filter_map(|t| match Compiled::new(&t.src, &t.dest) {
                Ok(c) => c,
                Err(e) => {
                    warn!(src = %t.src, dest = %t.dest, error = %e, "mirror subject transform left out");
                    None
                }
            })
            .collect();
        Transforms(compiled)
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The transformed subject, or `None` to keep `subject`.
    pub fn apply(&self, subject: &str) -> Option<String> {
        self.0.iter().find_map(|t| t.apply(subject).ok())
    }
}

/// Applies the first matching transform of `transforms`; `None` means "keep the subject".
/// (Compiles them on each call: for one-off uses; hot paths keep a [`Transforms`].)
pub fn apply(transforms: &[SubjectTransform], subject: &str) -> Option<String> {
    Transforms::new(transforms).apply(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(src: &str, dest: &str) -> SubjectTransform {
        SubjectTransform {
            src: src.into(),
            dest: dest.into(),
        }
    }

    #[test]
    fn first_match_wins_and_empty_dest_is_skipped() {
        let ts = Transforms::new(&[t("o1.a", "t.a"), t("o1.b", ""), t("o1.*", "x.$1")]);
        assert_eq!(ts.apply("o1.a").as_deref(), Some("t.a"));
        // As nats-server: the empty destination is no transform, the next one applies.
        assert_eq!(ts.apply("o1.b").as_deref(), Some("x.b"));
        assert_eq!(ts.apply("o1.c").as_deref(), Some("x.c"));
        assert_eq!(ts.apply("zz"), None);
    }

    #[test]
    fn wildcard_functions_and_rest() {
        let ts = Transforms::new(&[t("a.*.*.>", "b.{{wildcard(2)}}.{{ wildcard(1) }}.>")]);
        assert_eq!(ts.apply("a.x.y.z.w").as_deref(), Some("b.y.x.z.w"));
        let part = Transforms::new(&[t("a.*", "b.{{partition(3,1)}}")]);
        let out = part.apply("a.x").expect("partition maps");
        assert!(["b.0", "b.1", "b.2"].contains(&out.as_str()), "{out}");
        let split = Transforms::new(&[t("a.*", "b.{{split(1,-)}}")]);
        assert_eq!(split.apply("a.x-y").as_deref(), Some("b.x.y"));
    }
}
