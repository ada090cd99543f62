//! Typed success bodies of the non-record methods.
//!
//! REDCap's JSON mixes strings and numbers for the same attribute across versions (an
//! `arm_num` may be `1` or `"1"`), so numeric attributes accept both. Attributes a
//! REDCap version adds beyond the ones named here are kept in `extra`, in order, so an
//! export can be imported back without losing anything.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Attributes not named by a struct, kept as REDCap sent them.
pub type Extra = IndexMap<String, serde_json::Value>;

/// One row of the data dictionary (`export_metadata`, `import_metadata`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetadataField {
    /// Variable name.
    pub field_name: String,
    /// Unique instrument name.
    pub form_name: String,
    /// Section header shown above the field.
    #[serde(default)]
    pub section_header: String,
    /// REDCap field type (`text`, `radio`, `checkbox`, …).
    pub field_type: String,
    /// Field label.
    #[serde(default)]
    pub field_label: String,
    /// Choices (`1, Yes | 0, No`), a calculation, or slider labels.
    #[serde(default)]
    pub select_choices_or_calculations: String,
    /// Field note.
    #[serde(default)]
    pub field_note: String,
    /// Validation type of a text field, or `number` for a slider showing its value.
    #[serde(default)]
    pub text_validation_type_or_show_slider_number: String,
    /// Validation minimum.
    #[serde(default)]
    pub text_validation_min: String,
    /// Validation maximum.
    #[serde(default)]
    pub text_validation_max: String,
    /// `y` when the field is an identifier.
    #[serde(default)]
    pub identifier: String,
    /// Branching logic.
    #[serde(default)]
    pub branching_logic: String,
    /// `y` when the field is required.
    #[serde(default)]
    pub required_field: String,
    /// Custom alignment (`RV`, `RH`, `LV`, `LH`).
    #[serde(default)]
    pub custom_alignment: String,
    /// Question number (surveys).
    #[serde(default)]
    pub question_number: String,
    /// Matrix group name.
    #[serde(default)]
    pub matrix_group_name: String,
    /// `y` when the matrix is ranked.
    #[serde(default)]
    pub matrix_ranking: String,
    /// Field annotation (action tags and notes).
    #[serde(default)]
    pub field_annotation: String,
    /// Anything else REDCap sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One export column of a field (`export_field_names`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportFieldName {
    /// The field's variable name.
    pub original_field_name: String,
    /// The checkbox choice code, or empty for other fields.
    #[serde(default)]
    pub choice_value: String,
    /// The export column name (`field___code` for checkboxes).
    pub export_field_name: String,
}

/// One instrument (`export_instruments`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Instrument {
    /// Unique instrument name.
    pub instrument_name: String,
    /// Instrument label.
    pub instrument_label: String,
}

/// An instrument designated for an event (`export_instrument_event_mappings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FormEventMapping {
    /// Arm number.
    #[serde(with = "flex::u64")]
    pub arm_num: u64,
    /// Unique event name.
    pub unique_event_name: String,
    /// Unique instrument name.
    pub form: String,
}

/// A repeating instrument or event (`export_repeating_instruments_events`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RepeatingInstrumentEvent {
    /// Unique event name (longitudinal projects only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// Unique instrument name; empty when the whole event repeats.
    #[serde(default)]
    pub form_name: String,
    /// Custom label of each instance (may pipe field values).
    #[serde(default)]
    pub custom_form_label: String,
}

/// An event of a longitudinal project (`export_events`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// Event label.
    pub event_name: String,
    /// Arm number.
    #[serde(with = "flex::u64")]
    pub arm_num: u64,
    /// Unique event name (e.g. `baseline_arm_1`).
    #[serde(default)]
    pub unique_event_name: String,
    /// Custom event label.
    #[serde(default)]
    pub custom_event_label: String,
    /// REDCap's numeric event id.
    #[serde(
        default,
        with = "flex::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<u64>,
    /// Scheduling offsets and anything else REDCap sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An arm (`export_arms`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Arm {
    /// Arm number.
    #[serde(with = "flex::u64")]
    pub arm_num: u64,
    /// Arm name.
    pub name: String,
}

