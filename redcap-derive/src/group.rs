//! `#[derive(Event)]` and `#[derive(FromRows)]`: how a project's rows group into
//! records. A container (an event's struct, or a classic project's record) holds
//! instruments (`T`) and repeating instruments (`Vec<Instance<T>>`); a longitudinal
//! record holds events (`Option<E>`) and repeating events (`Vec<Instance<E>>`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attrs::runtime_path;

/// A member of a container or record.
struct Member<'a> {
    ident: &'a syn::Ident,
    /// `T` of `Vec<Instance<T>>`, or `E` of `Option<E>`, or the type itself.
    inner: syn::Type,
    shape: Shape,
    /// The event's unique name (longitudinal records).
    event: String,
}

#[derive(PartialEq)]
enum Shape {
    One,
    Optional,
    Repeating,
}

fn members<'a>(
    input: &'a DeriveInput,
    derive: &str,
    skip: &[&str],
) -> syn::Result<Vec<Member<'a>>> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            format!("`{derive}` can only be derived for structs"),
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            format!("`{derive}` needs a struct with named fields"),
        ));
    };
    let mut out = Vec::new();
    for field in &named.named {
        let ident = field.ident.as_ref().expect("named fields have names");
        if skip.iter().any(|s| ident == s) {
            continue;
        }
        let mut event = ident.to_string().trim_start_matches("r#").to_string();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("event") {
                    event = meta.value()?.parse::<LitStr>()?.value();
                    Ok(())
                } else {
                    Err(meta.error("unknown `redcap` attribute; expected `event`"))
                }
            })?;
        }
        let (shape, inner) = match wrapped(&field.ty, "Vec").and_then(|t| wrapped(&t, "Instance")) {
            Some(inner) => (Shape::Repeating, inner),
            None => match wrapped(&field.ty, "Option") {
                Some(inner) => (Shape::Optional, inner),
                None => (Shape::One, field.ty.clone()),
            },
        };
        out.push(Member {
            ident,
            inner,
            shape,
            event,
        });
    }
    Ok(out)
}

/// `T` of `Wrapper<T>` (by the last segment of its path).
fn wrapped(ty: &syn::Type, wrapper: &str) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner.clone()),
        _ => None,
    }
}

/// `#[derive(Event)]`: the instruments of one event of a longitudinal record.
pub(crate) fn expand_event(input: &DeriveInput) -> syn::Result<TokenStream> {
    let krate = runtime_path(&input.attrs)?;
    let members = members(input, "Event", &[])?;
    let row = quote!(__R);
    container(&input.ident, &members, &krate, &row, true)
}

