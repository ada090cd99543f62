//! Names and docs: spec and dictionary text into identifiers and rustdoc.

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

/// `export_records` → `ExportRecords`.
pub fn type_ident(snake: &str) -> Ident {
    ident(&heck::ToPascalCase::to_pascal_case(snake))
}

/// `export_records` → `EXPORT_RECORDS`.
pub fn const_ident(snake: &str) -> Ident {
    ident(&heck::ToShoutySnakeCase::to_shouty_snake_case(snake))
}

/// Text made safe for rustdoc: `<` and square brackets are escaped so that
/// REDCap's `<form>_complete` or `[field]` are shown, not read as HTML or links.
pub fn doc_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    out
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

/// A PascalCase identifier from free text (a choice label), or `None` when the text
/// has no letters to build one from.
pub fn pascal_from_text(text: &str) -> Option<String> {
    let words: String = plain_text(text)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let name = heck::ToPascalCase::to_pascal_case(words.as_str());
    let name: String = name.chars().take(48).collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => Some(name),
        _ => None,
    }
}

/// Hands out names, making each unique by appending a suffix when it is taken.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: std::collections::BTreeSet<String>,
}

impl UniqueNames {
    /// Names that must never be handed out (e.g. a variant the generator adds itself).
    pub fn reserving(names: &[&str]) -> Self {
        Self {
            taken: names.iter().map(|n| n.to_string()).collect(),
        }
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
    fn labels_become_variant_names() {
        assert_eq!(
            pascal_from_text("<b>Strongly</b> agree!").as_deref(),
            Some("StronglyAgree")
        );
        assert_eq!(pascal_from_text("1 - Yes"), None);
        assert_eq!(pascal_from_text("¿?"), None);
        let mut names = UniqueNames::reserving(&["Unknown"]);
        assert_eq!(names.claim("Yes", "1"), "Yes");
        assert_eq!(names.claim("Yes", "1"), "Yes1");
        assert_eq!(names.claim("Unknown", "9"), "Unknown9");
    }

    #[test]
    fn docs_escape_markup() {
        assert_eq!(
            doc_escape("<form>_complete and [age] > 3"),
            "&lt;form>_complete and \\[age\\] > 3"
        );
    }
}
