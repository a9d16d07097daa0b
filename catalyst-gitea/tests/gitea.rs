//! The client against the Gitea-compatible test server on real git (GITEA-4 … GITEA-7), and
//! every exchange checked against Gitea's swagger.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use catalyst_gitea::{Client, GiteaError, Identity, NewOrg, NewRepo, Target, Token, Upsert, Visibility};
use catalyst_testkit::gitea::{ROUTES, TestServer, UNDOCUMENTED};
use serde_json::Value;

const TOKEN: &str = "test-token";

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("catalyst-gitea-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn author() -> Identity {
    Identity { name: "environment-controller".into(), email: "environment-controller@openova.io".into() }
}

async fn setup(tag: &str) -> (TestServer, Client) {
    let server = TestServer::start(&scratch(tag), TOKEN).await.unwrap();
    let client = Client::new(&format!("{}/api/v1", server.url()), Token::new(TOKEN)).unwrap();
    client.create_org("acme").await.unwrap();
    client.create_repo("acme", "acme-environment", "main").await.unwrap();
    (server, client)
}

const PATH: &str = "clusters/hz-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml";

#[tokio::test]
async fn create_unchanged_drift_and_conflict() {
    let (server, client) = setup("upsert").await;
    let who = author();
    let t = Target {
        owner: "acme",
        repo: "acme-environment",
        branch: "main",
        message: "render acme-prod",
        author: &who,
    };
    let commits = || server.commit_count("acme", "acme-environment", "main");
    assert_eq!(commits(), 1, "auto_init makes one commit");

    assert_eq!(client.upsert_file(&t, PATH, b"kind: GitRepository\n").await.unwrap(), Upsert::Created);
    assert_eq!(commits(), 2);
    assert_eq!(server.read_file("acme", "acme-environment", "main", PATH).unwrap(), b"kind: GitRepository\n");

    // Identical bytes: no write request, no commit.
    let writes_before = server.exchanges().iter().filter(|e| e.method != "GET").count();
    assert_eq!(client.upsert_file(&t, PATH, b"kind: GitRepository\n").await.unwrap(), Upsert::Unchanged);
    assert_eq!(commits(), 2);
    assert_eq!(server.exchanges().iter().filter(|e| e.method != "GET").count(), writes_before);

    // Drift: someone edited the file; the desired bytes win with exactly one commit.
    server.commit_file("acme", "acme-environment", "main", PATH, b"drifted\n").unwrap();
    assert_eq!(commits(), 3);
    assert_eq!(client.upsert_file(&t, PATH, b"kind: GitRepository\n").await.unwrap(), Upsert::Updated);
    assert_eq!(commits(), 4);

    // A change lands between our read and our write: Conflict, and the other change survives.
    server.change_before_next_write("acme", "acme-environment", PATH, b"their change\n");
    let err = client.upsert_file(&t, PATH, b"our change\n").await.unwrap_err();
    assert!(matches!(&err, GiteaError::Conflict { path, .. } if path == PATH), "{err:?}");
    assert!(err.to_string().contains("changed since it was read"), "{err}");
    assert_eq!(server.read_file("acme", "acme-environment", "main", PATH).unwrap(), b"their change\n");
    assert_eq!(commits(), 5, "only their commit");
}

#[tokio::test]
async fn multi_file_commit_only_when_needed() {
    let (server, client) = setup("multi").await;
    let who = author();
    let t =
        Target { owner: "acme", repo: "acme-environment", branch: "main", message: "render", author: &who };
    let files: [(&str, &[u8]); 3] = [("a/one.yaml", b"1"), ("b/two.yaml", b"2"), ("c d/three#.yaml", b"3")];
    let r = client.upsert_files(&t, &files).await.unwrap();
    assert!(r.iter().all(|(_, u)| *u == Upsert::Created), "{r:?}");
    assert_eq!(server.commit_count("acme", "acme-environment", "main"), 2, "three files, one commit");
    assert_eq!(server.read_file("acme", "acme-environment", "main", "c d/three#.yaml").unwrap(), b"3");

    let r = client.upsert_files(&t, &files).await.unwrap();
    assert!(r.iter().all(|(_, u)| *u == Upsert::Unchanged));
    assert_eq!(server.commit_count("acme", "acme-environment", "main"), 2, "nothing differs, no commit");

    let changed: [(&str, &[u8]); 3] =
        [("a/one.yaml", b"1"), ("b/two.yaml", b"22"), ("c d/three#.yaml", b"33")];
    let r = client.upsert_files(&t, &changed).await.unwrap();
    assert_eq!(
        r.iter().map(|(_, u)| *u).collect::<Vec<_>>(),
        [Upsert::Unchanged, Upsert::Updated, Upsert::Updated]
    );
    assert_eq!(server.commit_count("acme", "acme-environment", "main"), 3);
}

