//! Faults: rules that make API requests fail the ways a real REDCap (and
//! the network and PHP in front of it) fails, so that a client's timeouts,
//! retries and completeness checks can be tested for real.
//!
//! This module holds the configuration and its JSON form; `inject.rs`
//! decides which request a rule hits, `answers.rs` builds REDCap's
//! answers, `drop.rs` removes records from an export and `cut.rs` cuts a
//! response off at the byte level.

pub(crate) mod answers;
pub(crate) mod cut;
pub(crate) mod drop;
pub(crate) mod inject;

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

/// The fault rules of an emulator, in the order they are checked.
///
/// The JSON form is `{"faults": [rule, …]}`; see the crate documentation
/// for the fields of a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// The rules, checked in this order.
    pub rules: Vec<FaultRule>,
}

/// One rule: what happens, to which method's requests, and how often.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultRule {
    /// What the emulator does instead of (or to) the real answer.
    pub kind: FaultKind,
    /// The API spec method whose requests the rule counts
    /// (`export_records`); every method when `None`.
    pub method: Option<String>,
    /// Which of the counted requests it hits (`None` for `ban`, which has
    /// its own threshold).
    pub when: Option<When>,
    /// Counted requests let through before `when` starts counting (0 by
    /// default): `times: 1` with `after: 1` hits the second request only,
    /// e.g. the first batch of an export rather than its record-ID request.
    pub after: u64,
}

impl FaultRule {
    /// A rule of this kind for every method; give it `every`, `times` or
    /// `method` with the setters.
    pub fn new(kind: FaultKind) -> FaultRule {
        FaultRule {
            kind,
            method: None,
            when: None,
            after: 0,
        }
    }

    /// Lets the first `n` counted requests through before `every` or
    /// `times` starts counting.
    pub fn after(mut self, n: u64) -> FaultRule {
        self.after = n;
        self
    }

    /// Hits every `n`-th counted request.
    pub fn every(mut self, n: u64) -> FaultRule {
        self.when = Some(When::Every(n));
        self
    }

    /// Hits the first `n` counted requests.
    pub fn times(mut self, n: u64) -> FaultRule {
        self.when = Some(When::Times(n));
        self
    }

    /// Counts only requests of this API method.
    pub fn method(mut self, name: impl Into<String>) -> FaultRule {
        self.method = Some(name.into());
        self
    }
}

/// Which counted requests a rule hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The `n`-th, `2n`-th, … request.
    Every(u64),
    /// The first `n` requests.
    Times(u64),
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answers `status` with REDCap's error body (in the request's
    /// `returnFormat`) carrying `message`.
    Status {
        /// The HTTP status, 400–599.
        status: u16,
        /// The error text; REDCap's generic one when `None`.
        message: Option<String>,
    },
    /// Answers 429 or 503 with `Retry-After: seconds`.
    RetryAfter {
        /// 429 or 503.
        status: u16,
        /// The `Retry-After` value.
        seconds: u64,
    },
    /// Accepts the request, sends nothing for `seconds`, then closes the
    /// connection.
    Hang {
        /// How long to stay silent.
        seconds: Duration,
    },
    /// Sends the status line and headers and `after_bytes` bytes of the
    /// real body, then nothing for `seconds`, then closes the connection.
    Stall {
        /// Body bytes sent before the stall.
        after_bytes: u64,
        /// How long to stay silent.
        seconds: Duration,
    },
    /// A 200 whose body ends early: the full `Content-Length` (or, with
    /// `chunked`, one chunk and no last chunk), `after_bytes` bytes of the
    /// body (half when `None`), then the connection closes.
    Truncate {
        /// Body bytes sent before the close.
        after_bytes: Option<u64>,
        /// Send the body with `Transfer-Encoding: chunked`.
        chunked: bool,
    },
    /// A 200 carrying an HTML login page.
    Html,
    /// A 200 record export without `count` of its records (every row of
    /// them), in the requested format.
    DropRecords {
        /// How many records to leave out: the first ones of the answer.
        count: usize,
    },
    /// REDCap's out-of-memory answer.
    ServerMemory {
        /// PHP printed the fatal error before REDCap's handler ran (as with
        /// `display_errors` on): the status stays 200 and the body is the
        /// error line followed by REDCap's message.
        display_errors: bool,
    },
    /// After more than `per_minute` counted requests within a minute,
    /// every later API request gets REDCap's IP ban answer, for the
    /// emulator's lifetime.
    Ban {
        /// REDCap's `page_hit_threshold_per_minute`.
        per_minute: u64,
    },
}

