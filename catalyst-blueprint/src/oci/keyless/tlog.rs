//! The transparency-log entry: its signed entry timestamp (SET), its inclusion proof against
//! a signed checkpoint (RFC 6962 / 9162 Merkle trees, a signed note), and that its body is the
//! bundle's (the CVE-2022-36056 class: a valid entry for something else).

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use sigstore::crypto::{CosignVerificationKey, Signature};

use super::bundle::{Bundle, Content, TlogEntry};
use super::trust::LogKey;

/// Whether `signature` over `message` verifies with the SPKI DER `key`.
pub(super) fn verifies(key: &[u8], signature: &[u8], message: &[u8]) -> bool {
    CosignVerificationKey::try_from_der(key)
        .is_ok_and(|k| k.verify_signature(Signature::Raw(signature), message).is_ok())
}

/// The SET: the log's signature over the canonical JSON of body, integrated time, log id and
/// log index.
pub(super) fn verify_set(entry: &TlogEntry, set: &[u8], log: &LogKey) -> Result<(), String> {
    let hex_id = super::hex(&entry.log_id);
    // Canonical JSON (RFC 8785) of this fixed shape: keys sorted, no spaces; the body is
    // base64 and the id hex, so neither needs escaping.
    if entry.body_b64.bytes().any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))) {
        return Err("the canonicalized body is not plain base64".into());
    }
    let signed = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{hex_id}","logIndex":{}}}"#,
        entry.body_b64, entry.integrated_time, entry.log_index
    );
    if verifies(&log.key, set, signed.as_bytes()) {
        Ok(())
    } else {
        Err(format!("the signed entry timestamp does not verify with the key of {}", log.base_url))
    }
}

fn node(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().to_vec()
}

/// The root an inclusion proof yields for `leaf` at `index` in a tree of `size` (RFC 9162
/// §2.1.3.2).
pub(super) fn root_from_proof(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
) -> Result<Vec<u8>, String> {
    if index >= size {
        return Err(format!("the proof's index {index} is not inside its tree of {size}"));
    }
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(format!(
            "the proof has {} hashes; a tree of {size} needs {} for index {index}",
            proof.len(),
            inner + border
        ));
    }
    if proof.iter().any(|h| h.len() != 32) {
        return Err("a proof hash is not 32 bytes".into());
    }
    let mut hash = leaf.to_vec();
    for (i, sibling) in proof[..inner].iter().enumerate() {
        hash = if (index >> i) & 1 == 0 { node(&hash, sibling) } else { node(sibling, &hash) };
    }
    for sibling in &proof[inner..] {
        hash = node(sibling, &hash);
    }
    Ok(hash)
}

/// The checkpoint's signed note: `origin`, `size`, `root` (base64), optional lines, a blank
/// line, then signature lines `— <name> <base64(key hint ‖ signature)>`. One signature by the
/// log's key (its 4-byte hint and the signature over the note's text) must verify.
pub(super) fn verify_checkpoint(envelope: &str, log: &LogKey) -> Result<(u64, Vec<u8>), String> {
    // Each signature line may cost a verification: a checkpoint is small and has few.
    if envelope.len() > MAX_CHECKPOINT_BYTES {
        return Err(format!(
            "the checkpoint is {} bytes; at most {MAX_CHECKPOINT_BYTES} are read",
            envelope.len()
        ));
    }
    let Some(split) = envelope.find("\n\n") else {
        return Err("the checkpoint has no signature block".into());
    };
    let (text, sigs) = (&envelope[..=split], &envelope[split + 2..]);
    let lines: Vec<&str> = text.lines().collect();
    let [origin, size, root, ..] = lines.as_slice() else {
        return Err("the checkpoint needs an origin, a size and a root hash".into());
    };
    if origin.is_empty() {
        return Err("the checkpoint's origin is empty".into());
    }
    let size: u64 = size.parse().map_err(|_| format!("the checkpoint's size {size:?} is not a number"))?;
    let root = base64::engine::general_purpose::STANDARD
        .decode(root)
        .map_err(|_| "the checkpoint's root hash is not base64".to_owned())?;
    let key_hash = Sha256::digest(&log.key);
    let verified =
        sigs.lines().filter_map(|l| l.strip_prefix("\u{2014} ")).take(MAX_CHECKPOINT_SIGNATURES).any(|l| {
            let Some((name, sig)) = l.rsplit_once(' ') else { return false };
            let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else { return false };
            if sig.len() < 5 {
                return false;
            }
            let (hint, sig) = sig.split_at(4);
            // Rekor v1 hints with the key's SHA-256; an Ed25519 note key with SHA-256 of
            // name, newline, type byte and raw key.
            let raw_ed25519 = log.key.get(log.key.len().saturating_sub(32)..).unwrap_or_default();
            let mut note_hash = Sha256::new();
            note_hash.update(name.as_bytes());
            note_hash.update(b"\n\x01");
            note_hash.update(raw_ed25519);
            let note_hash = note_hash.finalize();
            (hint == &key_hash[..4] || hint == &note_hash[..4]) && verifies(&log.key, sig, text.as_bytes())
        });
    if !verified {
        return Err(format!("no signature of the checkpoint verifies with the key of {}", log.base_url));
    }
    Ok((size, root))
}

