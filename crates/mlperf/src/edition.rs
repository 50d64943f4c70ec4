//! MLPerf Storage v3.0's fixed tables (rules edition 3.0; mlpstorage's `config.py` and
//! Rules.md): the models, the accelerators, the LLM checkpoint shapes, the parameters each
//! division may change and the ones the tool itself sets.

/// The rules edition these tables are.
pub const EDITION: &str = "3.0";

/// Training models (`config.MODELS`).
pub const TRAINING_MODELS: &[&str] = &["cosmoflow", "resnet50", "unet3d", "dlrm", "retinanet", "flux"];
/// Training models of the CLOSED and OPEN divisions; the others run in what-if only.
pub const SUBMISSION_TRAINING_MODELS: &[&str] = &["unet3d", "retinanet"];

/// Checkpointing models, as the command line and the results tree spell them.
pub const LLM_MODELS: &[&str] = &["llama3-8b", "llama3-70b", "llama3-405b", "llama3-1t"];

/// Simulated accelerators and their memory in GB (Rules.md Table 3).
pub const ACCELERATORS: &[(&str, u64)] = &[("b200", 180), ("mi355", 288), ("h100", 80), ("a100", 80)];
/// Accelerators of the CLOSED and OPEN divisions; h100 and a100 are what-if only.
pub const SUBMISSION_ACCELERATORS: &[&str] = &["b200", "mi355"];

/// Steps per epoch every process must at least run (Rules.md 3.1.2).
pub const STEPS_PER_EPOCH: u64 = 500;
/// The dataset is at least this many times the clients' memory (Rules.md 3.1.2).
pub const HOST_MEMORY_MULTIPLIER: u64 = 5;
/// More files than this in one folder: mlpstorage advises subfolders.
pub const FILES_PER_FOLDER_ADVICE: u64 = 10_000;

/// One LLM checkpoint workload (Rules.md Table 2; `config.LLM_ALLOWED_VALUES`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Llm {
    pub model: &'static str,
    /// Tensor x pipeline parallelism: OPEN runs use a multiple of it (Rules.md 4.6.4).
    pub tp_x_pp: u64,
    /// The process count of a CLOSED run (Rules.md 4.6.1).
    pub closed_processes: u64,
    pub zero_level: u8,
    /// The checkpoint's size in GiB, as Table 2 gives it (binary units labelled GB).
    pub checkpoint_gib: f64,
}

pub const LLMS: &[Llm] = &[
    Llm {
        model: "llama3-8b",
        tp_x_pp: 8,
        closed_processes: 8,
        zero_level: 3,
        checkpoint_gib: 105.0,
    },
    Llm {
        model: "llama3-70b",
        tp_x_pp: 8,
        closed_processes: 64,
        zero_level: 3,
        checkpoint_gib: 912.0,
    },
    Llm {
        model: "llama3-405b",
        tp_x_pp: 256,
        closed_processes: 512,
        zero_level: 1,
        checkpoint_gib: 5.29 * 1024.0,
    },
    Llm {
        model: "llama3-1t",
        tp_x_pp: 512,
        closed_processes: 1024,
        zero_level: 1,
        checkpoint_gib: 18.0 * 1024.0,
    },
];

/// A subset run (Rules.md 4.3.5) is llama3-8b on exactly this many processes.
pub const SUBSET_PROCESSES: u64 = 8;

/// Checkpoint writes and reads a CLOSED checkpointing result has (Rules.md 4.6 Table 3).
pub const CHECKPOINTS_WRITE: u64 = 10;
pub const CHECKPOINTS_READ: u64 = 10;
/// Measured training runs a result needs (Rules.md 2.1), after one warm-up run.
pub const TRAINING_RUNS: usize = 5;

pub fn llm(model: &str) -> Option<&'static Llm> {
    LLMS.iter().find(|l| l.model == model)
}

pub fn accelerator_memory_gb(accelerator: &str) -> Option<u64> {
    ACCELERATORS.iter().find(|a| a.0 == accelerator).map(|a| a.1)
}

/// The workload file of a model: `unet3d_b200` for training, `llama3_8b` for checkpointing.
pub fn workload_name(model: &str, accelerator: Option<&str>) -> String {
    match accelerator {
        Some(a) if !model.starts_with("llama3") => format!("{model}_{a}"),
        _ => model.replace('-', "_"),
    }
}

/// Training parameters a CLOSED run may override (Rules.md 3.6.2; `TrainingRunRulesChecker`).
pub const TRAINING_CLOSED_PARAMS: &[&str] = &[
    "dataset.num_files_train",
    "dataset.num_subfolders_train",
    "dataset.data_folder",
    "reader.read_threads",
    "reader.computation_threads",
    "reader.transfer_size",
    "reader.odirect",
    "reader.prefetch_size",
    "checkpoint.checkpoint_folder",
    "storage.storage_type",
    "storage.storage_root",
    "storage.storage_options.prefetch_window",
];

/// Training parameters an OPEN run may also override (Rules.md 3.6.3).
pub const TRAINING_OPEN_PARAMS: &[&str] = &[
    "framework",
    "dataset.format",
    "dataset.num_samples_per_file",
    "reader.data_loader",
];

/// Parameters the tool sets itself: reported, never counted as the user's overrides
/// (`TOOL_INJECTED_PARAMS`, mlcommons/storage#494).
pub const TOOL_INJECTED_PARAMS: &[&str] = &[
    "dataset.skip_listing",
    "dataset.listing_validation_interval",
    "dataset.num_files_generated",
    "dataset.data_folder",
    "storage.storage_type",
    "storage.storage_root",
    "storage.storage_options.storage_library",
    "storage.storage_options.uri_scheme",
    "storage.s3_force_path_style",
    "dataset.total_disk_bytes",
];

/// Checkpointing parameters a CLOSED run may override (Rules.md 4.6.3).
pub const CHECKPOINT_CLOSED_PARAMS: &[&str] = &["checkpoint.checkpoint_folder"];
/// Checkpointing parameters an OPEN run may also override (Rules.md 4.6 Table 3).
pub const CHECKPOINT_OPEN_PARAMS: &[&str] = &[
    "checkpoint.num_checkpoints_write",
    "checkpoint.num_checkpoints_read",
];
/// Parameters the tool sets on a checkpointing run from the command line (mlpstorage's
/// `add_checkpoint_params` and object-storage settings).
pub const CHECKPOINT_TOOL_PARAMS: &[&str] = &[
    "checkpoint.checkpoint_folder",
    "checkpoint.mode",
    "model.parallelism.data",
    "storage.storage_type",
    "storage.storage_root",
    "storage.storage_options.storage_library",
    "storage.storage_options.uri_scheme",
    "storage.s3_force_path_style",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_two_process_counts_are_tp_pp_dp() {
        for l in LLMS {
            assert_eq!(l.closed_processes % l.tp_x_pp, 0, "{}", l.model);
        }
        assert_eq!(llm("llama3-70b").map(|l| l.closed_processes), Some(64));
    }

    #[test]
    fn workload_names_follow_the_shipped_files() {
        assert_eq!(workload_name("unet3d", Some("b200")), "unet3d_b200");
        assert_eq!(workload_name("llama3-8b", Some("b200")), "llama3_8b");
    }
}
