//! Macros of redcap-rs typed records. Use them through `redcap_client`, which re-exports them.
//!
//! `#[derive(Record)]` owns the wire rules: it maps a struct's fields to REDCap export
//! columns and implements `redcap_client::records::FlatRow` with one `match` over column
//! names and one over column ids, so decoding never goes through serde derive.

mod check;
mod record;
mod schema_file;

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
/// `crate = "path"` (default `::redcap_client`), and `schema = "path"`: a project's
/// schema (any input `cargo redcap schema` reads, relative to the crate root) against
/// which every field is checked at compile time. An unknown field is an error on that
/// field naming the nearest valid one; a type that cannot hold the field's values is an
/// error; a checkbox's columns come from the schema.
#[proc_macro_derive(Record, attributes(redcap))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    record::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Expands a whole project's record types from its schema file (relative to the crate
/// root; any input `cargo redcap schema` reads, typically `redcap/schema.json`). The
/// crate rebuilds when the file changes. The macro never touches the network.
///
/// ```ignore
/// mod records {
///     redcap_client::project!("redcap/schema.json");
/// }
/// ```
#[proc_macro]
pub fn project(input: TokenStream) -> TokenStream {
    let literal = syn::parse_macro_input!(input as syn::LitStr);
    match schema_file::SchemaFile::read(&literal) {
        Ok(file) => {
            let code = redcap_codegen::records::generate(&file.schema, &Default::default());
            let tracking = file.tracking();
            quote::quote!(#code #tracking).into()
        }
        Err(error) => error.into_compile_error().into(),
    }
}
