//! Wildcard matching of a filter against a subject, and the filter-versus-filter
//! relations JetStream needs (nats-server `server/sublist.go`: `matchLiteral`,
//! `subjectIsSubsetMatch`, `SubjectsCollide`).

/// Does `filter` (which may contain `*`/`>` tokens) match `subject`?
///
/// The subject's tokens are always taken literally: a subject published as
/// `foo.*` is matched by the filters `foo.*`, `*.*`, `foo.>` and `>`, but not by
/// `foo.bar`. `>` needs at least one token to match.
pub fn matches(filter: &str, subject: &str) -> bool {
    let mut f = filter.split('.');
    let mut s = subject.split('.');
    loop {
        match (f.next(), s.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(ft), Some(st)) if ft == st => {}
            _ => return false,
        }
    }
}

/// Is every subject matched by `sub` also matched by `filter`?
///
/// Both may contain wildcards. Examples: `foo.bar` ⊆ `foo.*`, `foo.*` ⊆ `foo.>`,
/// `foo.>` ⊄ `foo.*`, `foo.*` ⊄ `foo.bar`.
pub fn subject_is_subset(sub: &str, filter: &str) -> bool {
    let mut s = sub.split('.');
    let mut f = filter.split('.');
    loop {
        match (s.next(), f.next()) {
            (None, None) => return true,
            (Some(st), Some(">")) => return !st.is_empty(),
            (Some(st), Some(ft)) => {
                if st.is_empty() || ft.is_empty() || st == ">" {
                    return false;
                }
                if st == "*" {
                    if ft != "*" {
                        return false;
                    }
                } else if ft != "*" && ft != st {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Can some subject be matched by both `a` and `b`?
pub fn filters_overlap(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) | (Some(_), Some(">")) => return true,
            (Some(xt), Some(yt)) => {
                if xt != "*" && yt != "*" && xt != yt {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_whole_tokens() {
        assert!(matches("foo.*", "foo.bar"));
        assert!(!matches("foo.*", "foo.bar.baz"));
        assert!(!matches("foo.*", "foo"));
        assert!(matches("foo.>", "foo.bar.baz"));
        assert!(!matches("foo.>", "foo"));
        assert!(matches(">", "foo"));
        assert!(matches("*.*", "a.b"));
        assert!(matches("foo*", "foo*"));
        assert!(!matches("foo*", "foox"));
        assert!(!matches("a>b", "a.b"));
        assert!(matches("foo.*.>", "foo.a.b"));
        assert!(!matches("foo.*.>", "foo.a"));
    }

    #[test]
    fn published_wildcards_are_literal() {
        // nats-server: a publish to "foo.*" reaches subscribers of "foo.*" and ">".
        assert!(matches("foo.*", "foo.*"));
        assert!(matches(">", "foo.*"));
        assert!(!matches("foo.bar", "foo.*"));
        assert!(matches("foo.>", "foo.>"));
    }

    #[test]
    fn subset() {
        assert!(subject_is_subset("foo.bar", "foo.*"));
        assert!(subject_is_subset("foo.*", "foo.>"));
        assert!(subject_is_subset("foo.>", "foo.>"));
        assert!(subject_is_subset("foo.*.baz", "*.*.baz"));
        assert!(subject_is_subset("a.b", ">"));
        assert!(!subject_is_subset("foo.>", "foo.*"));
        assert!(!subject_is_subset("foo.*", "foo.bar"));
        assert!(!subject_is_subset("foo", "foo.>"));
        assert!(!subject_is_subset("foo.bar", "foo"));
        assert!(!subject_is_subset(">", "foo.>"));
    }

    #[test]
    fn overlap() {
        assert!(filters_overlap("foo.*", "foo.bar"));
        assert!(filters_overlap("foo.>", "*.bar"));
        assert!(filters_overlap("foo.*", "*.bar"));
        assert!(filters_overlap(">", "a.b.c"));
        assert!(!filters_overlap("foo.*", "bar.*"));
        assert!(!filters_overlap("foo.*", "foo.a.b"));
        assert!(!filters_overlap("foo.>", "foo"));
        assert!(!filters_overlap("a.b", "a.c"));
    }
}
