//! Encoders and readers for the sample-file formats DLIO generates and reads, working on
//! bytes (the benchmark moves them through a store). So far: [`npy`] and [`npz`] (numpy's
//! formats, as `np.save` / `np.savez` write them), [`tfrecord`] (TensorFlow's record
//! framing with `tf.train.Example` payloads, plus the DALI index files DLIO creates),
//! [`csv`], [`indexed_binary`], [`image`] (PNG, JPEG), [`parquet`] (DLIO 3.0.2's columns, row
//! groups and footer) and, with the `hdf5` feature (it needs the HDF5 C library), `hdf5`;
//! [`codec`] compresses whole files as pandas does for CSV.

pub mod codec;
pub mod csv;
#[cfg(feature = "hdf5")]
pub mod hdf5;
pub mod image;
pub mod indexed_binary;
pub mod npy;
pub mod npz;
pub mod parquet;
pub mod tfrecord;

/// Errors of decoding a file: each names what is wrong, none panics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("not a valid {format} file: {reason}")]
    Corrupt { format: &'static str, reason: String },
    #[error("{format} file holds {have} samples; sample {index} was asked for")]
    NoSuchSample {
        format: &'static str,
        index: u64,
        have: u64,
    },
    #[error("unsupported {format} content: {reason}")]
    Unsupported { format: &'static str, reason: String },
    #[error("cannot write the {format} file: {reason}")]
    Write { format: &'static str, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
