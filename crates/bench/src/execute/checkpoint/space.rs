//! Room for the checkpoints on a local file system, checked before the first byte is
//! written: a full disk would fail the run halfway and starve everything else on the host.

use mlstor_store::StoreUri;

use super::error::CheckpointError;
use crate::plan::PlanError;

/// Ranks of this job on this host, from the launcher (`OMPI_COMM_WORLD_LOCAL_SIZE`,
/// `MPI_LOCALNRANKS`), else 1.
pub fn local_ranks() -> u64 {
    ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
        .unwrap_or(1)
}

/// Bytes free for an unprivileged writer at `path` or its nearest existing ancestor.
fn free_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = path.ancestors().find(|p| p.exists())?;
    let c = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct we own; `c` is a valid C string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

/// Bytes for people, with 3 significant digits (`104 MB`, `1.23 GB`): two different sizes
/// never print the same.
fn readable(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    let decimals = if u == 0 || v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$} {}", units[u])
}

/// Fails when `uri` (a `file://` or `direct://` checkpoint root; other schemes pass) has
/// less room than `needed` bytes.
pub fn check_free_space(uri: &str, needed: u64) -> Result<(), CheckpointError> {
    let Some(free) = StoreUri::parse(uri)
        .ok()
        .and_then(|u| u.local_path().and_then(free_bytes))
    else {
        return Ok(());
    };
    if needed > free {
        return Err(PlanError::Checkpoint(format!(
            "{uri}: the checkpoints this host writes need {needed} bytes ({}) but only {free} bytes ({}) \
             are free; lower checkpoint.num_checkpoints_write, scale the model down, or point \
             checkpoint.checkpoint_folder at bigger storage",
            readable(needed),
            readable(free)
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_big_is_refused_and_object_stores_pass() {
        let d = std::env::temp_dir().join("mlstor-space-check/not/yet/there");
        let uri = format!("file://{}", d.display());
        check_free_space(&uri, 1).expect("a byte fits");
        let e = check_free_space(&uri, u64::MAX).expect_err("too big").to_string();
        assert!(e.contains("only") && e.contains("are free"), "{e}");
        check_free_space("s3://b/ckpt", u64::MAX).expect("not checked");
    }

    #[test]
    fn sizes_read_differently_when_they_differ() {
        assert_eq!(readable(104_857_600), "105 MB");
        assert_eq!(readable(99_000_000), "99.0 MB");
        assert_eq!(readable(1_234_567_890), "1.23 GB");
        assert_eq!(readable(512), "512 B");
        assert_ne!(readable(110_000_000), readable(140_000_000)); // both "0.1 GB" before
    }
}