#[tokio::test]
async fn typed_errors() {
    let (server, client) = setup("errors").await;
    assert!(
        matches!(client.get_org("nobody").await.unwrap_err(), GiteaError::OrgNotFound { org } if org == "nobody")
    );
    assert!(matches!(client.get_repo("acme", "missing").await.unwrap_err(), GiteaError::RepoNotFound { .. }));
    assert!(matches!(
        client.get_file("acme", "missing", "main", "x").await.unwrap_err(),
        GiteaError::RepoNotFound { .. }
    ));
    assert!(matches!(
        client.get_file("acme", "acme-environment", "main", "nope.yaml").await.unwrap_err(),
        GiteaError::FileNotFound { .. }
    ));
    assert!(matches!(
        client.get_file("acme", "acme-environment", "main", "").await.unwrap_err(),
        GiteaError::InvalidArgument(_)
    ));
    let who = author();
    let t = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "m", author: &who };
    client.upsert_file(&t, "dir/file.yaml", b"x").await.unwrap();
    assert!(matches!(
        client.get_file("acme", "acme-environment", "main", "dir").await.unwrap_err(),
        GiteaError::NotAFile { .. }
    ));
    let anonymous = Client::new(&server.url(), Token::new("wrong")).unwrap();
    assert!(matches!(anonymous.get_org("acme").await.unwrap_err(), GiteaError::Unauthorized { .. }));
    let empty = Identity { name: String::new(), email: "x@y".into() };
    let bad = Target { author: &empty, ..t.clone() };
    assert!(matches!(client.upsert_file(&bad, "f", b"x").await.unwrap_err(), GiteaError::InvalidArgument(_)));
    assert!(matches!(
        client.create_org("acme").await.unwrap_err(),
        GiteaError::Validation { status: 422, .. }
    ));
}

#[tokio::test]
async fn branches_and_hooks() {
    let (_server, client) = setup("branches").await;
    let main = client.get_branch("acme", "acme-environment", "main").await.unwrap().unwrap();
    let develop = client.create_branch("acme", "acme-environment", "develop", "main").await.unwrap();
    assert_eq!(develop.commit.id, main.commit.id);
    assert!(client.get_branch("acme", "acme-environment", "nope").await.unwrap().is_none());
    let names: Vec<String> =
        client.branches("acme", "acme-environment").await.unwrap().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["develop", "main"]);
    client.protect_branch("acme", "acme-environment", "main").await.unwrap();
    let hook = client.create_hook("acme", "acme-environment", "http://127.0.0.1:9/hook").await.unwrap();
    assert!(hook.active);
    assert!(!client.set_hook_active("acme", "acme-environment", hook.id, false).await.unwrap().active);
    assert_eq!(client.hooks("acme", "acme-environment").await.unwrap().len(), 1);
    assert_eq!(client.version().await.unwrap(), "1.22.0");
}

// ---- The swagger check ----

fn swagger() -> Value {
    let text = std::fs::read_to_string(catalyst_testkit::fixture("gitea/swagger.v1.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut node = spec;
            for part in r.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            resolve(spec, node)
        }
        None => schema,
    }
}

