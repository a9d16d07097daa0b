//! The Organization's identity: a group `/<slug>` in the Sovereign realm, through Keycloak's
//! admin REST API (SPEC CTRL-1, as the platform runs it), behind [`GroupDirectory`] so the
//! reconcile does not depend on Keycloak itself.
//!
//! [`KeycloakAdmin`] takes a client-credentials token from
//! `POST /realms/{realm}/protocol/openid-connect/token` for each ensure (no caching: a token
//! never outlives the call that needed it), finds the group with
//! `GET /admin/realms/{realm}/group-by-path/{slug}`, creates it on a 404 with
//! `POST /admin/realms/{realm}/groups` (a 409 because someone created it first finds it
//! again), and updates its attributes with `PUT /admin/realms/{realm}/groups/{id}` only when
//! they differ (other attributes are kept). Every call has a deadline, no redirect is followed
//! (the secret and the token would go with it), answers are capped at 1 MiB, and neither the
//! client secret nor the token appears in `Debug` or an error.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

/// The largest answer read from Keycloak.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The group an Organization got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Keycloak's id of the group.
    pub id: String,
    /// `/<slug>`.
    pub path: String,
    /// The realm.
    pub realm: String,
}

/// What went wrong with Keycloak.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeycloakError {
    /// Keycloak could not be reached or did not answer in time.
    #[error("Keycloak {action}: {message}")]
    Transport {
        /// What was being done.
        action: String,
        /// What happened (never a secret).
        message: String,
    },
    /// Keycloak answered with an error.
    #[error("Keycloak {action}: HTTP {status}: {message}")]
    Http {
        /// What was being done.
        action: String,
        /// The status.
        status: u16,
        /// Keycloak's message, cleaned.
        message: String,
    },
    /// Keycloak answered something that is not what its API documents.
    #[error("Keycloak {action}: unexpected answer: {message}")]
    Decode {
        /// What was being done.
        action: String,
        /// What did not fit.
        message: String,
    },
}

/// Finds or creates an Organization's group.
pub trait GroupDirectory: Send + Sync {
    /// Ensures the top-level group `/<slug>` with attributes `org=[slug]`, `tier=[tier]`.
    fn ensure_group<'a>(
        &'a self,
        slug: &'a str,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<Group, KeycloakError>>;
}

/// A service-account client's secret; never printed.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// The admin REST client.
#[derive(Clone)]
pub struct KeycloakAdmin {
    http: reqwest::Client,
    base: String,
    realm: String,
    client_id: String,
    secret: ClientSecret,
}

impl std::fmt::Debug for KeycloakAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeycloakAdmin")
            .field("base", &self.base)
            .field("realm", &self.realm)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

#[derive(Deserialize)]
struct GroupAnswer {
    id: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    attributes: BTreeMap<String, Vec<String>>,
}

