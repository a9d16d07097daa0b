//! Cosign keys: ECDSA P-256 signing keys and PEM public keys.

use std::fmt;

use sigstore::crypto::signing_key::{
    COSIGN_PRIVATE_KEY_PEM_LABEL, SIGSTORE_PRIVATE_KEY_PEM_LABEL, SigStoreKeyPair, SigStoreSigner,
};
use sigstore::crypto::{CosignVerificationKey, Signature, SigningScheme};

use crate::artifact::Digest;

/// A key that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not PEM, or a PEM block of a kind we do not read.
    #[error("{what}: {message}")]
    Unreadable {
        /// Which key (a file name or "signing key").
        what: String,
        /// What is wrong.
        message: String,
    },
    /// An encrypted cosign key and no password (`COSIGN_PASSWORD`).
    #[error("{0}: the key is encrypted; set COSIGN_PASSWORD")]
    PasswordNeeded(String),
}

/// A password for an encrypted cosign key. Never shown by `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// `COSIGN_PASSWORD`, if set.
    pub fn from_env() -> Option<Self> {
        std::env::var("COSIGN_PASSWORD").ok().map(Self)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An ECDSA P-256 signing key: PEM PKCS#8 (`openssl genpkey` output) or cosign's
/// encrypted format (`ENCRYPTED COSIGN PRIVATE KEY`, with a password).
pub struct SigningKey {
    signer: SigStoreSigner,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PEM private key. `what` names it in errors (a file name).
    pub fn from_pem(pem: &[u8], password: Option<&Password>, what: &str) -> Result<Self, KeyError> {
        let unreadable = |message: String| KeyError::Unreadable { what: what.to_owned(), message };
        let block = pem_label(pem).ok_or_else(|| unreadable("not a PEM private key".into()))?;
        let pair = match block.as_str() {
            COSIGN_PRIVATE_KEY_PEM_LABEL | SIGSTORE_PRIVATE_KEY_PEM_LABEL => {
                let password = password.ok_or_else(|| KeyError::PasswordNeeded(what.to_owned()))?;
                SigStoreKeyPair::from_encrypted_pem(pem, password.0.as_bytes()).map_err(|e| {
                    unreadable(format!("cannot decrypt the cosign key (wrong password?): {e}"))
                })?
            }
            "PRIVATE KEY" => SigStoreKeyPair::from_pem(pem).map_err(|e| unreadable(e.to_string()))?,
            other => {
                return Err(unreadable(format!(
                    "PEM block {other:?} is not a PKCS#8 \"PRIVATE KEY\" or an \"ENCRYPTED COSIGN PRIVATE KEY\" (convert with `openssl pkcs8 -topk8 -nocrypt`)"
                )));
            }
        };
        let signer = pair.to_sigstore_signer(&SigningScheme::ECDSA_P256_SHA256_ASN1).map_err(|_| {
            unreadable(format!("a {pair} cannot sign: cosign signatures here are ECDSA P-256"))
        })?;
        let public_pem = pair.public_key_to_pem().map_err(|e| unreadable(e.to_string()))?;
        let public = PublicKey::from_pem(public_pem.as_bytes(), what)?;
        Ok(Self { signer, public })
    }

    /// The ASN.1 DER ECDSA signature of `payload`.
    pub fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.signer
            .sign(payload)
            .map_err(|e| KeyError::Unreadable { what: "signing key".into(), message: e.to_string() })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }
}

/// A PEM `PUBLIC KEY` (SPKI), as cosign and openssl write them.
#[derive(Clone)]
pub struct PublicKey {
    key: CosignVerificationKey,
    name: String,
    fingerprint: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("name", &self.name)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// A PEM key file larger than this is not one.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

impl PublicKey {
    /// Reads a PEM public key; `name` identifies it in results and errors (a file name).
    pub fn from_pem(pem: &[u8], name: &str) -> Result<Self, KeyError> {
        let unreadable = |message: String| KeyError::Unreadable { what: name.to_owned(), message };
        match pem_label(pem).as_deref() {
            Some("PUBLIC KEY") => {}
            Some(other) => return Err(unreadable(format!("PEM block {other:?} is not a \"PUBLIC KEY\""))),
            None => return Err(unreadable("not a PEM public key".into())),
        }
        let key = CosignVerificationKey::try_from_pem(pem).map_err(|e| unreadable(e.to_string()))?;
        let der = pem_body(pem).unwrap_or_default();
        let fingerprint = Digest::of(&der).hex()[..16].to_owned();
        Ok(Self { key, name: name.to_owned(), fingerprint })
    }

    /// Reads a PEM public key file (at most [`MAX_KEY_FILE_BYTES`]), named by its path.
    ///
    /// # Errors
    /// [`KeyError::Unreadable`] naming the path: the file cannot be read, is larger than a key
    /// file, or holds no public key.
    pub fn from_file(path: &std::path::Path) -> Result<Self, KeyError> {
        let name = path.display().to_string();
        let pem = crate::read_capped(path, MAX_KEY_FILE_BYTES)
            .map_err(|e| KeyError::Unreadable { what: name.clone(), message: e.to_string() })?;
        Self::from_pem(&pem, &name)
    }

    /// The name given at load time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The first 16 hex digits of the SHA-256 of the key's DER form.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether `signature` (DER) is this key's signature of `payload`.
    pub fn verifies(&self, signature: &[u8], payload: &[u8]) -> bool {
        self.key.verify_signature(Signature::Raw(signature), payload).is_ok()
    }
}

fn pem_label(pem: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let end = text[start..].find("-----")?;
    Some(text[start..start + end].to_owned())
}

fn pem_body(pem: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(pem).ok()?;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}
