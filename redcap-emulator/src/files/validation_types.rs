//! `content=fieldValidation`: the server's text validation types
//! (`redcap_validation_types`) with their JavaScript regexes, as the
//! REDCap Mobile App reads them.
//!
//! Names are REDCap 15.7.6's, in the table's order (by name). The regexes
//! are those REDCap documents for 15.7.6 where known; the M-D-Y / D-M-Y
//! date variants and `email` carry the older published patterns (see the
//! crate docs' "Not yet emulated").

use serde_json::{Map, Value};

use crate::context::Ctx;
use crate::format::{Format, php_json};
use crate::reply::{ApiError, Reply};

/// The date part of REDCap's leap-year-aware Y-M-D regex (15.7.6).
const YMD: &str = r"(((\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00))([-\/])02(\6)29)|(\d{4}([-\/])((0[1-9]|1[012])(\9)(0[1-9]|1\d|2[0-8])|((0[13-9]|1[012])(\9)(29|30))|((0[13578]|1[02])(\9)31))))";
const DMY: &str = r"(0[1-9]|[12][0-9]|3[01])([-\/.])?(0[1-9]|1[012])\2?(\d{4})";
const MDY: &str = r"(0[1-9]|1[012])([-\/.])?(0[1-9]|[12][0-9]|3[01])\2?(\d{4})";
const HM: &str = r"(\d|[0-1]\d|[2][0-3]):[0-5]\d";
const HMS: &str = r"(\d|[0-1]\d|[2][0-3])(:[0-5]\d){2}";
const HM_LOOSE: &str = r"([0-9]|[0-1][0-9]|[2][0-3]):([0-5][0-9])";
const HMS_LOOSE: &str = r"([0-9]|[0-1][0-9]|[2][0-3]):([0-5][0-9]):([0-5][0-9])";

/// Every type and its regex, in table order.
fn types() -> Vec<(&'static str, String)> {
    let fixed = |body: &str| format!("/^{body}$/");
    vec![
        ("alpha_only", "/^[a-z]+$/i".to_owned()),
        ("date_dmy", fixed(DMY)),
        ("date_mdy", fixed(MDY)),
        ("date_ymd", fixed(YMD)),
        ("datetime_dmy", fixed(&format!(r"{DMY}\s{HM_LOOSE}"))),
        ("datetime_mdy", fixed(&format!(r"{MDY}\s{HM_LOOSE}"))),
        ("datetime_seconds_dmy", fixed(&format!(r"{DMY}\s{HMS_LOOSE}"))),
        ("datetime_seconds_mdy", fixed(&format!(r"{MDY}\s{HMS_LOOSE}"))),
        ("datetime_seconds_ymd", fixed(&format!("{YMD} {HMS}"))),
        ("datetime_ymd", fixed(&format!("{YMD} {HM}"))),
        (
            "email",
            r"/^([_a-z0-9-']+)(\.[_a-z0-9-']+)*@([a-z0-9-]+)(\.[a-z0-9-]+)*(\.[a-z]{2,63})$/i".to_owned(),
        ),
        ("integer", r"/^[-+]?\b\d+\b$/".to_owned()),
        ("mrn_10d", r"/^\d{10}$/".to_owned()),
        ("mrn_generic", r"/^[a-z0-9-_]+$/i".to_owned()),
        ("number", r"/^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/".to_owned()),
        ("number_1dp", r"/^-?\d+\.\d$/".to_owned()),
        ("number_1dp_comma_decimal", r"/^-?\d+,\d$/".to_owned()),
        ("number_2dp", r"/^-?\d+\.\d{2}$/".to_owned()),
        ("number_2dp_comma_decimal", r"/^-?\d+,\d{2}$/".to_owned()),
        ("number_3dp", r"/^-?\d+\.\d{3}$/".to_owned()),
        ("number_3dp_comma_decimal", r"/^-?\d+,\d{3}$/".to_owned()),
        ("number_4dp", r"/^-?\d+\.\d{4}$/".to_owned()),
        ("number_4dp_comma_decimal", r"/^-?\d+,\d{4}$/".to_owned()),
        ("number_comma_decimal", r"/^[-+]?[0-9]*,?[0-9]+([eE][-+]?[0-9]+)?$/".to_owned()),
        (
            "phone",
            r"/^(?:\(?([2-9]0[1-9]|[2-9]1[02-9]|[2-9][2-9][0-9]|800|811)\)?)\s*(?:[.-]\s*)?([0-9]{3})\s*(?:[.-]\s*)?([0-9]{4})(?:\s*(?:#|x\.?|ext\.?|extension)\s*(\d+))?$/".to_owned(),
        ),
        ("phone_australia", r"/^(\(0[2-8]\)|0[2-8])\s*\d{4}\s*\d{4}$/".to_owned()),
        (
            "phone_france",
            r"/^(?:(?:\+|00)(?:33|262|508|590|594|596|687)[\s.-]{0,3}(?:\(0\)[\s.-]{0,3})?|0)[1-9](?:(?:[\s.-]?\d{2}){4}|\d{2}(?:[\s.-]?\d{3}){2})$/".to_owned(),
        ),
        (
            "phone_uk",
            r"/^((((\+44|0044)\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3})|(((\+44|0044)\s?\d{3}|\(?0\d{3}\)?)\s?\d{3}\s?\d{4})|(((\+44|0044)\s?\d{2}|\(?0\d{2}\)?)\s?\d{4}\s?\d{4}))(\s?\#(\d{4}|\d{3}))?$/".to_owned(),
        ),
        ("postalcode_australia", r"/^\d{4}$/".to_owned()),
        (
            "postalcode_canada",
            r"/^[ABCEGHJKLMNPRSTVXY]{1}\d{1}[A-Z]{1}\s*\d{1}[A-Z]{1}\d{1}$/i".to_owned(),
        ),
        ("postalcode_french", r"/^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$/".to_owned()),
        ("postalcode_germany", r"/^(0[1-9]|[1-9]\d)\d{3}$/".to_owned()),
        (
            "postalcode_uk",
            r"/^(([A-Z]{1,2}\d{1,2})|([A-Z]{1,2}\d[A-Z])) \d[ABD-HJLNP-Z]{2}$/".to_owned(),
        ),
        ("ssn", r"/^\d{3}-\d\d-\d{4}$/".to_owned()),
        ("time", r"/^([0-9]|[0-1][0-9]|[2][0-3]):([0-5][0-9])$/".to_owned()),
        ("time_hh_mm_ss", r"/^(\d|[01]\d|(2[0-3]))(:[0-5]\d){2}$/".to_owned()),
        ("time_mm_ss", r"/^[0-5]\d:[0-5]\d$/".to_owned()),
        ("vmrn", r"/^[0-9]{4,9}$/".to_owned()),
        ("zipcode", r"/^\d{5}(-\d{4})?$/".to_owned()),
    ]
}

