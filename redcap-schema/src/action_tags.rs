//! Action tags in a field annotation (`@HIDDEN`, `@DEFAULT='x'`,
//! `@CALCTEXT(...)`, …).

use serde::{Deserialize, Serialize};

/// One action tag found in a field annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTag {
    /// The tag with its `@`, upper-case as REDCap requires (`@HIDDEN-SURVEY`).
    pub name: String,
    /// The argument as written, without its quotes or outer parentheses:
    /// `@DEFAULT='5'` → `5`, `@CALCTEXT(if([a]=1,'x',''))` →
    /// `if([a]=1,'x','')`. `None` for a bare tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argument: Option<String>,
}

impl ActionTag {
    /// Whether REDCap 15.7.6 knows this tag.
    pub fn is_known(&self) -> bool {
        KNOWN_ACTION_TAGS.contains(&self.name.as_str())
    }
}

/// The action tags REDCap 15.7.6 documents, including the Mobile App and
/// MyCap ones it lists only when those features are on.
pub const KNOWN_ACTION_TAGS: &[&str] = &[
    "@APPUSERNAME-APP",
    "@BARCODE-APP",
    "@CALCDATE",
    "@CALCTEXT",
    "@CHARLIMIT",
    "@CONSENT-VERSION",
    "@DEFAULT",
    "@DOWNLOAD-COUNT",
    "@FORCE-MINMAX",
    "@HIDDEN",
    "@HIDDEN-APP",
    "@HIDDEN-FORM",
    "@HIDDEN-PDF",
    "@HIDDEN-SURVEY",
    "@HIDEBUTTON",
    "@HIDECHOICE",
    "@IF",
    "@INLINE",
    "@INLINE-PREVIEW",
    "@LANGUAGE-CURRENT-FORM",
    "@LANGUAGE-CURRENT-SURVEY",
    "@LANGUAGE-FORCE",
    "@LANGUAGE-FORCE-FORM",
    "@LANGUAGE-FORCE-SURVEY",
    "@LANGUAGE-SET",
    "@LANGUAGE-SET-FORM",
    "@LANGUAGE-SET-SURVEY",
    "@LATITUDE",
    "@LONGITUDE",
    "@MAXCHECKED",
    "@MAXCHOICE",
    "@MAXCHOICE-SURVEY-COMPLETE",
    "@MC-FIELD-FILE-IMAGECAPTURE",
    "@MC-FIELD-FILE-VIDEOCAPTURE",
    "@MC-FIELD-HIDDEN",
    "@MC-FIELD-SLIDER-BASIC",
    "@MC-FIELD-SLIDER-CONTINUOUS",
    "@MC-FIELD-TEXT-BARCODE",
    "@MC-PARTICIPANT-CODE",
    "@MC-PARTICIPANT-JOINDATE",
    "@MC-PARTICIPANT-JOINDATE-UTC",
    "@MC-PARTICIPANT-TIMEZONE",
    "@MC-TASK-ENDDATE",
    "@MC-TASK-SCHEDULEDATE",
    "@MC-TASK-SERIALIZEDRESULTS",
    "@MC-TASK-STARTDATE",
    "@MC-TASK-STATUS",
    "@MC-TASK-SUPPLEMENTALDATA",
    "@MC-TASK-UUID",
    "@NOMISSING",
    "@NONEOFTHEABOVE",
    "@NOW",
    "@NOW-SERVER",
    "@NOW-UTC",
    "@PASSWORDMASK",
    "@PLACEHOLDER",
    "@PREFILL",
    "@RANDOMORDER",
    "@READONLY",
    "@READONLY-APP",
    "@READONLY-FORM",
    "@READONLY-SURVEY",
    "@RICHTEXT",
    "@SETVALUE",
    "@SHOWCHOICE",
    "@SYNC-APP",
    "@TODAY",
    "@TODAY-SERVER",
    "@TODAY-UTC",
    "@USERNAME",
    "@WORDLIMIT",
];

