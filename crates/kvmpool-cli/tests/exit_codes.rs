//! Exit statuses and error lines (`error: ...`, naming the field) for each kind the
//! command line can meet without a daemon (libvirt's test driver, an unreachable URI),
//! and State on the live daemon.

mod support;

use support::*;

const TEST: &str = "test:///default";

#[test]
fn a_missing_pool_is_not_found() {
    let run = kvmpool(TEST, &["pool-info", "nope"]).expect(11, "pool-info nope");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("'nope'"), "{}", run.stderr);
    kvmpool(TEST, &["vol-info", "x", "--pool", "nope"]).expect(11, "vol-info --pool nope");
    kvmpool(TEST, &["vol-info", "/no/such/volume"]).expect(11, "vol-info by path");
}

#[test]
fn a_bad_size_is_invalid_spec_naming_the_field() {
    let run = kvmpool(TEST, &["vol-create-as", "default-pool", "v", "ten"]).expect(10, "bad size");
    assert_eq!(
        run.stderr,
        "error: capacity: \"ten\" is not a valid size: unknown unit \"ten\"\n"
    );
    let run = kvmpool(
        TEST,
        &[
            "vol-create-as",
            "default-pool",
            "v",
            "1G",
            "--allocation",
            "2Q",
        ],
    )
    .expect(10, "bad allocation");
    assert!(
        run.stderr.starts_with("error: allocation: \"2Q\""),
        "{}",
        run.stderr
    );
    let run = kvmpool(TEST, &["vol-resize", "v", "-1G", "--pool", "default-pool"])
        .expect(10, "negative resize without --shrink");
    assert_eq!(
        run.stderr,
        "error: capacity: \"-1G\": a negative size needs --shrink\n"
    );
    // a field the pool type lacks, named by its option
    let run = kvmpool(TEST, &["pool-define-as", "p", "dir", "--source-host", "h"])
        .expect(10, "option the type lacks");
    assert_eq!(
        run.stderr,
        "error: --source-host: dir pools have no field that this option sets\n"
    );
    let run = kvmpool(TEST, &["pool-define-as", "p", "dir", "--target", "rel"])
        .expect(10, "relative target");
    assert!(run.stderr.starts_with("error: target: "), "{}", run.stderr);
}

#[test]
fn an_unreachable_uri_is_connect() {
    // nothing listens on port 1 of the loopback address
    let run = kvmpool("qemu+tcp://127.0.0.1:1/system", &["pool-list"]).expect(16, "unreachable");
    assert!(
        run.stderr
            .starts_with("error: cannot connect to qemu+tcp://127.0.0.1:1/system"),
        "{}",
        run.stderr
    );
}

#[test]
fn other_kinds_and_usage() {
    kvmpool(
        TEST,
        &["pool-define-as", "default-pool", "dir", "--target", "/x"],
    )
    .expect(12, "AlreadyExists");
    let run = kvmpool(TEST, &["pool-define", "/no/such/file.xml"]).expect(18, "Io");
    assert!(
        run.stderr
            .starts_with("error: cannot read /no/such/file.xml"),
        "{}",
        run.stderr
    );
    kvmpool(TEST, &["pool-list", "--no-such-option"]).expect(2, "usage");
    // the test driver has no files to read
    let run = kvmpool(TEST, &["inventory", "--method", "local"]).expect(15, "Unsupported");
    assert!(
        run.stderr.contains("inventory method \"local\""),
        "{}",
        run.stderr
    );
    kvmpool(
        TEST,
        &["vol-list", "default-pool", "--details", "--method", "rpc"],
    )
    .ok("vol-list --method rpc");
    kvmpool(TEST, &["inventory", "--method", "fast"]).expect(2, "unknown method: usage");
    kvmpool(TEST, &["pool-define-as", "p", "warp"]).expect(2, "unknown type: usage");
    kvmpool(TEST, &["no-such-command"]).expect(2, "usage");
}

#[test]
fn a_stopped_pool_is_state() {
    let Some(env) = live("a_stopped_pool_is_state") else {
        return;
    };
    let dir = env.scratch("cli-state");
    let pool = unique("kvmc-state");
    let _gone = Gone {
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
    let run = kvmpool(&env.uri, &["vol-list", &pool]).expect(13, "vol-list of an inactive pool");
    assert!(run.stderr.contains("not active"), "{}", run.stderr);
}

#[test]
fn help_and_man_page_document_the_exit_statuses() {
    let help = std::process::Command::new(bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let man = std::process::Command::new(bin())
        .arg("man")
        .output()
        .unwrap();
    let man = String::from_utf8_lossy(&man.stdout);
    for (code, kind) in [
        (10, "InvalidSpec"),
        (11, "NotFound"),
        (12, "AlreadyExists"),
        (13, "State"),
        (14, "Busy"),
        (15, "Unsupported"),
        (16, "Connect"),
        (17, "Cancelled"),
        (18, "Io"),
        (19, "Libvirt"),
    ] {
        assert!(
            help.contains(&format!("{code:>3}  {kind}:")),
            "{kind} in --help"
        );
        assert!(
            man.contains(&format!("\\fB{code}\\fR\n{kind}:")),
            "{kind} in the man page"
        );
    }
    assert!(man.contains(".SH \"EXIT STATUS\""));
    assert!(
        man.contains("pool\\-define\\-as"),
        "subcommands in the man page"
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(bin())
            .args(["completions", shell])
            .output()
            .unwrap();
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && script.contains("vol-upload"),
            "{shell}"
        );
    }
}
