//! The client: configuration, the one transport function, and typed sends.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, TransportError};
use crate::request::{FileUpload, Request};
use crate::response::{FileDownload, ImportOutcome, RawResponse, error_message};
use crate::rows::Row;
use crate::token::ApiToken;

/// A REDCap API client for one endpoint and one token.
///
/// Cheap to clone (the connection pool is shared). Methods are generated from the API
/// spec, one builder per method:
///
/// ```no_run
/// # async fn demo() -> Result<(), redcap_client::Error> {
/// let client = redcap_client::Client::from_env()?;
/// let rows = client
///     .export_records()
///     .records(["1", "2"])
///     .fields(["record_id", "age"])
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: url::Url,
    token: ApiToken,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.url.as_str())
            .field("token", &self.inner.token)
            .finish()
    }
}

/// Environment variable holding the API URL, e.g. `https://redcap.example.edu/api/`.
pub const URL_ENV: &str = "REDCAP_API_URL";
/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "REDCAP_API_TOKEN";

impl Client {
    /// A client for `url` (REDCap's `…/api/` endpoint) with `token`, default settings.
    pub fn new(url: &str, token: &str) -> Result<Self, Error> {
        Self::builder().url(url).token(token).build()
    }

    /// A client configured from `REDCAP_API_URL` and `REDCAP_API_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        let read = |name: &str| {
            std::env::var(name).map_err(|_| Error::Config {
                message: format!("environment variable {name} is not set (or not UTF-8)"),
            })
        };
        Self::new(&read(URL_ENV)?, &read(TOKEN_ENV)?)
    }

    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API endpoint.
    pub fn url(&self) -> &str {
        self.inner.url.as_str()
    }

    /// The token's kind (project or super).
    pub fn token_kind(&self) -> crate::TokenKind {
        self.inner.token.kind()
    }

    /// Sends a request and returns the success response, or the error REDCap gave.
    ///
    /// The one transport function every generated method goes through, kept non-generic
    /// so the transport is compiled once.
    pub(crate) async fn execute(&self, request: Request) -> Result<RawResponse, Error> {
        request.check()?;
        let method = request.method;
        let fields = request.form_fields(self.inner.token.expose_secret());
        let builder = self.inner.http.post(self.inner.url.clone());
        let builder = if method.multipart {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in fields {
                form = form.text(name, value);
            }
            for (name, file) in request.files() {
                let mut part = reqwest::multipart::Part::bytes(file.bytes.clone())
                    .file_name(file.name.clone());
                if let Some(mime) = &file.mime {
                    part = part.mime_str(mime).map_err(|_| Error::Request {
                        method: method.name,
                        message: format!("`{mime}` is not a MIME type"),
                    })?;
                }
                form = form.part(name, part);
            }
            builder.multipart(form)
        } else {
            builder.form(&fields)
        };
        let transport = |source| Error::Transport {
            method: method.name,
            source: TransportError::new(source),
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let content_disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let location = header(reqwest::header::LOCATION);
        let body = response.bytes().await.map_err(transport)?;
        if status.is_redirection() {
            return Err(Error::Redirect {
                method: method.name,
                status: status.as_u16(),
                location: location.unwrap_or_default(),
            });
        }
        if !status.is_success() {
            return Err(Error::Api {
                method: method.name,
                status: status.as_u16(),
                message: error_message(&body),
            });
        }
        Ok(RawResponse {
            method,
            content_type,
            content_disposition,
            body,
        })
    }

    /// Sends with the response format set to JSON, the format typed decoding reads.
    async fn execute_json(&self, mut request: Request) -> Result<RawResponse, Error> {
        if let Some(param) = request.method.response_format {
            request.set_text(param, "json");
        }
        if let Some(param) = request.method.error_format {
            request.set_text(param, "json");
        }
        self.execute(request).await
    }

    pub(crate) async fn send_raw(
        &self,
        mut request: Request,
        format: &'static str,
    ) -> Result<RawResponse, Error> {
        if let Some(param) = request.method.response_format {
            request.set_text(param, format);
        }
        if let Some(param) = request.method.error_format {
            request.set_text(param, "json");
        }
        self.execute(request).await
    }

    pub(crate) async fn send_rows(&self, request: Request) -> Result<Vec<Row>, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_list<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Vec<T>, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_object<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_count(&self, request: Request) -> Result<u64, Error> {
        self.execute_json(request).await?.into_count()
    }

    pub(crate) async fn send_import_outcome(
        &self,
        request: Request,
    ) -> Result<ImportOutcome, Error> {
        let return_content = request.text("returnContent").map(str::to_string);
        self.execute_json(request)
            .await?
            .into_import_outcome(return_content.as_deref())
    }

    pub(crate) async fn send_text(&self, request: Request) -> Result<String, Error> {
        self.execute_json(request).await?.into_text()
    }

    pub(crate) async fn send_token(&self, request: Request) -> Result<ApiToken, Error> {
        self.execute_json(request).await?.into_token()
    }

    pub(crate) async fn send_confirmation(&self, request: Request) -> Result<(), Error> {
        self.execute_json(request).await?.into_confirmation()
    }

    pub(crate) async fn send_document(&self, request: Request) -> Result<String, Error> {
        self.execute_json(request).await?.into_document()
    }

    pub(crate) async fn send_file(&self, request: Request) -> Result<FileDownload, Error> {
        self.execute_json(request).await?.into_file()
    }

    pub(crate) async fn send_empty(&self, request: Request) -> Result<(), Error> {
        self.execute_json(request).await?.into_empty()
    }

    /// Calls a method by name with parameters given as wire name and value pairs, and
    /// returns the body untouched: the escape hatch behind `cargo redcap call`.
    ///
    /// Lists are sent as given (use `name[0]`, `name[1]`, … for PHP arrays). The method's
    /// `content` and `action` are filled in; `token` must not be among the parameters.
    pub async fn call_raw(
        &self,
        method: &str,
        params: &[(String, String)],
    ) -> Result<RawResponse, Error> {
        let request = raw_request(method, params)?;
        self.execute(request).await
    }

    /// [`Client::call_raw`] with a file, sent in a multipart body as the `file` part (the
    /// one name REDCap's API gives an uploaded file).
    pub async fn call_raw_with_file(
        &self,
        method: &str,
        params: &[(String, String)],
        file: FileUpload,
    ) -> Result<RawResponse, Error> {
        let mut request = raw_request(method, params)?;
        request.set_file("file", file);
        self.execute(request).await
    }
}

