//! A content-addressed blob cache: `blobs/sha256/<hex>`, plus the signature manifest seen
//! for an artifact digest (`signatures/<hex>.json`). Every read is re-hashed; a blob that does
//! not match its name is deleted and treated as absent. Writes go through a temporary file
//! and a rename, so a crash leaves no half-written blob.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::artifact::{COSIGN_SIMPLE_SIGNING, Digest, Manifest};

#[derive(Clone)]
pub(crate) struct Cache {
    root: PathBuf,
}

impl Cache {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join("sha256").join(digest.hex())
    }

    /// The blob, if cached and still matching its digest.
    pub(crate) fn blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).ok()?;
        if digest.matches(&bytes) {
            Some(bytes)
        } else {
            tracing::warn!(path = %path.display(), "cached blob does not match its digest; discarded");
            let _ = fs::remove_file(&path);
            None
        }
    }

    /// Stores a blob; failures only cost a later download, so they are logged, not returned.
    pub(crate) fn put_blob(&self, digest: &Digest, bytes: &[u8]) {
        if let Err(e) = write_atomic(&self.blob_path(digest), bytes) {
            tracing::warn!(error = %e, cache = %self.root.display(), "cannot write to the blob cache");
        }
    }

    /// The signature manifest cached for `digest` and its payload blobs.
    pub(crate) fn signatures(&self, digest: &Digest) -> Option<(Manifest, BTreeMap<Digest, Vec<u8>>)> {
        let sig_digest = Digest::parse(fs::read_to_string(self.sig_index(digest)).ok()?.trim()).ok()?;
        let manifest = Manifest::parse(&self.blob(&sig_digest)?).ok()?;
        let payloads = manifest
            .layers
            .iter()
            .filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING)
            .filter_map(|l| Some((l.digest.clone(), self.blob(&l.digest)?)))
            .collect();
        Some((manifest, payloads))
    }

    /// Remembers a signature manifest that verified `digest`.
    pub(crate) fn put_signatures(
        &self,
        digest: &Digest,
        manifest: &[u8],
        payloads: &BTreeMap<Digest, Vec<u8>>,
    ) {
        let sig_digest = Digest::of(manifest);
        self.put_blob(&sig_digest, manifest);
        for (d, bytes) in payloads {
            self.put_blob(d, bytes);
        }
        if let Err(e) = write_atomic(&self.sig_index(digest), sig_digest.as_str().as_bytes()) {
            tracing::warn!(error = %e, cache = %self.root.display(), "cannot write to the blob cache");
        }
    }

    fn sig_index(&self, digest: &Digest) -> PathBuf {
        self.root.join("signatures").join(format!("{}.json", digest.hex()))
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
