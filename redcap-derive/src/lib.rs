//! Macros of redcap-rs typed records. Use them through `redcap_client`, which re-exports them.
//!
//! `#[derive(Record)]` owns the wire rules: it maps a struct's fields to REDCap export
//! columns and implements `redcap_client::records::FlatRow` with one `match` over column
//! names and one over column ids, so decoding never goes through serde derive. The other
//! derives make a generated project module declarative: `Choice` (choice enums), `Name`
//! (the `Field`/`Form`/`EventName` enums), `Row` (a flat row of every instrument),
//! `Event` and `FromRows` (rows grouped into records).

mod attrs;
mod check;
mod choice;
mod group;
mod name;
mod record;
mod row;
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

/// Implements `Choice` and `WireValue` for a choice enum, and for a checkbox field's
/// enum its export columns.
///
/// ```ignore
/// #[derive(Clone, PartialEq, redcap_client::Choice)]
/// #[redcap(checkbox = "race")] // only on a checkbox field's choices
/// enum Race {
///     /// Asian
///     #[redcap(code = "1")]
///     Asian,
///     /// White
///     #[redcap(code = "2", label = "White (any origin)")]
///     White,
///     /// A code the dictionary does not list (kept only when decoding leniently).
///     Unknown(String),
/// }
/// ```
///
/// Each unit variant is a choice: `code = "…"` is required; `label` defaults to the
/// variant's doc comment; `column` (checkbox enums) defaults to REDCap's `field___code`
/// column. The one variant holding a `String` keeps codes the dictionary does not list.
#[proc_macro_derive(Choice, attributes(redcap))]
pub fn derive_choice(input: TokenStream) -> TokenStream {
    expand_with(input, choice::expand)
}

/// Implements `ALL`, `as_str` and `From<_> for String` for an enum of REDCap names (a
/// project's `Field`, `Form` or `EventName`): each variant is the name in snake case,
/// or `#[redcap(name = "…")]`.
#[proc_macro_derive(Name, attributes(redcap))]
pub fn derive_name(input: TokenStream) -> TokenStream {
    expand_with(input, name::expand)
}

/// Implements `FlatRow` for a project's row: `key: RowKey`, one member per instrument
/// (each a `#[derive(Record)]` struct with its `form`), and `survey: SurveyColumns`.
///
/// ```ignore
/// #[derive(Clone, Default, PartialEq, redcap_client::Row)]
/// #[redcap(record_id = "study_id", longitudinal, repeating)]
/// pub struct Row {
///     pub key: RowKey,
///     pub demographics: Demographics,
///     pub survey: SurveyColumns,
/// }
/// ```
///
/// `record_id` names the first column; `longitudinal` adds `redcap_event_name`,
/// `repeating` the two repeat columns. The instruments' columns follow in member order,
/// then REDCap's pseudo-columns (DAG, survey identifier and timestamps).
#[proc_macro_derive(Row, attributes(redcap))]
pub fn derive_row(input: TokenStream) -> TokenStream {
    expand_with(input, row::expand)
}

/// Groups rows into one event of a longitudinal project's record: each member is an
/// instrument `T`, or `Vec<Instance<T>>` for one that repeats in the event.
#[proc_macro_derive(Event, attributes(redcap))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    expand_with(input, group::expand_event)
}

/// Implements `from_rows` and `to_rows` for a project's record: `id: RecordId`,
/// `dag: Option<String>`, then, in a classic project, instruments (`T`, or
/// `Vec<Instance<T>>` when repeating) and, with `#[redcap(longitudinal)]`, events
/// (`Option<E>`, or `Vec<Instance<E>>` when the whole event repeats, each `E` an
/// `#[derive(Event)]` struct) named by member or `#[redcap(event = "…")]`. The row type
/// is `Row` unless `#[redcap(row = "…")]`.
#[proc_macro_derive(FromRows, attributes(redcap))]
pub fn derive_from_rows(input: TokenStream) -> TokenStream {
    expand_with(input, group::expand_record)
}

fn expand_with(
    input: TokenStream,
    expand: fn(&syn::DeriveInput) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand(&input)
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
