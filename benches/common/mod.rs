//! What the XML benches share: the corpus and the two ways of reading it. A directory
//! module so that cargo does not take it for a bench target of its own.

use std::path::{Path, PathBuf};

use kvmpool::{PoolSpec, VolumeSpec};
use quick_xml::events::Event;
use quick_xml::Reader;

/// `$KVMPOOL_XML_CORPUS`, else `../shared/libvirt-xml-corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    std::env::var("KVMPOOL_XML_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/libvirt-xml-corpus")
        })
}

/// Every corpus document as `(is_pool, text)`, pools first, in file-name order.
pub fn corpus() -> Vec<(bool, String)> {
    let dir = corpus_dir();
    let mut docs = Vec::new();
    for (sub, is_pool) in [
        ("pool-in", true),
        ("pool-out", true),
        ("vol-in", false),
        ("vol-out", false),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            docs.push((is_pool, std::fs::read_to_string(f).unwrap()));
        }
    }
    docs
}

/// Every event and attribute of `doc`, read and dropped: the floor for any typed parser.
pub fn tokenize(doc: &str) -> usize {
    let mut reader = Reader::from_str(doc);
    let mut n = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => return n,
            Event::Start(e) | Event::Empty(e) => {
                n += e.attributes().count();
            }
            _ => n += 1,
        }
    }
}

/// Typed parse and format of one document; the length keeps the work from being elided.
pub fn typed(is_pool: bool, doc: &str) -> usize {
    if is_pool {
        PoolSpec::from_xml(doc).unwrap().to_xml().len()
    } else {
        VolumeSpec::from_xml(doc).unwrap().to_xml().len()
    }
}
