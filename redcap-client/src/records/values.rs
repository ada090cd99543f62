//! The value types of typed records, each decoding from and encoding to the exact text
//! REDCap puts in an export column.
//!
//! A value type either keeps the text (`RecordId`, `Decimal`, `String`, the types of
//! `exact.rs`) or accepts only the canonical text it would write back (plain `i64` and
//! chrono types in hand-written structs, flags, form statuses), so decoding and encoding a
//! row always gives back the same row. Text that does not fit is an error, never a silently
//! changed value.

use std::borrow::Cow;
use std::fmt;

use super::DecodeMode;
use super::exact::{Date, Integer, Time};

/// Why a column's text does not fit its field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What was expected, e.g. `a date (YYYY-MM-DD)`.
    pub expected: Cow<'static, str>,
}

impl ValueError {
    /// A value that is not `expected`.
    pub fn expected(expected: impl Into<Cow<'static, str>>) -> Self {
        Self {
            expected: expected.into(),
        }
    }
}

/// A value of one export column: decoded from its exact text, encoded back to it.
pub trait WireValue: Sized {
    /// Decodes non-blank text.
    fn decode(raw: &str, mode: DecodeMode) -> Result<Self, ValueError>;
    /// The exact text to export or import.
    fn encode(&self) -> Cow<'_, str>;
}

/// A field that occupies one column: blank text is `None`.
pub trait ColumnValue {
    /// Sets the value from the column's text.
    fn set_text(&mut self, raw: &str, mode: DecodeMode) -> Result<(), ValueError>;
    /// The column's text.
    fn text(&self) -> Cow<'_, str>;
}

impl<T: WireValue> ColumnValue for Option<T> {
    fn set_text(&mut self, raw: &str, mode: DecodeMode) -> Result<(), ValueError> {
        *self = if raw.is_empty() {
            None
        } else {
            Some(T::decode(raw, mode)?)
        };
        Ok(())
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            Some(value) => value.encode(),
            None => Cow::Borrowed(""),
        }
    }
}

impl WireValue for String {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        Ok(raw.to_string())
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

/// A plain `i64` reads only the text it writes back; [`super::Integer`] reads every integer
/// REDCap accepts (`070`, `+70`, `-0`).
impl WireValue for i64 {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        let integer = Integer::parse(raw)?;
        match integer.value() {
            Some(value) if integer.is_canonical() => Ok(value),
            // `007`, `+7` or `-0` would come back as `7` or `0`: refuse rather than change the text.
            _ => Err(ValueError::expected(
                "an integer written without leading zeros or sign (`records::Integer` keeps any form)",
            )),
        }
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl WireValue for bool {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        match raw {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(ValueError::expected("1 or 0")),
        }
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "1" } else { "0" })
    }
}

/// A plain `NaiveDate` reads only `YYYY-MM-DD`; [`super::Date`] also keeps the other forms
/// REDCap accepts.
impl WireValue for chrono::NaiveDate {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        match Date::parse(raw) {
            Ok(date) if date.is_canonical() => Ok(date.value()),
            _ => Err(ValueError::expected("a date (YYYY-MM-DD)")),
        }
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Owned(self.format("%Y-%m-%d").to_string())
    }
}

/// A plain `NaiveTime` reads only `HH:MM`; [`super::Time`] also keeps `H:MM`.
impl WireValue for chrono::NaiveTime {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        match Time::parse(raw) {
            Ok(time) if time.is_canonical() => Ok(time.value()),
            _ => Err(ValueError::expected("a time (HH:MM)")),
        }
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Owned(self.format("%H:%M").to_string())
    }
}

/// A record name: opaque text, never parsed, trimmed or re-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RecordId(pub String);

