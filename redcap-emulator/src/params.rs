//! Request parameters as PHP sees them: plain fields, PHP arrays
//! (`records[0]=a`, `records[]=a`) and REDCap's comma-joined lists.

use indexmap::IndexMap;

/// The decoded parameters of one request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    scalars: IndexMap<String, String>,
    arrays: IndexMap<String, Vec<String>>,
    files: IndexMap<String, Upload>,
}

/// A file part of a multipart request, as PHP's `$_FILES` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    /// The file name the client sent.
    pub(crate) name: String,
    /// The part's `Content-Type`, when the client sent one.
    pub(crate) mime: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

impl Params {
    /// Collects name/value pairs; `name[…]` keys become arrays in the order
    /// sent (PHP keeps insertion order for both numbered and `[]` keys).
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Params {
        let mut params = Params::default();
        for (name, value) in pairs {
            match name.find('[') {
                Some(open) if name.ends_with(']') && open > 0 => {
                    params
                        .arrays
                        .entry(name[..open].to_owned())
                        .or_default()
                        .push(value);
                }
                _ => {
                    params.scalars.insert(name, value);
                }
            }
        }
        params
    }

    /// Adds a file part (multipart uploads).
    pub(crate) fn add_file(&mut self, name: String, upload: Upload) {
        self.files.insert(name, upload);
    }

    /// A file part, by its part name.
    pub(crate) fn file(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }

    /// Whether any file part was sent (PHP's `count($_FILES)`).
    pub(crate) fn has_files(&self) -> bool {
        !self.files.is_empty()
    }

    /// A plain parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.scalars.get(name).map(String::as_str)
    }

    /// A plain parameter, treating an empty value as absent.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Whether the parameter was sent at all (as a scalar or an array).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.scalars.contains_key(name) || self.arrays.contains_key(name)
    }

    /// Whether it was sent as an array.
    pub(crate) fn is_array(&self, name: &str) -> bool {
        self.arrays.contains_key(name)
    }

    /// A list parameter: the array, or a comma-joined string split and
    /// trimmed as REDCap does; empty items dropped.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        if let Some(items) = self.arrays.get(name) {
            return items
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        match self.scalars.get(name) {
            Some(s) => s
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    /// REDCap's boolean reading: true only for `1` or `true` (any case).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
    }

    /// An enumerated value, falling back to `default` for anything else
    /// (REDCap normalises silently rather than failing).
    pub(crate) fn choice<'a>(&self, name: &str, allowed: &[&'a str], default: &'a str) -> &'a str {
        let value = self.get(name).unwrap_or_default();
        allowed
            .iter()
            .copied()
            .find(|a| *a == value)
            .unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    #[test]
    fn arrays_and_comma_lists() {
        let p = params(&[
            ("records[0]", "a"),
            ("records[1]", "b, c"),
            ("fields", "x, y,"),
        ]);
        assert_eq!(p.list("records"), ["a", "b, c"]);
        assert_eq!(p.list("fields"), ["x", "y"]);
        assert!(p.is_array("records"));
        assert!(!p.has("forms"));
    }

    #[test]
    fn flags_and_choices() {
        let p = params(&[("a", "TRUE"), ("b", "yes"), ("type", "wide")]);
        assert!(p.flag("a"));
        assert!(!p.flag("b"));
        assert_eq!(p.choice("type", &["flat", "eav"], "flat"), "flat");
    }
}
