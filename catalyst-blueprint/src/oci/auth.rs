//! Registry authentication done here, not by oci-client, so that credentials go only where
//! they belong: the token realm a registry names must be on the registry's own site and
//! reached over HTTPS, and its answer is read under a cap.

use base64::Engine as _;

use super::Credentials;

/// The most bytes of a token endpoint's answer read.
pub(super) const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

/// What a registry asks for in `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Challenge {
    /// `Basic realm=…`: credentials go to the registry itself.
    Basic,
    /// `Bearer realm=…,service=…`: a token from the realm.
    Bearer { realm: String, service: Option<String> },
}

/// Parses a `WWW-Authenticate` value (`Bearer realm="…",service="…",scope="…"`).
pub(super) fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, params) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = params;
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_once(',').map_or((after, ""), |(v, t)| (v, t)),
        };
        match key {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            _ => {}
        }
        rest = tail;
    }
    Some(Challenge::Bearer { realm: realm?, service })
}

/// The host of `host[:port]`, without brackets.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Token realms known to belong to a registry on another host.
const KNOWN_REALMS: [(&str, &str); 3] = [
    ("registry-1.docker.io", "auth.docker.io"),
    ("docker.io", "auth.docker.io"),
    ("index.docker.io", "auth.docker.io"),
];

/// Whether `realm` may receive this registry's credentials: HTTPS (plain HTTP only to a
/// loopback realm of a loopback registry), no userinfo, and the registry's own host, a known
/// pair (Docker Hub's `auth.docker.io`), or a host in `trusted` (configured).
pub(super) fn check_realm(
    registry: &str,
    realm: &str,
    plain_http: bool,
    trusted: &[String],
) -> Result<reqwest::Url, String> {
    let url =
        reqwest::Url::parse(realm).map_err(|e| format!("the token realm {realm:?} is not a URL: {e}"))?;
    let realm_host =
        url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let registry_host = host_of(registry).to_ascii_lowercase();
    let loopback =
        |h: &str| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if plain_http && loopback(&realm_host) && loopback(&registry_host) => {}
        other => return Err(format!("the token realm {realm} uses {other}; credentials go over HTTPS only")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("the token realm {realm} carries credentials of its own"));
    }
    let known = KNOWN_REALMS.iter().any(|(r, t)| *r == registry_host && *t == realm_host);
    let configured = trusted.iter().any(|t| t.eq_ignore_ascii_case(&realm_host));
    if realm_host != registry_host && !known && !configured {
        return Err(format!(
            "the registry {registry} sends its token requests to {realm_host}, another host; credentials are not sent there (trust it with a token realm setting if it is the registry's own)"
        ));
    }
    Ok(url)
}

/// A token endpoint's answer (Docker's `token`, or OAuth's `access_token`).
#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// A token from `realm` for `scope`, with `credentials` (Basic) when there are any. The answer
/// is read under [`MAX_TOKEN_RESPONSE`] and the token must be a valid header value.
pub(super) async fn fetch_token(
    http: &reqwest::Client,
    realm: reqwest::Url,
    service: Option<&str>,
    scope: &str,
    credentials: Option<&Credentials>,
) -> Result<String, String> {
    let mut url = realm;
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        q.append_pair("scope", scope);
    }
    let mut req = http.get(url.clone());
    if let Some(c) = credentials {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password));
        let mut value = http::HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| "the registry credentials are not a valid header value".to_owned())?;
        value.set_sensitive(true);
        req = req.header(http::header::AUTHORIZATION, value);
    }
    let mut resp = req
        .send()
        .await
        .map_err(|e| format!("token request to {}: {e}", url.host_str().unwrap_or_default()))?;
    let status = resp.status();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("token answer: {e}"))? {
        if body.len() + chunk.len() > MAX_TOKEN_RESPONSE {
            return Err(format!("the token answer is over {MAX_TOKEN_RESPONSE} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(format!(
            "the token endpoint answered {status}: {}",
            catalyst_naming::untrusted::remote_bytes(&body)
        ));
    }
    let answer: TokenAnswer =
        serde_json::from_slice(&body).map_err(|e| format!("the token answer is not JSON: {e}"))?;
    let token = answer.token.or(answer.access_token).ok_or("the token answer holds no token")?;
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the token is not a valid header value".into());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into())
            })
        );
        assert_eq!(parse_challenge(r#"Basic realm="Registry Realm""#), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=\"x\""), None, "a Bearer challenge needs a realm");
    }

    #[test]
    fn realms_stay_on_the_registry_host_and_https() {
        assert!(check_realm("ghcr.io", "https://ghcr.io/token", false, &[]).is_ok());
        assert!(check_realm("registry-1.docker.io", "https://auth.docker.io/token", false, &[]).is_ok());
        assert!(
            check_realm("harbor.example.test:8443", "https://harbor.example.test/service/token", false, &[])
                .is_ok()
        );
        assert!(check_realm("127.0.0.1:5000", "http://127.0.0.1:5001/token", true, &[]).is_ok());
        assert!(
            check_realm(
                "registry.gitlab.example",
                "https://gitlab.example/jwt/auth",
                false,
                &["gitlab.example".into()]
            )
            .is_ok()
        );
        for (registry, realm, why) in [
            ("ghcr.io", "http://ghcr.io/token", "uses http"),
            ("ghcr.io", "https://attacker.example/token", "another host"),
            ("registry.example.test", "https://registry.example.test.attacker.example/t", "another host"),
            ("a.github.io", "https://b.github.io/token", "another host"),
            ("x.azurecr.io", "https://y.azurecr.io/oauth2/token", "another host"),
            ("10.0.0.1:5000", "https://10.0.0.2/token", "another host"),
            ("127.0.0.1:5000", "http://127.0.0.1:5001/token", "uses http"),
            ("ghcr.io", "https://user:pw@ghcr.io/token", "credentials of its own"),
        ] {
            let plain = registry.starts_with("127.") && why != "uses http";
            let err = check_realm(registry, realm, plain, &[]).unwrap_err();
            assert!(err.contains(why), "{registry} {realm}: {err}");
        }
    }
}
