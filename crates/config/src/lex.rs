//! The config-language lexer: a line-by-line port of nats-server's
//! `conf/lex.go` state machine, so that the same inputs are accepted, the
//! same quirks hold (e.g. `2m` is an integer, `127.0.0.1` a string) and the
//! same error texts come out.
//!
//! Go's lexer runs state functions that emit items into a channel; here the
//! states are an enum and items go into a queue the parser pulls from.
//! Positions follow Go too: `line` is 1-based; `pos` is the byte offset from
//! the last newline (so 0-based on line 1 and 1-based after), which is what
//! nats-server prints as the column.

use std::collections::VecDeque;

/// Go's lexer uses rune 0 as end of input (a NUL byte reads the same).
const EOF: char = '\0';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemType {
    Error,
    Eof,
    Key,
    Text,
    String,
    Bool,
    Integer,
    Float,
    Datetime,
    ArrayStart,
    ArrayEnd,
    MapStart,
    MapEnd,
    CommentStart,
    Variable,
    Include,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub typ: ItemType,
    pub val: String,
    pub line: u32,
    pub pos: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Top,
    TopValueEnd,
    BlockStart,
    BlockValueEnd,
    BlockEnd,
    KeyStart,
    DubQuotedKey,
    QuotedKey,
    IncludeStart,
    IncludeQuotedString,
    IncludeDubQuotedString,
    IncludeString,
    Include,
    Key,
    KeyEnd,
    Value,
    ArrayValue,
    ArrayValueEnd,
    ArrayEnd,
    MapKeyStart,
    MapQuotedKey,
    MapDubQuotedKey,
    MapKey,
    MapKeyEnd,
    MapValue,
    MapValueEnd,
    MapEnd,
    QuotedString,
    DubQuotedString,
    String,
    Block,
    StringEscape,
    StringBinary,
    NumberOrDateOrStringOrIpStart,
    NumberOrDateOrStringOrIp,
    ConvenientNumber,
    DateAfterYear,
    NegNumberStart,
    NegNumber,
    FloatStart,
    Float,
    IpAddr,
    CommentStart,
    Comment,
}

pub(crate) struct Lexer<'a> {
    input: &'a [u8],
    start: usize,
    pos: usize,
    width: usize,
    line: u32,
    state: Option<St>,
    items: VecDeque<Item>,
    stack: Vec<St>,
    string_parts: Vec<u8>,
    has_parts: bool,
    string_state: St,
    lstart: usize,
    ilstart: usize,
}

fn is_space(r: char) -> bool {
    // Go's unicode.IsSpace: Latin-1 spaces plus the Unicode White_Space set.
    r.is_whitespace()
}
fn is_digit(r: char) -> bool {
    r.is_ascii_digit()
}
fn is_whitespace(r: char) -> bool {
    r == '\t' || r == ' '
}
fn is_nl(r: char) -> bool {
    r == '\n' || r == '\r'
}
fn is_key_separator(r: char) -> bool {
    r == '=' || r == ':'
}
fn is_number_suffix(r: char) -> bool {
    matches!(
        r,
        'k' | 'K' | 'm' | 'M' | 'g' | 'G' | 't' | 'T' | 'p' | 'P' | 'e' | 'E'
    )
}
fn esc(r: char) -> String {
    if r == '\n' {
        "\\n".to_string()
    } else {
        r.to_string()
    }
}

