//! Orders that keep a diff in schema order: the new list, with what was
//! removed shown where it used to be. Both are linear: a schema may hold 100,000 fields.

use std::collections::{HashMap, HashSet};

/// The items of `new`, with each item of `old` that is not in `new` inserted
/// right after the item that preceded it in `old` (or first, if none did).
pub(crate) fn merge<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<&'a str> {
    let positions: HashMap<&str, usize> = new
        .iter()
        .enumerate()
        .rev()
        .map(|(at, item)| (*item, at))
        .collect();
    // The removed items to show after each item of `new` (by its position), or
    // before all of them.
    let mut first: Vec<&'a str> = Vec::new();
    let mut after: HashMap<usize, Vec<&'a str>> = HashMap::new();
    let mut last_kept: Option<usize> = None;
    let mut removed: HashSet<&str> = HashSet::new();
    for item in old {
        match positions.get(item) {
            Some(&at) => last_kept = Some(at),
            // A name listed twice is shown once.
            None if !removed.insert(item) => {}
            None => match last_kept {
                Some(at) => after.entry(at).or_default().push(item),
                None => first.push(item),
            },
        }
    }
    let mut merged = first;
    merged.reserve(new.len() + after.values().map(Vec::len).sum::<usize>());
    for (at, item) in new.iter().enumerate() {
        merged.push(item);
        if let Some(removed) = after.remove(&at) {
            merged.extend(removed);
        }
    }
    merged
}

/// The items both lists hold, in the order of each; equal when the items
/// kept did not move relative to one another.
pub(crate) fn common<'a>(old: &[&'a str], new: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let old_set: HashSet<&str> = old.iter().copied().collect();
    let new_set: HashSet<&str> = new.iter().copied().collect();
    let in_old: Vec<&str> = old
        .iter()
        .copied()
        .filter(|o| new_set.contains(o))
        .collect();
    let in_new: Vec<&str> = new
        .iter()
        .copied()
        .filter(|n| old_set.contains(n))
        .collect();
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
            merge(&["a", "x", "b", "y"], &["b", "a"]),
            ["b", "y", "a", "x"]
        );
        assert_eq!(merge(&["x", "y", "a"], &["a"]), ["x", "y", "a"]);
        assert_eq!(
            common(&["a", "b", "c"], &["c", "a", "d"]),
            (vec!["a", "c"], vec!["c", "a"])
        );
    }
}
