//! Generation logic of redcap-rs: every generator returns a [`proc_macro2::TokenStream`],
//! and thin front-ends (the client's `build.rs`, the `cargo redcap` CLI) format and write it.
//!
//! - [`client`]: the API spec → the typed client's builders, enums and method table.
//! - [`records`]: a project's schema → typed instrument structs, choice enums, rows and records.
//! - [`naming`]: the one place where names become Rust identifiers and text becomes docs.
//!
//! This crate is an implementation detail of redcap-rs; its API is not covered by semver.

pub mod client;
pub mod naming;
pub mod records;

/// Formats generated tokens as a Rust file, with a header naming where it came from.
///
/// Panics only if `tokens` is not a valid file, which would be a bug in a generator.
pub fn format_file(tokens: proc_macro2::TokenStream, header: &str) -> String {
    let file: syn::File = syn::parse2(tokens).expect("generators emit valid Rust");
    let body = prettyplease::unparse(&file);
    format!("// {header}\n\n{body}")
}
