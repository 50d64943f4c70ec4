//! Parquet files as DLIO 3.0.2 writes and reads them (`dataset.format: parquet`), through the
//! `parquet` crate (arrow-rs).
//!
//! - **Columns** ([`ColumnSpec`]): DLIO's `dataset.parquet.columns` (`name`, `dtype`, `size`):
//!   a numeric dtype of size 1 is a scalar column, of size > 1 a `fixed_size_list<dtype>[size]`;
//!   `list` is `fixed_size_list<float>[size]`, `string` and `binary` are variable-length
//!   (`binary` holds `size` bytes a row), `bool` a boolean; an unknown dtype is DLIO's
//!   fallback, `fixed_size_list<float>[size]`. Without columns, DLIO's legacy layout: one
//!   column `data: fixed_size_list<uint8>[⌊√record_length⌋²]` ([`legacy_columns`]).
//! - **Writing** ([`Encoder`]): row group by row group, so memory is bounded by one row group,
//!   not a file; the values come from the caller's bytes ([`ColumnSpec::input_bytes`] a row:
//!   little-endian numbers, the bytes of a binary value, four bytes naming a string, a byte a
//!   boolean), so the generator decides the content and can check it on reading
//!   ([`check_row_group`]).
//! - **Reading** as DLIO 3.0.2 does: the footer once per file ([`footer_length`],
//!   [`parse_metadata`] into a [`Layout`]), then each row group's column chunks as byte ranges
//!   ([`Layout::row_group_ranges`]: one range for all columns, or the selected columns'
//!   chunks with small gaps merged); [`decode_row_group`] decodes those bytes (for
//!   verification; DLIO itself does not decode).
//!
//! Nothing here panics on a damaged file: a bad footer, an offset outside the file or a
//! truncated chunk is an [`Error::Corrupt`].

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, BooleanBuilder, StringBuilder};
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, FixedSizeListArray, PrimitiveArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression as PqCompression, Encoding, GzipLevel, ZstdLevel};
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::reader::{ChunkReader, Length};

use crate::{Error, Result};

const FORMAT: &str = "parquet";

fn write_err(e: impl std::fmt::Display) -> Error {
    Error::Write {
        format: FORMAT,
        reason: e.to_string(),
    }
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::Corrupt {
        format: FORMAT,
        reason: reason.into(),
    }
}

/// A column's element type, as DLIO 3.0.2's generator maps `dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F16,
    F32,
    F64,
    Bool,
    String,
    Binary,
    /// `list`, and any dtype DLIO does not know: `fixed_size_list<float>[size]`.
    FloatList,
}

impl DType {
    /// DLIO's `dtype` names (`float32`, `int8`, `list`, ...); anything else is DLIO's
    /// fallback, a float list.
    pub fn from_dlio(s: &str) -> DType {
        match s {
            "uint8" => DType::U8,
            "uint16" => DType::U16,
            "uint32" => DType::U32,
            "uint64" => DType::U64,
            "int8" => DType::I8,
            "int16" => DType::I16,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "float16" => DType::F16,
            "float32" => DType::F32,
            "float64" => DType::F64,
            "bool" => DType::Bool,
            "string" => DType::String,
            "binary" => DType::Binary,
            _ => DType::FloatList,
        }
    }

    /// Bytes of one numeric element (0 for variable-length types).
    fn width(self) -> usize {
        match self {
            DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 => 2,
            DType::U32 | DType::I32 | DType::F32 | DType::FloatList => 4,
            DType::U64 | DType::I64 | DType::F64 => 8,
            DType::Bool => 1,
            DType::String | DType::Binary => 0,
        }
    }
}

/// One column of a DLIO parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    pub dtype: DType,
    /// Elements a row (bytes a row for `binary`; ignored for `string` and `bool`).
    pub size: usize,
}

impl ColumnSpec {
    pub fn new(name: &str, dtype: &str, size: usize) -> ColumnSpec {
        ColumnSpec {
            name: name.to_string(),
            dtype: DType::from_dlio(dtype),
            size: size.max(1),
        }
    }

    /// Whether the column is a `fixed_size_list` (numbers with size > 1, and float lists).
    fn is_list(&self) -> bool {
        self.dtype == DType::FloatList
            || (self.dtype.width() > 0 && self.dtype != DType::Bool && self.size > 1)
    }