impl FaultKind {
    /// The `kind` name of the JSON form.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Status { .. } => "status",
            FaultKind::RetryAfter { .. } => "retry_after",
            FaultKind::Hang { .. } => "hang",
            FaultKind::Stall { .. } => "stall",
            FaultKind::Truncate { .. } => "truncate",
            FaultKind::Html => "html",
            FaultKind::DropRecords { .. } => "drop_records",
            FaultKind::ServerMemory { .. } => "server_memory",
            FaultKind::Ban { .. } => "ban",
        }
    }
}

/// The methods whose answers are record rows, the only ones
/// `drop_records` can thin out.
pub(crate) const ROW_METHODS: &[&str] = &["export_records", "export_report"];

impl Faults {
    /// No rules.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Adds a rule after the others.
    pub fn rule(mut self, rule: FaultRule) -> Faults {
        self.rules.push(rule);
        self
    }

    /// Reads the JSON form, `{"faults": [rule, …]}`. The error names the
    /// rule (from 1) and the field.
    pub fn from_json(text: &str) -> Result<Faults, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(top) = value else {
            return Err("expected an object `{\"faults\": [...]}`".into());
        };
        if let Some(other) = top.keys().find(|k| *k != "faults") {
            return Err(format!("unknown field `{other}` (expected `faults`)"));
        }
        let Some(Value::Array(items)) = top.get("faults") else {
            return Err("`faults` must be an array of rules".into());
        };
        let rules = items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_rule(item).map_err(|e| format!("fault {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let faults = Faults { rules };
        faults.check()?;
        Ok(faults)
    }

    /// Reads a JSON file.
    pub fn load(path: &Path) -> Result<Faults, crate::StartError> {
        let err = |message: String| crate::StartError::ConfigFile {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Faults::from_json(&text).map_err(err)
    }

    /// Checks what the JSON form cannot express wrongly but the setters
    /// can: counts of zero, statuses out of range, `when` on `ban`.
    pub(crate) fn check(&self) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            check_rule(rule)
                .map_err(|e| format!("fault {} (`{}`): {e}", i + 1, rule.kind.name()))?;
        }
        Ok(())
    }

    /// Checks every `method` against the API spec.
    pub(crate) fn check_methods(&self, spec: &redcap_api_spec::Spec) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(name) = &rule.method
                && spec.method(name).is_none()
            {
                return Err(format!(
                    "fault {} (`{}`): `{name}` is not a method of the API spec",
                    i + 1,
                    rule.kind.name()
                ));
            }
        }
        Ok(())
    }
}

fn check_rule(rule: &FaultRule) -> Result<(), String> {
    match (&rule.kind, rule.when) {
        (FaultKind::Ban { .. }, Some(_)) => {
            return Err("`ban` takes `per_minute`, not `every` or `times`".into());
        }
        (FaultKind::Ban { .. }, None) if rule.after > 0 => {
            return Err("`ban` takes no `after`".into());
        }
        (FaultKind::Ban { per_minute: 0 }, None) => {
            return Err("`per_minute` must be at least 1".into());
        }
        (FaultKind::Ban { .. }, None) => {}
        (_, None) => return Err("needs `every` or `times`".into()),
        (_, Some(When::Every(0))) => return Err("`every` must be at least 1".into()),
        (_, Some(_)) => {}
    }
    match &rule.kind {
        FaultKind::Status { status, .. } if !(400..=599).contains(status) => {
            Err(format!("`status` must be 400–599, got {status}"))
        }
        FaultKind::RetryAfter { status, .. } if !matches!(status, 429 | 503) => {
            Err(format!("`status` must be 429 or 503, got {status}"))
        }
        FaultKind::DropRecords { count: 0 } => Err("`count` must be at least 1".into()),
        FaultKind::DropRecords { .. } => match rule.method.as_deref() {
            None => Ok(()),
            Some(m) if ROW_METHODS.contains(&m) => Ok(()),
            Some(m) => Err(format!(
                "`{m}` does not answer record rows (use `export_records` or `export_report`)"
            )),
        },
        _ => Ok(()),
    }
}

