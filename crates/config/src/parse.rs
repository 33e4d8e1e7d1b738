//! The config language parser: nats-server's `conf/parse.go` over the
//! [`crate::lex`] items, building a [`Map`] of [`Spanned`] values.
//!
//! Like Go's parser it keeps explicit stacks (contexts, keys, key items), so
//! nesting never recurses; nesting is still capped at [`MAX_DEPTH`] so the
//! tree can be dropped and walked recursively, and includes at
//! [`MAX_INCLUDE_DEPTH`] (nats-server has no cap and loops on a cycle).

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use crate::lex::{Item, ItemType, Lexer};
use crate::scalar::{self, IntError};
use crate::{ConfigError, Map, Spanned, Value};

/// Deepest nesting of maps and arrays accepted.
pub const MAX_DEPTH: usize = 128;
/// Deepest chain of `include`s accepted.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Parse config text. `origin` names the file in errors; includes resolve
/// relative to its directory (the current directory if it has none).
pub fn parse_str(text: &str, origin: &str) -> Result<Map, ConfigError> {
    let env_refs = Rc::new(RefCell::new(HashSet::new()));
    Parser::new(text, origin, env_refs, 0).run()
}

/// Read and parse a config file.
pub fn parse_file(path: &Path) -> Result<Map, ConfigError> {
    parse_file_at_depth(path, 0)
}

fn parse_file_at_depth(path: &Path, depth: usize) -> Result<Map, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let env_refs = Rc::new(RefCell::new(HashSet::new()));
    Parser::new(&text, &path.to_string_lossy(), env_refs, depth).run()
}

/// Go's `filepath.Join(dir, p)`: an absolute `p` is still joined under `dir`.
fn go_join(dir: &Path, p: &str) -> PathBuf {
    let rel = p.trim_start_matches('/');
    if dir.as_os_str().is_empty() {
        PathBuf::from(rel)
    } else {
        dir.join(rel)
    }
}

enum Ctx {
    Map(Map),
    Array(Vec<Spanned<Value>>, u32, u32),
}

struct Parser<'a> {
    lx: Lexer<'a>,
    ctxs: Vec<Ctx>,
    keys: Vec<String>,
    ikeys: Vec<(u32, u32)>,
    file: Arc<str>,
    dir: PathBuf,
    env_refs: Rc<RefCell<HashSet<String>>>,
    include_depth: usize,
}

impl<'a> Parser<'a> {
    fn new(
        text: &'a str,
        origin: &str,
        env_refs: Rc<RefCell<HashSet<String>>>,
        include_depth: usize,
    ) -> Self {
        let dir = Path::new(origin)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Parser {
            lx: Lexer::new(text),
            ctxs: vec![Ctx::Map(Map::default())],
            keys: Vec::new(),
            ikeys: Vec::new(),
            file: Arc::from(origin),
            dir,
            env_refs,
            include_depth,
        }
    }

    fn err(&self, line: u32, col: u32, msg: String) -> ConfigError {
        ConfigError::Parse {
            file: self.file.to_string(),
            line,
            col,
            msg,
        }
    }

    fn run(mut self) -> Result<Map, ConfigError> {
        let mut prev: Option<Item> = None;
        loop {
            let it = self.lx.next_item();
            if it.typ == ItemType::Eof {
                if let Some(p) = &prev {
                    if p.typ == ItemType::Key && p.val != "}" {
                        return Err(self.err(it.line, it.pos, "config is invalid".to_string()));
                    }
                }
                break;
            }
            self.process(&it)?;
            prev = Some(it);
        }
        // Unclosed contexts (input cut at EOF inside a quote) are dropped, as
        // in Go, which returns only the top-level mapping.
        self.ctxs.truncate(1);
        match self.ctxs.pop() {
            Some(Ctx::Map(m)) => Ok(m),
            _ => Err(self.err(0, 0, "BUG in parser, context stack empty".to_string())),
        }
    }

    fn spanned(&self, v: Value, it: &Item) -> Spanned<Value> {
        Spanned::new(v, self.file.clone(), it.line, it.pos)
    }

