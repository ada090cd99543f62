//! Writes project XML in REDCap's shape: metadata (events, forms, item
//! groups, items, code lists) and, when given, records as ClinicalData.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::choices::{format_choices, format_slider_labels};
use crate::field_type::FieldType;
use crate::html::{escape as esc, strip_tags};
use crate::model::{Field, Form, ProjectSchema};
use crate::odm::CLASSIC_EVENT;
use crate::odm::records::FlatRecord;
use crate::validation::{DataType, Validation};

/// REDCap's study OID: letters, digits and spaces kept, each word
/// capitalised, spaces removed, at most 30 characters.
fn study_oid(title: &str) -> String {
    title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .split(' ')
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect::<String>()
        .chars()
        .take(30)
        .collect()
}

/// One ODM item: a field, or one checkbox option of it.
struct Item<'a> {
    oid: String,
    field: &'a Field,
    option: Option<usize>,
}

fn items(form: &Form) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    for field in &form.fields {
        if field.field_type == FieldType::Checkbox {
            for (i, name) in field
                .export_names
                .iter()
                .take(field.choices.len())
                .enumerate()
            {
                out.push(Item {
                    oid: name.clone(),
                    field,
                    option: Some(i),
                });
            }
        } else {
            out.push(Item {
                oid: field.name.clone(),
                field,
                option: None,
            });
        }
    }
    out
}

/// Cuts a form's items into groups the way REDCap does: a new group at each
/// section header, and again after a field that had one.
fn groups<'a>(items: &'a [Item<'a>]) -> Vec<&'a [Item<'a>]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..items.len() {
        let header = |k: usize| items[k].field.section_header.as_deref().unwrap_or("");
        let new_field = !std::ptr::eq(items[i].field, items[i - 1].field);
        if new_field && (header(i) != header(i - 1) || !header(i - 1).is_empty()) {
            out.push(&items[start..i]);
            start = i;
        }
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

fn data_type(field: &Field) -> (&'static str, String) {
    let long = "999".to_owned();
    match field.field_type {
        FieldType::Yesno | FieldType::Truefalse | FieldType::Checkbox | FieldType::Advcheckbox => {
            ("boolean", "1".into())
        }
        FieldType::Radio | FieldType::Dropdown | FieldType::Sql => {
            let len = field
                .choices
                .iter()
                .map(|c| c.code.chars().count())
                .max()
                .unwrap_or(1);
            ("text", len.max(1).to_string())
        }
        FieldType::Calc => ("float", long),
        FieldType::Slider => ("integer", long),
        FieldType::Text => match field.validation.map(Validation::data_type) {
            Some(DataType::Integer) => ("integer", long),
            Some(DataType::Number) => ("float", long),
            Some(DataType::Date) => ("date", long),
            Some(DataType::Datetime) => ("partialDatetime", long),
            Some(DataType::DatetimeSeconds) => ("datetime", long),
            _ if field.validation == Some(Validation::Time) => ("partialTime", long),
            _ => ("text", long),
        },
        FieldType::Notes | FieldType::File | FieldType::Descriptive => ("text", long),
    }
}

/// A label as REDCap writes it: plain text, plus the HTML copy when the
/// label has tags (readers prefer that copy, so HTML survives).
fn translated_text(out: &mut String, label: &str) {
    let _ = write!(
        out,
        "<TranslatedText>{}</TranslatedText>",
        esc(&strip_tags(label))
    );
    if label.contains('<') && label.contains('>') {
        let _ = write!(
            out,
            "<redcap:FormattedTranslatedText>{}</redcap:FormattedTranslatedText>",
            esc(label)
        );
    }
}

fn question(out: &mut String, label: &str) {
    out.push_str("\t\t<Question>");
    translated_text(out, label);
    out.push_str("</Question>\n");
}

fn item_def(out: &mut String, item: &Item<'_>) {
    let f = item.field;
    let (dt, length) = data_type(f);
    let _ = write!(
        out,
        "\t<ItemDef OID=\"{0}\" Name=\"{0}\" DataType=\"{dt}\" Length=\"{length}\"",
        esc(&item.oid)
    );
    if f.field_type == FieldType::Text && f.validation == Some(Validation::Number) {
        out.push_str(" SignificantDigits=\"1\"");
    }
    let mut attr = |name: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let _ = write!(out, " redcap:{name}=\"{}\"", esc(v));
        }
    };
    let slider_labels = format_slider_labels(&f.slider_labels);
    attr("Variable", Some(&f.name));
    attr("FieldType", Some(f.field_type.internal_name()));
    attr(
        "TextValidationType",
        f.validation.map(Validation::internal_name),
    );
    attr("SliderLabels", Some(slider_labels.as_str()));
    attr("FieldNote", f.note.as_deref());
    attr("SectionHeader", f.section_header.as_deref());
    attr("Calculation", f.calculation.as_deref());
    attr("Identifier", f.identifier.then_some("y"));
    attr("RequiredField", f.required.then_some("y"));
    attr("MatrixRanking", f.matrix_ranking.then_some("y"));
    attr("OntologySearch", f.ontology.as_deref());
    attr("BranchingLogic", f.branching_logic.as_deref());
    attr("CustomAlignment", f.custom_alignment.as_deref());
    attr("QuestionNumber", f.question_number.as_deref());
    attr("MatrixGroupName", f.matrix_group.as_deref());
    attr("FieldAnnotation", f.annotation.as_deref());
    out.push_str(">\n");
    question(out, &f.label);
    if has_code_list(f) {
        let _ = writeln!(
            out,
            "\t\t<CodeListRef CodeListOID=\"{}.choices\"/>",
            esc(&item.oid)
        );
    }
    for (comparator, bound) in [("GE", &f.min), ("LE", &f.max)] {
        if let Some(bound) = bound {
            let range = format!(
                "{} - {}",
                f.min.as_deref().unwrap_or("no limit"),
                f.max.as_deref().unwrap_or("no limit")
            );
            let _ = write!(
                out,
                "\t\t<RangeCheck Comparator=\"{comparator}\" SoftHard=\"Soft\">\n\t\t\t<CheckValue>{}</CheckValue>\n\t\t\t<ErrorMessage><TranslatedText>The value you provided is outside the suggested range. ({}). This value is admissible, but you may wish to double check it.</TranslatedText></ErrorMessage>\n\t\t</RangeCheck>\n",
                esc(bound),
                esc(&range)
            );
        }
    }
    out.push_str("\t</ItemDef>\n");
}