impl RecordId {
    /// The record name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RecordId {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl From<String> for RecordId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl WireValue for RecordId {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        Ok(Self(raw.to_string()))
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

/// An exact decimal number: keeps the text REDCap sent (`1.50` stays `1.50`, a comma
/// decimal mark stays a comma), so it never passes through a float on the way back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// Checks that `text` is a number as REDCap's number validations accept it (`-1`,
    /// `2.50`, `.5`, `+5`, `3,25`, `1e3`).
    pub fn new(text: impl Into<String>) -> Result<Self, ValueError> {
        let text = text.into();
        if is_decimal(&text) {
            Ok(Self(text))
        } else {
            Err(ValueError::expected("a number"))
        }
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a float, for arithmetic (a comma decimal mark is read as a point).
    pub fn to_f64(&self) -> f64 {
        self.0
            .trim_end()
            .replace(',', ".")
            .parse()
            .unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// REDCap's number regexes, `.` and `,` decimal marks together:
/// `[-+]?[0-9]*[.,]?[0-9]+([eE][-+]?[0-9]+)?`, with the final line break PCRE's `$` allows.
/// The fixed-decimal types (`number_2dp`, …) and calculated values are all of this form.
fn is_decimal(text: &str) -> bool {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text, None),
    };
    let unsigned = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let mantissa_ok = match unsigned.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole.is_empty() || digits(whole)) && digits(fraction),
        None => digits(unsigned),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

impl WireValue for Decimal {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        Self::new(raw)
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

/// The status of an instrument (`<form>_complete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormStatus {
    /// `0`, red.
    Incomplete,
    /// `1`, yellow.
    Unverified,
    /// `2`, green.
    Complete,
}

impl WireValue for FormStatus {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        match raw {
            "0" => Ok(Self::Incomplete),
            "1" => Ok(Self::Unverified),
            "2" => Ok(Self::Complete),
            _ => Err(ValueError::expected("a form status (0, 1 or 2)")),
        }
    }
    fn encode(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Self::Incomplete => "0",
            Self::Unverified => "1",
            Self::Complete => "2",
        })
    }
}

/// A generated choice enum: the codes and labels of a dropdown, radio or checkbox field.
pub trait Choice: Sized + Clone + PartialEq + 'static {
    /// Every choice of the dictionary, in its order.
    const ALL: &'static [Self];
    /// The code REDCap stores.
    fn code(&self) -> &str;
    /// The label REDCap shows (metadata only: never imported).
    fn label(&self) -> &str;
    /// The choice with this code.
    fn from_code(code: &str) -> Option<Self>;
    /// A code the dictionary does not list, kept in lenient mode.
    fn unknown(code: &str) -> Self;
}

/// Decodes a choice code: strict mode refuses codes the dictionary does not list,
/// lenient mode keeps them.
pub fn decode_choice<C: Choice>(raw: &str, mode: DecodeMode) -> Result<C, ValueError> {
    match C::from_code(raw) {
        Some(choice) => Ok(choice),
        None if mode == DecodeMode::Lenient => Ok(C::unknown(raw)),
        None => Err(ValueError::expected(format!(
            "one of the codes {}",
            C::ALL
                .iter()
                .map(|c| c.code().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A value, or one of the project's missing data codes in its place.
///
/// Projects that define missing data codes (`UNK, Unknown | NA, Not applicable`, …) let
/// any field hold a code instead of a value; the generated types wrap such fields in
/// this, with the project's `MissingCode` enum as `M`. Fields tagged `@NOMISSING`,
/// calculated fields and the record id never do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MaybeMissing<T, M> {
    /// A value of the field's own type.
    Value(T),
    /// A missing data code.
    Missing(M),
}

impl<T, M> MaybeMissing<T, M> {
    /// The value, unless a missing data code stands in its place.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Missing(_) => None,
        }
    }

    /// The missing data code, if there is one.
    pub fn missing(&self) -> Option<&M> {
        match self {
            Self::Value(_) => None,
            Self::Missing(code) => Some(code),
        }
    }
}

/// A missing data code wins over the field's own reading of the text, as in REDCap,
/// where a field holding a code counts as missing whatever its type.
impl<T: WireValue, M: Choice> WireValue for MaybeMissing<T, M> {
    fn decode(raw: &str, mode: DecodeMode) -> Result<Self, ValueError> {
        match M::from_code(raw) {
            Some(code) => Ok(Self::Missing(code)),
            None => T::decode(raw, mode).map(Self::Value).map_err(|error| {
                let codes: Vec<&str> = M::ALL.iter().map(Choice::code).collect();
                ValueError::expected(format!(
                    "{} or a missing data code ({})",
                    error.expected,
                    codes.join(", ")
                ))
            }),
        }
    }

    fn encode(&self) -> Cow<'_, str> {
        match self {
            Self::Value(value) => value.encode(),
            Self::Missing(code) => Cow::Borrowed(code.code()),
        }
    }
}

/// The columns of a checkbox field (`field___code`), one state per choice.
///
/// Each column keeps its exact state: checked (`1`), unchecked (`0`) or blank (on rows
/// where the field's instrument does not apply).
#[derive(Clone)]
pub struct Checkboxes<C> {
    /// Bit `i`: the column of `C::ALL[i]` is not blank (the first 64 choices).
    present: u64,
    /// Bit `i`: the column of `C::ALL[i]` is checked.
    checked: u64,
    /// Columns past the 64th choice, and codes the dictionary does not list (lenient
    /// decoding), that are not blank, in the order they were set.
    more: Vec<(C, bool)>,
}

/// Choices held in the bit sets.
const BITS: usize = 64;

impl<C> Default for Checkboxes<C> {
    fn default() -> Self {
        Self {
            present: 0,
            checked: 0,
            more: Vec::new(),
        }
    }
}

/// Equal when the same columns hold the same states, whatever order they were set in.
impl<C: PartialEq> PartialEq for Checkboxes<C> {
    fn eq(&self, other: &Self) -> bool {
        self.present == other.present
            && self.checked == other.checked
            && self.more.len() == other.more.len()
            && self.more.iter().all(|state| other.more.contains(state))
    }
}

impl<C: Choice + fmt::Debug> fmt::Debug for Checkboxes<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.states()).finish()
    }
}

