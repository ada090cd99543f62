//! The schema.json snapshot reader; what it accepts must write back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schema) = redcap_schema::from_snapshot(text, "fuzz.json") {
            let _ = redcap_schema::to_snapshot(&schema);
        }
    }
});
