//! Value columns: how one export column becomes one or more typed Arrow columns, and the
//! builders that fill them cell by cell.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder, StringBuilder,
    Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, StringArray};
use arrow_schema::{DataType, TimeUnit};

use crate::parse::{self, TimeForm};

/// Precision of every decimal column: Arrow's widest 128-bit decimal.
pub(crate) const DECIMAL_PRECISION: u8 = 38;

/// Scale of decimal columns whose validation fixes no number of places (`number`,
/// calculations): wide enough for any value REDCap computes, leaving 23 integer digits.
pub(crate) const OPEN_DECIMAL_SCALE: i8 = 15;

/// A closed set of codes (choices, missing-data codes) with their labels: the
/// dictionaries of the code and label columns, shared by every batch so that Arrow IPC
/// files carry them once.
#[derive(Debug)]
pub(crate) struct Codes {
    index: HashMap<String, i32>,
    codes: ArrayRef,
    labels: ArrayRef,
    /// The codes, for error messages.
    listed: String,
}

impl Codes {
    /// From `(code, label)` pairs in order.
    pub(crate) fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Arc<Codes> {
        let (codes, labels): (Vec<&str>, Vec<&str>) = pairs.into_iter().unzip();
        let index = codes
            .iter()
            .enumerate()
            .map(|(i, code)| ((*code).to_owned(), i as i32))
            .collect();
        let mut listed = codes
            .iter()
            .take(12)
            .map(|code| format!("`{code}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if codes.len() > 12 {
            listed.push_str(", …");
        }
        Arc::new(Codes {
            index,
            codes: Arc::new(StringArray::from(codes)),
            labels: Arc::new(StringArray::from(labels)),
            listed,
        })
    }

    /// The key of a code.
    pub(crate) fn key(&self, code: &str) -> Option<i32> {
        self.index.get(code).copied()
    }

    /// A dictionary column of these codes.
    pub(crate) fn code_array(
        &self,
        keys: arrow_array::Int32Array,
    ) -> Result<ArrayRef, arrow_schema::ArrowError> {
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            self.codes.clone(),
        )?))
    }

    /// A dictionary column of these codes' labels.
    pub(crate) fn label_array(
        &self,
        keys: arrow_array::Int32Array,
    ) -> Result<ArrayRef, arrow_schema::ArrowError> {
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            self.labels.clone(),
        )?))
    }
}

/// The Arrow type of code and label columns: strings, dictionary-encoded.
pub(crate) fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// What a value column holds.
#[derive(Debug, Clone)]
pub(crate) enum ValueKind {
    /// Text as exported.
    Text,
    /// A 64-bit integer.
    Integer,
    /// An exact decimal at a fixed scale, with `.` or `,` as decimal mark.
    Decimal {
        /// Digits after the decimal mark.
        scale: i8,
        /// The mark.
        mark: u8,
    },
    /// A date.
    Date,
    /// A date and time, to the minute or the second.
    DateTime {
        /// Whether the wire form has seconds.
        seconds: bool,
    },
    /// A time of day.
    Time(TimeForm),
    /// `1`/`0` as true/false.
    Boolean,
    /// One code of a closed set: a code column and a label column.
    Choice(Arc<Codes>),
}

impl ValueKind {
    /// The Arrow type of the value column (for a choice, of both its columns).
    pub(crate) fn data_type(&self) -> DataType {
        match self {
            ValueKind::Text => DataType::Utf8,
            ValueKind::Integer => DataType::Int64,
            ValueKind::Decimal { scale, .. } => DataType::Decimal128(DECIMAL_PRECISION, *scale),
            ValueKind::Date => DataType::Date32,
            ValueKind::DateTime { .. } => DataType::Timestamp(TimeUnit::Microsecond, None),
            ValueKind::Time(_) => DataType::Time64(TimeUnit::Microsecond),
            ValueKind::Boolean => DataType::Boolean,
            ValueKind::Choice(_) => dictionary_type(),
        }
    }

    /// What a cell must look like, for error messages.
    pub(crate) fn expected(&self) -> String {
        match self {
            ValueKind::Text => "text".into(),
            ValueKind::Integer => "an integer".into(),
            ValueKind::Decimal { scale, mark } => format!(
                "a number with at most {scale} decimal places and `{}` as decimal mark",
                char::from(*mark)
            ),
            ValueKind::Date => "a date (YYYY-MM-DD)".into(),
            ValueKind::DateTime { seconds: false } => "a date and time (YYYY-MM-DD HH:MM)".into(),
            ValueKind::DateTime { seconds: true } => "a date and time (YYYY-MM-DD HH:MM:SS)".into(),
            ValueKind::Time(TimeForm::HoursMinutes) => "a time (HH:MM)".into(),
            ValueKind::Time(TimeForm::HoursMinutesSeconds) => "a time (HH:MM:SS)".into(),
            ValueKind::Time(TimeForm::MinutesSeconds) => "a duration (MM:SS)".into(),
            ValueKind::Boolean => "`1` or `0`".into(),
            ValueKind::Choice(codes) => format!("one of the codes {}", codes.listed),
        }
    }
}

/// The builder of one value column.
enum Builder {
    Text(StringBuilder),
    Integer(Int64Builder),
    Decimal(Decimal128Builder, i8, u8),
    Date(Date32Builder),
    DateTime(TimestampMicrosecondBuilder, bool),
    Time(Time64MicrosecondBuilder, TimeForm),
    Boolean(BooleanBuilder),
    Choice(Int32Builder, Arc<Codes>),
}

