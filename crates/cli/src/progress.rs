//! Progress bars for long transfers: drawn on stderr only when it is a terminal.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::size::human;

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

/// The files bar of a dataset generation inside a run: made when the rank knows how many
/// files it writes, advanced per file with the bytes and rate so far.
pub struct GenerationBar {
    bar: Mutex<ProgressBar>,
    written: AtomicU64,
    started: Instant,
    quiet: bool,
}

impl GenerationBar {
    pub fn new(quiet: bool) -> GenerationBar {
        GenerationBar {
            bar: Mutex::new(ProgressBar::hidden()),
            written: AtomicU64::new(0),
            started: Instant::now(),
            quiet,
        }
    }

    /// This rank writes `files` files.
    pub fn start(&self, files: u64) {
        if let Ok(mut b) = self.bar.lock() {
            *b = files_bar(files, self.quiet);
        }
    }

    /// One file of `bytes` was written.
    pub fn file_written(&self, bytes: u64) {
        let total = self.written.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        if let Ok(b) = self.bar.lock() {
            b.set_message(format!("{}, {:.2} GB/s", human(total), total as f64 / 1e9 / secs));
            b.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Ok(b) = self.bar.lock() {
            b.finish_and_clear();
        }
    }
}
