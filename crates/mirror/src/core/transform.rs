//! Subject transforms of a mirror (mirror.md §4.3): the first transform whose `src`
//! matches the delivered subject rewrites it. Supported destinations: empty (keep),
//! literal tokens, and wildcard references `$N` / `{{wildcard(N)}}` (1-based, counting
//! the `*` tokens of `src`); a trailing `>` in both copies the rest. Other mapping
//! functions (partition, split, ...) are not implemented: such a transform keeps the
//! subject and a warning is the caller's business.

use super::config::SubjectTransform;

/// Applies the first matching transform; `None` means "keep the subject".
pub fn apply(transforms: &[SubjectTransform], subject: &str) -> Option<String> {
    for t in transforms {
        if !jetmirror_subject::matching::matches(&t.src, subject) {
            continue;
        }
        if t.dest.is_empty() {
            return None;
        }
        return map(&t.src, &t.dest, subject);
    }
    None
}

fn map(src: &str, dest: &str, subject: &str) -> Option<String> {
    let src_tokens: Vec<&str> = src.split('.').collect();
    let subj_tokens: Vec<&str> = subject.split('.').collect();
    let mut wildcards = Vec::new();
    let mut rest: Option<String> = None;
    for (i, st) in src_tokens.iter().enumerate() {
        match *st {
            "*" => wildcards.push(*subj_tokens.get(i)?),
            ">" => rest = Some(subj_tokens.get(i..)?.join(".")),
            _ => {}
        }
    }
    let mut out: Vec<String> = Vec::new();
    for dt in dest.split('.') {
        let index = if let Some(n) = dt.strip_prefix('$') {
            n.parse::<usize>().ok()
        } else {
            dt.strip_prefix("{{")
                .and_then(|d| d.strip_suffix("}}"))
                .map(str::trim)
                .and_then(|d| d.strip_prefix("wildcard("))
                .and_then(|d| d.strip_suffix(')'))
                .and_then(|n| n.trim().parse::<usize>().ok())
        };
        match (index, dt) {
            (Some(n), _) => out.push((*wildcards.get(n.checked_sub(1)?)?).to_owned()),
            (None, ">") => out.push(rest.clone()?),
            (None, lit) if lit.contains("{{") => return None,
            (None, lit) => out.push(lit.to_owned()),
        }
    }
    Some(out.join("."))
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
    fn first_match_wins_and_empty_dest_keeps() {
        let ts = vec![t("o1.a", "t.a"), t("o1.b", ""), t("o1.*", "x.$1")];
        assert_eq!(apply(&ts, "o1.a").as_deref(), Some("t.a"));
        assert_eq!(apply(&ts, "o1.b"), None);
        assert_eq!(apply(&ts, "o1.c").as_deref(), Some("x.c"));
        assert_eq!(apply(&ts, "zz"), None);
    }

    #[test]
    fn wildcard_functions_and_rest() {
        let ts = vec![t("a.*.*.>", "b.{{wildcard(2)}}.{{ wildcard(1) }}.>")];
        assert_eq!(apply(&ts, "a.x.y.z.w").as_deref(), Some("b.y.x.z.w"));
        let bad = vec![t("a.*", "b.{{partition(3,1)}}")];
        assert_eq!(apply(&bad, "a.x"), None);
    }
}