/// The fields each kind takes besides `kind`, `method`, `every`, `times`.
fn kind_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "status" => &["status", "message"],
        "retry_after" => &["status", "seconds"],
        "hang" => &["seconds"],
        "stall" => &["after_bytes", "seconds"],
        "truncate" => &["after_bytes", "chunked"],
        "html" => &[],
        "drop_records" => &["count"],
        "server_memory" => &["display_errors"],
        "ban" => &["per_minute"],
        _ => return None,
    })
}

const KINDS: &str =
    "status, retry_after, hang, stall, truncate, html, drop_records, server_memory, ban";

fn parse_rule(item: &Value) -> Result<FaultRule, String> {
    let Value::Object(map) = item else {
        return Err("a rule must be an object".into());
    };
    let kind = match map.get("kind") {
        Some(Value::String(k)) => k.as_str(),
        Some(_) => return Err("`kind` must be a string".into()),
        None => return Err(format!("`kind` is missing (one of {KINDS})")),
    };
    let fields =
        kind_fields(kind).ok_or_else(|| format!("unknown kind `{kind}` (one of {KINDS})"))?;
    for key in map.keys() {
        let common = matches!(
            key.as_str(),
            "kind" | "method" | "every" | "times" | "after"
        );
        if !common && !fields.contains(&key.as_str()) {
            return Err(format!("`{kind}` has no field `{key}`"));
        }
    }
    let method = match map.get("method") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.clone()),
        Some(_) => return Err("`method` must be a string".into()),
    };
    let when = match (opt_u64(map, "every")?, opt_u64(map, "times")?) {
        (Some(_), Some(_)) => return Err("give `every` or `times`, not both".into()),
        (Some(n), None) => Some(When::Every(n)),
        (None, Some(n)) => Some(When::Times(n)),
        (None, None) => None,
    };
    let kind = match kind {
        "status" => FaultKind::Status {
            status: status(map)?,
            message: match map.get("message") {
                None | Some(Value::Null) => None,
                Some(Value::String(m)) => Some(m.clone()),
                Some(_) => return Err("`message` must be a string".into()),
            },
        },
        "retry_after" => FaultKind::RetryAfter {
            status: status(map)?,
            seconds: req_u64(map, "seconds")?,
        },
        "hang" => FaultKind::Hang {
            seconds: seconds(map)?,
        },
        "stall" => FaultKind::Stall {
            after_bytes: req_u64(map, "after_bytes")?,
            seconds: seconds(map)?,
        },
        "truncate" => FaultKind::Truncate {
            after_bytes: opt_u64(map, "after_bytes")?,
            chunked: match map.get("chunked") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("`chunked` must be true or false".into()),
            },
        },
        "html" => FaultKind::Html,
        "drop_records" => FaultKind::DropRecords {
            count: usize::try_from(req_u64(map, "count")?)
                .map_err(|_| "`count` is too large".to_owned())?,
        },
        "server_memory" => FaultKind::ServerMemory {
            display_errors: match map.get("display_errors") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("`display_errors` must be true or false".into()),
            },
        },
        _ => FaultKind::Ban {
            per_minute: req_u64(map, "per_minute")?,
        },
    };
    let after = opt_u64(map, "after")?.unwrap_or(0);
    Ok(FaultRule {
        kind,
        method,
        when,
        after,
    })
}