fn has_code_list(f: &Field) -> bool {
    matches!(
        f.field_type,
        FieldType::Radio
            | FieldType::Dropdown
            | FieldType::Checkbox
            | FieldType::Yesno
            | FieldType::Truefalse
    )
}

fn code_list(out: &mut String, item: &Item<'_>) {
    let f = item.field;
    if !has_code_list(f) {
        return;
    }
    let (dt, _) = data_type(f);
    let _ = write!(
        out,
        "\t<CodeList OID=\"{0}.choices\" Name=\"{0}\" DataType=\"{dt}\" redcap:Variable=\"{1}\"",
        esc(&item.oid),
        esc(&f.name)
    );
    if item.option.is_some() {
        let _ = write!(
            out,
            " redcap:CheckboxChoices=\"{}\"",
            esc(&format_choices(&f.choices))
        );
        out.push_str(">\n");
        code_list_item(out, "1", "Checked");
        code_list_item(out, "0", "Unchecked");
    } else {
        out.push_str(">\n");
        for c in &f.choices {
            code_list_item(out, &c.code, &c.label);
        }
    }
    out.push_str("\t</CodeList>\n");
}

fn code_list_item(out: &mut String, code: &str, label: &str) {
    let _ = write!(
        out,
        "\t\t<CodeListItem CodedValue=\"{}\"><Decode>",
        esc(code)
    );
    translated_text(out, label);
    out.push_str("</Decode></CodeListItem>\n");
}

fn status_item_def(out: &mut String, form: &Form) {
    let _ = write!(
        out,
        "\t<ItemDef OID=\"{0}\" Name=\"{0}\" DataType=\"text\" Length=\"1\" redcap:Variable=\"{0}\" redcap:FieldType=\"select\" redcap:SectionHeader=\"Form Status\">\n\t\t<Question><TranslatedText>Complete?</TranslatedText></Question>\n\t\t<CodeListRef CodeListOID=\"{0}.choices\"/>\n\t</ItemDef>\n",
        esc(&form.complete_field)
    );
}

fn status_code_list(out: &mut String, form: &Form) {
    let _ = writeln!(
        out,
        "\t<CodeList OID=\"{0}.choices\" Name=\"{0}\" DataType=\"text\" redcap:Variable=\"{0}\">",
        esc(&form.complete_field)
    );
    for (code, label) in [("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete")] {
        code_list_item(out, code, label);
    }
    out.push_str("\t</CodeList>\n");
}

