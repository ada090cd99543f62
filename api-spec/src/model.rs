//! The serde model of the spec files.
//!
//! Every file under `spec/` has the shape of [`SpecFile`]: a family of methods (one
//! file per family, as REDCap's API help page groups them), or the shared enums.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One TOML file of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Title of the family, as REDCap's API help page names it.
    #[serde(default)]
    pub title: Option<String>,
    /// What the methods of this family are for.
    #[serde(default)]
    pub doc: Option<String>,
    /// Enumerations shared by parameters of any family.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumDef>,
    /// The methods of this family, in the order of REDCap's help page.
    #[serde(default, rename = "method", skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<Method>,
}

/// The whole spec: every method of every family, and the shared enums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// Method families in a fixed order.
    pub families: Vec<Family>,
    /// Enumerations referenced by parameters (`type = "enum"`).
    pub enums: Vec<EnumDef>,
}

/// A family of methods: one spec file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    /// File stem, e.g. `records`.
    pub name: String,
    /// Title, e.g. `Records`.
    pub title: String,
    /// What the family is for.
    pub doc: String,
    /// Its methods.
    pub methods: Vec<Method>,
}

impl Spec {
    /// Every method of every family, in spec order.
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.families
            .iter()
            .flat_map(|family| family.methods.iter())
    }

    /// The method with this name, if the spec has one.
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods().find(|method| method.name == name)
    }

    /// The enum with this name, if the spec defines one.
    pub fn enum_def(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|def| def.name == name)
    }
}

/// One REDCap API method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// Snake-case name, `{verb}_{noun}`: the client's method name.
    pub name: String,
    /// Title as on REDCap's API help page.
    pub title: String,
    /// False for methods REDCap accepts but does not document.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub documented: bool,
    /// The `content` parameter that selects this method.
    pub content: String,
    /// The `action` parameter, where REDCap needs one.
    #[serde(default)]
    pub action: Option<String>,
    /// Whether the request carries a non-empty `data` parameter. REDCap tells exports
    /// from imports of the same `content` by this alone.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sends_data: bool,
    /// Which token the method takes.
    #[serde(default)]
    pub auth: Auth,
    /// How the request body is encoded.
    #[serde(default)]
    pub encoding: Encoding,
    /// The user right REDCap requires, in its own words.
    pub right: String,
    /// The oldest REDCap version known to have the method, when one is known. The
    /// evidence for it is a comment beside it in the spec file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Version>,
    /// Response formats REDCap documents for the method.
    pub formats: Vec<String>,
    /// What a successful response carries.
    pub response: ResponseKind,
    /// The typed item of a `list` or `object` response (a type of `redcap_client::types`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// True when the method changes nothing on the server.
    pub read_only: bool,
    /// True when sending the same request twice leaves the server as sending it once.
    pub idempotent: bool,
    /// True when the method can erase or replace data or design.
    pub destructive: bool,
    /// What the method does and returns.
    pub doc: String,
    /// Parameters other than `token`, `content` and `action`, in REDCap's order.
    #[serde(default, rename = "param")]
    pub params: Vec<Param>,
}

impl Method {
    /// The parameter with this wire name, if the method has one.
    pub fn param(&self, wire_name: &str) -> Option<&Param> {
        self.params.iter().find(|param| param.name == wire_name)
    }

    /// The parameter that plays this role, if any.
    pub fn param_with_role(&self, role: ParamRole) -> Option<&Param> {
        self.params.iter().find(|param| param.role == Some(role))
    }
}

/// Which token a method accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// A 32-character project token.
    #[default]
    Project,
    /// A 64-character super token.
    Super,
    /// Either kind of token.
    ProjectOrSuper,
}

/// Body encoding of a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// `application/x-www-form-urlencoded`.
    #[default]
    Form,
    /// `multipart/form-data`, with the file in a part named `file`.
    Multipart,
}

/// What a successful response carries; selects the decoder in the client runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseKind {
    /// Record rows: an ordered column → value map per row.
    Rows,
    /// A JSON array of typed items (`item`).
    List,
    /// One typed JSON object (`item`).
    Object,
    /// A bare integer count.
    Count,
    /// The outcome of a record import (count, ids or auto-numbered ids).
    ImportOutcome,
    /// A bare line of text (a version, a link, a code, a record name).
    Text,
    /// A new API token (kept secret).
    Token,
    /// The body `1`; anything else is a failure REDCap sent with status 200.
    Confirmation,
    /// A whole XML document (project XML).
    Document,
    /// File bytes, with the file name REDCap gives in `Content-Type`.
    File,
    /// An empty body.
    Empty,
}

