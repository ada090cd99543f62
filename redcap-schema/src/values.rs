//! Per-value checks of a record import, with REDCap's normalisation
//! (dates padded, `dateFormat`, datetime `T`) and its exact messages.
//!
//! One copy for every importer: the emulator's import and the client's
//! preflight both call [`check`], so what the preflight accepts is what the
//! emulator stores.

use std::sync::OnceLock;

use crate::{Field, FieldType, Validation};
use regex::Regex;

/// The message for a value that fails its validation's pattern.
const FORMAT_MESSAGE: &str = "The value you provided could not be validated because it does not follow the expected format. Please try again.";

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

macro_rules! pattern {
    ($name:ident, $re:literal) => {
        fn $name() -> &'static Regex {
            static CELL: OnceLock<Regex> = OnceLock::new();
            regex(&CELL, $re)
        }
    };
}

pattern!(re_integer, r"^[-+]?\d+$");
pattern!(re_number, r"^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$");
pattern!(re_number_comma, r"^[-+]?[0-9]*,?[0-9]+([eE][-+]?[0-9]+)?$");
pattern!(re_time, r"^([0-9]|[0-1][0-9]|[2][0-3]):([0-5][0-9])$");
pattern!(re_time_hh_mm_ss, r"^(\d|[01]\d|(2[0-3]))(:[0-5]\d){2}$");
pattern!(re_time_mm_ss, r"^[0-5]\d:[0-5]\d$");
pattern!(re_zipcode, r"^\d{5}(-\d{4})?$");
pattern!(re_ssn, r"^\d{3}-\d\d-\d{4}$");
pattern!(re_vmrn, r"^[0-9]{4,9}$");
pattern!(re_mrn_10d, r"^\d{10}$");
pattern!(re_mrn_generic, r"(?i)^[a-z0-9-_]+$");
pattern!(re_alpha, r"(?i)^[a-z]+$");
pattern!(re_pc_au, r"^\d{4}$");
pattern!(
    re_pc_ca,
    r"(?i)^[ABCEGHJKLMNPRSTVXY]{1}\d{1}[A-Z]{1}\s*\d{1}[A-Z]{1}\d{1}$"
);
pattern!(re_pc_de, r"^(0[1-9]|[1-9]\d)\d{3}$");
pattern!(
    re_pc_uk,
    r"^(([A-Z]{1,2}\d{1,2})|([A-Z]{1,2}\d[A-Z])) \d[ABD-HJLNP-Z]{2}$"
);
pattern!(re_pc_fr, r"^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$");
pattern!(re_phone_au, r"^(\(0[2-8]\)|0[2-8])\s*\d{4}\s*\d{4}$");
pattern!(
    re_phone_uk,
    r"^((((\+44|0044)\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3})|(((\+44|0044)\s?\d{3}|\(?0\d{3}\)?)\s?\d{3}\s?\d{4})|(((\+44|0044)\s?\d{2}|\(?0\d{2}\)?)\s?\d{4}\s?\d{4}))(\s?\#(\d{4}|\d{3}))?$"
);
pattern!(
    re_phone_fr,
    r"^(?:(?:\+|00)(?:33|262|508|590|594|596|687)[\s.-]{0,3}(?:\(0\)[\s.-]{0,3})?|0)[1-9](?:(?:[\s.-]?\d{2}){4}|\d{2}(?:[\s.-]?\d{3}){2})$"
);
pattern!(
    re_phone,
    r"^(?:\(?([2-9]0[1-9]|[2-9]1[02-9]|[2-9][2-9][0-9]|800|811)\)?)\s*(?:[.-]\s*)?([2-9]1[02-9]|[2-9][02-9]1|[2-9][02-9]{2})\s*(?:[.-]\s*)?([0-9]{4})(?:\s*(?:#|x\.?|ext\.?|extension)\s*(\d+))?$"
);
pattern!(re_email, r"^[^\s@.][^\s@]*@[^\s@.][^\s@]*\.[\p{L}]{2,63}$");

