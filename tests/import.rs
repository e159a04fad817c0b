//! `Pool::import_image` and `Volume::export` on the live daemon: images made here with
//! qemu-img and xorriso go into a dir pool and are checked with `qemu-img info` on the
//! volume's path and byte for byte; downloads come from an HTTP server in this test (on
//! 127.0.0.1) that can also answer 404, close half way or be cancelled; after every
//! failure `virsh vol-list` must show no volume left behind. Corrupt headers are refused
//! with the field named before anything reaches libvirt.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kvmpool::*;
use serde_json::Value;
use support::*;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn dir_pool(live: &Live, prefix: &str) -> (Pool, PoolCleanup) {
    let conn = live.conn();
    let name = unique(prefix);
    let target = live.dir.join(&name);
    let spec: PoolSpec = DirPool::new(&name, target.to_str().unwrap()).into();
    let pool = conn.define_pool(&spec).unwrap();
    let cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    (pool, cleanup)
}

/// `virsh vol-list`: libvirt's own list of the pool's volumes.
fn virsh_volumes(live: &Live, pool: &Pool) -> Vec<String> {
    run("virsh", &["-c", &live.uri, "vol-list", pool.name()])
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn qemu_info(path: &str) -> Value {
    serde_json::from_str(&run("qemu-img", &["info", "--output=json", "-U", path])).unwrap()
}

fn qemu_img(args: &[&str]) {
    run("qemu-img", args);
}

fn sha256(path: &Path) -> String {
    run("sha256sum", &[path.to_str().unwrap()])
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// A qcow2 of `virtual_size` with `data_mib` MiB of data written by qemu-io at 0.
fn qcow2(dir: &Path, name: &str, virtual_size: &str, data_mib: u64, opts: &[&str]) -> PathBuf {
    let p = dir.join(name);
    let mut args = vec!["create", "-q", "-f", "qcow2"];
    args.extend_from_slice(opts);
    args.extend([p.to_str().unwrap(), virtual_size]);
    qemu_img(&args);
    if data_mib > 0 {
        run(
            "qemu-io",
            &[
                "-c",
                &format!("write -P 0x5a 0 {data_mib}M"),
                p.to_str().unwrap(),
            ],
        );
    }
    p
}

// --- an HTTP server on 127.0.0.1 -------------------------------------------------------

#[derive(Clone)]
enum Route {
    /// 200 with Content-Length.
    Body(Arc<Vec<u8>>),
    /// 200 with Content-Length, then the connection closed after this many bytes.
    CloseAfter(Arc<Vec<u8>>, usize),
    /// 200 without Content-Length (HTTP/1.0, closed at the end).
    NoLength(Arc<Vec<u8>>),
}

struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(routes: HashMap<String, Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let halt = stop.clone();
        let routes = Arc::new(routes);
        std::thread::spawn(move || {
            // bounded: at most 10 minutes, and it stops with the test's Server
            let deadline = Instant::now() + Duration::from_secs(600);
            while !halt.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let routes = routes.clone();
                        std::thread::spawn(move || {
                            let _ = answer(conn, &routes);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { port, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn answer(mut conn: TcpStream, routes: &HashMap<String, Route>) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_owned();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    match routes.get(&path) {
        None => conn
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Some(Route::Body(b)) => {
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            )?;
            conn.write_all(b)
        }
        Some(Route::CloseAfter(b, n)) => {
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            )?;
            conn.write_all(&b[..*n])?;
            conn.shutdown(std::net::Shutdown::Both)
        }
        Some(Route::NoLength(b)) => {
            conn.write_all(b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n")?;
            conn.write_all(b)
        }
    }
}

// --- the tests ---------------------------------------------------------------------------

#[test]
fn qcow2_with_10gib_virtual_and_2mib_data_imports_exactly_and_fast() {
    let Some(live) = live("qcow2_with_10gib_virtual_and_2mib_data_imports_exactly_and_fast") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-q");
    let scratch = live.scratch("imp-q-files");
    let src = qcow2(scratch.path(), "disk.qcow2", "10G", 2, &[]);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let sum = Checksum::parse(&format!("sha256:{}", sha256(&src)), "checksum").unwrap();
    let start = Instant::now();
    let (vol, report) = pool
        .import_image(
            src.to_str().unwrap(),
            &ImportOptions::default()
                .checksum(sum.clone())
                .progress(move |d, t| {
                    seen.lock().unwrap().push((d, t));
                    true
                }),
        )
        .unwrap();
    let took = start.elapsed();
    eprintln!("import of a 10 GiB-virtual qcow2 with 2 MiB of data: {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(vol.name(), "disk.qcow2");
    assert_eq!(report.source_format, image::ImageFormat::Qcow2);
    assert_eq!(report.format, VolumeFormat::Qcow2);
    assert_eq!(report.capacity, Size::gib(10));
    assert_eq!(report.checksums, vec![sum]);
    let len = std::fs::metadata(&src).unwrap().len();
    assert_eq!(report.source_bytes, len);
    assert_eq!(report.transfer.total(), len);
    let path = vol.path().unwrap();
    let q = qemu_info(&path);
    assert_eq!(q["format"], "qcow2");
    assert_eq!(q["virtual-size"], 10 * GIB);
    assert!(
        same_bytes(&src, Path::new(&path)),
        "the volume holds the image's bytes"
    );
    assert_eq!(vol.info().unwrap().capacity, Size::gib(10));
    assert_eq!(vol.spec().unwrap().format, Some(VolumeFormat::Qcow2));
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.first(), Some(&(0, len)));
    assert_eq!(calls.last(), Some(&(len, len)));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));

    // a larger capacity is applied to the header with qemu-img resize
    let (big, report) = pool
        .import_image(
            src.to_str().unwrap(),
            &ImportOptions::default()
                .name("big.qcow2")
                .capacity(Size::gib(20)),
        )
        .unwrap();
    assert_eq!(report.capacity, Size::gib(20));
    assert_eq!(qemu_info(&big.path().unwrap())["virtual-size"], 20 * GIB);
    assert_eq!(big.info().unwrap().capacity, Size::gib(20));
    run(
        "qemu-img",
        &["compare", "-U", src.to_str().unwrap(), &big.path().unwrap()],
    );

    // a smaller one is refused, naming it; nothing is created
    let e = pool
        .import_image(
            src.to_str().unwrap(),
            &ImportOptions::default()
                .name("small.qcow2")
                .capacity(Size::gib(1)),
        )
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("capacity"))
    );
    let mut names = virsh_volumes(&live, &pool);
    names.sort();
    assert_eq!(names, ["big.qcow2", "disk.qcow2"]);

    // the name is taken: AlreadyExists; with overwrite it is replaced
    let e = pool
        .import_image(src.to_str().unwrap(), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let (again, _) = pool
        .import_image(
            src.to_str().unwrap(),
            &ImportOptions::default().overwrite(true),
        )
        .unwrap();
    assert!(same_bytes(&src, Path::new(&again.path().unwrap())));
}

/// libvirt's new qcow2 file (196,768 bytes for 10 GiB) is longer than this image (small
/// clusters, little data), and the image has holes: the volume must still end where the
/// image ends and hold exactly its bytes.
#[test]
fn a_qcow2_shorter_than_libvirts_new_file_keeps_no_tail() {
    let Some(live) = live("a_qcow2_shorter_than_libvirts_new_file_keeps_no_tail") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-s");
    let scratch = live.scratch("imp-s-files");
    let src = qcow2(
        scratch.path(),
        "c4k.qcow2",
        "10G",
        0,
        &["-o", "cluster_size=4096"],
    );
    run(
        "qemu-io",
        &["-c", "write -P 0x11 1M 64k", src.to_str().unwrap()],
    );
    let len = std::fs::metadata(&src).unwrap().len();
    assert!(len < 196_768, "{len}");
    for sparse in [true, false] {
        let name = format!("c4k-{sparse}.qcow2");
        let (vol, _) = pool
            .import_image(
                src.to_str().unwrap(),
                &ImportOptions::default().name(&name).sparse(sparse),
            )
            .unwrap();
        let path = vol.path().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
        assert!(same_bytes(&src, Path::new(&path)));
        run("qemu-img", &["check", "-U", &path]);
        assert_eq!(qemu_info(&path)["virtual-size"], 10 * GIB);
    }
}

#[test]
fn raw_sparse_iso_vmdk_and_backing_files() {
    let Some(live) = live("raw_sparse_iso_vmdk_and_backing_files") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-r");
    let scratch = live.scratch("imp-r-files");
    let work = scratch.path();

    // raw, 1 GiB with 2 MiB of data: sparse in the pool too, and fast
    let raw = work.join("disk.img");
    sparse_file(&raw, GIB, &[10, 700]);
    let start = Instant::now();
    let (vol, report) = pool
        .import_image(raw.to_str().unwrap(), &ImportOptions::default())
        .unwrap();
    let took = start.elapsed();
    eprintln!("import of a 1 GiB raw image with 2 MiB of data: {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(
        (report.format, report.capacity),
        (VolumeFormat::Raw, Size::gib(1))
    );
    assert_eq!(report.transfer.data_bytes, 2 * MIB);
    let path = vol.path().unwrap();
    assert_eq!(qemu_info(&path)["format"], "raw");
    assert_eq!(qemu_info(&path)["virtual-size"], GIB);
    assert!(allocated(Path::new(&path)) <= 3 * MIB);
    assert!(same_bytes(&raw, Path::new(&path)));

    // raw with a larger capacity: the image, then zeros
    let (wide, _) = pool
        .import_image(
            raw.to_str().unwrap(),
            &ImportOptions::default()
                .name("wide.raw")
                .capacity(Size::gib(2)),
        )
        .unwrap();
    let wide_path = wide.path().unwrap();
    assert_eq!(std::fs::metadata(&wide_path).unwrap().len(), 2 * GIB);
    assert!(kvmpool_same_prefix(&raw, Path::new(&wide_path), GIB));

    // an ISO from xorriso: libvirt's format iso, qemu's raw, the bytes as they are
    let tree = work.join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("hello.txt"), "hello from kvmpool\n").unwrap();
    let iso = work.join("cd.iso");
    run(
        "xorriso",
        &[
            "-as",
            "mkisofs",
            "-quiet",
            "-V",
            "KVMPOOL",
            "-o",
            iso.to_str().unwrap(),
            tree.to_str().unwrap(),
        ],
    );
    let (cd, report) = pool
        .import_image(iso.to_str().unwrap(), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.source_format, image::ImageFormat::Iso);
    assert_eq!(cd.spec().unwrap().format, Some(VolumeFormat::Iso));
    let cd_path = cd.path().unwrap();
    assert_eq!(qemu_info(&cd_path)["format"], "raw");
    assert!(same_bytes(&iso, Path::new(&cd_path)));
    assert_eq!(
        cd.info().unwrap().capacity.as_bytes(),
        std::fs::metadata(&iso).unwrap().len()
    );

    // vmdk: refused as it is, converted on request (the name follows the format)
    let vmdk = work.join("app.vmdk");
    qemu_img(&["create", "-q", "-f", "vmdk", vmdk.to_str().unwrap(), "64M"]);
    run(
        "qemu-io",
        &[
            "-f",
            "vmdk",
            "-c",
            "write -P 0x42 1M 1M",
            vmdk.to_str().unwrap(),
        ],
    );
    let e = pool
        .import_image(vmdk.to_str().unwrap(), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("convert_to"))
    );
    assert!(
        e.message().contains("a vmdk image is not stored as it is"),
        "{e}"
    );
    let (conv, report) = pool
        .import_image(
            vmdk.to_str().unwrap(),
            &ImportOptions::default().convert_to(VolumeFormat::Qcow2),
        )
        .unwrap();
    assert_eq!(conv.name(), "app.qcow2");
    assert!(report.converted);
    assert_eq!(report.source_format, image::ImageFormat::Vmdk);
    let conv_path = conv.path().unwrap();
    assert_eq!(qemu_info(&conv_path)["format"], "qcow2");
    assert_eq!(qemu_info(&conv_path)["virtual-size"], 64 * MIB);
    run(
        "qemu-img",
        &[
            "compare",
            "-U",
            "-f",
            "vmdk",
            "-F",
            "qcow2",
            vmdk.to_str().unwrap(),
            &conv_path,
        ],
    );

    // a qcow2 with a backing file: refused unless its backing volume is named
    let base = qcow2(work, "base.qcow2", "1G", 1, &[]);
    pool.import_image(base.to_str().unwrap(), &ImportOptions::default())
        .unwrap();
    let overlay = work.join("overlay.qcow2");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "base.qcow2",
        "-F",
        "qcow2",
        overlay.to_str().unwrap(),
    ]);
    let e = pool
        .import_image(overlay.to_str().unwrap(), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(e.field(), Some("allow_backing"), "{e}");
    let e = pool
        .import_image(
            overlay.to_str().unwrap(),
            &ImportOptions::default().allow_backing("disk.img"),
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("allow_backing"), "{e}");
    assert!(e.message().contains("not volume \"disk.img\""), "{e}");
    let (top, _) = pool
        .import_image(
            overlay.to_str().unwrap(),
            &ImportOptions::default().allow_backing("base.qcow2"),
        )
        .unwrap();
    let top_path = top.path().unwrap();
    assert!(same_bytes(&overlay, Path::new(&top_path)));
    let q = qemu_info(&top_path);
    assert_eq!(q["backing-filename"], "base.qcow2");
    run(
        "qemu-img",
        &["compare", "-U", base.to_str().unwrap(), &top_path],
    );

    let mut names = virsh_volumes(&live, &pool);
    names.sort();
    assert_eq!(
        names,
        [
            "app.qcow2",
            "base.qcow2",
            "cd.iso",
            "disk.img",
            "overlay.qcow2",
            "wide.raw"
        ]
    );
}

