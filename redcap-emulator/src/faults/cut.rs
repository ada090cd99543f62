//! Cutting a response off at the byte level. Every accepted connection's
//! stream is wrapped; a handler that wants its answer cut installs a
//! [`Plan`] on the connection, and the wrapper lets through the status line
//! and headers (or not) and so many body bytes, then goes silent or fails
//! the write, which makes the HTTP server drop the connection — the way a
//! PHP process that dies mid-answer leaves its client. Under `--tls` the
//! stream it wraps is the decrypted one, so cuts count HTTP bytes.

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

use crate::timeouts::{Activity, Limits, TimedStream};
use crate::tls::{Tls, Transport};

/// How to cut the next response written on a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Let the status line and headers through.
    pub(crate) head: bool,
    /// Body bytes (as written on the wire, chunk framing included) to let
    /// through after the head.
    pub(crate) body: u64,
    /// Silence before the connection is dropped.
    pub(crate) silence: Duration,
}

/// What a plan has let through so far.
#[derive(Debug)]
struct Progress {
    plan: Plan,
    /// How much of `\r\n\r\n` (the end of the head) was seen.
    head_match: u8,
    head_done: bool,
    body_sent: u64,
}

impl Progress {
    /// How many of `buf`'s bytes may go out now.
    fn allowed(&self, buf: &[u8]) -> usize {
        if self.head_done {
            let left = self.plan.body.saturating_sub(self.body_sent);
            return usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        }
        if !self.plan.head {
            return 0;
        }
        let mut matched = self.head_match;
        for (i, byte) in buf.iter().enumerate() {
            matched = step(matched, *byte);
            if matched == 4 {
                let left = usize::try_from(self.plan.body).unwrap_or(usize::MAX);
                return (i + 1).saturating_add(left).min(buf.len());
            }
        }
        buf.len()
    }

    /// Notes that `sent` bytes went out.
    fn advance(&mut self, sent: &[u8]) {
        for byte in sent {
            if self.head_done {
                self.body_sent += 1;
            } else {
                self.head_match = step(self.head_match, *byte);
                self.head_done = self.head_match == 4;
            }
        }
    }
}

/// One byte of matching `\r\n\r\n`.
fn step(matched: u8, byte: u8) -> u8 {
    const END: &[u8; 4] = b"\r\n\r\n";
    if byte == END[usize::from(matched)] {
        matched + 1
    } else if byte == b'\r' {
        1
    } else {
        0
    }
}

/// The handle a request's handler gets for its connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cutter {
    progress: Arc<Mutex<Option<Progress>>>,
}

impl Cutter {
    /// Cuts the response about to be written by the plan.
    pub(crate) fn install(&self, plan: Plan) {
        let mut slot = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Progress {
            plan,
            head_match: 0,
            head_done: false,
            body_sent: 0,
        });
    }
}

/// What a handler learns about its connection.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub(crate) addr: SocketAddr,
    pub(crate) cutter: Cutter,
    /// Whether a request is under way, for the connection's timeouts.
    pub(crate) activity: Activity,
}

impl Connected<IncomingStream<'_, CuttingListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, CuttingListener>) -> Peer {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections can be cut.
#[derive(Debug)]
pub(crate) struct CuttingListener {
    pub(crate) inner: TcpListener,
    /// How long its connections may stay quiet.
    pub(crate) limits: Limits,
    /// Serve HTTPS with this identity.
    pub(crate) tls: Option<Tls>,
}

impl Listener for CuttingListener {
    type Io = TimedStream<CuttingStream>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Peer) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let cutter = Cutter::default();
                    let activity = Activity::new();
                    let transport = match &self.tls {
                        Some(tls) => tls.accept(stream),
                        None => Transport::Plain(stream),
                    };
                    let io = CuttingStream {
                        inner: transport,
                        cutter: cutter.clone(),
                        silence: None,
                    };
                    let io = TimedStream::new(io, activity.clone(), self.limits);
                    return (
                        io,
                        Peer {
                            addr,
                            cutter,
                            activity,
                        },
                    );
                }
                // Out of file descriptors and the like: wait rather than
                // spin, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Peer> {
        Ok(Peer {
            addr: self.inner.local_addr()?,
            cutter: Cutter::default(),
            activity: Activity::new(),
        })
    }
}

/// A connection's stream, cut when its handler installed a plan.
#[derive(Debug)]
pub(crate) struct CuttingStream {
    inner: Transport,
    cutter: Cutter,
    silence: Option<Pin<Box<tokio::time::Sleep>>>,
}

fn cut_off() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "response cut by a fault")
}

impl AsyncRead for CuttingStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttingStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let mut slot = this
            .cutter
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(progress) = slot.as_mut() else {
            drop(slot);
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        let allowed = progress.allowed(buf);
        if allowed == 0 && !buf.is_empty() {
            let silence = progress.plan.silence;
            drop(slot);
            let sleep = this
                .silence
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(silence)));
            return match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(cut_off())),
                Poll::Pending => Poll::Pending,
            };
        }
        match Pin::new(&mut this.inner).poll_write(cx, &buf[..allowed]) {
            Poll::Ready(Ok(sent)) => {
                progress.advance(&buf[..sent]);
                Poll::Ready(Ok(sent))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(plan: Plan) -> Progress {
        Progress {
            plan,
            head_match: 0,
            head_done: false,
            body_sent: 0,
        }
    }

    #[test]
    fn lets_the_head_and_so_many_body_bytes_through() {
        let p = progress(Plan {
            head: true,
            body: 3,
            silence: Duration::ZERO,
        });
        let wire = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nabcdef";
        let n = p.allowed(wire);
        assert_eq!(&wire[..n], b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nabc");
        // Written in two pieces, the head split across them.
        let mut p = progress(p.plan);
        assert_eq!(p.allowed(&wire[..24]), 24);
        p.advance(&wire[..24]);
        let n = p.allowed(&wire[24..]);
        assert_eq!(&wire[24..24 + n], b"\nabc");
        p.advance(&wire[24..24 + n]);
        assert_eq!(p.allowed(b"def"), 0);
    }

    #[test]
    fn a_plan_without_head_lets_nothing_through() {
        let p = progress(Plan {
            head: false,
            body: 0,
            silence: Duration::ZERO,
        });
        assert_eq!(p.allowed(b"HTTP/1.1 200 OK\r\n"), 0);
    }
}
