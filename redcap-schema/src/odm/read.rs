//! Reads project XML the way REDCap's "create project from XML" reads it:
//! the metadata into dictionary rows, plus events, arms, mappings, repeating
//! setup, DAGs and project attributes; and ClinicalData as flat records.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};

use crate::build::Parts;
use crate::check::RESERVED_FIELD_NAMES;
use crate::choices::Choice;
use crate::dictionary::{Column, DictionaryRow};
use crate::error::{Error, LineCounter, line_col};
use crate::field_type::FieldType;
use crate::model::{Arm, Dag, Event, Repeating, RepeatingEvent, RepeatingInstrument};
use crate::odm::records::{FileValue, FlatRecord};
use crate::odm::{CLASSIC_EVENT, ProjectXml, dag_unique_name};
use crate::validation::Validation;

#[derive(Default)]
struct ItemDef {
    attrs: HashMap<String, String>,
    label: String,
    formatted_label: Option<String>,
    code_list: Option<String>,
    min: Option<String>,
    max: Option<String>,
    line: usize,
}

#[derive(Default)]
struct CodeList {
    checkbox_choices: Option<String>,
    items: Vec<(String, String, Option<String>)>,
}

struct FormDef {
    name: String,
    label: String,
    groups: Vec<String>,
}

/// Where the reader is inside ClinicalData.
#[derive(Default)]
struct DataCursor {
    subject: String,
    event: Option<String>,
    event_key: String,
    row: Option<usize>,
}

/// Record, event, repeat instrument, repeat instance.
type RowKey = (String, Option<String>, Option<String>, Option<String>);

#[derive(Default)]
struct State {
    stack: Vec<String>,
    text: String,
    title: Option<String>,
    description: Option<String>,
    version: Option<String>,
    globals: IndexMap<String, String>,
    record_id_field: Option<String>,
    has_metadata: bool,
    events: Vec<Event>,
    arms: Vec<Arm>,
    forms: Vec<FormDef>,
    groups: HashMap<String, Vec<(String, bool, String)>>,
    current_group: Option<String>,
    items: HashMap<String, ItemDef>,
    current_item: Option<String>,
    range_comparator: Option<String>,
    code_lists: HashMap<String, CodeList>,
    current_code_list: Option<String>,
    current_code: Option<(String, String, Option<String>)>,
    repeating_events: Vec<RepeatingEvent>,
    repeating_instruments: Vec<RepeatingInstrument>,
    dag_names: Vec<String>,
    survey_forms: HashSet<String>,
    records: IndexMap<RowKey, FlatRecord>,
    cursor: DataCursor,
    file: Option<(String, String, String)>,
}

/// CRLF and lone CR become LF, as REDCap's reader turns them.
fn lf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn xml_error(text: &str, offset: usize, source_name: &str, message: String) -> Error {
    Error::Xml {
        source_name: source_name.to_owned(),
        line: line_col(text, offset).0,
        message,
    }
}

/// Reads project XML.
pub fn read_project_xml(text: &str, source_name: &str) -> Result<ProjectXml, Error> {
    let state = parse(text, source_name, State::default())?;
    if !state.has_metadata {
        return Err(Error::Xml {
            source_name: source_name.to_owned(),
            line: 1,
            message: "no <Study>/<MetaDataVersion>: a record export, not project XML".into(),
        });
    }
    Ok(state.finish())
}

/// Reads the records of CDISC ODM ClinicalData, with or without the Study
/// REDCap writes before it (a `content=record&format=odm` export has none).
/// `repeating` is the receiving project's setup: which `FormRepeatKey` and
/// `StudyEventRepeatKey` make rows of their own, when the document does
/// not say.
pub fn read_clinical_data(
    text: &str,
    source_name: &str,
    repeating: &Repeating,
) -> Result<Vec<FlatRecord>, Error> {
    let state = State {
        repeating_events: repeating.events.clone(),
        repeating_instruments: repeating.instruments.clone(),
        ..State::default()
    };
    Ok(parse(text, source_name, state)?.finish().records)
}

