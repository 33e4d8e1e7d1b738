//! Subject transforms (mappings), as nats-server's `server/subject_transform.go` defines
//! them: a source filter (`foo.*.>`) and a destination made of literal tokens, `$N`
//! placeholders and mustache functions (`{{wildcard(1)}}`, `{{partition(10,1,2)}}`,
//! `{{split(1,-)}}`, `{{splitfromleft(1,2)}}`, `{{splitfromright(1,2)}}`,
//! `{{slicefromleft(1,2)}}`, `{{slicefromright(1,2)}}`, `{{left(1,2)}}`, `{{right(1,2)}}`,
//! `{{random(n)}}`), with the same validation errors and error texts.
//!
//! [`SubjectTransform::new`] is `NewSubjectTransform`, [`SubjectTransform::new_strict`]
//! `NewSubjectTransformStrict` (reversible import mappings), [`validate_mapping`]
//! `ValidateMapping`. `{{random(n)}}` takes its number from a caller-supplied source, so
//! deterministic callers can feed it from their own state.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use crate::matching::matches;
use crate::validate::is_valid_literal_subject;

/// Why a transform could not be built or applied; `Display` gives nats-server's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// `ErrBadSubject`.
    #[error("invalid subject")]
    BadSubject,
    /// `ErrNoTransforms`: the subject does not match the source.
    #[error("no matching transforms available")]
    NoMatch,
    /// A `mappingDestinationErr`: `<kind> in <token>` (or only `<kind>` without a token).
    #[error("{}", mapping_text(.kind, .token))]
    Destination {
        kind: DestinationError,
        token: String,
    },
}

fn mapping_text(kind: &DestinationError, token: &str) -> String {
    if token.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} in {token}")
    }
}

/// The kinds of `ErrInvalidMappingDestination`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("invalid mapping destination: invalid transform")]
    InvalidSubject,
    #[error("invalid mapping destination: not using all of the token wildcard(s)")]
    NotUsingAllWildcards,
    #[error("invalid mapping destination: unknown function")]
    UnknownFunction,
    #[error("invalid mapping destination: wildcard index out of range")]
    IndexOutOfRange,
    #[error("invalid mapping destination: not enough arguments passed to the function")]
    NotEnoughArgs,
    #[error("invalid mapping destination: function argument is invalid or in the wrong format")]
    InvalidArg,
    #[error("invalid mapping destination: too many arguments passed to the function")]
    TooManyArgs,
    #[error("invalid mapping destination: the only mapping function allowed for import transforms is {{{{Wildcard()}}}}")]
    NotSupportedForImport,
}

fn dest_err(token: &str, kind: DestinationError) -> TransformError {
    TransformError::Destination {
        kind,
        token: token.to_string(),
    }
}

/// One destination token's mapping function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// A literal token (or `>`).
    None,
    Partition,
    Wildcard,
    SplitFromLeft,
    SplitFromRight,
    SliceFromLeft,
    SliceFromRight,
    Split,
    Left,
    Right,
    Random,
}

/// One parsed destination token: the function, the source token positions it reads, its
/// integer argument and its string argument (split delimiter).
#[derive(Debug, Clone, PartialEq, Eq)]
struct DestToken {
    literal: String,
    function: Function,
    source_indexes: Vec<usize>,
    int_arg: i32,
    string_arg: String,
}

/// A compiled subject transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTransform {
    src: String,
    dest: String,
    src_tokens: Vec<String>,
    dest_tokens: Vec<DestToken>,
}

struct FunctionRegexes {
    partition: Regex,
    wildcard: Regex,
    split_from_left: Regex,
    split_from_right: Regex,
    slice_from_left: Regex,
    slice_from_right: Regex,
    split: Regex,
    left: Regex,
    right: Regex,
    random: Regex,
    comma: Regex,
}

