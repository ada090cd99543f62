//! The example in SCHEMA.md is a valid snapshot, and the writer produces it.

#[test]
fn schema_md_example_reads_and_writes_back() {
    let doc = include_str!("../SCHEMA.md");
    let start = doc.find("```json\n").expect("example block") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("end of example");
    let example = &doc[start..end];
    let schema =
        redcap_schema::from_snapshot(example, "SCHEMA.md").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        schema.field("rate").unwrap().export_names,
        ["rate____1", "rate___1"]
    );
    let written = redcap_schema::to_snapshot(&schema);
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(compact(&written), compact(example));
}
