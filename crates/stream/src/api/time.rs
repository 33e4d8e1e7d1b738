//! Go `time.Time` JSON: RFC 3339 with up to 9 fractional digits (trailing zeros trimmed), UTC.
//!
//! Times are `i64` nanoseconds since the Unix epoch everywhere in this crate; `0` stands for
//! Go's zero time and is written `0001-01-01T00:00:00Z` (as nats-server shows for an empty
//! stream's `first_ts`). Parsing accepts any RFC 3339 offset and converts to UTC.

use serde::{Deserialize, Deserializer, Serializer};

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats `ns` (since the epoch, UTC) like Go's `time.Time.MarshalJSON` (without quotes).
pub fn format_rfc3339(ns: i64) -> String {
    if ns == 0 {
        return ZERO_TIME.to_string();
    }
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if frac != 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Parses an RFC 3339 time into ns since the epoch (UTC); Go's zero time gives `0`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !matches!(s.get(10..11)?, "T" | "t") {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if s.get(13..14)? != ":"
        || s.get(16..17)? != ":"
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || se > 60
    {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if s.get(i..i + 1) == Some(".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let digits = s.get(start..i)?;
        if digits.is_empty() {
            return None;
        }
        let mut padded: String = digits.chars().take(9).collect();
        while padded.len() < 9 {
            padded.push('0');
        }
        frac = padded.parse().ok()?;
    }
    let offset_secs = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 => {
            let sign = match tz.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh: i64 = tz.get(1..3)?.parse().ok()?;
            let om: i64 = tz.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    if (y, mo, d, h, mi, se, frac, offset_secs) == (1, 1, 1, 0, 0, 0, 0, 0) {
        return Some(0);
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

/// serde `with` module for a required time (`i64` ns).
pub mod rfc3339 {
    use super::*;
    pub fn serialize<S: Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(*ns))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let s = String::deserialize(d)?;
        parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("parsing time {s:?} as RFC 3339")))
    }
}

/// serde `with` module for an optional time (Go `*time.Time`, `omitempty`).
pub mod rfc3339_opt {
    use super::*;
    pub fn serialize<S: Serializer>(ns: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match ns {
            Some(v) => s.serialize_str(&format_rfc3339(*v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => parse_rfc3339(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("parsing time {s:?} as RFC 3339"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(format_rfc3339(0), "0001-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_795_442_590_888_714_985),
            "2026-11-23T14:03:10.888714985Z"
        );
        assert_eq!(
            format_rfc3339(1_795_442_590_000_000_000),
            "2026-11-23T14:03:10Z"
        );
        assert_eq!(
            format_rfc3339(1_795_442_590_120_000_000),
            "2026-11-23T14:03:10.12Z"
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T15:03:10.12+01:00"),
            Some(1_795_442_590_120_000_000)
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    proptest! {
        #[test]
        fn round_trips(ns in 1i64..4_000_000_000_000_000_000) {
            prop_assert_eq!(parse_rfc3339(&format_rfc3339(ns)), Some(ns));
        }
    }
}