/// A request for `method` by name, with the parameters as given.
fn raw_request(method: &str, params: &[(String, String)]) -> Result<Request, Error> {
    let info = crate::method_info(method).ok_or_else(|| Error::Config {
        message: format!("unknown API method `{method}`"),
    })?;
    let mut request = Request::unguarded(info);
    for (name, value) in params {
        if matches!(name.as_str(), "token" | "content" | "action") {
            return Err(Error::Request {
                method: info.name,
                message: format!("`{name}` is set by the client"),
            });
        }
        request.set_dynamic(name.clone(), value.clone());
    }
    Ok(request)
}

/// Configures a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    url: Option<String>,
    token: Option<Result<ApiToken, crate::TokenError>>,
    extra_roots: Vec<Vec<u8>>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field(
                "token",
                &self.token.as_ref().map(|t| t.as_ref().map(ApiToken::kind)),
            )
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

impl ClientBuilder {
    /// REDCap's API endpoint, e.g. `https://redcap.example.edu/api/`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The API token (checked when the client is built).
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(ApiToken::new(token));
        self
    }

    /// An already checked API token.
    pub fn api_token(mut self, token: ApiToken) -> Self {
        self.token = Some(Ok(token));
        self
    }

    /// Trusts one more CA certificate (PEM), beside the platform's roots: for
    /// institutions whose REDCap uses an internal CA.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(pem.into());
        self
    }

    /// Gives up on a request after `timeout` (no limit by default: large exports take time).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Gives up connecting after `timeout` (30 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let config = |message: String| Error::Config { message };
        let raw_url = self.url.ok_or_else(|| config("no API URL given".into()))?;
        let url = checked_url(&raw_url)?;
        let token = match self.token {
            None => return Err(config("no API token given".into())),
            Some(Err(error)) => return Err(config(error.to_string())),
            Some(Ok(token)) => token,
        };
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(30)))
            .user_agent(concat!("redcap-rs/", env!("CARGO_PKG_VERSION")));
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        for pem in &self.extra_roots {
            let certificate = reqwest::Certificate::from_pem(pem).map_err(|error| {
                config(format!(
                    "the extra CA certificate is not valid PEM: {error}"
                ))
            })?;
            http = http.add_root_certificate(certificate);
        }
        let http = http
            .build()
            .map_err(|error| config(format!("cannot set up HTTPS: {error}")))?;
        Ok(Client {
            inner: Arc::new(Inner { http, url, token }),
        })
    }
}

/// Parses the endpoint URL and refuses plain HTTP to anything but this machine.
fn checked_url(raw: &str) -> Result<url::Url, Error> {
    let config = |message: String| Error::Config { message };
    let url =
        url::Url::parse(raw).map_err(|error| config(format!("`{raw}` is not a URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            "the API URL must not carry a user name or password".into(),
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(config(format!(
            "`{raw}` uses plain HTTP; REDCap tokens and data may only travel over HTTPS (plain HTTP is allowed for localhost only)"
        ))),
        other => Err(config(format!("`{raw}` has scheme `{other}`; use https"))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_only() {
        for ok in [
            "https://redcap.example.edu/api/",
            "http://127.0.0.1:8080/api/",
            "http://localhost/api/",
            "http://[::1]/api/",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://redcap.example.edu/api/",
            "http://10.0.0.1/api/",
            "ftp://x/api/",
            "https://u:p@x/api/",
            "not a url",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }
}
