//! Uploads and downloads on the live daemon. Every test runs twice, through a libvirt
//! stream and directly (`TransferMethod`), and both runs must leave the same outcome:
//! the same bytes and allocation in every volume and every downloaded file, the same
//! reports, errors and cleanups.

mod support;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use kvmpool::*;
use support::*;

/// One run of a test, by one method, in a dir pool of its own.
struct Run {
    method: TransferMethod,
    pool: Pool,
    target: PathBuf,
    scratch: tempfile::TempDir,
    /// What the run observed, compared between the methods.
    seen: Vec<String>,
    _cleanup: PoolCleanup,
}

impl Run {
    fn new(live: &Live, prefix: &str, method: TransferMethod) -> Run {
        let conn = live.conn();
        let target = live.dir.join(unique(prefix));
        let spec: PoolSpec = DirPool::new(unique(prefix), target.to_str().unwrap()).into();
        let pool = conn.define_pool(&spec).unwrap();
        let cleanup = PoolCleanup::with_delete(&pool);
        pool.build(BuildMode::Normal).unwrap();
        pool.start().unwrap();
        Run {
            method,
            pool,
            target,
            scratch: live.scratch(&format!("{prefix}-files")),
            seen: Vec::new(),
            _cleanup: cleanup,
        }
    }

    /// Options of this run's method.
    fn opts(&self) -> TransferOptions {
        TransferOptions::default().method(self.method)
    }

    fn work(&self) -> &Path {
        self.scratch.path()
    }

    /// A report of this run: moved by the run's method; its figures are compared.
    fn report(&mut self, what: &str, report: TransferReport) -> TransferReport {
        assert_eq!(report.method, self.method, "{what}");
        self.seen.push(format!(
            "{what}: {} data, {} holes",
            report.data_bytes, report.hole_bytes
        ));
        report
    }

    /// Something else the run observed (an error, a count).
    fn note(&mut self, what: impl Into<String>) {
        self.seen.push(what.into());
    }

    /// Everything the run left: each volume's bytes and allocation, each local file's
    /// bytes and allocation, and what it noted.
    fn outcome(mut self) -> Vec<String> {
        let mut vols = self.pool.volumes().unwrap();
        vols.sort_by(|a, b| a.name().cmp(b.name()));
        for vol in vols {
            let info = vol.info().unwrap();
            let bytes = digest(&self.target.join(vol.name()));
            self.seen.push(format!(
                "volume {}: {bytes:x}, capacity {}, allocation {}",
                vol.name(),
                info.capacity.as_bytes(),
                info.allocation.as_bytes()
            ));
        }
        let mut files: Vec<_> = std::fs::read_dir(self.work())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            self.seen.push(format!(
                "file {}: {:x}, allocation {}",
                file.file_name().unwrap().to_string_lossy(),
                digest(&file),
                allocated(&file)
            ));
        }
        self.seen
    }
}

fn digest(path: &Path) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    std::fs::read(path).unwrap().hash(&mut h);
    h.finish()
}

/// Run `test` by stream and directly; both must leave the same outcome.
fn both_methods(live: &Live, prefix: &str, test: impl Fn(&mut Run)) {
    let [stream, direct] = [TransferMethod::Stream, TransferMethod::Direct].map(|method| {
        let mut run = Run::new(live, prefix, method);
        test(&mut run);
        run.outcome()
    });
    assert_eq!(stream, direct, "a stream and a direct transfer differ");
}

