//! A libvirt stream on a volume, with the sparse calls the `virt` crate does not wrap
//! (the only unsafe code of transfers).

use virt::sys;

use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::owned::{Conn, StreamObj, VolObj};
use crate::trace;
use crate::volume::Volume;

/// A libvirt stream with the sparse calls the `virt` crate does not wrap. Aborts on
/// drop unless finished, so an error part-way never leaves the daemon waiting.
/// A stream and, for daemons, the connection it runs on. libvirt's client shares a
/// connection's socket between a stream and other threads' calls, and under load both
/// sides can end up waiting forever (libvirt 9.0: the daemon idle, nothing queued in
/// the socket, one thread in virStreamSend, one waiting for a reply). A transfer
/// therefore gets a connection of its own, used by no other thread. The stream is
/// declared first so that it is finished or aborted before its connection closes.
pub(crate) struct VolStream {
    stream: Option<StreamObj>,
    link: Option<Conn>,
}

pub(super) enum Received {
    Data(usize),
    Hole(u64),
    End,
}

impl VolStream {
    /// A stream on `vol`, started with `start` (virStorageVolUpload or Download).
    pub(crate) fn open(
        vol: &Volume,
        call: &'static str,
        start: impl FnOnce(&VolObj, &StreamObj) -> Result<()>,
    ) -> Result<VolStream> {
        trace::libvirt_call(call, || VolStream::start(vol, call, start))
    }

    fn start(
        vol: &Volume,
        call: &'static str,
        start: impl FnOnce(&VolObj, &StreamObj) -> Result<()>,
    ) -> Result<VolStream> {
        if !vol.connection().is_in_process() {
            let link = vol.connection().open_link()?;
            let on_link = link
                .lookup_storage_vol_by_key(vol.key())
                .map_err(libvirt::error)
                .and_then(|v| {
                    let stream = link.new_stream(0).map_err(libvirt::error)?;
                    start(&v, &stream).map(|()| stream)
                });
            return match on_link {
                Ok(stream) => Ok(VolStream {
                    stream: Some(stream),
                    link: Some(link),
                }),
                Err(e) if !link.is_alive().unwrap_or(false) => Err(e.link_lost()),
                Err(e) => Err(e),
            };
        }
        // The test driver runs in this process: no socket to share, and a second
        // connection to a test:// file would be a second, separate host.
        let stream = vol.connection().run("virStreamNew", |c, _| {
            c.new_stream(0).map_err(libvirt::error)
        })?;
        vol.with(call, |v| start(v, &stream))?;
        Ok(VolStream {
            stream: Some(stream),
            link: None,
        })
    }

    /// True when the transfer's own connection is gone.
    pub(crate) fn own_link_dead(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|l| !l.is_alive().unwrap_or(false))
    }

    /// Confirms with a round trip on the stream's own connection that the daemon
    /// still holds the stream: a direct transfer's lease, checked before it reports
    /// success (a daemon killed or restarted meanwhile would have dropped it).
    pub(crate) fn confirm_held(&self) -> Result<()> {
        match &self.link {
            Some(link) => link
                .lib_version()
                .map(drop)
                .map_err(|e| libvirt::error(e).link_lost()),
            None => Ok(()),
        }
    }

    fn raw(&self) -> &StreamObj {
        self.stream.as_ref().expect("stream used after finish")
    }

    pub(crate) fn send_all(&self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let sent = self.raw().send(data).map_err(libvirt::error)?;
            if sent <= 0 {
                return Err(Error::new(
                    ErrorKind::Libvirt,
                    "libvirt stream accepted no data",
                ));
            }
            data = &data[sent as usize..];
        }
        Ok(())
    }

    pub(crate) fn send_hole(&self, length: u64) -> Result<()> {
        let length = i64::try_from(length)
            .map_err(|_| Error::invalid("length", "hole longer than 2^63 bytes"))?;
        // SAFETY: the stream pointer is valid while `self.stream` holds the Stream;
        // virStreamSendHole only reads its arguments.
        let rc = unsafe { sys::virStreamSendHole(self.raw().as_ptr(), length, 0) };
        if rc < 0 {
            return Err(libvirt::error(virt::error::Error::last_error()));
        }
        Ok(())
    }

    pub(super) fn recv(&self, buf: &mut [u8], sparse: bool) -> Result<Received> {
        if !sparse {
            let n = self.raw().recv(buf).map_err(libvirt::error)?;
            return Ok(if n == 0 {
                Received::End
            } else {
                Received::Data(n as usize)
            });
        }
        // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes for the duration
        // of the call, and the stream pointer is valid while `self.stream` holds it.
        let n = unsafe {
            sys::virStreamRecvFlags(
                self.raw().as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                sys::VIR_STREAM_RECV_STOP_AT_HOLE,
            )
        };
        match n {
            0 => Ok(Received::End),
            n if n > 0 => Ok(Received::Data(n as usize)),
            -3 => {
                let mut length: std::os::raw::c_longlong = 0;
                // SAFETY: `length` is a valid out-pointer for the duration of the call.
                let rc = unsafe { sys::virStreamRecvHole(self.raw().as_ptr(), &mut length, 0) };
                if rc < 0 {
                    return Err(libvirt::error(virt::error::Error::last_error()));
                }
                Ok(Received::Hole(length.max(0) as u64))
            }
            _ => Err(libvirt::error(virt::error::Error::last_error())),
        }
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        let stream = self.stream.take().expect("finish called once");
        stream.finish()
    }
}

impl Drop for VolStream {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            // An abort error means the stream is already gone; nothing to clean up.
            let _ = stream.abort();
        }
    }
}

pub(crate) fn upload_flags(sparse: bool) -> u32 {
    if sparse {
        sys::VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM
    } else {
        0
    }
}

pub(super) fn download_flags(sparse: bool) -> u32 {
    if sparse {
        sys::VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
    } else {
        0
    }
}
