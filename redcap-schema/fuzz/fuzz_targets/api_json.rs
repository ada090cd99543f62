//! The API JSON readers (project info, arms, events, mappings, repeating
//! setup, instruments, DAGs), through content detection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = redcap_schema::read::decode(data, "fuzz.json") {
        let _ = redcap_schema::read::read_piece(text, "fuzz.json");
    }
});
