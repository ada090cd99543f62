//! Every text REDCap 15.7.6 accepts for a validation decodes into the field's typed value
//! and encodes back to the same text; no accepted text is ever changed.
//!
//! The oracle is REDCap's own `regex_php` of `redcap_validation_types`, written for the
//! `regex` crate: `\d` as `[0-9]` (PCRE's is ASCII), `$` as `\n?\z` (PCRE's `$` also
//! matches before a final line break), and the date regex's backreferences spelled out
//! once per separator. Candidate texts are exhaustive products of the parts each format is
//! made of, valid and invalid.

use redcap_client::records::{
    Date, DateTime, DateTimeSeconds, Decimal, DecodeMode, Integer, MinutesSeconds, Time,
    TimeSeconds, WireValue,
};
use regex::Regex;

/// `pattern` anchored as PCRE anchors `^…$`.
fn pcre(pattern: &str) -> Regex {
    Regex::new(&format!(r"^(?:{pattern})\n?\z")).unwrap()
}

/// REDCap's `date_ymd` body, for one separator.
fn date_body(sep: &str) -> String {
    let s = regex::escape(sep);
    format!(
        r"(?:[0-9]{{2}}(?:[13579][26]|[2468][048]|04|08)|1600|2[048]00){s}02{s}29|[0-9]{{4}}{s}(?:(?:0[1-9]|1[012]){s}(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[012]){s}(?:29|30)|(?:0[13578]|1[02]){s}31)"
    )
}

fn date_regex(time: &str) -> Regex {
    pcre(&format!("(?:{}|{}){time}", date_body("-"), date_body("/")))
}

/// Every text of `candidates` that `oracle` accepts must decode into `T` and encode back to
/// itself; every text `T` accepts must come back unchanged; and `T` refuses what the oracle
/// refuses, except texts `tolerated` names. Returns how many texts the oracle accepted.
fn check<T: WireValue>(
    oracle: &Regex,
    candidates: impl IntoIterator<Item = String>,
    tolerated: impl Fn(&str) -> bool,
) -> usize {
    let mut accepted = 0;
    for text in candidates {
        if text.is_empty() {
            continue;
        }
        let decoded = T::decode(&text, DecodeMode::Strict);
        if oracle.is_match(&text) {
            accepted += 1;
            let value = decoded.unwrap_or_else(|e| panic!("{text:?} refused: {}", e.expected));
            assert_eq!(value.encode(), text, "{text:?} changed");
        } else if let Ok(value) = decoded {
            assert!(tolerated(&text), "{text:?} accepted, REDCap refuses it");
            assert_eq!(value.encode(), text, "{text:?} changed");
        }
    }
    assert!(accepted > 0, "no candidate was valid");
    accepted
}

/// Every string of `parts`, one from each list, concatenated.
fn product(parts: &[&[&str]]) -> Vec<String> {
    parts.iter().fold(vec![String::new()], |texts, part| {
        texts
            .iter()
            .flat_map(|text| part.iter().map(move |p| format!("{text}{p}")))
            .collect()
    })
}

const ENDS: &[&str] = &["", "\n", " ", "\n\n"];

/// All strings of up to `len` characters over `alphabet`.
fn all_strings(alphabet: &[&str], len: usize) -> Vec<String> {
    (1..=len)
        .flat_map(|n| product(&vec![alphabet; n]))
        .collect()
}

#[test]
fn integers() {
    let oracle = pcre(r"[-+]?\b[0-9]+\b");
    let mut candidates = all_strings(&["0", "7", "+", "-", "a", ".", " ", "\n"], 4);
    candidates.extend(
        [
            "99999999999999999999999",
            "-9223372036854775808",
            "9223372036854775808",
        ]
        .map(String::from),
    );
    let accepted = check::<Integer>(&oracle, candidates, |_| false);
    assert!(accepted > 50, "{accepted}");
    for (text, value) in [
        ("070", Some(70)),
        ("+70", Some(70)),
        ("-0", Some(0)),
        ("5\n", Some(5)),
    ] {
        let integer = Integer::parse(text).unwrap();
        assert_eq!((integer.value(), integer.is_canonical()), (value, false));
    }
    assert_eq!(Integer::parse("-42").unwrap(), Integer::from(-42));
    assert_eq!(
        Integer::parse("123456789012345678901").unwrap().value(),
        None
    );
}

