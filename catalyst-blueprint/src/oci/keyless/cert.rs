//! The signing certificate: its chain to a Fulcio CA valid at the signing time (rustls-webpki),
//! its embedded SCT (RFC 6962) against a trusted CT log, and the identity it certifies.

use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;
use x509_cert::der::{Any, Decode as _, Encode as _, Tag, TagNumber, Tagged as _, asn1::OctetString};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::ObjectIdentifier;

use super::KeylessError;
use super::tlog::verifies;
use super::trust::TrustedRoot;

/// Fulcio's OIDC issuer extension (v2, a DER `UTF8String`).
const OIDC_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// Fulcio's OIDC issuer extension (v1, the raw string), for older certificates.
const OIDC_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// The embedded SCT list (RFC 6962 §3.3).
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// id-kp-codeSigning, DER value bytes.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

fn untrusted(message: impl Into<String>) -> KeylessError {
    KeylessError::CertificateUntrusted(message.into())
}

/// A parsed certificate.
pub(super) fn parse(der: &[u8]) -> Result<Certificate, KeylessError> {
    Certificate::from_der(der)
        .map_err(|e| KeylessError::BundleInvalid(format!("the certificate is not X.509 DER: {e}")))
}

/// The certificate's public key (SPKI DER).
pub(super) fn spki(cert: &Certificate) -> Result<Vec<u8>, KeylessError> {
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| KeylessError::BundleInvalid(format!("the certificate's key: {e}")))
}

/// Whether the certificate is self-signed (a root): subject equals issuer.
pub(super) fn is_root(cert: &Certificate) -> bool {
    cert.tbs_certificate().subject() == cert.tbs_certificate().issuer()
}

/// The identities (URI and e-mail SANs) and the OIDC issuer the certificate states.
pub(super) fn identity(cert: &Certificate) -> (Vec<String>, Option<String>) {
    let mut sans = Vec::new();
    if let Ok(Some((_, SubjectAltName(names)))) = cert.tbs_certificate().get_extension::<SubjectAltName>() {
        for name in names {
            match name {
                GeneralName::UniformResourceIdentifier(u) => sans.push(u.to_string()),
                GeneralName::Rfc822Name(e) => sans.push(e.to_string()),
                _ => {}
            }
        }
    }
    let exts: &[Extension] = cert.tbs_certificate().extensions().map_or(&[], |e| e.as_slice());
    // When the v2 extension is there it is the issuer, or there is none: a malformed v2 is not
    // an invitation to read v1.
    if let Some(e) = exts.iter().find(|e| e.extn_id == OIDC_ISSUER_V2) {
        let v2 = x509_cert::der::asn1::Utf8StringRef::from_der(e.extn_value.as_bytes())
            .ok()
            .map(|s| s.as_str().to_owned());
        return (sans, v2);
    }
    let v1 = || {
        exts.iter()
            .find(|e| e.extn_id == OIDC_ISSUER_V1)
            .and_then(|e| std::str::from_utf8(e.extn_value.as_bytes()).ok().map(str::to_owned))
    };
    (sans, v1())
}

/// Verifies the leaf's chain to a Fulcio CA of `root` valid at `at` (seconds), for code
/// signing, at that time. Returns the SPKI DER of the leaf's issuer (for the SCT).
pub(super) fn verify_chain(leaf: &[u8], root: &TrustedRoot, at: i64) -> Result<Vec<u8>, KeylessError> {
    let Ok(secs) = u64::try_from(at) else { return Err(untrusted("the signing time is before 1970")) };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let leaf_der = CertificateDer::from(leaf);
    let ee = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| untrusted(format!("the leaf certificate: {e}")))?;
    let mut last = None;
    for ca in root.certificate_authorities.iter().filter(|ca| ca.valid_for.contains(at)) {
        let Some((anchor_der, intermediates)) = ca.chain.split_last() else { continue };
        let anchor_der = CertificateDer::from(anchor_der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&anchor_der) else { continue };
        let intermediates: Vec<CertificateDer<'_>> =
            intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
        match ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &intermediates,
            time,
            webpki::KeyUsage::required(CODE_SIGNING),
            None,
            None,
        ) {
            Ok(path) => {
                let issuer = match path.intermediate_certificates().next() {
                    Some(i) => parse(i.der().as_ref())?,
                    None => parse(&anchor_der)?,
                };
                return spki(&issuer);
            }
            Err(e) => last = Some(format!("{} ({e})", ca.uri)),
        }
    }
    Err(untrusted(match last {
        Some(e) => format!("the certificate does not chain to a trusted CA at the signing time: {e}"),
        None => format!("no trusted CA is valid at the signing time {at}"),
    }))
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])))
}