/// True when the first `len` bytes of `a` and `b` are equal and the rest of `b` is zero.
fn kvmpool_same_prefix(a: &Path, b: &Path, len: u64) -> bool {
    let status = std::process::Command::new("cmp")
        .args([
            "-s",
            "-n",
            &len.to_string(),
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    status.success()
        && run(
            "sh",
            &[
                "-c",
                &format!(
                    "tail -c +{} '{}' | tr -d '\\000' | wc -c",
                    len + 1,
                    b.display()
                ),
            ],
        ) == "0"
}

#[test]
fn downloads_good_missing_cut_short_wrong_sum_and_cancelled() {
    let Some(live) = live("downloads_good_missing_cut_short_wrong_sum_and_cancelled") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-h");
    let scratch = live.scratch("imp-h-files");
    let src = qcow2(scratch.path(), "web.qcow2", "10G", 8, &[]);
    let bytes = Arc::new(std::fs::read(&src).unwrap());
    let raw = scratch.path().join("plain.img");
    sparse_file(&raw, 64 * MIB, &[0, 1, 2, 3, 40]);
    let raw_bytes = Arc::new(std::fs::read(&raw).unwrap());
    let server = Server::start(HashMap::from([
        ("images/web.qcow2".to_owned(), Route::Body(bytes.clone())),
        (
            "cut.qcow2".to_owned(),
            Route::CloseAfter(bytes.clone(), bytes.len() / 2),
        ),
        ("plain.img".to_owned(), Route::Body(raw_bytes.clone())),
        ("chunked.img".to_owned(), Route::NoLength(raw_bytes.clone())),
    ]));
    let sum = sha256(&src);

    // a good download, checksum checked while streaming
    let start = Instant::now();
    let (vol, report) = pool
        .import_image(
            &server.url("images/web.qcow2"),
            &ImportOptions::default()
                .checksum(Checksum::parse(&format!("sha256:{sum}"), "checksum").unwrap()),
        )
        .unwrap();
    eprintln!(
        "download import of a 10 GiB-virtual qcow2 with 8 MiB data: {:?}",
        start.elapsed()
    );
    assert_eq!(vol.name(), "web.qcow2");
    assert_eq!(report.source_bytes, bytes.len() as u64);
    let path = vol.path().unwrap();
    assert!(same_bytes(&src, Path::new(&path)));
    assert_eq!(qemu_info(&path)["virtual-size"], 10 * GIB);

    // a raw image: zero blocks of the body become holes
    let (plain, report) = pool
        .import_image(&server.url("plain.img"), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.transfer.data_bytes, 5 * MIB);
    let plain_path = plain.path().unwrap();
    assert!(same_bytes(&raw, Path::new(&plain_path)));
    assert!(allocated(Path::new(&plain_path)) <= 6 * MIB);

    // no Content-Length: a raw image needs a capacity, then is imported
    let e = pool
        .import_image(&server.url("chunked.img"), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(e.field(), Some("capacity"), "{e}");
    let (open, _) = pool
        .import_image(
            &server.url("chunked.img"),
            &ImportOptions::default().capacity(Size::mib(64)),
        )
        .unwrap();
    assert!(same_bytes(&raw, Path::new(&open.path().unwrap())));

    let before = {
        let mut v = virsh_volumes(&live, &pool);
        v.sort();
        v
    };
    let left_as_before = |what: &str| {
        let mut v = virsh_volumes(&live, &pool);
        v.sort();
        assert_eq!(v, before, "{what} left something behind");
    };

    let e = pool
        .import_image(&server.url("missing.qcow2"), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("404"), "{e}");
    left_as_before("a 404");

    let e = pool
        .import_image(&server.url("cut.qcow2"), &ImportOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.message().contains("was removed again"), "{e}");
    left_as_before("a download cut short");

    let wrong = format!("sha256:{}", "0".repeat(64));
    let e = pool
        .import_image(
            &server.url("images/web.qcow2"),
            &ImportOptions::default()
                .name("wrong.qcow2")
                .checksum(Checksum::parse(&wrong, "checksum").unwrap()),
        )
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("sha256"))
    );
    assert!(e.message().contains(&wrong), "{e}");
    assert!(e.message().contains(&sum), "names both sums: {e}");
    left_as_before("a wrong checksum");

    let e = pool
        .import_image(
            &server.url("images/web.qcow2"),
            &ImportOptions::default()
                .name("half.qcow2")
                .progress(|done, total| done < total / 2),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    left_as_before("a cancel at 50%");

    let token = CancelToken::new();
    let cancel = token.clone();
    let e = pool
        .import_image(
            &server.url("plain.img"),
            &ImportOptions::default()
                .name("token.img")
                .cancel_token(token)
                .progress(move |done, total| {
                    if done >= total / 2 {
                        cancel.cancel();
                    }
                    true
                }),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    left_as_before("a cancel through the token");
}

/// Write `bytes` at `offset` of a copy of `src`.
fn patched(src: &Path, dst: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    std::fs::copy(src, dst).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(dst).unwrap();
    f.write_all_at(bytes, offset).unwrap();
}

#[test]
fn corrupt_headers_are_refused_with_the_field_named_fast() {
    let Some(live) = live("corrupt_headers_are_refused_with_the_field_named_fast") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-c");
    let scratch = live.scratch("imp-c-files");
    let work = scratch.path();
    let good = qcow2(work, "good.qcow2", "1G", 0, &[]);
    let truncated = work.join("truncated.qcow2");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..40]).unwrap();
    let absurd = work.join("absurd.qcow2");
    patched(&good, &absurd, 24, &(1u64 << 62).to_be_bytes());
    let magic = work.join("magic.qcow2");
    patched(&good, &magic, 0, b"QFJ\xfb");
    let cases: [(&Path, ImportOptions, &str); 3] = [
        (&truncated, ImportOptions::default(), "qcow2.header"),
        (&absurd, ImportOptions::default(), "qcow2.size"),
        (
            &magic,
            ImportOptions::default().format(image::ImageFormat::Qcow2),
            "format",
        ),
    ];
    for (path, options, field) in cases {
        let start = Instant::now();
        let e = pool
            .import_image(path.to_str().unwrap(), &options)
            .unwrap_err();
        let took = start.elapsed();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidSpec, Some(field)),
            "{e}"
        );
        assert!(took < Duration::from_millis(500), "{field}: {took:?}");
    }
    assert!(virsh_volumes(&live, &pool).is_empty());
}

