//! Macros of redcap-rs typed records. Use them through `redcap_client`, which re-exports them.
//!
//! `#[derive(Record)]` owns the wire rules: it maps a struct's fields to REDCap export
//! columns and implements `redcap_client::records::FlatRow` with one `match` over column
//! names and one over column ids, so decoding never goes through serde derive.

mod record;

use proc_macro::TokenStream;

/// Implements `FlatRow` for an instrument struct.
///
/// ```ignore
/// #[derive(Default, redcap_client::Record)]
/// #[redcap(form = "demographics")]
/// struct Demographics {
///     #[redcap(field = "dob")]
///     dob: Option<chrono::NaiveDate>,
///     #[redcap(field = "race", columns("race___1", "race___2"), codes("1", "2"))]
///     race: Checkboxes<Race>,
/// }
/// ```
///
/// Field attributes: `field = "name"` (default: the Rust name), and for checkboxes
/// `columns(...)` with the matching `codes(...)`. Struct attributes: `form = "name"`,
/// `crate = "path"` (default `::redcap_client`).
#[proc_macro_derive(Record, attributes(redcap))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    record::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
