//! Parquet datasets through a store: writing a file row group by row group as it is made
//! (memory bounded by a row group, streamed through the store's multipart writer), the
//! content every column holds, so a reader can check what it decodes (`--verify`), and
//! [`StoreReader`], the parquet crate's async reader over any store.
//!
//! Content: column `c` of file `i` is a virtual object of `rows × input_bytes` bytes from
//! mlstor-datagen (object id from `(i, c)`, seed `train.seed`); a row group is the slice of
//! its rows.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use mlstor_datagen::DataGen;
use mlstor_formats::parquet::{self as pq, ColumnSpec, Encoder, row_group_sizes};
use mlstor_store::{Store, StoreExt, WriterOptions};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use tokio::sync::mpsc;

use crate::config::schema::Workload;
use crate::plan::files::{parquet_codec, parquet_columns};

/// Pieces handed to the store's writer (its multipart part size).
const PIECE: usize = 16 << 20;

/// The datagen object id of column `c` of file `i`.
fn content_id(i: u64, c: usize) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (c as u64 + 1)
}

/// Column `c`'s input bytes of rows `first..first + rows` of file `i` (`rows_in_file` rows).
pub fn column_bytes(
    data: &DataGen,
    i: u64,
    c: usize,
    col: &ColumnSpec,
    rows_in_file: u64,
    first: u64,
    rows: u64,
) -> Vec<u8> {
    let width = col.input_bytes() as u64;
    let mut out = vec![0u8; (rows * width) as usize];
    data.fill(
        content_id(i, c),
        rows_in_file * width,
        first * width,
        &mut out,
        &mut Vec::new(),
    );
    out
}

/// A `Write` that hands what is written to an async writer in pieces.
struct Pieces {
    buf: Vec<u8>,
    tx: mpsc::Sender<Bytes>,
}

impl Pieces {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE)));
        self.tx
            .blocking_send(piece)
            .map_err(|_| std::io::Error::other("the store's writer stopped"))
    }
}

impl Write for Pieces {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Encodes file `i` into `sink`, row group by row group; returns the bytes written.
fn encode(w: &Workload, data: &DataGen, i: u64, key: &str, sink: Pieces) -> Result<u64, WriteError> {
    let d = &w.dataset;
    let enc = |source| WriteError::Encode {
        file: key.to_string(),
        source,
    };
    let columns = parquet_columns(d);
    let rows = d.num_samples_per_file;
    let mut e = Encoder::new(sink, &columns, parquet_codec(d)).map_err(enc)?;
    let mut first = 0u64;
    for n in row_group_sizes(rows, d.parquet.row_group_size, d.parquet.generation_batch_size) {
        let raw: Vec<Vec<u8>> = columns
            .iter()
            .enumerate()
            .map(|(c, col)| column_bytes(data, i, c, col, rows, first, n))
            .collect();
        let refs: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
        e.write_row_group(n as usize, &refs).map_err(enc)?;
        first += n;
    }
    let n = e.bytes_written() as u64;
    let mut sink = e.finish().map_err(enc)?;
    sink.send().map_err(|e| {
        enc(mlstor_formats::Error::Write {
            format: "parquet",
            reason: e.to_string(),
        })
    })?;
    Ok(n)
}

/// Writes parquet file `i` to `key` of `store` as it is encoded; returns its size. Nothing
/// is left under `key` when it fails (the writer is aborted).
pub async fn write_file(
    w: &Workload,
    data: &DataGen,
    store: &Arc<dyn Store>,
    key: &str,
    i: u64,
) -> Result<u64, WriteError> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(2);
    let (w2, data2, key2) = (w.clone(), data.clone(), key.to_string());
    let encoding = tokio::task::spawn_blocking(move || {
        let sink = Pieces {
            buf: Vec::with_capacity(PIECE),
            tx,
        };
        encode(&w2, &data2, i, &key2, sink)
    });
    let opts = WriterOptions {
        part_size: PIECE,
        ..WriterOptions::default()
    };
    let mut writer = store.writer(key, opts).await?;
    let mut sent = 0u64;
    while let Some(piece) = rx.recv().await {
        sent += piece.len() as u64;
        if let Err(e) = writer.write(piece).await {
            drop(rx); // the encoder stops at its next piece
            let _ = writer.abort().await;
            let _ = encoding.await;
            return Err(e.into());
        }
    }
    match encoding.await? {
        Ok(_) => {
            writer.finish().await?;
            Ok(sent)
        }
        Err(e) => {
            let _ = writer.abort().await;
            Err(e)
        }
    }
}

/// Why a parquet file could not be written through a store.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error("encoding {file}")]
    Encode {
        file: String,
        #[source]
        source: mlstor_formats::Error,
    },
    #[error("a parquet encoding task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// Why a parquet object could not be read through a store.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error(transparent)]
    Format(#[from] mlstor_formats::Error),
}

/// The parquet crate's async reader ([`AsyncFileReader`]) over a [`Store`]: a parquet
/// object of any scheme read with ranged GETs, so `ParquetRecordBatchStreamBuilder` works
/// on `s3://`, `az://`, `gs://`, `file://`, `direct://` and `memory://` alike. The footer
/// takes two reads, as DLIO 3.0.2's reader does: the last 8 bytes, then the metadata.
pub struct StoreReader {
    store: Arc<dyn Store>,
    key: String,
    size: u64,
}

impl StoreReader {
    /// Object `key` of `store`, `size` bytes long (from its listing or a HEAD).
    pub fn new(store: Arc<dyn Store>, key: impl Into<String>, size: u64) -> StoreReader {
        StoreReader {
            store,
            key: key.into(),
            size,
        }
    }

    /// The file's metadata and its length in bytes (the two footer reads).
    pub async fn footer(&self) -> Result<(Arc<ParquetMetaData>, u64), ReadError> {
        let corrupt = |reason: String| mlstor_formats::Error::Corrupt {
            format: "parquet",
            reason,
        };
        let size = self.size;
        if size < 2 * pq::TAIL {
            return Err(corrupt(format!("{size} bytes is too short for a parquet file")).into());
        }
        let tail = self.store.get_range(&self.key, size - pq::TAIL, pq::TAIL).await?;
        let len = pq::footer_length(&tail)?;
        let start = (size - pq::TAIL).checked_sub(len).ok_or_else(|| {
            corrupt(format!(
                "its footer says {len} bytes of metadata in a {size}-byte file"
            ))
        })?;
        let meta = self.store.get_range(&self.key, start, len).await?;
        Ok((Arc::new(pq::decode_metadata(&meta)?), len))
    }
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for StoreReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            let len = range.end.saturating_sub(range.start);
            self.store
                .get_range(&self.key, range.start, len)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        // No page index: DLIO's reading never uses one.
        async move { self.footer().await.map(|(md, _)| md).map_err(external) }.boxed()
    }
}
