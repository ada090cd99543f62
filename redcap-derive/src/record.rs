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
    /// `C` of a `Checkboxes<C>` field.
    checkbox_enum: Option<syn::Type>,
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
    let segments = segments(&fields, krate);
    let name_text = name.to_string();
    let tracking = spec.schema.as_ref().map(SchemaFile::tracking);
    let instrument = spec.form.as_ref().map(|form| {
        quote! {
            impl #impl_generics #krate::__private::Instrument for #name #type_generics #where_clause {
                const FORM: &'static str = #form;
            }
        }
    });
    let columns = segments.columns();
    let body = segments.bodies();
    let (index_body, set_body, text_body) = body;
    let consts = segments.consts();
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

        #instrument

        const _: () = {
            #consts

            impl #impl_generics #krate::records::FlatRow for #name #type_generics #where_clause {
                const FIELDS: &'static [&'static str] = &[#(#field_names),*];
                const COLUMNS: &'static [&'static str] = #columns;

                fn column_index(column: &str) -> ::core::option::Option<usize> {
                    #index_body
                }

                fn set_column(
                    &mut self,
                    index: usize,
                    raw: &str,
                    mode: #krate::records::DecodeMode,
                ) -> ::core::result::Result<(), #krate::records::ValueError> {
                    #set_body
                }

                fn column_text(&self, index: usize) -> ::std::borrow::Cow<'_, str> {
                    #text_body
                }
            }
        };
    })
}

/// A run of a struct's columns: columns known here, or a checkbox field whose columns
/// its choice enum knows (`#[derive(Choice)]` with `checkbox = "field"`).
enum Segment {
    /// `(column, set statement, text expression)` of each column.
    Known(Vec<(String, TokenStream, TokenStream)>),
    /// A `Checkboxes<C>` field, and `C`.
    Enum(syn::Ident, Box<syn::Type>, String),
}

struct Segments {
    krate: syn::Path,
    list: Vec<Segment>,
}