    /// Bytes of the caller's input a row takes (see the module docs).
    pub fn input_bytes(&self) -> usize {
        match self.dtype {
            DType::String => 4,
            DType::Bool => 1,
            DType::Binary => self.size,
            d if self.is_list() => d.width() * self.size,
            d => d.width(),
        }
    }

    /// The bytes of a row as DLIO counts them for its MB/s (`StatsCounter.record_size`):
    /// size × the dtype's width, 4 for a dtype it does not know.
    pub fn dlio_row_bytes(&self) -> u64 {
        let w = match self.dtype {
            DType::String | DType::Binary | DType::FloatList => 4,
            d => d.width(),
        };
        (self.size * w) as u64
    }

    fn arrow_type(&self) -> DataType {
        let item = match self.dtype {
            DType::U8 => DataType::UInt8,
            DType::U16 => DataType::UInt16,
            DType::U32 => DataType::UInt32,
            DType::U64 => DataType::UInt64,
            DType::I8 => DataType::Int8,
            DType::I16 => DataType::Int16,
            DType::I32 => DataType::Int32,
            DType::I64 => DataType::Int64,
            DType::F16 => DataType::Float16,
            DType::F32 | DType::FloatList => DataType::Float32,
            DType::F64 => DataType::Float64,
            DType::Bool => return DataType::Boolean,
            DType::String => return DataType::Utf8,
            DType::Binary => return DataType::Binary,
        };
        if self.is_list() {
            DataType::FixedSizeList(Arc::new(Field::new("item", item, true)), self.size as i32)
        } else {
            item
        }
    }

    /// The column's array of `rows` rows from `raw` (`rows × input_bytes` bytes).
    fn array(&self, raw: &[u8], rows: usize) -> Result<ArrayRef> {
        let need = rows * self.input_bytes();
        if raw.len() != need {
            return Err(Error::Unsupported {
                format: FORMAT,
                reason: format!(
                    "column {} needs {need} input bytes for {rows} rows, got {}",
                    self.name,
                    raw.len()
                ),
            });
        }
        let values: ArrayRef = match self.dtype {
            DType::U8 => Arc::new(PrimitiveArray::<UInt8Type>::from(raw.to_vec())),
            DType::I8 => Arc::new(PrimitiveArray::<Int8Type>::from_iter_values(
                raw.iter().map(|&b| b as i8),
            )),
            DType::U16 => Arc::new(PrimitiveArray::<UInt16Type>::from_iter_values(le(
                raw,
                u16::from_le_bytes,
            ))),
            DType::I16 => Arc::new(PrimitiveArray::<Int16Type>::from_iter_values(le(
                raw,
                i16::from_le_bytes,
            ))),
            DType::F16 => Arc::new(PrimitiveArray::<Float16Type>::from_iter_values(
                le(raw, u16::from_le_bytes).map(half::f16::from_bits),
            )),
            DType::U32 => Arc::new(PrimitiveArray::<UInt32Type>::from_iter_values(le(
                raw,
                u32::from_le_bytes,
            ))),
            DType::I32 => Arc::new(PrimitiveArray::<Int32Type>::from_iter_values(le(
                raw,
                i32::from_le_bytes,
            ))),
            DType::F32 | DType::FloatList => Arc::new(PrimitiveArray::<Float32Type>::from_iter_values(le(
                raw,
                f32::from_le_bytes,
            ))),
            DType::U64 => Arc::new(PrimitiveArray::<UInt64Type>::from_iter_values(le(
                raw,
                u64::from_le_bytes,
            ))),
            DType::I64 => Arc::new(PrimitiveArray::<Int64Type>::from_iter_values(le(
                raw,
                i64::from_le_bytes,
            ))),
            DType::F64 => Arc::new(PrimitiveArray::<Float64Type>::from_iter_values(le(
                raw,
                f64::from_le_bytes,
            ))),
            DType::Bool => {
                let mut b = BooleanBuilder::with_capacity(rows);
                for &x in raw {
                    b.append_value(x & 1 == 1);
                }
                return Ok(Arc::new(b.finish()));
            }
            DType::String => {
                let mut b = StringBuilder::with_capacity(rows, rows * 12);
                for v in le(raw, u32::from_le_bytes) {
                    b.append_value(format!("s_{v}"));
                }
                return Ok(Arc::new(b.finish()));
            }
            DType::Binary => {
                let mut b = BinaryBuilder::with_capacity(rows, raw.len());
                for v in raw.chunks_exact(self.size) {
                    b.append_value(v);
                }
                return Ok(Arc::new(b.finish()));
            }
        };
        if !self.is_list() {
            return Ok(values);
        }
        let DataType::FixedSizeList(field, size) = self.arrow_type() else {
            return Ok(values);
        };
        let list = FixedSizeListArray::try_new(field, size, values, None)
            .map_err(|e| corrupt(format!("column {}: {e}", self.name)))?;
        Ok(Arc::new(list))
    }
}