impl<C: Choice> Checkboxes<C> {
    /// Whether `choice` is checked.
    pub fn is_checked(&self, choice: &C) -> bool {
        match Self::position(choice) {
            Some(i) => self.checked & (1 << i) != 0,
            None => self.more.iter().any(|(c, state)| c == choice && *state),
        }
    }

    /// The checked choices, in dictionary order (codes the dictionary does not list last).
    pub fn checked(&self) -> impl Iterator<Item = &C> {
        self.states()
            .filter(|(_, state)| *state)
            .map(|(choice, _)| choice)
    }

    /// The columns that are not blank, with their states, in dictionary order.
    fn states(&self) -> impl Iterator<Item = (&C, bool)> {
        let bits = C::ALL.iter().take(BITS).enumerate();
        bits.filter(|(i, _)| self.present & (1 << i) != 0)
            .map(|(i, choice)| (choice, self.checked & (1 << i) != 0))
            .chain(self.more.iter().map(|(choice, state)| (choice, *state)))
    }

    /// Checks or unchecks `choice` (its column becomes `1` or `0`).
    pub fn set(&mut self, choice: C, checked: bool) {
        self.set_state(choice, Some(checked));
    }

    /// Makes the column of `choice` blank.
    pub fn clear(&mut self, choice: &C) {
        match Self::position(choice) {
            Some(i) => self.set_bits(i, None),
            None => self.more.retain(|(c, _)| c != choice),
        }
    }

    /// The position of `choice` in `C::ALL`, when it is held in the bit sets.
    fn position(choice: &C) -> Option<usize> {
        C::ALL.iter().take(BITS).position(|c| c == choice)
    }

    fn set_bits(&mut self, position: usize, state: Option<bool>) {
        let bit = 1u64 << position;
        match state {
            Some(checked) => {
                self.present |= bit;
                if checked {
                    self.checked |= bit;
                } else {
                    self.checked &= !bit;
                }
            }
            None => {
                self.present &= !bit;
                self.checked &= !bit;
            }
        }
    }

    fn set_state(&mut self, choice: C, state: Option<bool>) {
        if let Some(i) = Self::position(&choice) {
            return self.set_bits(i, state);
        }
        let slot = self.more.iter().position(|(c, _)| *c == choice);
        match (slot, state) {
            (Some(index), Some(state)) => self.more[index].1 = state,
            (Some(index), None) => {
                self.more.remove(index);
            }
            (None, Some(state)) => self.more.push((choice, state)),
            (None, None) => {}
        }
    }

    /// Sets the column of the choice at `position` in `C::ALL` from its text.
    pub(crate) fn set_column_at(&mut self, position: usize, raw: &str) -> Result<(), ValueError> {
        let state = checkbox_state(raw)?;
        if position < BITS.min(C::ALL.len()) {
            self.set_bits(position, state);
            return Ok(());
        }
        let Some(choice) = C::ALL.get(position) else {
            return Err(ValueError::expected("a column of this checkbox field"));
        };
        self.set_state(choice.clone(), state);
        Ok(())
    }

