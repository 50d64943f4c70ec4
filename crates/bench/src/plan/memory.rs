//! What one rank of a plan will hold in memory, estimated from the plan alone.
//!
//! - **loader**: the batches the emulated framework keeps prefetched: `read_threads ×
//!   prefetch × batch_size × sample size` (PyTorch's `prefetch_factor` per worker, DLIO's
//!   `prefetch_size / read_threads`), plus each worker's read buffer (a whole file for formats
//!   read whole, one sample for ranged ones, one row group for parquet), plus every file this
//!   rank reads under
//!   `read_type: in_memory`;
//! - **order**: an epoch's batches of sample references (8 bytes each);
//! - **checkpoint**: the pieces in flight (`file_concurrency` files, each writing one piece
//!   while the next is generated: `2 × part_size`), or under DLIO's reading this rank's
//!   whole checkpoint, made once up front;
//! - **results**: the per-step arrays kept for `{rank}_output.json` (four 8-byte numbers a
//!   step).

use serde::Serialize;

use super::Plan;
use crate::config::schema::{Format, ReadType};

/// Bytes one rank is expected to hold, by what holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MemoryEstimate {
    pub loader: u64,
    pub order: u64,
    pub checkpoint: u64,
    pub results: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.loader + self.order + self.checkpoint + self.results
    }
}

/// DLIO's prefetch factor: `ceil(prefetch_size / read_threads)`, 2 when that is 0.
pub fn prefetch_factor(prefetch_size: u64, read_threads: u64) -> usize {
    let f = if read_threads >= 1 {
        prefetch_size.div_ceil(read_threads)
    } else {
        prefetch_size
    };
    if f == 0 { 2 } else { f as usize }
}

impl Plan {
    /// The memory rank `rank` will hold; checkpoints move `part_size` pieces of
    /// `file_concurrency` files at once.
    pub fn memory(&self, rank: usize, part_size: u64, file_concurrency: u64) -> MemoryEstimate {
        let w = &self.workload;
        let d = &w.dataset;
        let r = &w.reader;
        let sample = (d.record_length_bytes + d.record_length_bytes_stdev).max(0.0) as u64;
        let mut m = MemoryEstimate::default();
        if let Some(t) = &self.train {
            let workers = r.read_threads.max(1);
            let prefetch = prefetch_factor(r.prefetch_size, r.read_threads) as u64;
            let batch = r.batch_size.max(r.batch_size_eval);
            let file = sample.saturating_mul(d.num_samples_per_file);
            let ranged = matches!(
                d.format,
                Format::Tfrecord | Format::IndexedBinary | Format::MmapIndexedBinary
            );
            let buffer = if d.format == Format::Parquet {
                // One row group of the columns read.
                let row: u64 = super::files::parquet_columns(d)
                    .iter()
                    .map(|c| c.input_bytes() as u64)
                    .sum();
                row.saturating_mul(d.parquet.row_group_size.min(d.num_samples_per_file).max(1))
            } else if ranged {
                sample
            } else {
                file
            };
            m.loader = workers
                .saturating_mul(prefetch)
                .saturating_mul(batch)
                .saturating_mul(sample)
                .saturating_add(workers.saturating_mul(buffer));
            if r.read_type == ReadType::InMemory {
                let files = d.num_files_train.div_ceil(self.ranks as u64);
                m.loader = m.loader.saturating_add(files.saturating_mul(file));
            }
            let steps = t
                .epochs
                .iter()
                .map(|e| e.steps)
                .max()
                .unwrap_or(0)
                .max(t.eval_steps);
            m.order = steps.saturating_mul(batch).saturating_mul(8);
            let all_steps: u64 = t
                .epochs
                .iter()
                .map(|e| e.steps + if e.eval { t.eval_steps } else { 0 })
                .sum();
            m.results = all_steps.saturating_mul(4 * 8);
        }
        if let Some(c) = &self.checkpoint {
            let files = c.layout.rank_files(rank).unwrap_or_default();
            let rank_bytes: u64 = files.iter().map(|f| f.bytes).sum();
            let largest = files.iter().map(|f| f.bytes).max().unwrap_or(0);
            let in_flight = (files.len() as u64).min(file_concurrency.max(1));
            m.checkpoint = if self.dlio_compat {
                rank_bytes
            } else {
                in_flight.saturating_mul(2).saturating_mul(part_size.min(largest))
            };
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_factor_as_dlio() {
        assert_eq!(prefetch_factor(2, 2), 1);
        assert_eq!(prefetch_factor(5, 2), 3);
        assert_eq!(prefetch_factor(0, 4), 2);
        assert_eq!(prefetch_factor(3, 0), 3);
    }

    #[test]
    fn loader_and_checkpoint_shares() {
        let w = crate::config::load(
            "unet3d_tiny",
            &[
                "reader.read_threads=4".into(),
                "reader.prefetch_size=8".into(),
                "reader.batch_size=2".into(),
                "dataset.record_length_bytes_stdev=0".into(),
            ],
            &|_| None,
        )
        .expect("workload");
        let p = Plan::build(&w, 1, false).expect("plan");
        let m = p.memory(0, 16 << 20, 4);
        // 4 workers x 2 batches ahead x 2 samples x 1 MiB, plus a 1 MiB file buffer each.
        assert_eq!(m.loader, (4 * 2 * 2 + 4) << 20);
        assert_eq!(m.checkpoint, 0);
        assert_eq!(m.results, 2 * 4 * 4 * 8, "2 epochs of 4 steps");
        let c = crate::config::load("llama3_tiny", &[], &|_| None).expect("llama3_tiny");
        let p = Plan::build(&c, 1, false).expect("plan");
        let small = p.memory(0, 1 << 10, 1);
        assert_eq!(
            small.checkpoint,
            2 << 10,
            "one file, a piece written and one generated"
        );
        let dlio = Plan::build(&c, 1, true).expect("plan").memory(0, 1 << 10, 1);
        assert_eq!(dlio.checkpoint, p.checkpoint.expect("ckpt").layout.total_bytes);
        assert_eq!(small.total(), small.checkpoint);
    }
}
