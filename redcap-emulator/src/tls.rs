//! HTTPS (`--tls`): a self-signed certificate made at start for
//! `127.0.0.1` and `localhost`, and connection streams that do the TLS
//! handshake on their first read or write, so that a slow handshake holds
//! up only its own connection and is timed like any other read.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::{Accept, TlsAcceptor, server};

/// A server identity: the acceptor and the certificate clients trust.
#[derive(Clone)]
pub(crate) struct Tls {
    acceptor: TlsAcceptor,
    /// The certificate, PEM; it is its own issuer, so it is what a
    /// client adds as a root.
    pub(crate) certificate_pem: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// A fresh key pair and a certificate for the addresses the emulator
    /// listens on.
    pub(crate) fn generate() -> Result<Tls, String> {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
        let chain: Vec<CertificateDer<'static>> = vec![made.cert.der().clone()];
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| e.to_string())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate_pem: made.cert.pem(),
        })
    }

    /// Starts serving TLS on an accepted connection.
    pub(crate) fn accept(&self, stream: TcpStream) -> Transport {
        Transport::Handshaking(Box::new(self.acceptor.accept(stream)))
    }
}

/// An accepted connection: plain TCP, or TLS before and after its
/// handshake.
pub(crate) enum Transport {
    /// HTTP without TLS.
    Plain(TcpStream),
    /// The handshake is under way.
    Handshaking(Box<Accept<TcpStream>>),
    /// The handshake is done.
    Secure(Box<server::TlsStream<TcpStream>>),
    /// The handshake failed; the connection is over.
    Failed,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Plain(_) => "Plain",
            Transport::Handshaking(_) => "Handshaking",
            Transport::Secure(_) => "Secure",
            Transport::Failed => "Failed",
        })
    }
}

impl Transport {
    /// Drives the handshake; ready once data can flow.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Transport::Handshaking(accept) = self else {
            return match self {
                Transport::Failed => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the TLS handshake failed",
                ))),
                _ => Poll::Ready(Ok(())),
            };
        };
        match Pin::new(accept.as_mut()).poll(cx) {
            Poll::Ready(Ok(stream)) => {
                *self = Transport::Secure(Box::new(stream));
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                *self = Transport::Failed;
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Applies an I/O call to the stream under a ready transport.
macro_rules! on_stream {
    ($self:ident, $cx:ident, |$s:ident| $call:expr) => {{
        let this = &mut *$self;
        if let Poll::Ready(Err(e)) = this.poll_ready($cx) {
            return Poll::Ready(Err(e));
        }
        match this {
            Transport::Plain($s) => {
                let $s = Pin::new($s);
                $call
            }
            Transport::Secure(stream) => {
                let $s = Pin::new(stream.as_mut());
                $call
            }
            Transport::Handshaking(_) | Transport::Failed => Poll::Pending,
        }
    }};
}

impl AsyncRead for Transport {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        on_stream!(self, cx, |s| s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        on_stream!(self, cx, |s| s.poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_stream!(self, cx, |s| s.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_stream!(self, cx, |s| s.poll_shutdown(cx))
    }
}
