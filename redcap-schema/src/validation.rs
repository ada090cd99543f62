//! REDCap 15.7.6 validation types (`redcap_validation_types`), legacy aliases
//! and the two special values REDCap accepts outside text fields.

use serde::{Deserialize, Serialize};

/// REDCap's own classification of a validation type (the `data_type` column
/// of `redcap_validation_types`). It decides how min/max bounds are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `YYYY-MM-DD` on the wire whatever the display order.
    Date,
    /// `YYYY-MM-DD HH:MM` on the wire.
    Datetime,
    /// `YYYY-MM-DD HH:MM:SS` on the wire.
    DatetimeSeconds,
    /// A time of day or a duration.
    Time,
    /// An integer.
    Integer,
    /// A number with `.` as decimal mark.
    Number,
    /// A number with `,` as decimal mark.
    NumberCommaDecimal,
    /// An e-mail address.
    Email,
    /// A telephone number.
    Phone,
    /// A postal code.
    PostalCode,
    /// A U.S. social security number.
    Ssn,
    /// A medical record number.
    Mrn,
    /// Free text with a pattern.
    Text,
    /// Not a value format: `autocomplete` on drop-downs, `signature` on files.
    Widget,
}

macro_rules! validations {
    ($($variant:ident => $name:literal, $dt:ident;)*) => {
        /// A validation type, by the name REDCap 15.7.6 gives it.
        ///
        /// Legacy names (`int`, `float`, `date`, `datetime`,
        /// `datetime_seconds`) are accepted by [`Validation::from_name`] and
        /// mapped the way REDCap's dictionary import maps them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[allow(missing_docs)]
        pub enum Validation {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Validation {
            /// Every validation type, in the order of REDCap's table.
            pub const ALL: &'static [Validation] = &[$(Validation::$variant,)*];

            /// The name REDCap uses in the data dictionary.
            pub fn as_str(self) -> &'static str {
                match self { $(Validation::$variant => $name,)* }
            }

            /// REDCap's classification of the type.
            pub fn data_type(self) -> DataType {
                match self { $(Validation::$variant => DataType::$dt,)* }
            }
        }
    };
}

validations! {
    DateYmd => "date_ymd", Date;
    DateMdy => "date_mdy", Date;
    DateDmy => "date_dmy", Date;
    DatetimeYmd => "datetime_ymd", Datetime;
    DatetimeMdy => "datetime_mdy", Datetime;
    DatetimeDmy => "datetime_dmy", Datetime;
    DatetimeSecondsYmd => "datetime_seconds_ymd", DatetimeSeconds;
    DatetimeSecondsMdy => "datetime_seconds_mdy", DatetimeSeconds;
    DatetimeSecondsDmy => "datetime_seconds_dmy", DatetimeSeconds;
    Email => "email", Email;
    Integer => "integer", Integer;
    Number => "number", Number;
    Phone => "phone", Phone;
    Time => "time", Time;
    TimeHhMmSs => "time_hh_mm_ss", Time;
    TimeMmSs => "time_mm_ss", Time;
    Zipcode => "zipcode", PostalCode;
    AlphaOnly => "alpha_only", Text;
    Mrn10d => "mrn_10d", Mrn;
    MrnGeneric => "mrn_generic", Mrn;
    Vmrn => "vmrn", Mrn;
    Number1dp => "number_1dp", Number;
    Number2dp => "number_2dp", Number;
    Number3dp => "number_3dp", Number;
    Number4dp => "number_4dp", Number;
    NumberCommaDecimal => "number_comma_decimal", NumberCommaDecimal;
    Number1dpCommaDecimal => "number_1dp_comma_decimal", NumberCommaDecimal;
    Number2dpCommaDecimal => "number_2dp_comma_decimal", NumberCommaDecimal;
    Number3dpCommaDecimal => "number_3dp_comma_decimal", NumberCommaDecimal;
    Number4dpCommaDecimal => "number_4dp_comma_decimal", NumberCommaDecimal;
    PhoneAustralia => "phone_australia", Phone;
    PhoneUk => "phone_uk", Phone;
    PhoneFrance => "phone_france", Phone;
    PostalcodeAustralia => "postalcode_australia", PostalCode;
    PostalcodeCanada => "postalcode_canada", PostalCode;
    PostalcodeGermany => "postalcode_germany", PostalCode;
    PostalcodeUk => "postalcode_uk", PostalCode;
    PostalcodeFrench => "postalcode_french", PostalCode;
    Ssn => "ssn", Ssn;
    Autocomplete => "autocomplete", Widget;
    Signature => "signature", Widget;
}

impl Validation {
    /// Parses a validation name as REDCap's dictionary import does: exact
    /// (lower-case) names, with the legacy aliases rewritten.
    pub fn from_name(name: &str) -> Option<Validation> {
        match name {
            "int" => Some(Validation::Integer),
            "float" => Some(Validation::Number),
            "date" => Some(Validation::DateYmd),
            "datetime" => Some(Validation::DatetimeYmd),
            "datetime_seconds" => Some(Validation::DatetimeSecondsYmd),
            _ => Validation::ALL.iter().copied().find(|v| v.as_str() == name),
        }
    }

    /// The internal name REDCap stores and writes into project XML
    /// (`redcap:TextValidationType`): `int` and `float` for the two types
    /// that were renamed.
    pub fn internal_name(self) -> &'static str {
        match self {
            Validation::Integer => "int",
            Validation::Number => "float",
            other => other.as_str(),
        }
    }
}

impl std::fmt::Display for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_aliases_map() {
        assert_eq!(Validation::ALL.len(), 41);
        for v in Validation::ALL {
            assert_eq!(Validation::from_name(v.as_str()), Some(*v));
            assert_eq!(Validation::from_name(v.internal_name()), Some(*v));
        }
        assert_eq!(Validation::from_name("int"), Some(Validation::Integer));
        assert_eq!(Validation::from_name("float"), Some(Validation::Number));
        assert_eq!(
            Validation::from_name("datetime_seconds"),
            Some(Validation::DatetimeSecondsYmd)
        );
        assert_eq!(Validation::from_name("Integer"), None);
        assert_eq!(Validation::from_name("jheid_e9d"), None);
    }
}
