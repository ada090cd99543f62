//! REDCap's record-import rules about where a row belongs: its repeat
//! instrument and instance against the project's repeating setup, and which
//! forms' fields such a row may carry. The messages are REDCap 15.7.6's
//! (`data_import_tool_*` in its English language file), so a client's
//! preflight and the emulator say what REDCap says.

use crate::model::{Event, ProjectSchema};

/// REDCap's warning for a value sent for a `calc` field, which it skips
/// (`data_import_tool_197`).
pub const CALC_IGNORED: &str = "(calc) Calculated fields cannot be imported because they will be calculated automatically during the import process.  All calculated fields will simply be ignored during the import.";

/// REDCap's warning for a value sent for a `@CALCTEXT`/`@CALCDATE` field, which
/// it skips (`data_import_tool_297`).
pub const PSEUDO_CALC_IGNORED: &str = "(calc) Pseudo-calc fields (i.e., fields with the @CALCDATE or @CALCTEXT action tag) cannot be imported because they will be calculated automatically during the import process.  All calculated fields and pseudo-calc fields will simply be ignored during the import.";

/// REDCap's answer to repeat columns in a project where nothing repeats
/// (`data_import_tool_252`/`253`).
pub const NOT_REPEATING: &str = "ERROR: Trying to import repeat instance/instrument fields! The fields 'redcap_repeat_instrument' and 'redcap_repeat_instance' are reserved for when 'Repeating Instruments and Events' have been  enabled in a project. Since this project does not have that feature enabled, you must remove those two fields from your data file in order to import your data.";

/// Where an import row belongs, as its columns say (blank columns as `None`).
#[derive(Debug, Clone, Copy)]
pub struct RowPlace<'a> {
    /// The record name.
    pub record: &'a str,
    /// The row's event; `None` in a classic project.
    pub event: Option<&'a Event>,
    /// `redcap_repeat_instrument`.
    pub instrument: Option<&'a str>,
    /// `redcap_repeat_instance` (a number or `new`).
    pub instance: Option<&'a str>,
}

/// The repeat column a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatColumn {
    /// `redcap_repeat_instrument`.
    Instrument,
    /// `redcap_repeat_instance`.
    Instance,
}

impl RepeatColumn {
    /// The column's name.
    pub fn name(self) -> &'static str {
        match self {
            RepeatColumn::Instrument => "redcap_repeat_instrument",
            RepeatColumn::Instance => "redcap_repeat_instance",
        }
    }
}

/// A problem with a row's repeat columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatProblem {
    /// The column it is about.
    pub column: RepeatColumn,
    /// REDCap's message.
    pub message: String,
    /// Whether REDCap stops reading the payload at it and answers with this
    /// message alone, rather than listing it among the cells' errors.
    pub fatal: bool,
}

/// Whether the event repeats as a whole (only events of longitudinal projects do).
pub fn event_repeats(schema: &ProjectSchema, event: Option<&Event>) -> bool {
    schema.project.longitudinal
        && event.is_some_and(|event| {
            schema
                .repeating
                .events
                .iter()
                .any(|r| r.event == event.unique_name)
        })
}

/// Whether `form` is a repeating instrument in the event. A classic project has
/// one event, and REDCap files every repeating instrument under it whatever
/// event name the setup carries.
pub fn form_repeats(schema: &ProjectSchema, event: Option<&Event>, form: &str) -> bool {
    let event = event.map(|e| e.unique_name.as_str());
    schema
        .repeating
        .instruments
        .iter()
        .any(|r| r.form == form && (!schema.project.longitudinal || r.event.as_deref() == event))
}

