//! `vol-download`: a volume into a file (replaced only when complete) or a writer,
//! holes kept in sparse downloads.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use super::direct::Way;
use super::options::{Ticker, TransferMethod, TransferOptions, TransferReport, CHUNK_BYTES};
use super::shim::{download_flags, Received, VolStream};
use super::sinks::{is_block_device, FileSink, Sink, TempFile, WriterSink};
use super::upload::join;
use crate::error::{Error, Result};
use crate::libvirt;
use crate::pipe::{self, Chunk};
use crate::volume::Volume;

impl Volume {
    /// `vol-download`: write the volume (from `options.offset`, `options.length`
    /// bytes) to a file. The file is written next to `path` and renamed into place
    /// only when complete, so a failed or cancelled download leaves `path` as it was.
    pub fn download_file(
        &self,
        path: impl AsRef<Path>,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let path = path.as_ref();
        if is_block_device(path) {
            let mut file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
            let result = self.receive(options, &mut FileSink::new(&mut file, false));
            return super::logged(self, "downloaded to", &path.display(), result);
        }
        let mut temp = TempFile::create(path)?;
        let report = self.receive(options, &mut FileSink::new(&mut temp.file, options.sparse))?;
        temp.commit(path)?;
        super::logged(self, "downloaded to", &path.display(), Ok(report))
    }

    /// `vol-download` into any writer. Holes are written as zeros.
    pub fn download_writer(
        &self,
        writer: impl Write + Send,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let result = self.receive(options, &mut WriterSink(writer));
        super::logged(self, "downloaded to", &"a writer", result)
    }

    pub(crate) fn receive(
        &self,
        options: &TransferOptions,
        sink: &mut (dyn Sink + Send),
    ) -> Result<TransferReport> {
        let info = self.info()?;
        let available = info.capacity.as_bytes().saturating_sub(options.offset);
        let total = options.length.map_or(available, |l| l.min(available));
        if let Some(direct) = self.open_direct(options, &info, Way::Download, total)? {
            let ticker = Ticker::new(options);
            let mut done = TransferReport::new(TransferMethod::Direct);
            ticker.tick(0, total)?;
            direct.download(
                options.offset,
                total,
                options.sparse,
                sink,
                &ticker,
                &mut done,
            )?;
            return Ok(done);
        }
        let ticker = Ticker::new(options);
        ticker.tick(0, total)?;
        let flags = download_flags(options.sparse);
        let mut stream = VolStream::open(self, "virStorageVolDownload", |v, s| {
            v.download(s, options.offset, total, flags)
                .map_err(libvirt::error)
        })?;
        let mut done = TransferReport::new(TransferMethod::Stream);
        let outcome = (|| {
            let (feed, drain) = pipe::queue(CHUNK_BYTES);
            std::thread::scope(|scope| {
                let sink = &mut *sink;
                let writer = scope.spawn(move || write_chunks(&drain, sink));
                let received = receive_chunks(&stream, &feed, &ticker, total, &mut done);
                drop(feed);
                received.and(join(writer))
            })?;
            sink.finish(done.total())?;
            stream.finish()
        })();
        outcome
            .map_err(|e| self.stream_error(e, &stream))
            .map(|()| done)
    }
}

fn receive_chunks(
    stream: &VolStream,
    feed: &pipe::Feed,
    ticker: &Ticker<'_>,
    total: u64,
    done: &mut TransferReport,
) -> Result<()> {
    loop {
        let mut buf = feed.buffer();
        let at = done.total();
        let chunk = match stream.recv(&mut buf, ticker.options.sparse)? {
            Received::End => return Ok(()),
            Received::Data(n) => {
                done.data_bytes += n as u64;
                Chunk::Data { at, buf, len: n }
            }
            Received::Hole(len) => {
                done.hole_bytes += len;
                Chunk::Hole { at, len }
            }
        };
        if !feed.send(chunk) {
            // The writer stopped: its error is reported by the caller.
            return Ok(());
        }
        ticker.tick(done.total(), total)?;
    }
}

fn write_chunks(drain: &pipe::Drain, sink: &mut (dyn Sink + Send)) -> Result<()> {
    while let Some(chunk) = drain.next() {
        match chunk {
            Chunk::Data { at, buf, len } => {
                sink.data(at, &buf[..len])?;
                drain.recycle(buf);
            }
            Chunk::Hole { at, len } => sink.hole(at, len)?,
        }
    }
    Ok(())
}
