/// The ABI version of this library: the number in its SONAME (`libkvmpool.so.1`). It
/// goes up with every change that breaks programs linked against an earlier library
/// (a function or struct changed or removed); additions keep it. Compare with the
/// SONAME of the library a program loads.
pub const KVMPOOL_ABI_VERSION: u32 = 1;
