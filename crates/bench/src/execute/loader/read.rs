//! Reading one sample as DLIO's format readers do: fetch the file (or the sample's byte
//! range), in `transfer_size` pieces when set, then check its structure with the format's
//! decoder. The sample's data itself is discarded, as DLIO's readers discard it (they hand
//! the framework a fixed pre-allocated image); `verify` instead compares it with what
//! `mlstor generate` wrote.

use std::collections::HashMap;
use std::sync::Arc;

use mlstor_datagen::DataGen;
use mlstor_formats::codec::Codec;
use mlstor_formats::{csv, image, npy, npz, tfrecord};
use mlstor_store::Store;

use super::dataset::{Access, SplitFiles};
use super::error::LoaderError;
use crate::config::schema::{Format, Workload};
use crate::execute::generate::verify_sample;
use crate::plan::files::file_codec;
use crate::plan::order::SampleRef;
use crate::records::Tag;

/// How long a worker keeps a file it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residency {
    /// Every sample opens and reads its file again (DLIO's `read_type: on_demand` through
    /// an index sampler: PyTorch, DALI).
    PerSample,
    /// The file stays open while the worker's next samples come from it (DLIO's
    /// TensorFlow generator).
    LastFile,
    /// Every file a worker opened stays in its memory for the run (`read_type: in_memory`).
    All,
}

/// What a worker keeps between samples: its read buffer and open files.
#[derive(Debug, Default)]
pub struct WorkerState {
    buf: Vec<u8>,
    last: Option<usize>,
    resident: HashMap<usize, Vec<u8>>,
}

/// Reads samples of one split.
#[derive(Debug)]
pub struct SampleReader {
    store: Arc<dyn Store>,
    files: Arc<SplitFiles>,
    codec: Option<Codec>,
    transfer_size: Option<u64>,
    residency: Residency,
    verify: Option<(Workload, DataGen)>,
}

impl SampleReader {
    pub fn new(
        store: Arc<dyn Store>,
        files: Arc<SplitFiles>,
        w: &Workload,
        residency: Residency,
        verify: Option<DataGen>,
    ) -> SampleReader {
        SampleReader {
            store,
            codec: file_codec(&w.dataset),
            transfer_size: w.reader.transfer_size.filter(|&t| t > 0),
            residency,
            verify: verify.map(|d| (w.clone(), d)),
            files,
        }
    }

    pub fn files(&self) -> &SplitFiles {
        &self.files
    }

    fn uri(&self, f: usize) -> String {
        format!(
            "{}/{}",
            self.store.root().trim_end_matches('/'),
            self.files.keys[f]
        )
    }

    /// Reads sample `s`; returns its size in bytes.
    pub async fn read(&self, s: SampleRef, st: &mut WorkerState) -> Result<u64, LoaderError> {
        let f = s.file as usize;
        let format = self.files.format;
        // An image file is one sample, whichever of its num_samples_per_file is asked for.
        let sample = if matches!(format, Format::Png | Format::Jpeg) {
            0
        } else {
            s.sample as u64
        };
        let decoded = match Access::of(format) {
            Access::WholeFile => {
                let data = self.whole_file(f, st).await?;
                let len =
                    check(format, self.codec, data, sample).map_err(|e| self.decode_err(f, sample, e))?;
                if self.verify.is_some() {
                    let bytes = extract(format, self.codec, data, sample)
                        .map_err(|e| self.decode_err(f, sample, e))?;
                    self.verify_bytes(f, sample, &bytes)?;
                }
                len
            }
            Access::Ranged => {
                // The index is the file's metadata, not the phase's reading.
                let ranges = Tag::Setup
                    .scope(self.files.ranges(self.store.as_ref(), f))
                    .await?;
                let &(off, len) = ranges.get(s.sample as usize).ok_or_else(|| {
                    self.decode_err(
                        f,
                        sample,
                        mlstor_formats::Error::NoSuchSample {
                            format: format.extension(),
                            index: sample,
                            have: ranges.len() as u64,
                        },
                    )
                })?;
                let bytes: &[u8] = if self.residency == Residency::All {
                    let file = self.whole_file(f, st).await?;
                    &file[off as usize..(off + len) as usize]
                } else {
                    self.fetch(f, off, len, &mut st.buf).await?;
                    &st.buf[..len as usize]
                };
                let record = check_record(format, bytes).map_err(|e| self.decode_err(f, sample, e))?;
                if self.verify.is_some() {
                    self.verify_bytes(f, sample, record)?;
                }
                record.len() as u64
            }
        };
        Ok(decoded)
    }