/// Checks `value` against a swagger 2.0 schema: `$ref`, `type`, `required`, `properties`,
/// `items`. Returns every mismatch with its JSON path.
fn validate(spec: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if value.is_null() {
        return; // Gitea's schemas do not mark nullability; null is accepted everywhere.
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !ok {
        out.push(format!("{at}: expected {}, found {value}", schema["type"]));
        return;
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if value.get(r).is_none() {
                out.push(format!("{at}: missing required {r}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (schema.get("properties").and_then(Value::as_object), value.as_object())
    {
        for (k, v) in obj {
            match props.get(k) {
                Some(s) => validate(spec, s, v, &format!("{at}.{k}"), out),
                None => out.push(format!("{at}: {k} is not a property of the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(spec, items, v, &format!("{at}[{i}]"), out);
        }
    }
}

#[test]
fn every_route_served_exists_in_swagger() {
    let spec = swagger();
    for (method, route) in ROUTES {
        let op = &spec["paths"][route][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {route} is not in Gitea's swagger");
    }
}

#[tokio::test]
async fn every_exchange_matches_swagger() {
    // Drive every route through the client, including error answers.
    let (server, client) = setup("swagger").await;
    let who = author();
    let t = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "m", author: &who };
    client.upsert_file(&t, PATH, b"a").await.unwrap();
    client.upsert_file(&t, PATH, b"b").await.unwrap();
    server.change_before_next_write("acme", "acme-environment", PATH, b"theirs");
    let _ = client.upsert_file(&t, PATH, b"c").await;
    client.upsert_files(&t, &[("x.yaml", b"1"), (PATH, b"d")]).await.unwrap();
    assert!(client.delete_file(&t, "x.yaml").await.unwrap());
    assert!(!client.delete_file(&t, "x.yaml").await.unwrap());
    let _ = client.get_file("acme", "acme-environment", "main", "clusters").await;
    let _ = client.get_org("nobody").await;
    let _ = client.get_repo("acme", "missing").await;
    client.create_branch("acme", "acme-environment", "develop", "main").await.unwrap();
    client.branches("acme", "acme-environment").await.unwrap();
    client.get_branch("acme", "acme-environment", "develop").await.unwrap();
    client.protect_branch("acme", "acme-environment", "main").await.unwrap();
    let hook = client.create_hook("acme", "acme-environment", "http://127.0.0.1:9/h").await.unwrap();
    client.set_hook_active("acme", "acme-environment", hook.id, false).await.unwrap();
    client.hooks("acme", "acme-environment").await.unwrap();
    client.version().await.unwrap();
    client.ensure_org(&tenant_org("globex")).await.unwrap();
    client.ensure_org(&tenant_org("globex")).await.unwrap();
    client.ensure_repo(&tenant_repo("globex")).await.unwrap();
    let _ = client.ensure_repo(&tenant_repo("nobody")).await;
    client.list_org_repos("globex").await.unwrap();
    let _ = client.list_org_repos("nobody").await;
    client.ensure_branch("globex", "catalyst-tenant", "next", "main").await.unwrap();
    client.create_pull_request("globex", "catalyst-tenant", "next", "main", "t", "b").await.unwrap();
    client.create_pull_request("globex", "catalyst-tenant", "next", "main", "t", "b").await.unwrap();
    assert_eq!(client.current_user().await.unwrap(), catalyst_testkit::gitea::TOKEN_USER);
    assert_eq!(client.org_owners("globex").await.unwrap(), [catalyst_testkit::gitea::TOKEN_USER]);
    let _ = client.org_owners("nobody").await;
    client.delete_repo("acme", "acme-environment").await.unwrap();

    let spec = swagger();
    let exchanges = server.exchanges();
    let mut routes_seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for ex in &exchanges {
        routes_seen.insert((ex.method.clone(), ex.route));
        if UNDOCUMENTED.contains(&(ex.method.as_str(), ex.route)) {
            // Not in the swagger for this method: a server that follows it refuses the method.
            assert!(spec["paths"][ex.route].is_object(), "{} is not a swagger path", ex.route);
            assert!(spec["paths"][ex.route][ex.method.to_ascii_lowercase()].is_null());
            assert_eq!(ex.status, 405, "{} {}", ex.method, ex.route);
            continue;
        }
        let op = &spec["paths"][ex.route][ex.method.to_ascii_lowercase()];
        let at = format!("{} {} -> {}", ex.method, ex.route, ex.status);
        let Some(answer) = op["responses"].get(ex.status.to_string()) else {
            problems.push(format!("{at}: status not documented"));
            continue;
        };
        if let (Some(schema), Some(body)) = (resolve(&spec, answer).get("schema"), &ex.response) {
            match body {
                // The swagger types this route as one ContentsResponse; its description says a
                // directory answers a list of them, which is what Gitea sends.
                Value::Array(items) if ex.route == "/repos/{owner}/{repo}/contents/{filepath}" => {
                    for (i, item) in items.iter().enumerate() {
                        validate(&spec, schema, item, &format!("{at} response[{i}]"), &mut problems);
                    }
                }
                _ => validate(&spec, schema, body, &format!("{at} response"), &mut problems),
            }
        }
        if let (Some(req), Some(param)) =
            (&ex.request, op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["in"] == "body")))
        {
            validate(&spec, &param["schema"], req, &format!("{at} request"), &mut problems);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let all_routes: std::collections::BTreeSet<(String, &str)> =
        ROUTES.iter().map(|(m, r)| ((*m).to_owned(), *r)).collect();
    let all_routes: std::collections::BTreeSet<(String, &str)> =
        all_routes.into_iter().chain(UNDOCUMENTED.iter().map(|(m, r)| ((*m).to_owned(), *r))).collect();
    let missing: Vec<_> = all_routes.difference(&routes_seen).collect();
    assert!(missing.is_empty(), "routes never exercised: {missing:?}");
}

const CONTENTS: &str = "/repos/{owner}/{repo}/contents/{filepath}";

fn writes(server: &TestServer, method: &str, route: &str) -> usize {
    server.exchanges().iter().filter(|e| e.method == method && e.route == route).count()
}

/// Issue 16 §4: a write Gitea carried out but whose answer was lost is read back and
/// reported as what it was, never sent twice and never reported as a false conflict.
#[tokio::test]
async fn lost_answers_are_read_back_not_repeated() {
    let (server, client) = setup("lost").await;
    let who = author();
    let t = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "m", author: &who };
    let commits = || server.commit_count("acme", "acme-environment", "main");

    server.lose_next_answer("POST", CONTENTS);
    assert_eq!(client.upsert_file(&t, PATH, b"one").await.unwrap(), Upsert::Created);
    server.lose_next_answer("PUT", CONTENTS);
    assert_eq!(client.upsert_file(&t, PATH, b"two").await.unwrap(), Upsert::Updated);
    assert_eq!((commits(), writes(&server, "PUT", CONTENTS)), (3, 1), "one commit per write, no repeat");
    assert_eq!(server.read_file("acme", "acme-environment", "main", PATH).unwrap(), b"two");

    server.lose_next_answer("POST", "/repos/{owner}/{repo}/contents");
    let r = client.upsert_files(&t, &[("a.yaml", b"a"), (PATH, b"three")]).await.unwrap();
    assert_eq!(r, [("a.yaml".to_owned(), Upsert::Created), (PATH.to_owned(), Upsert::Updated)]);
    assert_eq!(commits(), 4);

    server.lose_next_answer("DELETE", CONTENTS);
    assert!(client.delete_file(&t, "a.yaml").await.unwrap());
    assert_eq!(commits(), 5);

    server.lose_next_answer("POST", "/repos/{owner}/{repo}/hooks");
    let hook = client.create_hook("acme", "acme-environment", "http://127.0.0.1:9/h").await.unwrap();
    assert_eq!(hook.config["url"], "http://127.0.0.1:9/h");
    assert_eq!(client.hooks("acme", "acme-environment").await.unwrap().len(), 1, "no second hook");

    server.lose_next_answer("POST", "/orgs");
    assert_eq!(client.create_org("beta").await.unwrap().username, "beta");
    assert_eq!(writes(&server, "POST", "/orgs"), 2, "acme's, and beta's once");

    // A lost answer while someone else changed the file is a conflict, not a success.
    server.lose_next_answer("PUT", CONTENTS);
    server.change_before_next_write("acme", "acme-environment", PATH, b"theirs");
    let err = client.upsert_file(&t, PATH, b"four").await.unwrap_err();
    assert!(matches!(err, GiteaError::Conflict { .. }), "{err}");
    assert_eq!(server.read_file("acme", "acme-environment", "main", PATH).unwrap(), b"theirs");
}

/// Issue 16 §3: `.` and `..` as an owner, repo or branch are refused before any request
/// (`..` would resolve `/api/v1/orgs/..` to another API path, token attached).
#[tokio::test]
async fn dot_segments_are_refused_before_any_request() {
    let (server, client) = setup("dots").await;
    let before = server.exchanges().len();
    let who = author();
    for (owner, repo, branch) in
        [("..", "r", "main"), ("acme", ".", "main"), ("acme", "acme-environment", "..")]
    {
        let t = Target { owner, repo, branch, message: "m", author: &who };
        let err = client.upsert_file(&t, PATH, b"x").await.unwrap_err();
        assert!(err.to_string().ends_with("'.' and '..' are not names"), "{err}");
    }
    assert!(matches!(client.get_org("..").await, Err(GiteaError::InvalidArgument(_))));
    assert!(client.create_org(".").await.is_err());
    assert_eq!(server.exchanges().len(), before, "no request was sent");
}

/// A server on loopback that answers every connection with `raw`, counting connections.
fn raw_server(raw: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&raw);
        }
    });
    (url, count)
}

/// Issue 16 §2: a redirect is never followed (the token would go with it); the error names
/// the Location. A server's message is cut to 512 characters, control characters removed.
#[tokio::test]
async fn redirects_are_not_followed_and_messages_are_cleaned() {
    let (target, reached) = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec());
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}/api/v1/version\r\nContent-Length: 0\r\n\r\n"
    );
    let (url, _) = raw_server(redirect.into_bytes());
    let client = Client::new(&url, Token::new(TOKEN)).unwrap();
    let err = client.version().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Gitea answered 307 to GET /version with a redirect to {target}/api/v1/version; redirects are not followed (the token would go with them): use the URL it points at as the base URL if you trust it"
        )
    );
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0, "the redirect target was contacted");

    let body = format!("{{\"message\": \"\\u001b[31mforged\\n{}\"}}", "m".repeat(3_000_000));
    let (url, _) = raw_server(
        format!("HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes(),
    );
    let err = Client::new(&url, Token::new(TOKEN)).unwrap().get_org("acme").await.unwrap_err();
    let GiteaError::Forbidden { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.chars().count() <= 512 && !message.chars().any(char::is_control), "{message:.60}");
    let body = "{\"message\": \"\\u001b[31mforged\\nerror: x\"}";
    let (url, _) = raw_server(
        format!("HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes(),
    );
    let err = Client::new(&url, Token::new(TOKEN)).unwrap().get_org("acme").await.unwrap_err();
    assert_eq!(err.to_string(), "Gitea forbids GET /orgs/acme (403):  [31mforged error: x");
}

/// Issue 17 §10: the client is configured through `Config` (`new` + `with_*`): attempts on a
/// 5xx and the response cap are the configuration's.
#[tokio::test]
async fn config_sets_attempts_and_the_response_cap() {
    let (url, connections) = raw_server(
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
    );
    let client =
        Client::from_config(&catalyst_gitea::Config::new(&url).with_attempts(1), Token::new(TOKEN)).unwrap();
    let err = client.get_org("acme").await.unwrap_err();
    assert!(matches!(err, GiteaError::Http { status: 503, .. }), "{err:?}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "one attempt only");

    let body = format!("{{\"version\": \"{}\"}}", "1".repeat(4096));
    let (url, _) =
        raw_server(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes());
    let small = catalyst_gitea::Config::new(&url).with_max_response(1024);
    let err = Client::from_config(&small, Token::new(TOKEN)).unwrap().version().await.unwrap_err();
    assert!(matches!(err, GiteaError::TooLarge { limit: 1024, .. }), "{err:?}");
}

// ---- Find-or-create (SPEC GITEA-8, GITEA-9) ----

fn tenant_org(name: &str) -> NewOrg<'_> {
    NewOrg {
        name,
        full_name: "Globex",
        description: "Catalyst Organization globex on Sovereign omantel.biz",
        visibility: Visibility::Private,
    }
}

fn tenant_repo(org: &str) -> NewRepo<'_> {
    NewRepo {
        org,
        name: "catalyst-tenant",
        description: "vCluster + tenant manifests reconciled by Flux on the host cluster",
        private: true,
        default_branch: "main",
    }
}

