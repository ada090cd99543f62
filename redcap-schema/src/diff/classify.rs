//! Classification of the changes whose impact depends on the values: field
//! types, validation types and bounds. Each answer comes with its reason.
//!
//! The question asked is always the same: is every value the field could
//! hold before still a value of the field, with the same meaning?

use std::cmp::Ordering;

use crate::choices::is_php_numeric;
use crate::field_type::FieldType;
use crate::model::Field;
use crate::validation::{DataType, Validation};

use super::model::Impact;

/// The impact of a change of field type.
pub(crate) fn field_type(old: &Field, new: &Field) -> (Impact, String) {
    use FieldType::*;
    let (from, to) = (old.field_type, new.field_type);
    let single_choice = |t| matches!(t, Dropdown | Radio | Yesno | Truefalse);
    let free_text =
        |f: &Field| f.field_type == Notes || (f.field_type == Text && f.validation.is_none());
    if from == Descriptive {
        return (
            Impact::Compatible,
            "a descriptive field held no data, so no stored value is affected; the field now takes values".into(),
        );
    }
    if to == Descriptive {
        return (
            Impact::Breaking,
            "a descriptive field holds no data: the values stored in this field are no longer exported".into(),
        );
    }
    if single_choice(from) && single_choice(to) {
        return (
            Impact::Compatible,
            format!(
                "`{from}` and `{to}` both store one choice code, so stored answers keep their meaning; changes to the codes themselves are listed separately"
            ),
        );
    }
    if matches!(from, Text | Notes | Calc | Slider) && free_text(new) {
        return (
            Impact::Compatible,
            format!(
                "every value of a `{from}` field is valid free text, so stored values stay as they are"
            ),
        );
    }
    if from.has_choices() || matches!(from, Yesno | Truefalse) {
        return (
            Impact::Breaking,
            format!(
                "stored answers are choice codes; as a `{to}` field they lose their labels or no longer fit"
            ),
        );
    }
    (
        Impact::Breaking,
        format!(
            "values stored by a `{from}` field are not values of a `{to}` field: they cannot be read as before"
        ),
    )
}

/// The impact of a change of validation type, given the new field type.
pub(crate) fn validation(
    old: Option<Validation>,
    new: Option<Validation>,
    new_type: FieldType,
) -> (Impact, String) {
    let widget = |v: Option<Validation>| {
        v.is_none_or(|v| v.data_type() == DataType::Widget) || new_type == FieldType::Slider
    };
    if widget(old) && widget(new) && (old.is_some() || new.is_some()) && new_type != FieldType::Text
    {
        return (
            Impact::Cosmetic,
            "only the input widget changes (`autocomplete`, `signature`, a slider's shown value); stored values are unchanged".into(),
        );
    }
    match (old, new) {
        (Some(o), None) => (
            Impact::Compatible,
            format!("the validation is removed: every value valid as `{o}` is still valid"),
        ),
        (None, Some(n)) => (
            Impact::Breaking,
            format!(
                "REDCap does not re-check stored values when validation is added: existing free text may not be a valid `{n}`, and types generated for `{n}` cannot read it"
            ),
        ),
        (Some(o), Some(n)) if o.data_type() == n.data_type() && same_wire_format(o.data_type()) => {
            (
                Impact::Cosmetic,
                format!(
                    "`{o}` and `{n}` differ only in display order; REDCap stores and exports both in the same Y-M-D format"
                ),
            )
        }
        (Some(o), Some(n)) if widens(o, n) => (
            Impact::Compatible,
            format!(
                "widened: every value valid as `{o}` is valid as `{n}` (regenerate types to read the new values)"
            ),
        ),
        (Some(o), Some(n)) => (
            Impact::Breaking,
            format!(
                "values valid as `{o}` are not all valid as `{n}`, and REDCap does not re-check stored values"
            ),
        ),
        (None, None) => (Impact::Cosmetic, String::new()),
    }
}

fn same_wire_format(data_type: DataType) -> bool {
    matches!(
        data_type,
        DataType::Date | DataType::Datetime | DataType::DatetimeSeconds
    )
}

/// Whether every value REDCap accepts for `old` it also accepts for `new`,
/// from the validation regexes of REDCap 15.7.6.
fn widens(old: Validation, new: Validation) -> bool {
    use Validation::*;
    let fixed_decimals = [Number1dp, Number2dp, Number3dp, Number4dp];
    let fixed_comma_decimals = [
        Number1dpCommaDecimal,
        Number2dpCommaDecimal,
        Number3dpCommaDecimal,
        Number4dpCommaDecimal,
    ];
    match new {
        Number => old == Integer || fixed_decimals.contains(&old),
        NumberCommaDecimal => old == Integer || fixed_comma_decimals.contains(&old),
        MrnGeneric => matches!(old, Mrn10d | Vmrn | AlphaOnly),
        _ => false,
    }
}

/// Which bound of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Min,
    Max,
}

