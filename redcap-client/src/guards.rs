//! Checks the typed client makes before sending, against REDCap behaviour that silently
//! weakens access control. `Client::call_raw` sends requests as they are.

/// REDCap 15.7.6's user import writes `data_access_group` for every row it imports,
/// whether the row sends it or not: a row without it takes the user out of their data
/// access group, and a user in no group sees every record. A row must therefore name the
/// user's group (blank to take the user out on purpose).
///
/// Returns the message for the first row that does not, if any. Payloads that cannot be
/// read as rows are left to REDCap to refuse.
pub(crate) fn user_rows_name_their_group(format: &str, text: &str) -> Option<String> {
    let missing = match format {
        "csv" => csv_rows_without_group(text),
        "xml" => xml_rows_without_group(text),
        _ => json_rows_without_group(text),
    }?;
    let (row, user) = missing;
    let who = user.map_or_else(String::new, |user| format!(" (user `{user}`)"));
    Some(format!(
        "row {row}{who} has no `data_access_group`: REDCap would take the user out of their data access group, and a user in no group sees every record. Send the user's group, or \"\" to take them out on purpose (`Client::call_raw` sends rows unchecked)"
    ))
}

/// The first row without the column: its 1-based number and username.
type Missing = Option<(usize, Option<String>)>;

fn json_rows_without_group(text: &str) -> Missing {
    // REDCap strips a byte-order mark and takes a lone object as one row.
    let text = text.trim_start_matches('\u{feff}');
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(text).map(|row| vec![row]))
        .ok()?;
    rows.iter()
        .position(|row| !row.contains_key("data_access_group"))
        .map(|index| {
            let user = rows[index]
                .get("username")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            (index + 1, user)
        })
}

fn csv_rows_without_group(text: &str) -> Missing {
    // REDCap trims header names and pads short rows.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let header = reader.headers().ok()?.clone();
    if header.iter().any(|column| column == "data_access_group") {
        return None;
    }
    let username = header.iter().position(|column| column == "username");
    let first = reader.records().next()?.ok()?;
    Some((1, username.and_then(|i| first.get(i)).map(str::to_owned)))
}

/// Rows are told apart by their `<username>`, whatever REDCap's reader calls the row
/// element; each must carry the `data_access_group` element itself.
fn xml_rows_without_group(text: &str) -> Missing {
    text.split("<username>")
        .skip(1)
        .position(|row| {
            !(row.contains("<data_access_group>")
                || row.contains("<data_access_group/>")
                || row.contains("<data_access_group "))
        })
        .map(|index| (index + 1, None))
}

#[cfg(test)]
mod tests {
    use super::user_rows_name_their_group;

    #[test]
    fn rows_must_name_the_group_in_every_format() {
        let message = user_rows_name_their_group(
            "json",
            r#"[{"username":"ann","data_access_group":"site_a"},{"username":"bob","design":"1"}]"#,
        )
        .unwrap();
        assert!(
            message.starts_with("row 2 (user `bob`) has no `data_access_group`"),
            "{message}"
        );
        assert_eq!(
            user_rows_name_their_group("json", r#"[{"username":"ann","data_access_group":""}]"#),
            None
        );
        assert!(
            user_rows_name_their_group("csv", "username,design\nann,1\n")
                .unwrap()
                .starts_with("row 1 (user `ann`)")
        );
        assert_eq!(
            user_rows_name_their_group("csv", "username,data_access_group\nann,\n"),
            None
        );
        let xml = "<records><item><username>ann</username><data_access_group>a</data_access_group></item><item><username>bob</username></item></records>";
        assert!(
            user_rows_name_their_group("xml", xml)
                .unwrap()
                .starts_with("row 2 has no")
        );
        // A lone object, a byte-order mark, a short CSV row, spaced headers, other
        // row elements.
        assert!(user_rows_name_their_group("json", r#"{"username":"bob"}"#).is_some());
        assert!(user_rows_name_their_group("json", "\u{feff}[{\"username\":\"bob\"}]").is_some());
        assert!(user_rows_name_their_group("csv", "username,design\nbob\n").is_some());
        assert_eq!(
            user_rows_name_their_group("csv", "username, data_access_group\nann,\n"),
            None
        );
        let xml = "<users><user><username>bob</username><data_access_group_id>3</data_access_group_id></user></users>";
        assert!(user_rows_name_their_group("xml", xml).is_some());
        // Not rows at all: REDCap answers for itself.
        assert_eq!(user_rows_name_their_group("json", "not json"), None);
    }
}
