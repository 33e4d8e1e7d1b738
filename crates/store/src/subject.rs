//! A tiny NATS wildcard matcher, private to the store so it can be swapped for the shared
//! subject crate later: `*` matches exactly one token, `>` one or more trailing tokens, both
//! only as whole tokens; `""` and `">"` match everything.

/// True if `filter` selects every subject.
pub(crate) fn is_all(filter: &str) -> bool {
    filter.is_empty() || filter == ">"
}

/// True if `filter` contains a wildcard token.
pub(crate) fn has_wildcard(filter: &str) -> bool {
    filter.split('.').any(|t| t == "*" || t == ">")
}

/// Does `subject` match `filter`?
pub(crate) fn matches(filter: &str, subject: &str) -> bool {
    if is_all(filter) {
        return true;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("a.*.c", "a.b.c"));
        assert!(!matches("a.*.c", "a.b.d"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(matches("a.>", "a.b.c"));
        assert!(!matches("a.>", "a"));
        assert!(matches(">", "a"));
        assert!(matches("", "a.b"));
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "a.bc"));
        assert!(!matches("a*", "ab"));
        assert!(!matches("a.b.c", "a.b"));
        assert!(has_wildcard("a.*") && has_wildcard("a.>") && !has_wildcard("a*b"));
    }
}
