//! Reading one sample as DLIO's format readers do: fetch the file (or the sample's byte
//! range), in `transfer_size` pieces when set, then check its structure with the format's
//! decoder. The sample's data itself is discarded, as DLIO's readers discard it (they hand
//! the framework a fixed pre-allocated image); `verify` instead compares it with what
//! `mlstor generate` wrote.

use std::collections::HashMap;
use std::sync::Arc;

use mlstor_datagen::DataGen;
use mlstor_formats::codec::Codec;
use mlstor_formats::parquet::{self, ColumnSpec};
use mlstor_formats::{csv, image, npy, npz, tfrecord};
use mlstor_store::{Store, StoreExt};

use super::dataset::{Access, SplitFiles};
use super::error::LoaderError;
use crate::config::schema::{Format, Workload};
use crate::execute::generate::verify_sample;
use crate::execute::parquet::column_bytes;
use crate::plan::files::{file_codec, parquet_columns, parquet_read_columns};
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
    /// The parquet row group whose bytes were read last: (file, group, its rows).
    row_group: Option<(usize, usize, std::ops::Range<u64>)>,
}

impl WorkerState {
    /// A new epoch reads its parquet row groups again (as DLIO's workers do).
    pub fn start_epoch(&mut self) {
        self.row_group = None;
    }
}

/// What reading a parquet dataset needs: its columns and the ones read.
#[derive(Debug, Clone)]
struct ParquetRead {
    columns: Vec<ColumnSpec>,
    /// Names of the columns read (empty: all).
    selected: Vec<String>,
    /// Their row bytes as DLIO counts them.
    row_bytes: u64,
}

/// Gaps between selected column chunks up to this size are read through (one request
/// instead of two).
const COALESCE_GAP: u64 = 64 << 10;

/// Reads samples of one split.
#[derive(Debug)]
pub struct SampleReader {
    store: Arc<dyn Store>,
    files: Arc<SplitFiles>,
    codec: Option<Codec>,
    transfer_size: Option<u64>,
    residency: Residency,
    verify: Option<(Workload, DataGen)>,
    /// Decode PNG and JPEG samples (DLIO v2.0, `--dlio-compat`); else check their header and
    /// count their pixels, as DLIO 3.0.2 reads them undecoded.
    decode_images: bool,
    parquet: Option<ParquetRead>,
}

