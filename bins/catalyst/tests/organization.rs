//! `catalyst organization render` as a user runs it (SPEC CTRL-1).

#![allow(clippy::unwrap_used)]

use catalyst_testkit::cli::{json, stderr, stdout};

const FILE: &str = r"apiVersion: orgs.openova.io/v1
kind: Organization
metadata: {name: acme}
spec:
  slug: acme
  displayName: Acme
  kind: customer
  tier: org
  planSlug: m
  billingMode: real
  sovereignRef: x.example
  owners: [{email: ops@acme.example, role: owner}]
";

fn write(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("catalyst-organization-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("organization.yaml");
    std::fs::write(&path, content).unwrap();
    path
}

fn catalyst() -> catalyst_testkit::cli::Cli {
    catalyst_testkit::catalyst_cli!().env("CATALYST_HOST_CLUSTER", "hz")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(catalyst_testkit::fixture(&format!("openova/organization/{name}"))).unwrap()
}

#[test]
fn render_prints_the_tenant_repository() {
    let path = write("json", FILE);
    let out = catalyst().run(&["organization", "render", path.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 11);
    let content =
        |p: &str| files.iter().find(|f| f["path"] == p).unwrap()["content"].as_str().unwrap().to_owned();
    let capped = |s: String| {
        s.replace("#   overage mode: capped\n", "").replace("    openova.io/overage-mode: \"capped\"\n", "")
    };
    assert_eq!(capped(content("vcluster/resourcequota.yaml")), fixture("m-resourcequota.yaml"));
    assert_eq!(capped(content("vcluster/limitrange.yaml")), fixture("m-limitrange.yaml"));
    assert!(content("vcluster/vcluster.yaml").contains("      version: \"0.33.*\"\n"));

    let text = catalyst().env("CATALYST_VCLUSTER_CHART_VERSION", "0.34.1").run(&[
        "organization",
        "render",
        path.to_str().unwrap(),
    ]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert_eq!(text.lines().filter(|l| l.starts_with("==> ")).count(), 11);
    assert!(text.contains("==> vcluster/vcluster.yaml <==\napiVersion: helm.toolkit.fluxcd.io/v2\n"));
    assert!(text.contains("      version: \"0.34.1\"\n"));
}

#[test]
fn bad_input_names_what_is_wrong() {
    let path = write("bad", &FILE.replace("metadata: {name: acme}", "metadata: {name: acme-corp}"));
    let out = catalyst().run(&["organization", "render", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "Organization acme-corp: SlugMetadataMismatch: spec.slug=\"acme\" != metadata.name=\"acme-corp\" (CRs are immutable on slug after admission)"
        ),
        "{}",
        stderr(&out)
    );
    // An unknown plan is plan s, as the platform sizes it, with a warning.
    let path = write("plan", &FILE.replace("planSlug: m", "planSlug: huge"));
    let out = catalyst().run(&["organization", "render", path.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: ")
            && stderr(&out).contains("spec.planSlug: \"huge\" is not a plan; sized as plan s"),
        "{}",
        stderr(&out)
    );
    let rq = json(&out)["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "vcluster/resourcequota.yaml")
        .unwrap()["content"]
        .clone();
    assert!(rq.as_str().unwrap().contains("    limits.cpu: \"7050m\"\n"));
    let path =
        write("owners", &FILE.replace("owners: [{email: ops@acme.example, role: owner}]", "owners: ops"));
    let out = catalyst().run(&["organization", "render", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Organization: spec.owners: invalid type: string \"ops\", expected a sequence"),
        "{}",
        stderr(&out)
    );

    let path = write("ok", FILE);
    let out =
        catalyst().unset("CATALYST_HOST_CLUSTER").run(&["organization", "render", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("CATALYST_HOST_CLUSTER is required"), "{}", stderr(&out));
    let out = catalyst().env("CATALYST_VCLUSTER_IMAGE_REGISTRY", "evil\n  x: 1").run(&[
        "organization",
        "render",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("CATALYST_VCLUSTER_IMAGE_REGISTRY="), "{}", stderr(&out));
    let out = catalyst().run(&["organization", "render", "/nonexistent/org.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/org.yaml: no such file"), "{}", stderr(&out));
}