/// A checkpoint larger than this is refused.
const MAX_CHECKPOINT_BYTES: usize = 16 * 1024;
/// Signature lines of a checkpoint looked at, at most (witness cosignatures included).
const MAX_CHECKPOINT_SIGNATURES: usize = 16;

/// The inclusion proof: the entry's leaf hash leads to the proof's root, which the signed
/// checkpoint states for the same tree size.
pub(super) fn verify_inclusion(entry: &TlogEntry, log: &LogKey) -> Result<(), String> {
    let Some(proof) = &entry.proof else { return Err("no inclusion proof".into()) };
    let mut leaf = Sha256::new();
    leaf.update([0u8]);
    leaf.update(&entry.body);
    let root = root_from_proof(proof.log_index, proof.tree_size, &leaf.finalize(), &proof.hashes)?;
    if root != proof.root_hash {
        return Err("the inclusion proof does not lead to its root hash".into());
    }
    let (size, checkpoint_root) = verify_checkpoint(&proof.checkpoint, log)?;
    if size != proof.tree_size || checkpoint_root != proof.root_hash {
        return Err(format!(
            "the checkpoint is for a tree of {size} with another root than the proof's tree of {}",
            proof.tree_size
        ));
    }
    Ok(())
}

fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}

fn b64_field(v: &Value, pointer: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(v.pointer(pointer)?.as_str()?).ok()
}

