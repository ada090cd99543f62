//! Value types that read every text REDCap 15.7.6 accepts for a validation and write back
//! exactly that text.
//!
//! REDCap checks a value against its validation's regular expression and then stores the
//! text as sent: an integer field keeps `070` and `+70`, a `time` field can hold `9:05`,
//! a date can hold `2020/01/05`, and PCRE's `$` lets a final line break through. Each type
//! here holds the parsed value and, only when the text is not the one the value would be
//! written as, that text; so the common case costs no allocation and every case comes back
//! unchanged.

use std::borrow::Cow;
use std::fmt;

use super::DecodeMode;
use super::values::{ValueError, WireValue};

/// The text of `raw` without the one final line break PCRE's `$` lets through.
fn body(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\n").unwrap_or(raw)
}

/// The number written by `digits` (ASCII digits only), or `None`.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (the same separator twice), as REDCap's date regex reads it.
fn date(raw: &[u8]) -> Option<chrono::NaiveDate> {
    if raw.len() != 10 || !matches!(raw[4], b'-' | b'/') || raw[7] != raw[4] {
        return None;
    }
    let year = i32::try_from(number(&raw[..4])?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(&raw[5..7])?, number(&raw[8..10])?)
}

/// `H:MM` or `HH:MM` (hour 0–23), with `seconds` also `:SS`.
fn time(raw: &[u8], seconds: bool) -> Option<chrono::NaiveTime> {
    let colon = raw.iter().position(|b| *b == b':')?;
    if !(1..=2).contains(&colon) {
        return None;
    }
    let hour = number(&raw[..colon])?;
    let rest = &raw[colon + 1..];
    let (minute, second) = if seconds {
        if rest.len() != 5 || rest[2] != b':' {
            return None;
        }
        (number(&rest[..2])?, number(&rest[3..])?)
    } else {
        if rest.len() != 2 {
            return None;
        }
        (number(rest)?, 0)
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(hour, minute, second)
}

/// A date, a space and a time, as REDCap's datetime regexes read them.
fn datetime(raw: &[u8], seconds: bool) -> Option<chrono::NaiveDateTime> {
    if raw.len() < 11 || raw[10] != b' ' {
        return None;
    }
    Some(date(&raw[..10])?.and_time(time(&raw[11..], seconds)?))
}

/// `MM:SS`, both two digits, each 00–59.
fn minutes_seconds(raw: &[u8]) -> Option<u16> {
    if raw.len() != 5 || raw[2] != b':' {
        return None;
    }
    let (minutes, seconds) = (number(&raw[..2])?, number(&raw[3..])?);
    (minutes < 60 && seconds < 60).then(|| (minutes * 60 + seconds) as u16)
}

/// `[-+]?[0-9]+`, REDCap's integer regex (`/^[-+]?\b\d+\b$/`), as an `i64` when in range.
fn integer(raw: &[u8]) -> Option<Option<i64>> {
    let digits = raw
        .strip_prefix(b"-")
        .or(raw.strip_prefix(b"+"))
        .unwrap_or(raw);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Every byte is ASCII, so this is valid UTF-8.
    Some(std::str::from_utf8(raw).ok()?.parse::<i64>().ok())
}

macro_rules! exact_type {
    (
        $(#[$doc:meta])*
        $name:ident($value:ty), $expected:literal,
        parse: $parse:expr,
        canonical: $canonical:expr,
        write: $write:expr $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            value: $value,
            /// The text as stored, when it differs from the value's canonical text.
            text: Option<Box<str>>,
        }

        impl $name {
            /// The value, written in its canonical form.
            pub fn new(value: $value) -> Self {
                Self { value, text: None }
            }

            /// Reads `text` as REDCap's validation accepts it.
            pub fn parse(text: &str) -> Result<Self, ValueError> {
                let value: Option<$value> = $parse(body(text.as_bytes()));
                let value = value.ok_or_else(|| ValueError::expected($expected))?;
                // The parsers fix every digit count but the hour's, so the length and the
                // date separator tell the canonical text without formatting the value.
                let canonical: fn(&[u8]) -> bool = $canonical;
                let bytes = text.as_bytes();
                let plain = canonical(bytes) && !bytes.ends_with(b"\n");
                let text = (!plain).then(|| Box::from(text));
                Ok(Self { value, text })
            }

            /// The value.
            pub fn value(&self) -> $value {
                self.value
            }

            /// The exact text, as REDCap stores it.
            pub fn text(&self) -> Cow<'_, str> {
                let canonical: fn(&$value) -> String = $write;
                match &self.text {
                    Some(text) => Cow::Borrowed(text),
                    None => Cow::Owned(canonical(&self.value)),
                }
            }

            /// Whether the text is the value's canonical form (the one [`Self::new`] writes).
            pub fn is_canonical(&self) -> bool {
                self.text.is_none()
            }
        }

        impl From<$value> for $name {
            fn from(value: $value) -> Self {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text())
            }
        }

        impl WireValue for $name {
            fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
                Self::parse(raw)
            }
            fn encode(&self) -> Cow<'_, str> {
                self.text()
            }
        }
    };
}

