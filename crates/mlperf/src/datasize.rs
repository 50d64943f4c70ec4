//! How big a training dataset must be (Rules.md 3.1.2), computed exactly as mlpstorage's
//! `calculate_training_data_size` does, so that a dataset sized here passes its checks.

use serde::Serialize;
use serde_json::Value;

use crate::edition::{FILES_PER_FOLDER_ADVICE, HOST_MEMORY_MULTIPLIER, STEPS_PER_EPOCH};

/// What the sizing needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// Client memory summed over the hosts, in bytes (may be fractional: GB are floats).
    pub total_memory_bytes: f64,
    /// Processes (simulated accelerators) over all hosts.
    pub processes: u64,
    pub batch_size: u64,
    pub samples_per_file: u64,
    /// Bytes per sample (see [`record_length`]); fractional in resnet50's files.
    pub record_length: f64,
}

/// Which rule set the file count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DictatedBy {
    /// 5 x the clients' memory.
    Memory,
    /// 500 steps per epoch for every process.
    Steps,
}

/// The sizing's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Datasize {
    pub num_files_train: u64,
    /// mlpstorage returns 0; [`advised_subfolders`] says when more would help.
    pub num_subfolders_train: u64,
    pub total_disk_bytes: u64,
    pub min_files_by_memory: u64,
    pub min_files_by_steps: u64,
    pub dictated_by: DictatedBy,
}

/// `calculate_training_data_size`: the larger of the files holding 5 x the memory (rounded
/// up: at least that much) and the files giving every process 500 steps of `batch_size`.
pub fn training(i: &Inputs) -> Datasize {
    let dataset_bytes = HOST_MEMORY_MULTIPLIER as f64 * i.total_memory_bytes;
    // Python's arithmetic in Python's order: a fractional record length makes every
    // product a float, and the byte total is truncated.
    let file_bytes = i.samples_per_file as f64 * i.record_length;
    let by_memory = if file_bytes > 0.0 {
        (dataset_bytes / file_bytes).ceil() as u64
    } else {
        0
    };
    let min_samples = STEPS_PER_EPOCH * i.processes * i.batch_size;
    let by_steps = min_samples.div_ceil(i.samples_per_file.max(1));
    let files = by_memory.max(by_steps);
    Datasize {
        num_files_train: files,
        num_subfolders_train: 0,
        total_disk_bytes: (files as f64 * file_bytes) as u64,
        min_files_by_memory: by_memory,
        min_files_by_steps: by_steps,
        dictated_by: if by_memory > by_steps {
            DictatedBy::Memory
        } else {
            DictatedBy::Steps
        },
    }
}

/// Subfolders to spread `files` over so that none holds more than 10,000 (0: none needed).
pub fn advised_subfolders(files: u64) -> u64 {
    if files > FILES_PER_FOLDER_ADVICE {
        files.div_ceil(FILES_PER_FOLDER_ADVICE)
    } else {
        0
    }
}

/// Bytes per sample as mlpstorage reads them from a workload's `dataset` block:
/// `record_length_bytes`, else for parquet the sum of its columns (8 bytes for float64 and
/// int64, 1 for uint8 and bool, 4 for every other dtype, float16 included: that is
/// mlpstorage's arithmetic and the rule checks against it), else 0.
pub fn record_length(dataset: &Value) -> f64 {
    if let Some(v) = dataset.get("record_length_bytes") {
        return as_f64(v);
    }
    let columns = (dataset.get("format").and_then(Value::as_str) == Some("parquet"))
        .then(|| dataset.get("parquet"))
        .flatten()
        .and_then(|p| p.get("columns"))
        .and_then(Value::as_array);
    let Some(columns) = columns else { return 0.0 };
    columns
        .iter()
        .map(|c| {
            let size = c.get("size").map_or(1, as_u64);
            let width = match c.get("dtype").and_then(Value::as_str).unwrap_or("float32") {
                "float64" | "int64" => 8,
                "uint8" | "bool" => 1,
                _ => 4,
            };
            size * width
        })
        .sum::<u64>() as f64
}

