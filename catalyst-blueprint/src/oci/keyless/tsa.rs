//! RFC 3161 timestamps (a CMS `SignedData` over a `TSTInfo`): the token's signature verifies
//! with a timestamp authority's certificate that chains to a trusted TSA valid at the stamped
//! time, its signed attributes bind the `TSTInfo`, and its message imprint is the hash of the
//! bundle's signature. Read with a small bounded DER walker: only the fields verification needs.

use base64::Engine as _;
use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use x509_cert::spki::ObjectIdentifier;

use super::KeylessError;
use super::trust::TrustedRoot;

/// A timestamp token larger than this is not one.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// id-kp-timeStamping, DER value bytes.
const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

fn bad(m: impl Into<String>) -> KeylessError {
    KeylessError::TimestampInvalid(m.into())
}

/// One DER element: its tag byte, its content, and its whole encoding.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

/// The first element of `b` and what follows it.
fn next(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), KeylessError> {
    let malformed = || bad("the timestamp is not DER");
    let (&tag, rest) = b.split_first().ok_or_else(malformed)?;
    if tag & 0x1f == 0x1f {
        return Err(bad("the timestamp uses a multi-byte tag"));
    }
    let (&first, rest) = rest.split_first().ok_or_else(malformed)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(malformed());
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(malformed());
    }
    let header = b.len() - rest.len();
    Ok((Tlv { tag, content: &rest[..len], raw: &b[..header + len] }, &rest[len..]))
}

/// The elements inside a constructed element's content.
fn children(content: &[u8]) -> Result<Vec<Tlv<'_>>, KeylessError> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = next(rest)?;
        out.push(t);
        rest = r;
        if out.len() > 4096 {
            return Err(bad("the timestamp has too many elements"));
        }
    }
    Ok(out)
}

fn expect<'a>(t: Option<&Tlv<'a>>, tag: u8, what: &str) -> Result<Tlv<'a>, KeylessError> {
    t.filter(|t| t.tag == tag)
        .copied()
        .ok_or_else(|| bad(format!("the timestamp's {what} is missing or malformed")))
}

fn oid(t: &Tlv<'_>) -> Option<ObjectIdentifier> {
    (t.tag == 0x06).then(|| ObjectIdentifier::from_bytes(t.content).ok()).flatten()
}

fn digest(alg: ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, KeylessError> {
    match alg {
        a if a == SHA256 => Ok(Sha256::digest(data).to_vec()),
        a if a == SHA384 => Ok(Sha384::digest(data).to_vec()),
        a if a == SHA512 => Ok(Sha512::digest(data).to_vec()),
        other => Err(bad(format!("the timestamp uses the digest algorithm {other}, not SHA-2"))),
    }
}

/// `YYYYMMDDHHMMSS[.f…]Z` in seconds since the Unix epoch.
fn generalized_time(t: &Tlv<'_>) -> Result<i64, KeylessError> {
    let s = std::str::from_utf8(t.content).map_err(|_| bad("genTime is not text"))?;
    let s = s.strip_suffix('Z').ok_or_else(|| bad("genTime is not in UTC"))?;
    let whole = s.split('.').next().unwrap_or_default();
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("genTime {s:?} is not YYYYMMDDHHMMSS")));
    }
    let year: i16 = whole[0..4].parse().map_err(|_| bad("genTime's year"))?;
    let part = |r: std::ops::Range<usize>| whole[r].parse::<i8>().map_err(|_| bad("genTime is not a time"));
    let dt = jiff::civil::DateTime::new(
        year,
        part(4..6)?,
        part(6..8)?,
        part(8..10)?,
        part(10..12)?,
        part(12..14)?,
        0,
    )
    .map_err(|e| bad(format!("genTime {s:?}: {e}")))?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_second())
        .map_err(|e| bad(format!("genTime: {e}")))
}