impl SampleReader {
    pub fn new(
        store: Arc<dyn Store>,
        files: Arc<SplitFiles>,
        w: &Workload,
        residency: Residency,
        verify: Option<DataGen>,
        decode_images: bool,
    ) -> SampleReader {
        let parquet = (w.dataset.format == Format::Parquet).then(|| {
            let columns = parquet_columns(&w.dataset);
            let selected = parquet_read_columns(&w.dataset);
            let row_bytes = columns
                .iter()
                .filter(|c| selected.is_empty() || selected.contains(&c.name))
                .map(ColumnSpec::dlio_row_bytes)
                .sum();
            ParquetRead {
                columns,
                selected,
                row_bytes,
            }
        });
        SampleReader {
            store,
            parquet,
            codec: file_codec(&w.dataset),
            transfer_size: w.reader.transfer_size.filter(|&t| t > 0),
            residency,
            verify: verify.map(|d| (w.clone(), d)),
            decode_images,
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

    /// Sample `s`'s size when it needs no reading: a row of the parquet row group this
    /// worker read last (a batch's rows mostly are; checked without entering [`Self::read`]).
    pub fn already_read(&self, s: SampleRef, st: &WorkerState) -> Option<u64> {
        let pq = self.parquet.as_ref()?;
        match &st.row_group {
            Some((f, _, rows)) if *f == s.file as usize && rows.contains(&(s.sample as u64)) => {
                Some(pq.row_bytes)
            }
            _ => None,
        }
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
                let decode = self.decode_images;
                let data = self.whole_file(f, st).await?;
                let len = match format {
                    // DLIO 3.0.2 reads image files' bytes without decoding them; v2.0 decoded.
                    Format::Png | Format::Jpeg if !decode => image::pixels_len(format.extension(), data),
                    _ => check(format, self.codec, data, sample),
                }
                .map_err(|e| self.decode_err(f, sample, e))?;
                if self.verify.is_some() {
                    let bytes = extract(format, self.codec, data, sample)
                        .map_err(|e| self.decode_err(f, sample, e))?;
                    self.verify_bytes(f, sample, &bytes)?;
                }
                len
            }
            Access::RowGroups => self.read_row(f, s.sample as u64, st).await?,
            Access::Nothing => 0,
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

    /// Row `row` of parquet file `f`: its row group's chunks are read (one request per
    /// range; none when the worker read that row group last), checked against the generator
    /// with `verify`; returns the row's bytes as DLIO counts them.
    async fn read_row(&self, f: usize, row: u64, st: &mut WorkerState) -> Result<u64, LoaderError> {
        let Some(pq) = &self.parquet else {
            return Ok(0);
        };
        // The footer is the file's metadata, not the phase's reading.
        let layout = Tag::Setup
            .scope(self.files.parquet_layout(&self.store, f))
            .await?;
        let g = layout.row_group_of(row).ok_or_else(|| {
            self.decode_err(
                f,
                row,
                mlstor_formats::Error::NoSuchSample {
                    format: "parquet",
                    index: row,
                    have: layout.rows,
                },
            )
        })?;
        if matches!(&st.row_group, Some((rf, rg, _)) if (*rf, *rg) == (f, g)) {
            return Ok(pq.row_bytes);
        }
        st.row_group = None;
        let columns = layout
            .select(&pq.selected)
            .map_err(|e| self.decode_err(f, row, e))?;
        let mut pieces = Vec::new();
        for r in layout.row_group_ranges(g, &columns, COALESCE_GAP) {
            let len = r.end - r.start;
            self.fetch(f, r.start, len, &mut st.buf).await?;
            if self.verify.is_some() {
                pieces.push((r.start, bytes::Bytes::copy_from_slice(&st.buf[..len as usize])));
            }
        }
        if let Some((_, data)) = &self.verify {
            let batch = parquet::decode_row_group(&layout, g, &columns, pieces)
                .map_err(|e| self.decode_err(f, row, e))?;
            let rg = &layout.row_groups[g];
            for (j, &c) in columns.iter().enumerate() {
                let (Some(spec), Some(col)) = (pq.columns.get(c), batch.columns().get(j)) else {
                    return Err(LoaderError::Verify {
                        uri: self.uri(f),
                        sample: row,
                        reason: format!("column {c} is not one the workload's dataset.parquet names"),
                    });
                };
                let want = column_bytes(
                    data,
                    self.files.generated_index(f),
                    c,
                    spec,
                    layout.rows,
                    rg.first_row,
                    rg.rows,
                );
                parquet::check_column(spec, col.as_ref(), &want).map_err(|reason| LoaderError::Verify {
                    uri: self.uri(f),
                    sample: row,
                    reason: format!("row group {g}: {reason}"),
                })?;
            }
        }
        let rg = &layout.row_groups[g];
        st.row_group = Some((f, g, rg.first_row..rg.first_row + rg.rows));
        Ok(pq.row_bytes)
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
        match self.residency {
            Residency::All => {
                if let std::collections::hash_map::Entry::Vacant(e) = st.resident.entry(f) {
                    let mut buf = Vec::new();
                    let size = self.fetch_whole(f, &mut buf).await?;
                    buf.truncate(size);
                    e.insert(buf);
                }
                Ok(st.resident.get(&f).map(Vec::as_slice).unwrap_or_default())
            }
            Residency::LastFile if st.last == Some(f) => {
                let size = self.files.known_size(f).unwrap_or_default() as usize;
                Ok(&st.buf[..size])
            }
            _ => {
                st.last = None;
                let size = self.fetch_whole(f, &mut st.buf).await?;
                st.last = Some(f);
                Ok(&st.buf[..size])
            }
        }
    }

    /// Reads file `f` whole into `buf`; returns its size. A file whose size no listing gave
    /// (`skip_listing`) is read with one GET of the whole object, as DLIO does, and its size
    /// kept for the next epochs.
    async fn fetch_whole(&self, f: usize, buf: &mut Vec<u8>) -> Result<usize, LoaderError> {
        if let Some(size) = self.files.known_size(f) {
            self.fetch(f, 0, size, buf).await?;
            return Ok(size as usize);
        }
        let body = self.store.get(&self.files.keys[f]).await?;
        buf.clear();
        buf.extend_from_slice(&body);
        self.files.learn_size(f, body.len() as u64);
        Ok(body.len())
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