fn global(out: &mut String, tag: &str, value: &str) {
    let _ = writeln!(out, "\t<redcap:{tag}>{}</redcap:{tag}>", esc(value));
}

fn global_variables(out: &mut String, schema: &ProjectSchema, title: &str) {
    let p = &schema.project;
    let _ = write!(
        out,
        "<GlobalVariables>\n\t<StudyName>{0}</StudyName>\n\t<StudyDescription>This file contains the metadata, events, and data for REDCap project \"{0}\".</StudyDescription>\n\t<ProtocolName>{0}</ProtocolName>\n",
        esc(title)
    );
    let flag = |b: bool| if b { "1" } else { "0" };
    global(
        out,
        "RecordAutonumberingEnabled",
        p.record_autonumbering.map(flag).unwrap_or(""),
    );
    global(
        out,
        "CustomRecordLabel",
        p.custom_record_label.as_deref().unwrap_or(""),
    );
    global(
        out,
        "SecondaryUniqueField",
        p.secondary_unique_field.as_deref().unwrap_or(""),
    );
    global(out, "SurveysEnabled", flag(p.surveys_enabled));
    let missing: Vec<String> = p
        .missing_data_codes
        .iter()
        .map(|c| format!("{}, {}", c.code, c.label))
        .collect();
    global(out, "MissingDataCodes", &missing.join("\n"));
    let r = &schema.repeating;
    if !r.is_empty() {
        out.push_str("\t<redcap:RepeatingInstrumentsAndEvents>\n");
        for e in &r.events {
            let _ = writeln!(
                out,
                "\t\t<redcap:RepeatingEvent redcap:UniqueEventName=\"{}\"/>",
                esc(&e.event)
            );
        }
        if !r.instruments.is_empty() {
            out.push_str("\t\t<redcap:RepeatingInstruments>\n");
            for i in &r.instruments {
                let _ = writeln!(
                    out,
                    "\t\t\t<redcap:RepeatingInstrument redcap:UniqueEventName=\"{}\" redcap:RepeatInstrument=\"{}\" redcap:CustomLabel=\"{}\"/>",
                    esc(i.event.as_deref().unwrap_or(CLASSIC_EVENT)),
                    esc(&i.form),
                    esc(i.label.as_deref().unwrap_or(""))
                );
            }
            out.push_str("\t\t</redcap:RepeatingInstruments>\n");
        }
        out.push_str("\t</redcap:RepeatingInstrumentsAndEvents>\n");
    }
    if !schema.dags.is_empty() {
        out.push_str("\t<redcap:DataAccessGroupsGroup>\n");
        for d in &schema.dags {
            let _ = writeln!(
                out,
                "\t\t<redcap:DataAccessGroups group_name=\"{}\"/>",
                esc(&d.name)
            );
        }
        out.push_str("\t</redcap:DataAccessGroupsGroup>\n");
    }
    let surveys: Vec<&Form> = schema.forms.iter().filter(|f| f.survey).collect();
    if !surveys.is_empty() {
        out.push_str("\t<redcap:SurveysGroup>\n");
        for f in surveys {
            let _ = writeln!(out, "\t\t<redcap:Surveys form_name=\"{}\"/>", esc(&f.name));
        }
        out.push_str("\t</redcap:SurveysGroup>\n");
    }
    out.push_str("</GlobalVariables>\n");
}