/// Finds the action tags of an annotation, in order.
///
/// A tag starts with `@` at the start of the text or after whitespace (so an
/// e-mail address is not a tag) and continues with upper-case letters, digits
/// and `-`. Its argument is either a parenthesised expression (`@IF(...)`,
/// `@CALCTEXT(...)`; nested parentheses and quoted text are honoured) or
/// follows `=` as a quoted string or a bare word. Text that is not a tag is
/// ordinary annotation text and is skipped.
pub fn parse_action_tags(annotation: &str) -> Vec<ActionTag> {
    let chars: Vec<char> = annotation.chars().collect();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_boundary = i == 0 || chars[i - 1].is_whitespace();
        if chars[i] != '@'
            || !at_boundary
            || !chars.get(i + 1).is_some_and(char::is_ascii_uppercase)
        {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < chars.len()
            && (chars[i].is_ascii_uppercase() || chars[i].is_ascii_digit() || chars[i] == '-')
        {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        let (argument, next) = read_argument(&chars, i);
        i = next;
        tags.push(ActionTag {
            name: name.trim_end_matches('-').to_owned(),
            argument,
        });
    }
    tags
}

/// Reads the argument after a tag name ending at `i`; returns it and the
/// position after it.
fn read_argument(chars: &[char], i: usize) -> (Option<String>, usize) {
    match chars.get(i) {
        Some('(') => read_parenthesised(chars, i),
        Some('=') => {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|c| *c == ' ') {
                j += 1;
            }
            match chars.get(j) {
                Some(&q) if q == '"' || q == '\'' => {
                    let begin = j + 1;
                    let mut k = begin;
                    while k < chars.len() && chars[k] != q {
                        k += 1;
                    }
                    let arg: String = chars[begin..k.min(chars.len())].iter().collect();
                    (Some(arg), (k + 1).min(chars.len()))
                }
                _ => {
                    let begin = j;
                    let mut k = begin;
                    while k < chars.len() && !chars[k].is_whitespace() {
                        k += 1;
                    }
                    (Some(chars[begin..k].iter().collect()), k)
                }
            }
        }
        _ => (None, i),
    }
}

/// Reads `( ... )` with nesting and quotes; an unclosed argument runs to the
/// end of the annotation rather than being dropped.
fn read_parenthesised(chars: &[char], open: usize) -> (Option<String>, usize) {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut k = open;
    while k < chars.len() {
        let c = chars[k];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return (Some(chars[open + 1..k].iter().collect()), k + 1);
                    }
                }
                _ => {}
            },
        }
        k += 1;
    }
    (Some(chars[open + 1..].iter().collect()), chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<(String, Option<String>)> {
        parse_action_tags(s)
            .into_iter()
            .map(|t| (t.name, t.argument))
            .collect()
    }

    #[test]
    fn bare_quoted_and_parenthesised() {
        assert_eq!(
            names("@HIDDEN @DEFAULT='a b' @CALCTEXT(if([x]=1, ')', 'y')) @TODAY"),
            vec![
                ("@HIDDEN".into(), None),
                ("@DEFAULT".into(), Some("a b".into())),
                ("@CALCTEXT".into(), Some("if([x]=1, ')', 'y')".into())),
                ("@TODAY".into(), None),
            ]
        );
    }

    #[test]
    fn email_addresses_and_lower_case_are_not_tags() {
        assert!(names("mail me@example.org or @lower").is_empty());
        assert_eq!(
            names("Note\n@HIDDEN-SURVEY\t@MAXCHOICE(1=2,3=4)"),
            vec![
                ("@HIDDEN-SURVEY".into(), None),
                ("@MAXCHOICE".into(), Some("1=2,3=4".into()))
            ]
        );
    }

    #[test]
    fn unclosed_arguments_are_kept() {
        assert_eq!(
            names("@DEFAULT=\"open @IF(("),
            vec![("@DEFAULT".into(), Some("open @IF((".into()))]
        );
        assert!(parse_action_tags("@HIDDEN").iter().all(ActionTag::is_known));
    }
}
