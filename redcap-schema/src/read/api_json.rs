//! The API's JSON exports that, with the metadata, describe a live project:
//! project info, arms, events, form–event mappings, repeating setup,
//! instruments and data access groups.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::choices::parse_choices;
use crate::error::Error;
use crate::model::{Arm, Dag, Event, ProjectInfo, Repeating, RepeatingEvent, RepeatingInstrument};
use crate::read::json_util::{scalar_text, shape_error};

/// One row of `content=formEventMapping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Arm number.
    pub arm: u32,
    /// Unique event name.
    pub event: String,
    /// Form name.
    pub form: String,
}

/// What a JSON array from the API holds, told from the keys of its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiArray {
    Arms,
    Events,
    Mappings,
    Repeating,
    Instruments,
    Dags,
}

impl ApiArray {
    pub(crate) fn detect(item: &Map<String, Value>) -> Option<ApiArray> {
        let has = |k: &str| item.contains_key(k);
        if has("unique_event_name") && has("event_name") {
            Some(ApiArray::Events)
        } else if has("unique_event_name") && has("form") {
            Some(ApiArray::Mappings)
        } else if has("arm_num") && has("name") {
            Some(ApiArray::Arms)
        } else if has("form_name") && has("custom_form_label") {
            Some(ApiArray::Repeating)
        } else if has("instrument_name") && has("instrument_label") {
            Some(ApiArray::Instruments)
        } else if has("unique_group_name") && has("data_access_group_name") {
            Some(ApiArray::Dags)
        } else {
            None
        }
    }
}

/// Reads an item's key as text; a missing key reads as empty.
struct Item<'a> {
    source_name: &'a str,
    line: usize,
    index: usize,
    map: &'a Map<String, Value>,
}

impl Item<'_> {
    fn text(&self, key: &str) -> Result<String, Error> {
        match self.map.get(key) {
            None => Ok(String::new()),
            Some(value) => scalar_text(value).ok_or_else(|| {
                shape_error(
                    self.source_name,
                    self.line,
                    format!("item {}: {key:?} is not a string or number", self.index),
                )
            }),
        }
    }

    fn optional(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(Some(self.text(key)?).filter(|s| !s.is_empty()))
    }

    fn arm(&self, key: &str) -> Result<u32, Error> {
        let text = self.text(key)?;
        text.parse().map_err(|_| {
            shape_error(
                self.source_name,
                self.line,
                format!(
                    "item {}: {key:?} is {text:?}, not an arm number",
                    self.index
                ),
            )
        })
    }
}

fn objects<'a>(items: &'a [(usize, Value)], source_name: &'a str) -> Result<Vec<Item<'a>>, Error> {
    items
        .iter()
        .enumerate()
        .map(|(i, (line, value))| match value {
            Value::Object(map) => Ok(Item {
                source_name,
                line: *line,
                index: i + 1,
                map,
            }),
            _ => Err(shape_error(
                source_name,
                *line,
                format!("item {} is not an object", i + 1),
            )),
        })
        .collect()
}

pub(crate) fn arms(items: &[(usize, Value)], source_name: &str) -> Result<Vec<Arm>, Error> {
    objects(items, source_name)?
        .iter()
        .map(|it| {
            Ok(Arm {
                number: it.arm("arm_num")?,
                name: it.text("name")?,
            })
        })
        .collect()
}

pub(crate) fn events(items: &[(usize, Value)], source_name: &str) -> Result<Vec<Event>, Error> {
    objects(items, source_name)?
        .iter()
        .map(|it| {
            Ok(Event {
                unique_name: it.text("unique_event_name")?,
                name: it.text("event_name")?,
                arm: it.arm("arm_num")?,
                day_offset: it.optional("day_offset")?,
                offset_min: it.optional("offset_min")?,
                offset_max: it.optional("offset_max")?,
                custom_label: it.optional("custom_event_label")?,
                forms: Vec::new(),
            })
        })
        .collect()
}

pub(crate) fn mappings(items: &[(usize, Value)], source_name: &str) -> Result<Vec<Mapping>, Error> {
    let mut out = Vec::new();
    for it in objects(items, source_name)? {
        // A project without mappings answers with one row of empty strings.
        if it.text("unique_event_name")?.is_empty() && it.text("form")?.is_empty() {
            continue;
        }
        out.push(Mapping {
            arm: it.arm("arm_num")?,
            event: it.text("unique_event_name")?,
            form: it.text("form")?,
        });
    }
    Ok(out)
}

pub(crate) fn repeating(items: &[(usize, Value)], source_name: &str) -> Result<Repeating, Error> {
    let mut out = Repeating::default();
    for it in objects(items, source_name)? {
        let event = it.optional("event_name")?;
        let form = it.text("form_name")?;
        let label = it.optional("custom_form_label")?;
        match (event, form.is_empty()) {
            (Some(event), true) => out.events.push(RepeatingEvent { event, label }),
            (event, _) => out
                .instruments
                .push(RepeatingInstrument { event, form, label }),
        }
    }
    Ok(out)
}

pub(crate) fn instruments(
    items: &[(usize, Value)],
    source_name: &str,
) -> Result<IndexMap<String, String>, Error> {
    objects(items, source_name)?
        .iter()
        .map(|it| Ok((it.text("instrument_name")?, it.text("instrument_label")?)))
        .collect()
}

pub(crate) fn dags(items: &[(usize, Value)], source_name: &str) -> Result<Vec<Dag>, Error> {
    objects(items, source_name)?
        .iter()
        .map(|it| {
            Ok(Dag {
                name: it.text("data_access_group_name")?,
                unique_name: it.text("unique_group_name")?,
            })
        })
        .collect()
}

/// Whether an object is the API's project info.
pub(crate) fn is_project_info(map: &Map<String, Value>) -> bool {
    map.contains_key("project_title") && map.contains_key("is_longitudinal")
}

/// Reads `content=project` JSON.
pub(crate) fn project_info(
    map: &Map<String, Value>,
    source_name: &str,
) -> Result<ProjectInfo, Error> {
    let it = Item {
        source_name,
        line: 1,
        index: 1,
        map,
    };
    let yes = |key: &str| -> Result<bool, Error> { Ok(it.text(key)? == "1") };
    Ok(ProjectInfo {
        title: it.optional("project_title")?,
        redcap_version: None,
        longitudinal: yes("is_longitudinal")?,
        surveys_enabled: yes("surveys_enabled")?,
        record_autonumbering: match it.text("record_autonumbering_enabled")?.as_str() {
            "" => None,
            v => Some(v == "1"),
        },
        custom_record_label: it.optional("custom_record_label")?,
        secondary_unique_field: it.optional("secondary_unique_field")?,
        missing_data_codes: parse_choices(&it.text("missing_data_codes")?),
    })
}