fn events(out: &mut String, schema: &ProjectSchema) {
    if !schema.project.longitudinal {
        return;
    }
    out.push_str("\t<Protocol>\n");
    for (i, e) in schema.events.iter().enumerate() {
        let _ = writeln!(
            out,
            "\t\t<StudyEventRef StudyEventOID=\"Event.{}\" OrderNumber=\"{}\" Mandatory=\"No\"/>",
            esc(&e.unique_name),
            i + 1
        );
    }
    out.push_str("\t</Protocol>\n");
    let multi_arm = schema.arms.len() > 1;
    for e in &schema.events {
        let arm_name = schema
            .arms
            .iter()
            .find(|a| a.number == e.arm)
            .map_or("", |a| a.name.as_str());
        let name = if multi_arm {
            format!("{} (Arm {}: {arm_name})", e.name, e.arm)
        } else {
            e.name.clone()
        };
        let repeats = schema
            .repeating
            .events
            .iter()
            .any(|r| r.event == e.unique_name);
        let _ = writeln!(
            out,
            "\t<StudyEventDef OID=\"Event.{0}\" Name=\"{1}\" Type=\"Common\" Repeating=\"{2}\" redcap:EventName=\"{3}\" redcap:CustomEventLabel=\"{4}\" redcap:UniqueEventName=\"{0}\" redcap:ArmNum=\"{5}\" redcap:ArmName=\"{6}\" redcap:DayOffset=\"{7}\" redcap:OffsetMin=\"{8}\" redcap:OffsetMax=\"{9}\">",
            esc(&e.unique_name),
            esc(&name),
            if repeats { "Yes" } else { "No" },
            esc(&e.name),
            esc(e.custom_label.as_deref().unwrap_or("")),
            e.arm,
            esc(arm_name),
            esc(e.day_offset.as_deref().unwrap_or("")),
            esc(e.offset_min.as_deref().unwrap_or("")),
            esc(e.offset_max.as_deref().unwrap_or("")),
        );
        for (i, form) in e.forms.iter().enumerate() {
            let _ = writeln!(
                out,
                "\t\t<FormRef FormOID=\"Form.{0}\" OrderNumber=\"{1}\" Mandatory=\"No\" redcap:FormName=\"{0}\"/>",
                esc(form),
                i + 1
            );
        }
        out.push_str("\t</StudyEventDef>\n");
    }
}