/// The largest magnitude a 38-digit decimal holds, plus one.
const DECIMAL_LIMIT: i128 = 10i128.pow(DECIMAL_PRECISION as u32);

impl Builder {
    fn new(kind: &ValueKind) -> Builder {
        match kind {
            ValueKind::Text => Builder::Text(StringBuilder::new()),
            ValueKind::Integer => Builder::Integer(Int64Builder::new()),
            ValueKind::Decimal { scale, mark } => Builder::Decimal(
                Decimal128Builder::new().with_data_type(kind.data_type()),
                *scale,
                *mark,
            ),
            ValueKind::Date => Builder::Date(Date32Builder::new()),
            ValueKind::DateTime { seconds } => {
                Builder::DateTime(TimestampMicrosecondBuilder::new(), *seconds)
            }
            ValueKind::Time(form) => Builder::Time(Time64MicrosecondBuilder::new(), *form),
            ValueKind::Boolean => Builder::Boolean(BooleanBuilder::new()),
            ValueKind::Choice(codes) => Builder::Choice(Int32Builder::new(), codes.clone()),
        }
    }

    /// Appends a non-blank cell; `false` when it does not fit (nothing is appended).
    fn append(&mut self, text: &str) -> bool {
        match self {
            Builder::Text(b) => {
                b.append_value(text);
                true
            }
            Builder::Integer(b) => push(b, parse::integer(text)),
            Builder::Decimal(b, scale, mark) => push(
                b,
                parse::decimal(text, *scale, *mark).filter(|v| v.abs() < DECIMAL_LIMIT),
            ),
            Builder::Date(b) => push(b, parse::date(text)),
            Builder::DateTime(b, seconds) => push(b, parse::datetime(text, *seconds)),
            Builder::Time(b, form) => push(b, parse::time(text, *form)),
            Builder::Boolean(b) => match parse::boolean(text) {
                Some(value) => {
                    b.append_value(value);
                    true
                }
                None => false,
            },
            Builder::Choice(b, codes) => push(b, codes.key(text)),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Text(b) => b.append_null(),
            Builder::Integer(b) => b.append_null(),
            Builder::Decimal(b, ..) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::DateTime(b, _) => b.append_null(),
            Builder::Time(b, _) => b.append_null(),
            Builder::Boolean(b) => b.append_null(),
            Builder::Choice(b, _) => b.append_null(),
        }
    }

    /// The column(s) built so far, the builder left empty.
    fn finish(&mut self, out: &mut Vec<ArrayRef>) -> Result<(), arrow_schema::ArrowError> {
        match self {
            Builder::Text(b) => out.push(Arc::new(b.finish())),
            Builder::Integer(b) => out.push(Arc::new(b.finish())),
            Builder::Decimal(b, ..) => out.push(Arc::new(b.finish())),
            Builder::Date(b) => out.push(Arc::new(b.finish())),
            Builder::DateTime(b, _) => out.push(Arc::new(b.finish())),
            Builder::Time(b, _) => out.push(Arc::new(b.finish())),
            Builder::Boolean(b) => out.push(Arc::new(b.finish())),
            Builder::Choice(b, codes) => {
                let keys = b.finish();
                out.push(codes.code_array(keys.clone())?);
                out.push(codes.label_array(keys)?);
            }
        }
        Ok(())
    }
}

fn push<T: arrow_array::types::ArrowPrimitiveType>(
    builder: &mut arrow_array::builder::PrimitiveBuilder<T>,
    value: Option<T::Native>,
) -> bool {
    match value {
        Some(value) => {
            builder.append_value(value);
            true
        }
        None => false,
    }
}

/// One export column and the table columns it fills: its value (a choice fills a code
/// and a label column) and, where the field takes missing-data codes, a code column that
/// holds the code in place of the value.
pub(crate) struct Slot {
    /// The index of the export column.
    pub(crate) source: usize,
    /// The export column's name.
    pub(crate) name: String,
    kind: ValueKind,
    value: Builder,
    missing: Option<(Int32Builder, Arc<Codes>)>,
}

impl Slot {
    pub(crate) fn new(
        source: usize,
        name: String,
        kind: ValueKind,
        missing: Option<Arc<Codes>>,
    ) -> Slot {
        Slot {
            source,
            name,
            value: Builder::new(&kind),
            kind,
            missing: missing.map(|codes| (Int32Builder::new(), codes)),
        }
    }

    /// Appends a cell; on a value that fits neither the column nor the missing-data
    /// codes, what was expected (nothing is appended to any column then).
    pub(crate) fn push(&mut self, text: &str) -> Result<(), String> {
        if text.is_empty() {
            self.value.append_null();
            if let Some((keys, _)) = &mut self.missing {
                keys.append_null();
            }
            return Ok(());
        }
        if let Some((keys, codes)) = &mut self.missing
            && let Some(key) = codes.key(text)
        {
            keys.append_value(key);
            self.value.append_null();
            return Ok(());
        }
        if self.value.append(text) {
            if let Some((keys, _)) = &mut self.missing {
                keys.append_null();
            }
            Ok(())
        } else {
            let mut expected = self.kind.expected();
            if let Some((_, codes)) = &self.missing {
                expected.push_str(&format!(" or a missing-data code ({})", codes.listed));
            }
            Err(expected)
        }
    }

    /// The columns built so far, in the table's order.
    pub(crate) fn finish(
        &mut self,
        out: &mut Vec<ArrayRef>,
    ) -> Result<(), arrow_schema::ArrowError> {
        self.value.finish(out)?;
        if let Some((keys, codes)) = &mut self.missing {
            out.push(codes.code_array(keys.finish())?);
        }
        Ok(())
    }
}
