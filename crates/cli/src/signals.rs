//! SIGINT and SIGTERM handled alike (what Ctrl-C and batch schedulers or `timeout` send): the
//! command's cancellation token is cancelled, the work stops cleanly (no partial object under
//! a final name), and the process exits with 128 + the signal's number.

use std::sync::atomic::{AtomicI32, Ordering};

use tokio::signal::unix::{SignalKind, signal};

static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// Calls `cancel` on the first SIGINT or SIGTERM, remembering which arrived.
pub fn on_interrupt(cancel: impl FnOnce() + Send + 'static) {
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        return;
    };
    tokio::spawn(async move {
        let sig = tokio::select! {
            _ = int.recv() => libc::SIGINT,
            _ = term.recv() => libc::SIGTERM,
        };
        RECEIVED.store(sig, Ordering::SeqCst);
        cancel();
        // A second signal means "now": exit at once (the clean stop may be waiting on an
        // unreachable endpoint).
        tokio::select! {
            _ = int.recv() => std::process::exit(128 + libc::SIGINT),
            _ = term.recv() => std::process::exit(128 + libc::SIGTERM),
        }
    });
}

/// Whether SIGINT or SIGTERM arrived (for loops that check between pieces of work).
pub fn interrupted() -> bool {
    RECEIVED.load(Ordering::SeqCst) != 0
}

/// The exit code of a command a signal stopped: 128 + its number (130 for SIGINT, 143 for
/// SIGTERM), as shells report it.
pub fn exit_code() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => u8::try_from(128 + s).ok(),
    }
}
