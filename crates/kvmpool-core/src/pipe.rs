//! Two threads joined by a short queue of reusable buffers, so that local file I/O
//! overlaps libvirt stream I/O. libvirt's client only reads and writes its socket
//! while a call is in progress, so with one thread the daemon waits whenever the
//! caller touches the disk; with two it does not.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

/// Buffers in flight: enough to ride out a slow write, small enough to stay in cache.
const DEPTH: usize = 4;

/// A piece of the transfer, at a byte offset of the range.
pub(crate) enum Chunk {
    Data { at: u64, buf: Vec<u8>, len: usize },
    Hole { at: u64, len: u64 },
}

/// The producing end: hands out recycled buffers and queues chunks.
pub(crate) struct Feed {
    tx: SyncSender<Chunk>,
    spare: Receiver<Vec<u8>>,
    size: usize,
}

/// The consuming end: takes chunks in order and gives buffers back.
pub(crate) struct Drain {
    rx: Receiver<Chunk>,
    spare: Sender<Vec<u8>>,
}

/// A queue whose buffers hold `size` bytes.
pub(crate) fn queue(size: usize) -> (Feed, Drain) {
    let (tx, rx) = sync_channel(DEPTH);
    let (spare_tx, spare_rx) = channel();
    (
        Feed {
            tx,
            spare: spare_rx,
            size,
        },
        Drain {
            rx,
            spare: spare_tx,
        },
    )
}

impl Feed {
    /// A buffer to fill: a recycled one when available.
    pub fn buffer(&self) -> Vec<u8> {
        self.spare
            .try_recv()
            .unwrap_or_else(|_| vec![0u8; self.size])
    }

    /// Queue a chunk; false when the consumer has stopped (it failed or finished).
    pub fn send(&self, chunk: Chunk) -> bool {
        self.tx.send(chunk).is_ok()
    }
}

impl Drain {
    /// The next chunk, or `None` when the producer is done.
    pub fn next(&self) -> Option<Chunk> {
        self.rx.recv().ok()
    }

    /// Give a buffer back for reuse.
    pub fn recycle(&self, buf: Vec<u8>) {
        let _ = self.spare.send(buf);
    }
}