    /// The text of the column of the choice at `position` in `C::ALL`.
    pub(crate) fn column_text_at(&self, position: usize) -> &'static str {
        if position < BITS.min(C::ALL.len()) {
            return Self::bits_text(self.present, self.checked, position);
        }
        match C::ALL.get(position) {
            Some(choice) => self.more_text(|c| c == choice),
            None => "",
        }
    }

    fn bits_text(present: u64, checked: u64, position: usize) -> &'static str {
        match (
            present & (1 << position) != 0,
            checked & (1 << position) != 0,
        ) {
            (false, _) => "",
            (true, true) => "1",
            (true, false) => "0",
        }
    }

    fn more_text(&self, matches: impl Fn(&C) -> bool) -> &'static str {
        match self.more.iter().find(|(c, _)| matches(c)) {
            Some((_, true)) => "1",
            Some((_, false)) => "0",
            None => "",
        }
    }

    /// Sets the column of `code` from its text (`1`, `0` or blank).
    pub fn set_column(
        &mut self,
        code: &str,
        raw: &str,
        mode: DecodeMode,
    ) -> Result<(), ValueError> {
        let state = checkbox_state(raw)?;
        let choice = decode_choice::<C>(code, mode)?;
        self.set_state(choice, state);
        Ok(())
    }

    /// The text of the column of `code`.
    pub fn column_text(&self, code: &str) -> &'static str {
        match C::ALL.iter().take(BITS).position(|c| c.code() == code) {
            Some(i) => Self::bits_text(self.present, self.checked, i),
            None => self.more_text(|c| c.code() == code),
        }
    }
}

/// The state of a checkbox column: `1`, `0` or blank.
fn checkbox_state(raw: &str) -> Result<Option<bool>, ValueError> {
    match raw {
        "" => Ok(None),
        "1" => Ok(Some(true)),
        "0" => Ok(Some(false)),
        _ => Err(ValueError::expected("1, 0 or blank")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: WireValue>(raw: &str) -> Result<String, ValueError> {
        T::decode(raw, DecodeMode::Strict).map(|value| value.encode().into_owned())
    }

    #[test]
    fn values_come_back_as_the_same_text() {
        for text in ["70.50", "1,5", "-.5", "+5", "1e3", "1E-3", "2,5e+2", "7\n"] {
            assert_eq!(round_trip::<Decimal>(text).unwrap(), text);
        }
        assert_eq!(round_trip::<RecordId>(" 007").unwrap(), " 007");
        assert_eq!(
            round_trip::<chrono::NaiveDate>("2020-02-29").unwrap(),
            "2020-02-29"
        );
        assert_eq!(round_trip::<i64>("-42").unwrap(), "-42");
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Day {
        Mon,
        Tue,
        Other(String),
    }

    impl Choice for Day {
        const ALL: &'static [Self] = &[Self::Mon, Self::Tue];
        fn code(&self) -> &str {
            match self {
                Self::Mon => "1",
                Self::Tue => "2",
                Self::Other(code) => code,
            }
        }
        fn label(&self) -> &str {
            self.code()
        }
        fn from_code(code: &str) -> Option<Self> {
            Self::ALL.iter().find(|c| c.code() == code).cloned()
        }
        fn unknown(code: &str) -> Self {
            Self::Other(code.to_string())
        }
    }

    #[test]
    fn checkbox_columns_keep_checked_unchecked_and_blank() {
        let mut days = Checkboxes::<Day>::default();
        days.set_column_at(1, "1").unwrap();
        days.set_column("1", "0", DecodeMode::Strict).unwrap();
        days.set_column("9", "1", DecodeMode::Lenient).unwrap();
        assert!(days.set_column("9", "1", DecodeMode::Strict).is_err());
        assert!(days.set_column_at(0, "yes").is_err());
        assert_eq!(
            [
                days.column_text("1"),
                days.column_text("2"),
                days.column_text("9")
            ],
            ["0", "1", "1"]
        );
        assert_eq!(
            days.checked().collect::<Vec<_>>(),
            [&Day::Tue, &Day::Other("9".into())]
        );
        days.clear(&Day::Mon);
        assert_eq!(days.column_text_at(0), "");
        let mut same = Checkboxes::default();
        same.set(Day::Other("9".into()), true);
        same.set(Day::Tue, true);
        assert_eq!(days, same);
        same.set(Day::Tue, false);
        assert!(!same.is_checked(&Day::Tue));
        assert_ne!(days, same);
    }

    #[test]
    fn text_that_would_change_is_refused() {
        assert!(round_trip::<i64>("007").is_err());
        assert!(round_trip::<i64>("+7").is_err());
        assert!(round_trip::<i64>("-0").is_err());
        assert!(round_trip::<chrono::NaiveDate>("2020-2-29").is_err());
        assert!(round_trip::<chrono::NaiveDate>("2020/02/29").is_err());
        assert!(round_trip::<chrono::NaiveDate>("2021-02-29").is_err());
        assert!(round_trip::<chrono::NaiveTime>("9:05").is_err());
        for text in [
            "5.", "1e", "e5", "1.5.2", "NaN", "", "-", "1 ", " 1", "1\n\n",
        ] {
            assert!(round_trip::<Decimal>(text).is_err(), "{text:?}");
        }
        assert!(round_trip::<bool>("yes").is_err());
    }
}