exact_type! {
    /// A date (`date_ymd`, `date_mdy`, `date_dmy`): `YYYY-MM-DD` in every export whatever
    /// the display order. `YYYY/MM/DD`, which REDCap's regex also lets through, is kept
    /// as written.
    Date(chrono::NaiveDate), "a date (YYYY-MM-DD)",
    parse: date,
    canonical: |raw| raw.len() == 10 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d").to_string(),
}

exact_type! {
    /// A time of day to the minute (`time`): `HH:MM`, or `H:MM` kept as written.
    Time(chrono::NaiveTime), "a time (HH:MM)",
    parse: |raw| time(raw, false),
    canonical: |raw| raw.len() == 5,
    write: |value| value.format("%H:%M").to_string(),
}

exact_type! {
    /// A time of day to the second (`time_hh_mm_ss`): `HH:MM:SS`, or `H:MM:SS` kept as
    /// written.
    TimeSeconds(chrono::NaiveTime), "a time (HH:MM:SS)",
    parse: |raw| time(raw, true),
    canonical: |raw| raw.len() == 8,
    write: |value| value.format("%H:%M:%S").to_string(),
}

exact_type! {
    /// A date and time to the minute (`datetime_*`): `YYYY-MM-DD HH:MM`.
    DateTime(chrono::NaiveDateTime), "a date and time (YYYY-MM-DD HH:MM)",
    parse: |raw| datetime(raw, false),
    canonical: |raw| raw.len() == 16 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d %H:%M").to_string(),
}

exact_type! {
    /// A date and time to the second (`datetime_seconds_*`): `YYYY-MM-DD HH:MM:SS`.
    DateTimeSeconds(chrono::NaiveDateTime), "a date and time (YYYY-MM-DD HH:MM:SS)",
    parse: |raw| datetime(raw, true),
    canonical: |raw| raw.len() == 19 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d %H:%M:%S").to_string(),
}

exact_type! {
    /// A duration in minutes and seconds (`time_mm_ss`): `MM:SS`, 00:00 to 59:59. The
    /// value is the number of seconds.
    MinutesSeconds(u16), "minutes and seconds (MM:SS)",
    parse: minutes_seconds,
    canonical: |raw| raw.len() == 5,
    write: |seconds| format!("{:02}:{:02}", seconds / 60, seconds % 60),
}

impl MinutesSeconds {
    /// The duration.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.value))
    }
}

/// An integer (`integer` validation, sliders), with the exact text REDCap stored: `070`,
/// `+70` and `-0` pass REDCap's check and come back unchanged, and so does a number of any
/// length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Integer {
    /// `None` when the number is beyond `i64`.
    value: Option<i64>,
    /// The text as stored, when it is not the canonical text of `value`.
    text: Option<Box<str>>,
}

impl Integer {
    /// Reads `text` as REDCap's integer validation accepts it.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let value =
            integer(body(text.as_bytes())).ok_or_else(|| ValueError::expected("an integer"))?;
        let canonical = value.is_some_and(|value| is_canonical(value, text));
        Ok(Self {
            value,
            text: (!canonical).then(|| Box::from(text)),
        })
    }

    /// The number, or `None` when it is beyond the range of `i64`.
    pub fn value(&self) -> Option<i64> {
        self.value
    }

    /// The exact text, as REDCap stores it.
    pub fn text(&self) -> Cow<'_, str> {
        match (&self.text, self.value) {
            (Some(text), _) => Cow::Borrowed(text),
            (None, Some(value)) => Cow::Owned(value.to_string()),
            // Unreachable by construction: a value beyond i64 always keeps its text.
            (None, None) => Cow::Borrowed(""),
        }
    }

    /// Whether the text is the number's canonical form: no sign but `-`, no leading zero.
    pub fn is_canonical(&self) -> bool {
        self.text.is_none()
    }
}

/// Whether `text` is how `value` prints, without formatting it.
fn is_canonical(value: i64, text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let first = digits.as_bytes().first().copied();
    // Digits only (a `+` or line break is not canonical), no leading zero, no `-0`.
    digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || first != Some(b'0'))
        && !(value == 0 && text.starts_with('-'))
}

impl From<i64> for Integer {
    fn from(value: i64) -> Self {
        Self {
            value: Some(value),
            text: None,
        }
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl WireValue for Integer {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        Self::parse(raw)
    }
    fn encode(&self) -> Cow<'_, str> {
        self.text()
    }
}
