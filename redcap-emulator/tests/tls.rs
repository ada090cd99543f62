//! `--tls`: HTTPS with a self-signed certificate made at start and written
//! to a file, which a client trusts with `add_root_certificate_pem`.

mod support;

use redcap_client::Client;
use redcap_emulator::{Config, Emulator};
use support::{SIMPLE, fixture};

#[tokio::test]
async fn a_client_trusting_the_written_certificate_talks_https() {
    let dir = std::env::temp_dir().join(format!("redcap-emulator-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("server.pem");
    let emu = Emulator::start(
        Config::default()
            .project("simple", fixture(SIMPLE))
            .tls_certificate(&cert),
    )
    .await
    .unwrap();
    assert!(emu.url().starts_with("https://127.0.0.1:"), "{}", emu.url());
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(emu.tls_certificate_pem(), Some(pem.as_str()));
    assert_eq!(emu.tls_certificate_path(), Some(cert.as_path()));
    assert!(emu.start_line().contains("\"tls_certificate\""));

    let token = emu.token("simple").unwrap();
    let trusting = Client::builder()
        .url(emu.url())
        .token(token)
        .add_root_certificate_pem(pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(trusting.export_version().send().await.unwrap(), "15.7.6");
    let records = trusting.export_records().send().await.unwrap();
    assert_eq!(records.len(), 5);

    // Without the certificate the server is not trusted, and the server
    // goes on serving after the failed handshake.
    let untrusting = Client::new(emu.url(), token).unwrap();
    let error = untrusting.export_version().send().await.unwrap_err();
    assert!(!error.to_string().is_empty());
    assert_eq!(trusting.export_version().send().await.unwrap(), "15.7.6");

    // Plain HTTP on the HTTPS port gets no answer.
    let plain = emu.url().replace("https://", "http://");
    assert!(
        Client::new(&plain, token)
            .unwrap()
            .export_version()
            .send()
            .await
            .is_err()
    );
    drop(emu);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn without_a_path_the_certificate_goes_to_the_temporary_directory() {
    let emu = Emulator::start(Config::default().tls()).await.unwrap();
    let path = emu.tls_certificate_path().unwrap().to_owned();
    assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
    let port = emu
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/api/");
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!("redcap-emulator-{port}.pem")
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        emu.tls_certificate_pem().unwrap()
    );
    std::fs::remove_file(path).ok();
}