/// `raw` as little-endian numbers of `N` bytes.
fn le<'a, const N: usize, T: 'a>(raw: &'a [u8], f: fn([u8; N]) -> T) -> impl Iterator<Item = T> + 'a {
    raw.chunks_exact(N).map(move |c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        f(a)
    })
}

/// DLIO's layout without `dataset.parquet.columns`: one `data` column of
/// `⌊√record_length⌋²` bytes a row (a 512-byte record is 484 bytes).
pub fn legacy_columns(record_length: u64) -> Vec<ColumnSpec> {
    let side = (record_length as f64).sqrt().floor() as usize;
    vec![ColumnSpec {
        name: "data".into(),
        dtype: DType::U8,
        size: (side * side).max(1),
    }]
}

/// The compression codec of a file's column chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    #[default]
    None,
    Snappy,
    Gzip,
    Lz4,
    Zstd,
}

impl Codec {
    /// `none`, `snappy`, `gzip`, `lz4`, `zstd`.
    pub fn from_name(s: &str) -> Option<Codec> {
        Some(match s {
            "none" | "uncompressed" => Codec::None,
            "snappy" => Codec::Snappy,
            "gzip" => Codec::Gzip,
            "lz4" => Codec::Lz4,
            "zstd" => Codec::Zstd,
            _ => return None,
        })
    }

    fn parquet(self) -> PqCompression {
        match self {
            Codec::None => PqCompression::UNCOMPRESSED,
            Codec::Snappy => PqCompression::SNAPPY,
            Codec::Gzip => PqCompression::GZIP(GzipLevel::default()),
            Codec::Lz4 => PqCompression::LZ4_RAW,
            Codec::Zstd => PqCompression::ZSTD(ZstdLevel::default()),
        }
    }
}

/// The row groups a file of `rows` rows gets, as DLIO writes it: batches of
/// `generation_batch_size` rows (0: one row group's worth), each cut into row groups of
/// `row_group_size` (a batch's last one may be short; row groups never span batches).
pub fn row_group_sizes(rows: u64, row_group_size: u64, generation_batch_size: u64) -> Vec<u64> {
    let rgs = row_group_size.max(1);
    let batch = if generation_batch_size == 0 {
        rgs
    } else {
        generation_batch_size
    };
    let mut out = Vec::new();
    let mut left = rows;
    while left > 0 {
        let mut b = batch.min(left);
        left -= b;
        while b > 0 {
            let g = rgs.min(b);
            out.push(g);
            b -= g;
        }
    }
    out
}