#[test]
fn upload_and_download_keep_bytes() {
    let Some(live) = live("upload_and_download_keep_bytes") else {
        return;
    };
    both_methods(&live, "xfer", |run| {
        let src = run.work().join("data.img");
        sparse_file(&src, 32 << 20, &(0..32).collect::<Vec<_>>());
        let vol = run
            .pool
            .create_volume(&VolumeSpec::new("data.raw", Size::mib(32)))
            .unwrap();

        let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = progress.clone();
        let opts = run.opts().progress(move |done, total| {
            seen.lock().unwrap().push((done, total));
            true
        });
        let up = run.report("upload", vol.upload_file(&src, &opts).unwrap());
        assert_eq!(up.data_bytes, 32 << 20);
        let calls = progress.lock().unwrap().clone();
        assert!(calls.len() > 10, "progress reported per chunk: {calls:?}");
        assert_eq!(calls.last().copied(), Some((32 << 20, 32 << 20)));
        assert!(
            calls.windows(2).all(|w| w[0].0 <= w[1].0),
            "progress only grows"
        );

        let out = run.work().join("out.img");
        let down = vol.download_file(&out, &run.opts()).unwrap();
        run.report("download", down);
        assert!(same_bytes(&src, &out));

        // offset and length: 1 MiB from offset 3 MiB
        let part = run.work().join("part.img");
        let range = run.opts().offset(3 << 20).length(1 << 20);
        let down = vol.download_file(&part, &range).unwrap();
        run.report("download part", down);
        assert_eq!(std::fs::metadata(&part).unwrap().len(), 1 << 20);
        let mut buf = Vec::new();
        let down = vol.download_writer(&mut buf, &range).unwrap();
        run.report("download part to a writer", down);
        assert_eq!(buf, std::fs::read(&part).unwrap());
        let whole = std::fs::read(&src).unwrap();
        assert_eq!(&buf[..], &whole[3 << 20..4 << 20]);

        // upload from a reader at an offset
        let patch = vec![0xabu8; 4096];
        let up = vol
            .upload_reader(&patch[..], 4096, &run.opts().offset(1 << 20))
            .unwrap();
        run.report("upload from a reader", up);
        let mut back = Vec::new();
        vol.download_writer(&mut back, &run.opts().offset(1 << 20).length(4096))
            .unwrap();
        assert_eq!(back, patch);
    });
}

/// TransferOptions::progress's contract: the callback runs on the thread that called
/// the transfer (the C API's `void *userdata` and Python rely on it), although a
/// stream moves its data through a worker thread.
#[test]
fn progress_runs_on_the_calling_thread() {
    let Some(live) = live("progress_runs_on_the_calling_thread") else {
        return;
    };
    both_methods(&live, "thread", |run| {
        let src = run.work().join("data.img");
        sparse_file(&src, 16 << 20, &[0, 1, 2, 5, 9, 15]);
        let base = run.opts();

        // Options whose progress records the thread of each call; and the records.
        let recording = || {
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let record = seen.clone();
            let opts = base.clone().progress(move |_, _| {
                record.lock().unwrap().push(std::thread::current().id());
                true
            });
            (opts, seen)
        };
        // Each transfer runs on a thread of its own, so that "the caller's thread" is
        // not simply the test's.
        let on_new_thread = |what: &str, transfer: &(dyn Fn(&TransferOptions) + Sync)| {
            for sparse in [false, true] {
                let (opts, seen) = recording();
                let opts = opts.sparse(sparse);
                let caller = std::thread::scope(|s| {
                    s.spawn(|| {
                        transfer(&opts);
                        std::thread::current().id()
                    })
                    .join()
                    .unwrap()
                });
                let seen = seen.lock().unwrap();
                assert!(
                    seen.len() > 4,
                    "{what} (sparse {sparse}): {} calls",
                    seen.len()
                );
                assert!(
                    seen.iter().all(|id| *id == caller),
                    "{what} (sparse {sparse}): progress ran on another thread"
                );
            }
        };

        let pool = &run.pool;
        let vol = pool
            .create_volume(&VolumeSpec::new("t.raw", Size::mib(16)))
            .unwrap();
        let out = run.work().join("out.img");
        on_new_thread("upload_file", &|o| {
            vol.upload_file(&src, o).unwrap();
        });
        on_new_thread("upload_reader", &|o| {
            let data = std::fs::read(&src).unwrap();
            vol.upload_reader(&data[..], data.len() as u64, o).unwrap();
        });
        on_new_thread("download_file", &|o| {
            vol.download_file(&out, o).unwrap();
        });
        on_new_thread("download_writer", &|o| {
            vol.download_writer(std::io::sink(), o).unwrap();
        });
        on_new_thread("create_volume_from_file", &|o| {
            let name = unique("from-file");
            let (v, _) = pool
                .create_volume_from_file(&VolumeSpec::new(name.as_str(), Size::ZERO), &src, o)
                .unwrap();
            v.delete(DeleteMode::Normal).unwrap();
        });
    });
}