fn dp_number(value: &str, places: usize, comma: bool) -> bool {
    let mark = if comma { ',' } else { '.' };
    let body = value.strip_prefix('-').unwrap_or(value);
    match body.split_once(mark) {
        Some((int, frac)) => {
            !int.is_empty()
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.len() == places
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// A `YYYY-MM-DD` (or `/`) date that exists, as REDCap's leap-aware regex
/// accepts it.
fn valid_ymd(value: &str) -> bool {
    let sep = if value.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = value.split(sep).collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    if !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        parts[0].parse::<i32>(),
        parts[1].parse::<u32>(),
        parts[2].parse::<u32>(),
    ) else {
        return false;
    };
    if y == 0 {
        // PHP's regex accepts year 0000; chrono has a year 0 too.
        return chrono::NaiveDate::from_ymd_opt(2000, m, d).is_some() && !(m == 2 && d == 29);
    }
    chrono::NaiveDate::from_ymd_opt(y, m, d).is_some()
}

fn pad_year(y: &str) -> String {
    if y.len() == 2 {
        let now: i32 = chrono::Local::now()
            .format("%y")
            .to_string()
            .parse()
            .unwrap_or(26);
        let yy: i32 = y.parse().unwrap_or(0);
        if yy < now + 10 {
            format!("20{y}")
        } else {
            format!("19{y}")
        }
    } else {
        y.to_owned()
    }
}

/// REDCap's date normalisation: `M/D/Y` or `D/M/Y` per `dateFormat`, or
/// a short `Y-M-D` padded.
fn normalise_date(value: &str, date_format: &str) -> String {
    if value.contains('/') && (date_format == "MDY" || date_format == "DMY") {
        let parts: Vec<&str> = value.split('/').collect();
        if parts.len() == 3 {
            let (m, d) = if date_format == "MDY" {
                (parts[0], parts[1])
            } else {
                (parts[1], parts[0])
            };
            if let (Ok(y), Ok(m), Ok(d)) = (
                pad_year(parts[2]).parse::<u32>(),
                m.parse::<u32>(),
                d.parse::<u32>(),
            ) {
                return format!("{y:04}-{m:02}-{d:02}");
            }
        }
        return value.to_owned();
    }
    let parts: Vec<&str> = value.split('-').collect();
    if parts.len() == 3
        && value.len() < 10
        && let (Ok(y), Ok(m), Ok(d)) = (
            pad_year(parts[0]).parse::<u32>(),
            parts[1].parse::<u32>(),
            parts[2].parse::<u32>(),
        )
    {
        return format!("{y:04}-{m:02}-{d:02}");
    }
    value.to_owned()
}

fn date_message(date_format: &str, with_time: bool) -> String {
    let (shape, suffix) = match (date_format, with_time) {
        ("MDY", false) => ("M/D/Y format or Y-M-D", ""),
        ("DMY", false) => ("D/M/Y format or Y-M-D", ""),
        (_, false) => ("Y-M-D", ""),
        ("MDY", true) => ("M/D/Y", " H:M[:S]"),
        ("DMY", true) => ("D/M/Y", " H:M[:S]"),
        (_, true) => ("Y-M-D", " H:M[:S]"),
    };
    if with_time {
        format!(
            "Invalid date format. (NOTE: Dates must be imported here only in {shape}{suffix} format, regardless of the specific date format designated for this field.)"
        )
    } else {
        format!(
            "Invalid date format. (NOTE: Dates must be imported here only in {shape} format, regardless of the specific date format designated for this field.)"
        )
    }
}

/// Normalises and checks a text field's value against its validation.
/// Returns the value to store, or the error message.
fn check_validation(
    field: &Field,
    validation: Validation,
    value: &str,
    date_format: &str,
) -> Result<String, String> {
    use Validation as V;
    let name = &field.name;
    let ok = |pass: bool, message: &str| {
        if pass {
            Ok(value.to_owned())
        } else {
            Err(message.to_owned())
        }
    };
    match validation {
        V::DateYmd | V::DateMdy | V::DateDmy => {
            let v = normalise_date(value, date_format);
            if valid_ymd(&v) {
                Ok(v)
            } else {
                Err(date_message(date_format, false))
            }
        }
        V::DatetimeYmd
        | V::DatetimeMdy
        | V::DatetimeDmy
        | V::DatetimeSecondsYmd
        | V::DatetimeSecondsMdy
        | V::DatetimeSecondsDmy => {
            let seconds = matches!(
                validation,
                V::DatetimeSecondsYmd | V::DatetimeSecondsMdy | V::DatetimeSecondsDmy
            );
            let v = value.replace('T', " ");
            let (date, time) = v.split_once(' ').unwrap_or((v.as_str(), ""));
            let date = normalise_date(date, date_format);
            let mut parts = time
                .trim_end_matches('Z')
                .split(':')
                .map(|p| p.trim().parse::<u32>().unwrap_or(0));
            let (h, m, s) = (
                parts.next().unwrap_or(0),
                parts.next().unwrap_or(0),
                parts.next().unwrap_or(0),
            );
            let time_ok = h < 24
                && m < 60
                && s < 60
                && time
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ':' || c == 'Z');
            let out = if seconds {
                format!("{date} {h:02}:{m:02}:{s:02}")
            } else {
                format!("{date} {h:02}:{m:02}")
            };
            if valid_ymd(&date) && time_ok {
                Ok(out)
            } else {
                Err(date_message(date_format, true))
            }
        }
        V::Time => {
            let v = match value.split_once(':') {
                Some((h, m)) if h.len() == 1 => format!("0{h}:{m}"),
                _ => value.to_owned(),
            };
            if re_time().is_match(&v) {
                Ok(v)
            } else {
                Err("Time is not properly formatted as HH:MM (military format).".into())
            }
        }
        V::Email => ok(
            re_email().is_match(value) && !value.contains(".."),
            "Email address is not properly formatted.",
        ),
        V::Phone => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if re_phone().is_match(value) {
                if digits.len() == 10 {
                    Ok(format!(
                        "({}) {}-{}",
                        &digits[0..3],
                        &digits[3..6],
                        &digits[6..10]
                    ))
                } else {
                    Ok(value.to_owned())
                }
            } else {
                Err(format!("{name} must be a 10-digit phone number."))
            }
        }
        V::Zipcode => ok(
            re_zipcode().is_match(value),
            &format!("{name} must be a 5 or 9 digit U.S. ZIP Code"),
        ),
        V::Vmrn => {
            if re_vmrn().is_match(value) {
                Ok(format!("{:0>9}", value))
            } else {
                Err("Vanderbilt medical record number is not properly formatted. It should be 4- to 9-digit number (excluding leading zeros).".into())
            }
        }
        V::Autocomplete | V::Signature => Ok(value.to_owned()),
        other => {
            let pass = match other {
                V::Integer => re_integer().is_match(value),
                V::Number => re_number().is_match(value),
                V::Number1dp => dp_number(value, 1, false),
                V::Number2dp => dp_number(value, 2, false),
                V::Number3dp => dp_number(value, 3, false),
                V::Number4dp => dp_number(value, 4, false),
                V::NumberCommaDecimal => re_number_comma().is_match(value),
                V::Number1dpCommaDecimal => dp_number(value, 1, true),
                V::Number2dpCommaDecimal => dp_number(value, 2, true),
                V::Number3dpCommaDecimal => dp_number(value, 3, true),
                V::Number4dpCommaDecimal => dp_number(value, 4, true),
                V::TimeHhMmSs => re_time_hh_mm_ss().is_match(value),
                V::TimeMmSs => re_time_mm_ss().is_match(value),
                V::Ssn => re_ssn().is_match(value),
                V::Mrn10d => re_mrn_10d().is_match(value),
                V::MrnGeneric => re_mrn_generic().is_match(value),
                V::AlphaOnly => re_alpha().is_match(value),
                V::PostalcodeAustralia => re_pc_au().is_match(value),
                V::PostalcodeCanada => re_pc_ca().is_match(value),
                V::PostalcodeGermany => re_pc_de().is_match(value),
                V::PostalcodeUk => re_pc_uk().is_match(value),
                V::PostalcodeFrench => re_pc_fr().is_match(value),
                V::PhoneAustralia => re_phone_au().is_match(value),
                V::PhoneUk => re_phone_uk().is_match(value),
                V::PhoneFrance => re_phone_fr().is_match(value),
                _ => true,
            };
            ok(pass, FORMAT_MESSAGE)
        }
    }
}

