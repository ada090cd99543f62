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
    let mut file = file_header(header);
    file.push_str(&format_items(tokens));
    file
}

/// The first lines of a generated file: `header` as a comment.
pub fn file_header(header: &str) -> String {
    format!("// {header}\n\n")
}

/// Formats generated top-level items. Items formatted in parts and joined read exactly
/// as the same items formatted at once, so a large file can be formatted part by part.
///
/// Panics only if `tokens` are not valid items, which would be a bug in a generator.
pub fn format_items(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("generators emit valid Rust");
    prettyplease::unparse(&file)
}

/// Puts a blank line between items that follow each other at the same depth (after a
/// closing `}` or a `use`), as a person writes them; the formatter keeps blank lines but
/// never adds them.
pub fn space_items(formatted: &str) -> String {
    const ITEM_STARTS: &[&str] = &[
        "///", "//!", "#[", "pub ", "impl", "mod ", "use ", "const ", "enum ", "struct ", "fn ",
        "type ", "static ", "trait ",
    ];
    let mut out = String::with_capacity(formatted.len() + formatted.len() / 20);
    let mut previous: Option<&str> = None;
    for line in formatted.lines() {
        if let Some(prev) = previous {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let prev_trimmed = prev.trim_start();
            let same_depth = prev.len() - prev_trimmed.len() == indent;
            let is_use = |l: &str| l.starts_with("use ") || l.starts_with("pub use ");
            let after_item = prev_trimmed == "}"
                || prev_trimmed == "};"
                || (is_use(prev_trimmed) && !is_use(trimmed));
            if same_depth && after_item && ITEM_STARTS.iter().any(|s| trimmed.starts_with(s)) {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
        previous = Some(line);
    }
    out
}
