//! `catalyst continuum lua` as a user runs it (SPEC DNS-19).

#![allow(clippy::unwrap_used)]

use catalyst_testkit::cli::text;

fn catalyst(args: &[&str]) -> std::process::Output {
    catalyst_testkit::catalyst_cli!().run(args)
}

/// The platform's two-region pair (SPEC DNS-19). Addresses are text only, never served.
const FILE: &str = r"apiVersion: dr.openova.io/v1
kind: Continuum
metadata: {name: web-dr, namespace: acme}
spec:
  applicationRef: web
  primaryRegion: hz-fsn-rtz-prod
  hotStandbyRegions: [hz-hel-rtz-prod]
  leaseClient: {kind: dns-quorum, config: {resolvers: [127.0.0.53, 127.0.0.54, 127.0.0.55]}}
  regions:
    - {name: hz-fsn-rtz-prod, lbIPs: [5.1.2.3, 5.1.2.4]}
    - {name: hz-hel-rtz-prod, lbIPs: [5.5.6.7]}
  luaRecord:
    selector: ifurlup
    ttl: 30
    hostnames: [web.example.com, api.example.com]
    healthCheck: {url: 'https://probe-fsn.example.com/healthz', intervalSeconds: 5, timeoutSeconds: 2}
";

fn write(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("catalyst-continuum-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("continuum.yaml");
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn pdm_format_prints_the_platforms_document_and_a_newline() {
    let path = write("pdm", FILE);
    let out = catalyst(&["continuum", "lua", path.to_str().unwrap(), "--format", "pdm"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.len(), 476, "475 bytes of the golden and a newline: {stdout}");
    assert!(stdout.starts_with(r#"{"records":[{"hostname":"api.example.com","luaBody":"ifurlup(\"https://probe-fsn.example.com/healthz\", {{\"5.1.2.3\", \"5.1.2.4\"}, {\"5.5.6.7\"}}"#), "{stdout}");
    // What a switchover to hel would commit.
    let out = catalyst(&[
        "continuum",
        "lua",
        path.to_str().unwrap(),
        "--format",
        "pdm",
        "--primary-region",
        "hz-hel-rtz-prod",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.len(), 476);
    assert!(stdout.contains(r#"ifurlup(\"https://probe-hel.example.com/healthz\", {{\"5.5.6.7\"}, {\"5.1.2.3\", \"5.1.2.4\"}}"#), "{stdout}");
    // Text: zone-file lines.
    let out = catalyst(&["continuum", "lua", path.to_str().unwrap()]);
    assert_eq!(
        text(&out.stdout).lines().next().unwrap(),
        // The servable record content: single-quoted Lua strings (see ContinuumRecord::content).
        r#"api.example.com. 30 IN LUA A "ifurlup('https://probe-fsn.example.com/healthz', {{'5.1.2.3', '5.1.2.4'}, {'5.5.6.7'}}, {selector='pickfirst', interval=5, timeout=2})""#
    );
}

#[test]
fn application_hostnames_and_errors() {
    let with_app = FILE.replace("    hostnames: [web.example.com, api.example.com]\n", "")
        + "---\napiVersion: catalyst.openova.io/v1\nkind: Application\nmetadata: {name: web, namespace: acme}\nspec:\n  routes: [{hostnames: [shop.example.com]}]\n";
    let path = write("app", &with_app);
    let out = catalyst(&["continuum", "lua", path.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["hostname"], "shop.example.com");
    // A primary that is not a region: exit 1 naming it.
    let out = catalyst(&["continuum", "lua", path.to_str().unwrap(), "--primary-region", "hz-nbg-rtz-prod"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).ends_with(": UnknownRegion: primary region \"hz-nbg-rtz-prod\" is not one of the regions (hz-fsn-rtz-prod, hz-hel-rtz-prod)\n"), "{}", text(&out.stderr));
    // The platform's CRD allows selector pickfirst; as a function name it cannot work.
    let path = write("sel", &FILE.replace("selector: ifurlup", "selector: pickfirst"));
    let out = catalyst(&["continuum", "lua", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("selector \"pickfirst\" is not a PowerDNS lua function"),
        "{}",
        text(&out.stderr)
    );
    let out = catalyst(&["continuum", "lua", "/nonexistent.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
