//! `cargo redcap pull` against redcap-emulator: the live project's schema is written,
//! and what the schema reader reads liberally in REDCap's answers is shown as warnings,
//! as `cargo redcap schema` shows them for files.

mod support;

use std::process::ExitCode;

use support::cargo_redcap;

/// A field name REDCap would rename (`Weight`): readable, with a warning.
const DICTIONARY: &str = "\
Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,intake,,text,Record ID,,,,,,,,,,,,,
Weight,intake,,text,Weight,,,number,,,,,,,,,,
";

#[test]
fn pull_writes_the_schema_and_shows_the_readers_warnings() {
    let dir = std::env::temp_dir().join(format!("cargo-redcap-pull-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dictionary = dir.join("dictionary.csv");
    std::fs::write(&dictionary, DICTIONARY).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(
            redcap_emulator::Config::default().project("p", &dictionary),
        ))
        .unwrap();
    let out = dir.join("schema.json");
    let (code, stdout, stderr) = cargo_redcap(&[
        "pull",
        "--out",
        out.to_str().unwrap(),
        "--url",
        emulator.url(),
        "--token",
        emulator.token("p").unwrap(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{stdout}{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("REDCap would rename `Weight`"),
        "{stderr}"
    );
    let schema = redcap_schema::read_path(&out).unwrap();
    assert!(schema.field("Weight").is_some());
    drop(emulator);
    std::fs::remove_dir_all(&dir).unwrap();
}
