//! `content=fieldValidation`: the server's text validation types
//! (`redcap_validation_types`) with their JavaScript regexes, as the
//! REDCap Mobile App reads them.
//!
//! The names and regexes are those a REDCap 15.0 server publishes for its
//! built-in types (its `window.REDCap.validations`), in the order
//! `getValTypes()` returns them: by label, in MySQL's Unicode collation
//! (so `postalcode_french`, "Code Postal …", comes first).

use serde_json::{Map, Value};

use crate::context::Ctx;
use crate::format::{Format, php_json};
use crate::reply::{ApiError, Reply};

/// Every built-in type and its JavaScript regex, in REDCap's order.
const TYPES: &[(&str, &str)] = &[
    (
        "postalcode_french",
        r#"/^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$/"#,
    ),
    (
        "date_dmy",
        r#"/^((29([-\/])02\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1\d|2[0-8])([-\/])(0[1-9]|1[012]))|((29|30)([-\/])(0[13-9]|1[012]))|(31([-\/])(0[13578]|1[02])))(\11|\15|\18)\d{4}))$/"#,
    ),
    (
        "date_mdy",
        r#"/^((02([-\/])29\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1[012])([-\/])(0[1-9]|1\d|2[0-8]))|((0[13-9]|1[012])([-\/])(29|30))|((0[13578]|1[02])([-\/])31))(\11|\15|\19)\d{4}))$/"#,
    ),
    (
        "date_ymd",
        r#"/^(((\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00))([-\/])02(\6)29)|(\d{4}([-\/])((0[1-9]|1[012])(\9)(0[1-9]|1\d|2[0-8])|((0[13-9]|1[012])(\9)(29|30))|((0[13578]|1[02])(\9)31))))$/"#,
    ),
    (
        "datetime_dmy",
        r#"/^((29([-\/])02\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1\d|2[0-8])([-\/])(0[1-9]|1[012]))|((29|30)([-\/])(0[13-9]|1[012]))|(31([-\/])(0[13578]|1[02])))(\11|\15|\18)\d{4})) (\d|[0-1]\d|[2][0-3]):[0-5]\d$/"#,
    ),
    (
        "datetime_mdy",
        r#"/^((02([-\/])29\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1[012])([-\/])(0[1-9]|1\d|2[0-8]))|((0[13-9]|1[012])([-\/])(29|30))|((0[13578]|1[02])([-\/])31))(\11|\15|\19)\d{4})) (\d|[0-1]\d|[2][0-3]):[0-5]\d$/"#,
    ),
    (
        "datetime_ymd",
        r#"/^(((\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00))([-\/])02(\6)29)|(\d{4}([-\/])((0[1-9]|1[012])(\9)(0[1-9]|1\d|2[0-8])|((0[13-9]|1[012])(\9)(29|30))|((0[13578]|1[02])(\9)31)))) (\d|[0-1]\d|[2][0-3]):[0-5]\d$/"#,
    ),
    (
        "datetime_seconds_dmy",
        r#"/^((29([-\/])02\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1\d|2[0-8])([-\/])(0[1-9]|1[012]))|((29|30)([-\/])(0[13-9]|1[012]))|(31([-\/])(0[13578]|1[02])))(\11|\15|\18)\d{4})) (\d|[0-1]\d|[2][0-3])(:[0-5]\d){2}$/"#,
    ),
    (
        "datetime_seconds_mdy",
        r#"/^((02([-\/])29\3(\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00)))|((((0[1-9]|1[012])([-\/])(0[1-9]|1\d|2[0-8]))|((0[13-9]|1[012])([-\/])(29|30))|((0[13578]|1[02])([-\/])31))(\11|\15|\19)\d{4})) (\d|[0-1]\d|[2][0-3])(:[0-5]\d){2}$/"#,
    ),
    (
        "datetime_seconds_ymd",
        r#"/^(((\d{2}([13579][26]|[2468][048]|04|08)|(1600|2[048]00))([-\/])02(\6)29)|(\d{4}([-\/])((0[1-9]|1[012])(\9)(0[1-9]|1\d|2[0-8])|((0[13-9]|1[012])(\9)(29|30))|((0[13578]|1[02])(\9)31)))) (\d|[0-1]\d|[2][0-3])(:[0-5]\d){2}$/"#,
    ),
    (
        "email",
        r#"/^(?!\.)((?!.*\.{2})[a-zA-Z0-9\u0080-\u02AF\u0300-\u07FF\u0900-\u18AF\u1900-\u1A1F\u1B00-\u1B7F\u1D00-\u1FFF\u20D0-\u214F\u2C00-\u2DDF\u2F00-\u2FDF\u2FF0-\u2FFF\u3040-\u319F\u31C0-\uA4CF\uA700-\uA71F\uA800-\uA82F\uA840-\uA87F\uAC00-\uD7AF\uF900-\uFAFF!#$%&'*+\-/=?^_`{|}~\d]+)(\.[a-zA-Z0-9\u0080-\u02AF\u0300-\u07FF\u0900-\u18AF\u1900-\u1A1F\u1B00-\u1B7F\u1D00-\u1FFF\u20D0-\u214F\u2C00-\u2DDF\u2F00-\u2FDF\u2FF0-\u2FFF\u3040-\u319F\u31C0-\uA4CF\uA700-\uA71F\uA800-\uA82F\uA840-\uA87F\uAC00-\uD7AF\uF900-\uFAFF!#$%&'*+\-/=?^_`{|}~\d]+)*@(?!\.)([a-zA-Z0-9\u0080-\u02AF\u0300-\u07FF\u0900-\u18AF\u1900-\u1A1F\u1B00-\u1B7F\u1D00-\u1FFF\u20D0-\u214F\u2C00-\u2DDF\u2F00-\u2FDF\u2FF0-\u2FFF\u3040-\u319F\u31C0-\uA4CF\uA700-\uA71F\uA800-\uA82F\uA840-\uA87F\uAC00-\uD7AF\uF900-\uFAFF\-\.\d]+)((\.([a-zA-Z\u0080-\u02AF\u0300-\u07FF\u0900-\u18AF\u1900-\u1A1F\u1B00-\u1B7F\u1D00-\u1FFF\u20D0-\u214F\u2C00-\u2DDF\u2F00-\u2FDF\u2FF0-\u2FFF\u3040-\u319F\u31C0-\uA4CF\uA700-\uA71F\uA800-\uA82F\uA840-\uA87F\uAC00-\uD7AF\uF900-\uFAFF]){2,63})+)$/i"#,
    ),
    ("integer", r#"/^[-+]?\b\d+\b$/"#),
    ("alpha_only", r#"/^[a-z]+$/i"#),
    ("mrn_10d", r#"/^\d{10}$/"#),
    ("mrn_generic", r#"/^[a-z0-9-_]+$/i"#),
    ("number", r#"/^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/"#),
    ("number_1dp_comma_decimal", r#"/^-?\d+,\d$/"#),
    ("number_1dp", r#"/^-?\d+\.\d$/"#),
    ("number_2dp_comma_decimal", r#"/^-?\d+,\d{2}$/"#),
    ("number_2dp", r#"/^-?\d+\.\d{2}$/"#),
    ("number_3dp_comma_decimal", r#"/^-?\d+,\d{3}$/"#),
    ("number_3dp", r#"/^-?\d+\.\d{3}$/"#),
    ("number_4dp_comma_decimal", r#"/^-?\d+,\d{4}$/"#),
    ("number_4dp", r#"/^-?\d+\.\d{4}$/"#),
    (
        "number_comma_decimal",
        r#"/^[-+]?[0-9]*,?[0-9]+([eE][-+]?[0-9]+)?$/"#,
    ),
    (
        "phone_australia",
        r#"/^(\(0[2-8]\)|0[2-8])\s*\d{4}\s*\d{4}$/"#,
    ),
    (
        "phone_france",
        r#"/^(?:(?:\+|00)(?:33|262|508|590|594|596|687)[\s.-]{0,3}(?:\(0\)[\s.-]{0,3})?|0)[1-9](?:(?:[\s.-]?\d{2}){4}|\d{2}(?:[\s.-]?\d{3}){2})$/"#,
    ),
    (
        "phone",
        r#"/^(?:\(?([2-9]0[1-9]|[2-9]1[02-9]|[2-9][2-9][0-9]|800|811)\)?)\s*(?:[.-]\s*)?([0-9]{3})\s*(?:[.-]\s*)?([0-9]{4})(?:\s*(?:#|x\.?|ext\.?|extension)\s*(\d+))?$/"#,
    ),
    (
        "phone_uk",
        r#"/^((((\+44|0044)\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3})|(((\+44|0044)\s?\d{3}|\(?0\d{3}\)?)\s?\d{3}\s?\d{4})|(((\+44|0044)\s?\d{2}|\(?0\d{2}\)?)\s?\d{4}\s?\d{4}))(\s?\#(\d{4}|\d{3}))?$/"#,
    ),
    ("postalcode_australia", r#"/^\d{4}$/"#),
    (
        "postalcode_canada",
        r#"/^[ABCEGHJKLMNPRSTVXY]{1}\d{1}[A-Z]{1}\s*\d{1}[A-Z]{1}\d{1}$/i"#,
    ),
    ("postalcode_germany", r#"/^(0[1-9]|[1-9]\d)\d{3}$/"#),
    (
        "postalcode_uk",
        r#"/^(([A-Z]{1,2}\d{1,2})|([A-Z]{1,2}\d[A-Z])) \d[ABD-HJLNP-Z]{2}$/"#,
    ),
    ("ssn", r#"/^\d{3}-\d\d-\d{4}$/"#),
    ("time_hh_mm_ss", r#"/^(\d|[01]\d|(2[0-3]))(:[0-5]\d){2}$/"#),
    ("time", r#"/^([0-9]|[0-1][0-9]|[2][0-3]):([0-5][0-9])$/"#),
    ("time_mm_ss", r#"/^[0-5]\d:[0-5]\d$/"#),
    ("vmrn", r#"/^[0-9]{4,9}$/"#),
    ("zipcode", r#"/^\d{5}(-\d{4})?$/"#),
];

/// `content=fieldValidation`. The three formats are written by hand in
/// REDCap (CSV always quotes the regex; XML wraps it in CDATA unsplit).
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let types = TYPES;
    let body = match ctx.format {
        Format::Json => {
            let items = types
                .iter()
                .map(|(name, regex)| {
                    let mut row = Map::new();
                    row.insert("validation_type".into(), Value::from(*name));
                    row.insert("regex".into(), Value::from(*regex));
                    Value::Object(row)
                })
                .collect();
            php_json(&Value::Array(items))
        }
        Format::Csv => {
            let mut out = String::from("validation_type,regex\n");
            for (name, regex) in types {
                out.push_str(&format!("{name},\"{}\"\n", regex.replace('"', "\"\"")));
            }
            out
        }
        Format::Xml | Format::Odm => {
            let mut out =
                String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<field_validations>\n");
            for (name, regex) in types {
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
        let names: Vec<&str> = TYPES.iter().map(|(n, _)| *n).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "no duplicates");
        for v in redcap_schema::Validation::ALL {
            let widget = v.data_type() == redcap_schema::validation::DataType::Widget;
            assert_eq!(names.contains(&v.as_str()), !widget, "{}", v.as_str());
        }
    }

    #[test]
    fn regexes_are_delimited() {
        for (name, regex) in TYPES {
            assert!(regex.starts_with("/^"), "{name}");
            assert!(regex.ends_with("$/") || regex.ends_with("$/i"), "{name}");
        }
    }
}
