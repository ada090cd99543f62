//! Closing connections that send nothing: an idle keep-alive connection,
//! a request whose head does not arrive in time (one byte now and then
//! keeps no connection open), and a body that stops coming. Without these
//! a client that opens connections and walks away holds them forever.
//!
//! The stream wrapper times reads only while no request is being answered:
//! a handler marks when it starts reading the body (each body byte counts
//! as activity) and when it starts answering (no limit); once it is done,
//! every byte written counts as activity, so a long answer to a slow
//! reader is not cut.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long a connection may stay quiet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Between requests, and while a request body is being sent.
    pub(crate) idle: Duration,
    /// From a request's first byte to the end of its head.
    pub(crate) header: Duration,
}

/// Where a connection is, as far as reading goes.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No request under way; quiet since then.
    Idle(Instant),
    /// A request head started arriving then.
    Head(Instant),
    /// The request's body is being read; its last bytes came then.
    Body(Instant),
    /// The request is being answered: reads are not timed.
    Answering,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// A read left waiting without a deadline while the request was
    /// answered: woken when the answer is done, so that its deadline
    /// starts.
    reader: Option<Waker>,
}

/// A connection's activity, shared by its stream and its handler.
#[derive(Debug, Clone)]
pub(crate) struct Activity(Arc<Mutex<State>>);

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity(Arc::new(Mutex::new(State {
            phase: Phase::Idle(Instant::now()),
            reader: None,
        })))
    }

    fn state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Phase) -> T) -> T {
        self.state(|s| f(&mut s.phase))
    }

    /// A request's head has arrived and its body is being read; the
    /// connection is idle again when the guard is dropped.
    pub(crate) fn request(&self) -> Request {
        self.with(|p| *p = Phase::Body(Instant::now()));
        Request(self.clone())
    }
}

/// A request under way on a connection.
#[derive(Debug)]
pub(crate) struct Request(Activity);

impl Request {
    /// The body has been read: the answer may take as long as it takes.
    pub(crate) fn answering(&self) {
        self.0.with(|p| *p = Phase::Answering);
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        let reader = self.0.state(|s| {
            s.phase = Phase::Idle(Instant::now());
            s.reader.take()
        });
        if let Some(waker) = reader {
            waker.wake();
        }
    }
}

/// A stream whose reads give up after the connection's limits.
#[derive(Debug)]
pub(crate) struct TimedStream<S> {
    inner: S,
    activity: Activity,
    limits: Limits,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> TimedStream<S> {
    pub(crate) fn new(inner: S, activity: Activity, limits: Limits) -> TimedStream<S> {
        TimedStream {
            inner,
            activity,
            limits,
            timer: None,
        }
    }
}

/// What a read that found nothing waits for.
enum Wait {
    /// A request is being answered: no limit.
    Forever,
    /// Until then, after which the connection is closed quietly (end of
    /// stream) or with an error (a request cut short).
    Until(Instant, bool),
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.with(|p| match p {
                        Phase::Idle(_) => *p = Phase::Head(Instant::now()),
                        Phase::Body(_) => *p = Phase::Body(Instant::now()),
                        Phase::Head(_) | Phase::Answering => {}
                    });
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
        let limits = this.limits;
        let wait = this.activity.state(|s| match s.phase {
            Phase::Answering => {
                s.reader = Some(cx.waker().clone());
                Wait::Forever
            }
            Phase::Idle(since) => Wait::Until(since + limits.idle, false),
            Phase::Head(since) => Wait::Until(since + limits.header, true),
            Phase::Body(since) => Wait::Until(since + limits.idle, true),
        });
        let Wait::Until(deadline, in_head) = wait else {
            this.timer = None;
            return Poll::Pending;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) if in_head => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request not received in time",
            ))),
            // An idle connection ends as if the client had closed it.
            Poll::Ready(()) => Poll::Ready(Ok(())),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            this.activity.with(|p| {
                if let Phase::Idle(_) = p {
                    *p = Phase::Idle(Instant::now());
                }
            });
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
