//! `#[derive(Choice)]`: a choice enum's codes and labels → `Choice` and `WireValue`, and
//! for a checkbox field's enum its export columns.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attrs::{Errors, doc_text, runtime_path};

struct Variant {
    ident: syn::Ident,
    code: String,
    label: String,
    /// The checkbox column, when the enum is a checkbox field's.
    column: Option<String>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Choice` can only be derived for enums",
        ));
    };
    let krate = runtime_path(&input.attrs)?;
    let checkbox = checkbox_field(&input.attrs)?;
    let mut errors = Errors::default();
    let mut variants = Vec::new();
    let mut unknown = None;
    for variant in &data.variants {
        match &variant.fields {
            Fields::Unit => match variant_spec(variant, checkbox.as_deref()) {
                Ok(spec) => variants.push(spec),
                Err(error) => errors.push(error),
            },
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 && unknown.is_none() => {
                unknown = Some(variant.ident.clone());
            }
            _ => errors.push(syn::Error::new_spanned(
                variant,
                "a choice is a unit variant with `#[redcap(code = \"...\")]`; one variant \
                 holding a `String` keeps codes the dictionary does not list",
            )),
        }
    }
    errors.finish()?;
    let Some(unknown) = unknown else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a choice enum needs one variant holding a `String`, e.g. `Unknown(String)`, for \
             codes the dictionary does not list",
        ));
    };
    let name = &input.ident;
    let idents: Vec<_> = variants.iter().map(|v| &v.ident).collect();
    let codes: Vec<_> = variants.iter().map(|v| v.code.as_str()).collect();
    let labels: Vec<_> = variants.iter().map(|v| v.label.as_str()).collect();
    let checkbox_impl = checkbox.map(|field| {
        let columns: Vec<&str> = variants
            .iter()
            .map(|v| v.column.as_deref().unwrap_or_default())
            .collect();
        let positions = 0..columns.len();
        quote! {
            impl #krate::__private::CheckboxColumns for #name {
                const FIELD: &'static str = #field;
                const COLUMNS: &'static [&'static str] = &[#(#columns),*];
                fn column_position(column: &str) -> ::core::option::Option<usize> {
                    match column {
                        #(#columns => ::core::option::Option::Some(#positions),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        }
    });
    Ok(quote! {
        impl #krate::records::Choice for #name {
            const ALL: &'static [Self] = &[#(Self::#idents),*];

            fn code(&self) -> &str {
                match self {
                    #(Self::#idents => #codes,)*
                    Self::#unknown(code) => code,
                }
            }

            fn label(&self) -> &str {
                match self {
                    #(Self::#idents => #labels,)*
                    Self::#unknown(code) => code,
                }
            }

            fn from_code(code: &str) -> ::core::option::Option<Self> {
                match code {
                    #(#codes => ::core::option::Option::Some(Self::#idents),)*
                    _ => ::core::option::Option::None,
                }
            }

            fn unknown(code: &str) -> Self {
                Self::#unknown(::core::convert::From::from(code))
            }
        }

        impl #krate::records::WireValue for #name {
            fn decode(
                raw: &str,
                mode: #krate::records::DecodeMode,
            ) -> ::core::result::Result<Self, #krate::records::ValueError> {
                #krate::__private::decode_choice(raw, mode)
            }

            fn encode(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(#krate::records::Choice::code(self))
            }
        }

        #checkbox_impl
    })
}

/// `#[redcap(checkbox = "field")]`: the enum holds the choices of this checkbox field.
fn checkbox_field(attrs: &[syn::Attribute]) -> syn::Result<Option<String>> {
    let mut field = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("checkbox") {
                field = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else if meta.path.is_ident("crate") {
                meta.value()?.parse::<LitStr>()?;
                Ok(())
            } else {
                Err(meta.error("unknown `redcap` attribute; expected `checkbox` or `crate`"))
            }
        })?;
    }
    Ok(field)
}

/// A choice: `code` (required), `label` (default: the doc comment) and, on a checkbox
/// enum, `column` (default: REDCap's `field___code`).
fn variant_spec(variant: &syn::Variant, checkbox: Option<&str>) -> syn::Result<Variant> {
    let mut code = None;
    let mut label = None;
    let mut column = None;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            let value = || -> syn::Result<String> { Ok(meta.value()?.parse::<LitStr>()?.value()) };
            if meta.path.is_ident("code") {
                code = Some(value()?);
            } else if meta.path.is_ident("label") {
                label = Some(value()?);
            } else if meta.path.is_ident("column") {
                column = Some(value()?);
            } else {
                return Err(
                    meta.error("unknown `redcap` attribute; expected `code`, `label` or `column`")
                );
            }
            Ok(())
        })?;
    }
    let Some(code) = code else {
        return Err(syn::Error::new_spanned(
            variant,
            "a choice needs its code: `#[redcap(code = \"...\")]`",
        ));
    };
    let label = label.unwrap_or_else(|| doc_text(&variant.attrs));
    let column = checkbox.map(|field| {
        column.unwrap_or_else(|| redcap_schema::export_names::checkbox_column(field, &code))
    });
    Ok(Variant {
        ident: variant.ident.clone(),
        code,
        label,
        column,
    })
}