/// The entry's body is this bundle's: the same kind and version as stated, the artifact's
/// digest (`artifact` is its SHA-256), the bundle's signature, and `signer` (the leaf
/// certificate's DER, or a managed key's SPKI DER).
pub(super) fn check_body(bundle: &Bundle, artifact: &[u8; 32], signer: &[u8]) -> Result<(), String> {
    let e = &bundle.entry;
    let body: Value =
        serde_json::from_slice(&e.body).map_err(|_| "the log entry's body is not JSON".to_owned())?;
    let (kind, version) =
        (body["kind"].as_str().unwrap_or_default(), body["apiVersion"].as_str().unwrap_or_default());
    if kind != e.kind || version != e.version {
        return Err(format!("the body is {kind} {version}, the entry says {} {}", e.kind, e.version));
    }
    let hex = super::hex;
    let leaf_is = |pem: Option<Vec<u8>>| pem.and_then(|p| pem_der(&p)).is_some_and(|der| der == signer);
    match (&bundle.content, kind, version) {
        (Content::Message { signature, .. }, "hashedrekord", "0.0.1") => {
            let spec = &body["spec"];
            if spec.pointer("/data/hash/algorithm").and_then(Value::as_str) != Some("sha256")
                || spec.pointer("/data/hash/value").and_then(Value::as_str) != Some(hex(artifact).as_str())
            {
                return Err("the log entry's hash is not the artifact's digest".into());
            }
            if b64_field(spec, "/signature/content").as_ref() != Some(signature) {
                return Err("the log entry's signature is not the bundle's".into());
            }
            if !leaf_is(b64_field(spec, "/signature/publicKey/content")) {
                return Err("the log entry's certificate is not the bundle's".into());
            }
            Ok(())
        }
        (Content::Dsse { payload, signature, envelope, .. }, "dsse", "0.0.1") => {
            let spec = &body["spec"];
            if spec.pointer("/payloadHash/value").and_then(Value::as_str)
                != Some(hex(&Sha256::digest(payload)).as_str())
            {
                return Err("the log entry's payload hash is not the envelope's".into());
            }
            let _ = envelope;
            let sigs = spec["signatures"].as_array().cloned().unwrap_or_default();
            let [s] = sigs.as_slice() else {
                return Err(format!("the log entry has {} signatures; the envelope one", sigs.len()));
            };
            if b64_field(s, "/signature").as_ref() != Some(signature) {
                return Err("the log entry's signature is not the envelope's".into());
            }
            if !leaf_is(b64_field(s, "/verifier")) {
                return Err("the log entry's verifier is not the bundle's certificate".into());
            }
            Ok(())
        }
        (Content::Dsse { payload, signature, .. }, "intoto", "0.0.2") => {
            let spec = &body["spec"]["content"];
            if spec.pointer("/payloadHash/value").and_then(Value::as_str)
                != Some(hex(&Sha256::digest(payload)).as_str())
            {
                return Err("the log entry's payload hash is not the envelope's".into());
            }
            let sigs =
                spec.pointer("/envelope/signatures").and_then(Value::as_array).cloned().unwrap_or_default();
            let [s] = sigs.as_slice() else {
                return Err(format!("the log entry has {} signatures; the envelope one", sigs.len()));
            };
            // intoto 0.0.2 stores the signature base64-encoded twice.
            let sig = b64_field(s, "/sig")
                .and_then(|inner| base64::engine::general_purpose::STANDARD.decode(inner).ok());
            if sig.as_ref() != Some(signature) {
                return Err("the log entry's signature is not the envelope's".into());
            }
            if !leaf_is(b64_field(s, "/publicKey")) {
                return Err("the log entry's public key is not the bundle's certificate".into());
            }
            Ok(())
        }
        (content, "hashedrekord", "0.0.2") => {
            // Rekor v2: the digest of what was signed (the artifact, or a DSSE envelope's
            // PAE), the signature and the certificate, as protobuf JSON.
            let spec = &body["spec"]["hashedRekordV002"];
            let (signed_digest, signature) = match content {
                Content::Message { signature, .. } => (artifact.to_vec(), signature),
                Content::Dsse { payload_type, payload, signature, .. } => {
                    (Sha256::digest(super::pae(payload_type, payload)).to_vec(), signature)
                }
            };
            if spec.pointer("/data/algorithm").and_then(Value::as_str) != Some("SHA2_256")
                || b64_field(spec, "/data/digest") != Some(signed_digest)
            {
                return Err("the log entry's digest is not the signed content's".into());
            }
            if b64_field(spec, "/signature/content").as_ref() != Some(signature) {
                return Err("the log entry's signature is not the bundle's".into());
            }
            let named = b64_field(spec, "/signature/verifier/x509Certificate/rawBytes")
                .or_else(|| b64_field(spec, "/signature/verifier/publicKey/rawBytes"));
            if named.as_deref() != Some(signer) {
                return Err("the log entry's certificate is not the bundle's".into());
            }
            Ok(())
        }
        (_, kind, version) => Err(format!("a {kind} {version} entry for this content is not supported")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    fn leaf(data: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(data);
        h.finalize().to_vec()
    }

    /// The largest power of two smaller than `n` (RFC 6962's `k`).
    fn split(n: usize) -> usize {
        1 << (usize::BITS - 1 - (n - 1).leading_zeros())
    }

    /// RFC 6962 §2.1's definitions, written recursively as the RFC states them.
    fn mth(leaves: &[Vec<u8>]) -> Vec<u8> {
        if leaves.len() == 1 {
            return leaves[0].clone();
        }
        let k = split(leaves.len());
        node(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let k = split(leaves.len());
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    proptest! {
        /// Every leaf of every tree up to 300 leaves proves its inclusion; a proof for another
        /// index, a changed hash or a changed leaf does not.
        #[test]
        fn inclusion_proofs_verify_and_tampering_is_caught(n in 1usize..300, pick in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>()) {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| leaf(format!("entry {i}").as_bytes())).collect();
            let root = mth(&leaves);
            let m = pick.index(n);
            let proof = path(m, &leaves);
            let size = n as u64;
            prop_assert_eq!(root_from_proof(m as u64, size, &leaves[m], &proof).unwrap(), root.clone());
            prop_assert_ne!(root_from_proof(m as u64, size, &leaf(b"other"), &proof).ok(), Some(root.clone()));
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = flip.index(bad.len());
                bad[i][0] ^= 1;
                prop_assert_ne!(root_from_proof(m as u64, size, &leaves[m], &bad).ok(), Some(root.clone()));
            }
            if n > 1 {
                let other = (m + 1) % n;
                prop_assert_ne!(root_from_proof(other as u64, size, &leaves[m], &proof).ok(), Some(root.clone()));
            }
            prop_assert!(root_from_proof(size, size, &leaves[m], &proof).is_err());
        }
    }

    #[test]
    fn checkpoints_need_origin_size_root_and_a_log_signature() {
        let log = LogKey {
            base_url: "https://rekor.example".into(),
            key: vec![0; 91],
            key_details: String::new(),
            log_id: vec![0; 32],
            valid_for: super::super::Validity { start: 0, end: None },
        };
        for (note, why) in [
            ("origin\n1\nAAAA\n", "the checkpoint has no signature block"),
            ("1\nAAAA\n\n\u{2014} x AAAAAAAA\n", "the checkpoint needs an origin, a size and a root hash"),
            ("o\nten\nAAAA\n\n\u{2014} x AAAAAAAA\n", "the checkpoint's size \"ten\" is not a number"),
            ("o\n1\n!!\n\n\u{2014} x AAAAAAAA\n", "the checkpoint's root hash is not base64"),
            (
                "o\n1\nAAAA\n\n\u{2014} x AAAAAAAA\n",
                "no signature of the checkpoint verifies with the key of https://rekor.example",
            ),
        ] {
            assert_eq!(verify_checkpoint(note, &log).unwrap_err(), why, "{note:?}");
        }
    }
}
