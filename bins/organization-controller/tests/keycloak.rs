//! The Keycloak admin REST client against the stand-in (every request checked against the
//! admin API) and against hostile servers: wrong credentials, redirects, huge answers.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use catalyst_testkit::keycloak::Keycloak;
use organization_controller::keycloak::{ClientSecret, GroupDirectory, KeycloakAdmin, KeycloakError};
use serde_json::json;

fn admin(url: &str, secret: &str) -> KeycloakAdmin {
    KeycloakAdmin::new(
        url,
        "sovereign",
        "organization-controller",
        ClientSecret::new(secret),
        Duration::from_secs(2),
    )
    .unwrap()
}

#[tokio::test]
async fn ensure_creates_then_finds_and_updates_only_differences() {
    let kc = Keycloak::start("sovereign", "organization-controller", "s3cret").await;
    let client = admin(&kc.url(), "s3cret");
    let made = client.ensure_group("acme", "org").await.unwrap();
    assert_eq!((made.path.as_str(), made.realm.as_str()), ("/acme", "sovereign"));
    assert_eq!(kc.group("acme").unwrap()["id"], made.id.as_str());
    let again = client.ensure_group("acme", "org").await.unwrap();
    assert_eq!(again, made);
    let changed = client.ensure_group("acme", "corporate").await.unwrap();
    assert_eq!(changed.id, made.id);
    assert_eq!(kc.group("acme").unwrap()["attributes"], json!({"org": ["acme"], "tier": ["corporate"]}));
    let writes: Vec<String> =
        kc.calls().into_iter().filter(|c| c.starts_with("PUT") || c.contains("/groups ")).collect();
    assert_eq!(
        writes,
        [
            "POST /admin/realms/sovereign/groups 201".to_owned(),
            format!("PUT /admin/realms/sovereign/groups/{} 204", made.id)
        ]
    );
    // The token request is form-encoded client credentials; every request matched the API.
    let token = &kc.requests()[0];
    assert_eq!(
        token.body,
        "grant_type=client_credentials&client_id=organization-controller&client_secret=s3cret"
    );
    assert_eq!(kc.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn wrong_credentials_and_errors_are_named_without_the_secret() {
    let kc = Keycloak::start("sovereign", "organization-controller", "s3cret").await;
    let err = admin(&kc.url(), "wrong-secret").ensure_group("acme", "org").await.unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text,
        "Keycloak token (client credentials): HTTP 401: Invalid client or Invalid client credentials"
    );
    assert!(!format!("{err:?}").contains("wrong-secret"));
    let client = admin(&kc.url(), "s3cret");
    assert!(!format!("{client:?}").contains("s3cret"), "{client:?}");
    kc.fail_next(500);
    let err = client.ensure_group("acme", "org").await.unwrap_err();
    assert!(matches!(err, KeycloakError::Http { status: 500, .. }), "{err}");
    // A realm that does not exist on the server.
    let other = KeycloakAdmin::new(
        &kc.url(),
        "nowhere",
        "organization-controller",
        ClientSecret::new("s3cret"),
        Duration::from_secs(2),
    )
    .unwrap();
    assert!(matches!(
        other.ensure_group("acme", "org").await.unwrap_err(),
        KeycloakError::Http { status: 404, .. }
    ));
    // A slug that could reach another path is refused before any request.
    let before = kc.requests().len();
    assert!(client.ensure_group("../admin", "org").await.is_err());
    assert_eq!(kc.requests().len(), before);
}

#[test]
fn settings_are_checked_before_any_request() {
    let new = |url: &str, realm: &str| {
        KeycloakAdmin::new(url, realm, "id", ClientSecret::new("s"), Duration::from_secs(1)).map(drop)
    };
    assert!(new("ftp://kc.example", "sovereign").unwrap_err().contains("not an http(s) URL"));
    assert!(new("https://user@kc.example", "sovereign").is_err());
    assert!(new("https://kc.example", "so/vereign").unwrap_err().contains("not a realm name"));
    assert!(new("https://kc.example/auth", "sovereign").is_ok());
}

/// A server that answers every request with `response`.
async fn raw_server(response: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let response = response.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let mut buf = vec![0; 65536];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(&response).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_capped() {
    let url = raw_server(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://198.51.100.7/steal\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let err = admin(&url, "s3cret").ensure_group("acme", "org").await.unwrap_err();
    assert!(err.to_string().contains("HTTP 307: a redirect, not followed"), "{err}");
    let mut huge =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 2_000_000));
    let url = raw_server(huge).await;
    let err = admin(&url, "s3cret").ensure_group("acme", "org").await.unwrap_err();
    assert!(err.to_string().contains("over 1048576 bytes"), "{err}");
}