fn segments(fields: &[FieldSpec], krate: &syn::Path) -> Segments {
    let mut list = Vec::new();
    let mut known = Vec::new();
    for spec in fields {
        let ident = &spec.ident;
        if let (true, Some(choice)) = (spec.checkbox.is_empty(), &spec.checkbox_enum) {
            if !known.is_empty() {
                list.push(Segment::Known(std::mem::take(&mut known)));
            }
            list.push(Segment::Enum(
                ident.clone(),
                Box::new(choice.clone()),
                spec.field.clone(),
            ));
        } else if spec.checkbox.is_empty() {
            known.push((
                spec.field.clone(),
                quote!(#krate::__private::ColumnValue::set_text(&mut self.#ident, raw, mode)),
                quote!(#krate::__private::ColumnValue::text(&self.#ident)),
            ));
        } else {
            for (column, code) in &spec.checkbox {
                known.push((
                    column.clone(),
                    quote!(self.#ident.set_column(#code, raw, mode)),
                    quote!(::std::borrow::Cow::Borrowed(self.#ident.column_text(#code))),
                ));
            }
        }
    }
    if !known.is_empty() || list.is_empty() {
        list.push(Segment::Known(known));
    }
    Segments {
        krate: krate.clone(),
        list,
    }
}

impl Segments {
    /// Whether every column is known here, so ids are plain numbers.
    fn all_known(&self) -> bool {
        self.list.len() == 1 && matches!(self.list[0], Segment::Known(_))
    }

    fn start(k: usize) -> syn::Ident {
        quote::format_ident!("START_{}", k)
    }

    /// The first column id of each segment, and past the last, as constants.
    fn consts(&self) -> TokenStream {
        if self.all_known() {
            return quote!();
        }
        let krate = &self.krate;
        let mut out = TokenStream::new();
        let first = Self::start(0);
        out.extend(quote!(const #first: usize = 0;));
        for (k, segment) in self.list.iter().enumerate() {
            let (this, next) = (Self::start(k), Self::start(k + 1));
            let width = match segment {
                Segment::Known(columns) => {
                    let n = columns.len();
                    quote!(#n)
                }
                Segment::Enum(_, choice, field) => {
                    out.extend(quote! {
                        const _: () = ::core::assert!(
                            #krate::__private::same_name(
                                <#choice as #krate::__private::CheckboxColumns>::FIELD,
                                #field,
                            ),
                            ::core::concat!("the choice enum of `", #field, "` is another checkbox field's"),
                        );
                    });
                    quote!(<#choice as #krate::__private::CheckboxColumns>::COLUMNS.len())
                }
            };
            out.extend(quote!(const #next: usize = #this + #width;));
        }
        let parts = self.list.iter().map(|segment| match segment {
            Segment::Known(columns) => {
                let names = columns.iter().map(|c| c.0.as_str());
                quote!(&[#(#names),*])
            }
            Segment::Enum(_, choice, _) => {
                quote!(<#choice as #krate::__private::CheckboxColumns>::COLUMNS)
            }
        });
        out.extend(quote!(const PARTS: &[&[&str]] = &[#(#parts),*];));
        out
    }

    fn columns(&self) -> TokenStream {
        let krate = &self.krate;
        match &self.list[..] {
            [Segment::Known(columns)] => {
                let names = columns.iter().map(|c| c.0.as_str());
                quote!(&[#(#names),*])
            }
            _ => {
                quote!(&#krate::__private::concat::<{ #krate::__private::total_len(PARTS) }>(PARTS))
            }
        }
    }

    /// The bodies of `column_index`, `set_column` and `column_text`.
    fn bodies(&self) -> (TokenStream, TokenStream, TokenStream) {
        let krate = &self.krate;
        if let [Segment::Known(columns)] = &self.list[..] {
            let index = columns.iter().enumerate().map(|(i, c)| {
                let name = &c.0;
                quote!(#name => ::core::option::Option::Some(#i))
            });
            let set = columns.iter().enumerate().map(|(i, c)| {
                let body = &c.1;
                quote!(#i => #body)
            });
            let text = columns.iter().enumerate().map(|(i, c)| {
                let body = &c.2;
                quote!(#i => #body)
            });
            return (
                quote!(match column { #(#index,)* _ => ::core::option::Option::None }),
                quote!(match index { #(#set,)* _ => ::core::result::Result::Ok(()) }),
                quote!(match index { #(#text,)* _ => ::std::borrow::Cow::Borrowed("") }),
            );
        }
        let mut index_arms = Vec::new();
        let mut lookups = Vec::new();
        let mut set_parts = Vec::new();
        let mut text_parts = Vec::new();
        for (k, segment) in self.list.iter().enumerate() {
            let start = Self::start(k);
            match segment {
                Segment::Known(columns) => {
                    for (i, c) in columns.iter().enumerate() {
                        let name = &c.0;
                        index_arms.push(quote!(#name => ::core::option::Option::Some(#start + #i)));
                    }
                    let set = columns.iter().enumerate().map(|(i, c)| {
                        let body = &c.1;
                        quote!(#i => #body)
                    });
                    let text = columns.iter().enumerate().map(|(i, c)| {
                        let body = &c.2;
                        quote!(#i => #body)
                    });
                    set_parts.push(quote!(match index - #start { #(#set,)* _ => ::core::result::Result::Ok(()) }));
                    text_parts.push(quote!(match index - #start { #(#text,)* _ => ::std::borrow::Cow::Borrowed("") }));
                }
                Segment::Enum(ident, choice, _) => {
                    lookups.push(quote! {
                        if let ::core::option::Option::Some(i) = <#choice as #krate::__private::CheckboxColumns>::column_position(column) {
                            return ::core::option::Option::Some(#start + i);
                        }
                    });
                    set_parts.push(quote!(#krate::__private::set_checkbox(&mut self.#ident, index - #start, raw)));
                    text_parts.push(
                        quote!(#krate::__private::checkbox_text(&self.#ident, index - #start)),
                    );
                }
            }
        }
        let index = quote! {
            match column {
                #(#index_arms,)*
                _ => {
                    #(#lookups)*
                    ::core::option::Option::None
                }
            }
        };
        let end = Self::start(self.list.len());
        let set = search_tree(&set_parts, 0, &end, quote!(::core::result::Result::Ok(())));
        let text = search_tree(
            &text_parts,
            0,
            &end,
            quote!(::std::borrow::Cow::Borrowed("")),
        );
        let set = quote!({ let _ = mode; #set });
        (index, set, text)
    }
}

/// Nested `if`s that find the segment of `index` in O(log segments) comparisons.
fn search_tree(
    parts: &[TokenStream],
    offset: usize,
    end: &syn::Ident,
    outside: TokenStream,
) -> TokenStream {
    match parts {
        [] => outside,
        [only] => {
            let next = Segments::start(offset + 1);
            if next == *end {
                quote!(if index < #next { #only } else { #outside })
            } else {
                quote!(#only)
            }
        }
        _ => {
            let middle = parts.len() / 2;
            let pivot = Segments::start(offset + middle);
            let low = search_tree(&parts[..middle], offset, end, outside.clone());
            let high = search_tree(&parts[middle..], offset + middle, end, outside);
            quote!(if index < #pivot { #low } else { #high })
        }
    }
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
        checkbox_enum: checkbox_choice(&field.ty),
    })
}

/// `C` of a field typed `Checkboxes<C>` (by any path).
fn checkbox_choice(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Checkboxes" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(choice) if args.args.len() == 1 => Some(choice.clone()),
        _ => None,
    }
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
