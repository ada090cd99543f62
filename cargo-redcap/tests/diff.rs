//! `cargo redcap diff` end to end, through the library entry point: exit
//! codes, the report in each format, and errors.

mod support;

use support::cargo_redcap;

use std::path::PathBuf;
use std::process::ExitCode;

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

const SIMPLE: &str = "REDCapR/inst/test-data/projects/simple/dictionary.csv";

#[test]
fn recoding_a_radio_choice_is_breaking_and_says_why() {
    let (old, new) = (fixture(SIMPLE), fixture("diff/simple-sex-recoded.csv"));
    let (code, out, err) = cargo_redcap(&["diff", &old, &new, "--color", "never"]);
    assert_eq!(code, ExitCode::FAILURE, "{err}");
    assert_eq!(
        out,
        "Schema diff: 1 breaking, 0 compatible, 0 cosmetic\n\
         \n\
         Breaking changes (1)\n  \
         field `sex` in `demographics`: choice recoded: `1, Male` → `2, Male`\n    \
         answers stored as `1` meant `Male`, which is now coded `2`, and `1` is no longer a choice: existing answers are re-labelled or orphaned unless the data is re-coded\n"
    );

    let (code, json, _) = cargo_redcap(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(code, ExitCode::FAILURE);
    // The change as the documented JSON format writes it.
    assert!(json.starts_with("{\n  \"format\": \"redcap-schema-diff/1\",\n  \"breaking\": true,"));
    assert!(
        json.contains(
            "      \"kind\": \"choice_recoded\",\n      \"impact\": \"breaking\",\n      \"target\": \"field\",\n      \"form\": \"demographics\",\n      \"field\": \"sex\",\n      \"old\": {\n        \"code\": \"1\",\n        \"label\": \"Male\"\n      },\n      \"new\": {\n        \"code\": \"2\",\n        \"label\": \"Male\"\n      },\n"
        ),
        "{json}"
    );

    let (code, markdown, _) = cargo_redcap(&["diff", &old, &new, "--format", "markdown"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(markdown.starts_with("## Schema diff\n\n1 breaking, 0 compatible, 0 cosmetic\n"));
    assert!(
        markdown
            .contains("- **field `sex` in `demographics`**: choice recoded: `1, Male` → `2, Male`")
    );

    let (code, allowed, _) =
        cargo_redcap(&["diff", &old, &new, "--allow-breaking", "--color", "never"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(allowed, out);
}

#[test]
fn adding_a_field_is_compatible() {
    let (old, new) = (fixture(SIMPLE), fixture("diff/simple-field-added.csv"));
    let (code, out, err) = cargo_redcap(&["diff", &old, &new, "--color", "never"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(
        out.starts_with("Schema diff: 0 breaking, 1 compatible, 0 cosmetic\n"),
        "{out}"
    );
    assert!(out.contains("field `language` in `race_and_ethnicity`: field added: `text`"));
    // And taken away again, the field's data would be lost.
    let (code, out, _) = cargo_redcap(&["diff", &new, &old, "--color", "never"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("field removed"), "{out}");
}

#[test]
fn the_same_project_in_two_formats_has_no_breaking_change() {
    let (code, out, _) = cargo_redcap(&[
        "diff",
        &fixture(SIMPLE),
        &fixture("REDCapR/inst/test-data/projects/simple/project.xml"),
        "--color",
        "never",
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    // The XML is a later version with one more field.
    assert_eq!(
        out,
        "Schema diff: 0 breaking, 1 compatible, 0 cosmetic\n\n\
         Compatible changes (1)\n  \
         field `interpreter_needed` in `race_and_ethnicity`: field added: `truefalse`\n    \
         a new field: existing records have no value for it\n"
    );
    let same = fixture(SIMPLE);
    let (code, out, _) = cargo_redcap(&["diff", &same, &same]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(out, "No changes.\n");
}

/// A dictionary says nothing of arms, events or project settings: against the project's
/// XML only instruments and fields are compared, and a note says so.
#[test]
fn a_dictionary_is_compared_on_what_it_describes() {
    let projects = "REDCapR/inst/test-data/projects/longitudinal";
    let dictionary = fixture(&format!("{projects}/dictionary.csv"));
    let xml = fixture(&format!("{projects}/project.xml"));
    let (code, out, err) = cargo_redcap(&["diff", &dictionary, &xml, "--color", "never"]);
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert_eq!(out, "No changes.\n");
    assert_eq!(
        err,
        format!(
            "note: {dictionary} is a data dictionary, which says nothing of project settings, arms, events or repeating setup: only the record-ID field, instruments and fields are compared\n"
        )
    );
    // Two project XMLs are compared on everything.
    let (_, _, err) = cargo_redcap(&["diff", &xml, &xml]);
    assert_eq!(err, "");
}

#[test]
fn colour_is_asked_for_not_assumed() {
    let (old, new) = (fixture(SIMPLE), fixture("diff/simple-sex-recoded.csv"));
    let (_, out, _) = cargo_redcap(&["diff", &old, &new, "--color", "always"]);
    assert!(
        out.contains("\x1b[1;31mBreaking changes (1)\x1b[0m"),
        "{out:?}"
    );
    let (_, out, _) = cargo_redcap(&["diff", &old, &new, "--color", "never"]);
    assert!(!out.contains('\x1b'));
}

#[test]
fn unreadable_inputs_exit_2_and_name_the_file() {
    let missing = fixture("diff/no-such-file.csv");
    let (code, out, err) = cargo_redcap(&["diff", &fixture(SIMPLE), &missing]);
    assert_eq!(code, ExitCode::from(2));
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: ") && err.contains("no-such-file.csv"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("cargo-redcap-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "field_name,form_name,section_header,field_type,field_label\nrecord_id,f,,texte,ID\n",
    )
    .unwrap();
    let (code, _, err) = cargo_redcap(&["diff", bad.to_str().unwrap(), &fixture(SIMPLE)]);
    assert_eq!(code, ExitCode::from(2));
    assert!(
        err.contains("bad.csv") && err.contains("unknown-field-type"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
