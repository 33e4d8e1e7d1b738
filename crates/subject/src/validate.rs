//! Subject and queue-name validation (nats-server `server/sublist.go`:
//! `IsValidSubject`, `IsValidLiteralSubject`, `IsValidPublishSubject`).

/// Bytes that may not appear inside a token: space, TAB, CR, LF, FF.
fn is_forbidden_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0c)
}

/// A valid subscription subject: non-empty tokens without whitespace, and `>`
/// only as the last token. Wildcards are allowed.
pub fn is_valid_subject(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut after_full_wildcard = false;
    for token in s.split('.') {
        if token.is_empty() || after_full_wildcard {
            return false;
        }
        if token == ">" {
            after_full_wildcard = true;
        } else if token.bytes().any(is_forbidden_byte) {
            return false;
        }
    }
    true
}

/// True if some token of `s` is a wildcard (`*` or `>` as a whole token).
pub(crate) fn has_wildcard_token(s: &str) -> bool {
    s.split('.').any(|t| t == "*" || t == ">")
}

/// A valid subject with no wildcard tokens.
pub fn is_valid_literal_subject(s: &str) -> bool {
    is_valid_subject(s) && !has_wildcard_token(s)
}

/// The pedantic publish check: a valid literal subject.
pub fn is_valid_publish_subject(s: &str) -> bool {
    is_valid_literal_subject(s)
}

/// A queue group name: non-empty and free of whitespace (the control line splits on
/// whitespace, so a queue name can never contain it on the wire).
pub fn is_valid_queue_name(q: &str) -> bool {
    !q.is_empty() && !q.bytes().any(is_forbidden_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_subjects() {
        for ok in [
            "foo",
            "foo.bar",
            "foo.*",
            "*",
            ">",
            "foo.>",
            "foo.*.>",
            "foo*.a>b",
            "$JS.API.>",
        ] {
            assert!(is_valid_subject(ok), "{ok} should be valid");
        }
        for bad in [
            "",
            "foo..bar",
            ".foo",
            "foo.",
            "foo.>.bar",
            ">.foo",
            "foo bar",
            "foo.\tx",
            "a.b\r",
            "a\x0cb",
            ".",
        ] {
            assert!(!is_valid_subject(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn literal_and_publish_subjects() {
        assert!(is_valid_literal_subject("foo.bar"));
        assert!(is_valid_literal_subject("foo*.b>"));
        assert!(!is_valid_literal_subject("foo.*"));
        assert!(!is_valid_literal_subject(">"));
        assert!(!is_valid_literal_subject("foo..bar"));
        assert!(is_valid_publish_subject("orders.new"));
        assert!(!is_valid_publish_subject("foo.*"));
    }

    #[test]
    fn queue_names() {
        assert!(is_valid_queue_name("grp"));
        assert!(is_valid_queue_name("a.b"));
        assert!(!is_valid_queue_name(""));
        assert!(!is_valid_queue_name("a b"));
        assert!(!is_valid_queue_name("a\tb"));
    }
}
