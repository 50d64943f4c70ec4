//! HDF5 files as DLIO writes them with h5py: a `uint8` dataset `records` of shape
//! `(num_samples, dim1, dim2)` (optionally chunked `(1, c, c)` and gzip-compressed) and an
//! integer dataset `labels`. Sample `i` is `records[i]`. The HDF5 library works on files, so
//! encoding and reading go through a private temporary file.

use std::path::PathBuf;

use crate::{Error, Result};

fn bad(e: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        format: "hdf5",
        reason: e.to_string(),
    }
}

/// A temporary file removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Scratch(std::env::temp_dir().join(format!("mlstor-h5-{}-{n}.h5", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// How `records` is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Chunk side `c` for `(1, c, c)` chunks; `None`: contiguous.
    pub chunk: Option<usize>,
    /// gzip level (needs chunks; a chunk of one sample is used when none is given).
    pub gzip: Option<u8>,
    /// LZF compression (h5py's `compression="lzf"`; needs chunks likewise).
    pub lzf: bool,
}

/// An HDF5 file with `records` = `data` of shape `(n, d1, d2)` and `n` zero labels.
pub fn encode(n: usize, d1: usize, d2: usize, data: &[u8], layout: Layout) -> Result<Vec<u8>> {
    let scratch = Scratch::new();
    {
        let file = hdf5::File::create(&scratch.0).map_err(bad)?;
        let mut builder = file.new_dataset::<u8>().shape((n, d1, d2));
        let compressed = layout.gzip.is_some() || layout.lzf;
        let chunk = layout.chunk.or(compressed.then(|| d1.max(d2)));
        if let Some(c) = chunk {
            builder = builder.chunk((1, c.min(d1).max(1), c.min(d2).max(1)));
        }
        if let Some(level) = layout.gzip {
            builder = builder.deflate(level);
        }
        if layout.lzf {
            builder = builder.lzf();
        }
        let records = builder.create("records").map_err(bad)?;
        records.write_raw(data).map_err(bad)?;
        let labels = vec![0i64; n];
        file.new_dataset_builder()
            .with_data(&labels[..])
            .create("labels")
            .map_err(bad)?;
        file.close().map_err(bad)?;
    }
    std::fs::read(&scratch.0).map_err(bad)
}

/// Sample `index` (`records[index]`) of an HDF5 file's bytes.
pub fn sample(file: &[u8], index: u64) -> Result<Vec<u8>> {
    let scratch = Scratch::new();
    std::fs::write(&scratch.0, file).map_err(bad)?;
    let f = hdf5::File::open(&scratch.0).map_err(bad)?;
    let records = f.dataset("records").map_err(bad)?;
    let shape = records.shape();
    let have = *shape.first().unwrap_or(&0) as u64;
    if shape.len() != 3 {
        return Err(bad(format!("records has shape {shape:?}, expected 3 dimensions")));
    }
    if index >= have {
        return Err(Error::NoSuchSample {
            format: "hdf5",
            index,
            have,
        });
    }
    let i = index as usize;
    let image = records.read_slice_2d::<u8, _>((i, .., ..)).map_err(bad)?;
    Ok(image.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_contiguous_chunked_and_gzip() {
        let data: Vec<u8> = (0..3 * 20 * 30).map(|i| (i % 251) as u8).collect();
        let layouts = [
            Layout::default(),
            Layout {
                chunk: Some(8),
                ..Layout::default()
            },
            Layout {
                gzip: Some(4),
                ..Layout::default()
            },
            Layout {
                lzf: true,
                ..Layout::default()
            },
        ];
        for layout in layouts {
            let f = encode(3, 20, 30, &data, layout).expect("encode");
            assert_eq!(sample(&f, 1).expect("sample"), data[600..1200], "{layout:?}");
            assert!(matches!(sample(&f, 3), Err(Error::NoSuchSample { have: 3, .. })));
        }
        assert!(sample(b"not hdf5 at all", 0).is_err());
    }
}