#[test]
fn sparse_transfer_of_1gib_with_2mib_data() {
    let Some(live) = live("sparse_transfer_of_1gib_with_2mib_data") else {
        return;
    };
    both_methods(&live, "sparse", |run| {
        let src = run.work().join("sparse.img");
        sparse_file(&src, 1 << 30, &[100, 900]);
        assert!(allocated(&src) <= 3 << 20);
        let vol = run
            .pool
            .create_volume(&VolumeSpec::new("s.raw", Size::gib(1)))
            .unwrap();

        let sparse = run.opts().sparse(true);
        let report = run.report("upload", vol.upload_file(&src, &sparse).unwrap());
        assert_eq!(report.data_bytes, 2 << 20);
        assert_eq!(report.total(), 1 << 30);
        let info = vol.info().unwrap();
        assert!(
            info.allocation <= Size::mib(3),
            "holes stayed holes in the volume: {info:?}"
        );

        let out = run.work().join("sparse.out");
        let down = run.report("download", vol.download_file(&out, &sparse).unwrap());
        assert_eq!(down.data_bytes, 2 << 20);
        assert!(same_bytes(&src, &out));
        assert!(allocated(&out) <= 3 << 20, "holes stayed holes in the file");
    });
}

/// libvirt applies a stream hole to a file volume by seeking past it and truncating
/// there: a sparse upload must neither shrink the volume nor leave old bytes where the
/// file has holes.
#[test]
fn sparse_upload_keeps_size_and_writes_the_files_holes_as_zeros() {
    let Some(live) = live("sparse_upload_keeps_size_and_writes_the_files_holes_as_zeros") else {
        return;
    };
    both_methods(&live, "sparse-keep", |run| {
        // 3.5 MiB: data in MiB 0 and 2, holes in MiB 1 and the last half MiB.
        let src = run.work().join("src.img");
        sparse_file(&src, 7 << 19, &[0, 2]);
        let expect = |old_tail: u8| {
            let mut want = std::fs::read(&src).unwrap();
            want.resize(8 << 20, old_tail);
            want
        };
        let sparse = run.opts().sparse(true);
        let pool = run.pool.clone();

        // Into a volume full of old data: the holes overwrite it, the tail stays.
        let old = pool
            .create_volume(&VolumeSpec::new("old.raw", Size::mib(8)))
            .unwrap();
        old.upload_reader(&vec![0xaa; 8 << 20][..], 8 << 20, &run.opts())
            .unwrap();
        let report = old.upload_file(&src, &sparse).unwrap();
        run.report("into old data", report);
        assert_eq!(old.info().unwrap().capacity, Size::mib(8));
        assert!(std::fs::read(run.target.join("old.raw")).unwrap() == expect(0xaa));

        // A preallocated volume (libvirt will not shrink it): holes go as zeros.
        let whole = run.work().join("whole.img");
        sparse_file(&whole, 8 << 20, &[0, 2]);
        let full = pool
            .create_volume(&VolumeSpec::new("full.raw", Size::mib(8)).allocation(Size::mib(8)))
            .unwrap();
        full.upload_reader(&vec![0xbb; 8 << 20][..], 8 << 20, &run.opts())
            .unwrap();
        let report = run.report(
            "into a full volume",
            full.upload_file(&whole, &sparse).unwrap(),
        );
        assert_eq!((report.data_bytes, report.hole_bytes), (8 << 20, 0));
        assert_eq!(full.info().unwrap().capacity, Size::mib(8));
        assert!(
            std::fs::read(run.target.join("full.raw")).unwrap() == std::fs::read(&whole).unwrap()
        );

        // Into an empty volume, and into one created for the file: holes stay holes.
        let empty = pool
            .create_volume(&VolumeSpec::new("empty.raw", Size::mib(8)))
            .unwrap();
        let report = run.report(
            "into an empty volume",
            empty.upload_file(&src, &sparse).unwrap(),
        );
        assert_eq!(report.data_bytes, 2 << 20);
        let (fresh, report) = pool
            .create_volume_from_file(&VolumeSpec::new("fresh.raw", Size::mib(8)), &src, &sparse)
            .unwrap();
        run.report("into a new volume", report);
        for vol in [&empty, &fresh] {
            let info = vol.info().unwrap();
            assert_eq!(info.capacity, Size::mib(8), "{}", vol.name());
            assert!(info.allocation <= Size::mib(3), "{}: {info:?}", vol.name());
            assert!(std::fs::read(run.target.join(vol.name())).unwrap() == expect(0));
        }
    });
}