fn routes(server: &TestServer) -> Vec<String> {
    server.exchanges().iter().map(|e| format!("{} {} {}", e.method, e.route, e.status)).collect()
}

#[tokio::test]
async fn ensure_org_falls_back_from_admin_orgs_once_and_never_mutates() {
    let (server, client) = setup("ensure-org").await;
    let skip = server.exchanges().len();
    let made = client.ensure_org(&tenant_org("globex")).await.unwrap();
    assert!(made.created);
    assert_eq!(made.value.username, "globex");
    let org = server.org("globex").unwrap();
    assert_eq!(org["visibility"], "private");
    assert_eq!(org["description"], "Catalyst Organization globex on Sovereign omantel.biz");
    assert_eq!(org["full_name"], "Globex");
    // The next org goes straight to /orgs: the client remembers the server refused /admin/orgs.
    assert!(client.ensure_org(&tenant_org("initech")).await.unwrap().created);
    // An existing org is found, not changed: a different description sends no write.
    let other =
        NewOrg { description: "something else", visibility: Visibility::Public, ..tenant_org("acme") };
    assert!(!client.ensure_org(&other).await.unwrap().created);
    assert_eq!(
        routes(&server)[skip..],
        [
            "GET /orgs/{org} 404",
            "POST /admin/orgs 405",
            "POST /orgs 201",
            "GET /orgs/{org} 404",
            "POST /orgs 201",
            "GET /orgs/{org} 200",
        ]
    );
    assert_eq!(server.org("acme").unwrap()["description"], "");
}

