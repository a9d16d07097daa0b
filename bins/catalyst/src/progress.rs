//! Progress of long operations on stderr (zones planned and applied, catalog artifacts pulled),
//! shown only when stderr is a terminal: pipes, files and CI logs get the result alone.

use std::io::IsTerminal as _;

/// A counted progress bar, or nothing when stderr is not a terminal or there is one step only.
pub(crate) struct Steps(Option<indicatif::ProgressBar>);

impl Steps {
    /// `total` steps of `what` ("planning zones").
    pub(crate) fn new(total: usize, what: &'static str) -> Self {
        if total < 2 || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix(what);
        Self(Some(bar))
    }

    /// One more step done; `item` names it.
    #[cfg_attr(not(feature = "remote"), allow(dead_code, reason = "only dns counts finished steps"))]
    pub(crate) fn done(&self, item: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(item.to_owned());
            bar.inc(1);
        }
    }

    /// The step `item` has started (position `index` from 0).
    pub(crate) fn starting(&self, index: usize, item: &str) {
        if let Some(bar) = &self.0 {
            bar.set_position(index as u64);
            bar.set_message(item.to_owned());
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