/// Verifies one base64 RFC 3161 token over `signature` (the bundle's signature bytes) and
/// returns the stamped time.
pub(super) fn verify(token_b64: &str, signature: &[u8], root: &TrustedRoot) -> Result<i64, KeylessError> {
    let clean: String = token_b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let token = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| bad(format!("not base64: {e}")))?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(bad(format!("{} bytes; at most {MAX_TOKEN_BYTES} are read", token.len())));
    }
    // A TimeStampResp (SEQUENCE { PKIStatusInfo, timeStampToken }) or the token alone, a
    // ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT SignedData }.
    let (outer, _) = next(&token)?;
    let outer_children = children(expect(Some(&outer), 0x30, "ContentInfo")?.content)?;
    let ci = if outer_children.first().is_some_and(|c| c.tag == 0x30) {
        let status = children(outer_children[0].content)?;
        let granted = status.first().is_some_and(|s| s.tag == 0x02 && matches!(s.content, [0 | 1]));
        if !granted {
            return Err(bad("the timestamp response's status is not granted"));
        }
        children(expect(outer_children.get(1), 0x30, "timeStampToken")?.content)?
    } else {
        outer_children
    };
    if ci.first().and_then(oid) != Some(SIGNED_DATA) {
        return Err(bad("the timestamp is not a CMS SignedData"));
    }
    let wrapped = expect(ci.get(1), 0xa0, "SignedData")?;
    let (sd, _) = next(wrapped.content)?;
    let sd = children(expect(Some(&sd), 0x30, "SignedData")?.content)?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    let encap = children(expect(sd.get(2), 0x30, "encapContentInfo")?.content)?;
    if encap.first().and_then(oid) != Some(TST_INFO) {
        return Err(bad("the timestamp does not hold a TSTInfo"));
    }
    let econtent = expect(encap.get(1), 0xa0, "eContent")?;
    let (octets, _) = next(econtent.content)?;
    let tst_der = expect(Some(&octets), 0x04, "eContent")?.content;
    let (tst, _) = next(tst_der)?;
    let tst = children(expect(Some(&tst), 0x30, "TSTInfo")?.content)?;
    // TSTInfo: version, policy, messageImprint, serialNumber, genTime, …
    let imprint = children(expect(tst.get(2), 0x30, "messageImprint")?.content)?;
    let imprint_alg = children(expect(imprint.first(), 0x30, "messageImprint algorithm")?.content)?;
    let imprint_alg =
        imprint_alg.first().and_then(oid).ok_or_else(|| bad("the message imprint has no algorithm"))?;
    let imprint_hash = expect(imprint.get(1), 0x04, "hashedMessage")?.content;
    if digest(imprint_alg, signature)? != imprint_hash {
        return Err(bad("the timestamp's message imprint is not the hash of the bundle's signature"));
    }
    let gen_time = generalized_time(&expect(tst.get(4), 0x18, "genTime")?)?;
    let mut embedded = Vec::new();
    let mut signer_infos = None;
    for f in sd.get(3..).unwrap_or_default() {
        match f.tag {
            0xa0 => embedded = children(f.content)?.iter().map(|c| c.raw.to_vec()).collect(),
            0xa1 => {}
            0x31 => signer_infos = Some(*f),
            _ => return Err(bad("the SignedData has an unexpected field")),
        }
    }
    let signer_infos = children(signer_infos.ok_or_else(|| bad("the timestamp has no signer"))?.content)?;
    let [signer] = signer_infos.as_slice() else {
        return Err(bad(format!(
            "the timestamp has {} signers; exactly one is verified",
            signer_infos.len()
        )));
    };
    let si = children(expect(Some(signer), 0x30, "SignerInfo")?.content)?;
    // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature
    let digest_alg = children(expect(si.get(2), 0x30, "digestAlgorithm")?.content)?;
    let digest_alg =
        digest_alg.first().and_then(oid).ok_or_else(|| bad("the signer has no digest algorithm"))?;
    let attrs = expect(si.get(3), 0xa0, "signedAttrs")?;
    let sig_alg = expect(si.get(4), 0x30, "signatureAlgorithm")?;
    let sig = expect(si.get(5), 0x04, "signature")?.content;
    let mut bound = false;
    for attr in children(attrs.content)? {
        let a = children(expect(Some(&attr), 0x30, "attribute")?.content)?;
        if a.first().and_then(oid) == Some(MESSAGE_DIGEST) {
            let values = children(expect(a.get(1), 0x31, "messageDigest")?.content)?;
            let value = expect(values.first(), 0x04, "messageDigest")?.content;
            bound = value == digest(digest_alg, tst_der)?;
        }
    }
    if !bound {
        return Err(bad("the signed attributes do not bind the TSTInfo (messageDigest)"));
    }
    // The signature is over the signed attributes encoded as a SET.
    let mut signed_attrs = attrs.raw.to_vec();
    signed_attrs[0] = 0x31;
    let candidates: Vec<Vec<u8>> = embedded
        .into_iter()
        .chain(root.timestamp_authorities.iter().filter_map(|a| a.chain.first().cloned()))
        .collect();
    let signer_cert = candidates
        .iter()
        .find(|der| {
            super::cert::parse(der)
                .and_then(|c| super::cert::spki(&c))
                .is_ok_and(|key| verifies_with(&key, sig_alg, sig, &signed_attrs))
        })
        .ok_or_else(|| bad("no certificate of the timestamp or of a trusted TSA verifies its signature"))?;
    verify_tsa_chain(signer_cert, root, gen_time)?;
    Ok(gen_time)
}

