//! Reading files of untrusted size.

use std::io::{self, Read};
use std::path::Path;

/// Reads a whole UTF-8 file, refusing it once more than `limit` bytes have been read: a file
/// that grows while it is read, or a device such as `/dev/zero` behind a symlink, cannot make
/// the read go on without end. The error (kind `FileTooLarge`) names the limit.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("f.yaml");
/// std::fs::write(&file, "a: 1\n")?;
/// assert_eq!(catalyst_blueprint::read_text_capped(&file, 5)?, "a: 1\n");
/// let err = catalyst_blueprint::read_text_capped(&file, 4).unwrap_err();
/// assert_eq!(err.to_string(), "more than 4 bytes (the limit for this file)");
/// # #[cfg(unix)]
/// assert!(catalyst_blueprint::read_text_capped("/dev/zero".as_ref(), 1024).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_text_capped(path: &Path, limit: u64) -> io::Result<String> {
    let bytes = read_capped(path, limit)?;
    String::from_utf8(bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8: {e}")))
}

/// [`read_text_capped`] for bytes.
pub fn read_capped(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("more than {limit} bytes (the limit for this file)"),
        ));
    }
    Ok(out)
}
