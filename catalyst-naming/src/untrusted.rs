//! Text that another server wrote, made safe to show and store.
//!
//! An error body from PowerDNS, Gitea or a registry is attacker-controlled: it can be
//! megabytes long or carry terminal escape sequences and fake log lines. Everywhere such text
//! is shown or stored (CLI stderr, logs, status conditions) it goes through [`remote_text`]
//! first: control characters become spaces and at most [`MAX_REMOTE_TEXT`] characters are
//! kept.

/// The most characters of server-provided text that are kept.
pub const MAX_REMOTE_TEXT: usize = 512;

/// `raw` with control characters (newlines, escapes, NUL, C1 and bidi controls) replaced by
/// spaces, trimmed, and cut to [`MAX_REMOTE_TEXT`] characters (the cut marked with `…`).
///
/// ```
/// use catalyst_naming::untrusted::{MAX_REMOTE_TEXT, remote_text};
/// assert_eq!(remote_text("zone \u{1b}[31mbad\nerror: forged"), "zone  [31mbad error: forged");
/// let long = remote_text(&"x".repeat(5_000_000));
/// assert_eq!(long.chars().count(), MAX_REMOTE_TEXT);
/// assert!(long.ends_with('…'));
/// ```
pub fn remote_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_REMOTE_TEXT * 4));
    let mut chars = raw.trim().chars().peekable();
    let mut kept = 0usize;
    while let Some(c) = chars.next() {
        if kept == MAX_REMOTE_TEXT - 1 && chars.peek().is_some() {
            out.push('…');
            break;
        }
        out.push(if is_unsafe(c) { ' ' } else { c });
        kept += 1;
    }
    out
}

/// [`remote_text`] of bytes that may not be UTF-8 (invalid sequences become `�`).
pub fn remote_bytes(raw: &[u8]) -> String {
    // Decode at most what can be kept: 4 bytes per character is the UTF-8 maximum.
    let head = &raw[..raw.len().min(MAX_REMOTE_TEXT * 4 + 4)];
    remote_text(&String::from_utf8_lossy(head))
}

/// `raw` with every control, bidi-override and line-separator character written as a
/// visible escape (`\u{a}`), so text from a file name or a remote answer cannot start a new
/// line, reorder what follows, or merge with other text that differs only there.
///
/// ```
/// use catalyst_naming::untrusted::escape_unsafe;
/// assert_eq!(escape_unsafe("a\nb\u{202e}c"), "a\\u{a}b\\u{202e}c");
/// assert_eq!(escape_unsafe("plain"), "plain");
/// ```
pub fn escape_unsafe(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        if is_unsafe(c) {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_and_exactly_full_text_is_not_cut() {
        assert_eq!(remote_text("  zone not found \r\n"), "zone not found");
        let exact = "y".repeat(MAX_REMOTE_TEXT);
        assert_eq!(remote_text(&exact), exact);
        let over = "y".repeat(MAX_REMOTE_TEXT + 1);
        assert_eq!(remote_text(&over).chars().count(), MAX_REMOTE_TEXT);
        assert_eq!(remote_text("a\u{202e}b\u{0}c"), "a b c");
        assert_eq!(remote_bytes(b"ok \xff"), "ok \u{fffd}");
    }
}
