//! Markdown for a pull-request comment.

use std::fmt::Write;

use super::super::model::{Impact, SchemaDiff};
use super::{describe, heading, one_line, summary, target};

/// The diff as Markdown: a heading with the counts, then one section per
/// impact (breaking first) listing each change with its reason.
pub fn to_markdown(diff: &SchemaDiff) -> String {
    let mut out = String::from("## Schema diff\n\n");
    if diff.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let _ = writeln!(out, "{}", summary(diff));
    for impact in Impact::ALL {
        let changes: Vec<_> = diff.with_impact(impact).collect();
        if changes.is_empty() {
            continue;
        }
        let _ = write!(out, "\n### {} ({})\n\n", heading(impact), changes.len());
        for change in changes {
            let _ = writeln!(
                out,
                "- **{}**: {}  \n  {}",
                target(&change.target, code),
                describe(change, code),
                one_line(&change.reason)
            );
        }
    }
    out
}

/// A code span that holds any text: the fence is one backtick longer than
/// the longest run inside, and padded when the text starts or ends with one.
fn code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }
}
