//! Gives libkvmpool.so its SONAME, `libkvmpool.so.<ABI version>`, so that programs
//! linked against it load a compatible library (and `make install` lays out the usual
//! symlinks). The number is the one constant in src/abi.rs, also in the header.

include!("src/abi.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/abi.rs");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkvmpool.so.{KVMPOOL_ABI_VERSION}");
}
