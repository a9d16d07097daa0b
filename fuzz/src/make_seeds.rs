//! Writes the hostile inputs of issue 16 (large, deep, hostile) and grammar-aware seeds for
//! `when` and lua into `fuzz/corpus/<target>/`, so every fuzz run starts from them:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --bin make_seeds
//! cargo +nightly fuzz run constraints -- -max_total_time=600
//! ```

use std::io::Write as _;
use std::path::Path;

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
}

fn when_seeds() -> Vec<(String, String)> {
    let mut out = vec![
        ("eq".into(), "{{ .config.database.mode == 'managed' }}".into()),
        ("and-not".into(), "{{ .config.a && !.application.ha }}".into()),
        ("or-paren".into(), "{{ (.config.a || .config.b) && .config.c != \"x\" }}".into()),
        ("numbers".into(), "{{ .config.replicas == 3 || .config.size == -1.5 }}".into()),
        ("bools".into(), "{{ true && !false }}".into()),
        ("escaped".into(), r"{{ .config.name == 'it\'s' }}".into()),
    ];
    out.push(("300k-terms".into(), format!("{{{{ {} }}}}", vec!["1"; 300_000].join("||"))));
    out.push(("257-operands".into(), format!("{{{{ {} }}}}", vec!["true"; 257].join(" || "))));
    out.push(("deep-parens".into(), format!("{{{{ {}.config.a{} }}}}", "(".repeat(2000), ")".repeat(2000))));
    out.push(("not-chain".into(), format!("{{{{ {}true }}}}", "!".repeat(5000))));
    out
}

fn lua_seeds() -> Vec<(String, String)> {
    let doc = [
        ("ifurlup-all", "A \"ifurlup('https://primary.example.com/healthz', {'127.0.0.18', '127.0.0.42'}, {selector='all'})\""),
        ("pickclosest", "A \"pickclosest({'127.0.0.18', '127.0.0.42'})\""),
        ("ifurlup-pools", "A \"ifurlup('https://primary.example.com/healthz', {{'127.0.0.18'}, {'127.0.0.42'}}, {selector='pickclosest'})\""),
        ("ifportup", "A \"ifportup(587, {'127.0.0.18', '127.0.0.42'})\""),
        ("pickwhashed", "A \"pickwhashed({{80, '127.0.0.18'}, {20, '127.0.0.42'}})\""),
        ("continuum", "A \"ifurlup(\\\"https://probe-fsn.example.com/healthz\\\", {{\\\"127.0.0.3\\\", \\\"127.0.0.4\\\"}, {\\\"127.0.0.7\\\"}}, {selector=\\\"pickfirst\\\", interval=5, timeout=2})\""),
        ("chunk", "A \";return pickrandom({'127.0.0.1', '127.0.0.2'})\""),
        ("backend-form", "A \"ifurlup('http://127.0.0.1/', {'A 127.0.0.1'})\""),
        ("while", "A \";while true do end\""),
        ("os-execute", "A \";os.execute('id') return '127.0.0.1'\""),
        ("metadata", "A \"ifurlup('http://169.254.169.254/latest/meta-data/', {'169.254.169.254'})\""),
        ("selector", "A \"ifurlup('http://127.0.0.1/', {'127.0.0.1'}, {selector='bogus'})\""),
    ];
    let mut out: Vec<(String, String)> = doc.iter().map(|(n, c)| ((*n).to_owned(), (*c).to_owned())).collect();
    out.push(("2000-parens".into(), format!("A \"pickrandom({}'127.0.0.1'{})\"", "(".repeat(2000), ")".repeat(2000))));
    out.push(("2000-tables".into(), format!("A \"pickrandom({}'127.0.0.1'{})\"", "{".repeat(2000), "}".repeat(2000))));
    out.push(("concat-chain".into(), format!("TXT \"{}'x'\"", "'x' .. ".repeat(5000))));
    out.push(("unary-chain".into(), format!("A \"pickrandom({{{}1}})\"", "- ".repeat(5000))));
    out
}