/// A realm name: letters, digits, `-` and `_` (it goes into URL paths).
fn valid_realm(realm: &str) -> bool {
    !realm.is_empty()
        && realm.len() <= 64
        && realm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeycloakAdmin {
    /// A client for the Keycloak at `base` (`https://keycloak.example`, or with its
    /// `/auth` prefix), the realm holding the groups (also where the service account lives),
    /// and the service account; each request within `timeout`.
    ///
    /// # Errors
    /// A base that is not an http(s) URL, or a realm that is not a plain name.
    pub fn new(
        base: &str,
        realm: &str,
        client_id: &str,
        secret: ClientSecret,
        timeout: Duration,
    ) -> Result<Self, String> {
        let url = url::Url::parse(base).map_err(|e| format!("{base:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("{base:?} is not an http(s) URL"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!("{base:?} must not carry a query, fragment or user"));
        }
        if !valid_realm(realm) {
            return Err(format!("{realm:?} is not a realm name (letters, digits, '-', '_')"));
        }
        if client_id.is_empty() {
            return Err("the service account's client id is empty".into());
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("organization-controller/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: url.as_str().trim_end_matches('/').to_owned(),
            realm: realm.to_owned(),
            client_id: client_id.to_owned(),
            secret,
        })
    }

    /// Sends one request and reads the answer (capped); a redirect is an error.
    async fn send(
        &self,
        action: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), KeycloakError> {
        let transport = |e: reqwest::Error| KeycloakError::Transport {
            action: action.to_owned(),
            // Without the URL: it is ours, and a query could hold something.
            message: e.without_url().to_string(),
        };
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(KeycloakError::Http {
                action: action.to_owned(),
                status: status.as_u16(),
                message: "a redirect, not followed (the credentials would go with it)".into(),
            });
        }
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(KeycloakError::Decode {
                    action: action.to_owned(),
                    message: format!("the answer is over {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }

    fn http_error(action: &str, status: StatusCode, body: &[u8]) -> KeycloakError {
        let message = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| {
                ["errorMessage", "error_description", "error"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
            })
            .map_or_else(
                || catalyst_naming::untrusted::remote_bytes(body),
                |m| catalyst_naming::untrusted::remote_text(&m),
            );
        KeycloakError::Http { action: action.to_owned(), status: status.as_u16(), message }
    }

    /// A client-credentials token.
    async fn token(&self) -> Result<String, KeycloakError> {
        let action = "token (client credentials)";
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.secret.0)
            .finish();
        let url = format!("{}/realms/{}/protocol/openid-connect/token", self.base, self.realm);
        let req = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form);
        let (status, _, body) = self.send(action, req).await?;
        if !status.is_success() {
            return Err(Self::http_error(action, status, &body));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| KeycloakError::Decode {
            action: action.to_owned(),
            message: format!("no access_token ({:?})", e.classify()),
        })?;
        Ok(answer.access_token)
    }

    fn admin(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer invalid"));
        auth.set_sensitive(true);
        self.http
            .request(method, format!("{}/admin/realms/{}{path}", self.base, self.realm))
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    async fn find(&self, token: &str, slug: &str) -> Result<Option<GroupAnswer>, KeycloakError> {
        let action = format!("finding group /{slug}");
        let (status, _, body) =
            self.send(&action, self.admin(Method::GET, &format!("/group-by-path/{slug}"), token)).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => serde_json::from_slice(&body).map(Some).map_err(|e| {
                KeycloakError::Decode { action, message: format!("not a group ({:?})", e.classify()) }
            }),
            s => Err(Self::http_error(&action, s, &body)),
        }
    }

    /// `POST …/groups`; `None` when Keycloak says it exists (409).
    async fn create(
        &self,
        token: &str,
        slug: &str,
        attributes: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<String>, KeycloakError> {
        let action = format!("creating group /{slug}");
        let req =
            self.admin(Method::POST, "/groups", token).json(&json!({"name": slug, "attributes": attributes}));
        let (status, headers, body) = self.send(&action, req).await?;
        if status == StatusCode::CONFLICT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(Self::http_error(&action, status, &body));
        }
        // 201 with `Location: …/groups/<id>`.
        let id = headers
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.rsplit('/').next())
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .map(str::to_owned);
        Ok(Some(id.ok_or_else(|| KeycloakError::Decode {
            action,
            message: "201 without a Location naming the new group".into(),
        })?))
    }

    async fn update(
        &self,
        token: &str,
        slug: &str,
        id: &str,
        attributes: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), KeycloakError> {
        let action = format!("updating the attributes of group /{slug}");
        let req = self
            .admin(Method::PUT, &format!("/groups/{id}"), token)
            .json(&json!({"id": id, "name": slug, "attributes": attributes}));
        let (status, _, body) = self.send(&action, req).await?;
        if status.is_success() { Ok(()) } else { Err(Self::http_error(&action, status, &body)) }
    }

    async fn ensure(&self, slug: &str, tier: &str) -> Result<Group, KeycloakError> {
        let token = self.token().await?;
        let want: BTreeMap<String, Vec<String>> =
            [("org".to_owned(), vec![slug.to_owned()]), ("tier".to_owned(), vec![tier.to_owned()])].into();
        let found = match self.find(&token, slug).await? {
            Some(g) => g,
            None => match self.create(&token, slug, &want).await? {
                Some(id) => return Ok(Group { id, path: format!("/{slug}"), realm: self.realm.clone() }),
                // Created by someone else between our find and our create.
                None => self.find(&token, slug).await?.ok_or_else(|| KeycloakError::Decode {
                    action: format!("creating group /{slug}"),
                    message: "409 (exists) yet not found by its path".into(),
                })?,
            },
        };
        if want.iter().any(|(k, v)| found.attributes.get(k) != Some(v)) {
            let mut attributes = found.attributes.clone();
            attributes.extend(want);
            self.update(&token, slug, &found.id, &attributes).await?;
        }
        let path = if found.path.is_empty() { format!("/{slug}") } else { found.path };
        Ok(Group { id: found.id, path, realm: self.realm.clone() })
    }
}

impl GroupDirectory for KeycloakAdmin {
    fn ensure_group<'a>(
        &'a self,
        slug: &'a str,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<Group, KeycloakError>> {
        Box::pin(async move {
            if catalyst_naming::OrgSlug::parse(slug).is_err() {
                return Err(KeycloakError::Decode {
                    action: format!("ensuring group /{slug}"),
                    message: "not an Organization slug".into(),
                });
            }
            self.ensure(slug, tier).await
        })
    }
}