/// Writes a parquet file row group by row group.
pub struct Encoder<W: Write + Send> {
    columns: Vec<ColumnSpec>,
    schema: Arc<Schema>,
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> Encoder<W> {
    /// A file of `columns` compressed with `codec`, written to `sink`.
    pub fn new(sink: W, columns: &[ColumnSpec], codec: Codec) -> Result<Encoder<W>> {
        if columns.is_empty() {
            return Err(Error::Unsupported {
                format: FORMAT,
                reason: "a parquet file needs at least one column".into(),
            });
        }
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(&c.name, c.arrow_type(), false))
                .collect::<Vec<_>>(),
        ));
        // Every chunk starts dictionary-encoded, as pyarrow's do: DLIO 3.0.2's reader reads
        // `dictionary_page_offset` of every chunk as a number (None fails its comparison),
        // and parquet-rs writes no dictionary for FIXED_LEN_BYTE_ARRAY (float16) under writer
        // version 1.0, hence 2.0. Narrow integers (INT32 in the file) keep their dictionary,
        // about a byte a value; random floats fall back to PLAIN after the first mini-batch
        // (the dictionary limit of 1 byte) where pyarrow keeps a dictionary of every value:
        // interning each value was half of generation's CPU, and made a float column 40%
        // larger than its values.
        let parquet_schema = ArrowSchemaConverter::new()
            .convert(&schema)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_2_0)
            .set_encoding(Encoding::PLAIN)
            .set_dictionary_page_size_limit(1)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_write_batch_size(128)
            .set_compression(codec.parquet())
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(None);
        for leaf in parquet_schema.columns() {
            let top = leaf.path().parts().first().cloned().unwrap_or_default();
            let narrow = columns
                .iter()
                .any(|c| c.name == top && matches!(c.dtype, DType::U8 | DType::U16 | DType::I8 | DType::I16));
            if narrow {
                props = props.set_column_dictionary_page_size_limit(leaf.path().clone(), 1 << 20);
            }
        }
        let props = props.build();
        let writer =
            ArrowWriter::try_new(sink, schema.clone(), Some(props)).map_err(|e| corrupt(e.to_string()))?;
        Ok(Encoder {
            columns: columns.to_vec(),
            schema,
            writer,
        })
    }

    /// Writes one row group of `rows` rows; `raw[i]` holds column `i`'s input bytes
    /// ([`ColumnSpec::input_bytes`] a row).
    pub fn write_row_group(&mut self, rows: usize, raw: &[&[u8]]) -> Result<()> {
        if raw.len() != self.columns.len() {
            return Err(Error::Unsupported {
                format: FORMAT,
                reason: format!(
                    "{} columns of input for {} columns",
                    raw.len(),
                    self.columns.len()
                ),
            });
        }
        let arrays = self
            .columns
            .iter()
            .zip(raw)
            .map(|(c, r)| c.array(r, rows))
            .collect::<Result<Vec<_>>>()?;
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(write_err)?;
        self.writer.write(&batch).map_err(write_err)?;
        self.writer.flush().map_err(write_err)
    }

    /// Bytes written to the sink so far.
    pub fn bytes_written(&self) -> usize {
        self.writer.bytes_written()
    }

    /// Writes the footer; returns the sink.
    pub fn finish(self) -> Result<W> {
        self.writer.into_inner().map_err(write_err)
    }
}

/// Bytes at the end of every parquet file: the metadata length and `PAR1`.
pub const TAIL: u64 = 8;

/// The length of the metadata that precedes the last [`TAIL`] bytes of a file (`tail`).
pub fn footer_length(tail: &[u8]) -> Result<u64> {
    let t = FooterTail::try_from(tail).map_err(|e| corrupt(e.to_string()))?;
    if t.is_encrypted_footer() {
        return Err(Error::Unsupported {
            format: FORMAT,
            reason: "encrypted footer".into(),
        });
    }
    Ok(t.metadata_length() as u64)
}

/// One row group: its rows and where each column's chunk lies in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowGroup {
    pub first_row: u64,
    pub rows: u64,
    /// Per top-level column, the byte range of its chunk(s).
    pub chunks: Vec<Range<u64>>,
}

/// What a reader needs of a file: its columns and row groups.
#[derive(Debug, Clone)]
pub struct Layout {
    pub file_size: u64,
    pub columns: Vec<String>,
    pub rows: u64,
    pub row_groups: Vec<RowGroup>,
    /// The decoded metadata (for [`decode_row_group`]).
    pub metadata: Arc<ParquetMetaData>,
}

/// Parses a file's metadata (`meta`: the bytes before its last [`TAIL`] bytes, as long as
/// [`footer_length`] says) of a file of `file_size` bytes.
pub fn parse_metadata(meta: &[u8], file_size: u64) -> Result<Layout> {
    layout(Arc::new(decode_metadata(meta)?), file_size, meta.len() as u64)
}

/// Decodes a file's metadata (`meta`: as in [`parse_metadata`]).
pub fn decode_metadata(meta: &[u8]) -> Result<ParquetMetaData> {
    ParquetMetaDataReader::decode_metadata(meta).map_err(|e| corrupt(format!("metadata: {e}")))
}