fn tgz(raw_tar: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(raw_tar).expect("gzip");
    gz.finish().expect("gzip")
}

fn tar_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, declared: u64, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(declared);
    h.set_mode(0o644);
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
}

fn main() {
    // Sigstore: every conformance bundle and trusted root, and the public-good root.
    let sigstore = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/sigstore");
    if let Ok(cases) = std::fs::read_dir(sigstore.join("conformance")) {
        for case in cases.flatten() {
            let name = case.file_name().to_string_lossy().into_owned();
            for (file, tag) in [("bundle.sigstore.json", "bundle"), ("trusted_root.json", "root")] {
                if let Ok(bytes) = std::fs::read(case.path().join(file)) {
                    put("sigstore_bundle", &format!("{tag}-{name}"), &bytes);
                }
            }
        }
    }
    if let Ok(bytes) = std::fs::read(sigstore.join("trusted_root/public-good.json")) {
        put("sigstore_bundle", "root-public-good", &bytes);
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    put("sigstore_bundle", "deep-json", deep.as_bytes());

    for (name, w) in when_seeds() {
        put("constraints", &format!("when-{name}"), w.as_bytes());
        let bp = format!(
            "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {{name: bp-app}}\nspec:\n  version: 1.0.0\n  visibility: listed\n  card: {{title: App}}\n  depends:\n    - {{blueprint: bp-db, when: \"{}\"}}\n",
            w.replace('"', "\\\"")
        );
        put("blueprint_yaml", &format!("when-{name}"), bp.as_bytes());
    }
    put("constraints", "20k-alternatives", vec!["1.0.0"; 20_000].join("||").as_bytes());
    put("constraints", "caret", b"^1.4 || ~2.0, >=3.0.0-rc.1 <4");

    for (name, lua) in lua_seeds() {
        put("dns_desired", &format!("lua-{name}"), lua.as_bytes());
        let file = format!(
            "owner: seed\nzones:\n  - name: lua.test\n    records:\n      - {{name: a, type: LUA, ttl: 30, content: {}}}\n",
            serde_json::to_string(&lua).expect("json string")
        );
        put("dns_desired", &format!("file-{name}"), file.as_bytes());
    }

    // PowerDNS zone answers: many sets of several owners, the legacy marker, deep nesting.
    let mut rrsets = Vec::new();
    for i in 0..20_000 {
        let owner = match i % 4 {
            0 => "managed-by: catalyst".to_owned(),
            1 => format!("managed-by: catalyst; owner: t{}.omani.test", i % 7),
            2 => "managed-by: catalyst; owner: fuzz".to_owned(),
            _ => "by hand".to_owned(),
        };
        rrsets.push(serde_json::json!({"name": format!("h{i}.z.test."), "type": "A", "ttl": 60,
            "records": [{"content": format!("127.0.{}.{}", i / 250 % 250, i % 250 + 1), "disabled": i % 13 == 0}],
            "comments": [{"content": owner, "account": "catalyst"}]}));
    }
    rrsets.push(serde_json::json!({"name": "a.z.test.", "type": "A", "ttl": 60, "records": [{"content": "127.0.0.9", "disabled": false}], "comments": [{"content": "managed-by: catalyst; owner: other", "account": "catalyst"}]}));
    put("pdns_zone", "20k-sets", serde_json::to_vec(&serde_json::json!({"name": "z.test.", "rrsets": rrsets})).expect("json").as_slice());
    put("pdns_zone", "small", br#"{"name":"z.test.","rrsets":[{"name":"a.z.test.","type":"A","ttl":60,"records":[{"content":"127.0.0.1","disabled":false}],"comments":[{"content":"managed-by: catalyst; owner: fuzz","account":"catalyst"}]},{"name":"gone.z.test.","type":"A","ttl":60,"records":[],"comments":[{"content":"managed-by: catalyst; owner: fuzz","account":"catalyst"}]}]}"#);
    put("pdns_zone", "deep", format!("{{\"rrsets\": {}{}}}", "[".repeat(5000), "]".repeat(5000)).as_bytes());
    put("pdns_zone", "huge-error", format!("{{\"error\": \"{}\"}}", "A".repeat(1 << 20)).as_bytes());

    // Kubeconfigs: what runs commands or reads files, what kube panics on, deep and huge YAML.
    let kc = |user: &str| {
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:6443'}}\ncontexts:\n- {{name: c, context: {{cluster: c, user: u}}}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n{user}\n")
    };
    put("kubeconfig_dir", "token", kc("    token: abc").as_bytes());
    put("kubeconfig_dir", "exec", kc("    exec: {apiVersion: client.authentication.k8s.io/v1, command: touch, args: [/tmp/catalyst-fuzz-exec-ran], interactiveMode: Never}").as_bytes());
    put("kubeconfig_dir", "auth-provider", kc("    auth-provider: {name: gcp, config: {cmd-path: /bin/sh}}").as_bytes());
    put("kubeconfig_dir", "token-file", kc("    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token").as_bytes());
    put("kubeconfig_dir", "cert-paths", kc("    client-certificate: /etc/c.pem\n    client-key: /etc/k.pem").as_bytes());
    put("kubeconfig_dir", "bad-token", kc("    token: \"a\\u0001b\"").as_bytes());
    put("kubeconfig_dir", "insecure", b"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true}\ncontexts:\n- {name: c, context: {cluster: c, user: u}}\ncurrent-context: c\nusers:\n- {name: u, user: {token: t}}\n");
    put("kubeconfig_dir", "deep", format!("users: {}{}", "[".repeat(20_000), "]".repeat(20_000)).as_bytes());
    put("kubeconfig_dir", "huge", vec![b'#'; 2 * 1024 * 1024].as_slice());
    put("kubeconfig_dir", "multi-doc", format!("{}---\n{}", kc("    token: one"), kc("    token: two")).as_bytes());

    // Archives: a PAX header that really is 1 MiB, a GNU long name declared at 1 GiB, and a
    // stream bomb (8 MiB of directory "data" in a few KiB).
    let chart = b"apiVersion: v2\nname: x\nversion: 1.0.0\n";
    let mut t = Vec::new();
    let body = format!(" comment={}\n", "x".repeat(1 << 20));
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    let record = format!("{len}{body}");
    tar_entry(&mut t, "pax", tar::EntryType::XHeader, record.len() as u64, record.as_bytes());
    tar_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, chart.len() as u64, chart);
    t.extend_from_slice(&[0; 1024]);
    put("oci_formats", "pax-1mib", &tgz(&t));
    let mut t = Vec::new();
    tar_entry(&mut t, "././@LongLink", tar::EntryType::GNULongName, 1 << 30, &[b'a'; 4096]);
    put("oci_formats", "gnu-longname-1gib", &tgz(&t));
    let mut t = Vec::new();
    tar_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, chart.len() as u64, chart);
    tar_entry(&mut t, "x/dir/", tar::EntryType::Directory, 8 << 20, &vec![0u8; 8 << 20]);
    t.extend_from_slice(&[0; 1024]);
    put("oci_formats", "stream-bomb", &tgz(&t));
    let mut t = Vec::new();
    tar_entry(&mut t, "x/Chart.yaml", tar::EntryType::Regular, chart.len() as u64, chart);
    tar_entry(&mut t, "x/../../evil", tar::EntryType::Regular, 1, b"x");
    t.extend_from_slice(&[0; 1024]);
    put("oci_formats", "traversal", &tgz(&t));
    put("oci_formats", "manifest-600mb-claim", br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":629145600},"layers":[]}"#);
    // Applications with their parents: each posture, a vCluster, a configSchema, hostile text.
    let parents = "---\napiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod}\nspec: {organizationRef: acme, envType: prod}\n---\napiVersion: orgs.openova.io/v1\nkind: Organization\nmetadata: {name: acme}\n---\napiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-wordpress}\nspec:\n  manifests: {chart: ./chart, values: {image: 'wordpress:6.4'}}\n  placementSchema: {vcluster: mgmt}\n  configSchema: {type: object, properties: {replicas: {type: integer}}}\n";
    for (name, placement, regions, params) in [
        ("single", "single-region", "[fsn]", "{replicas: 2}"),
        ("active-active", "active-active", "[nbg, fsn]", "{}"),
        ("hot-standby", "active-hotstandby", "[fsn, nbg]", "{replicas: 3, note: \"a\\nb: c\"}"),
        ("hostile", "active_passive", "[fsn, nbg]", "{'k: v': '|', list: [[], {}, \"\\n\"], 'x': '- y'}"),
    ] {
        let app = format!(
            "apiVersion: apps.openova.io/v1\nkind: Application\nmetadata: {{name: site, namespace: acme, uid: u, generation: 2}}\nspec:\n  environmentRef: acme-prod\n  blueprintRef: {{name: bp-wordpress, version: 1.2.3}}\n  placement: {placement}\n  regions: {regions}\n  parameters: {params}\n{parents}"
        );
        put("application_render", name, app.as_bytes());
    }
    for (name, plan, display, index) in [
        ("m-capped", "m", "Acme", ""),
        ("flexi", "flexi", "Acme \\\"Bank\\\"", "resources:\n  - ciliumnetworkpolicy.yaml\n  - extra.yaml\n"),
        ("xl-grow", "xl", "Line\\nbreak", "- kustomization.yaml\n"),
    ] {
        let org = format!(
            "{index}\n%%\napiVersion: orgs.openova.io/v1\nkind: Organization\nmetadata: {{name: acme}}\nspec:\n  slug: acme\n  displayName: \"{display}\"\n  kind: customer\n  tier: org\n  planSlug: {plan}\n  billingMode: real\n  sovereignRef: x.example\n  owners: [{{email: ops@acme.example, role: owner}}]\n  commerce: {{overageMode: grow, growCeiling: {{vcpu: 2.5, memoryGB: 5}}}}\n"
        );
        put("tenant_render", name, org.as_bytes());
    }
    for (name, ua) in [
        ("legacy", "apiVersion: access.openova.io/v1alpha1\nkind: UserAccess\nmetadata: {name: alice, uid: u}\nspec:\n  user: {keycloakSubject: a, keycloakGroups: [/g]}\n  sovereignRef: acme\n  applications: [{app: acme, role: admin, namespaces: [a, '*'], vClusters: [v]}]\n"),
        ("tier", "apiVersion: access.openova.io/v1alpha1\nkind: UserAccess\nmetadata: {name: dave, uid: u, labels: {catalyst.openova.io/tier: developer}}\nspec:\n  user: {keycloakSubject: d}\n  sovereignRef: acme\n  tierRoleRef: openova:tier-developer\n  scopes: [{key: openova.io/env-type, value: dev}, {labelKey: '*', labelValue: acme}]\n%%\napiVersion: v1\nkind: Namespace\nmetadata: {name: acme-dev, labels: {openova.io/env-type: dev, x: acme}}\n"),
    ] {
        put("useraccess", name, ua.as_bytes());
    }
    for (name, bp) in [
        ("listed", "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-shop, labels: {a: b}, annotations: {kubectl.kubernetes.io/last-applied-configuration: x}}\nspec: {version: 1.4.0, visibility: listed, card: {title: Shop}, depends: [{blueprint: bp-postgres, version: ^16}]}\nstatus: {ociDigest: 'sha256:abc', publishedAt: x}\n"),
        ("private", "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata: {name: bp-secret}\nspec: {version: 0.1.0, visibility: private}\n"),
        ("invalid", "apiVersion: catalyst.openova.io/v1\nkind: Blueprint\nmetadata: {name: bp-x}\nspec: {version: '1', placementSchema: {modes: [round-robin]}}\n"),
    ] {
        put("catalog_mirror", name, bp.as_bytes());
    }
    println!("seeds written under {}/corpus", env!("CARGO_MANIFEST_DIR"));
}
