//! Names and docs: spec and dictionary text into identifiers and rustdoc.
//!
//! REDCap allows names Rust does not: keywords (`type`, `match`), mixed case
//! (`reshist_addr1_D1A`), double or triple underscores (`old__value`, `a___b`),
//! leading digits, and labels in any script. Every name that becomes an
//! identifier goes through [`snake_name`] or [`pascal_name`], which keep ASCII
//! letters and digits, join the words in the case the lints expect, and put a
//! role prefix (`field_`, `Form`, …) in front of a name that would start with a
//! digit, be empty, or be a keyword that cannot be raw. [`UniqueNames`] then
//! makes the names of one scope unique, deterministically in dictionary order.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Keywords that need the raw form `r#name` to be identifiers.
const RAW_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing underscore.
const NON_RAW_KEYWORDS: &[&str] = &["crate", "self", "Self", "super", "_"];

/// The longest variant name made from a label, in characters.
const MAX_LABEL_NAME: usize = 48;

/// An identifier for `name`, raw when it is a keyword, suffixed when it cannot be raw.
pub fn ident(name: &str) -> Ident {
    if NON_RAW_KEYWORDS.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if RAW_KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The REDCap name `#[derive(Name)]` gives a variant without a `name` attribute: the
/// variant in snake case (`DateEnrolled` → `date_enrolled`). The generator writes the
/// attribute wherever this does not give the name back.
pub fn default_wire_name(variant: &str) -> String {
    heck::ToSnakeCase::to_snake_case(variant.trim_start_matches("r#"))
}

/// `export_records` → `ExportRecords`.
pub fn type_ident(snake: &str) -> Ident {
    ident(&heck::ToPascalCase::to_pascal_case(snake))
}

/// `export_records` → `EXPORT_RECORDS`.
pub fn const_ident(snake: &str) -> Ident {
    ident(&heck::ToShoutySnakeCase::to_shouty_snake_case(snake))
}

/// The words of a REDCap name: its runs of ASCII letters and digits. Case is
/// not a word boundary, so `addr1_D1A` is `addr1`, `D1A`.
fn name_words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// Whether a generated name needs its role prefix: empty, starting with a digit,
/// or a keyword that has no raw form.
fn needs_prefix(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || NON_RAW_KEYWORDS.contains(&name)
}

/// A snake_case name for a field, instrument or event: words lower-cased and
/// joined by one `_`; `prefix_` in front when the result would be empty, start
/// with a digit, or be `self`, `crate` or `super`. Other keywords stay, and
/// [`ident`] makes them raw.
///
/// `reshist_addr1_D1A` → `reshist_addr1_d1a`, `old__value` → `old_value`,
/// `1st_visit` → `field_1st_visit` (prefix `field`).
pub fn snake_name(name: &str, prefix: &str) -> String {
    let snake = name_words(name)
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_");
    if needs_prefix(&snake) {
        if snake.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}_{snake}")
        }
    } else {
        snake
    }
}

/// An UpperCamelCase name for a type or variant made from a REDCap name: each
/// word lower-cased with its first letter capitalised; `prefix` in front when the
/// result would be empty, start with a digit, or be `Self`.
///
/// `blood_pressure` → `BloodPressure`, `form_1` → `Form1`, `1st` → `Form1st`
/// (prefix `Form`).
pub fn pascal_name(name: &str, prefix: &str) -> String {
    let pascal: String = name_words(name).map(capitalised).collect();
    if needs_prefix(&pascal) {
        format!("{prefix}{pascal}")
    } else {
        pascal
    }
}

