//! `content=pdf`: the data collection instruments as a PDF, blank or with
//! the data of one record (all its events, or one) or of every record
//! (`allRecords`), one instrument or all.

use chrono::Local;
use redcap_schema::{Field, FieldType, Form};

use crate::context::Ctx;
use crate::files::store as files;
use crate::layout::{EventInfo, Layout};
use crate::pdf::writer::{Document, Font};
use crate::records::data::{RecordData, Row};
use crate::reply::{ApiError, FileBody, Reply};
use crate::rights::NO_ACCESS_EXPORT;

/// What REDCap prints in place of a value the user may not export.
const REMOVED: &str = "[*DATA REMOVED*]";

/// One instrument to print, with the data of one record row if any.
struct Section<'r> {
    form: &'r Form,
    row: Option<&'r Row>,
    event: Option<&'r EventInfo>,
}

/// `content=pdf`.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let rights = &ctx.user.rights;
    if crate::files::export_level(rights, &ctx.project.schema) == 0 {
        return Err(ApiError::forbidden(NO_ACCESS_EXPORT));
    }
    let schema = &ctx.project.schema;
    let layout = Layout::new(schema);
    let p = ctx.params;
    // The checks of `API/pdf/export.php`, in its order: the instrument,
    // then (only with a record) the event and the record, whether or not
    // `allRecords` is sent.
    let record = p.non_empty("record");
    let instrument = p.non_empty("instrument");
    if let Some(name) = instrument
        && schema.form(name).is_none()
    {
        return Err(ApiError::bad("Invalid instrument"));
    }
    let mut event = None;
    if let Some(record) = record {
        if layout.longitudinal()
            && let Some(name) = p.non_empty("event")
        {
            if layout.event(name).is_none() {
                return Err(ApiError::bad("Invalid event"));
            }
            event = Some(name);
        }
        if !record_visible(ctx, &layout, record)? {
            return Err(ApiError::bad(format!(
                "The record '{record}' does not exist"
            )));
        }
    }
    // `allRecords` only has to be present, whatever its value; it prints
    // every instrument of every record.
    let all_records = p.has("allRecords") || p.has("allrecords");
    let (record, instrument) = if all_records {
        (None, None)
    } else {
        (record, instrument)
    };
    let instance = p
        .get("repeat_instance")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n > 0);
    let compact = p.flag("compactDisplay");

    let wanted_form =
        |form: &str| instrument.is_none_or(|i| i == form) && rights.form_export(form) != 0;
    let data = if all_records || record.is_some() {
        let mut data = RecordData::load(ctx.conn, ctx.project.id, &layout, None)?;
        if let Some(mine) = &rights.group {
            data.rows
                .retain(|r| data.groups.get(&r.record) == Some(mine));
        }
        Some(data)
    } else {
        None
    };
    let mut sections = Vec::new();
    match &data {
        None => {
            for form in schema.forms.iter().filter(|f| wanted_form(&f.name)) {
                sections.push(Section {
                    form,
                    row: None,
                    event: None,
                });
            }
        }
        Some(data) => {
            for row in &data.rows {
                if record.is_some_and(|r| r != row.record) {
                    continue;
                }
                let info = &layout.events[row.event];
                if event.is_some_and(|e| e != info.unique_name) {
                    continue;
                }
                if let (Some(n), Some(have)) = (instance, row.instance())
                    && n != have
                {
                    continue;
                }
                for form in &schema.forms {
                    if wanted_form(&form.name) && layout.form_applies(info, &row.slot, &form.name) {
                        sections.push(Section {
                            form,
                            row: Some(row),
                            event: Some(info),
                        });
                    }
                }
            }
        }
    }

    let title = schema.project.title.clone().unwrap_or_default();
    let mut doc = Document::new(&title);
    for section in &sections {
        write_section(ctx, &layout, &mut doc, &title, section, compact);
    }
    let bytes = doc.finish();
    Ok(Reply::file(FileBody {
        bytes,
        content_type: "application/pdf".to_owned(),
        headers: vec![(
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file_name(&title)),
        )],
    }))
}

/// Whether a record exists for this user: a user in a data access group
/// does not see the records of other groups.
fn record_visible(ctx: &Ctx<'_>, layout: &Layout<'_>, record: &str) -> Result<bool, ApiError> {
    let data = RecordData::load(
        ctx.conn,
        ctx.project.id,
        layout,
        Some(std::slice::from_ref(&record.to_owned())),
    )?;
    let exists = data.rows.iter().any(|r| r.record == record);
    Ok(match &ctx.user.rights.group {
        Some(mine) => exists && data.groups.get(record) == Some(mine),
        None => exists,
    })
}