/// One request parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Wire name, exactly as REDCap reads it (case sensitive).
    pub name: String,
    /// Rust name of the builder setter, when the snake-cased wire name won't do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_name: Option<String>,
    /// Value type.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// The enum of an `enum` parameter.
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_name: Option<String>,
    /// Item type of a `list` parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ListItem>,
    /// How a `list` parameter goes on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_encoding: Option<ListEncoding>,
    /// How a `bool` parameter goes on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bool_encoding: Option<BoolEncoding>,
    /// Set when the client, not the caller, decides the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ParamRole>,
    /// Whether REDCap rejects a request without it.
    #[serde(default)]
    pub required: bool,
    /// A condition under which REDCap requires it (e.g. `longitudinal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<String>,
    /// REDCap's value when the parameter is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// What the parameter means.
    pub doc: String,
}

impl Param {
    /// The name of the builder setter: `rust_name`, or the snake-cased wire name.
    pub fn rust_name(&self) -> String {
        match &self.rust_name {
            Some(name) => name.clone(),
            None => heck::ToSnakeCase::to_snake_case(self.name.as_str()),
        }
    }
}

/// Value type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// Free text.
    String,
    /// A flag; see `bool_encoding`.
    Bool,
    /// A non-negative integer.
    Int,
    /// One value of the enum named by `enum`.
    Enum,
    /// Several values; see `item` and `list_encoding`.
    List,
    /// A file upload (multipart part `file`).
    File,
    /// The `data` payload of an import, in the format of the `format` parameter.
    Data,
    /// A server-local timestamp `YYYY-MM-DD HH:MM:SS`.
    Datetime,
    /// A server-local timestamp `YYYY-MM-DD HH:MM`.
    DatetimeMinutes,
}

/// Item type of a list parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListItem {
    /// Strings (record names, field names, …).
    #[default]
    String,
    /// Integers (arm numbers).
    Int,
}

/// How a list goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListEncoding {
    /// PHP array only: `name[0]=a&name[1]=b`.
    Array,
    /// REDCap also accepts a comma-joined string, but arrays are always sent.
    ArrayOrComma,
}

/// How a flag goes on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoolEncoding {
    /// `true` / `false`.
    #[default]
    TrueFalse,
    /// `1` / `0` (REDCap casts these with `(int)`).
    ZeroOne,
    /// Sent as `true` when set, omitted otherwise (REDCap only checks presence).
    Presence,
}

/// Parameters whose value the client decides.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ParamRole {
    /// Format of the success body: JSON for typed responses, the caller's choice for raw ones.
    ResponseFormat,
    /// Format of the `data` payload: taken from the payload itself.
    PayloadFormat,
    /// Format of error bodies (`returnFormat`): always JSON.
    ErrorFormat,
}

/// An enumeration of parameter values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    /// Rust type name (PascalCase).
    pub name: String,
    /// What the values choose between.
    pub doc: String,
    /// The values, in REDCap's documented order.
    #[serde(rename = "value")]
    pub values: Vec<EnumValue>,
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// The exact string sent on the wire.
    pub wire: String,
    /// Rust variant name (PascalCase).
    pub rust_name: String,
    /// What the value means.
    pub doc: String,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A REDCap version: `major.minor` or `major.minor.patch` (`6.4.0`, `13.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version, when given.
    pub patch: Option<u32>,
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: Option<&str>| -> Result<Option<u32>, String> {
            part.map(|p| {
                if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse::<u32>().map_err(|e| e.to_string())
                } else {
                    Err(format!("`{p}` is not a number"))
                }
            })
            .transpose()
        };
        let mut parts = text.split('.');
        let (major, minor, patch) = (parts.next(), parts.next(), parts.next());
        let wrong = || format!("`{text}` is not a version (`major.minor` or `major.minor.patch`)");
        if parts.next().is_some() {
            return Err(wrong());
        }
        let (Some(major), Some(minor)) = (number(major)?, number(minor)?) else {
            return Err(wrong());
        };
        Ok(Self {
            major,
            minor,
            patch: number(patch)?,
        })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Version {
    fn schema_name() -> String {
        "Version".to_string()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            string: Some(Box::new(schemars::schema::StringValidation {
                pattern: Some("^[0-9]+\\.[0-9]+(\\.[0-9]+)?$".to_string()),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_read_and_print_as_written() {
        for text in ["6.4.0", "13.1", "15.7.6"] {
            assert_eq!(text.parse::<Version>().unwrap().to_string(), text);
        }
        for bad in ["", "6", "6.x", "<=5.2.3", "1.2.3.4", "1..2"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert!("6.4.0".parse::<Version>().unwrap() < "13.1".parse().unwrap());
    }
}