/// `d1A` → `D1a`.
fn capitalised(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A choice code as part of a variant name, with no underscores (which the
/// camel-case lint refuses next to letters): letters and digits kept, the
/// first letter of each run capitalised, `-` spelled `Minus` and `.` `Dot`.
///
/// `-1` → `Minus1`, `1.5` → `1Dot5`, `a_b` → `AB`, `UNK` → `UNK`.
pub fn code_name(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut word_start = true;
    for c in code.chars() {
        match c {
            '-' => {
                out.push_str("Minus");
                word_start = true;
            }
            '.' => {
                out.push_str("Dot");
                word_start = true;
            }
            c if c.is_ascii_alphanumeric() => {
                out.push(if word_start {
                    c.to_ascii_uppercase()
                } else {
                    c
                });
                word_start = false;
            }
            _ => word_start = true,
        }
    }
    out
}

/// Text made safe for rustdoc: `<` and square brackets are escaped so that
/// REDCap's `<form>_complete` or `[field]` are shown, not read as HTML or links.
pub fn doc_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Inside a code span markdown reads nothing as markup, so nothing is escaped there:
    // `&lt;` would show as written.
    let mut fence: Option<usize> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            let mut run = 1;
            while chars.peek() == Some(&'`') {
                chars.next();
                run += 1;
            }
            out.push_str(&"`".repeat(run));
            fence = match fence {
                None if closes(chars.clone(), run) => Some(run),
                Some(open) if open == run => None,
                other => other,
            };
            continue;
        }
        match (c, fence) {
            (_, Some(_)) => out.push(c),
            ('<', None) => out.push_str("&lt;"),
            ('[', None) => out.push_str("\\["),
            (']', None) => out.push_str("\\]"),
            (c, None) => out.push(c),
        }
    }
    out
}

/// Whether a run of exactly `run` backticks follows: an opening run without one is
/// plain text.
fn closes(rest: impl Iterator<Item = char>, run: usize) -> bool {
    let mut current = 0;
    for c in rest {
        if c == '`' {
            current += 1;
        } else {
            if current == run {
                return true;
            }
            current = 0;
        }
    }
    current == run
}

/// `#[doc = "…"]` attributes, one per line, each line starting with a space as `///` does.
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.trim_end().lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

/// Plain text of a REDCap label: HTML tags dropped, whitespace collapsed.
pub fn plain_text(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut in_tag = false;
    for c in label.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A PascalCase identifier from free text (a choice label), or `None` when the
/// text has no ASCII letter to start one with (other scripts, emoji, `1 - Yes`).
/// A long label is cut after the last whole word that fits in 48 characters; a
/// first word longer than that is cut.
pub fn pascal_from_text(text: &str) -> Option<String> {
    let words: String = plain_text(text)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut name = String::new();
    for word in words.split_whitespace() {
        let word = heck::ToPascalCase::to_pascal_case(word);
        if name.len() + word.len() > MAX_LABEL_NAME {
            if name.is_empty() {
                name = word.chars().take(MAX_LABEL_NAME).collect();
            }
            break;
        }
        name.push_str(&word);
    }
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => Some(name),
        _ => None,
    }
}

/// Hands out names, making each unique by appending a suffix when it is taken.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: std::collections::HashSet<String>,
}