#[tokio::test]
async fn ensure_org_uses_admin_orgs_where_it_is_served() {
    let (server, client) = setup("ensure-org-admin").await;
    server.serve_admin_orgs();
    let skip = server.exchanges().len();
    assert!(client.ensure_org(&tenant_org("globex")).await.unwrap().created);
    assert_eq!(routes(&server)[skip..], ["GET /orgs/{org} 404", "POST /admin/orgs 201"]);
    // An invalid name is Gitea's 422, reported as such (the re-read finds nothing).
    let err = client.ensure_org(&tenant_org("")).await.unwrap_err();
    assert!(matches!(err, GiteaError::InvalidArgument(_)), "{err}");
}

#[tokio::test]
async fn concurrent_ensures_create_once_and_both_succeed() {
    let (server, client) = setup("ensure-race").await;
    let (org, repo) = (tenant_org("globex"), tenant_repo("globex"));
    let (a, b) = tokio::join!(client.ensure_org(&org), client.ensure_org(&org));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.created ^ b.created, "exactly one call created the org");
    let (a, b) = tokio::join!(client.ensure_repo(&repo), client.ensure_repo(&repo));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.created ^ b.created, "exactly one call created the repository");
    assert_eq!(a.value.full_name, "globex/catalyst-tenant");
    assert_eq!(server.commit_count("globex", "catalyst-tenant", "main"), 1);
    // Ensuring again writes nothing.
    let writes_before = server.exchanges().iter().filter(|e| e.method != "GET").count();
    assert!(!client.ensure_repo(&tenant_repo("globex")).await.unwrap().created);
    assert!(!client.ensure_org(&tenant_org("globex")).await.unwrap().created);
    assert_eq!(server.exchanges().iter().filter(|e| e.method != "GET").count(), writes_before);
}

