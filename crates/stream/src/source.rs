//! Stream sources on the same node, as nats-server's `server/stream.go` defines them
//! (`composeIName`, `genSourceHeader`, `processInboundSourceMsg`, `sourceInfo`): a source's
//! index name, the `Nats-Stream-Source` header each sourced message carries, the headers a
//! sourced message loses, the subject transforms of a source, and how far each source was
//! copied (found again after a restart from the headers in the stream itself).
//!
//! The shell reads new messages from the source streams ([`SourcePlan`]) and applies
//! [`crate::Command::SourceStore`] to the sourcing stream; everything that decides what is
//! stored happens in the state machine.

use jetmirror_subject::SubjectTransform;

use crate::api::stream::{StreamSource, StreamSourceInfo, SubjectTransformConfig};

/// `Nats-Stream-Source`.
pub const SOURCE_HEADER: &str = "Nats-Stream-Source";

/// `composeIName`: `<name> <filters> <destinations>` (filters and destinations joined by
/// form feeds, `>` for none).
pub fn index_name(s: &StreamSource) -> String {
    let mut name = s.name.clone();
    if let Some(ext) = &s.external {
        name.push(':');
        name.push_str(&ext.api_prefix);
    }
    let (source, destination) = if s.subject_transforms.is_empty() {
        let f = if s.filter_subject.is_empty() {
            ">".to_string()
        } else {
            s.filter_subject.clone()
        };
        (f, ">".to_string())
    } else {
        let or_all = |x: &str| {
            if x.is_empty() {
                ">".to_string()
            } else {
                x.to_string()
            }
        };
        let srcs: Vec<String> = s
            .subject_transforms
            .iter()
            .map(|t| or_all(&t.source))
            .collect();
        let dsts: Vec<String> = s
            .subject_transforms
            .iter()
            .map(|t| or_all(&t.destination))
            .collect();
        (srcs.join("\x0c"), dsts.join("\x0c"))
    };
    format!("{name} {source} {destination}")
}

/// `genSourceHeader`: `<name> <seq> <filters> <destinations> <original subject>
/// <identity>`, the identity being the source stream's ([`stream_identity`]).
pub fn source_header(index_name: &str, seq: u64, original_subject: &str, identity: &str) -> String {
    let mut parts = index_name.splitn(3, ' ');
    let name = parts.next().unwrap_or_default();
    let filters = parts.next().unwrap_or(">");
    let dests = parts.next().unwrap_or(">");
    if identity.is_empty() {
        format!("{name} {seq} {filters} {dests} {original_subject}")
    } else {
        format!("{name} {seq} {filters} {dests} {original_subject} {identity}")
    }
}

/// A stream's identity (nats-server `mset.identity()`): `getHash` of its creation time in
/// RFC 3339 with nanoseconds, 8 characters of base62 taken from SHA-256.
pub fn stream_identity(created_ns: i64) -> String {
    use sha2::Digest;
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let text = crate::api::time::format_rfc3339(created_ns);
    let sum = sha2::Sha256::digest(text.as_bytes());
    sum.iter()
        .take(8)
        .map(|b| char::from(DIGITS.get(usize::from(b % 62)).copied().unwrap_or(b'0')))
        .collect()
}

/// The index name and source sequence of a `Nats-Stream-Source` value.
pub fn parse_source_header(value: &str) -> Option<(String, u64)> {
    let mut parts = value.split(' ');
    let name = parts.next()?;
    let seq = parts.next()?.parse().ok()?;
    let filters = parts.next()?;
    let dests = parts.next()?;
    Some((format!("{name} {filters} {dests}"), seq))
}

/// The headers of a sourced message: the source's own `Nats-Stream-Source`,
/// `Nats-Expected-*` and `Nats-Batch-*` go, the new `Nats-Stream-Source` comes last.
pub fn sourced_headers(headers: &[u8], source_value: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(headers);
    let mut lines = text.split("\r\n");
    let mut out = match lines.next() {
        Some(first) if first.starts_with("NATS/") => format!("{first}\r\n"),
        _ => "NATS/1.0\r\n".to_string(),
    };
    for line in lines {
        if line.is_empty()
            || line.starts_with("Nats-Expected-")
            || line.starts_with("Nats-Batch-")
            || line
                .strip_prefix(SOURCE_HEADER)
                .is_some_and(|r| r.starts_with(':'))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("{SOURCE_HEADER}: {source_value}\r\n\r\n"));
    out.into_bytes()
}