impl UniqueNames {
    /// Names that must never be handed out (e.g. a variant the generator adds itself).
    pub fn reserving(names: &[&str]) -> Self {
        Self {
            taken: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// Whether `name` has been handed out or reserved.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// `wanted`, or `wanted` + `fallback_suffix` (then a counter) when taken.
    pub fn claim(&mut self, wanted: &str, fallback_suffix: &str) -> String {
        if self.taken.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        let with_suffix = format!("{wanted}{fallback_suffix}");
        if self.taken.insert(with_suffix.clone()) {
            return with_suffix;
        }
        let mut counter = 2;
        loop {
            let candidate = format!("{with_suffix}{counter}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            counter += 1;
        }
    }

    /// `wanted`, or `wanted` + `separator` + a counter from 2 when taken.
    pub fn claim_numbered(&mut self, wanted: &str, separator: &str) -> String {
        if self.taken.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        let mut counter = 2;
        loop {
            let candidate = format!("{wanted}{separator}{counter}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            counter += 1;
        }
    }

    /// Unique names for `wanted` names (numbered as [`Self::claim_numbered`]), in
    /// order, with names that are already their item's own spelling (the `bool`)
    /// served first: when `old__value` and `old_value` both want `old_value`, the
    /// field spelled that way keeps it, wherever it stands.
    pub fn claim_all(&mut self, wanted: &[(String, bool)], separator: &str) -> Vec<String> {
        let mut names: Vec<Option<String>> = vec![None; wanted.len()];
        for pass_exact in [true, false] {
            for (slot, (name, exact)) in names.iter_mut().zip(wanted) {
                if *exact == pass_exact {
                    *slot = Some(self.claim_numbered(name, separator));
                }
            }
        }
        names.into_iter().map(|n| n.unwrap_or_default()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_usable_identifiers() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("records").to_string(), "records");
        assert_eq!(type_ident("export_records").to_string(), "ExportRecords");
        assert_eq!(const_ident("export_records").to_string(), "EXPORT_RECORDS");
    }

    #[test]
    fn redcap_names_become_snake_and_camel_case() {
        assert_eq!(
            snake_name("reshist_addr1_D1A", "field"),
            "reshist_addr1_d1a"
        );
        assert_eq!(snake_name("old__value", "field"), "old_value");
        assert_eq!(snake_name("a___b", "field"), "a_b");
        assert_eq!(snake_name("_x_", "field"), "x");
        assert_eq!(snake_name("1st_visit", "field"), "field_1st_visit");
        assert_eq!(snake_name("self", "form"), "form_self");
        assert_eq!(snake_name("größe", "field"), "gr_e");
        assert_eq!(snake_name("ü", "field"), "field");
        assert_eq!(snake_name("type", "field"), "type");
        assert_eq!(pascal_name("blood_pressure", "Form"), "BloodPressure");
        assert_eq!(pascal_name("reshist_addr1_D1A", "Field"), "ReshistAddr1D1a");
        assert_eq!(pascal_name("form_1", "Form"), "Form1");
        assert_eq!(pascal_name("1st", "Form"), "Form1st");
        assert_eq!(pascal_name("self", "Form"), "FormSelf");
        assert_eq!(code_name("-1"), "Minus1");
        assert_eq!(code_name("1.5"), "1Dot5");
        assert_eq!(code_name("a_b"), "AB");
        assert_eq!(code_name("UNK"), "UNK");
    }

    #[test]
    fn labels_become_variant_names() {
        assert_eq!(
            pascal_from_text("<b>Strongly</b> agree!").as_deref(),
            Some("StronglyAgree")
        );
        assert_eq!(pascal_from_text("1 - Yes"), None);
        assert_eq!(pascal_from_text("¿?"), None);
        assert_eq!(pascal_from_text("是"), None);
        assert_eq!(pascal_from_text("😀"), None);
        let long = "The participant reported symptoms consistent with a moderate infection";
        assert_eq!(
            pascal_from_text(long).as_deref(),
            Some("TheParticipantReportedSymptomsConsistentWithA")
        );
        let one_word = "a".repeat(60);
        assert_eq!(pascal_from_text(&one_word).map(|n| n.len()), Some(48));
    }

    #[test]
    fn names_are_made_unique() {
        let mut names = UniqueNames::reserving(&["Unknown"]);
        assert_eq!(names.claim("Yes", "1"), "Yes");
        assert_eq!(names.claim("Yes", "1"), "Yes1");
        assert_eq!(names.claim("Unknown", "9"), "Unknown9");
        assert_eq!(names.claim("Yes", "1"), "Yes12");
        let mut fields = UniqueNames::default();
        let wanted = [
            ("old_value".to_owned(), false),
            ("old_value".to_owned(), true),
            ("old_value".to_owned(), false),
        ];
        assert_eq!(
            fields.claim_all(&wanted, "_"),
            ["old_value_2", "old_value", "old_value_3"]
        );
    }

    #[test]
    fn docs_escape_markup() {
        assert_eq!(
            doc_escape("<form>_complete and [age] > 3"),
            "&lt;form>_complete and \\[age\\] > 3"
        );
        // Code spans show their text as written.
        assert_eq!(
            doc_escape("`<records>` and ``a ` <b>`` but `<"),
            "`<records>` and ``a ` <b>`` but `&lt;"
        );
    }
}