#[tokio::test]
async fn ensure_repo_in_a_missing_org_is_org_not_found() {
    let (_server, client) = setup("ensure-repo-missing").await;
    let err = client.ensure_repo(&tenant_repo("nobody")).await.unwrap_err();
    assert!(matches!(&err, GiteaError::OrgNotFound { org } if org == "nobody"), "{err}");
    assert!(err.is_not_found());
    assert!(!err.is_conflict());
    let err = client.list_org_repos("nobody").await.unwrap_err();
    assert!(matches!(&err, GiteaError::OrgNotFound { org } if org == "nobody"), "{err}");
}

#[tokio::test]
async fn list_org_repos_reads_every_page() {
    let (server, client) = setup("list-repos").await;
    for i in 0..52 {
        client.create_repo("acme", &format!("repo-{i:02}"), "main").await.unwrap();
    }
    let skip = server.exchanges().len();
    let repos = client.list_org_repos("acme").await.unwrap();
    assert_eq!(repos.len(), 53); // with acme-environment
    assert!(repos.iter().any(|r| r.name == "repo-51" && r.full_name == "acme/repo-51"));
    // 50 + 3: two pages, the second short.
    assert_eq!(routes(&server)[skip..], ["GET /orgs/{org}/repos 200", "GET /orgs/{org}/repos 200"]);
}

