//! Small scalar grammars, written with nom: `\xHH` escapes, integer unit
//! suffixes (conf/parse.go), ISO-8601 Zulu datetimes, and the quoted storage
//! sizes of `getStorageSize` (server/opts.go).

use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::{char as ch, digit1, one_of};
use nom::combinator::{all_consuming, map_res, opt, recognize};
use nom::sequence::{pair, tuple};
use nom::IResult;

/// Two hex digits → one byte (Go's `hex.DecodeString` of exactly two chars).
pub(crate) fn hex_byte(b: &[u8]) -> Option<u8> {
    let s = std::str::from_utf8(b).ok()?;
    let r: IResult<&str, &str> =
        all_consuming(take_while_m_n(2, 2, |c: char| c.is_ascii_hexdigit()))(s);
    let (_, h) = r.ok()?;
    u8::from_str_radix(h, 16).ok()
}

/// Multiplier of an integer unit suffix, lower-cased (conf/parse.go, itemInteger).
pub(crate) fn suffix_multiplier(suffix: &str) -> Option<i64> {
    const K: i64 = 1000;
    const KI: i64 = 1024;
    Some(match suffix {
        "" => 1,
        "k" => K,
        "kb" | "ki" | "kib" => KI,
        "m" => K * K,
        "mb" | "mi" | "mib" => KI * KI,
        "g" => K * K * K,
        "gb" | "gi" | "gib" => KI * KI * KI,
        "t" => K * K * K * K,
        "tb" | "ti" | "tib" => KI * KI * KI * KI,
        "p" => K * K * K * K * K,
        "pb" | "pi" | "pib" => KI * KI * KI * KI * KI,
        "e" => K * K * K * K * K * K,
        "eb" | "ei" | "eib" => KI * KI * KI * KI * KI * KI,
        _ => return None,
    })
}

/// Why an integer item did not convert.
pub(crate) enum IntError {
    Range,
    Syntax,
    /// A suffix nats-server silently ignores (the key then gets no value).
    UnknownSuffix,
}

/// Convert a lexed integer item (`-12`, `4KiB`) as conf/parse.go does: the
/// leading run of digits and `-` is the number, the rest the suffix. Overflow
/// from the multiplier wraps, as Go's int64 arithmetic does.
pub(crate) fn parse_integer(val: &str) -> Result<i64, IntError> {
    let split = val
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(val.len());
    let (num, suffix) = val.split_at(split);
    let r: IResult<&str, &str> = all_consuming(recognize(pair(opt(one_of("+-")), digit1)))(num);
    if r.is_err() {
        return Err(IntError::Syntax);
    }
    let n: i64 = num
        .parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                IntError::Range
            }
            _ => IntError::Syntax,
        })?;
    let m = suffix_multiplier(&suffix.trim().to_lowercase()).ok_or(IntError::UnknownSuffix)?;
    Ok(n.wrapping_mul(m))
}

fn num2(i: &str) -> IResult<&str, u32> {
    map_res(
        take_while_m_n(2, 2, |c: char| c.is_ascii_digit()),
        str::parse,
    )(i)
}

/// Validate `2006-01-02T15:04:05Z` like Go's `time.Parse` (ranges included).
pub(crate) fn valid_datetime(s: &str) -> bool {
    let year = map_res(
        take_while_m_n(4, 4, |c: char| c.is_ascii_digit()),
        str::parse::<u32>,
    );
    let r: IResult<&str, _> = all_consuming(tuple((
        year,
        ch('-'),
        num2,
        ch('-'),
        num2,
        ch('T'),
        num2,
        ch(':'),
        num2,
        ch(':'),
        num2,
        tag("Z"),
    )))(s);
    let Ok((_, (y, _, mo, _, d, _, h, _, mi, _, se, _))) = r else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=dim).contains(&d) && h < 24 && mi < 60 && se < 60
}

/// `getStorageSize` (server/opts.go) for a string: the last character
/// must be `K`, `M`, `G` or `T` (powers of 1024), the rest an integer.
pub(crate) fn storage_size(s: &str) -> Result<i64, String> {
    if s.is_empty() {
        return Ok(0);
    }
    let split = s.char_indices().last().map(|(i, _)| i).unwrap_or(0);
    let (num, suffix) = s.split_at(split);
    let n: i64 = num.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!("strconv.ParseInt: parsing {num:?}: {why}")
    })?;
    let shift = match suffix {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err("sizes defined as strings must end in K, M, G, T".to_string()),
    };
    Ok(n.wrapping_mul(1i64 << shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_suffixes() {
        assert!(matches!(parse_integer("12"), Ok(12)));
        assert!(matches!(parse_integer("-5k"), Ok(-5000)));
        assert!(matches!(parse_integer("2MB"), Ok(2097152)));
        assert!(matches!(parse_integer("1G"), Ok(1_000_000_000)));
        assert!(matches!(parse_integer("1KiB"), Ok(1024)));
        assert!(matches!(
            parse_integer("99999999999999999999"),
            Err(IntError::Range)
        ));
        assert!(matches!(
            parse_integer("1kbb"),
            Err(IntError::UnknownSuffix)
        ));
    }

    #[test]
    fn datetimes() {
        assert!(valid_datetime("2024-01-02T03:04:05Z"));
        assert!(valid_datetime("2024-02-29T00:00:00Z"));
        assert!(!valid_datetime("2023-02-29T00:00:00Z"));
        assert!(!valid_datetime("2024-13-02T03:04:05Z"));
    }

    #[test]
    fn storage_sizes() {
        assert_eq!(storage_size("2G"), Ok(2147483648));
        assert_eq!(storage_size("512K"), Ok(524288));
        assert!(storage_size("10").is_err());
        assert!(storage_size("2g").is_err());
    }

    #[test]
    fn hex() {
        assert_eq!(hex_byte(b"4a"), Some(0x4a));
        assert_eq!(hex_byte(b"zz"), None);
    }
}
