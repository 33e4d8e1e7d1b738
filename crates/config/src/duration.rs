//! Go's `time.ParseDuration`, which nats-server uses for duration strings
//! (`"2m"`, `"1m30s"`, `"1.5h"`, `"250ms"`), with Go's error texts.

use std::time::Duration;

/// Parse a Go duration string. Go allows a negative duration; nats-server has
/// no option where one makes sense, so it is an error here.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let quoted = format!("{s:?}");
    let invalid = || format!("time: invalid duration {quoted}");
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        // Number: digits [. digits], at least one digit overall.
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let l = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                a.split_at(l)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {quoted}"));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {quoted}")),
        };
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut v = whole.checked_mul(scale).ok_or_else(invalid)?;
        let mut div: u128 = 1;
        let mut frac: u128 = 0;
        for d in frac_part.bytes().take(30) {
            frac = frac * 10 + u128::from(d - b'0');
            div *= 10;
        }
        v = v.checked_add(frac * scale / div).ok_or_else(invalid)?;
        total = total.checked_add(v).ok_or_else(invalid)?;
        // Go's limit is the int64 range of nanoseconds.
        if total > i64::MAX as u128 {
            return Err(invalid());
        }
        rest = after;
    }
    if neg && total > 0 {
        return Err(format!("negative duration {quoted} is not supported"));
    }
    let secs = (total / 1_000_000_000) as u64;
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_go_duration("10µs"), Ok(Duration::from_micros(10)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_go_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(
            parse_go_duration("10"),
            Err("time: missing unit in duration \"10\"".into())
        );
        assert_eq!(
            parse_go_duration("10x"),
            Err("time: unknown unit \"x\" in duration \"10x\"".into())
        );
        assert_eq!(
            parse_go_duration(""),
            Err("time: invalid duration \"\"".into())
        );
        assert_eq!(
            parse_go_duration("s"),
            Err("time: invalid duration \"s\"".into())
        );
        assert!(parse_go_duration("9999999999999h").is_err());
    }
}
