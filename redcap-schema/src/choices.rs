//! The "Choices, Calculations, OR Slider Labels" column: `code, label` pairs
//! and slider labels, parsed the way REDCap parses them.

use serde::{Deserialize, Serialize};

/// One choice of a multiple-choice field: the stored code and its label.
///
/// Codes are strings (`-1`, `1.5`, `a_b` and `01` ≠ `1` all occur); labels are
/// metadata and never stand in for a code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Choice {
    /// The coded value REDCap stores and exports.
    pub code: String,
    /// The label shown to users.
    pub label: String,
}

impl Choice {
    /// A choice from a code and a label.
    pub fn new(code: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            code: code.into(),
            label: label.into(),
        }
    }
}

/// Splits a choices cell into its items. REDCap separates items with `|` in
/// the dictionary and with the two characters `\n` when it stores them, so
/// both are separators; a real line break belongs to a label.
fn items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('|').flat_map(|part| part.split("\\n"))
}

/// Parses `code, label | code, label`: the code is the text before the first
/// comma and the label the rest, both trimmed; an item without a comma is its
/// own code and label. Empty items (a stray leading or trailing `|`) are
/// skipped, as REDCap skips them.
pub fn parse_choices(cell: &str) -> Vec<Choice> {
    items(cell)
        .filter(|item| !item.trim().is_empty())
        .map(|item| match item.split_once(',') {
            Some((code, label)) => Choice::new(code.trim(), label.trim()),
            None => Choice::new(item.trim(), item.trim()),
        })
        .collect()
}

/// Writes choices back as REDCap exports them: `code, label | code, label`.
pub fn format_choices(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| format!("{}, {}", c.code, c.label))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Parses slider labels (`left | middle | right`), keeping empty positions so
/// that a label stays at its place.
pub fn parse_slider_labels(cell: &str) -> Vec<String> {
    if cell.trim().is_empty() {
        return Vec::new();
    }
    items(cell).map(|s| s.trim().to_owned()).collect()
}

/// Writes slider labels as REDCap exports them.
pub fn format_slider_labels(labels: &[String]) -> String {
    labels.join(" | ")
}

/// Whether a code is one REDCap accepts: numeric in PHP's sense, or made of
/// letters, digits, `.`, `_` and `-` only.
pub fn is_valid_code(code: &str) -> bool {
    is_php_numeric(code)
        || (!code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
}

/// REDCap's suggestion for an illegal code: spaces become `_`, other illegal
/// characters go.
pub fn suggest_code(code: &str) -> String {
    let suggestion: String = code
        .replace(' ', "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    if suggestion.is_empty() {
        "{number value}".to_owned()
    } else {
        suggestion
    }
}

/// PHP's `is_numeric`: optional leading whitespace, sign, digits with an
/// optional fraction, optional exponent, optional trailing whitespace.
pub fn is_php_numeric(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.trim_end_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == exp_start {
            return false;
        }
        i = j;
    }
    i == b.len()
}

/// Whether `s` is an integer as REDCap's `isinteger` sees it (optional `-`,
/// digits, no leading zero), used for slider bounds.
pub fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_before_the_first_comma() {
        let c = parse_choices("1, Yes, complete | 0,No|-99 , Unknown");
        assert_eq!(
            c,
            vec![
                Choice::new("1", "Yes, complete"),
                Choice::new("0", "No"),
                Choice::new("-99", "Unknown"),
            ]
        );
    }

    #[test]
    fn stored_separator_and_bare_items() {
        let c = parse_choices("a \\n b, Bee|");
        assert_eq!(c, vec![Choice::new("a", "a"), Choice::new("b", "Bee")]);
        assert_eq!(format_choices(&c), "a, a | b, Bee");
    }

    #[test]
    fn code_rules_follow_php() {
        for ok in ["1", "-1", "1.5", "1e3", " 7", "a_b", "Five.5", "0-zero"] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in ["a b", "", "é", "x,y", "a+b"] {
            assert!(!is_valid_code(bad), "{bad}");
        }
        assert_eq!(suggest_code("a b"), "a_b");
        assert_eq!(suggest_code("??"), "{number value}");
        assert!(is_integer("-10") && is_integer("0") && !is_integer("05") && !is_integer("1.0"));
    }
}