/// Reads an ODM document into the reader's state.
fn parse(text: &str, source_name: &str, mut state: State) -> Result<State, Error> {
    let mut reader = Reader::from_str(text);
    let mut lines = LineCounter::new(text);
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            xml_error(
                text,
                reader.buffer_position() as usize,
                source_name,
                e.to_string(),
            )
        })?;
        let fail = |message: String| xml_error(text, offset, source_name, message);
        match event {
            XmlEvent::Start(e) => {
                let name = tag_name(&e);
                if state.stack.is_empty() && name != "ODM" {
                    return Err(fail(format!(
                        "the root element is <{name}>, not <ODM>: not project XML"
                    )));
                }
                state
                    .start(&e, &name, lines.line_at(offset))
                    .map_err(fail)?;
                state.stack.push(name);
                state.text.clear();
            }
            XmlEvent::Empty(e) => {
                let name = tag_name(&e);
                if state.stack.is_empty() {
                    return Err(fail(format!(
                        "the root element is an empty <{name}/>: not project XML"
                    )));
                }
                state
                    .start(&e, &name, lines.line_at(offset))
                    .map_err(fail)?;
                state.stack.push(name);
                state.text.clear();
                state.end();
                state.stack.pop();
            }
            XmlEvent::End(_) => {
                state.end();
                state.stack.pop();
            }
            XmlEvent::Text(t) => {
                let decoded = t.unescape().map_err(|e| fail(e.to_string()))?;
                state.text.push_str(&decoded);
            }
            XmlEvent::CData(t) => {
                state
                    .text
                    .push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = state.stack.last() {
        return Err(xml_error(
            text,
            text.len(),
            source_name,
            format!("the file ends before <{open}> is closed: truncated XML"),
        ));
    }
    Ok(state)
}

fn tag_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn attributes(e: &BytesStart<'_>) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr.unescape_value().map_err(|e| e.to_string())?;
        map.insert(key, value.into_owned());
    }
    Ok(map)
}