/// Decode one UTF-8 scalar like Go's `utf8.DecodeRune` (invalid → U+FFFD, width 1).
fn decode(b: &[u8]) -> (char, usize) {
    let Some(&first) = b.first() else {
        return (EOF, 0);
    };
    let len = match first {
        0x00..=0x7f => return (char::from(first), 1),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (char::REPLACEMENT_CHARACTER, 1),
    };
    match b.get(..len).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => match s.chars().next() {
            Some(c) => (c, len),
            None => (char::REPLACEMENT_CHARACTER, 1),
        },
        None => (char::REPLACEMENT_CHARACTER, 1),
    }
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Lexer {
            input: input.as_bytes(),
            start: 0,
            pos: 0,
            width: 0,
            line: 1,
            state: Some(St::Top),
            items: VecDeque::new(),
            stack: Vec::new(),
            string_parts: Vec::new(),
            has_parts: false,
            string_state: St::String,
            lstart: 0,
            ilstart: 0,
        }
    }

    pub(crate) fn next_item(&mut self) -> Item {
        loop {
            if let Some(it) = self.items.pop_front() {
                return it;
            }
            match self.state {
                Some(st) => self.state = self.step(st),
                // Go would call a nil state here; we keep answering EOF.
                None => {
                    return Item {
                        typ: ItemType::Eof,
                        val: String::new(),
                        line: self.line,
                        pos: 0,
                    }
                }
            }
        }
    }

    fn slice(&self, a: usize, b: usize) -> &'a [u8] {
        self.input.get(a..b).unwrap_or(&[])
    }

    fn push(&mut self, s: St) {
        self.stack.push(s);
    }

    fn pop(&mut self) -> Option<St> {
        match self.stack.pop() {
            Some(s) => Some(s),
            None => self.errorf("BUG in lexer: no states to pop.".to_string()),
        }
    }

    fn emit(&mut self, typ: ItemType) {
        let mut val = self.string_parts.clone();
        val.extend_from_slice(self.slice(self.start, self.pos));
        let pos = self.pos as i64 - self.ilstart as i64 - val.len() as i64;
        self.items.push_back(Item {
            typ,
            val: String::from_utf8_lossy(&val).into_owned(),
            line: self.line,
            pos: pos.clamp(0, u32::MAX as i64) as u32,
        });
        self.start = self.pos;
        self.ilstart = self.lstart;
    }

    fn emit_string(&mut self) {
        let mut val = std::mem::take(&mut self.string_parts);
        self.has_parts = false;
        val.extend_from_slice(self.slice(self.start, self.pos));
        let pos = self.pos as i64 - self.ilstart as i64 - val.len() as i64;
        self.items.push_back(Item {
            typ: ItemType::String,
            val: String::from_utf8_lossy(&val).into_owned(),
            line: self.line,
            pos: pos.clamp(0, u32::MAX as i64) as u32,
        });
        self.start = self.pos;
        self.ilstart = self.lstart;
    }

    fn add_current_string_part(&mut self, offset: usize) {
        let part = self.slice(self.start, self.pos.saturating_sub(offset));
        self.string_parts.extend_from_slice(part);
        self.has_parts = true;
        self.start = self.pos;
    }

    fn add_string_part(&mut self, s: &[u8]) -> Option<St> {
        self.string_parts.extend_from_slice(s);
        self.has_parts = true;
        self.start = self.pos;
        Some(self.string_state)
    }

    fn next(&mut self) -> char {
        if self.pos >= self.input.len() {
            self.width = 0;
            return EOF;
        }
        if self.input.get(self.pos) == Some(&b'\n') {
            self.line = self.line.saturating_add(1);
            self.lstart = self.pos;
        }
        let (r, w) = decode(self.input.get(self.pos..).unwrap_or(&[]));
        self.width = w;
        self.pos += w;
        r
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.ilstart = self.lstart;
    }

    fn backup(&mut self) {
        self.pos = self.pos.saturating_sub(self.width);
        if self.pos < self.input.len() && self.input.get(self.pos) == Some(&b'\n') {
            self.line = self.line.saturating_sub(1);
        }
    }

    fn peek(&mut self) -> char {
        let r = self.next();
        self.backup();
        r
    }

    fn errorf(&mut self, msg: String) -> Option<St> {
        let pos = self.pos.saturating_sub(self.lstart);
        self.items.push_back(Item {
            typ: ItemType::Error,
            val: msg,
            line: self.line,
            pos: pos.min(u32::MAX as usize) as u32,
        });
        None
    }

    fn skip(&mut self, next: St) -> Option<St> {
        self.ignore();
        Some(next)
    }

    fn cur_lower(&self) -> String {
        String::from_utf8_lossy(self.slice(self.start, self.pos)).to_lowercase()
    }

    fn is_bool(&self) -> bool {
        matches!(
            self.cur_lower().as_str(),
            "true" | "false" | "on" | "off" | "yes" | "no"
        )
    }

    fn is_variable(&mut self) -> bool {
        if self.start >= self.input.len() {
            return false;
        }
        if self.input.get(self.start) == Some(&b'$') {
            self.start += 1;
            return true;
        }
        false
    }

    fn eof_or_error(&mut self) -> Option<St> {
        if self.pos > self.start {
            return self.errorf("Unexpected EOF.".to_string());
        }
        self.emit(ItemType::Eof);
        None
    }

    fn key_check_keyword(&mut self, fall_through: St, push: Option<St>) -> Option<St> {
        if self.cur_lower() == "include" {
            self.ignore();
            if let Some(p) = push {
                self.push(p);
            }
            return Some(St::IncludeStart);
        }
        self.emit(ItemType::Key);
        Some(fall_through)
    }

    fn step(&mut self, st: St) -> Option<St> {
        match st {
            St::Top => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::Top);
                }
                match r {
                    '{' => {
                        self.push(St::Top);
                        return self.skip(St::BlockStart);
                    }
                    '#' => {
                        self.push(St::Top);
                        return Some(St::CommentStart);
                    }
                    '/' => {
                        if self.next() == '/' {
                            self.push(St::Top);
                            return Some(St::CommentStart);
                        }
                        self.backup();
                        return self.eof_or_error();
                    }
                    EOF => return self.eof_or_error(),
                    _ => {}
                }
                self.backup();
                self.push(St::TopValueEnd);
                Some(St::KeyStart)
            }
            St::TopValueEnd => {
                let r = self.next();
                if r == '#' {
                    self.push(St::Top);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::Top);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return Some(St::TopValueEnd);
                }
                if is_whitespace(r) {
                    return Some(St::TopValueEnd);
                }
                if is_nl(r) || r == EOF || r == ';' || r == ',' || r == '}' {
                    self.ignore();
                    return Some(St::Top);
                }
                self.errorf(format!(
                    "Expected a top-level value to end with a new line, comment or EOF, but got '{}' instead.",
                    esc(r)
                ))
            }
            St::BlockStart => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::BlockStart);
                }
                match r {
                    '{' => {
                        self.push(St::BlockEnd);
                        return self.skip(St::BlockStart);
                    }
                    '}' => {
                        self.ignore();
                        return self.pop();
                    }
                    '#' => {
                        self.push(St::BlockStart);
                        return Some(St::CommentStart);
                    }
                    '/' => {
                        if self.next() == '/' {
                            self.push(St::BlockStart);
                            return Some(St::CommentStart);
                        }
                        self.backup();
                        return self.eof_or_error();
                    }
                    EOF => return self.eof_or_error(),
                    _ => {}
                }
                self.backup();
                self.push(St::BlockValueEnd);
                Some(St::KeyStart)
            }
            St::BlockValueEnd => {
                let r = self.next();
                if r == '#' {
                    self.push(St::BlockValueEnd);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::BlockValueEnd);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return Some(St::BlockValueEnd);
                }
                if is_whitespace(r) {
                    return Some(St::BlockValueEnd);
                }
                if is_nl(r) || r == ';' || r == ',' {
                    self.ignore();
                    return Some(St::BlockStart);
                }
                if r == '}' {
                    self.backup();
                    return Some(St::BlockEnd);
                }
                self.errorf(format!(
                    "Expected a block-level value to end with a new line, comment or EOF, but got '{}' instead.",
                    esc(r)
                ))
            }
            St::BlockEnd => {
                let r = self.next();
                if r == '#' {
                    self.push(St::BlockStart);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::BlockStart);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return Some(St::BlockEnd);
                }
                if is_nl(r) || is_whitespace(r) {
                    return Some(St::BlockEnd);
                }
                if r == ';' || r == ',' {
                    self.ignore();
                    return Some(St::BlockStart);
                }
                if r == '}' {
                    self.ignore();
                    return self.pop();
                }
                self.errorf(format!(
                    "Expected a block-level to end with a '}}', but got '{}' instead.",
                    esc(r)
                ))
            }
            St::KeyStart => {
                let r = self.peek();
                if is_key_separator(r) {
                    return self.errorf(format!("Unexpected key separator '{}'", esc(r)));
                }
                if is_space(r) {
                    self.next();
                    return self.skip(St::KeyStart);
                }
                if r == '"' {
                    self.next();
                    return self.skip(St::DubQuotedKey);
                }
                if r == '\'' {
                    self.next();
                    return self.skip(St::QuotedKey);
                }
                self.ignore();
                self.next();
                Some(St::Key)
            }
            St::DubQuotedKey | St::QuotedKey => {
                let end = if st == St::DubQuotedKey { '"' } else { '\'' };
                let r = self.peek();
                if r == end {
                    self.emit(ItemType::Key);
                    self.next();
                    return self.skip(St::KeyEnd);
                } else if r == EOF {
                    return self.eof_or_error();
                }
                self.next();
                Some(st)
            }
            St::IncludeStart => {
                let r = self.next();
                if is_whitespace(r) {
                    return self.skip(St::IncludeStart);
                }
                self.backup();
                Some(St::Include)
            }
            St::IncludeQuotedString | St::IncludeDubQuotedString => {
                let (end, what) = if st == St::IncludeQuotedString {
                    ('\'', "quoted")
                } else {
                    ('"', "double quoted")
                };
                let r = self.next();
                if r == end {
                    self.backup();
                    self.emit(ItemType::Include);
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                if r == EOF {
                    return self.errorf(format!("Unexpected EOF in {what} include"));
                }
                Some(st)
            }
            St::IncludeString => {
                let r = self.next();
                if is_nl(r) || r == EOF || r == ';' || r == '}' || is_whitespace(r) {
                    self.backup();
                    self.emit(ItemType::Include);
                    return self.pop();
                }
                if r == '\'' {
                    self.backup();
                    self.emit(ItemType::Include);
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                Some(St::IncludeString)
            }
            St::Include => {
                let r = self.next();
                match r {
                    '\'' => {
                        self.ignore();
                        return Some(St::IncludeQuotedString);
                    }
                    '"' => {
                        self.ignore();
                        return Some(St::IncludeDubQuotedString);
                    }
                    '[' => {
                        return self.errorf(
                            "Expected include value but found start of an array".to_string(),
                        )
                    }
                    '{' => {
                        return self
                            .errorf("Expected include value but found start of a map".to_string())
                    }
                    '(' => {
                        return self.errorf(
                            "Expected include value but found start of a block".to_string(),
                        )
                    }
                    '\\' => {
                        return self
                            .errorf("Expected include value but found escape sequence".to_string())
                    }
                    _ => {}
                }
                if is_digit(r) || r == '-' {
                    return self
                        .errorf("Expected include value but found start of a number".to_string());
                }
                if is_nl(r) {
                    return self.errorf("Expected include value but found new line".to_string());
                }
                self.backup();
                Some(St::IncludeString)
            }
            St::Key => {
                let r = self.peek();
                if is_space(r) {
                    return self.key_check_keyword(St::KeyEnd, None);
                } else if is_key_separator(r) || r == EOF {
                    self.emit(ItemType::Key);
                    return Some(St::KeyEnd);
                }
                self.next();
                Some(St::Key)
            }
            St::KeyEnd => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::KeyEnd);
                }
                if is_key_separator(r) {
                    return self.skip(St::Value);
                }
                if r == EOF {
                    self.emit(ItemType::Eof);
                    return None;
                }
                self.backup();
                Some(St::Value)
            }
            St::Value => {
                let r = self.next();
                if is_whitespace(r) {
                    return self.skip(St::Value);
                }
                match r {
                    '[' => {
                        self.ignore();
                        self.emit(ItemType::ArrayStart);
                        return Some(St::ArrayValue);
                    }
                    '{' => {
                        self.ignore();
                        self.emit(ItemType::MapStart);
                        return Some(St::MapKeyStart);
                    }
                    '\'' => {
                        self.ignore();
                        return Some(St::QuotedString);
                    }
                    '"' => {
                        self.ignore();
                        self.string_state = St::DubQuotedString;
                        return Some(St::DubQuotedString);
                    }
                    '-' => return Some(St::NegNumberStart),
                    '(' => {
                        self.ignore();
                        return Some(St::Block);
                    }
                    '.' => return self.errorf("Floats must start with a digit".to_string()),
                    _ => {}
                }
                if is_digit(r) {
                    self.backup();
                    return Some(St::NumberOrDateOrStringOrIpStart);
                }
                if is_nl(r) {
                    return self.errorf("Expected value but found new line".to_string());
                }
                self.backup();
                self.string_state = St::String;
                Some(St::String)
            }
            St::ArrayValue => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::ArrayValue);
                }
                if r == '#' {
                    self.push(St::ArrayValue);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::ArrayValue);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return self.errorf("Unexpected array value terminator ','.".to_string());
                }
                if r == ',' {
                    return self.errorf("Unexpected array value terminator ','.".to_string());
                }
                if r == ']' {
                    return Some(St::ArrayEnd);
                }
                self.backup();
                self.push(St::ArrayValueEnd);
                Some(St::Value)
            }
            St::ArrayValueEnd => {
                let r = self.next();
                if is_whitespace(r) {
                    return self.skip(St::ArrayValueEnd);
                }
                if r == '#' {
                    self.push(St::ArrayValueEnd);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::ArrayValueEnd);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return self.skip(St::ArrayValue);
                }
                if r == ',' || is_nl(r) {
                    return self.skip(St::ArrayValue);
                }
                if r == ']' {
                    return Some(St::ArrayEnd);
                }
                self.errorf(format!(
                    "Expected an array value terminator \",\" or an array terminator \"]\", but got '{}' instead.",
                    esc(r)
                ))
            }
            St::ArrayEnd => {
                self.ignore();
                self.emit(ItemType::ArrayEnd);
                self.pop()
            }
            St::MapKeyStart => {
                let r = self.peek();
                if is_key_separator(r) {
                    return self.errorf(format!("Unexpected key separator '{}'.", esc(r)));
                }
                if r == ']' {
                    return self
                        .errorf(format!("Unexpected array end '{}' processing map.", esc(r)));
                }
                if is_space(r) {
                    self.next();
                    return self.skip(St::MapKeyStart);
                }
                match r {
                    '}' => {
                        self.next();
                        return self.skip(St::MapEnd);
                    }
                    '#' => {
                        self.next();
                        self.push(St::MapKeyStart);
                        return Some(St::CommentStart);
                    }
                    '/' => {
                        self.next();
                        if self.next() == '/' {
                            self.push(St::MapKeyStart);
                            return Some(St::CommentStart);
                        }
                        self.backup();
                    }
                    '\'' => {
                        self.next();
                        return self.skip(St::MapQuotedKey);
                    }
                    '"' => {
                        self.next();
                        return self.skip(St::MapDubQuotedKey);
                    }
                    EOF => return self.errorf("Unexpected EOF processing map.".to_string()),
                    _ => {}
                }
                self.ignore();
                self.next();
                Some(St::MapKey)
            }
            St::MapQuotedKey | St::MapDubQuotedKey => {
                let (end, what) = if st == St::MapQuotedKey {
                    ('\'', "quoted")
                } else {
                    ('"', "double quoted")
                };
                let r = self.peek();
                if r == EOF {
                    return self.errorf(format!("Unexpected EOF processing {what} map key."));
                } else if r == end {
                    self.emit(ItemType::Key);
                    self.next();
                    return self.skip(St::MapKeyEnd);
                }
                self.next();
                Some(st)
            }
            St::MapKey => {
                let r = self.peek();
                if r == EOF {
                    return self.errorf("Unexpected EOF processing map key.".to_string());
                } else if is_space(r) {
                    return self.key_check_keyword(St::MapKeyEnd, Some(St::MapValueEnd));
                } else if is_key_separator(r) {
                    self.emit(ItemType::Key);
                    return Some(St::MapKeyEnd);
                }
                self.next();
                Some(St::MapKey)
            }
            St::MapKeyEnd => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::MapKeyEnd);
                }
                if is_key_separator(r) {
                    return self.skip(St::MapValue);
                }
                self.backup();
                Some(St::MapValue)
            }
            St::MapValue => {
                let r = self.next();
                if is_space(r) {
                    return self.skip(St::MapValue);
                }
                if r == ',' {
                    return self.errorf("Unexpected map value terminator \",\".".to_string());
                }
                if r == '}' {
                    return self.skip(St::MapEnd);
                }
                self.backup();
                self.push(St::MapValueEnd);
                Some(St::Value)
            }
            St::MapValueEnd => {
                let r = self.next();
                if is_whitespace(r) {
                    return self.skip(St::MapValueEnd);
                }
                if r == '#' {
                    self.push(St::MapValueEnd);
                    return Some(St::CommentStart);
                }
                if r == '/' {
                    if self.next() == '/' {
                        self.push(St::MapValueEnd);
                        return Some(St::CommentStart);
                    }
                    self.backup();
                    return self.skip(St::MapKeyStart);
                }
                if r == ';' || r == ',' || is_nl(r) {
                    return self.skip(St::MapKeyStart);
                }
                if r == '}' {
                    return self.skip(St::MapEnd);
                }
                self.errorf(format!(
                    "Expected a map value terminator \",\" or a map terminator \"}}\", but got '{}' instead.",
                    esc(r)
                ))
            }
            St::MapEnd => {
                self.ignore();
                self.emit(ItemType::MapEnd);
                self.pop()
            }
            St::QuotedString => {
                let r = self.next();
                if r == '\'' {
                    self.backup();
                    self.emit(ItemType::String);
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                if r == EOF {
                    return self.eof_or_error();
                }
                Some(St::QuotedString)
            }
            St::DubQuotedString => {
                let r = self.next();
                if r == '\\' {
                    self.add_current_string_part(1);
                    return Some(St::StringEscape);
                }
                if r == '"' {
                    self.backup();
                    self.emit_string();
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                if r == EOF {
                    return self.eof_or_error();
                }
                Some(St::DubQuotedString)
            }
            St::String => {
                let r = self.next();
                if r == '\\' {
                    self.add_current_string_part(1);
                    return Some(St::StringEscape);
                }
                if is_nl(r)
                    || r == EOF
                    || r == ';'
                    || r == ','
                    || r == ']'
                    || r == '}'
                    || is_whitespace(r)
                {
                    self.backup();
                    if self.has_parts {
                        self.emit_string();
                    } else if self.is_bool() {
                        self.emit(ItemType::Bool);
                    } else if self.is_variable() {
                        self.emit(ItemType::Variable);
                    } else {
                        self.emit_string();
                    }
                    return self.pop();
                }
                if r == '\'' {
                    self.backup();
                    self.emit_string();
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                Some(St::String)
            }
            St::Block => {
                let r = self.next();
                if r == ')' {
                    self.backup();
                    self.backup();
                    if self.next() != '\n' {
                        self.next();
                        return Some(St::Block);
                    }
                    self.next();
                    match self.next() {
                        '\n' | EOF => {
                            self.backup();
                            self.backup();
                            self.emit(ItemType::String);
                            self.next();
                            self.ignore();
                            return self.pop();
                        }
                        _ => {}
                    }
                    self.backup();
                    return Some(St::Block);
                }
                if r == EOF {
                    return self.errorf("Unexpected EOF processing block.".to_string());
                }
                Some(St::Block)
            }
            St::StringEscape => {
                let r = self.next();
                match r {
                    'x' => Some(St::StringBinary),
                    't' => self.add_string_part(b"\t"),
                    'n' => self.add_string_part(b"\n"),
                    'r' => self.add_string_part(b"\r"),
                    '"' => self.add_string_part(b"\""),
                    '\\' => self.add_string_part(b"\\"),
                    _ => self.errorf(format!(
                        "Invalid escape character '{}'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.",
                        esc(r)
                    )),
                }
            }
            St::StringBinary => {
                let msg_nl = "Expected two hexadecimal digits after '\\x', but hit end of line";
                if is_nl(self.next()) {
                    return self.errorf(msg_nl.to_string());
                }
                if is_nl(self.next()) {
                    return self.errorf(msg_nl.to_string());
                }
                let offset = self.pos.saturating_sub(2);
                let hex = self.slice(offset, self.pos);
                match crate::scalar::hex_byte(hex) {
                    Some(b) => {
                        self.add_string_part(&[b]);
                        Some(self.string_state)
                    }
                    None => {
                        let got = String::from_utf8_lossy(hex).into_owned();
                        self.errorf(format!(
                            "Expected two hexadecimal digits after '\\x', but got '{got}'"
                        ))
                    }
                }
            }
            St::NumberOrDateOrStringOrIpStart | St::NegNumberStart => {
                let r = self.next();
                if !is_digit(r) {
                    if r == '.' {
                        return self.errorf("Floats must start with a digit, not '.'.".to_string());
                    }
                    return self.errorf(format!("Expected a digit but got '{}'.", esc(r)));
                }
                if st == St::NegNumberStart {
                    Some(St::NegNumber)
                } else {
                    Some(St::NumberOrDateOrStringOrIp)
                }
            }
            St::NumberOrDateOrStringOrIp => {
                let r = self.next();
                if r == '-' {
                    if self.pos.saturating_sub(self.start) != 5 {
                        return self
                            .errorf("All ISO8601 dates must be in full Zulu form.".to_string());
                    }
                    return Some(St::DateAfterYear);
                }
                if is_digit(r) {
                    return Some(St::NumberOrDateOrStringOrIp);
                }
                if r == '.' {
                    return Some(St::FloatStart);
                }
                if is_number_suffix(r) {
                    return Some(St::ConvenientNumber);
                }
                if !(is_nl(r) || r == EOF || r == '}' || r == ';' || r == ',' || is_whitespace(r)) {
                    self.string_state = St::String;
                    return Some(St::String);
                }
                self.backup();
                self.emit(ItemType::Integer);
                self.pop()
            }
            St::ConvenientNumber => {
                let r = self.next();
                if matches!(r, 'b' | 'B' | 'i' | 'I') {
                    return Some(St::ConvenientNumber);
                }
                self.backup();
                // nats-server 2.15.1 lexes `2k5` as a string (observed), so a
                // digit after the suffix does not end the number, unlike older
                // conf/lex.go.
                if is_nl(r) || r == EOF || r == '}' || r == ';' || r == ',' || is_whitespace(r) {
                    self.emit(ItemType::Integer);
                    return self.pop();
                }
                self.string_state = St::String;
                Some(St::String)
            }
            St::DateAfterYear => {
                const FORMAT: &[char] = &[
                    '0', '0', '-', '0', '0', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z',
                ];
                for &f in FORMAT {
                    let r = self.next();
                    if f == '0' {
                        if !is_digit(r) {
                            return self.errorf(format!(
                                "Expected digit in ISO8601 datetime, but found '{}' instead.",
                                esc(r)
                            ));
                        }
                    } else if f != r {
                        return self.errorf(format!(
                            "Expected '{}' in ISO8601 datetime, but found '{}' instead.",
                            f,
                            esc(r)
                        ));
                    }
                }
                self.emit(ItemType::Datetime);
                self.pop()
            }
            St::NegNumber => {
                let r = self.next();
                if is_digit(r) {
                    return Some(St::NegNumber);
                }
                if r == '.' {
                    return Some(St::FloatStart);
                }
                if is_number_suffix(r) {
                    return Some(St::ConvenientNumber);
                }
                self.backup();
                self.emit(ItemType::Integer);
                self.pop()
            }
            St::FloatStart => {
                let r = self.next();
                if !is_digit(r) {
                    return self.errorf(format!(
                        "Floats must have a digit after the '.', but got '{}' instead.",
                        esc(r)
                    ));
                }
                Some(St::Float)
            }
            St::Float => {
                let r = self.next();
                if is_digit(r) {
                    return Some(St::Float);
                }
                if r == '.' {
                    return Some(St::IpAddr);
                }
                self.backup();
                self.emit(ItemType::Float);
                self.pop()
            }
            St::IpAddr => {
                let r = self.next();
                if is_digit(r) || r == '.' || r == ':' || r == '-' {
                    return Some(St::IpAddr);
                }
                self.backup();
                self.emit(ItemType::String);
                self.pop()
            }
            St::CommentStart => {
                self.ignore();
                self.emit(ItemType::CommentStart);
                Some(St::Comment)
            }
            St::Comment => {
                let r = self.peek();
                if is_nl(r) || r == EOF {
                    self.emit(ItemType::Text);
                    return self.pop();
                }
                self.next();
                Some(St::Comment)
            }
        }
    }
}
