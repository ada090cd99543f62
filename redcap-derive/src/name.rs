//! `#[derive(Name)]`: an enum of REDCap names (fields, instruments, events) → `ALL`,
//! `as_str` and `String` conversion, so the client's filters take them.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attrs::Errors;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Name` can only be derived for enums",
        ));
    };
    let mut errors = Errors::default();
    let mut variants = Vec::new();
    let mut names = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.push(syn::Error::new_spanned(variant, "a name is a unit variant"));
            continue;
        }
        match wire_name(variant) {
            Ok(name) => {
                variants.push(&variant.ident);
                names.push(name);
            }
            Err(error) => errors.push(error),
        }
    }
    errors.finish()?;
    let name = &input.ident;
    Ok(quote! {
        impl #name {
            /// Every value, in the project's order.
            pub const ALL: &'static [Self] = &[#(Self::#variants),*];

            /// The name as REDCap writes it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #(Self::#variants => #names,)*
                }
            }
        }

        impl ::core::convert::From<#name> for ::std::string::String {
            fn from(value: #name) -> Self {
                value.as_str().to_string()
            }
        }
    })
}

/// `#[redcap(name = "...")]`, else the variant in snake case.
fn wire_name(variant: &syn::Variant) -> syn::Result<String> {
    let mut name = None;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("unknown `redcap` attribute; expected `name`"))
            }
        })?;
    }
    Ok(name
        .unwrap_or_else(|| redcap_codegen::naming::default_wire_name(&variant.ident.to_string())))
}