/// The layout `md` describes, of a file of `file_size` bytes whose metadata is `meta_len`
/// bytes long; a chunk past the data (before the metadata) is an error.
pub fn layout(md: Arc<ParquetMetaData>, file_size: u64, meta_len: u64) -> Result<Layout> {
    let schema = md.file_metadata().schema_descr();
    // Leaf columns belong to the top-level field their path starts with.
    let mut columns: Vec<String> = Vec::new();
    let mut top_of_leaf = Vec::with_capacity(schema.num_columns());
    for i in 0..schema.num_columns() {
        let top = schema
            .column(i)
            .path()
            .parts()
            .first()
            .cloned()
            .unwrap_or_default();
        let k = match columns.iter().position(|c| *c == top) {
            Some(k) => k,
            None => {
                columns.push(top);
                columns.len() - 1
            }
        };
        top_of_leaf.push(k);
    }
    let data_end = file_size.saturating_sub(TAIL.saturating_add(meta_len));
    let mut row_groups = Vec::with_capacity(md.num_row_groups());
    let mut first_row = 0u64;
    for (g, rg) in md.row_groups().iter().enumerate() {
        let rows = u64::try_from(rg.num_rows())
            .map_err(|_| corrupt(format!("row group {g}: negative row count")))?;
        let mut chunks: Vec<Option<Range<u64>>> = vec![None; columns.len()];
        for (i, c) in rg.columns().iter().enumerate() {
            let start = c
                .dictionary_page_offset()
                .filter(|&o| o > 0)
                .unwrap_or(c.data_page_offset());
            let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(c.compressed_size())) else {
                return Err(corrupt(format!(
                    "row group {g}, column {i}: negative offset or size"
                )));
            };
            let end = start.checked_add(len).filter(|&e| e <= data_end).ok_or_else(|| {
                corrupt(format!(
                    "row group {g}, column {i}: its chunk {start}..{} lies past the data ({data_end} bytes)",
                    start.saturating_add(len)
                ))
            })?;
            let k = top_of_leaf.get(i).copied().unwrap_or(0);
            let r = chunks[k].get_or_insert(start..end);
            *r = r.start.min(start)..r.end.max(end);
        }
        row_groups.push(RowGroup {
            first_row,
            rows,
            chunks: chunks.into_iter().map(|c| c.unwrap_or(0..0)).collect(),
        });
        first_row += rows;
    }
    Ok(Layout {
        file_size,
        columns,
        rows: first_row,
        row_groups,
        metadata: md,
    })
}

impl Layout {
    /// The row group holding `row`.
    pub fn row_group_of(&self, row: u64) -> Option<usize> {
        let i = self.row_groups.partition_point(|g| g.first_row + g.rows <= row);
        (i < self.row_groups.len()).then_some(i)
    }

    /// The indices of columns named in `names` (all when `names` is empty); an unknown name
    /// is an error naming it.
    pub fn select(&self, names: &[String]) -> Result<Vec<usize>> {
        if names.is_empty() {
            return Ok((0..self.columns.len()).collect());
        }
        names
            .iter()
            .map(|n| {
                self.columns
                    .iter()
                    .position(|c| c == n)
                    .ok_or_else(|| Error::Unsupported {
                        format: FORMAT,
                        reason: format!("no column {n:?} (columns: {})", self.columns.join(", ")),
                    })
            })
            .collect()
    }

    /// The byte ranges to read for row group `g`'s `columns`: their chunks, sorted, with gaps
    /// of at most `gap` bytes merged (all columns of a row group are contiguous: one range).
    pub fn row_group_ranges(&self, g: usize, columns: &[usize], gap: u64) -> Vec<Range<u64>> {
        let Some(rg) = self.row_groups.get(g) else {
            return Vec::new();
        };
        let mut r: Vec<Range<u64>> = columns
            .iter()
            .filter_map(|&c| rg.chunks.get(c).cloned())
            .filter(|c| !c.is_empty())
            .collect();
        r.sort_by_key(|x| x.start);
        let mut out: Vec<Range<u64>> = Vec::with_capacity(r.len());
        for x in r {
            match out.last_mut() {
                Some(last) if x.start <= last.end.saturating_add(gap) => last.end = last.end.max(x.end),
                _ => out.push(x),
            }
        }
        out
    }
}

