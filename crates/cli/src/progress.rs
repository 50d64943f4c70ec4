//! Progress bars for long transfers: drawn on stderr only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Transfers smaller than this get no bar.
pub const MIN_BYTES: u64 = 8 << 20;

/// A byte-count bar, hidden when `quiet`, when the total is small, or when stderr is not a terminal.
pub fn bytes_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || total < MIN_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A count bar (objects), hidden when `quiet` or stderr is not a terminal.
pub fn count_bar(total: u64, quiet: bool) -> ProgressBar {
    templated(total, quiet, "{bar:40} {pos}/{len} objects {per_sec} eta {eta}")
}

fn templated(total: u64, quiet: bool, template: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// A file-count bar with a message (bytes and rate so far), hidden when `quiet` or stderr is
/// not a terminal.
pub fn files_bar(total: u64, quiet: bool) -> ProgressBar {
    templated(total, quiet, "{bar:40} {pos}/{len} files {msg} eta {eta}")
}

/// A training-step bar labelled `what` (e.g. "epoch 2/5"), with a message (samples/s, AU so
/// far), hidden when `quiet` or stderr is not a terminal.
pub fn steps_bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    let template = format!("{what} {{bar:40}} {{pos}}/{{len}} steps {{msg}} eta {{eta}}");
    templated(total, quiet, &template)
}