/// Whether `signature` over `message` verifies with the SPKI DER `key` under the algorithm
/// the token names (`sigstore`'s TSA signs with ecdsa-with-SHA256 under a P-384 key, a pair a
/// key-derived hash would get wrong): the verification algorithm is chosen by both the key's
/// and the signature's algorithm identifiers, from rustls-webpki's set.
fn verifies_with(key: &[u8], sig_alg: Tlv<'_>, signature: &[u8], message: &[u8]) -> bool {
    let Some((alg, point)) = spki_parts(key) else { return false };
    webpki::ALL_VERIFICATION_ALGS.iter().any(|v| {
        v.public_key_alg_id().as_ref() == alg
            && v.signature_alg_id().as_ref() == sig_alg.content
            && v.verify_signature(point, message, signature).is_ok()
    })
}

/// The algorithm identifier's content and the key bits of an SPKI DER.
pub(super) fn spki_parts(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (spki, _) = next(key).ok()?;
    let parts = children(spki.content).ok()?;
    let (alg, bits) = (parts.first()?, parts.get(1)?);
    let (0, point) = bits.content.split_first()? else { return None };
    Some((alg.content, point))
}

/// The TSA certificate chains, for time stamping, to a trusted TSA valid at `at`.
fn verify_tsa_chain(cert: &[u8], root: &TrustedRoot, at: i64) -> Result<(), KeylessError> {
    let secs = u64::try_from(at).map_err(|_| bad("the stamped time is before 1970"))?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let der = CertificateDer::from(cert);
    let ee = webpki::EndEntityCert::try_from(&der).map_err(|e| bad(format!("the TSA certificate: {e}")))?;
    let mut last = None;
    for tsa in &root.timestamp_authorities {
        if !tsa.valid_for.contains(at) {
            last = Some(format!("{} is not valid at the stamped time", tsa.uri));
            continue;
        }
        let Some((anchor, middle)) = tsa.chain.split_last() else { continue };
        let anchor_der = CertificateDer::from(anchor.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&anchor_der) else { continue };
        let intermediates: Vec<CertificateDer<'_>> = middle
            .iter()
            .filter(|c| c.as_slice() != cert)
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        match ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &intermediates,
            time,
            webpki::KeyUsage::required(TIME_STAMPING),
            None,
            None,
        ) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(format!("{}: {e}", tsa.uri)),
        }
    }
    Err(bad(match last {
        Some(e) => {
            format!("the timestamp's certificate does not chain to a trusted TSA at the stamped time: {e}")
        }
        None => "the trusted root has no timestamp authority".into(),
    }))
}
