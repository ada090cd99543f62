//! Record types generated from corpus projects, exercised by the tests in `tests/`.

#![deny(warnings)]

/// REDCapR's `simple` project (classic, checkboxes, a file field).
pub mod simple {
    include!(concat!(env!("OUT_DIR"), "/simple.rs"));
}

/// REDCapR's `longitudinal` project (two arms, twelve events, checkboxes).
pub mod longitudinal {
    include!(concat!(env!("OUT_DIR"), "/longitudinal.rs"));
}

/// REDCapR's `vignette-repeating` project (three repeating instruments).
pub mod repeating {
    include!(concat!(env!("OUT_DIR"), "/repeating.rs"));
}

/// REDCapR's `checkboxes-1` dictionary (letter codes).
pub mod checkboxes {
    include!(concat!(env!("OUT_DIR"), "/checkboxes.rs"));
}

/// A project with missing-data codes (`tests/fixtures/missing-codes`).
pub mod missing {
    include!(concat!(env!("OUT_DIR"), "/missing.rs"));
}

/// Hostile names and labels (`tests/fixtures/obstacle-course`): keywords, the
/// generator's own names as fields and instruments, mixed case, double and triple
/// underscores, leading digits, odd choice codes, other scripts, emoji, empty,
/// duplicate and very long labels.
pub mod obstacle {
    include!(concat!(env!("OUT_DIR"), "/obstacle.rs"));
}

/// The obstacle course as a longitudinal project XML with surveys and DAGs: events
/// named `dag`, `id`, `key`, `type`, `self`, `1st_visit_arm_1`, `Visit__A_arm_2`, a
/// repeating event and repeating instruments.
pub mod obstacle_longitudinal {
    include!(concat!(env!("OUT_DIR"), "/obstacle_longitudinal.rs"));
}

/// A production external module's metadata in miniature
/// (`tests/fixtures/external-module-metadata`): `___delete` fields, dropdowns
/// without choices.
pub mod external_module {
    include!(concat!(env!("OUT_DIR"), "/external_module.rs"));
}

/// The same shapes at production size (2,253 fields). Its debug build takes
/// minutes on two cores, so it is type-checked and linted by `cargo clippy` (as CI
/// runs it) rather than built for every `cargo test`.
#[cfg(clippy)]
pub mod production {
    include!(concat!(env!("OUT_DIR"), "/production.rs"));
}

/// Every other dictionary and project XML of the corpus fixtures, generated and compiled.
pub mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
}

/// A synthetic wide project (five forms, about 200 export columns), for the benchmark.
pub mod wide {
    include!(concat!(env!("OUT_DIR"), "/wide.rs"));

    /// The project's data dictionary (CSV), for loading it into the emulator.
    pub const DICTIONARY: &str = include_str!(concat!(env!("OUT_DIR"), "/wide.csv"));

    /// Import rows (CSV with a header) for records `first..first + count`: every column
    /// but the calculated ones filled, deterministically, so exports can be compared.
    pub fn import_csv(first: usize, count: usize) -> String {
        let columns: Vec<&str> = <Row as redcap_client::records::FlatRow>::COLUMNS
            .iter()
            .copied()
            .filter(|column| !column.ends_with("_calc") && !column.ends_with("_complete"))
            .collect();
        let mut csv = columns.join(",");
        csv.push('\n');
        for record in first..first + count {
            for (index, column) in columns.iter().enumerate() {
                if index > 0 {
                    csv.push(',');
                }
                let seed = record * 31 + index * 7;
                let value = if *column == "record_id" {
                    record.to_string()
                } else if seed % 10 < 3 {
                    String::new()
                } else if column.contains("_radio_") {
                    (1 + seed % 5).to_string()
                } else if column.contains("_yesno_") || column.contains("_check_") {
                    (seed % 2).to_string()
                } else if column.contains("_date_") {
                    format!(
                        "20{:02}-{:02}-{:02}",
                        seed % 25,
                        1 + seed % 12,
                        1 + seed % 28
                    )
                } else if column.ends_with("_when") {
                    format!(
                        "2024-0{}-1{} 0{}:3{}",
                        1 + seed % 9,
                        seed % 9,
                        seed % 9,
                        seed % 7
                    )
                } else if column.contains("_int_") {
                    (seed % 100_000).to_string()
                } else if column.contains("_num_") {
                    format!("{}.{}", seed % 1000, 1 + seed % 9)
                } else if column.ends_with("_note") {
                    format!("\"note {record}, line one\nline two\"")
                } else {
                    format!("text {seed}")
                };
                csv.push_str(&value);
            }
            csv.push('\n');
        }
        csv
    }
}

/// A client for tests that provoke failures on purpose: backoffs of milliseconds, 2 s
/// to the first byte and between bytes, and no rate limit to speak of, so a retried or
/// timed-out request costs the test seconds, not minutes.
pub fn quick_client(url: &str, token: &str) -> redcap_client::Client {
    use std::time::Duration;
    redcap_client::Client::builder()
        .url(url)
        .token(token)
        .requests_per_minute(100_000)
        .first_byte_timeout(Duration::from_secs(2))
        .stall_timeout(Duration::from_secs(2))
        .retry_policy(
            redcap_client::RetryPolicy::default()
                .delays(Duration::from_millis(5), Duration::from_millis(40))
                .max_retry_after(Duration::from_secs(2)),
        )
        .build()
        .expect("a loopback URL and an emulator token make a valid client")
}