/// Some byte ranges of a file, as a reader the parquet crate can decode from.
struct Pieces {
    len: u64,
    pieces: Vec<(u64, Bytes)>,
}

impl Length for Pieces {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Pieces {
    type T = std::io::Cursor<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let b = self.get_bytes(start, 0)?;
        Ok(std::io::Cursor::new(b))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        for (off, b) in &self.pieces {
            let end = off + b.len() as u64;
            if start >= *off && start + length as u64 <= end {
                let i = (start - off) as usize;
                let n = if length == 0 { b.len() - i } else { length };
                return Ok(b.slice(i..i + n));
            }
        }
        Err(parquet::errors::ParquetError::EOF(format!(
            "bytes {start}..{} were not read",
            start + length as u64
        )))
    }
}

/// Decodes row group `g`'s `columns` from `pieces` (offset, bytes) holding their chunks.
///
/// The parquet crate can panic on damaged page data (an out-of-range index in its RLE
/// decoder); such a panic is caught and returned as [`Error::Corrupt`].
pub fn decode_row_group(
    layout: &Layout,
    g: usize,
    columns: &[usize],
    pieces: Vec<(u64, Bytes)>,
) -> Result<RecordBatch> {
    let decode = std::panic::AssertUnwindSafe(|| decode_unguarded(layout, g, columns, pieces));
    GUARDED.set(true);
    let r = std::panic::catch_unwind(decode);
    GUARDED.set(false);
    r.unwrap_or_else(|_| Err(corrupt(format!("row group {g}: its pages cannot be decoded"))))
}

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside [`decode_row_group`], whose panics become errors: a panic
/// hook can stay silent about those.
pub fn in_guarded_decode() -> bool {
    GUARDED.get()
}

fn decode_unguarded(
    layout: &Layout,
    g: usize,
    columns: &[usize],
    pieces: Vec<(u64, Bytes)>,
) -> Result<RecordBatch> {
    let meta = ArrowReaderMetadata::try_new(layout.metadata.clone(), ArrowReaderOptions::new())
        .map_err(|e| corrupt(e.to_string()))?;
    let descr = layout.metadata.file_metadata().schema_descr();
    let leaves: Vec<usize> = (0..descr.num_columns())
        .filter(|&i| {
            let top = descr
                .column(i)
                .path()
                .parts()
                .first()
                .cloned()
                .unwrap_or_default();
            columns.iter().any(|&c| layout.columns.get(c) == Some(&top))
        })
        .collect();
    let mask = parquet::arrow::ProjectionMask::leaves(descr, leaves);
    let reader = Pieces {
        len: layout.file_size,
        pieces,
    };
    let rows = layout.row_groups.get(g).map_or(0, |r| r.rows) as usize;
    let mut it = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta)
        .with_row_groups(vec![g])
        .with_projection(mask)
        .with_batch_size(rows.max(1))
        .build()
        .map_err(|e| corrupt(e.to_string()))?;
    match it.next() {
        Some(Ok(b)) => Ok(b),
        Some(Err(e)) => Err(corrupt(format!("row group {g}: {e}"))),
        None => Err(corrupt(format!("row group {g} holds no rows"))),
    }
}