/// The problems of a row's repeat columns. `overwrite` is the import's
/// `overwriteBehavior=overwrite`, under which REDCap does not check an instance
/// given on a row that does not repeat.
pub fn repeat_problems(
    schema: &ProjectSchema,
    place: &RowPlace<'_>,
    overwrite: bool,
) -> Vec<RepeatProblem> {
    let problem = |column, message: String, fatal| RepeatProblem {
        column,
        message,
        fatal,
    };
    let mut out = Vec::new();
    let RowPlace {
        record,
        event,
        instrument,
        instance,
    } = *place;
    if !schema.has_repeating() && (instrument.is_some() || instance.is_some()) {
        out.push(problem(
            RepeatColumn::Instrument,
            NOT_REPEATING.into(),
            true,
        ));
        return out;
    }
    let event_name = event.map_or("", |e| e.unique_name.as_str());
    let repeating_event = event_repeats(schema, event);
    if let Some(instrument) = instrument {
        if repeating_event {
            out.push(problem(RepeatColumn::Instrument, format!("(redcap_event_name=\"{event_name}\") redcap_repeat_instrument should not have a value. This is a Repeating Event, which must always have a blank value for the redcap_repeat_instrument field.  Please remove this value from the data import file and try again."), false));
        } else if !form_repeats(schema, event, instrument) {
            out.push(problem(RepeatColumn::Instrument, "redcap_repeat_instrument must be the unique form name of a Repeating Instrument. It currently does not match the unique form name of any Repeating Instruments.  Please fix this in the data import file and try again.".into(), false));
        }
    }
    match instance {
        Some(instance) => {
            let number = instance.parse::<u64>().ok().filter(|n| *n >= 1);
            if instance != "new" && number.is_none() {
                out.push(problem(RepeatColumn::Instance, format!("The record name ({record}) has an invalid value for 'redcap_repeat_instance'. The value must either be a positive integer or the value 'new'. Value provided: {instance}"), true));
            } else if number.is_some_and(|n| n > 32767) {
                let place = if schema.project.longitudinal {
                    format!("(redcap_event_name=\"{event_name}\")")
                } else {
                    format!(
                        "(redcap_repeat_instrument=\"{}\")",
                        instrument.unwrap_or("")
                    )
                };
                out.push(problem(RepeatColumn::Instance, format!("{place} redcap_repeat_instance must have a numeric value between '1' and '32767' for any Repeating Event or Repeating Instrument.  Please add a valid numeric value to redcap_repeat_instance in the data import file and try again."), false));
            } else if instrument.is_none() && !repeating_event {
                if !schema.project.longitudinal {
                    out.push(problem(RepeatColumn::Instance, format!("The record name ({record}) with redcap_repeat_instance \"{instance}\" cannot be imported. This is because the field 'redcap_repeat_instrument' could not be found in the data import fields or because it has a blank value.  In order to import data for a repeating instrument, the field 'redcap_repeat_instrument' is required in the imported data set."), true));
                } else if !overwrite {
                    out.push(problem(RepeatColumn::Instance, "redcap_repeat_instance cannot have a value since this instrument or event is not a repeating instrument or repeating event, respectively.  The redcap_repeat_instance field must be left blank for this row of data.".into(), false));
                }
            }
        }
        None if repeating_event => {
            out.push(problem(RepeatColumn::Instance, format!("The record name ({record}) with event \"{event_name}\" cannot be imported. This is because this event is a repeating event, but the field 'redcap_repeat_instance' could not be found in the data import fields.  In order to import data for a repeating event, the field 'redcap_repeat_instance' is required in the imported data set."), true));
        }
        None => {}
    }
    out
}

/// Whether a row may carry a value of `field` (on `form`): not on another form
/// than the row's repeating instrument, and a repeating instrument's field only
/// on one of its instances. `Some` is REDCap's message for the cell.
pub fn repeat_field_problem(
    schema: &ProjectSchema,
    place: &RowPlace<'_>,
    field: &str,
    form: &str,
) -> Option<String> {
    match place.instrument {
        Some(instrument) if instrument != form => Some(format!(
            "This field ('{field}') does not exist on the Repeating Instrument named '{instrument}'. You are not allowed to import data for this field into this Repeating Instrument."
        )),
        _ if form_repeats(schema, place.event, form)
            && !event_repeats(schema, place.event)
            && (place.instrument.is_none() || place.instance.is_none()) =>
        {
            Some(format!(
                "This field ('{field}') exists on a Repeating Instrument named '{form}'. However, the fields 'redcap_repeat_instance' and/or 'redcap_repeat_instrument' for this row of data have no value, which are both required for importing data into a Repeating Instrument.  You are not allowed to import data for this field into a non-repeating instrument."
            ))
        }
        _ => None,
    }
}
