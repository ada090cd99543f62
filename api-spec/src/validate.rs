//! The rules a spec must keep beyond its shape.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use heck::{ToPascalCase, ToSnakeCase};

use crate::model::{BoolEncoding, ParamRole, ParamType, ResponseKind, Spec};

/// One broken rule, with where it is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `method` or `method.param` or `enum` or `enum.value`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Rust keywords that cannot name a setter or variant.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Setter names the generated builders use for themselves.
const RESERVED_SETTERS: &[&str] = &["send", "send_raw", "new", "client"];

/// Every problem of the spec, in spec order; empty when the spec is valid.
///
/// Checks: unique method names and request shapes (`content`, `action`, `sends_data`);
/// names that stay valid Rust after recasing; enums that exist and have documented,
/// unique values; parameters whose type, encoding and role agree; typed responses with
/// an item type.
pub fn validate(spec: &Spec) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report =
        |location: String, message: String| problems.push(Problem { location, message });

    let mut enum_names = BTreeSet::new();
    for def in &spec.enums {
        if !enum_names.insert(def.name.as_str()) {
            report(def.name.clone(), "enum defined twice".into());
        }
        if def.name.to_pascal_case() != def.name {
            report(def.name.clone(), "enum name is not PascalCase".into());
        }
        if def.doc.trim().is_empty() {
            report(def.name.clone(), "enum has no doc".into());
        }
        let mut wires = BTreeSet::new();
        let mut variants = BTreeSet::new();
        for value in &def.values {
            let location = format!("{}.{}", def.name, value.wire);
            if !wires.insert(value.wire.as_str()) {
                report(location.clone(), "wire value listed twice".into());
            }
            if !variants.insert(value.rust_name.as_str()) {
                report(location.clone(), "variant name used twice".into());
            }
            if value.rust_name.to_pascal_case() != value.rust_name
                || !is_identifier(&value.rust_name)
            {
                report(
                    location.clone(),
                    format!(
                        "variant `{}` is not a PascalCase identifier",
                        value.rust_name
                    ),
                );
            }
            if value.doc.trim().is_empty() {
                report(location, "value is not documented".into());
            }
        }
        if def.values.is_empty() {
            report(def.name.clone(), "enum has no values".into());
        }
    }

    let mut names = BTreeSet::new();
    let mut shapes: BTreeMap<(String, Option<String>, bool), String> = BTreeMap::new();
    for method in spec.methods() {
        let here = method.name.clone();
        if !names.insert(method.name.as_str()) {
            report(here.clone(), "method name used twice".into());
        }
        if method.name.to_snake_case() != method.name || !is_identifier(&method.name) {
            report(
                here.clone(),
                "method name is not a snake_case identifier".into(),
            );
        }
        let shape = (
            method.content.clone(),
            method.action.clone(),
            method.sends_data,
        );
        if let Some(other) = shapes.insert(shape, method.name.clone()) {
            report(
                here.clone(),
                format!(
                    "same content, action and data presence as `{other}`: REDCap could not tell them apart"
                ),
            );
        }
        if method.doc.trim().is_empty() {
            report(here.clone(), "method has no doc".into());
        }
        if method.read_only && method.destructive {
            report(
                here.clone(),
                "a read-only method cannot be destructive".into(),
            );
        }
        if method.read_only && !method.idempotent {
            report(here.clone(), "a read-only method is idempotent".into());
        }
        let typed = matches!(method.response, ResponseKind::List | ResponseKind::Object);
        if typed != method.item.is_some() {
            report(
                here.clone(),
                "`item` is required for list and object responses, and only for them".into(),
            );
        }
        let has_data = method.params.iter().any(|p| p.ty == ParamType::Data);
        if has_data != method.sends_data {
            report(
                here.clone(),
                "`sends_data` must be true exactly when the method has a `data` parameter".into(),
            );
        }

        let mut wire_names = BTreeSet::new();
        let mut rust_names = BTreeSet::new();
        let mut roles = BTreeSet::new();
        for param in &method.params {
            let location = format!("{}.{}", method.name, param.name);
            if !wire_names.insert(param.name.as_str()) {
                report(location.clone(), "parameter listed twice".into());
            }
            let rust_name = param.rust_name();
            if !is_identifier(&rust_name) || KEYWORDS.contains(&rust_name.as_str()) {
                report(
                    location.clone(),
                    format!("`{rust_name}` is not a usable Rust name; set `rust_name`"),
                );
            }
            if rust_name.to_snake_case() != rust_name {
                report(location.clone(), format!("`{rust_name}` is not snake_case"));
            }
            if RESERVED_SETTERS.contains(&rust_name.as_str()) {
                report(
                    location.clone(),
                    format!("`{rust_name}` collides with a builder method; set `rust_name`"),
                );
            }
            if !rust_names.insert(rust_name.clone()) {
                report(
                    location.clone(),
                    format!("two parameters map to `{rust_name}`"),
                );
            }
            if param.doc.trim().is_empty() {
                report(location.clone(), "parameter is not documented".into());
            }
            match (param.ty, &param.enum_name) {
                (ParamType::Enum, None) => {
                    report(location.clone(), "an enum parameter needs `enum`".into())
                }
                (ParamType::Enum, Some(name)) => match spec.enum_def(name) {
                    None => report(location.clone(), format!("unknown enum `{name}`")),
                    Some(def) => {
                        if let Some(default) = &param.default
                            && !def.values.iter().any(|v| &v.wire == default)
                        {
                            report(
                                location.clone(),
                                format!("default `{default}` is not a value of `{name}`"),
                            );
                        }
                    }
                },
                (_, Some(_)) => report(
                    location.clone(),
                    "`enum` is only for enum parameters".into(),
                ),
                (_, None) => {}
            }
            if (param.ty == ParamType::List) != param.list_encoding.is_some() {
                report(
                    location.clone(),
                    "`list_encoding` is required for lists, and only for them".into(),
                );
            }
            if param.item.is_some() && param.ty != ParamType::List {
                report(location.clone(), "`item` is only for lists".into());
            }
            if param.bool_encoding.is_some() && param.ty != ParamType::Bool {
                report(
                    location.clone(),
                    "`bool_encoding` is only for bool parameters".into(),
                );
            }
            if param.bool_encoding == Some(BoolEncoding::Presence) && param.required {
                report(
                    location.clone(),
                    "a presence-only flag cannot be required".into(),
                );
            }
            if let Some(role) = param.role {
                if !roles.insert(role) {
                    report(
                        location.clone(),
                        format!("two parameters play the role {role:?}"),
                    );
                }
                if param.ty != ParamType::Enum {
                    report(location.clone(), "only enum parameters carry a role".into());
                }
                if role == ParamRole::PayloadFormat && !method.sends_data {
                    report(
                        location.clone(),
                        "a payload format needs a `data` parameter".into(),
                    );
                }
            }
            if param.ty == ParamType::File && method.encoding != crate::model::Encoding::Multipart {
                report(
                    location.clone(),
                    "a file parameter needs `encoding = \"multipart\"`".into(),
                );
            }
        }
    }
    problems
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
