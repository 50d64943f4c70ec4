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
            "{uri}: the checkpoints this host writes need {:.1} GB but only {:.1} GB are free; lower \
             checkpoint.num_checkpoints_write, scale the model down, or point checkpoint.checkpoint_folder \
             at bigger storage",
            needed as f64 / 1e9,
            free as f64 / 1e9
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
        assert!(e.contains("only") && e.contains("GB are free"), "{e}");
        check_free_space("s3://b/ckpt", u64::MAX).expect("not checked");
    }
}
