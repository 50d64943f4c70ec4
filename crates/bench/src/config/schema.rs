//! A plain serde mirror of DLIO's workload YAML, with DLIO's defaults
//! (`dlio_benchmark/utils/config.py` of the `mlperf_storage_v2.0` branch), plus mlstor's
//! storage keys. Unknown keys are errors (DLIO silently ignores them).

use serde::{Deserialize, Serialize};

/// One workload file (what DLIO calls `workload:`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    pub model: Model,
    pub framework: Framework,
    pub workflow: Workflow,
    pub dataset: Dataset,
    /// DLIO also accepts `data_reader`.
    #[serde(alias = "data_reader")]
    pub reader: Reader,
    pub train: Train,
    pub evaluation: Evaluation,
    pub checkpoint: Checkpoint,
    pub output: Output,
    pub storage: Storage,
    pub profiling: Profiling,
    pub metric: Metric,
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

/// DLIO's dataset formats (plus parquet, which newer DLIO and MLPerf's DLRM use).
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
    /// Parquet's codecs (with `gzip` and `none`).
    Snappy,
    Lz4,
    Zstd,
}

/// One column of a parquet dataset (`dataset.parquet.columns`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParquetColumn {
    pub name: String,
    /// DLIO's dtype names: uint8..uint64, int8..int64, float16/32/64, bool, string, binary,
    /// list (a float list); anything else is DLIO's fallback, a float list.
    pub dtype: String,
    /// Elements a row (a `fixed_size_list` when > 1; bytes a row for `binary`).
    pub size: u64,
    /// Read this column when the dataset is read selectively (when any column says `read:
    /// true`, only those are read).
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

/// `dataset.parquet`: DLIO 3.0.2's parquet layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parquet {
    /// The columns; none: DLIO's legacy single `data` column of ⌊√record_length⌋² bytes.
    pub columns: Vec<ParquetColumn>,
    /// Rows per row group.
    pub row_group_size: u64,
    /// Rows generated at a time (0: a row group's); row groups never span two.
    pub generation_batch_size: u64,
    /// DLIO's hive partitioning column (not supported by mlstor: refused when set).
    pub partition_by: Option<String>,
    /// DLIO's s3dlio generator switch (mlstor always generates itself; ignored).
    pub use_s3dlio_gen: bool,
    /// `row_group` (what DLIO 3.0.2 does whatever this says).
    pub read_mode: Option<String>,
}

impl Default for Parquet {
    fn default() -> Parquet {
        Parquet {
            columns: Vec::new(),
            row_group_size: 1024,
            generation_batch_size: 0,
            partition_by: None,
            use_s3dlio_gen: false,
            read_mode: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dataset {
    /// A path or any mlstor URI; files go to `<data_folder>/train` and `/valid`.
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
    /// The parquet layout (`format: parquet`).
    pub parquet: Parquet,
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
            parquet: Parquet::default(),
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
            multiprocessing_context: "fork".into(),
            reader_classname: None,
            data_loader_classname: None,
            data_loader_sampler: None,
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
    pub checkpoint_folder: String,
    pub checkpoint_after_epoch: u64,
    pub epochs_between_checkpoints: u64,
    pub steps_between_checkpoints: i64,
    #[serde(rename = "type")]
    pub kind: CheckpointType,
    pub checkpoint_mechanism_classname: Option<String>,
    /// mlstor honours it (DLIO v2.0 never fsyncs: its writers read another field).
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    #[default]
    LocalFs,
    ParallelFs,
    S3,
    Azure,
    Gcs,
}

/// Which storage library a run is recorded as using; mlstor's own store does the I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageLibrary {
    #[default]
    Mlstor,
    S3dlio,
    S3torchconnector,
    Minio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalanceStrategy {
    #[default]
    RoundRobin,
    Random,
    LeastOutstanding,
}

/// A credential from the YAML. `Debug` and serialization (the resolved config, results)
/// show `***`; only [`SecretString::expose`] gives the value, for handing to a client.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> SecretString {
        SecretString(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageOptions {
    pub endpoint_url: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    pub region: Option<String>,
    pub s3_force_path_style: Option<bool>,
    pub endpoint_uris: Vec<String>,
    pub load_balance_strategy: LoadBalanceStrategy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    pub storage_type: StorageType,
    /// For object stores: the bucket/container.
    pub storage_root: String,
    pub storage_library: StorageLibrary,
    pub storage_options: StorageOptions,
}

impl Default for Storage {
    fn default() -> Storage {
        Storage {
            storage_type: StorageType::LocalFs,
            storage_root: "./".into(),
            storage_library: StorageLibrary::Mlstor,
            storage_options: StorageOptions::default(),
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
