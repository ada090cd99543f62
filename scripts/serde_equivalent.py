#!/usr/bin/env python3
"""Rewrites a module written by `cargo redcap gen` as the same types with serde derive.

The baseline of scripts/compile-bench.sh: every struct and enum keeps its name, members,
docs and wire names (`#[serde(rename)]` in place of `#[redcap(...)]`), rows flatten their
instruments with `#[serde(flatten)]`, and value types become `String` (a checkbox field
a `Vec` of its enum), which spares serde work rather than adding any.

    scripts/serde_equivalent.py GENERATED.rs > SERDE.rs
"""
import re
import sys

SERDE = "serde::Serialize, serde::Deserialize"

HEADER = """
/// Where a row belongs.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowKey {
    /// The record.
    pub record: String,
    /// The event.
    #[serde(rename = "redcap_event_name")]
    pub event: Option<String>,
    /// The repeating instrument.
    #[serde(rename = "redcap_repeat_instrument")]
    pub repeat_instrument: Option<String>,
    /// The repeat instance.
    #[serde(rename = "redcap_repeat_instance")]
    pub repeat_instance: Option<u32>,
    /// The data access group.
    #[serde(rename = "redcap_data_access_group")]
    pub dag: Option<String>,
}

/// The survey columns.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SurveyColumns {
    /// `redcap_survey_identifier`.
    #[serde(rename = "redcap_survey_identifier")]
    pub identifier: Option<String>,
}

/// One repeat instance.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instance<T> {
    /// The instance number.
    pub instance: u32,
    /// Its data.
    pub data: T,
}
"""


def joined_attributes(lines):
    """The lines, with each attribute the formatter spread over several lines on one."""
    pending = None
    for line in lines:
        if pending is not None:
            pending += " " + line.strip()
            if line.strip() == ")]":
                yield pending.replace("( ", "(").replace(", )", ")").replace(" )", ")")
                pending = None
        elif line.strip() == "#[redcap(":
            pending = line.rstrip()
        else:
            yield line


def rewrite(text: str) -> str:
    out = []
    in_row = False
    for line in joined_attributes(text.split("\n")):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped in ("use ::redcap_client::records;",):
            continue
        if stripped.startswith("#![deny(warnings)]"):
            out.append(line)
            out.append(HEADER)
            continue
        if stripped.startswith("#[derive(") and "::redcap_client::" in stripped:
            kind = re.search(r"::redcap_client::(\w+)", stripped).group(1)
            derives = re.sub(r",?\s*::redcap_client::\w+", "", stripped[len("#[derive(") : -2])
            extra = "" if "Debug" in derives or kind in ("Choice", "Name") else "Debug, "
            out.append(f"{indent}#[derive({derives}, {extra}{SERDE})]")
            if kind == "Name":
                out.append(f'{indent}#[serde(rename_all = "snake_case")]')
            in_row = kind == "Row"
            continue
        match = re.match(r'#\[redcap\((\w+) = ("[^"]*")', stripped)
        if match and match.group(1) in ("field", "name", "code", "event"):
            out.append(f"{indent}#[serde(rename = {match.group(2)})]")
            continue
        if stripped.startswith("#[redcap("):
            continue
        if stripped == "Unknown(String),":
            out.append(f"{indent}#[serde(untagged)]")
        if in_row and stripped.startswith("pub ") and not stripped.startswith("pub struct"):
            out.append(f"{indent}#[serde(flatten)]")
        if in_row and stripped == "}":
            in_row = False
        line = re.sub(r"records::Checkboxes<(\w+)>", r"Vec<\1>", line)
        line = re.sub(r"records::MaybeMissing<([\w:]+), super::MissingCode>", r"\1", line)
        line = re.sub(r"records::(Instance|RowKey|SurveyColumns)\b", r"crate::\1", line)
        line = re.sub(r"records::\w+", "String", line)
        out.append(line)
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        sys.stdout.write(rewrite(source.read()))