/// The `Container` impl of instruments held together, for the project's `Row`
/// (`generic`: for any row type holding them).
fn container(
    name: &syn::Ident,
    members: &[Member<'_>],
    krate: &syn::Path,
    row: &TokenStream,
    generic: bool,
) -> syn::Result<TokenStream> {
    if let Some(member) = members.iter().find(|m| m.shape == Shape::Optional) {
        return Err(syn::Error::new_spanned(
            member.ident,
            "an instrument is `T` or, when it repeats, `Vec<Instance<T>>`",
        ));
    }
    let p = quote!(#krate::__private);
    let base: Vec<_> = members.iter().filter(|m| m.shape == Shape::One).collect();
    let repeating: Vec<_> = members
        .iter()
        .filter(|m| m.shape == Shape::Repeating)
        .collect();
    let base_idents = base.iter().map(|m| m.ident);
    let base_idents2 = base_idents.clone();
    let base_types: Vec<_> = base.iter().map(|m| &m.inner).collect();
    let repeat_idents: Vec<_> = repeating.iter().map(|m| m.ident).collect();
    let repeat_types: Vec<_> = repeating.iter().map(|m| &m.inner).collect();
    let all_types = members.iter().map(|m| &m.inner);
    let (generics, bounds) = if generic {
        (
            quote!(<#row>),
            quote!(where #row: #p::ProjectRow #(+ #p::Holds<#all_types>)*),
        )
    } else {
        (quote!(), quote!())
    };
    Ok(quote! {
        impl #generics #p::Container<#row> for #name #bounds {
            fn absorb_base(&mut self, row: &mut #row) -> ::core::result::Result<(), ::std::string::String> {
                #p::only_data_in(row, &[#(<#base_types as #p::Instrument>::FORM),*])?;
                #(self.#base_idents = #p::take(row);)*
                ::core::result::Result::Ok(())
            }

            fn absorb_instance(
                &mut self,
                form: &str,
                instance: u32,
                row: &mut #row,
            ) -> ::core::result::Result<(), ::std::string::String> {
                #(
                    if form == <#repeat_types as #p::Instrument>::FORM {
                        return #p::absorb_instance(&mut self.#repeat_idents, instance, row);
                    }
                )*
                let _ = row;
                ::core::result::Result::Err(#p::no_fit(::core::option::Option::Some(form), ::core::option::Option::Some(instance)))
            }

            fn fill(&self, row: &mut #row) -> bool {
                let mut data = false;
                #(data |= #p::fill(&self.#base_idents2, row);)*
                let _ = row;
                data
            }

            fn emit_instances(&self, key: &#krate::records::RowKey, rows: &mut ::std::vec::Vec<#row>) {
                #(#p::emit_instances(&self.#repeat_idents, key, rows);)*
                let _ = (key, rows);
            }
        }
    })
}

/// `#[derive(FromRows)]`: a project's record, grouped from its flat rows.
pub(crate) fn expand_record(input: &DeriveInput) -> syn::Result<TokenStream> {
    let krate = runtime_path(&input.attrs)?;
    let (row, longitudinal) = record_spec(input)?;
    let members = members(input, "FromRows", &["id", "dag"])?;
    let name = &input.ident;
    let name_text = name.to_string();
    let p = quote!(#krate::__private);
    let (absorb, emit, container_impl) = if longitudinal {
        if let Some(member) = members.iter().find(|m| m.shape == Shape::One) {
            return Err(syn::Error::new_spanned(
                member.ident,
                "an event is `Option<E>` or, when it repeats, `Vec<Instance<E>>`",
            ));
        }
        let arms = members.iter().map(|m| {
            let (ident, event) = (m.ident, &m.event);
            match m.shape {
                Shape::Repeating => {
                    quote!(#event => #p::absorb_event_instance(&mut self.#ident, #event, row))
                }
                _ => quote!(#event => #p::absorb_event(&mut self.#ident, row)),
            }
        });
        let emits = members.iter().map(|m| {
            let (ident, event) = (m.ident, &m.event);
            match m.shape {
                Shape::Repeating => {
                    quote!(#p::emit_event_instances(&self.#ident, &self.id, #event, rows);)
                }
                _ => quote!(#p::emit_event(&self.#ident, &self.id, #event, rows);),
            }
        });
        (
            quote! {
                let event = #p::event_of(#p::ProjectRow::key(row))?;
                match event.as_str() {
                    #(#arms,)*
                    other => ::core::result::Result::Err(#p::unknown_event(other)),
                }
            },
            quote!(#(#emits)*),
            quote!(),
        )
    } else {
        let row_ty = quote!(#row);
        (
            quote!(#p::Container::absorb(self, row)),
            quote! {
                let key = #krate::records::RowKey {
                    record: self.id.clone(),
                    ..::core::default::Default::default()
                };
                #p::Container::emit(self, &key, rows);
            },
            container(name, &members, &krate, &row_ty, false)?,
        )
    };
    Ok(quote! {
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // Values are patient data: show which record, not what it holds.
                f.debug_struct(#name_text).field("id", &self.id).finish_non_exhaustive()
            }
        }

        impl #name {
            /// Groups flat rows (as exported, ordered by record) into records.
            pub fn from_rows(
                rows: ::std::vec::Vec<#row>,
            ) -> ::core::result::Result<::std::vec::Vec<Self>, #krate::records::GroupError> {
                #p::from_rows(rows)
            }

            /// The record as flat rows, in REDCap's export order.
            pub fn to_rows(&self) -> ::std::vec::Vec<#row> {
                #p::to_rows(self)
            }
        }

        #container_impl

        impl #p::Grouped<#row> for #name {
            fn new(id: #krate::records::RecordId) -> Self {
                Self { id, ..::core::default::Default::default() }
            }

            fn id(&self) -> &#krate::records::RecordId {
                &self.id
            }

            fn dag(&self) -> &::core::option::Option<::std::string::String> {
                &self.dag
            }

            fn dag_mut(&mut self) -> &mut ::core::option::Option<::std::string::String> {
                &mut self.dag
            }

            fn absorb(&mut self, row: &mut #row) -> ::core::result::Result<(), ::std::string::String> {
                #absorb
            }

            fn emit(&self, rows: &mut ::std::vec::Vec<#row>) {
                #emit
            }
        }
    })
}

/// `row = "Type"` (default `Row`) and `longitudinal`.
fn record_spec(input: &DeriveInput) -> syn::Result<(syn::Type, bool)> {
    let mut row: syn::Type = syn::parse_quote!(Row);
    let mut longitudinal = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("row") {
                row = meta.value()?.parse::<LitStr>()?.parse()?;
            } else if meta.path.is_ident("longitudinal") {
                longitudinal = true;
            } else if meta.path.is_ident("crate") {
                meta.value()?.parse::<LitStr>()?;
            } else {
                return Err(meta.error(
                    "unknown `redcap` attribute; expected `row`, `longitudinal` or `crate`",
                ));
            }
            Ok(())
        })?;
    }
    Ok((row, longitudinal))
}
