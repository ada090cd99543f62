//! Comparing two lists of `code, label` pairs (a field's choices, the
//! project's missing-data codes) by code, the way REDCap stores answers.

use crate::choices::Choice;

/// One difference between two choice lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChoiceChange {
    /// A code that is new.
    Added(Choice),
    /// A code that is gone.
    Removed(Choice),
    /// The same code with another label. `taken` when the new label was
    /// another code's before: the code's answers now mean something that
    /// was recorded under another code.
    LabelChanged {
        old: Choice,
        new: Choice,
        taken: bool,
    },
    /// The same label under another code.
    Recoded { old: Choice, new: Choice },
    /// The codes kept are listed in another order.
    Reordered { old: Vec<String>, new: Vec<String> },
}

/// The differences, in the old list's order, then additions in the new
/// list's order, then a change of order.
///
/// A label found exactly once on each side under different codes is a
/// re-coding: answers stored under the old code were given that label, and
/// now the label belongs to another code. This also catches two codes whose
/// labels were swapped, which a comparison by code alone would report as two
/// harmless label changes.
pub(crate) fn compare(old: &[Choice], new: &[Choice]) -> Vec<ChoiceChange> {
    let once = |list: &[Choice], label: &str| list.iter().filter(|c| c.label == label).count() == 1;
    let recoded_to = |o: &Choice| -> Option<&Choice> {
        let n = new.iter().find(|n| n.label == o.label)?;
        (n.code != o.code && once(old, &o.label) && once(new, &o.label)).then_some(n)
    };
    let recoded_from =
        |n: &Choice| -> bool { old.iter().any(|o| recoded_to(o).is_some_and(|t| t == n)) };

    let mut changes = Vec::new();
    for o in old {
        if let Some(n) = recoded_to(o) {
            changes.push(ChoiceChange::Recoded {
                old: o.clone(),
                new: n.clone(),
            });
            continue;
        }
        match new.iter().find(|n| n.code == o.code) {
            Some(n) if n.label != o.label => changes.push(ChoiceChange::LabelChanged {
                old: o.clone(),
                new: n.clone(),
                taken: recoded_from(n),
            }),
            Some(_) => {}
            None => changes.push(ChoiceChange::Removed(o.clone())),
        }
    }
    for n in new {
        if !old.iter().any(|o| o.code == n.code) && !recoded_from(n) {
            changes.push(ChoiceChange::Added(n.clone()));
        }
    }
    let old_codes: Vec<&str> = old.iter().map(|c| c.code.as_str()).collect();
    let new_codes: Vec<&str> = new.iter().map(|c| c.code.as_str()).collect();
    let (kept_old, kept_new) = super::order::common(&old_codes, &new_codes);
    if kept_old != kept_new {
        changes.push(ChoiceChange::Reordered {
            old: kept_old.into_iter().map(str::to_owned).collect(),
            new: kept_new.into_iter().map(str::to_owned).collect(),
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choices::parse_choices;

    fn diff(old: &str, new: &str) -> Vec<ChoiceChange> {
        compare(&parse_choices(old), &parse_choices(new))
    }

    #[test]
    fn by_code() {
        assert_eq!(diff("1, Yes | 0, No", "1, Yes | 0, No"), []);
        assert_eq!(
            diff("1, Yes | 0, No", "1, Yes | 0, Nope | 9, Unsure"),
            [
                ChoiceChange::LabelChanged {
                    old: Choice::new("0", "No"),
                    new: Choice::new("0", "Nope"),
                    taken: false,
                },
                ChoiceChange::Added(Choice::new("9", "Unsure")),
            ]
        );
        assert_eq!(
            diff("1, Yes | 0, No", "1, Yes"),
            [ChoiceChange::Removed(Choice::new("0", "No"))]
        );
    }

    #[test]
    fn recoding_onto_a_code_in_use() {
        assert_eq!(
            diff(
                "UNK, Unknown | NA, Not applicable | NI, No information",
                "UNK, Unknown | NI, Not applicable"
            ),
            [
                ChoiceChange::Recoded {
                    old: Choice::new("NA", "Not applicable"),
                    new: Choice::new("NI", "Not applicable")
                },
                ChoiceChange::LabelChanged {
                    old: Choice::new("NI", "No information"),
                    new: Choice::new("NI", "Not applicable"),
                    taken: true,
                },
            ]
        );
    }

    #[test]
    fn recoding_and_swaps() {
        assert_eq!(
            diff("1, Yes | 0, No", "1, Yes | 2, No"),
            [ChoiceChange::Recoded {
                old: Choice::new("0", "No"),
                new: Choice::new("2", "No")
            }]
        );
        assert_eq!(
            diff("1, Male | 2, Female", "1, Female | 2, Male"),
            [
                ChoiceChange::Recoded {
                    old: Choice::new("1", "Male"),
                    new: Choice::new("2", "Male")
                },
                ChoiceChange::Recoded {
                    old: Choice::new("2", "Female"),
                    new: Choice::new("1", "Female")
                },
            ]
        );
        assert_eq!(
            diff("1, A | 2, B", "2, B | 1, A"),
            [ChoiceChange::Reordered {
                old: vec!["1".into(), "2".into()],
                new: vec!["2".into(), "1".into()]
            }]
        );
    }
}