/// One configured source, compiled.
#[derive(Debug, Clone)]
pub struct Source {
    pub config: StreamSource,
    pub index_name: String,
    /// (filter, transform) pairs; one `(filter_subject or >, None)` without transforms.
    pub transforms: Vec<(String, Option<SubjectTransform>)>,
}

impl Source {
    pub fn new(config: &StreamSource) -> Source {
        let transforms = if config.subject_transforms.is_empty() {
            let f = if config.filter_subject.is_empty() {
                ">".to_string()
            } else {
                config.filter_subject.clone()
            };
            vec![(f, None)]
        } else {
            config
                .subject_transforms
                .iter()
                .map(|t| {
                    let src = if t.source.is_empty() { ">" } else { &t.source };
                    (
                        src.to_string(),
                        SubjectTransform::new(src, &t.destination).ok().flatten(),
                    )
                })
                .collect()
        };
        Source {
            config: config.clone(),
            index_name: index_name(config),
            transforms,
        }
    }

    /// The subject filters to read from the source stream.
    pub fn filters(&self) -> Vec<String> {
        self.transforms.iter().map(|(f, _)| f.clone()).collect()
    }

    /// The stored subject: the first transform that matches, else the subject as is.
    pub fn transform(&self, subject: &str, now_ns: i64) -> String {
        for (_, t) in &self.transforms {
            if let Some(t) = t {
                let mut random = || now_ns as u32;
                if let Ok(s) = t.matches_with(subject, &mut random) {
                    return s;
                }
            }
        }
        subject.to_string()
    }
}

/// What the shell needs to feed one source: where to read and from which sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePlan {
    pub index_name: String,
    /// The source stream.
    pub stream: String,
    /// The next source sequence to read; 0 when nothing was copied yet (start from
    /// `opt_start_seq`, `opt_start_time` or the beginning).
    pub next_seq: u64,
    pub opt_start_seq: u64,
    pub opt_start_time: Option<i64>,
    pub filters: Vec<String>,
}

/// How far a source was copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceProgress {
    /// Last source sequence copied.
    pub seq: u64,
    /// When the last message came (ns); 0 = never.
    pub last_ns: i64,
}

/// `sourceInfo`: the `sources[]` block of StreamInfo.
/// `error` is set when the source stream does not exist.
pub fn source_info(
    source: &Source,
    progress: SourceProgress,
    lag: u64,
    error: Option<crate::ApiError>,
    now_ns: i64,
) -> StreamSourceInfo {
    let c = &source.config;
    StreamSourceInfo {
        name: c.name.clone(),
        external: c.external.clone(),
        lag,
        seq: progress.seq,
        active: if progress.last_ns == 0 {
            -1
        } else {
            now_ns.saturating_sub(progress.last_ns)
        },
        error,
        filter_subject: if c.subject_transforms.is_empty() {
            c.filter_subject.clone()
        } else {
            String::new()
        },
        subject_transforms: c
            .subject_transforms
            .iter()
            .map(|t| SubjectTransformConfig {
                source: t.source.clone(),
                destination: t.destination.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn index_names_and_headers() {
        let s: StreamSource = serde_json::from_str(r#"{"name":"A"}"#).unwrap();
        assert_eq!(index_name(&s), "A > >");
        assert_eq!(source_header("A > >", 5, "a.b", ""), "A 5 > > a.b");
        assert_eq!(source_header("A > >", 5, "a.b", "X"), "A 5 > > a.b X");
        assert_eq!(stream_identity(0).len(), 8);
        assert_eq!(
            parse_source_header("A 5 > > a.b"),
            Some(("A > >".to_string(), 5))
        );
        let s: StreamSource = serde_json::from_str(
            r#"{"name":"B","subject_transforms":[{"src":"b.*","dest":"x.$1"},{"src":"c.>","dest":""}]}"#,
        )
        .unwrap();
        assert_eq!(index_name(&s), "B b.*\x0cc.> x.$1\x0c>");
        let src = Source::new(&s);
        assert_eq!(src.filters(), ["b.*", "c.>"]);
        assert_eq!(src.transform("b.1", 0), "x.1");
        assert_eq!(src.transform("c.1", 0), "c.1");
        assert_eq!(
            sourced_headers(
                b"NATS/1.0\r\nA: 1\r\nNats-Expected-Stream: X\r\nNats-Stream-Source: old\r\n\r\n",
                "B 1 > > b"
            ),
            b"NATS/1.0\r\nA: 1\r\nNats-Stream-Source: B 1 > > b\r\n\r\n".to_vec()
        );
    }
}