#[test]
fn export_as_is_and_converted_with_checksums() {
    let Some(live) = live("export_as_is_and_converted_with_checksums") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-e");
    let scratch = live.scratch("imp-e-files");
    let work = scratch.path();
    let src = qcow2(work, "src.qcow2", "1G", 3, &[]);
    let (vol, _) = pool
        .import_image(src.to_str().unwrap(), &ImportOptions::default())
        .unwrap();

    let out = work.join("out.qcow2");
    let report = vol
        .export(
            &out,
            &ExportOptions::default().compute(ChecksumAlgorithm::Sha256),
        )
        .unwrap();
    assert!(!report.converted);
    assert_eq!(report.format, image::ImageFormat::Qcow2);
    assert!(same_bytes(&src, &out));
    assert_eq!(report.checksums[0].hex(), sha256(&src));

    // the file exists: refused, then replaced with overwrite; a wrong sum writes nothing
    let e = vol.export(&out, &ExportOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let raw = work.join("out.raw");
    let wrong = Checksum::parse(&format!("sha512:{}", "1".repeat(128)), "checksum").unwrap();
    let e = vol
        .export(
            &raw,
            &ExportOptions::default()
                .format(image::ImageFormat::Raw)
                .checksum(wrong),
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("sha512"), "{e}");
    assert!(!raw.exists());
    let report = vol
        .export(
            &raw,
            &ExportOptions::default().format(image::ImageFormat::Raw),
        )
        .unwrap();
    assert!(report.converted);
    assert_eq!(report.bytes, GIB);
    assert!(allocated(&raw) <= 4 * MIB, "sparse output");
    run(
        "qemu-img",
        &[
            "compare",
            "-f",
            "raw",
            "-F",
            "qcow2",
            raw.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    vol.export(&out, &ExportOptions::default().overwrite(true))
        .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(work)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A 256 MiB raw image through import_image and through `virsh vol-create-as` +
/// `vol-upload`: timed side by side (printed), and import must not be much slower.
#[test]
fn import_of_256mib_raw_against_virsh_vol_upload() {
    let Some(live) = live("import_of_256mib_raw_against_virsh_vol_upload") else {
        return;
    };
    let (pool, _cleanup) = dir_pool(&live, "imp-t");
    let scratch = live.scratch("imp-t-files");
    let src = scratch.path().join("full.img");
    sparse_file(&src, 256 * MIB, &(0..256).collect::<Vec<_>>());
    let mut best_import = Duration::MAX;
    let mut best_virsh = Duration::MAX;
    for round in 0..3 {
        let name = format!("k{round}.img");
        let start = Instant::now();
        pool.import_image(src.to_str().unwrap(), &ImportOptions::default().name(&name))
            .unwrap();
        best_import = best_import.min(start.elapsed());
        let name = format!("v{round}.img");
        let start = Instant::now();
        run(
            "virsh",
            &[
                "-c",
                &live.uri,
                "vol-create-as",
                pool.name(),
                &name,
                "256M",
                "--format",
                "raw",
                "--allocation",
                "0",
            ],
        );
        run(
            "virsh",
            &[
                "-c",
                &live.uri,
                "vol-upload",
                "--pool",
                pool.name(),
                &name,
                src.to_str().unwrap(),
            ],
        );
        best_virsh = best_virsh.min(start.elapsed());
    }
    eprintln!(
        "256 MiB raw: import_image {best_import:?}, virsh vol-create-as + vol-upload \
         {best_virsh:?} (best of 3)"
    );
    assert!(
        best_import <= best_virsh * 2 + Duration::from_millis(500),
        "import {best_import:?} vs virsh {best_virsh:?}"
    );
}