/// A Data Access Group (`export_dags`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Dag {
    /// Display name.
    pub data_access_group_name: String,
    /// Unique group name.
    #[serde(default)]
    pub unique_group_name: String,
    /// REDCap's numeric group id.
    #[serde(
        default,
        with = "flex::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_access_group_id: Option<u64>,
}

/// A user's DAG (`export_user_dag_assignments`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserDagAssignment {
    /// User name.
    pub username: String,
    /// Unique group name, or empty for none.
    #[serde(default)]
    pub redcap_data_access_group: String,
}

/// A project user and their rights (`export_users`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// User name.
    pub username: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// First name.
    #[serde(default)]
    pub firstname: String,
    /// Last name.
    #[serde(default)]
    pub lastname: String,
    /// Expiration date (`YYYY-MM-DD`) or empty.
    #[serde(default)]
    pub expiration: String,
    /// Unique name of the user's DAG, or empty.
    #[serde(default)]
    pub data_access_group: String,
    /// Every right REDCap reports (design, user_rights, api_export, forms, forms_export, …).
    #[serde(flatten)]
    pub rights: Extra,
}

/// A user role (`export_user_roles`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserRole {
    /// Unique role name.
    #[serde(default)]
    pub unique_role_name: String,
    /// Role label.
    pub role_label: String,
    /// Every right REDCap reports.
    #[serde(flatten)]
    pub rights: Extra,
}

/// A user's role (`export_user_role_assignments`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserRoleAssignment {
    /// User name.
    pub username: String,
    /// Unique role name, or empty for none.
    #[serde(default)]
    pub unique_role_name: String,
    /// Unique DAG name (REDCap 15.8.2 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access_group: Option<String>,
}

/// Project settings (`export_project_info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProjectInfo {
    /// REDCap's project id.
    #[serde(with = "flex::u64")]
    pub project_id: u64,
    /// Project title.
    pub project_title: String,
    /// Whether the project is longitudinal.
    #[serde(default, with = "flex::flag")]
    pub is_longitudinal: bool,
    /// Whether any instrument or event repeats.
    #[serde(default, with = "flex::flag")]
    pub has_repeating_instruments_or_events: bool,
    /// Whether surveys are enabled.
    #[serde(default, with = "flex::flag")]
    pub surveys_enabled: bool,
    /// Whether the project is in production.
    #[serde(default, with = "flex::flag")]
    pub in_production: bool,
    /// Whether new records are auto-numbered.
    #[serde(default, with = "flex::flag")]
    pub record_autonumbering_enabled: bool,
    /// Every other setting REDCap reports (creation_time, purpose, missing_data_codes, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// The allocation of a randomised record (`randomize_record`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Randomization {
    /// The record.
    #[serde(with = "flex::string")]
    pub record: String,
    /// The randomisation id.
    #[serde(with = "flex::string")]
    pub randomization_id: String,
    /// The allocated value (a choice code of the target field).
    #[serde(with = "flex::string")]
    pub target_field: String,
    /// Everything else (target_field_name, target_field_alt, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A folder just created in the File Repository (`create_file_repository_folder`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewFolder {
    /// The new folder's id.
    #[serde(with = "flex::u64")]
    pub folder_id: u64,
}

/// A folder or file in a File Repository folder (`list_file_repository`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RepositoryEntry {
    /// Set for folders.
    #[serde(
        default,
        with = "flex::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub folder_id: Option<u64>,
    /// Set for files.
    #[serde(
        default,
        with = "flex::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub doc_id: Option<u64>,
    /// Folder or file name.
    pub name: String,
    /// Anything else REDCap sent (role and DAG restrictions on newer servers).
    #[serde(flatten)]
    pub extra: Extra,
}

