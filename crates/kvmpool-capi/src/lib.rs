//! C ABI for kvmpool (placeholder until the C API lands).
