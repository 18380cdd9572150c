//! Time as Gafaelfawr speaks it: epoch seconds, HTTP dates for
//! `Retry-After`, and the ISO 8601 date-times the admin API accepts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time in epoch seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// `epoch` as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(epoch: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(epoch))
}

/// Parses an `expires` value of the admin API: epoch seconds (a JSON
/// number or a string of digits) or an ISO 8601 date-time; a date-time
/// without an offset is taken as UTC.
pub fn parse_expires(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|seconds| seconds.floor() as i64)),
        serde_json::Value::String(text) => text
            .parse::<i64>()
            .ok()
            .or_else(|| parse_iso8601(text.trim())),
        _ => None,
    }
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH[:]MM]` into epoch seconds.
fn parse_iso8601(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at_checked(10)?;
    let mut date_parts = date.split('-');
    let year: i64 = number(date_parts.next()?, 4)?;
    let month: i64 = number(date_parts.next()?, 2)?;
    let day: i64 = number(date_parts.next()?, 2)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;

    let (time, offset) = split_offset(rest)?;
    let mut time_parts = time.splitn(3, ':');
    let hour: i64 = number(time_parts.next()?, 2)?;
    let minute: i64 = number(time_parts.next()?, 2)?;
    let second: i64 = match time_parts.next() {
        Some(seconds) => {
            let whole = seconds
                .split_once('.')
                .map_or(seconds, |(whole, fraction)| {
                    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                        ""
                    } else {
                        whole
                    }
                });
            number(whole, 2)?
        }
        None => 0,
    };
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    })
}

/// Splits a time from its UTC offset, returning the offset in seconds.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(time) = text.strip_suffix(['Z', 'z']) {
        return Some((time, 0));
    }
    match text.rfind(['+', '-']) {
        Some(at) => {
            let (time, offset) = text.split_at(at);
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
            let hours: i64 = number(digits.get(..2)?, 2)?;
            let minutes: i64 = number(digits.get(2..)?, 2)?;
            Some((time, sign * (hours * 3600 + minutes * 60)))
        }
        None => Some((text, 0)),
    }
}

/// Parses exactly `width` ASCII digits.
fn number(text: &str, width: usize) -> Option<i64> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_forms_agree_with_epoch_seconds() {
        let expected = Some(1_700_000_000);
        for text in [
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20+00:00",
            "2023-11-14 22:13:20",
            "2023-11-14T22:13:20.250Z",
            "2023-11-15T00:13:20+02:00",
            "2023-11-14T20:13:20-0200",
            "1700000000",
        ] {
            assert_eq!(
                parse_expires(&serde_json::Value::String(text.into())),
                expected,
                "{text}"
            );
        }
        assert_eq!(parse_expires(&serde_json::json!(1_700_000_000)), expected);
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for text in [
            "2023-13-01T00:00:00Z",
            "2023-02-30T00:00:00Z",
            "tomorrow",
            "2023-11-14",
        ] {
            assert_eq!(
                parse_expires(&serde_json::Value::String(text.into())),
                None,
                "{text}"
            );
        }
        assert_eq!(parse_expires(&serde_json::json!(true)), None);
    }

    #[test]
    fn http_date_is_imf_fixdate() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