/// The impact of a change of the minimum or maximum of `new`.
pub(crate) fn bound(
    which: Bound,
    old: Option<&str>,
    new: Option<&str>,
    field: &Field,
) -> (Impact, String) {
    let slider = field.field_type == FieldType::Slider;
    // A slider without bounds runs from 0 to 100.
    let default = match (slider, which) {
        (true, Bound::Min) => Some("0"),
        (true, Bound::Max) => Some("100"),
        (false, _) => None,
    };
    let (old, new) = (old.or(default), new.or(default));
    let hard = slider
        || field
            .annotation
            .as_deref()
            .is_some_and(|a| a.contains("@FORCE-MINMAX"));
    let widened = match (old, new) {
        (_, None) => Some(true),
        (None, Some(_)) => Some(false),
        (Some(o), Some(n)) => compare_bounds(o, n).map(|ord| match which {
            // A lower minimum or a higher maximum admits more values.
            Bound::Min => ord != Ordering::Greater,
            Bound::Max => ord != Ordering::Less,
        }),
    };
    let name = match which {
        Bound::Min => "minimum",
        Bound::Max => "maximum",
    };
    match (widened, hard) {
        (Some(true), _) => (
            Impact::Compatible,
            format!(
                "the range is widened: every value within the old {name} is within the new one"
            ),
        ),
        (Some(false), true) => (
            Impact::Breaking,
            format!(
                "the range is narrowed and enforced (slider or `@FORCE-MINMAX`): stored values beyond the new {name} can no longer be imported back"
            ),
        ),
        (None, true) => (
            Impact::Breaking,
            format!(
                "the {name} is enforced and the two bounds cannot be compared, so stored values may fall outside the new range"
            ),
        ),
        (Some(false), false) => (
            Impact::Compatible,
            format!(
                "the range is narrowed, but REDCap only warns about a text field's values beyond its {name}: stored values stay valid"
            ),
        ),
        (None, false) => (
            Impact::Compatible,
            format!(
                "the bounds cannot be compared (a piped field, `today` or a mixed format), but REDCap only warns about values beyond a text field's {name}"
            ),
        ),
    }
}

/// How `old` compares with `new` as REDCap compares bounds: as numbers if
/// both are numeric, else as text (dates and times in Y-M-D order compare
/// correctly as text); `None` for bounds resolved only at run time.
fn compare_bounds(old: &str, new: &str) -> Option<Ordering> {
    let dynamic = |b: &str| b.contains('[') || matches!(b.trim(), "today" | "now");
    if dynamic(old) || dynamic(new) {
        return None;
    }
    if is_php_numeric(old) && is_php_numeric(new) {
        // Only compared, never written back, so f64 is precise enough.
        let (o, n): (f64, f64) = (old.trim().parse().ok()?, new.trim().parse().ok()?);
        return n.partial_cmp(&o);
    }
    if is_php_numeric(old) != is_php_numeric(new) || old.len() != new.len() {
        return None;
    }
    Some(new.cmp(old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validations() {
        use Validation::*;
        let t = FieldType::Text;
        assert_eq!(
            validation(Some(Integer), Some(Number), t).0,
            Impact::Compatible
        );
        assert_eq!(
            validation(Some(Number), Some(Integer), t).0,
            Impact::Breaking
        );
        assert_eq!(
            validation(Some(DateMdy), Some(DateYmd), t).0,
            Impact::Cosmetic
        );
        assert_eq!(
            validation(Some(DateYmd), Some(DatetimeYmd), t).0,
            Impact::Breaking
        );
        assert_eq!(validation(None, Some(Email), t).0, Impact::Breaking);
        assert_eq!(validation(Some(Email), None, t).0, Impact::Compatible);
        assert_eq!(
            validation(None, Some(Autocomplete), FieldType::Dropdown).0,
            Impact::Cosmetic
        );
    }

    #[test]
    fn lower_minimum_and_higher_maximum_widen() {
        let field = redcap_schema_field();
        assert_eq!(
            bound(Bound::Min, Some("35"), Some("30"), &field).0,
            Impact::Compatible
        );
        assert!(
            bound(Bound::Min, Some("35"), Some("40"), &field)
                .1
                .contains("narrowed")
        );
        assert!(
            bound(Bound::Max, Some("200"), Some("250"), &field)
                .1
                .contains("widened")
        );
        assert!(
            bound(Bound::Max, Some("200"), Some("150"), &field)
                .1
                .contains("narrowed")
        );
        let slider = Field {
            field_type: FieldType::Slider,
            ..field
        };
        assert_eq!(
            bound(Bound::Min, None, Some("10"), &slider).0,
            Impact::Breaking
        );
        assert_eq!(
            bound(Bound::Max, Some("90"), None, &slider).0,
            Impact::Compatible
        );
    }

    fn redcap_schema_field() -> Field {
        let csv =
            "field_name,form_name,section_header,field_type,field_label\nweight,f,,text,Weight\n";
        crate::read(csv.as_bytes(), "d.csv").unwrap().forms[0].fields[0].clone()
    }

    #[test]
    fn bounds_compare_as_redcap_does() {
        assert_eq!(compare_bounds("10", "9.5"), Some(Ordering::Less));
        assert_eq!(
            compare_bounds("2020-01-01", "2019-12-31"),
            Some(Ordering::Less)
        );
        assert_eq!(compare_bounds("today", "2019-12-31"), None);
        assert_eq!(compare_bounds("[dob]", "2019-12-31"), None);
        assert_eq!(compare_bounds("5", "2019-12-31"), None);
    }
}