/// `content=fieldValidation`. The three formats are written by hand in
/// REDCap (CSV always quotes the regex; XML wraps it in CDATA unsplit).
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let types = types();
    let body = match ctx.format {
        Format::Json => {
            let items = types
                .iter()
                .map(|(name, regex)| {
                    let mut row = Map::new();
                    row.insert("validation_type".into(), Value::from(*name));
                    row.insert("regex".into(), Value::from(regex.as_str()));
                    Value::Object(row)
                })
                .collect();
            php_json(&Value::Array(items))
        }
        Format::Csv => {
            let mut out = String::from("validation_type,regex\n");
            for (name, regex) in &types {
                out.push_str(&format!("{name},\"{}\"\n", regex.replace('"', "\"\"")));
            }
            out
        }
        Format::Xml | Format::Odm => {
            let mut out =
                String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<field_validations>\n");
            for (name, regex) in &types {
                out.push_str(&format!(
                    "<field_validation><validation_type>{name}</validation_type><regex><![CDATA[{regex}]]></regex></field_validation>\n"
                ));
            }
            out.push_str("</field_validations>\n");
            out
        }
    };
    Ok(Reply::new(ctx.format, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_validation_is_listed_once() {
        let names: Vec<&str> = types().iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "table order is by name, no duplicates");
        for v in redcap_schema::Validation::ALL {
            let widget = v.data_type() == redcap_schema::validation::DataType::Widget;
            assert_eq!(names.contains(&v.as_str()), !widget, "{}", v.as_str());
        }
    }

    #[test]
    fn regexes_compile() {
        for (name, regex) in types() {
            let body = regex.trim_start_matches('/');
            let (body, flags) = body.rsplit_once('/').expect("delimited");
            let pattern = if flags.contains('i') {
                format!("(?i){body}")
            } else {
                body.to_owned()
            };
            // Back-references are not supported by the regex crate; the
            // patterns with them are checked for balance only.
            if !pattern.contains(r"\2") && !pattern.contains(r"\6") {
                assert!(regex::Regex::new(&pattern).is_ok(), "{name}: {pattern}");
            }
        }
    }
}
