//! NumPy's `.npz` (a zip of `.npy` members) as DLIO writes it: `np.savez(path, x=records,
//! y=labels)` with `records` a `uint8` array `(dim1, dim2, num_samples)` and `y` that many
//! zero labels (`int64`); `np.savez_compressed` (DLIO's `compression: zip`) deflates them.

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::{Error, Result, npy};

fn corrupt(reason: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        format: "npz",
        reason: reason.to_string(),
    }
}

/// An `.npz` file with `x` = `data` of `shape` (`uint8`) and `y` = `shape[last]` zero labels.
pub fn encode(shape: &[u64], data: &[u8], compressed: bool) -> Result<Vec<u8>> {
    let samples = *shape.last().unwrap_or(&1);
    let method = if compressed {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let big = data.len() as u64 >= u32::MAX as u64 - 4096;
    let opts = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(big);
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(data.len() + 1024)));
    let io = |e: std::io::Error| corrupt(format!("cannot build the zip: {e}"));
    zip.start_file("x.npy", opts).map_err(corrupt)?;
    zip.write_all(&npy::header("|u1", shape)).map_err(io)?;
    zip.write_all(data).map_err(io)?;
    zip.start_file("y.npy", opts).map_err(corrupt)?;
    zip.write_all(&npy::header("<i8", &[samples])).map_err(io)?;
    zip.write_all(&vec![0u8; samples as usize * 8]).map_err(io)?;
    Ok(zip.finish().map_err(corrupt)?.into_inner())
}

/// Whether stored members' CRC-32 is checked (see [`check_crc`]).
static CHECK_CRC: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Check the CRC-32 of every stored member read from now on in this process, as numpy's
/// loader does (`mlstor run --check-crc`). Off by default: it costs ~0.12 CPU-s per GB read,
/// +55% of a training loader's CPU on page-cached npz files (docs/benchmarks.md); deflated
/// members are always checked by the inflater.
pub fn check_crc(on: bool) {
    CHECK_CRC.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The bytes of member `name` (e.g. `x.npy`): borrowed from `bytes` when the member is
/// stored (no copy; its CRC-32 checked with [`check_crc`]), inflated when it is deflated.
pub fn member_slice<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, [u8]>> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let mut file = zip
        .by_name(name)
        .map_err(|e| corrupt(format!("member {name}: {e}")))?;
    let declared = file.size();
    if file.compression() == CompressionMethod::Stored {
        let start = file.data_start().unwrap_or(u64::MAX);
        let end = start.saturating_add(declared);
        if end > bytes.len() as u64 {
            return Err(corrupt(format!(
                "member {name}: {declared} bytes at offset {start} run past the file's {} bytes",
                bytes.len()
            )));
        }
        let data = &bytes[start as usize..end as usize];
        if CHECK_CRC.load(std::sync::atomic::Ordering::Relaxed) {
            let crc = crc32fast::hash(data);
            if crc != file.crc32() {
                return Err(corrupt(format!(
                    "member {name}: bad CRC-32 ({crc:08x}, the zip directory says {:08x})",
                    file.crc32()
                )));
            }
        }
        return Ok(Cow::Borrowed(data));
    }
    // Never inflate past the declared size (a damaged or hostile file could claim little
    // and expand to much).
    let mut out = Vec::with_capacity(declared.min(bytes.len() as u64 * 4) as usize);
    (&mut file)
        .take(declared.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("member {name}: {e}")))?;
    if out.len() as u64 != declared {
        return Err(corrupt(format!(
            "member {name}: {} bytes where {declared} were declared",
            out.len()
        )));
    }
    Ok(Cow::Owned(out))
}

/// The bytes of member `name` (e.g. `x.npy`), copied.
pub fn member(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    member_slice(bytes, name).map(Cow::into_owned)
}

fn in_x<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        Error::Corrupt { reason, .. } => corrupt(format!("x.npy: {reason}")),
        other => other,
    })
}

/// Sample `index` of the file (`x[..., index]`), as DLIO's npz reader returns it.
pub fn sample_u8(bytes: &[u8], index: u64) -> Result<Vec<u8>> {
    in_x(npy::sample_u8(&member_slice(bytes, "x.npy")?, index))
}

/// The size of sample `index` after checking the file's structure, without copying the
/// sample (what a training loader needs when it discards the data, as DLIO's does).
pub fn sample_len(bytes: &[u8], index: u64) -> Result<u64> {
    in_x(npy::sample_len(&member_slice(bytes, "x.npy")?, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_stored_and_deflated() {
        let data: Vec<u8> = (0..4 * 5 * 3).map(|i| (i * 7 % 251) as u8).collect();
        for compressed in [false, true] {
            let file = encode(&[4, 5, 3], &data, compressed).expect("encode");
            let x = member(&file, "x.npy").expect("x");
            assert_eq!(npy::parse_header(&x).expect("h").shape, [4, 5, 3]);
            let y = npy::parse_header(&member(&file, "y.npy").expect("y")).expect("h");
            assert_eq!((y.descr.as_str(), y.shape.as_slice()), ("<i8", &[3u64][..]));
            let s2 = sample_u8(&file, 2).expect("sample");
            assert_eq!(s2.len(), 20);
            assert_eq!(s2[1], data[3 + 2]);
            assert_eq!(sample_len(&file, 2).expect("len"), 20);
            assert!(matches!(
                sample_len(&file, 3),
                Err(Error::NoSuchSample { have: 3, .. })
            ));
        }
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let file = encode(&[8, 8, 2], &[1; 128], false).expect("encode");
        assert!(matches!(sample_u8(b"not a zip", 0), Err(Error::Corrupt { .. })));
        for cut in [0, 10, 40, file.len() / 2, file.len() - 1] {
            assert!(sample_u8(&file[..cut], 0).is_err(), "cut at {cut}");
            assert!(sample_len(&file[..cut], 0).is_err(), "cut at {cut}");
        }
        let mut flipped = file.clone();
        let mid = flipped.len() / 3;
        flipped[mid] ^= 0xff;
        let _ = sample_u8(&flipped, 0); // an error or other bytes, never a panic
    }

    #[test]
    fn a_changed_payload_fails_its_crc() {
        // One byte of the sample data changed, the zip structure intact (issue #19 item 7):
        // numpy's loader raises "Bad CRC-32"; so do we with check_crc.
        for compressed in [false, true] {
            let data: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
            let file = encode(&[64, 64, 1], &data, compressed).expect("encode");
            assert!(sample_len(&file, 0).is_ok());
            if compressed {
                continue; // the inflater's own CRC check covers deflated members
            }
            let at = file
                .windows(16)
                .position(|w| w == &data[1000..1016])
                .expect("payload in the file");
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            check_crc(true);
            let e = sample_len(&bad, 0).expect_err("bad CRC").to_string();
            check_crc(false);
            assert!(e.contains("bad CRC-32"), "{e}");
        }
    }
}
