//! The `#[redcap(...)]` attributes the derives share.

use syn::LitStr;

/// The path of the runtime crate: `crate = "path"` among a type's `redcap` attributes,
/// else `::redcap_client`.
pub(crate) fn runtime_path(attrs: &[syn::Attribute]) -> syn::Result<syn::Path> {
    let mut krate: syn::Path = syn::parse_quote!(::redcap_client);
    for attr in attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = meta.value()?.parse::<LitStr>()?.parse()?;
            } else if meta.input.peek(syn::Token![=]) {
                // Another derive's key with a value: skip it here.
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        })?;
    }
    Ok(krate)
}

/// The string of the doc comments on an item, lines joined by `\n`, each with the one
/// space `///` puts after the slashes removed.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_string())
        .collect();
    lines.join("\n")
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
