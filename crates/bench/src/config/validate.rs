//! Combinations DLIO refuses (its `ConfigArguments.validate`), checked before anything runs.

use super::schema::{CheckpointMode, DataLoader, Format, Framework, Seconds, Workload};

/// The first invalid combination, as a sentence naming the keys involved.
pub fn validate(w: &Workload) -> Result<(), String> {
    let r = &w.reader;
    // The loader must be able to read the format, when the workflow reads the dataset at all
    // (checkpoint-only workloads leave format and loader at their defaults).
    let reads = w.workflow.train || w.workflow.evaluation;
    if let Some(loader) = r.data_loader.filter(|_| reads) {
        if w.dataset.format == Format::Tfrecord && loader == DataLoader::Pytorch {
            return Err("dataset.format tfrecord cannot be read by reader.data_loader pytorch in DLIO; use tensorflow or dali".into());
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
    if r.data_loader_classname.is_some() && r.data_loader_sampler.is_none() {
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
    if p.data > 0 && w.checkpoint.mode == CheckpointMode::Default {
        return Err("model.parallelism.data is derived from the rank count in checkpoint.mode default; set checkpoint.mode: subset to fix it".into());
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
    if !(0.0..=1.0).contains(&w.metric.au) {
        return Err(format!("metric.au {} must be between 0 and 1", w.metric.au));
    }
    Ok(())
}
