//! Go-compatible JSON syntax errors for `$JS.API` request bodies.
//!
//! nats-server 2.15.1 (Go 1.25, `encoding/json` backed by json/v2) decodes requests with a
//! `json.Decoder` (one value after another) and, for a syntax error, appends
//! `" at offset N"` (`SyntaxError.Offset`, the byte count just past the offending character
//! or escape sequence). A body that ends mid-value yields `unexpected EOF` with no offset.
//! [`syntax_error`] replays that scan on a body serde_json rejected and returns Go's text.

/// Go's message for the first syntax error in `body`, or `None` when Go's decoder would
/// not report one first (the body is a stream of valid values, or its first value is not
/// an object/`null` and would fail as a type error before any later syntax error).
pub fn syntax_error(body: &[u8]) -> Option<String> {
    match scan(body) {
        Ok(()) => None,
        Err(Fail::Eof) => Some("unexpected EOF".to_string()),
        Err(Fail::NotObject) => None,
        Err(Fail::Text {
            label,
            what,
            where_,
            pos,
        }) => Some(format!(
            "invalid {label} {} {where_} at offset {}",
            quote_what(what),
            pos + what.len()
        )),
    }
}

enum Fail<'a> {
    Eof,
    NotObject,
    Text {
        label: &'static str,
        what: &'a [u8],
        where_: String,
        pos: usize,
    },
}

const START_VALUE: &str = "looking for beginning of value";
const START_KEY: &str = "looking for beginning of object key string";

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// `invalid character 'c' <where>` at `b[pos..]` (one UTF-8 rune, or one invalid byte).
fn bad_char<'a>(b: &'a [u8], pos: usize, where_: impl Into<String>) -> Fail<'a> {
    let rest = b.get(pos..).unwrap_or_default();
    Fail::Text {
        label: "character",
        what: rest.get(..rune_len(rest)).unwrap_or_default(),
        where_: where_.into(),
        pos,
    }
}

fn rune_len(b: &[u8]) -> usize {
    for n in 1..=4.min(b.len()) {
        if b.get(..n).is_some_and(|s| std::str::from_utf8(s).is_ok()) {
            return n;
        }
    }
    1
}

#[derive(Clone, Copy)]
enum Frame {
    Object,
    Array,
}

fn scan(b: &[u8]) -> Result<(), Fail<'_>> {
    let mut p = 0;
    loop {
        while b.get(p).copied().is_some_and(is_ws) {
            p += 1;
        }
        let Some(&first) = b.get(p) else {
            return Ok(());
        };
        p = value(b, p)?;
        if first != b'{' && first != b'n' {
            return Err(Fail::NotObject);
        }
    }
}

/// Skips whitespace; returns the next offset and its byte (end of input is `unexpected EOF`).
fn skip_ws_eof(b: &[u8], mut p: usize) -> Result<(usize, u8), Fail<'_>> {
    loop {
        match b.get(p) {
            None => return Err(Fail::Eof),
            Some(&c) if is_ws(c) => p += 1,
            Some(&c) => return Ok((p, c)),
        }
    }
}

/// Scans one complete value starting at `b[p]` (not whitespace); returns the end offset.
fn value(b: &[u8], mut p: usize) -> Result<usize, Fail<'_>> {
    let mut stack: Vec<Frame> = Vec::new();
    'value: loop {
        // At the start of a value.
        let (q, c) = skip_ws_eof(b, p)?;
        p = q;
        match c {
            b'{' => {
                let (q, c) = skip_ws_eof(b, p + 1)?;
                p = q;
                if c == b'}' {
                    p += 1;
                } else {
                    stack.push(Frame::Object);
                    p = object_key(b, p, c)?;
                    continue 'value;
                }
            }
            b'[' => {
                let (q, c) = skip_ws_eof(b, p + 1)?;
                p = q;
                if c == b']' {
                    p += 1;
                } else {
                    stack.push(Frame::Array);
                    continue 'value;
                }
            }
            b'"' => p = string(b, p)?,
            b'-' | b'0'..=b'9' => p = number(b, p)?,
            b't' => p = literal(b, p, "true")?,
            b'f' => p = literal(b, p, "false")?,
            b'n' => p = literal(b, p, "null")?,
            _ => return Err(bad_char(b, p, START_VALUE)),
        }
        // After a complete value: close containers or move to the next element.
        loop {
            let Some(&top) = stack.last() else {
                return Ok(p);
            };
            let (q, c) = skip_ws_eof(b, p)?;
            p = q;
            match (top, c) {
                (Frame::Object, b',') => {
                    let (q, c) = skip_ws_eof(b, p + 1)?;
                    p = object_key(b, q, c)?;
                    continue 'value;
                }
                (Frame::Array, b',') => {
                    p += 1;
                    continue 'value;
                }
                (Frame::Object, b'}') | (Frame::Array, b']') => {
                    stack.pop();
                    p += 1;
                }
                (Frame::Object, _) => return Err(bad_char(b, p, "after object key:value pair")),
                (Frame::Array, _) => return Err(bad_char(b, p, "after array element")),
            }
        }
    }
}

