//! Just enough of REDCap's logic syntax to check calculations and branching
//! logic the way its dictionary import does: balanced brackets and quotes,
//! and the field names referenced.

/// Removes `//` comment lines, which REDCap strips before checking logic.
pub fn strip_comments(logic: &str) -> String {
    logic
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether parentheses and square brackets are balanced in count, REDCap's
/// first test of a calculation.
pub fn brackets_balanced(logic: &str) -> bool {
    logic.matches('(').count() == logic.matches(')').count()
        && logic.matches('[').count() == logic.matches(']').count()
}

/// REDCap's first test of branching logic: balanced brackets and an even
/// number of each quote character.
pub fn branching_balanced(logic: &str) -> bool {
    brackets_balanced(logic)
        && logic.matches('\'').count().is_multiple_of(2)
        && logic.matches('"').count().is_multiple_of(2)
}

/// The field names a logic expression refers to, in order of appearance.
///
/// `[event][field]` refers to `field` (the first group names an event),
/// `[field][2]` to `field` at instance 2, `[field(code)]` to a checkbox and
/// `[field:value]` to a field with a modifier. Smart variables
/// (`[record-name]`, `[event-name]`, …) contain a `-` and are no fields.
/// Brackets inside quoted strings are text.
pub fn referenced_fields(logic: &str) -> Vec<String> {
    let groups = bracket_groups(logic);
    let mut fields = Vec::new();
    for (i, (content, end)) in groups.iter().enumerate() {
        let followed_by_group = groups.get(i + 1).is_some_and(|(next, next_start_end)| {
            next_start_end - next.len() - 1 == end + 1 && !is_instance(next)
        });
        if followed_by_group || is_instance(content) {
            continue;
        }
        let name = content.split(['(', ':']).next().unwrap_or_default().trim();
        if name.is_empty() || name.contains('-') || name.contains(' ') {
            continue;
        }
        fields.push(name.to_owned());
    }
    fields
}

fn is_instance(group: &str) -> bool {
    !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit())
        || matches!(
            group,
            "first-instance"
                | "last-instance"
                | "previous-instance"
                | "next-instance"
                | "current-instance"
        )
}

/// `[...]` groups outside quotes: their content and the byte position of
/// their closing bracket.
fn bracket_groups(logic: &str) -> Vec<(String, usize)> {
    let mut groups = Vec::new();
    let mut quote: Option<char> = None;
    let mut open: Option<usize> = None;
    for (i, c) in logic.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' if open.is_none() => quote = Some(c),
                '[' => open = Some(i),
                ']' => {
                    if let Some(start) = open.take() {
                        groups.push((logic[start + 1..i].to_owned(), i));
                    }
                }
                _ => {}
            },
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fields_not_events_instances_or_smart_variables() {
        assert_eq!(
            referenced_fields("[baseline_arm_1][age] > 3 and [cb(2)] = '1' or [x][2] = 1"),
            vec!["age", "cb", "x"]
        );
        assert_eq!(
            referenced_fields("[record-name] <> '' and [sex:value] = '[not]'"),
            vec!["sex"]
        );
        assert_eq!(
            referenced_fields("[event-name][weight] > 0"),
            vec!["weight"]
        );
    }

    #[test]
    fn balance_checks() {
        assert!(brackets_balanced("round(([w]*10000)/(([h])^(2)),1)"));
        assert!(!brackets_balanced("round([w]"));
        assert!(!branching_balanced("[a] = 'x"));
        assert_eq!(strip_comments("// note\n[a] = 1"), "[a] = 1");
    }
}
