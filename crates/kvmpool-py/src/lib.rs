//! Python bindings for kvmpool (placeholder until the bindings land).