/// Writes project XML for a schema, with ClinicalData when `records` is
/// given. `timestamp` (`YYYY-MM-DDTHH:MM:SS`) fills ODM's creation-time
/// attributes, so that the output is reproducible.
pub fn to_project_xml(
    schema: &ProjectSchema,
    records: Option<&[FlatRecord]>,
    timestamp: &str,
) -> String {
    let ids = Oids::new(schema, timestamp);
    let title = ids.title.clone();
    let (oid, metadata_oid) = (&ids.study, &ids.metadata);
    let mut out = opening_tag(schema, &ids, timestamp);
    let _ = writeln!(out, "<Study OID=\"Project.{}\">", esc(oid));
    global_variables(&mut out, schema, &title);
    let _ = writeln!(
        out,
        "<MetaDataVersion OID=\"{}\" Name=\"{}\" redcap:RecordIdField=\"{}\">",
        esc(metadata_oid),
        esc(&title),
        esc(&schema.record_id_field)
    );
    events(&mut out, schema);
    let form_items: Vec<(&Form, Vec<Item<'_>>)> =
        schema.forms.iter().map(|f| (f, items(f))).collect();
    for (form, its) in &form_items {
        let _ = writeln!(
            out,
            "\t<FormDef OID=\"Form.{0}\" Name=\"{1}\" Repeating=\"No\" redcap:FormName=\"{0}\">",
            esc(&form.name),
            esc(&form.label)
        );
        for g in groups(its) {
            let _ = writeln!(
                out,
                "\t\t<ItemGroupRef ItemGroupOID=\"{}.{}\" Mandatory=\"No\"/>",
                esc(&form.name),
                esc(&g[0].oid)
            );
        }
        let _ = writeln!(
            out,
            "\t\t<ItemGroupRef ItemGroupOID=\"{0}.{1}\" Mandatory=\"No\"/>",
            esc(&form.name),
            esc(&form.complete_field)
        );
        out.push_str("\t</FormDef>\n");
    }
    for (form, its) in &form_items {
        for g in groups(its) {
            let first = &g[0];
            let name = match (&first.field.section_header, first.option) {
                (Some(h), _) => h.clone(),
                (None, None) => form.label.clone(),
                (None, Some(_)) => String::new(),
            };
            let _ = writeln!(
                out,
                "\t<ItemGroupDef OID=\"{}.{}\" Name=\"{}\" Repeating=\"No\">",
                esc(&form.name),
                esc(&first.oid),
                esc(&name)
            );
            for it in g {
                let _ = writeln!(
                    out,
                    "\t\t<ItemRef ItemOID=\"{}\" Mandatory=\"{}\" redcap:Variable=\"{}\"/>",
                    esc(&it.oid),
                    if it.field.required { "Yes" } else { "No" },
                    esc(&it.field.name)
                );
            }
            out.push_str("\t</ItemGroupDef>\n");
        }
        let _ = write!(
            out,
            "\t<ItemGroupDef OID=\"{0}.{1}\" Name=\"Form Status\" Repeating=\"No\">\n\t\t<ItemRef ItemOID=\"{1}\" Mandatory=\"No\" redcap:Variable=\"{1}\"/>\n\t</ItemGroupDef>\n",
            esc(&form.name),
            esc(&form.complete_field)
        );
    }
    for (form, its) in &form_items {
        for it in its {
            item_def(&mut out, it);
        }
        status_item_def(&mut out, form);
    }
    for (form, its) in &form_items {
        for it in its {
            code_list(&mut out, it);
        }
        status_code_list(&mut out, form);
    }
    out.push_str("</MetaDataVersion>\n</Study>\n");
    if let Some(records) = records {
        clinical_data(&mut out, schema, records, &ids, false);
    }
    out.push_str("</ODM>");
    out
}

/// Records alone as CDISC ODM, as REDCap answers `content=record` with
/// `format=odm`: the ODM element with ClinicalData and no Study, blank
/// values written as `Value=""`.
pub fn to_records_odm(schema: &ProjectSchema, records: &[FlatRecord], timestamp: &str) -> String {
    let ids = Oids::new(schema, timestamp);
    let mut out = opening_tag(schema, &ids, timestamp);
    clinical_data(&mut out, schema, records, &ids, true);
    out.push_str("</ODM>");
    out
}

/// The study's OIDs, which Study and ClinicalData share.
struct Oids {
    title: String,
    study: String,
    metadata: String,
}

impl Oids {
    /// `timestamp` (`YYYY-MM-DDTHH:MM:SS`) dates the metadata version.
    fn new(schema: &ProjectSchema, timestamp: &str) -> Oids {
        let title = schema.project.title.clone().unwrap_or_default();
        let study = study_oid(&title);
        let date: String = timestamp.chars().take(10).collect();
        let hhmm: String = timestamp
            .chars()
            .skip(11)
            .filter(char::is_ascii_digit)
            .take(4)
            .collect();
        let metadata = format!("Metadata.{study}_{date}_{hhmm}");
        Oids {
            title,
            study,
            metadata,
        }
    }
}

/// The XML declaration and the `ODM` start tag, one line each.
fn opening_tag(schema: &ProjectSchema, ids: &Oids, timestamp: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:redcap=\"https://projectredcap.org\" xsi:schemaLocation=\"http://www.cdisc.org/ns/odm/v1.3 schema/odm/ODM1-3-1.xsd\" ODMVersion=\"1.3.1\" FileOID=\"000-00-0000\" FileType=\"Snapshot\" Description=\"{0}\" AsOfDateTime=\"{1}\" CreationDateTime=\"{1}\" SourceSystem=\"REDCap\" SourceSystemVersion=\"{2}\">",
        esc(&ids.title),
        esc(timestamp),
        esc(schema.project.redcap_version.as_deref().unwrap_or(""))
    );
    out
}

