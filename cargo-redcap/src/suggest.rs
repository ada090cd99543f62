//! "Did you mean …?": the nearest of a set of names to a misspelt one.

/// The candidate closest to `name` by edit distance (case ignored), if close enough to be
/// a plausible misspelling rather than a different name.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .map(|candidate| (distance(&name, &candidate.to_lowercase()), candidate))
        .filter(|(d, candidate)| *d <= name.chars().count().max(candidate.chars().count()) / 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_names_and_ignores_far_ones() {
        let names = ["export_records", "import_records", "export_version"];
        assert_eq!(
            nearest("export_recrods", names.into_iter()),
            Some("export_records")
        );
        assert_eq!(
            nearest("EXPORT_VERSION", names.into_iter()),
            Some("export_version")
        );
        assert_eq!(
            nearest("filter_logic", ["filterLogic"].into_iter()),
            Some("filterLogic")
        );
        assert_eq!(nearest("zzz", names.into_iter()), None);
    }
}
