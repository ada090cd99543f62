//! Renderers: plain or coloured text for a terminal, Markdown for a
//! pull-request comment, and the stable JSON format of `DIFF.md`.

mod json;
mod markdown;
mod text;

pub use json::{FORMAT, to_json};
pub use markdown::to_markdown;
pub use text::to_text;

use super::model::{Change, Impact, Kind, SchemaDiff, Target, Value};

/// Longest value shown in text and Markdown; JSON always has all of it.
const SHOWN_CHARS: usize = 80;
/// Most list items shown in text and Markdown.
const SHOWN_ITEMS: usize = 8;

/// `2 breaking, 1 compatible, 0 cosmetic`.
fn summary(diff: &SchemaDiff) -> String {
    Impact::ALL
        .iter()
        .map(|i| format!("{} {i}", diff.count(*i)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The heading of one impact group.
fn heading(impact: Impact) -> &'static str {
    match impact {
        Impact::Breaking => "Breaking changes",
        Impact::Compatible => "Compatible changes",
        Impact::Cosmetic => "Cosmetic changes",
    }
}

/// What a change is about, with names in `code`.
fn target(target: &Target, code: fn(&str) -> String) -> String {
    match target {
        Target::Project => "project".to_owned(),
        Target::Form { form } => format!("form {}", code(form)),
        Target::Field { form, field } => format!("field {} in {}", code(field), code(form)),
        Target::Arm { arm } => format!("arm {arm}"),
        Target::Event { event } => format!("event {}", code(event)),
        Target::Mapping { event, form } => {
            format!("form {} in event {}", code(form), code(event))
        }
        Target::RepeatingInstrument { event: None, form } => {
            format!("repeating form {}", code(form))
        }
        Target::RepeatingInstrument {
            event: Some(event),
            form,
        } => format!("repeating form {} in event {}", code(form), code(event)),
        Target::RepeatingEvent { event } => format!("repeating event {}", code(event)),
    }
}

/// `choice recoded: `1, Male` → `2, Male``, `field added: `text``.
fn describe(change: &Change, code: fn(&str) -> String) -> String {
    let what = change.kind.as_str().replace('_', " ");
    let value = |v: &Option<Value>| v.as_ref().map(|v| show(v, code));
    let (old, new) = (value(&change.old), value(&change.new));
    if matches!(
        change.kind,
        Kind::InstrumentMadeRepeating
            | Kind::EventMadeRepeating
            | Kind::InstrumentMadeNonRepeating
            | Kind::EventMadeNonRepeating
    ) {
        return match old.or(new) {
            Some(label) => format!("{what} (instance label {label})"),
            None => what,
        };
    }
    let arrow = change.kind.as_str().ends_with("_changed") || (old.is_some() && new.is_some());
    let none = || "(none)".to_owned();
    match (old, new) {
        (None, None) => what,
        (o, n) if arrow => format!(
            "{what}: {} → {}",
            o.unwrap_or_else(none),
            n.unwrap_or_else(none)
        ),
        (Some(v), None) | (None, Some(v)) => format!("{what}: {v}"),
        (Some(_), Some(_)) => what,
    }
}

fn show(value: &Value, code: fn(&str) -> String) -> String {
    match value {
        Value::Text(t) => code(&shorten(t)),
        Value::Flag(true) => "yes".to_owned(),
        Value::Flag(false) => "no".to_owned(),
        Value::Choice(c) => code(&shorten(&format!("{}, {}", c.code, c.label))),
        Value::List(items) => {
            let mut shown: Vec<String> = items
                .iter()
                .take(SHOWN_ITEMS)
                .map(|i| code(&shorten(i)))
                .collect();
            if items.len() > SHOWN_ITEMS {
                shown.push(format!("… ({} in all)", items.len()));
            }
            format!("[{}]", shown.join(", "))
        }
        Value::Tag(tag) => {
            let text = match &tag.argument {
                Some(a) => format!("{} {a}", tag.name),
                None => tag.name.clone(),
            };
            code(&shorten(&text))
        }
    }
}

/// One line of at most [`SHOWN_CHARS`] characters: line breaks and runs of
/// white space become one space.
fn shorten(text: &str) -> String {
    let one_line = one_line(text);
    if one_line.chars().count() <= SHOWN_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(SHOWN_CHARS - 1).collect();
    format!("{cut}…")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
