//! Pull of a signed 10 MiB Blueprint artifact from a loopback docker-registry: the SDK's
//! verified pull, its unverified pull, and `skopeo copy` of the same artifact to an OCI
//! layout (see BENCHMARKS.md). Needs `docker-registry`, `skopeo` and `openssl`:
//! `cargo bench -p catalyst-blueprint --features oci --bench oci_pull`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::Command;

use catalyst_blueprint::artifact::{ArtifactRef, Package};
use catalyst_blueprint::oci::{PublicKey, Registry, RegistryOptions, SigningKey, Verification};
use catalyst_testkit::registry::TestRegistry;
use criterion::{Criterion, criterion_group, criterion_main};

const SIZE: usize = 10 * 1024 * 1024;

/// 10 MiB that gzip cannot shrink (xorshift), so the layer is ~10 MiB on the wire.
fn noise() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..SIZE / 8)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()
        })
        .collect()
}

fn blueprint(dir: &Path) {
    fs::create_dir_all(dir.join("chart/files")).unwrap();
    fs::write(
        dir.join("blueprint.yaml"),
        "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-big}\nspec: {version: 1.0.0, card: {title: Big}, visibility: listed}\n",
    )
    .unwrap();
    fs::write(dir.join("chart/Chart.yaml"), "apiVersion: v2\nname: big\nversion: 1.0.0\n").unwrap();
    fs::write(dir.join("chart/files/noise.bin"), noise()).unwrap();
}

fn bench(c: &mut Criterion) {
    let reg = TestRegistry::start().expect("docker-registry");
    let tmp = tempfile::tempdir().unwrap();
    let keys = catalyst_testkit::registry::Keys::new(&["k"]);
    let signing = SigningKey::from_pem(&keys.read("k.key"), None, "k.key").unwrap();
    let public = PublicKey::from_pem(&keys.read("k.pub"), "k.pub").unwrap();

    blueprint(&tmp.path().join("src"));
    let package = Package::from_path(&tmp.path().join("src"), None).unwrap();
    let target: ArtifactRef = format!("{}/openova-io/bp-big:1.0.0", reg.host()).parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Registry::new(RegistryOptions::new().with_plain_http(true));
    let digest = rt.block_on(client.push(&package, &target)).unwrap();
    rt.block_on(client.sign(&target, &digest, &signing)).unwrap();
    eprintln!("layer {} bytes, manifest {digest}", package.layer.len());

    let mut group = c.benchmark_group("pull_10mib");
    group.sample_size(20);
    let verify = Verification::Keys(vec![public]);
    let mut n = 0u64;
    let mut out = || {
        n += 1;
        let dir = tmp.path().join(format!("out-{n}"));
        let _ = fs::remove_dir_all(tmp.path().join(format!("out-{}", n - 1)));
        dir
    };
    group.bench_function("sdk_pull_verify_unpack", |b| {
        b.iter(|| rt.block_on(client.pull(&target, &verify, &out())).unwrap());
    });
    group.bench_function("sdk_pull_unverified_unpack", |b| {
        b.iter(|| rt.block_on(client.pull(&target, &Verification::InsecureSkip, &out())).unwrap());
    });
    group.bench_function("skopeo_copy_to_oci_layout", |b| {
        b.iter(|| {
            let dir = out();
            let o = Command::new("skopeo")
                .args(["copy", "--quiet", "--src-tls-verify=false"])
                .arg(format!("docker://{target}"))
                .arg(format!("oci:{}:1.0.0", dir.display()))
                .output()
                .expect("skopeo is installed (apt-get install skopeo)");
            assert!(o.status.success(), "skopeo: {}", String::from_utf8_lossy(&o.stderr));
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
