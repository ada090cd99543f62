//! A live project's schema, fetched over the API: metadata, project info, instruments and,
//! for longitudinal projects, arms, events and mappings, plus the repeating setup. Each
//! body goes to `SchemaBuilder` exactly as REDCap sent it.

use redcap_client::params::Format;
use redcap_client::{Client, RawResponse};
use redcap_schema::{ProjectSchema, SchemaBuilder};

use crate::Error;

/// Where a live project is, from flags or `REDCAP_API_URL` / `REDCAP_API_TOKEN`.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// REDCap's API URL (default: `REDCAP_API_URL`).
    #[arg(long, env = "REDCAP_API_URL", value_name = "URL")]
    pub url: Option<String>,
    /// The project's API token (default: `REDCAP_API_TOKEN`). Prefer the variable: a flag
    /// shows up in shell history and process lists.
    #[arg(
        long,
        env = "REDCAP_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Give up on a request after this many seconds without a response or with its body
    /// stalled (default: 30 s to connect, 600 s to the first byte, 120 s of silence).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<std::time::Duration>,
}

/// A positive number of seconds, fractions allowed.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

impl LiveArgs {
    /// A client, or a usage error naming what is missing.
    pub fn client(&self) -> Result<Client, Error> {
        self.builder()?.build().map_err(Error::Api)
    }

    /// A client builder with the URL, token and time limits set, for further settings.
    pub fn builder(&self) -> Result<redcap_client::ClientBuilder, Error> {
        let (Some(url), Some(token)) = (&self.url, &self.token) else {
            return Err(Error::Usage(
                "a live project needs --url and --token (or REDCAP_API_URL and REDCAP_API_TOKEN)"
                    .into(),
            ));
        };
        let mut builder = Client::builder().url(url).token(token);
        if let Some(limit) = self.timeout {
            builder = builder.timeouts(redcap_client::Timeouts::all(limit));
        }
        Ok(builder)
    }
}

/// Fetches the project's schema. What REDCap's answers bring that the schema reader
/// reads liberally (each with its place) is written to `err` as warnings, as
/// `cargo redcap schema` does for files.
pub fn fetch_schema(client: &Client, err: &mut dyn std::io::Write) -> Result<ProjectSchema, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let (schema, warnings) = runtime.block_on(fetch(client))?;
    for warning in &warnings.0 {
        writeln!(err, "{warning}")?;
    }
    Ok(schema)
}

async fn fetch(client: &Client) -> Result<(ProjectSchema, redcap_schema::Problems), Error> {
    let mut builder = SchemaBuilder::new();
    let mut add = |response: RawResponse, name: &str| -> Result<(), Error> {
        builder
            .add_input(response.body(), name)
            .map_err(Error::Schema)
    };
    let info = client
        .export_project_info()
        .send_raw(Format::Json)
        .await
        .map_err(Error::Api)?;
    let project = serde_json::from_slice::<redcap_client::types::ProjectInfo>(info.body())
        .map_err(|error| {
            Error::Usage(format!(
                "REDCap's project info is not what the API documents: {error}"
            ))
        })?;
    let longitudinal = project.is_longitudinal;
    add(info, "project info (API)")?;
    add(
        client
            .export_metadata()
            .send_raw(Format::Json)
            .await
            .map_err(Error::Api)?,
        "metadata (API)",
    )?;
    add(
        client
            .export_instruments()
            .send_raw(Format::Json)
            .await
            .map_err(Error::Api)?,
        "instruments (API)",
    )?;
    if longitudinal {
        add(
            client
                .export_arms()
                .send_raw(Format::Json)
                .await
                .map_err(Error::Api)?,
            "arms (API)",
        )?;
        add(
            client
                .export_events()
                .send_raw(Format::Json)
                .await
                .map_err(Error::Api)?,
            "events (API)",
        )?;
        add(
            client
                .export_instrument_event_mappings()
                .send_raw(Format::Json)
                .await
                .map_err(Error::Api)?,
            "form-event mappings (API)",
        )?;
    }
    // REDCap refuses this export (400) for a project where nothing repeats.
    if project.has_repeating_instruments_or_events {
        add(
            client
                .export_repeating_instruments_events()
                .send_raw(Format::Json)
                .await
                .map_err(Error::Api)?,
            "repeating instruments and events (API)",
        )?;
    }
    builder.build_with_warnings().map_err(Error::Schema)
}
