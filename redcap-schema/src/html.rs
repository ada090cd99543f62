//! The two HTML text functions REDCap applies to names, labels and messages: PHP's
//! `htmlspecialchars` with `ENT_QUOTES` (REDCap's `RCView::escape`) and `strip_tags`.

/// Escapes `&`, `<`, `>`, `"` and `'` as `htmlspecialchars(…, ENT_QUOTES)` does.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    out
}

/// Drops everything from a `<` to the next `>`, as PHP's `strip_tags` does for
/// well-formed tags.
pub fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_strips_as_php_does() {
        assert_eq!(
            escape(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#039;Jerry&#039;&lt;/b&gt;"
        );
        assert_eq!(
            strip_tags("<b>Age</b> (years) <i>now</i>"),
            "Age (years) now"
        );
        assert_eq!(strip_tags("a > b"), "a > b");
    }
}