fn take(attrs: &mut HashMap<String, String>, key: &str) -> String {
    attrs.remove(key).unwrap_or_default()
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl State {
    fn parent(&self) -> &str {
        self.stack.last().map_or("", String::as_str)
    }

    fn grandparent(&self) -> &str {
        self.stack
            .len()
            .checked_sub(2)
            .map_or("", |i| self.stack[i].as_str())
    }

    fn start(&mut self, e: &BytesStart<'_>, name: &str, line: usize) -> Result<(), String> {
        let mut a = attributes(e)?;
        match name {
            "ODM" => {
                self.description = non_empty(take(&mut a, "Description"));
                self.version = non_empty(take(&mut a, "SourceSystemVersion"));
            }
            "MetaDataVersion" => {
                self.has_metadata = true;
                self.record_id_field = non_empty(take(&mut a, "redcap:RecordIdField"));
            }
            "StudyEventDef" => {
                let arm: u32 = take(&mut a, "redcap:ArmNum").parse().unwrap_or(1);
                let arm_name = take(&mut a, "redcap:ArmName");
                if !self.arms.iter().any(|x| x.number == arm) {
                    self.arms.push(Arm {
                        number: arm,
                        name: arm_name,
                    });
                }
                let oid = take(&mut a, "OID");
                let unique = non_empty(take(&mut a, "redcap:UniqueEventName"))
                    .unwrap_or_else(|| oid.trim_start_matches("Event.").to_owned());
                let label = take(&mut a, "Name");
                self.events.push(Event {
                    unique_name: unique,
                    name: non_empty(take(&mut a, "redcap:EventName")).unwrap_or(label),
                    arm,
                    day_offset: non_empty(take(&mut a, "redcap:DayOffset")),
                    offset_min: non_empty(take(&mut a, "redcap:OffsetMin")),
                    offset_max: non_empty(take(&mut a, "redcap:OffsetMax")),
                    custom_label: non_empty(take(&mut a, "redcap:CustomEventLabel")),
                    forms: Vec::new(),
                });
            }
            "FormRef" if self.parent() == "StudyEventDef" => {
                let form = non_empty(take(&mut a, "redcap:FormName")).unwrap_or_else(|| {
                    take(&mut a, "FormOID")
                        .trim_start_matches("Form.")
                        .to_owned()
                });
                if let Some(event) = self.events.last_mut() {
                    event.forms.push(form);
                }
            }
            "FormDef" => {
                let oid = take(&mut a, "OID");
                self.forms.push(FormDef {
                    name: non_empty(take(&mut a, "redcap:FormName"))
                        .unwrap_or_else(|| oid.trim_start_matches("Form.").to_owned()),
                    label: lf(&take(&mut a, "Name")),
                    groups: Vec::new(),
                });
            }
            "ItemGroupRef" => {
                if let Some(form) = self.forms.last_mut() {
                    form.groups.push(take(&mut a, "ItemGroupOID"));
                }
            }
            "ItemGroupDef" => {
                let oid = take(&mut a, "OID");
                self.groups.entry(oid.clone()).or_default();
                self.current_group = Some(oid);
            }
            "ItemRef" => {
                if let Some(group) = self
                    .current_group
                    .as_ref()
                    .and_then(|g| self.groups.get_mut(g))
                {
                    let item = take(&mut a, "ItemOID");
                    let variable =
                        non_empty(take(&mut a, "redcap:Variable")).unwrap_or_else(|| item.clone());
                    group.push((item, take(&mut a, "Mandatory") == "Yes", variable));
                }
            }
            "ItemDef" => {
                let oid = take(&mut a, "OID");
                // The first definition wins: the survey timestamp of the first
                // form is defined twice, identically.
                self.items.entry(oid.clone()).or_insert(ItemDef {
                    attrs: a,
                    line,
                    ..ItemDef::default()
                });
                self.current_item = Some(oid);
            }
            "CodeListRef" => {
                if let Some(item) = self
                    .current_item
                    .as_ref()
                    .and_then(|i| self.items.get_mut(i))
                {
                    item.code_list = Some(take(&mut a, "CodeListOID"));
                }
            }
            "RangeCheck" => self.range_comparator = Some(take(&mut a, "Comparator")),
            "CodeList" => {
                let oid = take(&mut a, "OID");
                self.code_lists.insert(
                    oid.clone(),
                    CodeList {
                        checkbox_choices: a.remove("redcap:CheckboxChoices").map(|s| lf(&s)),
                        items: Vec::new(),
                    },
                );
                self.current_code_list = Some(oid);
            }
            "CodeListItem" => {
                self.current_code = Some((take(&mut a, "CodedValue"), String::new(), None));
            }
            "redcap:RepeatingEvent" => self.repeating_events.push(RepeatingEvent {
                event: take(&mut a, "redcap:UniqueEventName"),
                label: None,
            }),
            "redcap:RepeatingInstrument" => self.repeating_instruments.push(RepeatingInstrument {
                event: non_empty(take(&mut a, "redcap:UniqueEventName")),
                form: take(&mut a, "redcap:RepeatInstrument"),
                label: non_empty(lf(&take(&mut a, "redcap:CustomLabel"))),
            }),
            "redcap:DataAccessGroups" => self.dag_names.push(take(&mut a, "group_name")),
            "redcap:Surveys" => {
                self.survey_forms.insert(take(&mut a, "form_name"));
            }
            "SubjectData" => {
                self.cursor = DataCursor {
                    subject: take(&mut a, "SubjectKey"),
                    ..DataCursor::default()
                };
            }
            "StudyEventData" => {
                let oid = take(&mut a, "StudyEventOID");
                self.cursor.event = Some(
                    non_empty(take(&mut a, "redcap:UniqueEventName"))
                        .unwrap_or_else(|| oid.trim_start_matches("Event.").to_owned()),
                );
                self.cursor.event_key = take(&mut a, "StudyEventRepeatKey");
            }
            "FormData" => {
                let form = take(&mut a, "FormOID");
                let form = form
                    .split_once('.')
                    .map_or(form.as_str(), |(_, f)| f)
                    .to_owned();
                let key = take(&mut a, "FormRepeatKey");
                self.cursor.row = Some(self.record_row(&form, &key));
            }
            "ItemData" => {
                let item = take(&mut a, "ItemOID");
                let value = take(&mut a, "Value");
                if let Some(row) = self.cursor.row.and_then(|r| self.records.get_index_mut(r)) {
                    row.1.values.insert(item, value);
                }
            }
            "ItemDataBase64Binary" => {
                self.file = Some((
                    take(&mut a, "ItemOID"),
                    take(&mut a, "redcap:DocName"),
                    take(&mut a, "redcap:MimeType"),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// The flat row a FormData belongs to, created on first sight: repeating
    /// instruments and events each get their own row per instance, and the
    /// same event seen twice in one record is merged.
    fn record_row(&mut self, form: &str, form_key: &str) -> usize {
        let event = self.cursor.event.clone();
        let event_for_setup = event.as_deref().unwrap_or(CLASSIC_EVENT);
        let repeats_form = self.repeating_instruments.iter().any(|r| {
            r.form == form
                && r.event
                    .as_deref()
                    .is_none_or(|e| e == event_for_setup || event.is_none())
        });
        let repeats_event = self
            .repeating_events
            .iter()
            .any(|r| Some(r.event.as_str()) == event.as_deref());
        let (instrument, instance) = if repeats_form {
            (Some(form.to_owned()), Some(form_key.to_owned()))
        } else if repeats_event {
            (None, Some(self.cursor.event_key.clone()))
        } else {
            (None, None)
        };
        let key = (
            self.cursor.subject.clone(),
            event.clone(),
            instrument.clone(),
            instance.clone(),
        );
        let entry = self.records.entry(key);
        let index = entry.index();
        entry.or_insert_with(|| FlatRecord {
            record: self.cursor.subject.clone(),
            event,
            repeat_instrument: instrument,
            repeat_instance: instance,
            values: IndexMap::new(),
            files: IndexMap::new(),
        });
        index
    }

    fn end(&mut self) {
        let Some(name) = self.stack.last().cloned() else {
            return;
        };
        let parent = self.grandparent().to_owned();
        let text = std::mem::take(&mut self.text);
        match name.as_str() {
            "StudyName" => self.title = Some(lf(&text)),
            n if parent == "GlobalVariables" && n.starts_with("redcap:") => {
                self.globals
                    .insert(n.trim_start_matches("redcap:").to_owned(), lf(&text));
            }
            "TranslatedText" | "redcap:FormattedTranslatedText" => {
                self.label_text(&name, &parent, text)
            }
            "CheckValue" => {
                if let Some(item) = self
                    .current_item
                    .as_ref()
                    .and_then(|i| self.items.get_mut(i))
                {
                    match self.range_comparator.as_deref() {
                        Some("GE" | "GT") => item.min = Some(text),
                        Some("LE" | "LT") => item.max = Some(text),
                        _ => {}
                    }
                }
            }
            "CodeListItem" => {
                if let (Some(code), Some(list)) = (
                    self.current_code.take(),
                    self.current_code_list
                        .as_ref()
                        .and_then(|l| self.code_lists.get_mut(l)),
                ) {
                    list.items.push(code);
                }
            }
            "ItemDef" => self.current_item = None,
            "ItemGroupDef" => self.current_group = None,
            "CodeList" => self.current_code_list = None,
            "FormData" => self.cursor.row = None,
            "ItemDataBase64Binary" => {
                if let (Some((item, doc_name, mime_type)), Some(row)) = (
                    self.file.take(),
                    self.cursor.row.and_then(|r| self.records.get_index_mut(r)),
                ) {
                    row.1.files.insert(
                        item,
                        FileValue {
                            doc_name,
                            mime_type,
                            base64: text.trim().to_owned(),
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// Text of a label: a field's question, or a choice's decode. Error
    /// messages of range checks are REDCap's fixed text and are skipped.
    fn label_text(&mut self, name: &str, parent: &str, text: String) {
        let formatted = name == "redcap:FormattedTranslatedText";
        match parent {
            "Question" => {
                if let Some(item) = self
                    .current_item
                    .as_ref()
                    .and_then(|i| self.items.get_mut(i))
                {
                    if formatted {
                        item.formatted_label = Some(lf(&text));
                    } else {
                        item.label = lf(&text);
                    }
                }
            }
            "Decode" => {
                if let Some(code) = self.current_code.as_mut() {
                    if formatted {
                        code.2 = Some(lf(&text));
                    } else {
                        code.1 = lf(&text);
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> ProjectXml {
        let longitudinal = !self.events.is_empty();
        let form_names: HashSet<&str> = self.forms.iter().map(|f| f.name.as_str()).collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut rows = Vec::new();
        for form in &self.forms {
            for group in &form.groups {
                for (item_oid, mandatory, variable) in self.groups.get(group).into_iter().flatten()
                {
                    if seen.contains(variable) {
                        continue;
                    }
                    let Some(item) = self.items.get(item_oid) else {
                        continue;
                    };
                    let is_status = variable
                        .strip_suffix("_complete")
                        .is_some_and(|f| form_names.contains(f));
                    let reserved = RESERVED_FIELD_NAMES.contains(&variable.as_str())
                        || form_names.iter().any(|f| {
                            variable
                                .strip_prefix(f)
                                .is_some_and(|r| r == "_timestamp" || r == "_return_code")
                        });
                    // Pseudo-fields (DAG, survey identifier, timestamps) carry no
                    // field type; REDCap drops them and the status fields.
                    if is_status || reserved || !item.attrs.contains_key("redcap:FieldType") {
                        continue;
                    }
                    seen.insert(variable.clone());
                    rows.push(self.row(rows.len() + 2, &form.name, variable, *mandatory, item));
                }
            }
        }
        let missing = self
            .globals
            .get("MissingDataCodes")
            .map(|codes| parse_missing_codes(codes))
            .unwrap_or_default();
        let flag = |key: &str| self.globals.get(key).map(|v| v == "1");
        let text = |key: &str| self.globals.get(key).filter(|v| !v.is_empty()).cloned();
        let mut dags = Vec::new();
        for name in &self.dag_names {
            let unique = dag_unique_name(name, dags.iter().map(|d: &Dag| d.unique_name.as_str()));
            dags.push(Dag {
                name: name.clone(),
                unique_name: unique,
            });
        }
        let repeating_instruments = self
            .repeating_instruments
            .into_iter()
            .map(|mut r| {
                if !longitudinal {
                    r.event = None;
                }
                r
            })
            .collect();
        let project = crate::model::ProjectInfo {
            title: self.title.or(self.description),
            redcap_version: self.version,
            longitudinal,
            surveys_enabled: flag("SurveysEnabled").unwrap_or(!self.survey_forms.is_empty()),
            record_autonumbering: flag("RecordAutonumberingEnabled"),
            custom_record_label: text("CustomRecordLabel"),
            secondary_unique_field: text("SecondaryUniqueField"),
            missing_data_codes: missing,
        };
        let parts = Parts {
            rows,
            project,
            form_labels: self
                .forms
                .iter()
                .map(|f| (f.name.clone(), f.label.clone()))
                .collect(),
            survey_forms: self.survey_forms,
            arms: self.arms,
            events: self.events,
            repeating: crate::model::Repeating {
                events: self.repeating_events,
                instruments: repeating_instruments,
            },
            dags,
            record_id_field: self.record_id_field,
        };
        ProjectXml {
            parts,
            records: self.records.into_values().collect(),
        }
    }

    fn row(
        &self,
        row: usize,
        form: &str,
        variable: &str,
        mandatory: bool,
        item: &ItemDef,
    ) -> DictionaryRow {
        let attr = |k: &str| item.attrs.get(k).map(|v| lf(v)).unwrap_or_default();
        let raw_type = attr("redcap:FieldType");
        let field_type = FieldType::from_name(&raw_type);
        let code_list = item.code_list.as_ref().and_then(|c| self.code_lists.get(c));
        let choices = match field_type {
            Some(FieldType::Checkbox) => code_list
                .and_then(|c| c.checkbox_choices.clone())
                .unwrap_or_default(),
            Some(FieldType::Radio | FieldType::Dropdown) => code_list
                .map(|c| {
                    c.items
                        .iter()
                        .map(|(code, label, formatted)| {
                            format!("{code}, {}", formatted.as_ref().unwrap_or(label))
                        })
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .unwrap_or_default(),
            Some(FieldType::Calc) => attr("redcap:Calculation"),
            Some(FieldType::Slider) => attr("redcap:SliderLabels"),
            Some(FieldType::Text) => attr("redcap:OntologySearch"),
            _ => String::new(),
        };
        let raw_validation = attr("redcap:TextValidationType");
        let validation = Validation::from_name(&raw_validation)
            .map(|v| v.as_str().to_owned())
            .unwrap_or(raw_validation);
        let required = mandatory || attr("redcap:RequiredField") == "y";
        let mut r = DictionaryRow {
            row,
            line: Some(item.line),
            ..DictionaryRow::default()
        };
        r.set(Column::FieldName, variable);
        r.set(Column::FormName, form);
        r.set(Column::SectionHeader, attr("redcap:SectionHeader"));
        r.set(
            Column::FieldType,
            field_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or(raw_type),
        );
        r.set(
            Column::FieldLabel,
            item.formatted_label
                .clone()
                .unwrap_or_else(|| item.label.clone()),
        );
        r.set(Column::Choices, choices);
        r.set(Column::FieldNote, attr("redcap:FieldNote"));
        r.set(Column::Validation, validation);
        r.set(Column::ValidationMin, item.min.clone().unwrap_or_default());
        r.set(Column::ValidationMax, item.max.clone().unwrap_or_default());
        r.set(Column::Identifier, attr("redcap:Identifier"));
        r.set(Column::BranchingLogic, attr("redcap:BranchingLogic"));
        r.set(Column::RequiredField, if required { "y" } else { "" });
        r.set(Column::CustomAlignment, attr("redcap:CustomAlignment"));
        r.set(Column::QuestionNumber, attr("redcap:QuestionNumber"));
        r.set(Column::MatrixGroupName, attr("redcap:MatrixGroupName"));
        r.set(Column::MatrixRanking, attr("redcap:MatrixRanking"));
        r.set(Column::FieldAnnotation, attr("redcap:FieldAnnotation"));
        r
    }
}

/// `redcap:MissingDataCodes` holds one `code, label` per line.
fn parse_missing_codes(text: &str) -> Vec<Choice> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once(',') {
            Some((code, label)) => Choice::new(code.trim(), label.trim()),
            None => Choice::new(l.trim(), l.trim()),
        })
        .collect()
}