/// nats-server's patterns, compiled once. They are constants, so compiling cannot fail
/// except by a programming error, which the unit tests would show.
fn regexes() -> &'static FunctionRegexes {
    static RE: OnceLock<FunctionRegexes> = OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::expect_used)]
        let re = |p: &str| Regex::new(p).expect("constant mapping function pattern");
        FunctionRegexes {
            partition: re(r"\{\{[\t\n\f\r ]*[pP]artition[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            wildcard: re(r"\{\{[\t\n\f\r ]*[wW]ildcard[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            split_from_left: re(
                r"\{\{[\t\n\f\r ]*[sS]plit[fF]rom[lL]eft[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}",
            ),
            split_from_right: re(
                r"\{\{[\t\n\f\r ]*[sS]plit[fF]rom[rR]ight[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}",
            ),
            slice_from_left: re(
                r"\{\{[\t\n\f\r ]*[sS]lice[fF]rom[lL]eft[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}",
            ),
            slice_from_right: re(
                r"\{\{[\t\n\f\r ]*[sS]lice[fF]rom[rR]ight[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}",
            ),
            split: re(r"\{\{[\t\n\f\r ]*[sS]plit[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            left: re(r"\{\{[\t\n\f\r ]*[lL]eft[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            right: re(r"\{\{[\t\n\f\r ]*[rR]ight[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            random: re(r"\{\{[\t\n\f\r ]*[rR]andom[\t\n\f\r ]*\((.*)\)[\t\n\f\r ]*\}\}"),
            comma: re(r",[\t\n\f\r ]*"),
        }
    })
}

/// `getMappingFunctionArgs`: the comma-separated arguments, or `None` when the token is
/// not a call of this function.
fn function_args(re: &Regex, token: &str) -> Option<Vec<String>> {
    let caps = re.captures(token)?;
    let inner = caps.get(1)?.as_str();
    Some(regexes().comma.split(inner).map(str::to_string).collect())
}

/// Go's `strconv.Atoi` on a space-trimmed argument.
fn atoi(s: &str) -> Option<i64> {
    s.trim_matches(' ').parse::<i64>().ok()
}

type Parsed = (Function, Vec<i64>, i32, String);

fn index_int_args(
    token: &str,
    args: &[String],
    function: Function,
) -> Result<Parsed, TransformError> {
    if args.len() < 2 {
        return Err(dest_err(token, DestinationError::NotEnoughArgs));
    }
    if args.len() > 2 {
        return Err(dest_err(token, DestinationError::TooManyArgs));
    }
    let (Some(a0), Some(a1)) = (args.first(), args.get(1)) else {
        return Err(dest_err(token, DestinationError::NotEnoughArgs));
    };
    let index = atoi(a0).ok_or_else(|| dest_err(token, DestinationError::InvalidArg))?;
    let int_arg = a1
        .trim_matches(' ')
        .parse::<i32>()
        .map_err(|_| dest_err(token, DestinationError::InvalidArg))?;
    Ok((function, vec![index], int_arg, String::new()))
}

fn int32_arg(token: &str, arg: &str) -> Result<i32, TransformError> {
    match atoi(arg) {
        Some(n) if n <= i64::from(i32::MAX) => Ok(n as i32),
        _ => Err(dest_err(token, DestinationError::InvalidArg)),
    }
}

/// `indexPlaceHolders`: what one destination token does.
fn index_placeholders(token: &str) -> Result<Parsed, TransformError> {
    let none = || Ok((Function::None, vec![-1], -1, String::new()));
    let b = token.as_bytes();
    let length = b.len();
    if length <= 1 {
        return none();
    }
    if b.first() == Some(&b'$') {
        return match token.get(1..).and_then(|s| s.parse::<i64>().ok()) {
            Some(n) => Ok((Function::Wildcard, vec![n], -1, String::new())),
            None => none(),
        };
    }
    let mustache = length > 4 && token.starts_with("{{") && token.ends_with("}}");
    if !mustache {
        return none();
    }
    let re = regexes();
    if let Some(args) = function_args(&re.wildcard, token) {
        if args.len() == 1 && args.first().is_some_and(String::is_empty) {
            return Err(dest_err(token, DestinationError::NotEnoughArgs));
        }
        if args.len() == 1 {
            let index = args
                .first()
                .and_then(|a| atoi(a))
                .ok_or_else(|| dest_err(token, DestinationError::InvalidArg))?;
            return Ok((Function::Wildcard, vec![index], -1, String::new()));
        }
        return Err(dest_err(token, DestinationError::TooManyArgs));
    }
    if let Some(args) = function_args(&re.partition, token) {
        let Some(first) = args.first() else {
            return Err(dest_err(token, DestinationError::NotEnoughArgs));
        };
        let buckets = int32_arg(token, first)?;
        let mut indexes = Vec::new();
        for a in args.iter().skip(1) {
            indexes.push(atoi(a).ok_or_else(|| dest_err(token, DestinationError::InvalidArg))?);
        }
        return Ok((Function::Partition, indexes, buckets, String::new()));
    }
    let pairs: [(&Regex, Function); 6] = [
        (&re.split_from_left, Function::SplitFromLeft),
        (&re.split_from_right, Function::SplitFromRight),
        (&re.slice_from_left, Function::SliceFromLeft),
        (&re.slice_from_right, Function::SliceFromRight),
        (&re.right, Function::Right),
        (&re.left, Function::Left),
    ];
    for (r, f) in pairs {
        if let Some(args) = function_args(r, token) {
            return index_int_args(token, &args, f);
        }
    }
    if let Some(args) = function_args(&re.split, token) {
        if args.len() < 2 {
            return Err(dest_err(token, DestinationError::NotEnoughArgs));
        }
        if args.len() > 2 {
            return Err(dest_err(token, DestinationError::TooManyArgs));
        }
        let (Some(a0), Some(delim)) = (args.first(), args.get(1)) else {
            return Err(dest_err(token, DestinationError::NotEnoughArgs));
        };
        let index = atoi(a0).ok_or_else(|| dest_err(token, DestinationError::InvalidArg))?;
        if delim.contains(' ') || delim.contains('.') {
            return Err(dest_err(token, DestinationError::InvalidArg));
        }
        return Ok((Function::Split, vec![index], -1, delim.clone()));
    }
    if let Some(args) = function_args(&re.random, token) {
        if args.len() != 1 {
            return Err(dest_err(token, DestinationError::NotEnoughArgs));
        }
        let max = int32_arg(token, args.first().map_or("", String::as_str))?;
        return Ok((Function::Random, Vec::new(), max, String::new()));
    }
    Err(dest_err(token, DestinationError::UnknownFunction))
}

/// `subjectInfo`: valid, tokens, number of `*`, has `>`.
fn subject_info(subject: &str) -> Option<(Vec<String>, usize, bool)> {
    if subject.is_empty() {
        return None;
    }
    let mut pwcs = 0;
    let mut fwc = false;
    let mut tokens = Vec::new();
    for t in subject.split('.') {
        if t.is_empty() || fwc {
            return None;
        }
        if t == ">" {
            fwc = true;
        } else if t == "*" {
            pwcs += 1;
        }
        tokens.push(t.to_string());
    }
    Some((tokens, pwcs, fwc))
}

impl SubjectTransform {
    /// `NewSubjectTransform`. `Ok(None)` for an empty destination (no transform).
    pub fn new(src: &str, dest: &str) -> Result<Option<Self>, TransformError> {
        Self::with_strict(src, dest, false)
    }

    /// `NewSubjectTransformStrict`: only `$N`/`{{wildcard(N)}}`, every `*` used.
    pub fn new_strict(src: &str, dest: &str) -> Result<Option<Self>, TransformError> {
        Self::with_strict(src, dest, true)
    }

    /// `NewSubjectTransformWithStrict`.
    pub fn with_strict(
        src: &str,
        dest: &str,
        strict: bool,
    ) -> Result<Option<Self>, TransformError> {
        if dest.is_empty() {
            return Ok(None);
        }
        let src = if src.is_empty() { ">" } else { src };
        let (Some((stokens, npwcs, has_fwc)), Some((dtokens, dnpwcs, dhas_fwc))) =
            (subject_info(src), subject_info(dest))
        else {
            return Err(TransformError::BadSubject);
        };
        if dnpwcs > 0 || has_fwc != dhas_fwc {
            return Err(TransformError::BadSubject);
        }
        let mut dest_tokens = Vec::with_capacity(dtokens.len());
        if npwcs > 0 || has_fwc {
            // Position of the n-th `*` (1-based) among the source tokens; Go's map yields 0
            // for indexes it does not hold.
            let wildcard_positions: Vec<usize> = stokens
                .iter()
                .enumerate()
                .filter(|(_, t)| *t == "*")
                .map(|(i, _)| i)
                .collect();
            let mut placeholders = 0usize;
            for token in &dtokens {
                let (function, indexes, int_arg, string_arg) = index_placeholders(token)?;
                if strict && function != Function::None && function != Function::Wildcard {
                    return Err(dest_err(token, DestinationError::NotSupportedForImport));
                }
                let source_indexes = match function {
                    Function::None => Vec::new(),
                    Function::Random => Vec::new(),
                    _ => {
                        placeholders += indexes.len();
                        let mut stis = Vec::with_capacity(indexes.len());
                        for wi in indexes {
                            if wi > npwcs as i64 {
                                return Err(dest_err(
                                    &format!("{token}: [{wi}]"),
                                    DestinationError::IndexOutOfRange,
                                ));
                            }
                            let pos = usize::try_from(wi)
                                .ok()
                                .and_then(|n| n.checked_sub(1))
                                .and_then(|n| wildcard_positions.get(n).copied())
                                .unwrap_or(0);
                            stis.push(pos);
                        }
                        stis
                    }
                };
                dest_tokens.push(DestToken {
                    literal: token.clone(),
                    function,
                    source_indexes,
                    int_arg,
                    string_arg,
                });
            }
            if strict && placeholders < npwcs {
                return Err(dest_err(dest, DestinationError::NotUsingAllWildcards));
            }
        } else {
            for token in &dtokens {
                let (function, _, int_arg, _) = index_placeholders(token)?;
                match function {
                    Function::None | Function::Random | Function::Partition => {
                        dest_tokens.push(DestToken {
                            literal: token.clone(),
                            function,
                            source_indexes: Vec::new(),
                            int_arg,
                            string_arg: String::new(),
                        })
                    }
                    _ => return Err(dest_err(token, DestinationError::IndexOutOfRange)),
                }
            }
        }
        Ok(Some(SubjectTransform {
            src: src.to_string(),
            dest: dest.to_string(),
            src_tokens: stokens,
            dest_tokens,
        }))
    }

    /// The source filter (`>` when it was given empty).
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The destination as given.
    pub fn destination(&self) -> &str {
        &self.dest
    }

    /// `Match`: the transformed subject when `subject` (a literal) matches the source.
    /// `{{random(n)}}` draws from `random`.
    pub fn matches_with(
        &self,
        subject: &str,
        random: &mut dyn FnMut() -> u32,
    ) -> Result<String, TransformError> {
        if (self.src == ">" || self.src.is_empty()) && (self.dest == ">" || self.dest.is_empty()) {
            return Ok(subject.to_string());
        }
        if !is_valid_literal_subject(subject) {
            return Err(TransformError::BadSubject);
        }
        if self.src == ">" || matches(&self.src, subject) {
            let tokens: Vec<&str> = subject.split('.').collect();
            return Ok(self.transform_tokens(&tokens, random));
        }
        Err(TransformError::NoMatch)
    }

    /// [`Self::matches_with`] with `{{random(n)}}` fed by a thread-local generator.
    pub fn apply(&self, subject: &str) -> Result<String, TransformError> {
        self.matches_with(subject, &mut default_random)
    }

    /// `TransformSubject`: transform without checking the source matches.
    pub fn transform(&self, subject: &str, random: &mut dyn FnMut() -> u32) -> String {
        let tokens: Vec<&str> = subject.split('.').collect();
        self.transform_tokens(&tokens, random)
    }

    /// `TransformTokenizedSubject`. Missing source tokens read as empty (never a panic).
    pub fn transform_tokens(&self, tokens: &[&str], random: &mut dyn FnMut() -> u32) -> String {
        if self.dest_tokens.is_empty() {
            return self.dest.clone();
        }
        let mut b = String::with_capacity(self.dest.len() + 16);
        let last = self.dest_tokens.len() - 1;
        let source = |dt: &DestToken| -> &str {
            dt.source_indexes
                .first()
                .and_then(|&i| tokens.get(i))
                .copied()
                .unwrap_or("")
        };
        for (i, dt) in self.dest_tokens.iter().enumerate() {
            match dt.function {
                Function::None => {
                    if dt.literal == ">" {
                        break;
                    }
                    b.push_str(&dt.literal);
                }
                Function::Partition => {
                    let mut key = String::new();
                    if dt.source_indexes.is_empty() {
                        key = tokens.join(".");
                    } else {
                        for &si in &dt.source_indexes {
                            key.push_str(tokens.get(si).copied().unwrap_or(""));
                        }
                    }
                    b.push_str(&hash_partition(key.as_bytes(), dt.int_arg));
                }
                Function::Wildcard => b.push_str(source(dt)),
                Function::SplitFromLeft => {
                    let s = source(dt);
                    let p = dt.int_arg;
                    match usize::try_from(p) {
                        Ok(p) if p > 0 && p < s.len() && s.is_char_boundary(p) => {
                            b.push_str(&s[..p]);
                            b.push('.');
                            b.push_str(&s[p..]);
                        }
                        _ => b.push_str(s),
                    }
                }
                Function::SplitFromRight => {
                    let s = source(dt);
                    match usize::try_from(dt.int_arg) {
                        Ok(p) if p > 0 && p < s.len() && s.is_char_boundary(s.len() - p) => {
                            let at = s.len() - p;
                            b.push_str(&s[..at]);
                            b.push('.');
                            b.push_str(&s[at..]);
                        }
                        _ => b.push_str(s),
                    }
                }
                Function::SliceFromLeft => {
                    let s = source(dt).as_bytes();
                    match usize::try_from(dt.int_arg) {
                        Ok(size) if size > 0 && size < s.len() => {
                            let mut out: Vec<u8> = Vec::new();
                            let mut j = 0;
                            while j + size <= s.len() {
                                if j != 0 {
                                    out.push(b'.');
                                }
                                out.extend_from_slice(s.get(j..j + size).unwrap_or_default());
                                if j + size != s.len() && j + size + size > s.len() {
                                    out.push(b'.');
                                    out.extend_from_slice(s.get(j + size..).unwrap_or_default());
                                    break;
                                }
                                j += size;
                            }
                            b.push_str(&String::from_utf8_lossy(&out));
                        }
                        _ => b.push_str(source(dt)),
                    }
                }
                Function::SliceFromRight => {
                    let s = source(dt).as_bytes();
                    match usize::try_from(dt.int_arg) {
                        Ok(size) if size > 0 && size < s.len() => {
                            let mut out: Vec<u8> = Vec::new();
                            let rem = s.len() % size;
                            if rem > 0 {
                                out.extend_from_slice(s.get(..rem).unwrap_or_default());
                                out.push(b'.');
                            }
                            let mut j = rem;
                            while j + size <= s.len() {
                                out.extend_from_slice(s.get(j..j + size).unwrap_or_default());
                                if j + size < s.len() {
                                    out.push(b'.');
                                }
                                j += size;
                            }
                            b.push_str(&String::from_utf8_lossy(&out));
                        }
                        _ => b.push_str(source(dt)),
                    }
                }
                Function::Split => {
                    let s = source(dt);
                    let splits: Vec<&str> = if dt.string_arg.is_empty() {
                        // Go's strings.Split with an empty separator splits into UTF-8 chars.
                        s.split_inclusive(|_: char| true).collect()
                    } else {
                        s.split(dt.string_arg.as_str()).collect()
                    };
                    for (j, part) in splits.iter().enumerate() {
                        b.push_str(part);
                        let next_nonempty = splits.get(j + 1).is_some_and(|n| !n.is_empty());
                        if next_nonempty && !(j == 0 && part.is_empty()) {
                            b.push('.');
                        }
                    }
                }
                Function::Left => {
                    let s = source(dt);
                    match usize::try_from(dt.int_arg) {
                        Ok(n) if n > 0 && n < s.len() && s.is_char_boundary(n) => {
                            b.push_str(&s[..n])
                        }
                        _ => b.push_str(s),
                    }
                }
                Function::Right => {
                    let s = source(dt);
                    match usize::try_from(dt.int_arg) {
                        Ok(n) if n > 0 && n < s.len() && s.is_char_boundary(s.len() - n) => {
                            b.push_str(&s[s.len() - n..])
                        }
                        _ => b.push_str(s),
                    }
                }
                Function::Random => {
                    let ceiling = dt.int_arg;
                    if ceiling == 0 {
                        b.push('0');
                    } else {
                        // Go: int(rand.Int31()) % ceiling (sign of the dividend).
                        let r = i64::from(random() & 0x7fff_ffff);
                        b.push_str(&(r % i64::from(ceiling)).to_string());
                    }
                }
            }
            if i < last {
                b.push('.');
            }
        }
        if self.dest_tokens.last().is_some_and(|d| d.literal == ">") {
            let start = self.src_tokens.len().saturating_sub(1);
            let rest: Vec<&str> = tokens.iter().skip(start).copied().collect();
            b.push_str(&rest.join("."));
        }
        b
    }
}

/// `getHashPartition`: FNV-1a 32 of the key modulo the bucket count.
fn hash_partition(key: &[u8], buckets: i32) -> String {
    if buckets == 0 {
        return "0".to_string();
    }
    let mut h: u32 = 0x811c_9dc5;
    for &byte in key {
        h ^= u32::from(byte);
        h = h.wrapping_mul(0x0100_0193);
    }
    // Go converts the int to uint32 (a negative count wraps).
    (h % (buckets as u32)).to_string()
}

fn default_random() -> u32 {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x9e37_79b9_7f4a_7c15);
            h.finish() | 1
        });
    }
    STATE.with(|s| {
        // xorshift64*
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    })
}

/// `ValidateMapping`: the destination's tokens look right, then the transform builds.
/// (As nats-server, `{{left()}}` and `{{right()}}` are not among the functions this check
/// knows.)
pub fn validate_mapping(src: &str, dest: &str) -> Result<(), TransformError> {
    if dest.is_empty() {
        return Ok(());
    }
    let re = regexes();
    let mut fwc = false;
    for t in dest.split('.') {
        if t.is_empty() || fwc {
            return Err(dest_err(t, DestinationError::InvalidSubject));
        }
        if t.len() > 4 && t.starts_with("{{") && t.ends_with("}}") {
            let known = [
                &re.partition,
                &re.wildcard,
                &re.split_from_left,
                &re.split_from_right,
                &re.slice_from_left,
                &re.slice_from_right,
                &re.split,
                &re.random,
            ]
            .iter()
            .any(|r| r.is_match(t));
            if !known {
                return Err(dest_err(t, DestinationError::UnknownFunction));
            }
            continue;
        }
        if t == ">" {
            fwc = true;
        } else if t.contains(['\t', '\n', '\x0c', '\r', ' ']) {
            return Err(dest_err("", DestinationError::InvalidSubject));
        }
    }
    SubjectTransform::new(src, dest).map(|_| ())
}

impl fmt::Display for SubjectTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.src, self.dest)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(token: &str) -> (Function, Vec<i64>, i32) {
        let (f, i, n, _) = index_placeholders(token).unwrap();
        (f, i, n)
    }

    // TestPlaceHolderIndex
    #[test]
    fn placeholder_index() {
        assert_eq!(parse("$1"), (Function::Wildcard, vec![1], -1));
        assert_eq!(
            parse("{{partition(10,1,2,3)}}"),
            (Function::Partition, vec![1, 2, 3], 10)
        );
        assert_eq!(
            parse("{{ Partition (10,1,2,3) }}"),
            (Function::Partition, vec![1, 2, 3], 10)
        );
        assert_eq!(parse("{{wildcard(2)}}"), (Function::Wildcard, vec![2], -1));
        assert_eq!(
            parse("{{SplitFromLeft(2,1)}}"),
            (Function::SplitFromLeft, vec![2], 1)
        );
        assert_eq!(
            parse("{{SplitFromRight(3,2)}}"),
            (Function::SplitFromRight, vec![3], 2)
        );
        assert_eq!(
            parse("{{SliceFromLeft(2,2)}}"),
            (Function::SliceFromLeft, vec![2], 2)
        );
        assert_eq!(parse("{{Left(3,2)}}"), (Function::Left, vec![3], 2));
        assert_eq!(parse("{{Right(3,2)}}"), (Function::Right, vec![3], 2));
        assert_eq!(parse("$foo"), (Function::None, vec![-1], -1));
    }

    fn should_err(src: &str, dest: &str, strict: bool) {
        match SubjectTransform::with_strict(src, dest, strict) {
            Err(TransformError::BadSubject) | Err(TransformError::Destination { .. }) => {}
            other => panic!("no error for src={src:?} dest={dest:?}: {other:?}"),
        }
    }

    fn should_be_ok(src: &str, dest: &str, strict: bool) -> SubjectTransform {
        match SubjectTransform::with_strict(src, dest, strict) {
            Ok(Some(tr)) => tr,
            other => panic!("error for src={src:?} dest={dest:?}: {other:?}"),
        }
    }

    fn should_match(src: &str, dest: &str, sample: &str, expected: &[&str]) {
        let got = match SubjectTransform::new(src, dest).unwrap() {
            Some(tr) => tr.apply(sample).unwrap(),
            None => sample.to_string(),
        };
        assert!(
            expected.contains(&got.as_str()),
            "{src} -> {dest} on {sample}: got {got:?}, expected {expected:?}"
        );
    }

    // TestSubjectTransforms
    #[test]
    fn transforms_errors() {
        should_err("foo..", "bar", false);
        should_err("foo.*", "bar.*", false);
        should_err("foo.*", "bar.$2", false);
        should_err("foo.*", "bar.$1.>", false);
        should_err("foo.>", "bar.baz", false);
        should_err("foo.*.*", "bar.$2", true);
        should_err("foo.*", "foo.$foo", true);
        should_err("foo.*", "bar.{{Partition(2,1)}}", true);
        should_err("foo.*", "foo.{{wildcard(2)}}", false);
        should_err("foo.*", "foo.{{unimplemented(1)}}", false);
        should_err("foo.*", "foo.{{partition()}}", false);
        should_err("foo.*", "foo.{{random()}}", false);
        should_err("foo.*", "foo.{{wildcard(foo)}}", false);
        should_err("foo.*", "foo.{{wildcard()}}", false);
        should_err("foo.*", "foo.{{wildcard(1,2)}}", false);
        should_err("foo.*", "foo.{{ wildcard5) }}", false);
        should_err("foo.*", "foo.{{splitLeft(2,2}}", false);
        should_err("foo", "bla.{{wildcard(1)}}", false);
        should_err(
            "foo.*",
            &format!("foo.{{{{partition({})}}}}", i64::from(i32::MAX) + 1),
            false,
        );
        should_err(
            "foo.*",
            &format!("foo.{{{{random({})}}}}", i64::from(i32::MAX) + 1),
            false,
        );
    }

    #[test]
    fn transforms_ok() {
        should_be_ok("foo.*", "bar.{{Wildcard(1)}}", true);
        should_be_ok("foo.*.*", "bar.$2", false);
        should_be_ok("foo.*.*", "bar.{{wildcard(1)}}", false);
        should_be_ok("foo.*.*", "bar.{{partition(1)}}", false);
        should_be_ok("foo.*.*", "bar.{{random(5)}}", false);
        should_be_ok("foo", "bar", false);
        should_be_ok("foo.*.bar.*.baz", "req.$2.$1", false);
        should_be_ok("baz.>", "mybaz.>", false);
        should_be_ok("*", "{{splitfromleft(1,1)}}", false);
        should_be_ok("", "prefix.>", false);
        should_be_ok("*.*", "{{partition(10,1,2)}}", false);
        should_be_ok(
            "foo.*.*",
            "foo.{{wildcard(1)}}.{{wildcard(2)}}.{{partition(5,1,2)}}",
            false,
        );
        should_be_ok(
            "foo.*",
            &format!("foo.{{{{partition({})}}}}", i32::MAX),
            false,
        );
        should_be_ok("foo.*", &format!("foo.{{{{random({})}}}}", i32::MAX), false);
        should_be_ok(
            "foo.bar",
            &format!("foo.{{{{random({})}}}}", i32::MAX),
            false,
        );
        assert_eq!(SubjectTransform::new("foo", "").unwrap(), None);
    }

    #[test]
    fn transforms_match() {
        should_match("", "prefix.>", "foo", &["prefix.foo"]);
        should_match("foo", "", "foo", &["foo"]);
        should_match("foo", "bar", "foo", &["bar"]);
        should_match(
            "foo.*.bar.*.baz",
            "req.$2.$1",
            "foo.A.bar.B.baz",
            &["req.B.A"],
        );
        should_match(
            "foo.*.bar.*.baz",
            "req.{{wildcard(2)}}.{{wildcard(1)}}",
            "foo.A.bar.B.baz",
            &["req.B.A"],
        );
        should_match("baz.>", "my.pre.>", "baz.1.2.3", &["my.pre.1.2.3"]);
        should_match("baz.>", "foo.bar.>", "baz.1.2.3", &["foo.bar.1.2.3"]);
        should_match("*", "foo.bar.$1", "foo", &["foo.bar.foo"]);
        should_match("*", "{{splitfromleft(1,3)}}", "12345", &["123.45"]);
        should_match("*", "{{SplitFromRight(1,3)}}", "12345", &["12.345"]);
        should_match(
            "*",
            "{{SliceFromLeft(1,3)}}",
            "1234567890",
            &["123.456.789.0"],
        );
        should_match(
            "*",
            "{{SliceFromRight(1,3)}}",
            "1234567890",
            &["1.234.567.890"],
        );
        should_match("*", "{{split(1,-)}}", "-abc-def--ghi-", &["abc.def.ghi"]);
        should_match("*", "{{split(1,-)}}", "abc-def--ghi-", &["abc.def.ghi"]);
        should_match(
            "*.*",
            "{{split(2,-)}}.{{splitfromleft(1,2)}}",
            "foo.-abc-def--ghij-",
            &["abc.def.ghij.fo.o"],
        );
        should_match("*", "{{right(1,1)}}", "1234", &["4"]);
        should_match("*", "{{right(1,3)}}", "1234", &["234"]);
        should_match("*", "{{right(1,6)}}", "1234", &["1234"]);
        should_match("*", "{{left(1,1)}}", "1234", &["1"]);
        should_match("*", "{{left(1,3)}}", "1234", &["123"]);
        should_match("*", "{{left(1,6)}}", "1234", &["1234"]);
        should_match("*", "bar.{{partition(0)}}", "baz", &["bar.0"]);
        should_match("*", "bar.{{partition(10, 0)}}", "foo", &["bar.3"]);
        should_match("*.*", "bar.{{partition(10)}}", "foo.bar", &["bar.6"]);
        should_match("*", "bar.{{partition(10)}}", "foo", &["bar.3"]);
        should_match("*", "bar.{{partition(10)}}", "baz", &["bar.0"]);
        should_match("*", "bar.{{partition(10)}}", "qux", &["bar.9"]);
        should_match("*", "bar.{{random(0)}}", "qux", &["bar.0"]);
        for _ in 0..100 {
            should_match(
                "*",
                "bar.{{random(6)}}",
                "qux",
                &["bar.0", "bar.1", "bar.2", "bar.3", "bar.4", "bar.5"],
            );
        }
        should_match("foo.bar", "baz.{{partition(10)}}", "foo.bar", &["baz.6"]);
        should_match("foo.baz", "qux.{{partition(10)}}", "foo.baz", &["qux.4"]);
        should_match(
            "test.subject",
            "result.{{partition(5)}}",
            "test.subject",
            &["result.0"],
        );
    }

    #[test]
    fn no_match_and_bad_subject() {
        let tr = should_be_ok("foo.*", "bar.$1", false);
        assert_eq!(tr.apply("baz.x"), Err(TransformError::NoMatch));
        assert_eq!(tr.apply("foo.*"), Err(TransformError::BadSubject));
        assert_eq!(tr.apply("foo..x"), Err(TransformError::BadSubject));
    }

    // TestSubjectTransformDoesntPanicTransformingMissingToken
    #[test]
    fn missing_token_does_not_panic() {
        let tr = should_be_ok("foo.*", "one.two.{{wildcard(1)}}", false);
        assert_eq!(tr.transform_tokens(&["foo"], &mut || 0), "one.two.");
        let tr = should_be_ok(
            "foo.*",
            "{{splitfromleft(1,2)}}.{{slicefromright(1,2)}}",
            false,
        );
        assert_eq!(tr.transform_tokens(&[], &mut || 0), ".");
    }

    #[test]
    fn error_texts() {
        let e = SubjectTransform::new("foo.*", "foo.{{wildcard(2)}}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]"
        );
        let e = SubjectTransform::new("foo.*", "foo.{{unimplemented(1)}}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid mapping destination: unknown function in {{unimplemented(1)}}"
        );
        assert_eq!(
            SubjectTransform::new("foo.*", "bar.*")
                .unwrap_err()
                .to_string(),
            "invalid subject"
        );
        let e = SubjectTransform::new_strict("foo.*", "bar.{{partition(2,1)}}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}} in {{partition(2,1)}}"
        );
        let e = SubjectTransform::new_strict("foo.*.*", "bar.$2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid mapping destination: not using all of the token wildcard(s) in bar.$2"
        );
    }

    #[test]
    fn validate_mapping_rules() {
        assert!(validate_mapping("foo.*", "bar.$1").is_ok());
        assert!(validate_mapping("foo", "").is_ok());
        assert_eq!(
            validate_mapping("foo.*", "bar..$1")
                .unwrap_err()
                .to_string(),
            "invalid mapping destination: invalid transform"
        );
        assert_eq!(
            validate_mapping("foo.*", "bar.>.x")
                .unwrap_err()
                .to_string(),
            "invalid mapping destination: invalid transform in x"
        );
        assert_eq!(
            validate_mapping("*", "{{left(1,2)}}")
                .unwrap_err()
                .to_string(),
            "invalid mapping destination: unknown function in {{left(1,2)}}"
        );
        assert_eq!(
            validate_mapping("foo.*", "bar baz.$1")
                .unwrap_err()
                .to_string(),
            "invalid mapping destination: invalid transform"
        );
    }

    #[test]
    fn strict_reversible() {
        let tr = should_be_ok("foo.*.*", "bar.$2.{{Wildcard(1)}}", true);
        assert_eq!(tr.apply("foo.b.a").unwrap(), "bar.a.b");
    }
}