/// Checks a decoded column against the input bytes it was written from; `Err` says where
/// they differ.
pub fn check_column(spec: &ColumnSpec, decoded: &dyn Array, raw: &[u8]) -> std::result::Result<(), String> {
    let rows = decoded.len();
    let want = spec.array(raw, rows).map_err(|e| e.to_string())?;
    if want.to_data() == decoded.to_data() {
        return Ok(());
    }
    // Equal bits compare equal even for NaNs: fall back to the raw value buffers.
    let bits = |a: &dyn Array| -> Vec<u8> {
        let d = a.to_data();
        let d = if spec.is_list() {
            d.child_data().first().cloned().unwrap_or(d)
        } else {
            d
        };
        d.buffers()
            .first()
            .map(|b| b.as_slice().to_vec())
            .unwrap_or_default()
    };
    if spec.dtype.width() > 0 && spec.dtype != DType::Bool && bits(want.as_ref()) == bits(decoded) {
        return Ok(());
    }
    Err(format!(
        "column {}: the values differ from what was written",
        spec.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(spec: &ColumnSpec, rows: usize, seed: u8) -> Vec<u8> {
        (0..rows * spec.input_bytes())
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    fn all_types() -> Vec<ColumnSpec> {
        let mut v: Vec<ColumnSpec> = [
            "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "float32",
            "float64",
        ]
        .iter()
        .flat_map(|t| {
            [
                ColumnSpec::new(&format!("{t}_1"), t, 1),
                ColumnSpec::new(&format!("{t}_3"), t, 3),
            ]
        })
        .collect();
        v.push(ColumnSpec::new("list", "list", 4));
        v.push(ColumnSpec::new("fp16", "fp16", 1));
        v.push(ColumnSpec::new("s", "string", 1));
        v.push(ColumnSpec::new("b", "binary", 5));
        v.push(ColumnSpec::new("flag", "bool", 1));
        v
    }

    /// Writes `rows` rows in row groups of `rgs`; returns the file and each group's input.
    fn file(cols: &[ColumnSpec], rows: u64, rgs: u64, codec: Codec) -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
        let mut e = Encoder::new(Vec::new(), cols, codec).expect("encoder");
        let mut inputs = Vec::new();
        for (g, n) in row_group_sizes(rows, rgs, 0).into_iter().enumerate() {
            let input: Vec<Vec<u8>> = cols.iter().map(|c| raw(c, n as usize, g as u8)).collect();
            let refs: Vec<&[u8]> = input.iter().map(Vec::as_slice).collect();
            e.write_row_group(n as usize, &refs).expect("row group");
            inputs.push(input);
        }
        (e.finish().expect("finish"), inputs)
    }

    fn layout_of(f: &[u8]) -> Layout {
        let n = f.len() as u64;
        let meta_len = footer_length(&f[f.len() - 8..]).expect("tail");
        let meta = &f[(n - TAIL - meta_len) as usize..(n - TAIL) as usize];
        parse_metadata(meta, n).expect("metadata")
    }

    #[test]
    fn every_dtype_and_codec_round_trips_by_row_group() {
        let cols = all_types();
        for codec in [Codec::None, Codec::Snappy, Codec::Gzip, Codec::Lz4, Codec::Zstd] {
            let (f, inputs) = file(&cols, 10, 4, codec);
            let l = layout_of(&f);
            assert_eq!((l.rows, l.row_groups.len()), (10, 3), "{codec:?}");
            assert_eq!(l.columns.len(), cols.len());
            assert_eq!(l.row_group_of(9), Some(2));
            assert_eq!(l.row_group_of(10), None);
            let all: Vec<usize> = (0..cols.len()).collect();
            for (g, input) in inputs.iter().enumerate() {
                let ranges = l.row_group_ranges(g, &all, 0);
                assert_eq!(ranges.len(), 1, "a row group's chunks are contiguous");
                let r = &ranges[0];
                let piece = Bytes::copy_from_slice(&f[r.start as usize..r.end as usize]);
                let b = decode_row_group(&l, g, &all, vec![(r.start, piece)]).expect("decode");
                for (i, c) in cols.iter().enumerate() {
                    check_column(c, b.column(i).as_ref(), &input[i]).expect("same values");
                }
            }
        }
    }

    #[test]
    fn every_chunk_has_a_dictionary_page_as_pyarrow_writes() {
        // DLIO 3.0.2's reader compares every chunk's dictionary_page_offset with 0;
        // pyarrow's files have one but for booleans, parquet-rs's 1.0 writer gave none to
        // binary columns.
        let cols = all_types();
        let (f, _) = file(&cols, 10, 5, Codec::Snappy);
        let md = ParquetMetaDataReader::new()
            .parse_and_finish(&Bytes::from(f))
            .expect("metadata");
        for rg in md.row_groups() {
            for c in rg.columns() {
                let name = c.column_path().string();
                let off = c.dictionary_page_offset();
                // Booleans have none in pyarrow's files either.
                let want = !name.starts_with("flag");
                assert_eq!(off.is_some_and(|o| o > 0), want, "{name}: {off:?}");
            }
        }
    }

    #[test]
    fn selected_columns_read_only_their_chunks() {
        let cols = vec![
            ColumnSpec::new("a", "float64", 100),
            ColumnSpec::new("b", "int8", 1),
            ColumnSpec::new("c", "float32", 100),
        ];
        let (f, inputs) = file(&cols, 8, 8, Codec::None);
        let l = layout_of(&f);
        let sel = l.select(&["a".into(), "c".into()]).expect("select");
        let ranges = l.row_group_ranges(0, &sel, 0);
        assert_eq!(ranges.len(), 2, "b's chunk in between is not read: {ranges:?}");
        let merged = l.row_group_ranges(0, &sel, 1 << 20);
        assert_eq!(merged.len(), 1, "a small gap is read through");
        let pieces = ranges
            .iter()
            .map(|r| {
                (
                    r.start,
                    Bytes::copy_from_slice(&f[r.start as usize..r.end as usize]),
                )
            })
            .collect();
        let b = decode_row_group(&l, 0, &sel, pieces).expect("decode");
        assert_eq!(b.num_columns(), 2);
        check_column(&cols[2], b.column(1).as_ref(), &inputs[0][2]).expect("c");
        let e = l.select(&["zz".into()]).expect_err("unknown");
        assert!(
            e.to_string().contains("zz") && e.to_string().contains("a, b, c"),
            "{e}"
        );
        assert!(check_column(&cols[0], b.column(0).as_ref(), &inputs[0][2][..800]).is_err());
    }

    #[test]
    fn row_groups_follow_dlio_batches_and_legacy_layout() {
        assert_eq!(
            row_group_sizes(2500, 300, 1000),
            [300, 300, 300, 100, 300, 300, 300, 100, 300, 200]
        );
        assert_eq!(row_group_sizes(5, 1024, 0), [5]);
        assert_eq!(row_group_sizes(0, 4, 0), Vec::<u64>::new());
        assert_eq!(legacy_columns(512)[0].size, 484);
        assert_eq!(legacy_columns(1024)[0].size, 1024);
        let flux = ColumnSpec::new("t5", "float32", 524328);
        assert_eq!(flux.dlio_row_bytes(), 524328 * 4);
        assert_eq!(
            ColumnSpec::new("x", "fp16", 3).dlio_row_bytes(),
            12,
            "unknown dtypes count 4 bytes"
        );
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let cols = vec![ColumnSpec::new("a", "int32", 2)];
        let (f, _) = file(&cols, 6, 3, Codec::Zstd);
        assert!(footer_length(b"12345678").is_err(), "no PAR1 magic");
        let n = f.len();
        let meta_len = footer_length(&f[n - 8..]).expect("tail") as usize;
        let meta = &f[n - 8 - meta_len..n - 8];
        assert!(
            parse_metadata(&meta[..meta.len() / 2], n as u64).is_err(),
            "truncated metadata"
        );
        assert!(parse_metadata(meta, 100).is_err(), "chunks past a truncated file");
        let mut flipped = meta.to_vec();
        for b in flipped.iter_mut().take(40) {
            *b ^= 0x5a;
        }
        let _ = parse_metadata(&flipped, n as u64); // any result, no panic
        let l = layout_of(&f);
        let r = l.row_group_ranges(0, &[0], 0)[0].clone();
        let short = Bytes::copy_from_slice(&f[r.start as usize..(r.end - 3) as usize]);
        assert!(
            decode_row_group(&l, 0, &[0], vec![(r.start, short)]).is_err(),
            "truncated chunk"
        );
        let mut bad = f[r.start as usize..r.end as usize].to_vec();
        let k = bad.len() - 2;
        bad[k] ^= 0xff;
        // A flipped byte in the pages: an error, or values that do not check (never a panic).
        let decoded = decode_row_group(&l, 0, &[0], vec![(r.start, Bytes::from(bad))]);
        if let Ok(b) = decoded {
            let input: Vec<u8> = raw(&cols[0], 3, 0);
            assert!(
                check_column(&cols[0], b.column(0).as_ref(), &input).is_err(),
                "a flipped byte is seen"
            );
        }
    }
}
