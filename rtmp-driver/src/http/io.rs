//! [`HyperIo`]: a runtime's socket as hyper's IO traits, so one HTTP server serves tokio
//! and smol alike.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use hyper::rt::{Read, ReadBufCursor, Write};

use crate::runtime::Socket;

/// A [`Socket`] read and written by hyper: readiness, then a non-blocking try.
#[derive(Debug)]
pub struct HyperIo<S> {
    /// Boxed so the wrapper is `Unpin` whatever the socket is.
    socket: Box<S>,
    /// Where a read lands before hyper's buffer takes it (hyper's is uninitialized memory,
    /// which safe code cannot read into).
    scratch: BytesMut,
}

impl<S: Socket> HyperIo<S> {
    /// Wraps an accepted socket.
    pub fn new(socket: S) -> Self {
        HyperIo {
            socket: Box::new(socket),
            scratch: BytesMut::new(),
        }
    }
}

impl<S: Socket> Read for HyperIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.scratch.is_empty() {
                let n = this.scratch.len().min(buf.remaining());
                buf.put_slice(&this.scratch.split_to(n));
                return Poll::Ready(Ok(()));
            }
            ready!(this.socket.poll_readable(cx))?;
            this.scratch.reserve(buf.remaining().clamp(1, 16 * 1024));
            match this.socket.try_read_buf(&mut this.scratch) {
                // End of stream: hyper reads it as a read of nothing.
                Ok(0) => return Poll::Ready(Ok(())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<S: Socket> Write for HyperIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.socket.poll_writable(cx))?;
            match self.socket.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket.shutdown_write();
        Poll::Ready(Ok(()))
    }
}