/// Checks one non-blank value of a field (not a checkbox column, not a
/// missing-data code). Returns the value to store or REDCap's message.
///
/// `date_format` is the import's `dateFormat` (`YMD`, `MDY` or `DMY`).
/// Hard ranges (sliders, `@FORCE-MINMAX`) are errors here; a soft range is
/// [`soft_range`]'s warning.
pub fn check(field: &Field, value: &str, date_format: &str) -> Result<String, String> {
    let name = &field.name;
    match field.field_type {
        FieldType::Text => {
            let Some(validation) = field.validation else {
                return Ok(value.to_owned());
            };
            let normalised = check_validation(field, validation, value, date_format)?;
            if field
                .annotation
                .as_deref()
                .is_some_and(|a| a.contains("@FORCE-MINMAX"))
            {
                check_range(
                    field,
                    &normalised,
                    field.min.as_deref(),
                    field.max.as_deref(),
                    Range::Hard,
                )?;
            }
            Ok(normalised)
        }
        FieldType::Radio | FieldType::Dropdown | FieldType::Yesno | FieldType::Truefalse => {
            let codes: Vec<&str> = match field.field_type {
                FieldType::Yesno | FieldType::Truefalse if field.choices.is_empty() => {
                    vec!["1", "0"]
                }
                _ => field.choices.iter().map(|c| c.code.as_str()).collect(),
            };
            if codes.contains(&value) {
                Ok(value.to_owned())
            } else {
                Err(format!("The value is not a valid category for {name}"))
            }
        }
        FieldType::Slider => {
            let body = value.strip_prefix(['-', '+']).unwrap_or(value);
            let integer = !body.is_empty()
                && body.chars().all(|c| c.is_ascii_digit())
                && !(body.len() > 1 && body.starts_with('0'));
            if !integer {
                return Err(format!("{name} must be an integer"));
            }
            check_range(
                field,
                value,
                Some(field.min.as_deref().unwrap_or("0")),
                Some(field.max.as_deref().unwrap_or("100")),
                Range::Hard,
            )?;
            Ok(value.to_owned())
        }
        _ => Ok(value.to_owned()),
    }
}

