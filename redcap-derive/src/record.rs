//! `#[derive(Record)]`: struct fields → export columns → `FlatRow`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::check::{Found, check_missing_codes, check_type, checkbox_columns, find};
use crate::schema_file::SchemaFile;

/// What the attributes say about one struct field.
struct FieldSpec {
    ident: syn::Ident,
    ty: syn::Type,
    /// Where errors about this field point: its `redcap` attribute, or the field.
    span: proc_macro2::Span,
    field: String,
    /// `(column, code)` pairs of a checkbox field; empty for one-column fields.
    checkbox: Vec<(String, String)>,
}

/// Struct-level attributes.
struct StructSpec {
    krate: syn::Path,
    form: Option<String>,
    schema: Option<SchemaFile>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let spec = struct_spec(input)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Record` can only be derived for structs",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Record` needs a struct with named fields",
        ));
    };
    let mut errors: Option<syn::Error> = None;
    let mut fields = Vec::new();
    for field in &named.named {
        let checked = field_spec(field).and_then(|mut field| {
            if let Some(file) = &spec.schema {
                check_against_schema(&mut field, &file.schema, spec.form.as_deref())?;
            }
            Ok(field)
        });
        match checked {
            Ok(field) => fields.push(field),
            Err(error) => match &mut errors {
                Some(all) => all.combine(error),
                None => errors = Some(error),
            },
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    let krate = &spec.krate;
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();

    let field_names = fields.iter().map(|f| f.field.as_str());
    let mut columns = Vec::new();
    let mut index_arms = Vec::new();
    let mut set_arms = Vec::new();
    let mut text_arms = Vec::new();
    for spec in &fields {
        let ident = &spec.ident;
        if spec.checkbox.is_empty() {
            let index = columns.len();
            columns.push(spec.field.clone());
            let column = &spec.field;
            index_arms.push(quote!(#column => ::core::option::Option::Some(#index)));
            set_arms.push(quote!(#index => #krate::records::ColumnValue::set_text(&mut self.#ident, raw, mode)));
            text_arms.push(quote!(#index => #krate::records::ColumnValue::text(&self.#ident)));
        } else {
            for (column, code) in &spec.checkbox {
                let index = columns.len();
                columns.push(column.clone());
                index_arms.push(quote!(#column => ::core::option::Option::Some(#index)));
                set_arms.push(quote!(#index => self.#ident.set_column(#code, raw, mode)));
                text_arms.push(
                    quote!(#index => ::std::borrow::Cow::Borrowed(self.#ident.column_text(#code))),
                );
            }
        }
    }
    let column_literals = columns.iter().map(String::as_str);
    let name_text = name.to_string();
    let tracking = spec.schema.as_ref().map(SchemaFile::tracking);
    Ok(quote! {
        #tracking

        // Field values are usually patient data: `Debug` names the type and its columns only.
        impl #impl_generics ::core::fmt::Debug for #name #type_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#name_text)
                    .field("columns", &<Self as #krate::records::FlatRow>::COLUMNS.len())
                    .finish_non_exhaustive()
            }
        }

        impl #impl_generics #krate::records::FlatRow for #name #type_generics #where_clause {
            const FIELDS: &'static [&'static str] = &[#(#field_names),*];
            const COLUMNS: &'static [&'static str] = &[#(#column_literals),*];

            fn column_index(column: &str) -> ::core::option::Option<usize> {
                match column {
                    #(#index_arms,)*
                    _ => ::core::option::Option::None,
                }
            }

            fn set_column(
                &mut self,
                index: usize,
                raw: &str,
                mode: #krate::records::DecodeMode,
            ) -> ::core::result::Result<(), #krate::records::ValueError> {
                match index {
                    #(#set_arms,)*
                    _ => ::core::result::Result::Ok(()),
                }
            }

            fn column_text(&self, index: usize) -> ::std::borrow::Cow<'_, str> {
                match index {
                    #(#text_arms,)*
                    _ => ::std::borrow::Cow::Borrowed(""),
                }
            }
        }
    })
}

/// Checks a field against the schema, and fills a checkbox's columns from it.
fn check_against_schema(
    field: &mut FieldSpec,
    schema: &redcap_schema::ProjectSchema,
    form: Option<&str>,
) -> syn::Result<()> {
    let error = |message: String| syn::Error::new(field.span, message);
    let found = find(schema, form, &field.field).map_err(error)?;
    check_type(&field.field, &found, &field.ty).map_err(error)?;
    check_missing_codes(schema, &field.field, &found, &field.ty).map_err(error)?;
    if let Found::Field(schema_field) = found
        && schema_field.field_type == redcap_schema::FieldType::Checkbox
        && field.checkbox.is_empty()
    {
        field.checkbox = checkbox_columns(schema, schema_field);
    }
    Ok(())
}

fn struct_spec(input: &DeriveInput) -> syn::Result<StructSpec> {
    let mut krate: syn::Path = syn::parse_quote!(::redcap_client);
    let mut form = None;
    let mut schema = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let path: LitStr = meta.value()?.parse()?;
                krate = path.parse()?;
                Ok(())
            } else if meta.path.is_ident("form") {
                form = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else if meta.path.is_ident("schema") {
                let path: LitStr = meta.value()?.parse()?;
                schema = Some(SchemaFile::read(&path)?);
                Ok(())
            } else {
                Err(meta.error("unknown `redcap` attribute; expected `form`, `schema` or `crate`"))
            }
        })?;
    }
    if let (Some(file), Some(name)) = (&schema, &form)
        && file.schema.form(name).is_none()
    {
        let forms = file.schema.forms.iter().map(|f| f.name.as_str());
        let hint = crate::schema_file::nearest(name, forms)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            &input.ident,
            format!("no instrument `{name}` in the schema{hint}"),
        ));
    }
    Ok(StructSpec {
        krate,
        form,
        schema,
    })
}

fn field_spec(field: &syn::Field) -> syn::Result<FieldSpec> {
    let ident = field.ident.clone().expect("named fields have names");
    let mut name = ident.to_string().trim_start_matches("r#").to_string();
    let mut columns: Vec<LitStr> = Vec::new();
    let mut codes: Vec<LitStr> = Vec::new();
    let mut span = field.span();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("redcap")) {
        span = attr.span();
        parse_field_attr(attr, &mut name, &mut columns, &mut codes)?;
    }
    if columns.len() != codes.len() {
        return Err(syn::Error::new(
            span,
            "`columns(...)` and `codes(...)` must list as many entries",
        ));
    }
    let checkbox = columns
        .iter()
        .zip(&codes)
        .map(|(column, code)| (column.value(), code.value()))
        .collect();
    Ok(FieldSpec {
        ident,
        ty: field.ty.clone(),
        span,
        field: name,
        checkbox,
    })
}

/// Parses `#[redcap(field = "x", columns("a", "b"), codes("1", "2"))]` by hand, since
/// lists of string literals are not meta items.
fn parse_field_attr(
    attr: &syn::Attribute,
    name: &mut String,
    columns: &mut Vec<LitStr>,
    codes: &mut Vec<LitStr>,
) -> syn::Result<()> {
    use syn::parse::Parser;
    use syn::punctuated::Punctuated;
    let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<()> {
        while !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            if key == "field" {
                input.parse::<syn::Token![=]>()?;
                *name = input.parse::<LitStr>()?.value();
            } else if key == "columns" || key == "codes" {
                let content;
                syn::parenthesized!(content in input);
                let list = Punctuated::<LitStr, syn::Token![,]>::parse_terminated(&content)?;
                let target = if key == "columns" {
                    &mut *columns
                } else {
                    &mut *codes
                };
                target.extend(list);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    "unknown `redcap` attribute; expected `field`, `columns` or `codes`",
                ));
            }
            if !input.is_empty() {
                input.parse::<syn::Token![,]>()?;
            }
        }
        Ok(())
    };
    let syn::Meta::List(list) = &attr.meta else {
        return Err(syn::Error::new_spanned(attr, "expected `#[redcap(...)]`"));
    };
    parser.parse2(list.tokens.clone())
}