#[test]
fn cancelled_transfers_leave_nothing_behind() {
    let Some(live) = live("cancelled_transfers_leave_nothing_behind") else {
        return;
    };
    both_methods(&live, "cancel", |run| {
        let src = run.work().join("data.img");
        sparse_file(&src, 16 << 20, &(0..16).collect::<Vec<_>>());
        let pool = run.pool.clone();

        // a volume created by the call is removed when the progress callback says stop
        let stop_half = run.opts().progress(|done, total| done < total / 2);
        let e = pool
            .create_volume_from_file(&VolumeSpec::new("new.raw", Size::ZERO), &src, &stop_half)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
        assert!(pool.find_volume("new.raw").unwrap().is_none());

        // a cancelled download leaves the destination as it was
        let vol = pool
            .create_volume(&VolumeSpec::new("v.raw", Size::mib(16)))
            .unwrap();
        vol.upload_file(&src, &run.opts()).unwrap();
        let dest = run.work().join("existing.txt");
        std::fs::write(&dest, b"keep me").unwrap();
        let token = CancelToken::new();
        let t = token.clone();
        let opts = run.opts().cancel_token(token).progress(move |done, _| {
            if done > 4 << 20 {
                t.cancel();
            }
            true
        });
        assert_eq!(
            vol.download_file(&dest, &opts).unwrap_err().kind(),
            ErrorKind::Cancelled
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
        let leftovers: Vec<_> = std::fs::read_dir(run.work())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("kvmpool"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "no partial download files: {leftovers:?}"
        );

        // an upload into an existing volume that is cancelled says it may be partial
        let e = vol
            .upload_file(&src, &run.opts().progress(|done, _| done < 1 << 20))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert!(e.to_string().contains("partly written"), "{e}");
    });
}

/// TransferOptions::interrupt (what Python's Ctrl-C goes through): asked on the
/// calling thread while the transfer runs, and `true` stops it as a cancellation does.
#[test]
fn interrupted_transfers_stop_and_clean_up() {
    let Some(live) = live("interrupted_transfers_stop_and_clean_up") else {
        return;
    };
    both_methods(&live, "interrupt", |run| {
        let src = run.work().join("data.img");
        sparse_file(&src, 32 << 20, &(0..32).collect::<Vec<_>>());
        let base = run.opts();

        // Interrupts on the third check, from the thread that called.
        let third_check = || {
            let caller = std::thread::current().id();
            let checks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let counted = checks.clone();
            let options = base.clone().interrupt(move || {
                assert_eq!(std::thread::current().id(), caller);
                // slow enough that the next check is due after the next chunk
                std::thread::sleep(INTERRUPT_EVERY);
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2
            });
            (options, checks)
        };

        let (options, checks) = third_check();
        let e = run
            .pool
            .create_volume_from_file(&VolumeSpec::new("new.raw", Size::ZERO), &src, &options)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
        assert!(e.to_string().contains("interrupted"), "{e}");
        assert!(e.to_string().contains("removed again"), "{e}");
        assert_eq!(checks.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert!(run.pool.find_volume("new.raw").unwrap().is_none());

        let vol = run
            .pool
            .create_volume(&VolumeSpec::new("v.raw", Size::mib(32)))
            .unwrap();
        vol.upload_file(&src, &base).unwrap();
        let dest = run.work().join("existing.txt");
        std::fs::write(&dest, b"keep me").unwrap();
        let (options, _) = third_check();
        assert_eq!(
            vol.download_file(&dest, &options).unwrap_err().kind(),
            ErrorKind::Cancelled
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");

        // a check that never interrupts changes nothing
        let options = base.clone().interrupt(|| false);
        let report = vol
            .download_file(run.work().join("whole.img"), &options)
            .unwrap();
        run.report("download", report);
    });
}

/// Past the capacity, and into a volume libvirt is still building: refused alike.
#[test]
fn refusals_are_the_same_by_both_methods() {
    let Some(live) = live("refusals_are_the_same_by_both_methods") else {
        return;
    };
    both_methods(&live, "refuse", |run| {
        let src = run.work().join("data.img");
        sparse_file(&src, 4 << 20, &[0, 3]);
        let vol = run
            .pool
            .create_volume(&VolumeSpec::new("small.raw", Size::mib(2)))
            .unwrap();
        let e = vol.upload_file(&src, &run.opts()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{e}");
        run.note(e.to_string());
        let e = vol
            .upload_file(&src, &run.opts().offset(1 << 20).length(2 << 20))
            .unwrap_err();
        run.note(e.to_string());
        // a download past the end is cut at the capacity, as libvirt does
        let out = run.work().join("tail.img");
        let report = vol
            .download_file(&out, &run.opts().offset(1 << 20).length(8 << 20))
            .unwrap();
        run.report("download past the end", report);
    });
}

/// Where a direct transfer cannot be, `auto` streams and `direct` says why.
#[test]
fn direct_is_refused_where_it_cannot_be_and_auto_streams() {
    let Some(live) = live("direct_is_refused_where_it_cannot_be_and_auto_streams") else {
        return;
    };
    let run = Run::new(&live, "auto", TransferMethod::Auto);
    let src = run.work().join("data.img");
    sparse_file(&src, 1 << 20, &[0]);
    let vol = run
        .pool
        .create_volume(&VolumeSpec::new("a.raw", Size::mib(1)))
        .unwrap();
    // On the local daemon, auto goes direct.
    let report = vol.upload_file(&src, &run.opts()).unwrap();
    assert_eq!(report.method, TransferMethod::Direct);

    // The test driver runs in this process and has no files: nothing to copy.
    let (conn, _dir) = private_test_conn();
    let pool = conn.pool("default-pool").unwrap();
    let tvol = pool
        .create_volume(&VolumeSpec::new("t.raw", Size::mib(1)))
        .unwrap();
    let direct = TransferOptions::default().method(TransferMethod::Direct);
    let e = tvol.upload_file(&src, &direct).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(
        e.to_string().contains("cannot be transferred directly")
            && e.to_string().contains("not on this machine"),
        "{e}"
    );
}

/// A qcow2 volume's file is shorter than its capacity: a download is the file's
/// bytes (libvirt's stream ends where the file ends), by both methods.
#[test]
fn a_qcow2_volume_downloads_as_its_file() {
    let Some(live) = live("a_qcow2_volume_downloads_as_its_file") else {
        return;
    };
    both_methods(&live, "qcow2", |run| {
        let vol = run
            .pool
            .create_volume(&VolumeSpec::new("q.qcow2", Size::mib(64)).format(VolumeFormat::Qcow2))
            .unwrap();
        for sparse in [false, true] {
            let out = run.work().join(format!("q-{sparse}.qcow2"));
            let report = vol.download_file(&out, &run.opts().sparse(sparse)).unwrap();
            run.report(&format!("download (sparse {sparse})"), report);
            assert!(same_bytes(&run.target.join("q.qcow2"), &out));
        }
    });
}
