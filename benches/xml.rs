//! Typed XML parse + format of libvirt's corpus against quick-xml tokenising alone
//! (the floor). Run with `cargo bench --bench xml`; `benches/run.sh` folds the numbers
//! into benches/results/latest.md.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kvmpool::{PoolSpec, VolumeSpec};
use quick_xml::events::Event;
use quick_xml::Reader;

fn corpus() -> Vec<(bool, String)> {
    let dir = std::env::var("KVMPOOL_XML_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/libvirt-xml-corpus")
        });
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

fn tokenize(doc: &str) -> usize {
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

fn typed(is_pool: bool, doc: &str) -> usize {
    if is_pool {
        PoolSpec::from_xml(doc).unwrap().to_xml().len()
    } else {
        VolumeSpec::from_xml(doc).unwrap().to_xml().len()
    }
}

fn bench(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(|(_, d)| d.len()).sum();
    let mut group = c.benchmark_group("xml_corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("quick_xml_tokenize", |b| {
        b.iter(|| docs.iter().map(|(_, d)| tokenize(d)).sum::<usize>())
    });
    group.bench_function("kvmpool_parse_format", |b| {
        b.iter(|| docs.iter().map(|(p, d)| typed(*p, d)).sum::<usize>())
    });
    if std::env::var_os("KVMPOOL_BENCH_DETAIL").is_some() {
        let pools: Vec<PoolSpec> = docs
            .iter()
            .filter(|(p, _)| *p)
            .map(|(_, d)| PoolSpec::from_xml(d).unwrap())
            .collect();
        let vols: Vec<VolumeSpec> = docs
            .iter()
            .filter(|(p, _)| !*p)
            .map(|(_, d)| VolumeSpec::from_xml(d).unwrap())
            .collect();
        group.bench_function("kvmpool_parse_only", |b| {
            b.iter(|| {
                docs.iter()
                    .map(|(p, d)| {
                        if *p {
                            PoolSpec::from_xml(d).is_ok() as usize
                        } else {
                            VolumeSpec::from_xml(d).is_ok() as usize
                        }
                    })
                    .sum::<usize>()
            })
        });
        group.bench_function("kvmpool_format_only", |b| {
            b.iter(|| {
                pools.iter().map(|p| p.to_xml().len()).sum::<usize>()
                    + vols.iter().map(|v| v.to_xml().len()).sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