/// A YAML number or numeric string as a float (0 if neither).
pub fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// A YAML number or numeric string as an integer (Python's `int()` of it; 0 if neither).
pub fn as_u64(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n
            .as_u64()
            .unwrap_or_else(|| n.as_f64().map_or(0, |f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse::<f64>().map_or(0, |f| f.max(0.0) as u64),
        Value::Bool(b) => u64::from(*b),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gib(n: f64) -> f64 {
        n * 1024.0 * 1024.0 * 1024.0
    }

    #[test]
    fn memory_rule_rounds_up() {
        // 1 host of 1 GiB: 5 GiB of 3 MiB files is 1706.67 files -> 1707 (floor would be
        // one file short of the rule).
        let d = training(&Inputs {
            total_memory_bytes: gib(1.0),
            processes: 1,
            batch_size: 1,
            samples_per_file: 1,
            record_length: f64::from(3u32 << 20),
        });
        assert_eq!(d.min_files_by_memory, 1707);
        assert_eq!(d.num_files_train, 1707);
        assert_eq!(d.dictated_by, DictatedBy::Memory);
        assert_eq!(d.total_disk_bytes, 1707 * (3 << 20));
    }

    #[test]
    fn steps_rule_wins_with_many_accelerators() {
        // unet3d b200: batch 7, 1 sample per file; 64 accelerators need 500*64*7 files.
        let d = training(&Inputs {
            total_memory_bytes: gib(16.0),
            processes: 64,
            batch_size: 7,
            samples_per_file: 1,
            record_length: 146_600_628.0,
        });
        assert_eq!(d.min_files_by_steps, 224_000);
        assert_eq!(d.num_files_train, 224_000);
        assert_eq!(d.dictated_by, DictatedBy::Steps);
        assert_eq!(advised_subfolders(d.num_files_train), 23);
    }

    #[test]
    fn record_length_from_parquet_columns() {
        let flux = json!({"format": "parquet", "record_length": 2164832, "parquet": {"columns": [
            {"dtype": "float32", "size": 524328}, {"dtype": "float32", "size": 409},
            {"dtype": "float32", "size": 8232}, {"dtype": "float32", "size": 8232},
            {"dtype": "float32", "size": 7}]}});
        assert_eq!(record_length(&flux), 2_164_832.0);
        let mixed = json!({"format": "parquet", "parquet": {"columns": [
            {"dtype": "float16"}, {"dtype": "int64", "size": 2}, {"dtype": "bool"}, {"name": "x"}]}});
        assert_eq!(record_length(&mixed), 25.0);
        assert_eq!(
            record_length(&json!({"record_length_bytes": 761, "format": "parquet"})),
            761.0
        );
        assert_eq!(record_length(&json!({"format": "npz"})), 0.0);
    }
}

/// Model and optimizer GB of each LLM (mlpstorage's `LLM_SIZE_BY_RANK`).
pub const LLM_SIZE_GB: &[(&str, f64, f64)] = &[
    ("llama3-1t", 2571.0, 15426.0),
    ("llama3-405b", 755.0, 4533.0),
    ("llama3-70b", 130.0, 781.0),
    ("llama3-8b", 15.0, 90.0),
];

/// What one checkpoint of a model on `processes` ranks writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointSize {
    /// GiB each rank writes, by rank.
    pub per_rank_gib: Vec<f64>,
    pub total_gib: f64,
    /// GiB the busiest host writes (ranks spread over the hosts as mpirun places them).
    pub per_host_gib: Vec<f64>,
}

/// mlpstorage's checkpointing datasize: with ZeRO 1 the optimizer is split over all ranks and
/// the model over the first TP x PP; with ZeRO 3 both are split over all ranks.
pub fn checkpoint(model: &str, processes: u64, slots: &[u64]) -> Option<CheckpointSize> {
    let llm = crate::edition::llm(model)?;
    let &(_, model_gb, optimizer_gb) = LLM_SIZE_GB.iter().find(|s| s.0 == model)?;
    let n = processes.max(1);
    let per_rank_gib: Vec<f64> = (0..n)
        .map(|rank| match llm.zero_level {
            1 => {
                optimizer_gb / n as f64
                    + if rank < llm.tp_x_pp {
                        model_gb / llm.tp_x_pp as f64
                    } else {
                        0.0
                    }
            }
            _ => (model_gb + optimizer_gb) / n as f64,
        })
        .collect();
    let mut per_host_gib = Vec::new();
    let mut next = 0usize;
    for &s in slots {
        let end = (next + s as usize).min(per_rank_gib.len());
        per_host_gib.push(per_rank_gib[next..end].iter().sum());
        next = end;
    }
    Some(CheckpointSize {
        total_gib: per_rank_gib.iter().sum(),
        per_rank_gib,
        per_host_gib,
    })
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;

    #[test]
    fn zero_levels_split_as_mlpstorage_does() {
        let c = checkpoint("llama3-8b", 8, &[8]).expect("8b");
        assert!((c.total_gib - 105.0).abs() < 1e-9);
        assert!((c.per_rank_gib[0] - 105.0 / 8.0).abs() < 1e-9);
        let c = checkpoint("llama3-405b", 512, &[256, 256]).expect("405b");
        // ZeRO 1: the model on the first 256 ranks, the optimizer on all 512.
        assert!((c.per_rank_gib[0] - (4533.0 / 512.0 + 755.0 / 256.0)).abs() < 1e-9);
        assert!((c.per_rank_gib[300] - 4533.0 / 512.0).abs() < 1e-9);
        assert!((c.total_gib - (755.0 + 4533.0)).abs() < 1e-6);
        assert!(c.per_host_gib[0] > c.per_host_gib[1]);
        assert!(checkpoint("gpt", 8, &[8]).is_none());
    }
}