#[tokio::test]
async fn ensure_branch_and_pull_request_are_idempotent() {
    let (server, client) = setup("pulls").await;
    let main = client.get_branch("acme", "acme-environment", "main").await.unwrap().unwrap();
    let next = client.ensure_branch("acme", "acme-environment", "next", "main").await.unwrap();
    assert!(next.created);
    assert_eq!(next.value.commit.id, main.commit.id);
    assert!(!client.ensure_branch("acme", "acme-environment", "next", "main").await.unwrap().created);
    let err = client.ensure_branch("acme", "acme-environment", "x", "no-such-branch").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");

    let first = client
        .create_pull_request("acme", "acme-environment", "next", "main", "Render", "why")
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!((first.value.number, first.value.state.as_str()), (1, "open"));
    assert_eq!((first.value.head.branch.as_str(), first.value.base.branch.as_str()), ("next", "main"));
    let skip = server.exchanges().len();
    let again = client
        .create_pull_request("acme", "acme-environment", "next", "main", "Render", "why")
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.value, first.value);
    assert_eq!(
        routes(&server)[skip..],
        ["POST /repos/{owner}/{repo}/pulls 409", "GET /repos/{owner}/{repo}/pulls 200"]
    );
    // The conflict is typed for callers that open pull requests themselves.
    let err = client.create_pull_request("acme", "missing", "next", "main", "t", "b").await.unwrap_err();
    assert!(matches!(err, GiteaError::RepoNotFound { .. }), "{err}");
}

#[tokio::test]
async fn conflicts_are_typed() {
    let (server, client) = setup("is-conflict").await;
    let who = author();
    let t = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "m", author: &who };
    client.upsert_file(&t, PATH, b"a").await.unwrap();
    server.change_before_next_write("acme", "acme-environment", PATH, b"theirs");
    let err = client.upsert_file(&t, PATH, b"mine").await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert!(!err.is_not_found());
}

#[tokio::test]
async fn a_write_based_on_an_older_read_is_a_conflict() {
    let (server, client) = setup("expecting").await;
    let who = author();
    let t = Target { owner: "acme", repo: "acme-environment", branch: "main", message: "m", author: &who };
    client.upsert_file(&t, "index.yaml", b"- a\n").await.unwrap();
    let read = client.get_file("acme", "acme-environment", "main", "index.yaml").await.unwrap();
    // Someone adds an entry after our read; our merge of the old read must not land.
    server.commit_file("acme", "acme-environment", "main", "index.yaml", b"- a\n- theirs\n").unwrap();
    let commits = server.commit_count("acme", "acme-environment", "main");
    let err = client
        .upsert_files_expecting(
            &t,
            &[("index.yaml", b"- a\n- ours\n"), ("other.yaml", b"x")],
            &[("index.yaml", Some(&read.sha))],
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(server.commit_count("acme", "acme-environment", "main"), commits);
    // A file that was absent when read must still be absent.
    server.commit_file("acme", "acme-environment", "main", "new.yaml", b"theirs").unwrap();
    let err =
        client.upsert_files_expecting(&t, &[("new.yaml", b"ours")], &[("new.yaml", None)]).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    // What was read is what is there: written.
    let now = client.get_file("acme", "acme-environment", "main", "index.yaml").await.unwrap();
    let done = client
        .upsert_files_expecting(
            &t,
            &[("index.yaml", b"- a\n- ours\n- theirs\n")],
            &[("index.yaml", Some(&now.sha))],
        )
        .await
        .unwrap();
    assert_eq!(done, [("index.yaml".to_owned(), Upsert::Updated)]);
}

#[tokio::test]
async fn org_owners_name_who_controls_an_org() {
    let (server, client) = setup("owners").await;
    assert_eq!(client.org_owners("acme").await.unwrap(), ["catalyst-bot"]);
    server.set_org_owners("acme", &["mallory", "catalyst-bot"]);
    assert_eq!(client.org_owners("acme").await.unwrap(), ["mallory", "catalyst-bot"]);
    assert!(matches!(client.org_owners("nobody").await.unwrap_err(), GiteaError::OrgNotFound { .. }));
}
