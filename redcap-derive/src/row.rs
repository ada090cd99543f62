//! `#[derive(Row)]`: a project's row (its key, every instrument, the survey columns) →
//! `FlatRow`, with the instruments' columns after the key columns and REDCap's
//! pseudo-columns after those.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attrs::runtime_path;

/// Struct-level attributes of a `Row`.
struct RowSpec {
    record_id: String,
    longitudinal: bool,
    repeating: bool,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let krate = runtime_path(&input.attrs)?;
    let spec = row_spec(input)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Row` can only be derived for structs",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Row` needs a struct with named fields",
        ));
    };
    let mut has_key = false;
    let mut has_survey = false;
    let mut forms: Vec<(&syn::Ident, &syn::Type)> = Vec::new();
    for field in &named.named {
        let ident = field.ident.as_ref().expect("named fields have names");
        if ident == "key" {
            has_key = true;
        } else if ident == "survey" {
            has_survey = true;
        } else {
            forms.push((ident, &field.ty));
        }
    }
    if !has_key || !has_survey {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a `Row` has a `key: RowKey` and a `survey: SurveyColumns` beside its instruments",
        ));
    }
    let name = &input.ident;
    let name_text = name.to_string();
    let rec = &spec.record_id;
    let mut keys = vec![quote!(#rec)];
    let mut key_sets = vec![quote!(self.key.record = #krate::records::RecordId::from(raw))];
    let mut key_texts = vec![quote!(::std::borrow::Cow::Borrowed(
        self.key.record.as_str()
    ))];
    if spec.longitudinal {
        keys.push(quote!("redcap_event_name"));
        key_sets.push(quote!(self.key.event = #krate::__private::non_blank(raw)));
        key_texts.push(quote!(::std::borrow::Cow::Borrowed(
            self.key.event.as_deref().unwrap_or("")
        )));
    }
    if spec.repeating {
        keys.push(quote!("redcap_repeat_instrument"));
        keys.push(quote!("redcap_repeat_instance"));
        key_sets.push(quote!(self.key.repeat_instrument = #krate::__private::non_blank(raw)));
        key_sets.push(quote!(self.key.repeat_instance = #krate::__private::parse_instance(raw)?));
        key_texts.push(quote!(::std::borrow::Cow::Borrowed(
            self.key.repeat_instrument.as_deref().unwrap_or("")
        )));
        key_texts.push(quote!(match self.key.repeat_instance {
            ::core::option::Option::Some(n) => ::std::borrow::Cow::Owned(n.to_string()),
            ::core::option::Option::None => ::std::borrow::Cow::Borrowed(""),
        }));
    }
    let key_ids: Vec<usize> = (0..keys.len()).collect();
    let flat = quote!(#krate::records::FlatRow);
    let members: Vec<_> = forms.iter().map(|f| f.0).collect();
    let types: Vec<_> = forms.iter().map(|f| f.1).collect();
    Ok(quote! {
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // Values are patient data: show where the row belongs, not what it holds.
                f.debug_struct(#name_text).field("key", &self.key).finish_non_exhaustive()
            }
        }

        #(
            impl #krate::__private::Holds<#types> for #name {
                fn part_mut(&mut self) -> &mut #types {
                    &mut self.#members
                }
            }
        )*

        impl #krate::__private::ProjectRow for #name {
            fn key(&self) -> &#krate::records::RowKey {
                &self.key
            }

            fn key_mut(&mut self) -> &mut #krate::records::RowKey {
                &mut self.key
            }

            fn data_outside(&self, keep: &[&str]) -> ::core::option::Option<&'static str> {
                #(
                    let form = <#types as #krate::__private::Instrument>::FORM;
                    if !keep.contains(&form) && self.#members != ::core::default::Default::default() {
                        return ::core::option::Option::Some(form);
                    }
                )*
                ::core::option::Option::None
            }
        }

        const _: () = {
            const KEYS: &[&str] = &[#(#keys),*];
            const FIELD_PARTS: &[&[&str]] = &[&[#rec], #(<#types as #flat>::FIELDS),*];
            const COLUMN_PARTS: &[&[&str]] = &[KEYS, #(<#types as #flat>::COLUMNS),*];
            // Pseudo-column ids past the row's own columns name a form's survey
            // timestamp by its position here.
            const FORMS: &[&str] = &[#(<#types as #krate::__private::Instrument>::FORM),*];

            impl #flat for #name {
                const FIELDS: &'static [&'static str] =
                    &#krate::__private::concat::<{ #krate::__private::total_len(FIELD_PARTS) }>(FIELD_PARTS);
                const COLUMNS: &'static [&'static str] =
                    &#krate::__private::concat::<{ #krate::__private::total_len(COLUMN_PARTS) }>(COLUMN_PARTS);
                const COMPLETE: bool = true;

                fn column_index(column: &str) -> ::core::option::Option<usize> {
                    match column {
                        #(#keys => return ::core::option::Option::Some(#key_ids),)*
                        _ => {}
                    }
                    let mut start = KEYS.len();
                    #(
                        if let ::core::option::Option::Some(i) = <#types as #flat>::column_index(column) {
                            return ::core::option::Option::Some(start + i);
                        }
                        start += <#types as #flat>::COLUMNS.len();
                    )*
                    #krate::__private::pseudo_column_index(FORMS, column).map(|id| start + id)
                }

                fn set_column(
                    &mut self,
                    index: usize,
                    raw: &str,
                    mode: #krate::records::DecodeMode,
                ) -> ::core::result::Result<(), #krate::records::ValueError> {
                    match index {
                        #(#key_ids => {
                            #key_sets;
                            return ::core::result::Result::Ok(());
                        })*
                        _ => {}
                    }
                    let mut start = KEYS.len();
                    #(
                        let end = start + <#types as #flat>::COLUMNS.len();
                        if index < end {
                            return #flat::set_column(&mut self.#members, index - start, raw, mode);
                        }
                        start = end;
                    )*
                    let _ = mode;
                    #krate::__private::set_pseudo_column(&mut self.key, &mut self.survey, FORMS, index - start, raw)
                }

                fn column_text(&self, index: usize) -> ::std::borrow::Cow<'_, str> {
                    match index {
                        #(#key_ids => return #key_texts,)*
                        _ => {}
                    }
                    let mut start = KEYS.len();
                    #(
                        let end = start + <#types as #flat>::COLUMNS.len();
                        if index < end {
                            return #flat::column_text(&self.#members, index - start);
                        }
                        start = end;
                    )*
                    #krate::__private::pseudo_column_text(&self.key, &self.survey, FORMS, index - start)
                }
            }
        };
    })
}

fn row_spec(input: &DeriveInput) -> syn::Result<RowSpec> {
    let mut record_id = None;
    let mut longitudinal = false;
    let mut repeating = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("record_id") {
                record_id = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("longitudinal") {
                longitudinal = true;
            } else if meta.path.is_ident("repeating") {
                repeating = true;
            } else if meta.path.is_ident("crate") {
                meta.value()?.parse::<LitStr>()?;
            } else {
                return Err(meta.error(
                    "unknown `redcap` attribute; expected `record_id`, `longitudinal`, `repeating` or `crate`",
                ));
            }
            Ok(())
        })?;
    }
    let Some(record_id) = record_id else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a `Row` names its record-ID field: `#[redcap(record_id = \"...\")]`",
        ));
    };
    Ok(RowSpec {
        record_id,
        longitudinal,
        repeating,
    })
}