    fn push_ctx(&mut self, c: Ctx, it: &Item) -> Result<(), ConfigError> {
        if self.ctxs.len() > MAX_DEPTH {
            return Err(self.err(
                it.line,
                it.pos,
                format!("maximum nesting depth ({MAX_DEPTH}) exceeded"),
            ));
        }
        self.ctxs.push(c);
        Ok(())
    }

    fn pop_ctx(&mut self, it: &Item) -> Result<Ctx, ConfigError> {
        if self.ctxs.len() <= 1 {
            return Err(self.err(it.line, it.pos, "BUG in parser, context stack empty".into()));
        }
        self.ctxs
            .pop()
            .ok_or_else(|| self.err(it.line, it.pos, "BUG in parser, context stack empty".into()))
    }

    fn set_value(&mut self, mut v: Spanned<Value>, it: &Item) -> Result<(), ConfigError> {
        match self.ctxs.last_mut() {
            Some(Ctx::Array(a, _, _)) => {
                a.push(v);
                Ok(())
            }
            Some(Ctx::Map(_)) => {
                let Some(key) = self.keys.pop() else {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        "BUG in parser, keys stack empty".into(),
                    ));
                };
                if let Some((line, col)) = self.ikeys.pop() {
                    v.line = line;
                    v.col = col;
                }
                if let Some(Ctx::Map(m)) = self.ctxs.last_mut() {
                    m.insert(key, v);
                }
                Ok(())
            }
            None => Err(self.err(it.line, it.pos, "BUG in parser, context stack empty".into())),
        }
    }

    fn process(&mut self, it: &Item) -> Result<(), ConfigError> {
        match it.typ {
            ItemType::Error => return Err(self.err(it.line, it.pos, it.val.clone())),
            ItemType::Key => {
                self.keys.push(it.val.clone());
                self.ikeys.push((it.line, it.pos));
            }
            ItemType::MapStart => self.push_ctx(Ctx::Map(Map::default()), it)?,
            ItemType::ArrayStart => self.push_ctx(Ctx::Array(Vec::new(), it.line, it.pos), it)?,
            ItemType::MapEnd => {
                let v = match self.pop_ctx(it)? {
                    Ctx::Map(m) => Value::Map(m),
                    Ctx::Array(a, _, _) => Value::Array(a),
                };
                let s = self.spanned(v, it);
                self.set_value(s, it)?;
            }
            ItemType::ArrayEnd => {
                let (v, line, col) = match self.pop_ctx(it)? {
                    Ctx::Map(m) => (Value::Map(m), it.line, it.pos),
                    Ctx::Array(a, l, c) => (Value::Array(a), l, c),
                };
                let s = Spanned::new(v, self.file.clone(), line, col);
                self.set_value(s, it)?;
            }
            ItemType::String => {
                let s = self.spanned(Value::String(it.val.clone()), it);
                self.set_value(s, it)?;
            }
            ItemType::Integer => match scalar::parse_integer(&it.val) {
                Ok(n) => {
                    let s = self.spanned(Value::Int(n), it);
                    self.set_value(s, it)?;
                }
                Err(IntError::Range) => {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        format!("integer '{}' is out of the range", it.val),
                    ))
                }
                Err(IntError::Syntax) => {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        format!("expected integer, but got '{}'", it.val),
                    ))
                }
                // nats-server sets no value for an unknown suffix (`1kbb`)
                // and leaves the key on its stack; do the same.
                Err(IntError::UnknownSuffix) => {}
            },
            ItemType::Float => {
                let n: f64 = it.val.parse().map_err(|_| {
                    self.err(
                        it.line,
                        it.pos,
                        format!("expected float, but got '{}'", it.val),
                    )
                })?;
                if !n.is_finite() {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        format!("float '{}' is out of the range", it.val),
                    ));
                }
                let s = self.spanned(Value::Float(n), it);
                self.set_value(s, it)?;
            }
            ItemType::Bool => {
                let b = match it.val.to_lowercase().as_str() {
                    "true" | "yes" | "on" => true,
                    "false" | "no" | "off" => false,
                    _ => {
                        return Err(self.err(
                            it.line,
                            it.pos,
                            format!("expected boolean value, but got '{}'", it.val),
                        ))
                    }
                };
                let s = self.spanned(Value::Bool(b), it);
                self.set_value(s, it)?;
            }
            ItemType::Datetime => {
                if !scalar::valid_datetime(&it.val) {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        format!("expected Zulu formatted DateTime, but got '{}'", it.val),
                    ));
                }
                let s = self.spanned(Value::DateTime(it.val.clone()), it);
                self.set_value(s, it)?;
            }
            ItemType::Variable => {
                let v = self.lookup_variable(&it.val, it)?;
                let Some(v) = v else {
                    return Err(self.err(
                        it.line,
                        it.pos,
                        format!(
                            "variable reference for '{}' on line {} can not be found",
                            it.val, it.line
                        ),
                    ));
                };
                let s = self.spanned(v, it);
                self.set_value(s, it)?;
            }
            ItemType::Include => self.include(it)?,
            ItemType::Eof | ItemType::Text | ItemType::CommentStart => {}
        }
        Ok(())
    }

    fn include(&mut self, it: &Item) -> Result<(), ConfigError> {
        let wrap = |p: &Self, cause: String| {
            p.err(
                it.line,
                it.pos,
                format!("error parsing include file '{}', {}", it.val, cause),
            )
        };
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            return Err(wrap(
                self,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} (include cycle?)"),
            ));
        }
        let path = go_join(&self.dir, &it.val);
        let m = parse_file_at_depth(&path, self.include_depth + 1)
            .map_err(|e| wrap(self, e.to_string()))?;
        for (k, v) in m.0 {
            self.keys.push(k);
            self.ikeys.push((v.line, v.col));
            self.set_value(v, it)?;
        }
        Ok(())
    }

    /// conf/parse.go `lookupVariable`: enclosing maps innermost first, then
    /// the environment (whose value is parsed as a config value).
    fn lookup_variable(&mut self, name: &str, it: &Item) -> Result<Option<Value>, ConfigError> {
        if name.starts_with("2a$") {
            return Ok(Some(Value::String(format!("${name}"))));
        }
        for ctx in self.ctxs.iter_mut().rev() {
            if let Ctx::Map(m) = ctx {
                if let Some((_, v)) = m.0.iter_mut().rev().find(|(k, _)| k == name) {
                    v.used_variable = true;
                    return Ok(Some(v.value.clone()));
                }
            }
        }
        let could_not = |p: &Self, msg: String| {
            p.err(
                it.line,
                it.pos,
                format!(
                    "variable reference for '{}' on line {} could not be parsed: {}",
                    name, it.line, msg
                ),
            )
        };
        if self.env_refs.borrow().contains(name) {
            return Err(could_not(
                self,
                format!("variable reference cycle for '{name}'"),
            ));
        }
        let Some(val) = std::env::var_os(name) else {
            return Ok(None);
        };
        self.env_refs.borrow_mut().insert(name.to_string());
        let text = format!("pk={}", val.to_string_lossy());
        let sub = Parser::new(&text, "", self.env_refs.clone(), self.include_depth).run();
        self.env_refs.borrow_mut().remove(name);
        match sub {
            Ok(m) => Ok(m.0.iter().rev().find(|(k, _)| k == "pk").map(|(_, v)| {
                let mut v = v.value.clone();
                restamp(&mut v, &self.file, it.line, it.pos);
                v
            })),
            Err(e) => Err(could_not(self, e.message())),
        }
    }
}

/// Give a value parsed from an environment variable the position of the
/// `$NAME` that referenced it.
fn restamp(v: &mut Value, file: &Arc<str>, line: u32, col: u32) {
    let fix = |s: &mut Spanned<Value>| {
        s.file = file.clone();
        s.line = line;
        s.col = col;
        restamp(&mut s.value, file, line, col);
    };
    match v {
        Value::Map(m) => m.0.iter_mut().for_each(|(_, s)| fix(s)),
        Value::Array(a) => a.iter_mut().for_each(fix),
        _ => {}
    }
}
