//! GITEA-1 and GITEA-3.

#![allow(clippy::unwrap_used)]

use catalyst_gitea::{BaseUrl, UrlError, escape_path, escape_segment};
use proptest::prelude::*;

#[test]
fn gitea_1_both_base_forms_normalise() {
    for input in [
        "http://gitea:3000",
        "http://gitea:3000/",
        "http://gitea:3000/api/v1",
        "http://gitea:3000/api/v1/",
        "  http://gitea:3000/api/v1  ",
    ] {
        assert_eq!(BaseUrl::parse(input).unwrap().root(), "http://gitea:3000", "{input:?}");
    }
    let sub = BaseUrl::parse("https://example.test/gitea/api/v1").unwrap();
    assert_eq!(sub.api("/version"), "https://example.test/gitea/api/v1/version");
}

/// Regression (fuzz `gitea_paths`): `/api/v1` is stripped from the path, never across the
/// host: in `http://api/v1` the host is `api` and the path `/v1`.
#[test]
fn gitea_1_api_suffix_is_a_path_suffix() {
    for input in ["http:/api/v1", "http://api/v1", "http://api/v1/"] {
        let base = BaseUrl::parse(input).unwrap();
        assert_eq!(base.root(), "http://api/v1", "{input}");
        assert_eq!(BaseUrl::parse(base.root()).unwrap(), base);
    }
    assert_eq!(BaseUrl::parse("http://api/api/v1").unwrap().root(), "http://api");
    let odd = BaseUrl::parse("http:/api/v1\0\0\u{ff}F").unwrap();
    assert_eq!(BaseUrl::parse(odd.root()).unwrap(), odd);
}

#[test]
fn gitea_1_unusable_base_urls() {
    for (input, reason) in [
        ("", "it is empty"),
        ("ftp://gitea", "the scheme must be http or https"),
        ("http://user:secret@gitea:3000", "credentials do not belong in the URL; pass the token separately"),
        ("http://gitea:3000/?x=1", "it has a query or fragment"),
    ] {
        assert_eq!(
            BaseUrl::parse(input).unwrap_err(),
            UrlError::InvalidBaseUrl { url: input.into(), reason: reason.into() },
            "{input}"
        );
    }
    assert!(matches!(BaseUrl::parse("gitea:3000/x y").unwrap_err(), UrlError::InvalidBaseUrl { .. }));
}

#[test]
fn gitea_3_segments_escape_slashes_paths_keep_them() {
    assert_eq!(escape_segment("branch", "feature/x y").unwrap(), "feature%2Fx%20y");
    assert_eq!(escape_path("a b/c%d/e.yaml").unwrap(), "a%20b/c%25d/e.yaml");
    assert_eq!(
        escape_path("q?x=1/#frag/ümlaut-日本.yaml").unwrap(),
        "q%3Fx%3D1/%23frag/%C3%BCmlaut-%E6%97%A5%E6%9C%AC.yaml"
    );
    let base = BaseUrl::parse("http://gitea:3000").unwrap();
    assert_eq!(
        base.contents("acme", "my repo", "x/y.yaml").unwrap(),
        "http://gitea:3000/api/v1/repos/acme/my%20repo/contents/x/y.yaml"
    );
}

#[test]
fn gitea_3_unsafe_paths_are_refused() {
    for (path, reason) in [
        ("", "it is empty"),
        ("/etc/passwd", "it must be relative to the repository root"),
        ("a//b", "it has an empty segment ('//' or a trailing '/')"),
        ("a/", "it has an empty segment ('//' or a trailing '/')"),
        ("../x", "'.' and '..' segments are not allowed"),
        ("a/./b", "'.' and '..' segments are not allowed"),
    ] {
        assert_eq!(
            escape_path(path).unwrap_err(),
            UrlError::InvalidArgument { what: "file path", value: path.into(), reason },
            "{path}"
        );
    }
    assert_eq!(escape_segment("owner", "").unwrap_err().to_string(), "invalid owner \"\": it is empty");
}

proptest! {
    /// An escaped path has as many segments as its input and no raw traversal segment.
    #[test]
    fn escaped_paths_keep_their_shape(p in "[a-z .%/-]{1,30}") {
        if let Ok(escaped) = escape_path(&p) {
            prop_assert_eq!(escaped.split('/').count(), p.split('/').count());
            prop_assert!(escaped.split('/').all(|s| !s.is_empty() && s != ".." && s != "."));
            prop_assert!(!escaped.contains(' '));
        }
    }
}