fn opt_u64(map: &Map<String, Value>, field: &str) -> Result<Option<u64>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{field}` must be a whole number ≥ 0, got {v}")),
    }
}

fn req_u64(map: &Map<String, Value>, field: &str) -> Result<u64, String> {
    opt_u64(map, field)?.ok_or_else(|| format!("`{field}` is missing"))
}

fn status(map: &Map<String, Value>) -> Result<u16, String> {
    let n = req_u64(map, "status")?;
    u16::try_from(n).map_err(|_| format!("`status` {n} is not an HTTP status"))
}

/// `seconds` as a number of seconds, fractions allowed.
fn seconds(map: &Map<String, Value>) -> Result<Duration, String> {
    let value = map.get("seconds").ok_or("`seconds` is missing")?;
    value
        .as_f64()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`seconds` must be a number of seconds ≥ 0, got {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind() {
        let faults = Faults::from_json(
            r#"{"faults": [
                {"kind": "status", "status": 500, "every": 3},
                {"kind": "retry_after", "status": 429, "seconds": 2, "times": 1, "method": "export_records"},
                {"kind": "hang", "seconds": 0.5, "times": 1, "after": 2},
                {"kind": "stall", "after_bytes": 10, "seconds": 1, "every": 2},
                {"kind": "truncate", "times": 1, "chunked": true},
                {"kind": "html", "times": 1},
                {"kind": "drop_records", "count": 2, "times": 1},
                {"kind": "server_memory", "every": 5, "display_errors": true},
                {"kind": "ban", "per_minute": 600}
            ]}"#,
        )
        .expect("valid");
        assert_eq!(faults.rules.len(), 9);
        assert_eq!(
            faults.rules[1],
            FaultRule::new(FaultKind::RetryAfter {
                status: 429,
                seconds: 2
            })
            .times(1)
            .method("export_records")
        );
        assert_eq!(
            faults.rules[2],
            FaultRule::new(FaultKind::Hang {
                seconds: Duration::from_millis(500)
            })
            .times(1)
            .after(2)
        );
    }

    #[test]
    fn errors_name_the_rule_and_field() {
        let err = |text: &str| Faults::from_json(text).expect_err("invalid");
        assert_eq!(
            err(r#"{"faults": [{"kind": "html", "every": 1}, {"kind": "hang", "times": 1}]}"#),
            "fault 2: `seconds` is missing"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "html"}]}"#),
            "fault 1 (`html`): needs `every` or `times`"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "html", "every": 1, "times": 1}]}"#),
            "fault 1: give `every` or `times`, not both"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "stall", "seconds": 1, "bytes": 3, "every": 1}]}"#),
            "fault 1: `stall` has no field `bytes`"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "boom"}]}"#),
            format!("fault 1: unknown kind `boom` (one of {KINDS})")
        );
        assert_eq!(
            err(
                r#"{"faults": [{"kind": "retry_after", "status": 500, "seconds": 1, "every": 1}]}"#
            ),
            "fault 1 (`retry_after`): `status` must be 429 or 503, got 500"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "ban", "per_minute": 5, "every": 2}]}"#),
            "fault 1 (`ban`): `ban` takes `per_minute`, not `every` or `times`"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "ban", "per_minute": 5, "after": 2}]}"#),
            "fault 1 (`ban`): `ban` takes no `after`"
        );
        assert_eq!(
            err(r#"{"faults": [{"kind": "html", "every": 0}]}"#),
            "fault 1 (`html`): `every` must be at least 1"
        );
        assert_eq!(
            err(
                r#"{"faults": [{"kind": "drop_records", "count": 1, "every": 1, "method": "export_users"}]}"#
            ),
            "fault 1 (`drop_records`): `export_users` does not answer record rows (use `export_records` or `export_report`)"
        );
        assert_eq!(
            err(r#"{"rules": []}"#),
            "unknown field `rules` (expected `faults`)"
        );
    }
}