/// The leaf's TBS certificate without its SCT extension (the precertificate the CT log signed).
fn precert_tbs(leaf: &[u8]) -> Result<Vec<u8>, x509_cert::der::Error> {
    let extensions_tag = Tag::ContextSpecific { constructed: true, number: TagNumber(3) };
    let fields = Vec::<Any>::from_der(leaf)?;
    let tbs = fields.first().ok_or_else(|| Tag::Sequence.value_error())?;
    let mut tbs_fields: Vec<Any> = tbs.decode_as()?;
    if let Some(exts) = tbs_fields.iter_mut().find(|f| f.tag() == extensions_tag) {
        let list = Vec::<Any>::from_der(exts.value())?;
        let mut kept = Vec::new();
        for ext in list {
            if ext.decode_as::<Extension>()?.extn_id != SCT_LIST {
                kept.push(ext);
            }
        }
        *exts = Any::new(extensions_tag, kept.to_der()?)?;
    }
    tbs_fields.to_der()
}

/// Verifies an embedded SCT of the leaf against a CT log of `root`: any one SCT signed by a
/// trusted log over the precertificate entry (`issuer_spki` names the issuer) is enough.
pub(super) fn verify_sct(
    leaf: &Certificate,
    leaf_der: &[u8],
    issuer_spki: &[u8],
    root: &TrustedRoot,
) -> Result<(), KeylessError> {
    let bad = |m: &str| KeylessError::SctInvalid(m.to_owned());
    let exts: &[Extension] = leaf.tbs_certificate().extensions().map_or(&[], |e| e.as_slice());
    let ext = exts
        .iter()
        .find(|e| e.extn_id == SCT_LIST)
        .ok_or_else(|| bad("the certificate has no embedded SCT"))?;
    let list = OctetString::from_der(ext.extn_value.as_bytes())
        .map_err(|_| bad("the SCT list is not an OCTET STRING"))?;
    let list = list.as_bytes();
    let total = u16_at(list, 0).ok_or_else(|| bad("the SCT list is truncated"))?;
    let body = list.get(2..2 + total).ok_or_else(|| bad("the SCT list is truncated"))?;
    let tbs =
        precert_tbs(leaf_der).map_err(|e| bad(&format!("the precertificate cannot be rebuilt: {e}")))?;
    let issuer_hash = Sha256::digest(issuer_spki);
    let mut at = 0;
    let mut seen = 0;
    while at < body.len() {
        let len = u16_at(body, at).ok_or_else(|| bad("an SCT is truncated"))?;
        let sct = body.get(at + 2..at + 2 + len).ok_or_else(|| bad("an SCT is truncated"))?;
        at += 2 + len;
        seen += 1;
        // version(1) log_id(32) timestamp(8) extensions(2+n) hash(1) sig(1) signature(2+n)
        let (Some(&0), Some(log_id), Some(ts)) = (sct.first(), sct.get(1..33), sct.get(33..41)) else {
            continue;
        };
        let Some(ext_len) = u16_at(sct, 41) else { continue };
        let Some(extensions) = sct.get(43..43 + ext_len) else { continue };
        let Some(sig_len) = u16_at(sct, 45 + ext_len) else { continue };
        let Some(signature) = sct.get(47 + ext_len..47 + ext_len + sig_len) else { continue };
        // A CT log key counts only inside its validity window (a retired log's key signs
        // nothing new).
        let at =
            i64::try_from(u64::from_be_bytes(ts.try_into().unwrap_or_default()) / 1000).unwrap_or(i64::MAX);
        let Some(log) = root.ctlog(log_id).filter(|l| l.valid_for.contains(at)) else { continue };
        let tbs_len = u32::try_from(tbs.len()).unwrap_or(u32::MAX).to_be_bytes();
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(ts);
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_hash);
        signed.extend_from_slice(&tbs_len[1..]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&u16::try_from(ext_len).unwrap_or(u16::MAX).to_be_bytes());
        signed.extend_from_slice(extensions);
        if verifies(&log.key, signature, &signed) {
            return Ok(());
        }
    }
    Err(bad(&format!("none of the {seen} embedded SCTs verifies with a trusted CT log key")))
}
