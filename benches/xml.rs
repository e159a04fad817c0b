//! Typed XML parse + format of libvirt's corpus against quick-xml tokenising alone
//! (the floor). Run with `cargo bench --bench xml`; `benches/run.sh` folds the numbers
//! into benches/results/latest.md.

mod common;

use common::{corpus, tokenize, typed};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kvmpool::{PoolSpec, VolumeSpec};

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
