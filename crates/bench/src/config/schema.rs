//! A plain serde mirror of DLIO's workload YAML, with DLIO 3.0.2's defaults
//! (`dlio_benchmark/utils/config.py` of mlcommons/DLIO_local_changes, the DLIO of MLPerf
//! Storage v3.0), plus mlstor's storage keys. Unknown keys are errors here: the keys DLIO
//! accepts and ignores, and the older spellings it does not read, are sorted out before
//! (`config::compat`), so what reaches this schema is either known or a typo.

use serde::{Deserialize, Serialize};

use super::lenient::{bool_like, string_like};
pub use super::storage::{
    LoadBalanceStrategy, SecretString, Storage, StorageLibrary, StorageOptions, StorageType,
};

/// One workload file (what DLIO calls `workload:`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    pub model: Model,
    pub framework: Framework,
    pub workflow: Workflow,
    pub dataset: Dataset,
    /// DLIO's `data_reader` section is read as this one (it wins when both are given).
    pub reader: Reader,
    pub train: Train,
    pub evaluation: Evaluation,
    pub checkpoint: Checkpoint,
    pub output: Output,
    pub storage: Storage,
    pub profiling: Profiling,
    pub metric: Metric,
    /// Keys of the file DLIO 3.0.2 accepts and ignores (`workflow.debug`,
    /// `storage.storage_options.foo`, ...), in file order; [`super::messages`] prints them.
    #[serde(skip)]
    pub ignored: Vec<String>,
    /// What mlstor reads where DLIO 3.0.2 would not, each with how
    /// (`dataset.record_length as dataset.record_length_bytes`).
    #[serde(skip)]
    pub unlike_dlio: Vec<String>,
}

/// DLIO 3.0.2's checkpoint mechanism (`CheckpointMechanismType`): not a YAML key, derived
/// from the framework, storage and library ([`Workload::checkpoint_mechanism`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointMechanism {
    /// `checkpoint.checkpoint_mechanism_classname`: a user's class.
    Custom,
    /// TensorFlow's `tf.train.Checkpoint`.
    TfSave,
    /// PyTorch to files.
    PtSave,
    /// PyTorch to S3 through s3torchconnector.
    PtS3Save,
    /// PyTorch to an object store through minio or s3dlio.
    PtObjSave,
}

