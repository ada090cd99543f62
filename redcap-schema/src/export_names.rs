//! Export column names, made with REDCap's rules.

/// Formats a checkbox code for use in an export column name, as REDCap
/// 15.7.6 does (`Project::getExtendedCheckboxCodeFormatted`): every `-` and
/// every `.` becomes `_` (so `-1` and `1` or `1.5` and `15` cannot clash),
/// ASCII letters are lower-cased and anything outside `[a-z0-9_]` is dropped.
///
/// The mapping is lossy: `0-zero` and `0_zero` give the same name.
pub fn checkbox_code_suffix(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

/// The export column of one checkbox choice: `{field}___{formatted code}`.
pub fn checkbox_column(field: &str, code: &str) -> String {
    format!("{field}___{}", checkbox_code_suffix(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangles_like_redcap() {
        assert_eq!(checkbox_column("rate", "-1"), "rate____1");
        assert_eq!(checkbox_column("x", "1.5"), "x___1_5");
        assert_eq!(checkbox_column("x", "AB"), "x___ab");
        assert_eq!(checkbox_column("x", "a b"), "x___ab");
        assert_eq!(checkbox_column("race", "0-zero"), "race___0_zero");
        assert_eq!(checkbox_column("race", "Five.5"), "race___five_5");
        assert_eq!(checkbox_column("x", "Ü1"), "x___1");
    }
}
