//! Combinations DLIO 3.0.2 refuses (its `ConfigArguments.validate`), checked before anything
//! runs, where mlstor cannot do better. Not refused, unlike DLIO: `model.parallelism.data`
//! in `checkpoint.mode: default` (a hint, checked against the ranks when planning: MLPerf
//! Storage v3.0's llama3 files set it), object storage without `storage_library` (mlstor's
//! own store does the I/O), and `data_loader_classname: torch.utils.data.DataLoader`
//! without a sampler (PyTorch's own loader).

use super::compat::TORCH_DATALOADER;
use super::schema::{CheckpointMode, DataLoader, Format, Framework, Seconds, StorageLibrary, Workload};

/// The first invalid combination, as a sentence naming the keys involved.
pub fn validate(w: &Workload) -> Result<(), String> {
    let r = &w.reader;
    // The loader must be able to read the format, when the workflow reads the dataset at all
    // (checkpoint-only workloads leave format and loader at their defaults).
    let reads = w.workflow.train || w.workflow.evaluation;
    if let Some(loader) = r.data_loader.filter(|_| reads) {
        // DLIO 3.0.2 reads TFRecord with PyTorch only through s3dlio.
        if w.dataset.format == Format::Tfrecord
            && loader == DataLoader::Pytorch
            && w.storage.library() != Some(StorageLibrary::S3dlio)
        {
            return Err("dataset.format tfrecord (DLIO's default when the file sets no format) cannot be read by \
                 reader.data_loader pytorch: DLIO 3.0.2 reads TFRecord with PyTorch only through storage_library \
                 s3dlio; set dataset.format to the files' format (npz, jpeg, ...) or use the tensorflow loader"
                .into());
        }
        let mismatch = matches!(
            (w.framework, loader),
            (Framework::Tensorflow, DataLoader::Pytorch) | (Framework::Pytorch, DataLoader::Tensorflow)
        );
        if mismatch {
            return Err(format!(
                "framework {:?} and reader.data_loader {:?} do not go together",
                w.framework, loader
            )
            .to_lowercase());
        }
    }
    let stock = r.data_loader_classname.as_deref() == Some(TORCH_DATALOADER);
    if r.data_loader_classname.is_some() && !stock && r.data_loader_sampler.is_none() {
        return Err("reader.data_loader_classname needs reader.data_loader_sampler (iter or index)".into());
    }
    if w.dataset.record_length_bytes <= 0.0 && w.workflow.generate_data {
        return Err("dataset.record_length_bytes must be positive to generate data".into());
    }
    if w.dataset.num_samples_per_file == 0 {
        return Err("dataset.num_samples_per_file must be at least 1".into());
    }
    if r.batch_size == 0 {
        return Err("reader.batch_size must be at least 1".into());
    }
    let p = &w.model.parallelism;
    if w.model.num_layers > 0 && (w.model.num_layers as u64) < p.pipeline {
        return Err(format!(
            "model.num_layers {} must be at least model.parallelism.pipeline {}",
            w.model.num_layers, p.pipeline
        ));
    }
    if p.pipeline > 1 && p.zero_stage == 3 {
        return Err("model.parallelism.zero_stage 3 is not compatible with pipeline parallelism > 1".into());
    }
    if w.checkpoint.mode == CheckpointMode::Subset && p.data <= 0 {
        return Err("checkpoint.mode subset needs model.parallelism.data".into());
    }
    let c = &w.checkpoint;
    if c.num_checkpoints_write > 0 && c.num_checkpoints_read > c.num_checkpoints_write {
        return Err(format!(
            "checkpoint.num_checkpoints_read {} cannot exceed checkpoint.num_checkpoints_write {}",
            c.num_checkpoints_read, c.num_checkpoints_write
        ));
    }
    if c.ksm.is_some() && c.randomize_tensor {
        return Err("checkpoint.ksm requires checkpoint.randomize_tensor: False".into());
    }
    let times = [
        ("train.computation_time", &w.train.computation_time),
        ("reader.preprocess_time", &w.reader.preprocess_time),
        ("evaluation.eval_time", &w.evaluation.eval_time),
    ];
    for (key, t) in times {
        match t {
            Seconds::Fixed(v) if *v < 0.0 || !v.is_finite() => {
                return Err(format!("{key} {v} must be a non-negative number of seconds"));
            }
            Seconds::Dist(d) => {
                if let Some((name, _)) = d.required().into_iter().find(|(_, v)| v.is_none()) {
                    let kind = d
                        .kind
                        .map(|k| format!("{k:?}").to_lowercase())
                        .unwrap_or("normal".into());
                    return Err(format!("{key}: a {kind} distribution needs `{name}`"));
                }
            }
            Seconds::Fixed(_) => {}
        }
    }
    let d = &w.dataset;
    if d.hdf5.num_dset_per_record == 0 {
        return Err("dataset.hdf5.num_dset_per_record must be at least 1".into());
    }
    if let Some(first) = d.record_dims.first()
        && first % d.hdf5.num_dset_per_record != 0
    {
        return Err(format!(
            "dataset.record_dims[0] {first} must be divisible by dataset.hdf5.num_dset_per_record {}",
            d.hdf5.num_dset_per_record
        ));
    }
    if !d.record_dims.is_empty() && d.record_length_bytes_stdev > 0.0 {
        return Err(
            "dataset.record_dims and dataset.record_length_bytes_stdev cannot both be set \
             (for sizes that vary, give record_length_bytes with record_length_bytes_stdev)"
                .into(),
        );
    }
    if matches!(d.format, Format::Jpeg | Format::Png) && d.record_dims.len() > 2 {
        return Err(format!(
            "dataset.format {} holds 2-D images, but dataset.record_dims has {} dimensions",
            d.format.extension(),
            d.record_dims.len()
        ));
    }
    let root = &w.storage.storage_root;
    if w.storage.storage_type.is_object() && (root.starts_with('/') || root.starts_with("file://")) {
        return Err(format!(
            "storage.storage_type {} is object storage, but storage.storage_root {root:?} is a local path \
             (use storage_type local_fs or direct_fs for local files)",
            w.storage.storage_type.name()
        ));
    }
    if !(0.0..=1.0).contains(&w.metric.au) {
        return Err(format!("metric.au {} must be between 0 and 1", w.metric.au));
    }
    Ok(())
}