#[test]
fn numbers_of_every_number_validation() {
    // number, number_comma_decimal and number_1dp…4dp (with either mark): `Decimal` holds
    // them all, so it accepts their union.
    let oracles = [
        r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?",
        r"[-+]?[0-9]*,?[0-9]+(?:[eE][-+]?[0-9]+)?",
        r"-?[0-9]+\.[0-9]{1,4}",
        r"-?[0-9]+,[0-9]{1,4}",
    ];
    let union = pcre(&oracles.join("|"));
    let candidates = all_strings(&["0", "5", ".", ",", "-", "+", "e", "E", "x"], 4);
    check::<Decimal>(&union, candidates.clone(), |_| false);
    for oracle in oracles {
        // Each validation's values are among those the union accepts.
        let oracle = pcre(oracle);
        assert!(
            candidates
                .iter()
                .filter(|t| oracle.is_match(t))
                .all(|t| union.is_match(t))
        );
    }
    assert_eq!(Decimal::new("1,5e3").unwrap().to_f64(), 1500.0);
    assert!(Decimal::new("5.").is_err());
}

const HOURS: &[&str] = &["0", "9", "00", "09", "19", "23", "24", "123", "a", ""];
const SIXTY: &[&str] = &["00", "05", "59", "60", "5", "5x", ""];

#[test]
fn times() {
    let time = pcre("(?:[0-9]|[0-1][0-9]|[2][0-3]):(?:[0-5][0-9])");
    check::<Time>(&time, product(&[HOURS, &[":", "."], SIXTY, ENDS]), |_| {
        false
    });
    assert_eq!(Time::parse("9:05").unwrap().text(), "9:05");
    assert_eq!(
        Time::parse("9:05").unwrap().value(),
        chrono::NaiveTime::from_hms_opt(9, 5, 0).unwrap()
    );

    let seconds = pcre("(?:[0-9]|[01][0-9]|(?:2[0-3]))(?::[0-5][0-9]){2}");
    check::<TimeSeconds>(
        &seconds,
        product(&[HOURS, &[":"], SIXTY, &[":", "."], SIXTY, ENDS]),
        |_| false,
    );

    let minutes = pcre("[0-5][0-9]:[0-5][0-9]");
    check::<MinutesSeconds>(
        &minutes,
        product(&[SIXTY, &[":", "."], SIXTY, ENDS]),
        |_| false,
    );
    let duration = MinutesSeconds::parse("05:30").unwrap();
    assert_eq!(
        (duration.value(), duration.duration().as_secs()),
        (330, 330)
    );
}

const YEARS: &[&str] = &[
    "0000", "0004", "1600", "1900", "2000", "2020", "2021", "2100", "3200", "999", "20201",
];
const MONTHS: &[&str] = &["00", "01", "02", "04", "12", "13", "1"];
const DAYS: &[&str] = &["00", "01", "28", "29", "30", "31", "32", "1"];
const SEPARATORS: &[&str] = &["-", "/", "."];

/// chrono follows the Gregorian calendar, REDCap's regex lists the century leap years it
/// knows (1600, 2000, 2400, 2800): the 29th of February of 0000 or 3200 is accepted here
/// and kept as written.
fn century_leap_day(text: &str) -> bool {
    text.contains("02-29") || text.contains("02/29")
}

#[test]
fn dates() {
    let candidates = product(&[YEARS, SEPARATORS, MONTHS, SEPARATORS, DAYS, ENDS]);
    check::<Date>(&date_regex(""), candidates, century_leap_day);
    let slashed = Date::parse("2020/01/05").unwrap();
    assert_eq!(
        (slashed.text().as_ref(), slashed.is_canonical()),
        ("2020/01/05", false)
    );
    assert_eq!(
        slashed.value(),
        chrono::NaiveDate::from_ymd_opt(2020, 1, 5).unwrap()
    );
}

#[test]
fn datetimes() {
    let dates: &[&str] = &[
        "2020-02-29",
        "2021-02-29",
        "2020/01/05",
        "2020-01/05",
        "2020-1-05",
    ];
    let hours: &[&str] = &["0", "9", "09", "23", "24", ""];
    let minutes: &[&str] = &["00", "59", "60", "5"];
    let time = " (?:[0-9]|[0-1][0-9]|[2][0-3]):[0-5][0-9]";
    let candidates = product(&[dates, &[" ", "T"], hours, &[":"], minutes, ENDS]);
    check::<DateTime>(&date_regex(time), candidates, |_| false);

    let time = " (?:[0-9]|[0-1][0-9]|[2][0-3])(?::[0-5][0-9]){2}";
    let candidates = product(&[dates, &[" "], hours, &[":"], minutes, &[":"], minutes, ENDS]);
    check::<DateTimeSeconds>(&date_regex(time), candidates, |_| false);
}