    fn decode_err(&self, f: usize, sample: u64, source: mlstor_formats::Error) -> LoaderError {
        LoaderError::Decode {
            uri: self.uri(f),
            sample,
            source,
        }
    }

    fn verify_bytes(&self, f: usize, sample: u64, got: &[u8]) -> Result<(), LoaderError> {
        if let Some((w, data)) = &self.verify {
            verify_sample(w, data, self.files.generated_index(f), sample, got).map_err(|reason| {
                LoaderError::Verify {
                    uri: self.uri(f),
                    sample,
                    reason,
                }
            })?;
        }
        Ok(())
    }

    /// The bytes of file `f`, from the worker's memory when its residency keeps it.
    async fn whole_file<'a>(&self, f: usize, st: &'a mut WorkerState) -> Result<&'a [u8], LoaderError> {
        let size = self.files.sizes[f];
        match self.residency {
            Residency::All => {
                if let std::collections::hash_map::Entry::Vacant(e) = st.resident.entry(f) {
                    let mut buf = Vec::new();
                    self.fetch(f, 0, size, &mut buf).await?;
                    e.insert(buf);
                }
                Ok(st.resident.get(&f).map(Vec::as_slice).unwrap_or_default())
            }
            Residency::LastFile if st.last == Some(f) => Ok(&st.buf[..size as usize]),
            _ => {
                st.last = None;
                self.fetch(f, 0, size, &mut st.buf).await?;
                st.last = Some(f);
                Ok(&st.buf[..size as usize])
            }
        }
    }

    /// Reads `len` bytes at `off` of file `f` into `buf`, in `transfer_size` requests
    /// (each one a record of the store's).
    async fn fetch(&self, f: usize, off: u64, len: u64, buf: &mut Vec<u8>) -> Result<(), LoaderError> {
        let len = len as usize;
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let step = self.transfer_size.map_or(len.max(1), |t| t as usize);
        let key = &self.files.keys[f];
        let mut pos = 0;
        while pos < len {
            let end = (pos + step).min(len);
            let n = self
                .store
                .get_into(key, off + pos as u64, &mut buf[pos..end])
                .await?;
            if n < end - pos {
                return Err(LoaderError::Short {
                    uri: self.uri(f),
                    got: (pos + n) as u64,
                    want: len as u64,
                });
            }
            pos = end;
        }
        Ok(())
    }
}

/// Checks sample `sample` of a whole `file` and returns its size, without copying it
/// where the format allows.
pub fn check(format: Format, codec: Option<Codec>, file: &[u8], sample: u64) -> mlstor_formats::Result<u64> {
    match format {
        Format::Npz => npz::sample_len(file, sample),
        Format::Npy => npy::sample_len(file, sample),
        _ => extract(format, codec, file, sample).map(|v| v.len() as u64),
    }
}

/// Sample `sample` of a whole `file`, decoded.
pub fn extract(
    format: Format,
    codec: Option<Codec>,
    file: &[u8],
    sample: u64,
) -> mlstor_formats::Result<Vec<u8>> {
    match format {
        Format::Npz => npz::sample_u8(file, sample),
        Format::Npy => npy::sample_u8(file, sample),
        Format::Csv => match codec {
            // Bounded: a damaged file cannot expand past 64 times its size (plus 1 MiB).
            Some(c) => csv::sample(&c.decompress(file, file.len() as u64 * 64 + (1 << 20))?, sample),
            None => csv::sample(file, sample),
        },
        Format::Png => image::decode_png(file),
        Format::Jpeg => image::decode_jpeg(file),
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => mlstor_formats::hdf5::sample(file, sample),
        other => Err(mlstor_formats::Error::Unsupported {
            format: other.extension(),
            reason: "this build cannot read it (hdf5 needs `--features hdf5`)".into(),
        }),
    }
}

/// The sample inside one record of a ranged format (TFRecord: the `image` feature of a
/// CRC-checked record; indexed binary: the bytes themselves).
pub fn check_record(format: Format, record: &[u8]) -> mlstor_formats::Result<&[u8]> {
    match format {
        Format::Tfrecord => tfrecord::feature_bytes(tfrecord::decode_record(record)?, "image"),
        _ => Ok(record),
    }
}