/// One logged event (`export_logging`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogEntry {
    /// Server time, `YYYY-MM-DD HH:MM`.
    pub timestamp: String,
    /// Who did it.
    pub username: String,
    /// What was done.
    pub action: String,
    /// Details (changed values, SQL-like descriptions).
    #[serde(default)]
    pub details: String,
    /// The record concerned, if any.
    #[serde(default, with = "flex::string")]
    pub record: String,
    /// Reason for change, when the project requires one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One survey participant (`export_survey_participant_list`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SurveyParticipant {
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Participant identifier.
    #[serde(default)]
    pub identifier: String,
    /// The record, once the participant has one.
    #[serde(default, with = "flex::string")]
    pub record: String,
    /// Survey access code.
    #[serde(default)]
    pub survey_access_code: String,
    /// Survey link.
    #[serde(default)]
    pub survey_link: String,
    /// Everything else (invitation status, response status, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A text validation type of the server (`export_field_validation_types`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ValidationType {
    /// Validation name (`date_ymd`, `integer`, …).
    pub validation_type: String,
    /// The JavaScript regular expression REDCap checks with.
    #[serde(default)]
    pub regex: String,
}

/// Size and name of a stored file (`export_file_info`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileInfo {
    /// Size in bytes.
    #[serde(with = "flex::u64")]
    pub size: u64,
    /// Original file name.
    pub name: String,
}

/// Deserialisers that accept REDCap's numbers as JSON numbers or strings.
mod flex {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    struct Text;

    impl Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an integer")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(if v { "1" } else { "0" }.to_string())
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }

    fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_any(Text)
    }

    pub(super) mod string {
        use serde::{Deserializer, Serializer};
        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            super::text(d)
        }
        pub(crate) fn serialize<S: Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(v)
        }
    }

    pub(super) mod u64 {
        use serde::de::Error;
        use serde::{Deserializer, Serializer};
        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
            let text = super::text(d)?;
            text.trim()
                .parse()
                .map_err(|_| D::Error::custom(format!("`{text}` is not a whole number")))
        }
        pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(*v)
        }
    }

    pub(super) mod opt_u64 {
        use serde::de::Error;
        use serde::{Deserializer, Serializer};
        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<u64>, D::Error> {
            let text = super::text(d)?;
            if text.trim().is_empty() {
                return Ok(None);
            }
            text.trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("`{text}` is not a whole number")))
        }
        pub(crate) fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_u64(*v),
                None => s.serialize_none(),
            }
        }
    }

    pub(super) mod flag {
        use serde::de::Error;
        use serde::{Deserializer, Serializer};
        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
            match super::text(d)?.trim() {
                "1" | "true" => Ok(true),
                "0" | "false" | "" => Ok(false),
                other => Err(D::Error::custom(format!("`{other}` is not 0 or 1"))),
            }
        }
        pub(crate) fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u8(u8::from(*v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_arrive_as_numbers_or_strings() {
        let arms: Vec<Arm> =
            serde_json::from_str(r#"[{"arm_num":1,"name":"A"},{"arm_num":"2","name":"B"}]"#)
                .unwrap();
        assert_eq!(arms[1].arm_num, 2);
        let info: ProjectInfo = serde_json::from_str(
            r#"{"project_id":"12","project_title":"T","is_longitudinal":1,"surveys_enabled":"0","purpose":"2"}"#,
        )
        .unwrap();
        assert!(info.is_longitudinal && !info.surveys_enabled);
        assert_eq!(info.extra["purpose"], "2");
    }

    #[test]
    fn unknown_attributes_survive_a_round_trip() {
        let text = r#"{"username":"alice","email":"a@x","firstname":"","lastname":"","expiration":"","data_access_group":"","design":1,"forms":{"demo":1}}"#;
        let user: User = serde_json::from_str(text).unwrap();
        assert_eq!(user.rights["forms"]["demo"], 1);
        assert_eq!(serde_json::to_string(&user).unwrap(), text);
    }
}