/// An object member name and its `:`; returns the offset just past the colon.
/// `c` is `b[p]`.
fn object_key(b: &[u8], p: usize, c: u8) -> Result<usize, Fail<'_>> {
    if c != b'"' {
        return Err(bad_char(b, p, START_KEY));
    }
    let (p, c) = skip_ws_eof(b, string(b, p)?)?;
    if c != b':' {
        return Err(bad_char(b, p, "after object key"));
    }
    Ok(p + 1)
}

fn string(b: &[u8], mut p: usize) -> Result<usize, Fail<'_>> {
    p += 1;
    loop {
        let Some(&c) = b.get(p) else {
            return Err(Fail::Eof);
        };
        match c {
            b'"' => return Ok(p + 1),
            b'\\' => {
                let Some(&e) = b.get(p + 1) else {
                    return Err(Fail::Eof);
                };
                match e {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => p += 2,
                    b'u' => {
                        if b.len() < p + 6 {
                            let tail = b.get(p + 2..).unwrap_or_default();
                            if tail.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Fail::Eof);
                            }
                            return Err(bad_escape(b, p, b.len()));
                        }
                        let hex = b.get(p + 2..p + 6).unwrap_or_default();
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(bad_escape(b, p, p + 6));
                        }
                        p += 6;
                    }
                    _ => return Err(bad_escape(b, p, p + 2)),
                }
            }
            0..=0x1f => return Err(bad_char(b, p, "in string")),
            _ => p += 1,
        }
    }
}

fn bad_escape(b: &[u8], p: usize, end: usize) -> Fail<'_> {
    Fail::Text {
        label: "escape sequence",
        what: b.get(p..end).unwrap_or_default(),
        where_: "in string".into(),
        pos: p,
    }
}

fn number(b: &[u8], mut p: usize) -> Result<usize, Fail<'_>> {
    let digits = |p: usize| -> Result<usize, Fail<'_>> {
        match b.get(p) {
            None => Err(Fail::Eof),
            Some(c) if c.is_ascii_digit() => {
                let mut q = p;
                while b.get(q).is_some_and(u8::is_ascii_digit) {
                    q += 1;
                }
                Ok(q)
            }
            Some(_) => Err(bad_char(b, p, "in numeric literal")),
        }
    };
    if b.get(p) == Some(&b'-') {
        p += 1;
    }
    p = if b.get(p) == Some(&b'0') {
        p + 1
    } else {
        digits(p)?
    };
    if b.get(p) == Some(&b'.') {
        p = digits(p + 1)?;
    }
    if matches!(b.get(p), Some(b'e' | b'E')) {
        p += 1;
        if matches!(b.get(p), Some(b'+' | b'-')) {
            p += 1;
        }
        p = digits(p)?;
    }
    Ok(p)
}

fn literal<'a>(b: &'a [u8], p: usize, lit: &'static str) -> Result<usize, Fail<'a>> {
    for (i, want) in lit.bytes().enumerate() {
        match b.get(p + i) {
            None => return Err(Fail::Eof),
            Some(&c) if c == want => {}
            Some(_) => {
                let where_ = format!("in literal {lit} (expecting '{}')", want as char);
                return Err(bad_char(b, p + i, where_));
            }
        }
    }
    Ok(p + lit.len())
}

/// Go's `InvalidTextError` rendering of the offending text: one rune as
/// `strconv.QuoteRune` (an invalid byte as `'\xNN'`), else backquoted, or
/// `strconv.Quote`d when it holds a backquote, space, invalid UTF-8 or unprintable rune.
fn quote_what(what: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(what) {
        let mut chars = s.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            let body = if c == '\'' {
                "\\'".to_string()
            } else {
                quote_char(c, '\'')
            };
            return format!("'{body}'");
        }
        let plain = s
            .chars()
            .all(|c| c != '`' && c != '\u{fffd}' && !c.is_whitespace() && is_print(c));
        if plain {
            return format!("`{s}`");
        }
    } else if let [byte] = what {
        return format!("'\\x{byte:x}'");
    }
    let mut out = String::from("\"");
    let mut rest = what;
    while let [first, ..] = rest {
        let n = rune_len(rest);
        let (rune, tail) = rest.split_at_checked(n).unwrap_or((rest, &[]));
        match std::str::from_utf8(rune) {
            Ok(s) => out.push_str(&quote_char(s.chars().next().unwrap_or(' '), '"')),
            Err(_) => out.push_str(&format!("\\x{first:02x}")),
        }
        rest = tail;
    }
    out.push('"');
    out
}

/// One rune as inside Go's `strconv.Quote` (`quote` is the delimiter being used).
fn quote_char(c: char, quote: char) -> String {
    match c {
        '\\' => "\\\\".into(),
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\u{c}' => "\\f".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        '\u{b}' => "\\v".into(),
        c if c == quote => format!("\\{c}"),
        c if c == ' ' || is_print(c) => c.to_string(),
        c if (c as u32) < 0x80 => format!("\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
        c => format!("\\U{:08x}", c as u32),
    }
}

/// Approximates Go's `unicode.IsPrint` (letters, marks, numbers, punctuation, symbols and
/// U+0020): controls, other whitespace and the common format characters are unprintable.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            | '\u{e000}'..='\u{f8ff}'))
}
