//! Name formatting and parsing throughput (see BENCHMARKS.md).

use std::hint::black_box;

use catalyst_naming::{
    AppName, Fqdn, LabelsBuilder, Location, ManagedBy, OrgSlug, QualifiedVcluster, ServerName,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn format(c: &mut Criterion) {
    let loc = Location::parse("hetzner", "fsn", "rtz", "prod").expect("valid");
    let org = OrgSlug::parse("acme-pharmacy").expect("valid");
    let app = AppName::parse("k8s").expect("valid");
    let sovereign = Fqdn::sovereign("t38.omani.works").expect("valid");
    let mut g = c.benchmark_group("format");
    g.bench_function("host_cluster", |b| b.iter(|| black_box(&loc).host_cluster()));
    g.bench_function("location_code", |b| b.iter(|| black_box(&loc).location_code()));
    g.bench_function("server", |b| {
        b.iter(|| black_box(&loc).server(black_box(&app), 1));
    });
    g.bench_function("vcluster_qualified", |b| {
        b.iter(|| black_box(&loc).vcluster_qualified(black_box(&org)));
    });
    g.bench_function("labels_11", |b| {
        b.iter(|| {
            LabelsBuilder::new()
                .location(loc.clone())
                .sovereign(sovereign.clone())
                .organization(org.clone())
                .application(app.clone())
                .managed_by(ManagedBy::Flux)
                .build()
        });
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.bench_function("host_cluster", |b| {
        b.iter(|| Location::from_host_cluster(black_box("hz-fsn-rtz-prod")));
    });
    g.bench_function("location_code", |b| {
        b.iter(|| Location::from_location_code(black_box("wprp")));
    });
    g.bench_function("server", |b| {
        b.iter(|| ServerName::parse(black_box("hzfsnr-k8s-1p")));
    });
    g.bench_function("vcluster_qualified", |b| {
        b.iter(|| QualifiedVcluster::parse(black_box("hz-hel-rtz-prod-acme-pharmacy")));
    });
    g.bench_function("org_slug", |b| {
        b.iter(|| OrgSlug::parse(black_box("acme-pharmacy")));
    });
    g.bench_function("org_slug_reserved", |b| {
        b.iter(|| OrgSlug::parse(black_box("kube-system")));
    });
    g.bench_function("sovereign_fqdn", |b| {
        b.iter(|| Fqdn::sovereign(black_box("t38.omani.works")));
    });
    g.finish();
}

criterion_group!(benches, format, parse);
criterion_main!(benches);
