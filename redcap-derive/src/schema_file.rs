//! Reading a project's schema at compile time: path resolution, rebuild tracking, and
//! errors spanned on the path literal.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// Overrides `CARGO_MANIFEST_DIR` as the base of relative schema paths; compile-fail tests
/// set it because their crate is built outside the source tree.
const MANIFEST_DIR_OVERRIDE: &str = "REDCAP_MANIFEST_DIR_OVERRIDE";

/// A schema read from a file named by a string literal.
pub(crate) struct SchemaFile {
    pub(crate) schema: redcap_schema::ProjectSchema,
    /// Absolute path, for `include_bytes!` so that editing the file rebuilds the crate.
    pub(crate) path: PathBuf,
}

impl SchemaFile {
    /// Reads any input `cargo redcap schema` reads; the path is relative to the crate root.
    pub(crate) fn read(literal: &LitStr) -> syn::Result<Self> {
        let relative = literal.value();
        let base = std::env::var_os(MANIFEST_DIR_OVERRIDE)
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
            .map(PathBuf::from)
            .ok_or_else(|| syn::Error::new(literal.span(), "CARGO_MANIFEST_DIR is not set"))?;
        let path = base.join(&relative);
        let schema = redcap_schema::read_path(&path).map_err(|error| {
            syn::Error::new(
                literal.span(),
                format!("cannot read the schema `{relative}`: {error}"),
            )
        })?;
        Ok(Self { schema, path })
    }

    /// A constant whose value includes the file, so cargo rebuilds when it changes.
    pub(crate) fn tracking(&self) -> TokenStream {
        let path = self.path.display().to_string();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a
/// likely typo.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|candidate| (distance(name, candidate), candidate))
        .filter(|(d, candidate)| *d <= (candidate.len().max(name.len()) / 3).max(2))
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over bytes (REDCap names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
