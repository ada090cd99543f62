//! REDCap's field types, by their data-dictionary names.

use serde::{Deserialize, Serialize};

/// The type of a field, named as REDCap's data dictionary names it.
///
/// REDCap stores two types under older internal names (`textarea` for
/// [`FieldType::Notes`], `select` for [`FieldType::Dropdown`]); project XML
/// still carries those, and [`FieldType::from_name`] accepts both spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Single-line text, optionally with a validation type.
    Text,
    /// Multi-line text (`textarea` internally).
    Notes,
    /// Drop-down list (`select` internally).
    Dropdown,
    /// Radio buttons.
    Radio,
    /// Checkboxes: one export column per choice.
    Checkbox,
    /// Yes (`1`) / No (`0`).
    Yesno,
    /// True (`1`) / False (`0`).
    Truefalse,
    /// Calculated field (read-only, computed by REDCap).
    Calc,
    /// File upload (or signature).
    File,
    /// Slider (visual analogue scale), an integer within min..max.
    Slider,
    /// Descriptive text: no value at all.
    Descriptive,
    /// Drop-down filled by an SQL query (administrators only).
    Sql,
    /// REDCap's hidden "advanced checkbox": a single box stored as `0`/`1`.
    Advcheckbox,
}

impl FieldType {
    /// Every type, in REDCap's documentation order.
    pub const ALL: [FieldType; 13] = [
        FieldType::Text,
        FieldType::Notes,
        FieldType::Dropdown,
        FieldType::Radio,
        FieldType::Checkbox,
        FieldType::Yesno,
        FieldType::Truefalse,
        FieldType::Calc,
        FieldType::File,
        FieldType::Slider,
        FieldType::Descriptive,
        FieldType::Sql,
        FieldType::Advcheckbox,
    ];

    /// The data-dictionary name (`dropdown`, not `select`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Notes => "notes",
            FieldType::Dropdown => "dropdown",
            FieldType::Radio => "radio",
            FieldType::Checkbox => "checkbox",
            FieldType::Yesno => "yesno",
            FieldType::Truefalse => "truefalse",
            FieldType::Calc => "calc",
            FieldType::File => "file",
            FieldType::Slider => "slider",
            FieldType::Descriptive => "descriptive",
            FieldType::Sql => "sql",
            FieldType::Advcheckbox => "advcheckbox",
        }
    }

    /// The name REDCap stores internally and writes into project XML
    /// (`redcap:FieldType`).
    pub fn internal_name(self) -> &'static str {
        match self {
            FieldType::Notes => "textarea",
            FieldType::Dropdown => "select",
            other => other.as_str(),
        }
    }

    /// Parses a type name exactly as REDCap's dictionary import does: the
    /// legacy `textarea` and `select` are accepted, case matters.
    pub fn from_name(name: &str) -> Option<FieldType> {
        match name {
            "textarea" => Some(FieldType::Notes),
            "select" => Some(FieldType::Dropdown),
            _ => FieldType::ALL.into_iter().find(|t| t.as_str() == name),
        }
    }

    /// Whether the field's choices column holds `code, label` pairs.
    pub fn has_choices(self) -> bool {
        matches!(
            self,
            FieldType::Dropdown | FieldType::Radio | FieldType::Checkbox | FieldType::Advcheckbox
        )
    }

    /// Whether REDCap stores a value for the field (descriptive fields have none).
    pub fn has_value(self) -> bool {
        self != FieldType::Descriptive
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_names_map_to_dictionary_names() {
        assert_eq!(FieldType::from_name("textarea"), Some(FieldType::Notes));
        assert_eq!(FieldType::from_name("select"), Some(FieldType::Dropdown));
        assert_eq!(FieldType::from_name("Text"), None);
        for t in FieldType::ALL {
            assert_eq!(FieldType::from_name(t.as_str()), Some(t));
            assert_eq!(FieldType::from_name(t.internal_name()), Some(t));
        }
    }
}