impl Workload {
    /// The checkpoint mechanism DLIO 3.0.2 would pick (its `derive_configurations`), for the
    /// record: mlstor's own engine writes every checkpoint.
    pub fn checkpoint_mechanism(&self) -> CheckpointMechanism {
        if self.checkpoint.checkpoint_mechanism_classname.is_some() {
            return CheckpointMechanism::Custom;
        }
        match self.framework {
            Framework::Tensorflow => CheckpointMechanism::TfSave,
            Framework::Pytorch if self.storage.storage_type == StorageType::S3 => {
                match self.storage.library() {
                    Some(StorageLibrary::S3torchconnector) => CheckpointMechanism::PtS3Save,
                    _ => CheckpointMechanism::PtObjSave,
                }
            }
            Framework::Pytorch => CheckpointMechanism::PtSave,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    #[default]
    Tensorflow,
    Pytorch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Model {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Model state bytes for non-transformer checkpoints.
    pub model_size_bytes: u64,
    /// MLPerf's unet3d YAML says `model_size`; DLIO ignores it (a known quirk) and uses
    /// `model_size_bytes`. mlstor accepts it and, by default, honours it.
    pub model_size: Option<u64>,
    pub optimization_groups: Vec<u64>,
    pub num_layers: i64,
    pub layer_parameters: Vec<u64>,
    pub model_datatype: DataType,
    pub optimizer_datatype: DataType,
    pub parallelism: Parallelism,
    pub transformer: Transformer,
}

impl Default for Model {
    fn default() -> Model {
        Model {
            name: "default".into(),
            kind: None,
            model_size_bytes: 10240,
            model_size: None,
            optimization_groups: Vec::new(),
            num_layers: -1,
            layer_parameters: Vec::new(),
            model_datatype: DataType::Fp16,
            optimizer_datatype: DataType::Fp32,
            parallelism: Parallelism::default(),
            transformer: Transformer::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    Int8,
    Uint8,
    Fp16,
    Bf16,
    Fp32,
    Fp64,
}

impl DataType {
    pub fn bytes(self) -> u64 {
        match self {
            DataType::Int8 | DataType::Uint8 => 1,
            DataType::Fp16 | DataType::Bf16 => 2,
            DataType::Fp32 => 4,
            DataType::Fp64 => 8,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parallelism {
    pub tensor: u64,
    pub pipeline: u64,
    /// -1: derived from the number of ranks.
    pub data: i64,
    pub zero_stage: u8,
}

impl Default for Parallelism {
    fn default() -> Parallelism {
        Parallelism {
            tensor: 1,
            pipeline: 1,
            data: -1,
            zero_stage: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Transformer {
    pub vocab_size: u64,
    pub hidden_size: u64,
    pub ffn_hidden_size: u64,
    pub num_attention_heads: u64,
    pub num_kv_heads: u64,
}

impl Default for Transformer {
    fn default() -> Transformer {
        Transformer {
            vocab_size: 32000,
            hidden_size: 2048,
            ffn_hidden_size: 8192,
            num_attention_heads: 32,
            num_kv_heads: 8,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workflow {
    pub generate_data: bool,
    pub train: bool,
    pub evaluation: bool,
    pub checkpoint: bool,
    pub profiling: bool,
}

impl Default for Workflow {
    fn default() -> Workflow {
        Workflow {
            generate_data: false,
            train: true,
            evaluation: false,
            checkpoint: false,
            profiling: false,
        }
    }
}

/// DLIO 3.0.2's dataset formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Tfrecord,
    Hdf5,
    Hdf5Opt,
    Csv,
    Npz,
    Npy,
    Jpeg,
    Png,
    IndexedBinary,
    MmapIndexedBinary,
    Parquet,
    Synthetic,
}

impl Format {
    /// The format's name, which DLIO also uses as the file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Tfrecord => "tfrecord",
            Format::Hdf5 => "hdf5",
            Format::Hdf5Opt => "hdf5_opt",
            Format::Csv => "csv",
            Format::Npz => "npz",
            Format::Npy => "npy",
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::IndexedBinary => "indexed_binary",
            Format::MmapIndexedBinary => "mmap_indexed_binary",
            Format::Parquet => "parquet",
            Format::Synthetic => "synthetic",
        }
    }
}

/// `dataset.compression`: DLIO's codecs (hdf5: gzip, lzf; npz: zip; csv: gzip, bz2, zip,
/// xz) and parquet's (snappy, gzip, lz4, zstd, brotli). DLIO 3.0.2 stores the raw string and
/// validates nothing; mlstor refuses a codec the format cannot use when it generates data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Lzf,
    Bz2,
    Zip,
    Xz,
    /// Parquet's codecs (with `gzip` and `none`); mlstor writes all but brotli.
    Snappy,
    Lz4,
    Zstd,
    Brotli,
}

/// `dataset.data_gen_method` (DLIO 3.0.2): how sample bytes are made; mlstor always uses
/// `mlstor-datagen`, so this is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataGenMethod {
    Numpy,
    Dgen,
}

/// One column of a parquet dataset (`dataset.parquet.columns[]`); a bare string is a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParquetColumn {
    pub name: String,
    /// DLIO's dtype names: uint8..uint64, int8..int64, float16/32/64, bool, string, binary,
    /// list (a float list); anything else is DLIO's fallback, a float list.
    pub dtype: String,
    /// Elements a row (a `fixed_size_list` when > 1; bytes a row for `binary`).
    pub size: u64,
    /// MLPerf's DLRM files mark the columns a reader fetches; when any column says `read:
    /// true`, mlstor reads only those (column-chunk ranges). DLIO 3.0.2 ignores the key
    /// (its readers take `storage_options.columns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
}

impl Default for ParquetColumn {
    fn default() -> ParquetColumn {
        ParquetColumn {
            name: "data".into(),
            dtype: "float32".into(),
            size: 1,
            read: None,
        }
    }
}

/// `dataset.parquet` (DLIO 3.0.2): the parquet dataset's schema and layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parquet {
    /// The columns; none: DLIO's legacy single `data` column of ⌊√record_length⌋² bytes.
    pub columns: Vec<ParquetColumn>,
    /// Rows per row group.
    pub row_group_size: u64,
    /// DLIO's hive partitioning column (not supported by mlstor: refused when set).
    pub partition_by: Option<String>,
    /// Rows generated at a time (0: a row group's); row groups never span two.
    pub generation_batch_size: u64,
    /// DLIO's s3dlio generator switch (mlstor always generates itself; ignored).
    pub use_s3dlio_gen: bool,
    /// MLPerf's DLRM files (`default`, `row_group`); DLIO 3.0.2 ignores it and reads by
    /// row group, as mlstor does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_mode: Option<String>,
    /// A codec for the parquet files; DLIO 3.0.2 ignores it (`dataset.compression` is its key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
}

impl Default for Parquet {
    fn default() -> Parquet {
        Parquet {
            columns: Vec::new(),
            row_group_size: 1024,
            partition_by: None,
            generation_batch_size: 0,
            use_s3dlio_gen: false,
            read_mode: None,
            compression: None,
        }
    }
}

/// `dataset.hdf5` (DLIO 3.0.2): how samples are laid out in HDF5 files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hdf5 {
    /// Chunk shape of the records dataset (none: DLIO's `chunk_size` rule).
    pub chunk_dims: Vec<u64>,
    /// Datasets each record is split over; `record_dims[0]` must divide by it.
    pub num_dset_per_record: u64,
    /// Maximum (resizable) shape of the records dataset.
    pub max_shape: Vec<u64>,
}

impl Default for Hdf5 {
    fn default() -> Hdf5 {
        Hdf5 {
            chunk_dims: Vec::new(),
            num_dset_per_record: 1,
            max_shape: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dataset {
    /// A path or any mlstor URI; files go to `<data_folder>/train` and `/valid`.
    #[serde(deserialize_with = "string_like")]
    pub data_folder: String,
    pub format: Format,
    pub num_files_train: u64,
    pub num_files_eval: u64,
    pub num_samples_per_file: u64,
    /// Mean sample size (DLIO allows a fraction, e.g. resnet50's 114660.07).
    pub record_length_bytes: f64,
    pub record_length_bytes_stdev: f64,
    pub record_length_bytes_resize: f64,
    pub num_subfolders_train: u64,
    pub num_subfolders_eval: u64,
    pub file_prefix: String,
    pub compression: Compression,
    pub compression_level: u32,
    pub enable_chunking: bool,
    pub chunk_size: u64,
    pub keep_files: bool,
    pub generation_buffer_size: u64,
    /// DLIO 3.0.2: the shape of a sample; when given, `record_length_bytes` is their
    /// product times the element size (stdev must then be 0).
    pub record_dims: Vec<u64>,
    /// DLIO 3.0.2: the samples' numpy dtype (jpeg and png: `uint8`).
    pub record_element_type: String,
    /// DLIO 3.0.2: read, then replaced by the size of `record_element_type`.
    pub record_element_bytes: u64,
    /// DLIO 3.0.2: `numpy` or `dgen` (unset: `DLIO_DATA_GEN`, else dgen); recorded.
    pub data_gen_method: Option<DataGenMethod>,
    /// DLIO 3.0.2: build the file list from the naming scheme instead of listing the folder
    /// (`true`, or a string DLIO reads as one).
    #[serde(deserialize_with = "bool_like")]
    pub skip_listing: bool,
    /// DLIO 3.0.2, with `skip_listing`: check that every n-th expected file exists (0: none).
    pub listing_validation_interval: i64,
    /// DLIO 3.0.2: the parquet format's columns and layout.
    pub parquet: Parquet,
    /// DLIO 3.0.2: the HDF5 format's layout.
    pub hdf5: Hdf5,
}

impl Default for Dataset {
    fn default() -> Dataset {
        Dataset {
            data_folder: "./data/".into(),
            format: Format::Tfrecord,
            num_files_train: 8,
            num_files_eval: 0,
            num_samples_per_file: 1,
            record_length_bytes: 65536.0,
            record_length_bytes_stdev: 0.0,
            record_length_bytes_resize: 0.0,
            num_subfolders_train: 0,
            num_subfolders_eval: 0,
            file_prefix: "img".into(),
            compression: Compression::None,
            compression_level: 4,
            enable_chunking: false,
            chunk_size: 0,
            keep_files: true,
            generation_buffer_size: 2 << 30,
            record_dims: Vec::new(),
            record_element_type: "uint8".into(),
            record_element_bytes: 4,
            data_gen_method: None,
            skip_listing: false,
            listing_validation_interval: 1000,
            parquet: Parquet::default(),
            hdf5: Hdf5::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataLoader {
    #[default]
    Tensorflow,
    Pytorch,
    Dali,
    NativeDali,
    Synthetic,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shuffle {
    #[default]
    Off,
    Seed,
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAccess {
    #[default]
    Multi,
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadType {
    #[default]
    OnDemand,
    /// DLIO spells it `memory`.
    #[serde(alias = "memory")]
    InMemory,
}

/// A duration in seconds: a number, or DLIO's distribution form (`{mean, stdev}`, or
/// `{type: normal|uniform|gamma|exponential|poisson, ...}` with that distribution's
/// parameters), sampled per use as DLIO's `utility.sleep` does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Seconds {
    Fixed(f64),
    Dist(TimeDist),
}

impl Default for Seconds {
    fn default() -> Seconds {
        Seconds::Fixed(0.0)
    }
}

impl Seconds {
    /// The mean (what DLIO reports as the "set value").
    pub fn mean(&self) -> f64 {
        match *self {
            Seconds::Fixed(v) => v,
            Seconds::Dist(d) => d.mean(),
        }
    }
}

/// DLIO's distributions for emulated times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    Normal,
    Uniform,
    Gamma,
    Exponential,
    Poisson,
}

/// A time distribution; which fields count depends on `type` (none: `mean` with an
/// optional `stdev`, i.e. normal).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeDist {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<DistKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdev: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lam: Option<f64>,
}

impl TimeDist {
    pub fn mean(&self) -> f64 {
        let g = |v: Option<f64>| v.unwrap_or(0.0);
        match self.kind {
            None | Some(DistKind::Normal) => g(self.mean),
            Some(DistKind::Uniform) => (g(self.min) + g(self.max)) / 2.0,
            Some(DistKind::Gamma) => g(self.shape) * g(self.scale),
            Some(DistKind::Exponential) => g(self.scale),
            Some(DistKind::Poisson) => g(self.lam),
        }
    }

    /// The parameters `type` needs, as `(name, value)`; `None` values are missing.
    pub fn required(&self) -> Vec<(&'static str, Option<f64>)> {
        match self.kind {
            None | Some(DistKind::Normal) => vec![("mean", self.mean)],
            Some(DistKind::Uniform) => vec![("min", self.min), ("max", self.max)],
            Some(DistKind::Gamma) => vec![("shape", self.shape), ("scale", self.scale)],
            Some(DistKind::Exponential) => vec![("scale", self.scale)],
            Some(DistKind::Poisson) => vec![("lam", self.lam)],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reader {
    /// Unset: the framework's own loader (DLIO's default is the string "tensorflow", which its
    /// framework check never matches, so a PyTorch workload without a reader section is fine).
    pub data_loader: Option<DataLoader>,
    pub batch_size: u64,
    pub batch_size_eval: u64,
    pub read_threads: u64,
    /// DLIO 3.0.2: threads per rank generating data (1: DLIO's automatic count); mlstor's
    /// `--concurrency` decides.
    pub write_threads: u64,
    pub computation_threads: u64,
    pub prefetch_size: u64,
    pub file_shuffle: Shuffle,
    pub sample_shuffle: Shuffle,
    pub shuffle_size: u64,
    pub file_access: FileAccess,
    pub read_type: ReadType,
    pub transfer_size: Option<u64>,
    pub dont_use_mmap: bool,
    pub odirect: bool,
    pub preprocess_time: Seconds,
    pub preprocess_time_stdev: f64,
    pub pin_memory: bool,
    pub multiprocessing_context: String,
    pub reader_classname: Option<String>,
    pub data_loader_classname: Option<String>,
    pub data_loader_sampler: Option<String>,
    /// DLIO 3.0.2: the shape of the batch tensor handed to the model (none: the sample's).
    pub transformed_record_dims: Vec<u64>,
    /// DLIO 3.0.2: that tensor's numpy dtype.
    pub transformed_record_element_type: String,
}

impl Reader {
    /// The loader in effect: the configured one, else the framework's.
    pub fn loader(&self, framework: Framework) -> DataLoader {
        self.data_loader.unwrap_or(match framework {
            Framework::Tensorflow => DataLoader::Tensorflow,
            Framework::Pytorch => DataLoader::Pytorch,
        })
    }
}

impl Default for Reader {
    fn default() -> Reader {
        Reader {
            data_loader: None,
            batch_size: 1,
            batch_size_eval: 1,
            read_threads: 1,
            write_threads: 1,
            computation_threads: 1,
            prefetch_size: 2,
            file_shuffle: Shuffle::Off,
            sample_shuffle: Shuffle::Off,
            shuffle_size: 1024,
            file_access: FileAccess::Multi,
            read_type: ReadType::OnDemand,
            transfer_size: None,
            dont_use_mmap: false,
            odirect: false,
            preprocess_time: Seconds::default(),
            preprocess_time_stdev: 0.0,
            pin_memory: true,
            multiprocessing_context: "spawn".into(),
            reader_classname: None,
            data_loader_classname: None,
            data_loader_sampler: None,
            transformed_record_dims: Vec::new(),
            transformed_record_element_type: "uint8".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Train {
    pub epochs: u64,
    /// Emulated accelerator time per step (batch).
    pub computation_time: Seconds,
    pub computation_time_stdev: f64,
    pub total_training_steps: i64,
    pub seed_change_epoch: bool,
    pub seed: u64,
}

impl Default for Train {
    fn default() -> Train {
        Train {
            epochs: 1,
            computation_time: Seconds::default(),
            computation_time_stdev: 0.0,
            total_training_steps: -1,
            seed_change_epoch: true,
            seed: 123,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Evaluation {
    pub eval_time: Seconds,
    pub eval_time_stdev: f64,
    pub eval_after_epoch: u64,
    pub epochs_between_evals: u64,
}

impl Default for Evaluation {
    fn default() -> Evaluation {
        Evaluation {
            eval_time: Seconds::default(),
            eval_time_stdev: 0.0,
            eval_after_epoch: 1,
            epochs_between_evals: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointType {
    #[default]
    RankZero,
    AllRanks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointMode {
    #[default]
    Default,
    Subset,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ksm {
    pub madv_mergeable_id: u32,
    pub high_ram_trigger: f64,
    pub low_ram_exit: f64,
    pub await_time: u64,
}

impl Default for Ksm {
    fn default() -> Ksm {
        Ksm {
            madv_mergeable_id: 12,
            high_ram_trigger: 30.0,
            low_ram_exit: 15.0,
            await_time: 200,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checkpoint {
    /// A path or any mlstor URI: checkpoints may live on other storage than the dataset.
    #[serde(deserialize_with = "string_like")]
    pub checkpoint_folder: String,
    pub checkpoint_after_epoch: u64,
    pub epochs_between_checkpoints: u64,
    pub steps_between_checkpoints: i64,
    #[serde(rename = "type")]
    pub kind: CheckpointType,
    pub checkpoint_mechanism_classname: Option<String>,
    /// mlstor honours it (DLIO 2.0 and 3.0.2 never read it: their writers read another field).
    pub fsync: bool,
    pub time_between_checkpoints: f64,
    pub num_checkpoints_write: i64,
    pub num_checkpoints_read: i64,
    pub recovery_rank_shift: bool,
    pub rank_sync: bool,
    pub mode: CheckpointMode,
    pub randomize_tensor: bool,
    pub ksm: Option<Ksm>,
    /// mlstor: the checkpoint storage's own options (endpoint, credentials, endpoints).
    pub storage_options: Option<StorageOptions>,
}

impl Default for Checkpoint {
    fn default() -> Checkpoint {
        Checkpoint {
            checkpoint_folder: "./checkpoints/".into(),
            checkpoint_after_epoch: 1,
            epochs_between_checkpoints: 1,
            steps_between_checkpoints: -1,
            kind: CheckpointType::RankZero,
            checkpoint_mechanism_classname: None,
            fsync: false,
            time_between_checkpoints: -1.0,
            num_checkpoints_write: -1,
            num_checkpoints_read: -1,
            recovery_rank_shift: false,
            rank_sync: false,
            mode: CheckpointMode::Default,
            randomize_tensor: true,
            ksm: None,
            storage_options: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Output {
    pub folder: Option<String>,
    pub log_file: String,
    pub metric: OutputMetric,
}

impl Default for Output {
    fn default() -> Output {
        Output {
            folder: None,
            log_file: "dlio.log".into(),
            metric: OutputMetric::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputMetric {
    pub exclude_start_steps: u64,
    pub exclude_end_steps: u64,
}

impl Default for OutputMetric {
    fn default() -> OutputMetric {
        OutputMetric {
            exclude_start_steps: 1,
            exclude_end_steps: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profiling {
    pub profiler: String,
    pub iostat_devices: Vec<String>,
}

impl Default for Profiling {
    fn default() -> Profiling {
        Profiling {
            profiler: "iostat".into(),
            iostat_devices: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Metric {
    /// Accelerator-utilisation threshold for PASS/FAIL.
    pub au: f64,
}

impl Default for Metric {
    fn default() -> Metric {
        Metric { au: 0.90 }
    }
}
