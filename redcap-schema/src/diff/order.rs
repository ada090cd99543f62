//! Orders that keep a diff in schema order: the new list, with what was
//! removed shown where it used to be.

/// The items of `new`, with each item of `old` that is not in `new` inserted
/// right after the item that preceded it in `old` (or first, if none did).
pub(crate) fn merge<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<&'a str> {
    let mut merged: Vec<&str> = new.to_vec();
    let mut last_kept: Option<usize> = None;
    for item in old {
        match merged.iter().position(|m| m == item) {
            Some(at) => last_kept = Some(at),
            None => {
                let at = last_kept.map_or(0, |i| i + 1);
                merged.insert(at, item);
                last_kept = Some(at);
            }
        }
    }
    merged
}

/// The items both lists hold, in the order of each; equal when the items
/// kept did not move relative to one another.
pub(crate) fn common<'a>(old: &[&'a str], new: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let in_old: Vec<&str> = old.iter().copied().filter(|o| new.contains(o)).collect();
    let in_new: Vec<&str> = new.iter().copied().filter(|n| old.contains(n)).collect();
    (in_old, in_new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_items_stay_where_they_were() {
        assert_eq!(
            merge(&["a", "b", "c"], &["a", "c", "d"]),
            ["a", "b", "c", "d"]
        );
        assert_eq!(merge(&["x", "a"], &["a"]), ["x", "a"]);
        assert_eq!(merge(&["a", "x", "y"], &["b", "a"]), ["b", "a", "x", "y"]);
        assert_eq!(
            common(&["a", "b", "c"], &["c", "a", "d"]),
            (vec!["a", "c"], vec!["c", "a"])
        );
    }
}
