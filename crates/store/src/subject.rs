//! Subject filters as the store reads them: `""` and `">"` select everything; otherwise the
//! shared subject crate's wildcard rules apply (`*` one token, `>` one or more trailing
//! tokens, both only as whole tokens).

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
    is_all(filter) || jetmirror_subject::matches(filter, subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("", "a.b"));
        assert!(matches(">", "a"));
        assert!(matches("a.*", "a.b"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(matches("a.>", "a.b.c"));
        assert!(!matches("a.>", "a"));
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "a.c"));
        assert!(has_wildcard("a.*"));
        assert!(!has_wildcard("a*.b"));
    }
}