/// The download name, built the way REDCap names its project downloads:
/// the title without anything but ASCII letters, digits and spaces, each
/// word capitalised, spaces dropped, cut to 30 characters; then the date
/// and time.
fn file_name(title: &str) -> String {
    let kept: String = title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let camel: String = kept
        .split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<String>()
        .chars()
        .take(30)
        .collect();
    format!("{camel}_{}.pdf", Local::now().format("%Y-%m-%d_%H%M"))
}

fn write_section(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    doc: &mut Document,
    title: &str,
    section: &Section<'_>,
    compact: bool,
) {
    doc.page_break();
    doc.text(title, Font::Bold, 14.0, 0.0);
    doc.space(4.0);
    doc.text(&section.form.label, Font::Bold, 12.0, 0.0);
    if let Some(row) = section.row {
        let mut line = format!("Record ID {}", row.record);
        if let Some(event) = section.event.filter(|_| layout.longitudinal()) {
            line.push_str(&format!(" ({})", layout.event_label(event)));
        }
        if let Some(n) = row.instance() {
            line.push_str(&format!(" - Instance #{n}"));
        }
        doc.text(&line, Font::Regular, 10.0, 0.0);
    }
    doc.rule();
    let export_right = ctx.user.rights.form_export(&section.form.name);
    for field in &section.form.fields {
        if let Some(header) = &field.section_header {
            doc.space(4.0);
            doc.text(&plain(header), Font::Bold, 11.0, 0.0);
        }
        if field.field_type == FieldType::Descriptive {
            doc.text(&plain(&field.label), Font::Regular, 10.0, 0.0);
            continue;
        }
        let value = section.row.map(|row| {
            if field.identifier && export_right > 1 {
                REMOVED.to_owned()
            } else {
                shown_value(ctx, layout, field, row)
            }
        });
        if compact && section.row.is_some() && value.as_deref().is_none_or(str::is_empty) {
            continue;
        }
        write_field(doc, field, value.as_deref());
    }
    let status = section
        .row
        .and_then(|row| row.get(&section.form.complete_field));
    if !compact || status.is_some() {
        doc.space(4.0);
        doc.text("Form Status", Font::Bold, 11.0, 0.0);
        let shown = match section.row {
            Some(_) => choice_label(layout, &section.form.complete_field, status.unwrap_or("0")),
            None => "Incomplete / Unverified / Complete".to_owned(),
        };
        doc.text(&format!("Complete?  {shown}"), Font::Regular, 10.0, 12.0);
    }
}

fn write_field(doc: &mut Document, field: &Field, value: Option<&str>) {
    doc.space(3.0);
    doc.text(&plain(&field.label), Font::Regular, 10.0, 0.0);
    match value {
        Some(v) => doc.text(if v.is_empty() { "-" } else { v }, Font::Bold, 10.0, 12.0),
        None if !field.choices.is_empty() => {
            let mark = if field.field_type == FieldType::Checkbox {
                "[ ]"
            } else {
                "( )"
            };
            for choice in &field.choices {
                doc.text(
                    &format!("{mark} {}", plain(&choice.label)),
                    Font::Regular,
                    10.0,
                    12.0,
                );
            }
        }
        None => doc.text(
            "__________________________________",
            Font::Regular,
            10.0,
            12.0,
        ),
    }
}

/// The value of a field in a row as a reader wants it: choice labels,
/// the file name of an upload.
fn shown_value(ctx: &Ctx<'_>, layout: &Layout<'_>, field: &Field, row: &Row) -> String {
    match field.field_type {
        FieldType::Checkbox => row
            .codes(&field.name)
            .map(|code| choice_label(layout, &field.name, code))
            .collect::<Vec<_>>()
            .join(", "),
        FieldType::File => match row.get(&field.name) {
            Some(id) => files::doc(ctx.conn, ctx.project.id, id)
                .ok()
                .flatten()
                .map(|d| d.name)
                .unwrap_or_else(|| "[document]".to_owned()),
            None => String::new(),
        },
        _ if !layout.choices(&field.name).is_empty() => row
            .get(&field.name)
            .map(|code| choice_label(layout, &field.name, code))
            .unwrap_or_default(),
        _ => row.get(&field.name).unwrap_or_default().to_owned(),
    }
}

fn choice_label(layout: &Layout<'_>, field: &str, code: &str) -> String {
    layout
        .choices(field)
        .iter()
        .find(|c| c.code == code)
        .map(|c| plain(&c.label))
        .unwrap_or_else(|| code.to_owned())
}

/// A label as plain text: tags dropped, the common entities decoded.
fn plain(html: &str) -> String {
    redcap_schema::html::strip_tags(html)
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_lose_their_markup() {
        assert_eq!(plain("<b>Age</b> &amp; sex&nbsp;"), "Age & sex");
    }

    #[test]
    fn download_name() {
        let name = file_name("My first-project: (test)");
        assert!(name.starts_with("MyFirstprojectTest_"), "{name}");
        assert!(name.ends_with(".pdf"));
    }
}
