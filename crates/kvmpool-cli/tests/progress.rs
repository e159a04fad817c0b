//! vol-upload and vol-download progress: a bar in a pseudo-terminal (util-linux
//! `script`) that shows bytes and ends at 100%; plain lines without a terminal; and
//! Ctrl-C (SIGINT) cancelling a download through its CancelToken, leaving no file.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use support::*;

const MIB: usize = 1024 * 1024;

fn setup(env: &Live, tag: &str, size: &str) -> (String, tempfile::TempDir, Gone) {
    let dir = env.scratch(tag);
    let pool = unique("kvmc-progress");
    let gone = Gone {
        uri: env.uri.clone(),
        pools: vec![pool.clone()],
    };
    let target = dir.path().join("p");
    virsh(
        &env.uri,
        &[
            "pool-define-as",
            &pool,
            "dir",
            "--target",
            target.to_str().unwrap(),
        ],
    );
    virsh(&env.uri, &["pool-build", &pool]);
    virsh(&env.uri, &["pool-start", &pool]);
    virsh(&env.uri, &["vol-create-as", &pool, "v.raw", size]);
    (pool, dir, gone)
}

/// Shell-quote for `script -c`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn a_bar_on_a_terminal_and_lines_without_one() {
    let Some(env) = live("a_bar_on_a_terminal_and_lines_without_one") else {
        return;
    };
    let (pool, dir, _gone) = setup(&env, "cli-progress", "24M");
    let data = dir.path().join("data.bin");
    pattern_file(&data, 24 * MIB);
    let data_s = data.to_str().unwrap();

    // without a terminal: plain lines on stderr, the last at 100%, nothing on stdout
    let run = kvmpool(&env.uri, &["vol-upload", "v.raw", data_s, "--pool", &pool]).ok("upload");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        !run.stderr.contains('\x1b') && !run.stderr.contains('\r'),
        "{:?}",
        run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(line.starts_with("uploaded "), "{line}");
    }
    let total = 24 * MIB;
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("uploaded {total} of {total} bytes (100%, ")),
        "{lines:?}"
    );

    // in a pseudo-terminal: the bar, with bytes, finishing at 100%
    let back = dir.path().join("back.bin");
    let cmd = [
        bin(),
        "-c",
        &env.uri,
        "vol-download",
        "v.raw",
        back.to_str().unwrap(),
        "--pool",
        &pool,
    ]
    .map(quote)
    .join(" ");
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("24.00 MiB/24.00 MiB"), "{screen:?}");
    assert!(screen.contains("100%"), "{screen:?}");
    assert!(
        screen.contains("v.raw ["),
        "the bar names the volume: {screen:?}"
    );
    assert!(
        !screen.contains("downloaded "),
        "no plain lines on a terminal: {screen:?}"
    );
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&data).unwrap());
}

#[test]
fn ctrl_c_cancels_a_download_cleanly() {
    let Some(env) = live("ctrl_c_cancels_a_download_cleanly") else {
        return;
    };
    let (pool, dir, _gone) = setup(&env, "cli-cancel", "8G");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("v.img");
    let mut child = Command::new(bin())
        .args(["-c", &env.uri, "vol-download", "v.raw"])
        .arg(&target)
        .args(["--pool", &pool])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("downloaded "), "{first}");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with the pid of our own child, which has not been waited for
    // yet (so the pid is still its), and a valid signal number.
    let killed = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(killed, 0, "SIGINT sent");
    let mut rest = String::new();
    for line in stderr.lines() {
        rest.push_str(&line.unwrap());
        rest.push('\n');
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(17), "Cancelled\n{first}{rest}");
    assert!(rest.contains("kvmpool: cancelling"), "{rest}");
    assert!(rest.contains("error: transfer cancelled after"), "{rest}");
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert!(
        left.is_empty(),
        "a cancelled download leaves nothing: {left:?}"
    );
}