/// The warning for a value (as [`check`] returned it) outside a text
/// field's min/max when the range is not enforced: REDCap imports such a
/// value and reports it. `None` inside the range, for enforced ranges
/// (those are [`check`]'s errors) and for fields without a range.
pub fn soft_range(field: &Field, normalised: &str) -> Option<String> {
    if field.field_type != FieldType::Text
        || field.validation.is_none()
        || field
            .annotation
            .as_deref()
            .is_some_and(|a| a.contains("@FORCE-MINMAX"))
    {
        return None;
    }
    check_range(
        field,
        normalised,
        field.min.as_deref(),
        field.max.as_deref(),
        Range::Soft,
    )
    .err()
}

/// How REDCap words a range problem: an error ("should not be") for sliders and
/// `@FORCE-MINMAX`, a warning ("is") for a soft range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Range {
    Hard,
    Soft,
}

/// A min/max check (sliders, `@FORCE-MINMAX`, soft ranges), comparing as PHP
/// does: numerically when both sides are numbers, else as text.
fn check_range(
    field: &Field,
    value: &str,
    min: Option<&str>,
    max: Option<&str>,
    range: Range,
) -> Result<(), String> {
    let verb = match range {
        Range::Hard => "should not be",
        Range::Soft => "is",
    };
    let resolve = |bound: &str| -> String {
        match bound {
            "today" => chrono::Local::now().format("%Y-%m-%d").to_string(),
            "now" => chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            other => other.replace(',', "."),
        }
    };
    let cmp = |a: &str, b: &str| -> std::cmp::Ordering {
        match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.cmp(b),
        }
    };
    let v = value.replace(',', ".");
    if let Some(min) = min.filter(|m| !m.is_empty() && !m.starts_with('[')) {
        let m = resolve(min);
        if cmp(&v, &m) == std::cmp::Ordering::Less {
            return Err(format!(
                "{} {verb} less than the field minimum ({m})",
                field.name
            ));
        }
    }
    if let Some(max) = max.filter(|m| !m.is_empty() && !m.starts_with('[')) {
        let m = resolve(max);
        if cmp(&v, &m) == std::cmp::Ordering::Greater {
            return Err(format!(
                "{} {verb} greater than the field maximum ({m})",
                field.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(valid_ymd("2020-02-29"));
        assert!(!valid_ymd("2021-02-29"));
        assert!(valid_ymd("2020/01/05"));
        assert_eq!(normalise_date("2020-1-5", "YMD"), "2020-01-05");
        assert_eq!(normalise_date("1/5/2020", "MDY"), "2020-01-05");
        assert_eq!(normalise_date("5/1/2020", "DMY"), "2020-01-05");
        assert!(!valid_ymd(&normalise_date("01-05-2020", "MDY")));
    }

    #[test]
    fn number_shapes() {
        assert!(re_integer().is_match("007"));
        assert!(!re_integer().is_match("1.0"));
        assert!(re_number().is_match(".5"));
        assert!(!re_number().is_match("5."));
        assert!(dp_number("1.25", 2, false));
        assert!(!dp_number("1.2", 2, false));
    }
}