/// A value without the ASCII control characters XML 1.0 cannot carry
/// (everything below U+0020 but line feed and carriage return, and
/// U+007F), as `ODM::getOdmClinicalData` strips them from each `ItemData`
/// value before escaping it; tabs go too.
fn strip_controls(value: &str) -> std::borrow::Cow<'_, str> {
    let stripped =
        |c: char| matches!(c, '\0'..='\x09' | '\x0B' | '\x0C' | '\x0E'..='\x1F' | '\x7F');
    if value.contains(stripped) {
        std::borrow::Cow::Owned(value.chars().filter(|&c| !stripped(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// ClinicalData; `blanks` writes blank values too (record export does,
/// project XML does not).
fn clinical_data(
    out: &mut String,
    schema: &ProjectSchema,
    records: &[FlatRecord],
    ids: &Oids,
    blanks: bool,
) {
    // A survey's `{form}_timestamp` column (`exportSurveyFields`) belongs
    // to its form, as `ODM::getOdmClinicalData` files it.
    let timestamps: Vec<(String, &str)> = schema
        .forms
        .iter()
        .map(|f| (format!("{}_timestamp", f.name), f.name.as_str()))
        .collect();
    let mut column_form: HashMap<&str, &str> = HashMap::new();
    for form in &schema.forms {
        for field in &form.fields {
            for name in &field.export_names {
                column_form.insert(name.as_str(), form.name.as_str());
            }
        }
        column_form.insert(form.complete_field.as_str(), form.name.as_str());
    }
    for (column, form) in &timestamps {
        column_form.entry(column.as_str()).or_insert(form);
    }
    // REDCap writes the space of a datetime field's value as ODM's `T`
    // (`2017-01-24T15:19`); survey timestamps, not fields, keep theirs.
    let datetime: HashSet<&str> = schema
        .forms
        .iter()
        .flat_map(|f| &f.fields)
        .filter(|f| {
            f.field_type == FieldType::Text
                && f.validation
                    .is_some_and(|v| v.as_str().starts_with("datetime"))
        })
        .map(|f| f.name.as_str())
        .collect();
    let first_form = schema.forms.first().map_or("", |f| f.name.as_str());
    let _ = writeln!(
        out,
        "<ClinicalData StudyOID=\"Project.{}\" MetaDataVersionOID=\"{}\">",
        esc(&ids.study),
        esc(&ids.metadata)
    );
    let mut open_subject: Option<&str> = None;
    for row in records {
        if open_subject != Some(row.record.as_str()) {
            if open_subject.is_some() {
                out.push_str("\t</SubjectData>\n");
            }
            let _ = writeln!(
                out,
                "\t<SubjectData SubjectKey=\"{}\" redcap:RecordIdField=\"{}\">",
                esc(&row.record),
                esc(&schema.record_id_field)
            );
            open_subject = Some(row.record.as_str());
        }
        let instance = row.repeat_instance.as_deref().unwrap_or("1");
        if let Some(event) = &row.event {
            let event_key = if row.repeat_instrument.is_none() {
                instance
            } else {
                "1"
            };
            let _ = writeln!(
                out,
                "\t\t<StudyEventData StudyEventOID=\"Event.{0}\" StudyEventRepeatKey=\"{1}\" redcap:UniqueEventName=\"{0}\">",
                esc(event),
                esc(event_key)
            );
        }
        let mut by_form: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
        let items = row
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(_, v)| blanks || !v.is_empty());
        for (column, value) in items {
            let form = row
                .repeat_instrument
                .as_deref()
                .unwrap_or_else(|| column_form.get(column).copied().unwrap_or(first_form));
            match by_form.iter_mut().find(|(f, _)| *f == form) {
                Some((_, list)) => list.push((column, value)),
                None => by_form.push((form, vec![(column, value)])),
            }
        }
        for (field, _) in &row.files {
            let form = column_form
                .get(field.as_str())
                .copied()
                .unwrap_or(first_form);
            if !by_form.iter().any(|(f, _)| *f == form) {
                by_form.push((form, Vec::new()));
            }
        }
        for (form, values) in by_form {
            let form_key = if row.repeat_instrument.is_some() {
                instance
            } else {
                "1"
            };
            let _ = write!(
                out,
                "\t\t\t<FormData FormOID=\"Form.{0}\" FormRepeatKey=\"{1}\">\n\t\t\t\t<ItemGroupData ItemGroupOID=\"\" ItemGroupRepeatKey=\"1\">\n",
                esc(form),
                esc(form_key)
            );
            for (column, value) in values {
                let value = if datetime.contains(&column) {
                    value.replace(' ', "T")
                } else {
                    value.to_owned()
                };
                let value = strip_controls(&value);
                let _ = writeln!(
                    out,
                    "\t\t\t\t\t<ItemData ItemOID=\"{}\" Value=\"{}\"/>",
                    esc(column),
                    esc(&value)
                );
            }
            for (field, file) in &row.files {
                if column_form
                    .get(field.as_str())
                    .copied()
                    .unwrap_or(first_form)
                    == form
                {
                    let _ = writeln!(
                        out,
                        "\t\t\t\t\t<ItemDataBase64Binary ItemOID=\"{}\" redcap:DocName=\"{}\" redcap:MimeType=\"{}\"><![CDATA[{}]]></ItemDataBase64Binary>",
                        esc(field),
                        esc(&file.doc_name),
                        esc(&file.mime_type),
                        file.base64
                    );
                }
            }
            out.push_str("\t\t\t\t</ItemGroupData>\n\t\t\t</FormData>\n");
        }
        if row.event.is_some() {
            out.push_str("\t\t</StudyEventData>\n");
        }
    }
    if open_subject.is_some() {
        out.push_str("\t</SubjectData>\n");
    }
    out.push_str("</ClinicalData>\n");
}
