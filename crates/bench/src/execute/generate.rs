//! Dataset generation: DLIO's files (names, sample shapes, formats) written through a
//! [`Store`], rank `r` of `n` writing the files `i` with `i mod n = r`, several files in flight.
//! Sample bytes come from `mlstor-datagen` (object id = file index, seed = `train.seed`).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use mlstor_datagen::{DataGen, Params};
use mlstor_formats::{csv, image, indexed_binary, npy, npz, tfrecord};
use mlstor_store::{Store, StoreExt, StoreUri, WriterOptions};

use crate::config::schema::{Compression, Format, Workload};
use crate::plan::files::{Split, dataset_files, file_codec, files_for_rank, stored_name};
use crate::plan::samples::dims;

/// Errors of generation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    #[error(
        "generating dataset.format {0} is not supported yet (supported: npz, npy, tfrecord, csv, indexed_binary, mmap_indexed_binary, png, jpeg, parquet, synthetic, hdf5)"
    )]
    FormatNotSupported(&'static str),
    #[error(
        "dataset.parquet.partition_by {0:?}: hive-partitioned datasets are not generated (DLIO 3.0.2 cannot read them either); remove the key"
    )]
    PartitionBy(String),
    #[error("this mlstor was built without HDF5 support: build with `--features hdf5` (needs libhdf5-dev)")]
    NoHdf5,
    #[error("dataset.compression {0:?} is not supported for dataset.format {1}")]
    CompressionNotSupported(Compression, &'static str),
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error("encoding {file}")]
    Encode {
        file: String,
        #[source]
        source: mlstor_formats::Error,
    },
    #[error(transparent)]
    Parquet(#[from] super::parquet::WriteError),
    #[error(transparent)]
    Datagen(#[from] mlstor_datagen::Error),
    #[error("a generation task failed")]
    Join(#[from] tokio::task::JoinError),
    #[error("cancelled: the files written so far are whole, none is partial")]
    Cancelled,
    #[error("cannot create the folder {path}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub use crate::records::GenerateReport;

/// Checks that the workload's dataset can be generated, before anything is written.
pub fn check(w: &Workload) -> Result<(), GenerateError> {
    let f = w.dataset.format;
    match f {
        Format::Npz
        | Format::Npy
        | Format::Tfrecord
        | Format::Csv
        | Format::IndexedBinary
        | Format::MmapIndexedBinary
        | Format::Png
        | Format::Jpeg
        | Format::Parquet
        | Format::Synthetic => {}
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => {}
        #[cfg(not(feature = "hdf5"))]
        Format::Hdf5 => return Err(GenerateError::NoHdf5),
        other => return Err(GenerateError::FormatNotSupported(other.extension())),
    }
    if let Some(col) = &w.dataset.parquet.partition_by
        && f == Format::Parquet
    {
        return Err(GenerateError::PartitionBy(col.clone()));
    }
    let c = w.dataset.compression;
    let ok = c == Compression::None
        || (f == Format::Npz && c == Compression::Zip)
        || (f == Format::Hdf5 && matches!(c, Compression::Gzip | Compression::Lzf))
        || (f == Format::Csv
            && matches!(
                c,
                Compression::Gzip | Compression::Bz2 | Compression::Zip | Compression::Xz
            ))
        || (f == Format::Parquet
            && matches!(
                c,
                Compression::Snappy | Compression::Gzip | Compression::Lz4 | Compression::Zstd
            ));
    if !ok {
        return Err(GenerateError::CompressionNotSupported(c, f.extension()));
    }
    Ok(())
}

/// Writes this rank's share of the dataset into `store` (rooted at the data folder);
/// `on_file(bytes)` is called after each file.
pub async fn generate(
    w: &Workload,
    store: Arc<dyn Store>,
    rank: usize,
    ranks: usize,
    concurrency: usize,
    on_file: &(dyn Fn(u64) + Send + Sync),
) -> Result<GenerateReport, GenerateError> {
    check(w)?;
    create_split_folders(store.as_ref())?;
    let data = DataGen::new(Params {
        seed: w.train.seed,
        ..Params::default()
    })?;
    let mut files: Vec<(Split, String)> = Vec::new();
    for split in [Split::Train, Split::Valid] {
        files.extend(dataset_files(&w.dataset, split).into_iter().map(|f| (split, f)));
    }
    let mine: Vec<(u64, Split, String)> = files_for_rank(files.len(), rank, ranks)
        .map(|i| (i as u64, files[i].0, files[i].1.clone()))
        .collect();
    let started = Instant::now();
    let written: Vec<u64> = futures::stream::iter(mine)
        .map(|(i, split, key)| {
            let (w, data, store) = (w.clone(), data.clone(), store.clone());
            let stored = stored_name(&w.dataset, &key);
            async move {
                if w.dataset.format == Format::Parquet {
                    let n = super::parquet::write_file(&w, &data, &store, &stored, i).await?;
                    on_file(n);
                    return Ok::<u64, GenerateError>(n);
                }
                let (body, side_files) = {
                    let key = key.clone();
                    tokio::task::spawn_blocking(move || encode(&w, &data, i, split, &key)).await??
                };
                let n = body.len() as u64;
                put(&store, &stored, body).await?;
                for (side_key, side) in side_files {
                    store.put(&side_key, side).await?;
                }
                on_file(n);
                Ok::<u64, GenerateError>(n)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(GenerateReport {
        files: written.len() as u64,
        bytes: written.iter().sum(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// On a local file system, leaves both split folders (`train/`, `valid/`), an empty one
/// included, as DLIO's generator does: DLIO's training lists `valid/` and fails without it.
/// Object stores have no folders to create.
fn create_split_folders(store: &dyn Store) -> Result<(), GenerateError> {
    let Ok(root) = StoreUri::parse(store.root()) else {
        return Ok(());
    };
    let Some(path) = root.local_path() else {
        return Ok(());
    };
    for split in [Split::Train, Split::Valid] {
        let dir = path.join(split.folder());
        std::fs::create_dir_all(&dir).map_err(|source| GenerateError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Samples a file of `format` holds (an image file holds one, whatever
/// `num_samples_per_file` says, as in DLIO).
pub fn samples_in_file(w: &Workload) -> u64 {
    if matches!(w.dataset.format, Format::Png | Format::Jpeg) {
        1
    } else {
        w.dataset.num_samples_per_file
    }
}

/// Checks sample `sample` of file `file_index` (training files first, then evaluation
/// files), as a reader extracted it, against what [`generate`] wrote. NumPy's layouts hold
/// a sample strided across the array's last axis; the other formats keep it contiguous;
/// JPEG is lossy, so only its size is checked.
pub fn verify_sample(
    w: &Workload,
    data: &DataGen,
    file_index: u64,
    sample: u64,
    got: &[u8],
) -> Result<(), String> {
    let (d1, d2) = dims(&w.dataset, w.train.seed, file_index);
    let len = d1 * d2;
    let n = samples_in_file(w);
    if got.len() as u64 != len {
        return Err(format!("{} bytes where the generator wrote {len}", got.len()));
    }
    match w.dataset.format {
        Format::Jpeg => Ok(()),
        Format::Npz | Format::Npy => {
            let raw = data
                .try_generate(file_index, (len * n) as usize, 1)
                .map_err(|e| e.to_string())?;
            let differs = (0..len as usize).find(|&j| raw[j * n as usize + sample as usize] != got[j]);
            match differs {
                Some(j) => Err(format!("byte {j} differs from the generator's")),
                None => Ok(()),
            }
        }
        _ => data
            .verify(file_index, len * n, sample * len, got)
            .map_err(|e| e.to_string()),
    }
}

/// Large files stream through the multipart writer; small ones are one PUT.
async fn put(store: &Arc<dyn Store>, key: &str, body: Bytes) -> Result<(), GenerateError> {
    const PART: usize = 16 << 20;
    if body.len() > 4 * PART {
        store
            .put_streaming(
                key,
                body,
                WriterOptions {
                    part_size: PART,
                    concurrency: 0,
                    ..WriterOptions::default()
                },
            )
            .await?;
    } else {
        store.put(key, body).await?;
    }
    Ok(())
}

/// File `i` (global index: training files, then evaluation files) and the files that go
/// with it (TFRecord's DALI index, indexed binary's offset and size indexes) as (key, bytes).
fn encode(
    w: &Workload,
    data: &DataGen,
    i: u64,
    split: Split,
    key: &str,
) -> Result<(Bytes, Vec<(String, Bytes)>), GenerateError> {
    let d = &w.dataset;
    if d.format == Format::Synthetic {
        // DLIO 3.0.2's synthetic files hold their index as text; training never reads them.
        return Ok((Bytes::from(i.to_string()), vec![]));
    }
    let (d1, d2) = dims(d, w.train.seed, i);
    let n = samples_in_file(w);
    let sample = (d1 * d2) as usize;
    let raw = data.try_generate(i, sample * n as usize, 1)?;
    let samples = || raw.chunks(sample.max(1)).take(n as usize);
    let enc = |source| GenerateError::Encode {
        file: key.to_string(),
        source,
    };
    Ok(match d.format {
        Format::Npy => (Bytes::from(npy::encode_u8(&[d1, d2, n], &raw)), vec![]),
        Format::Npz => {
            let zip = npz::encode(&[d1, d2, n], &raw, d.compression == Compression::Zip).map_err(enc)?;
            (Bytes::from(zip), vec![])
        }
        Format::Tfrecord => {
            let side = d.record_length_bytes.max(1.0).sqrt() as i64;
            let mut out = Vec::with_capacity(raw.len() + n as usize * 64);
            for s in samples() {
                tfrecord::write_record(&mut out, &tfrecord::example(s, side));
            }
            let index = tfrecord::index(&out).map_err(enc)?;
            let name = key.rsplit('/').next().unwrap_or(key);
            let index_key = format!("index/{}/{name}.idx", split.folder());
            (Bytes::from(out), vec![(index_key, Bytes::from(index))])
        }
        Format::Csv => {
            let text = csv::encode(samples(), sample);
            let body = match file_codec(d) {
                Some(codec) => codec
                    .compress(&text, key.rsplit('/').next().unwrap_or(key))
                    .map_err(enc)?,
                None => text,
            };
            (Bytes::from(body), vec![])
        }
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => {
            // DLIO: chunks (1, c, c) with c = ceil(sqrt(chunk_size)) capped at the mean side.
            let mean_side = d.record_length_bytes.max(1.0).sqrt() as usize;
            let chunk = d.enable_chunking.then(|| {
                ((d.chunk_size as f64).sqrt().ceil() as usize)
                    .min(mean_side)
                    .max(1)
            });
            let gzip = (d.compression == Compression::Gzip).then_some(d.compression_level.min(9) as u8);
            let lzf = d.compression == Compression::Lzf;
            let layout = mlstor_formats::hdf5::Layout { chunk, gzip, lzf };
            // h5py writes records as (n, d1, d2): sample-major, so one sample is contiguous.
            let file = mlstor_formats::hdf5::encode(n as usize, d1 as usize, d2 as usize, &raw, layout)
                .map_err(enc)?;
            (Bytes::from(file), vec![])
        }
        Format::Png => {
            let (h, w) = (
                u32::try_from(d1).unwrap_or(u32::MAX),
                u32::try_from(d2).unwrap_or(u32::MAX),
            );
            (Bytes::from(image::encode_png(w, h, &raw).map_err(enc)?), vec![])
        }
        Format::Jpeg => {
            let too_big = || {
                enc(mlstor_formats::Error::Unsupported {
                    format: "jpeg",
                    reason: format!("{d1} x {d2} exceeds JPEG's 65535 pixel sides"),
                })
            };
            let (h, w) = (
                u16::try_from(d1).map_err(|_| too_big())?,
                u16::try_from(d2).map_err(|_| too_big())?,
            );
            (Bytes::from(image::encode_jpeg(w, h, &raw).map_err(enc)?), vec![])
        }
        Format::IndexedBinary | Format::MmapIndexedBinary => {
            let (off, sz) = indexed_binary::index(&vec![sample as u64; n as usize]);
            let side = vec![
                (format!("{key}.off.idx"), Bytes::from(off)),
                (format!("{key}.sz.idx"), Bytes::from(sz)),
            ];
            (Bytes::from(raw), side)
        }
        other => return Err(GenerateError::FormatNotSupported(other.extension())),
    })
}
