//! The training emulation of one rank, DLIO's `_train` and `_eval` loops: per step, wait
//! for the loader's next batch, emulate the accelerator's compute (the loader keeps
//! prefetching meanwhile), then meet the other ranks at a barrier (DLIO's simulated
//! all-reduce). Timings feed DLIO's AU and throughput formulas ([`crate::metrics::au`]);
//! storage requests and batch waits feed latency histograms.

pub mod report;

use std::sync::Arc;
use std::time::Instant;

use mlstor_datagen::{DataGen, Params};
use mlstor_store::Store;
use tokio::runtime::Handle;

use tokio_util::sync::CancellationToken;

use crate::checkpoint::workflow::TimedCheckpoint;
use crate::checkpoint::{CheckpointError, Checkpointer, Control};
use crate::compute::TimeModel;
use crate::config::schema::{ReadType, Workload};
use crate::loader::dataset::SplitFiles;
use crate::loader::read::{ReadStats, Residency, SampleReader};
use crate::loader::{EpochLoader, Loader, LoaderError, LoaderSettings};
use crate::metrics::au::{StepTimes, block_metrics, eval_metrics};
use crate::metrics::latency::Latency;
use crate::plan::files::Split;
use crate::plan::order::{OrderError, OrderSpec, Sampler, steps_per_epoch};
use crate::ranks::{Ranks, RanksError};
use report::{EpochReport, PhaseReport, RankReport, StepArrays};

/// Errors of the training emulation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    #[error(transparent)]
    Loader(#[from] LoaderError),
    #[error(transparent)]
    Ranks(#[from] RanksError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error("{0}")]
    Plan(String),
    #[error("the loader delivered {got} of the {want} batches of epoch {epoch}")]
    ShortEpoch { epoch: u64, got: u64, want: u64 },
    #[error("checkpointing during training")]
    Checkpoint(#[from] CheckpointError),
    #[error("interrupted")]
    Cancelled,
}

/// Which loop a progress event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Train,
    Eval,
}

/// What the training loop tells whoever draws progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    Start {
        epoch: u64,
        epochs: u64,
        phase: Phase,
        steps: u64,
    },
    Step {
        done: u64,
        samples_per_s: f64,
        au_percent: f64,
    },
    End,
}

/// What a rank's training needs.
pub struct TrainSetup<'a> {
    pub workload: &'a Workload,
    pub ranks: &'a Ranks,
    /// The store rooted at the data folder.
    pub store: Arc<dyn Store>,
    pub handle: Handle,
    pub dlio_compat: bool,
    /// Compare every sample with what `mlstor generate` wrote.
    pub verify: bool,
    /// The seed of `random` shuffles, the same on every rank.
    pub random_seed: u64,
    pub on_progress: &'a (dyn Fn(Progress) + Sync),
    /// With `workflow.checkpoint`: this rank's checkpointer (on the checkpoint storage) and
    /// the control of its saves.
    pub checkpoint: Option<(&'a Checkpointer, &'a Control)>,
    /// Stops training at the next step (Ctrl-C).
    pub cancel: CancellationToken,
}

/// Steps of each epoch: DLIO's steps per epoch, with `total_training_steps` capping the run
/// (mlstor) or each epoch (`dlio_compat`, as DLIO's loop does).
pub fn epoch_steps(w: &Workload, ranks: u64, dlio_compat: bool) -> Result<Vec<u64>, TrainError> {
    let d = &w.dataset;
    let per_epoch = steps_per_epoch(
        d.num_files_train,
        d.num_samples_per_file,
        w.reader.batch_size,
        ranks,
    );
    if per_epoch == 0 {
        return Err(TrainError::Plan(format!(
            "{} training samples ({} files x {}) cannot fill one step of reader.batch_size {} on {ranks} rank(s)",
            d.num_files_train * d.num_samples_per_file,
            d.num_files_train,
            d.num_samples_per_file,
            w.reader.batch_size
        )));
    }
    let epochs = w.train.epochs;
    let cap = w.train.total_training_steps;
    if cap <= 0 {
        return Ok(vec![per_epoch; epochs as usize]);
    }
    let cap = cap as u64;
    if dlio_compat {
        if cap > per_epoch {
            return Err(TrainError::Plan(format!(
                "train.total_training_steps {cap}: only enough data for {per_epoch} steps per epoch (DLIO caps each epoch)"
            )));
        }
        return Ok(vec![cap; epochs as usize]);
    }
    if cap > per_epoch * epochs {
        return Err(TrainError::Plan(format!(
            "train.total_training_steps {cap}: {epochs} epoch(s) of {per_epoch} steps hold only {}",
            per_epoch * epochs
        )));
    }
    Ok((0..epochs)
        .map(|e| cap.saturating_sub(e * per_epoch).min(per_epoch))
        .filter(|&s| s > 0)
        .collect())
}

/// How many checkpoints a training run saves: every `steps_between_checkpoints` steps of
/// each epoch, or after the epochs `checkpoint_after_epoch`, `+ epochs_between_checkpoints`...
pub fn checkpoints_due(w: &Workload, steps: &[u64]) -> u64 {
    let c = &w.checkpoint;
    if c.steps_between_checkpoints > 0 {
        let every = c.steps_between_checkpoints as u64;
        return steps.iter().map(|n| n / every).sum();
    }
    if c.steps_between_checkpoints == 0 {
        return 0;
    }
    let epochs = steps.len() as u64;
    let first = c.checkpoint_after_epoch.max(1);
    if first > epochs {
        return 0;
    }
    1 + (epochs - first) / c.epochs_between_checkpoints.max(1)
}

/// DLIO's local-time timestamp (`%Y-%m-%dT%H:%M:%S.%f`).
pub fn timestamp() -> String {
    chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn order_spec(s: &TrainSetup, split: Split, sampler: Sampler) -> OrderSpec {
    let w = s.workload;
    let (files, other, batch) = match split {
        Split::Train => (
            w.dataset.num_files_train,
            w.dataset.num_files_eval,
            w.reader.batch_size,
        ),
        Split::Valid => (
            w.dataset.num_files_eval,
            w.dataset.num_files_train,
            w.reader.batch_size_eval,
        ),
    };
    OrderSpec {
        files,
        // DLIO's sample space, also for images (whose files hold one: a reader reads the
        // image whatever sample of it is asked for).
        samples_per_file: w.dataset.num_samples_per_file,
        batch_size: batch,
        rank: s.ranks.rank() as u64,
        ranks: s.ranks.size() as u64,
        read_threads: w.reader.read_threads,
        file_shuffle: w.reader.file_shuffle,
        sample_shuffle: w.reader.sample_shuffle,
        shuffle_size: w.reader.shuffle_size,
        seed: w.train.seed,
        seed_change_epoch: w.train.seed_change_epoch,
        random_seed: s.random_seed,
        sampler,
        dlio_compat: s.dlio_compat,
        is_eval: split == Split::Valid,
        other_files: other,
    }
}

fn loader_for(s: &TrainSetup, split: Split, sampler: Sampler) -> Result<Loader, TrainError> {
    let w = s.workload;
    let files = s.handle.block_on(SplitFiles::open(s.store.as_ref(), w, split))?;
    let residency = match (w.reader.read_type, sampler) {
        (ReadType::InMemory, _) => Residency::All,
        (ReadType::OnDemand, Sampler::Index) => Residency::PerSample,
        (ReadType::OnDemand, _) => Residency::LastFile,
    };
    let verify = if s.verify {
        Some(
            DataGen::new(Params {
                seed: w.train.seed,
                ..Params::default()
            })
            .map_err(|e| TrainError::Plan(e.to_string()))?,
        )
    } else {
        None
    };
    let reader = SampleReader::new(s.store.clone(), Arc::new(files), w, residency, verify);
    let seed = (w.train.seed as u32) ^ ((s.ranks.rank() as u32) << 16);
    let settings = LoaderSettings {
        read_threads: w.reader.read_threads,
        prefetch: LoaderSettings::prefetch_factor(w.reader.prefetch_size, w.reader.read_threads),
        preprocess: Some((
            w.reader.preprocess_time,
            w.reader.preprocess_time_stdev,
            seed ^ 0x9e37,
        )),
    };
    Ok(Loader::new(reader, settings, s.handle.clone()))
}

/// Runs the workload's training (and evaluation) epochs on this rank.
pub fn train(s: &TrainSetup) -> Result<RankReport, TrainError> {
    let w = s.workload;
    let loader_kind = w.reader.loader(w.framework);
    let sampler = Sampler::of(loader_kind, w.dataset.format).ok_or_else(|| {
        TrainError::Plan(format!(
            "reader.data_loader {loader_kind:?} is not emulated (pytorch, tensorflow and dali are)"
        ))
    })?;
    let steps = epoch_steps(w, s.ranks.size() as u64, s.dlio_compat)?;
    let planned = steps_per_epoch(
        w.dataset.num_files_train,
        w.dataset.num_samples_per_file,
        w.reader.batch_size,
        s.ranks.size() as u64,
    );
    let eval_on = w.workflow.evaluation && w.dataset.num_files_eval > 0;
    let eval_steps = steps_per_epoch(
        w.dataset.num_files_eval,
        w.dataset.num_samples_per_file,
        w.reader.batch_size_eval,
        s.ranks.size() as u64,
    );
    if eval_on && eval_steps == 0 {
        return Err(TrainError::Plan(format!(
            "evaluation: {} samples cannot fill one step of reader.batch_size_eval {} on {} rank(s)",
            w.dataset.num_files_eval * w.dataset.num_samples_per_file,
            w.reader.batch_size_eval,
            s.ranks.size()
        )));
    }
    let mut train_loader = loader_for(s, Split::Train, sampler)?;
    let mut eval_loader = if eval_on {
        Some(loader_for(s, Split::Valid, sampler)?)
    } else {
        None
    };
    let rank_seed = (w.train.seed as u32).wrapping_add(s.ranks.rank() as u32 * 7919);
    let mut compute = TimeModel::new(
        w.train.computation_time,
        w.train.computation_time_stdev,
        rank_seed,
    );
    let mut eval_time = TimeModel::new(
        w.evaluation.eval_time,
        w.evaluation.eval_time_stdev,
        rank_seed ^ 0xe7a1,
    );
    let train_spec = order_spec(s, Split::Train, sampler);
    let eval_spec = order_spec(s, Split::Valid, sampler);
    let mut next_eval = w.evaluation.eval_after_epoch;
    let c = &w.checkpoint;
    // DLIO: with steps_between_checkpoints >= 0 a checkpoint ends a block every that many
    // steps of each epoch (0: never); otherwise one after the epochs checkpoint_after_epoch,
    // then every epochs_between_checkpoints.
    let step_checkpoints = s.checkpoint.is_some() && c.steps_between_checkpoints >= 0;
    let epoch_checkpoints = s.checkpoint.is_some() && c.steps_between_checkpoints < 0;
    let mut next_checkpoint_epoch = c.checkpoint_after_epoch;
    let mut epochs = Vec::with_capacity(steps.len());
    let epoch_count = steps.len() as u64;
    for (i, &n) in steps.iter().enumerate() {
        let epoch = i as u64 + 1;
        s.ranks.barrier()?;
        let start = timestamp();
        let t0 = Instant::now();
        let batches = train_spec.epoch_batches(epoch, n)?;
        (s.on_progress)(Progress::Start {
            epoch,
            epochs: epoch_count,
            phase: Phase::Train,
            steps: n,
        });
        let mut loader = train_loader.epoch(batches);
        let mut blocks = Vec::new();
        let mut checkpoints = Vec::new();
        let mut done = 0;
        let mut next_checkpoint_step = c.steps_between_checkpoints.max(0) as u64;
        while done < n {
            let at_checkpoint = step_checkpoints && next_checkpoint_step > done && next_checkpoint_step <= n;
            let end = if at_checkpoint { next_checkpoint_step } else { n };
            let shape = PhaseShape {
                epoch,
                first_step: done,
                steps: end - done,
                planned: planned as usize,
                batch: w.reader.batch_size,
                eval: false,
            };
            blocks.push(run_steps(s, &mut loader, shape, &mut compute)?);
            done = end;
            if at_checkpoint {
                checkpoints.push(save_checkpoint(s, epoch, done, blocks.len() as u64)?);
                next_checkpoint_step += c.steps_between_checkpoints as u64;
            }
        }
        loader.finish();
        (s.on_progress)(Progress::End);
        s.ranks.barrier()?;
        if epoch_checkpoints && epoch == next_checkpoint_epoch {
            checkpoints.push(save_checkpoint(s, epoch, n, blocks.len() as u64)?);
            next_checkpoint_epoch += c.epochs_between_checkpoints.max(1);
        }
        let eval = match eval_loader.as_mut() {
            Some(l) if epoch >= next_eval => {
                next_eval += w.evaluation.epochs_between_evals.max(1);
                (s.on_progress)(Progress::Start {
                    epoch,
                    epochs: epoch_count,
                    phase: Phase::Eval,
                    steps: eval_steps,
                });
                let mut loader = l.epoch(eval_spec.epoch_batches(epoch, eval_steps)?);
                let shape = PhaseShape {
                    epoch,
                    first_step: 0,
                    steps: eval_steps,
                    planned: eval_steps as usize,
                    batch: w.reader.batch_size_eval,
                    eval: true,
                };
                let r = run_steps(s, &mut loader, shape, &mut eval_time)?;
                loader.finish();
                (s.on_progress)(Progress::End);
                s.ranks.barrier()?;
                Some(r)
            }
            _ => None,
        };
        epochs.push(EpochReport {
            epoch,
            start,
            end: timestamp(),
            duration_s: t0.elapsed().as_secs_f64(),
            blocks,
            eval,
            checkpoints,
        });
    }
    Ok(RankReport {
        rank: s.ranks.rank(),
        host: crate::host::HostInfo::current(),
        epochs,
        cpu_s: crate::host::cpu_seconds(),
        endpoints: s
            .store
            .endpoint_stats()
            .into_iter()
            .map(|e| report::EndpointReport {
                endpoint: e.endpoint,
                requests: e.requests,
                bytes: e.bytes,
                errors: e.errors,
            })
            .collect(),
    })
}

struct PhaseShape {
    epoch: u64,
    /// Steps of the epoch done before this block.
    first_step: u64,
    steps: u64,
    /// DLIO's step count for the epoch, which places the excluded tail.
    planned: usize,
    batch: u64,
    eval: bool,
}

/// Saves this rank's checkpoint of (`epoch`, `step`), timed as DLIO times it (`index`: the
/// block it ends, DLIO's `save_ckpt{index}`). The loader keeps prefetching meanwhile.
fn save_checkpoint(s: &TrainSetup, epoch: u64, step: u64, index: u64) -> Result<TimedCheckpoint, TrainError> {
    let Some((ckpt, ctl)) = s.checkpoint else {
        return Err(TrainError::Plan("no checkpoint storage was set up".into()));
    };
    Ok(s.handle
        .block_on(TimedCheckpoint::measure(index, ckpt.save(epoch, step, ctl)))?)
}

/// Runs one block of steps (a training block, or an evaluation) from the epoch's loader.
fn run_steps(
    s: &TrainSetup,
    epoch: &mut EpochLoader,
    shape: PhaseShape,
    compute: &mut TimeModel,
) -> Result<PhaseReport, TrainError> {
    let w = s.workload;
    let start = timestamp();
    let t_start = Instant::now();
    let mut arrays = StepArrays::default();
    let mut wait = Latency::new();
    let mut reads = ReadStats::default();
    let (mut samples, mut sample_bytes) = (0u64, 0u64);
    let mut compute_sum = 0.0;
    for done in 1..=shape.steps {
        if s.cancel.is_cancelled() {
            return Err(TrainError::Cancelled);
        }
        let t0 = Instant::now();
        let batch = match epoch.next_batch() {
            Some(b) => b?,
            None => {
                return Err(TrainError::ShortEpoch {
                    epoch: shape.epoch,
                    got: shape.first_step + done - 1,
                    want: shape.first_step + shape.steps,
                });
            }
        };
        let t1 = Instant::now();
        compute.sleep();
        let t2 = Instant::now();
        let (load, c) = ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64());
        arrays.load.push(load);
        arrays.proc.push((t2 - t0).as_secs_f64());
        arrays.compute.push(c);
        compute_sum += c;
        wait.record(t1 - t0);
        samples += batch.samples;
        sample_bytes += batch.bytes;
        reads.merge(&batch.reads);
        s.ranks.barrier()?;
        arrays.barrier.push(t2.elapsed().as_secs_f64());
        let elapsed = t_start.elapsed().as_secs_f64().max(1e-9);
        (s.on_progress)(Progress::Step {
            done: shape.first_step + done,
            samples_per_s: (done * shape.batch) as f64 / elapsed,
            au_percent: 100.0 * compute_sum / elapsed,
        });
    }
    let wall = t_start.elapsed().as_secs_f64();
    let stats = reads;
    let times: Vec<StepTimes> = arrays
        .proc
        .iter()
        .zip(&arrays.compute)
        .map(|(&proc, &compute)| StepTimes { proc, compute })
        .collect();
    let m = &w.output.metric;
    let (ex_start, ex_end) = (m.exclude_start_steps as usize, m.exclude_end_steps as usize);
    let metrics = if shape.eval {
        eval_metrics(&times, shape.planned, wall, shape.batch, ex_start, ex_end)
    } else {
        block_metrics(&times, shape.planned, wall, shape.batch, ex_start, ex_end)
    };
    let load_s: f64 = arrays.load.iter().sum();
    Ok(PhaseReport {
        start,
        end: timestamp(),
        wall_s: wall,
        steps: shape.steps,
        batch_size: shape.batch,
        samples,
        au_percent: metrics.au_percent,
        throughput: metrics.throughput,
        exact_throughput: metrics.exact_throughput,
        metric_time_s: metrics.total_time,
        load_s,
        compute_s: compute_sum,
        other_s: (wall - load_s - compute_sum).max(0.0),
        bytes_read: stats.bytes,
        requests: stats.requests,
        sample_bytes,
        read_latency: stats.latency.to_counts(),
        batch_wait: wait.to_counts(),
        arrays: Some(arrays),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(files: u64, epochs: u64, cap: i64) -> Workload {
        let mut w = Workload::default();
        w.dataset.num_files_train = files;
        w.reader.batch_size = 2;
        w.train.epochs = epochs;
        w.train.total_training_steps = cap;
        w
    }

    #[test]
    fn checkpoints_due_follow_dlio_schedule() {
        let mut w = workload(8, 5, -1);
        w.checkpoint.checkpoint_after_epoch = 5;
        w.checkpoint.epochs_between_checkpoints = 2;
        assert_eq!(checkpoints_due(&w, &[4; 5]), 1, "unet3d: after epoch 5 only");
        w.checkpoint.checkpoint_after_epoch = 1;
        assert_eq!(checkpoints_due(&w, &[4; 5]), 3, "epochs 1, 3, 5");
        w.checkpoint.steps_between_checkpoints = 3;
        assert_eq!(
            checkpoints_due(&w, &[7, 7, 2]),
            4,
            "steps 3 and 6 of the long epochs"
        );
        w.checkpoint.steps_between_checkpoints = 0;
        assert_eq!(checkpoints_due(&w, &[7]), 0, "0 never saves, as in DLIO");
    }

    #[test]
    fn steps_per_epoch_and_the_total_cap() {
        assert_eq!(
            epoch_steps(&workload(8, 3, -1), 2, false).expect("steps"),
            [2, 2, 2]
        );
        assert_eq!(
            epoch_steps(&workload(8, 3, 5), 1, false).expect("steps"),
            [4, 1],
            "run-wide cap"
        );
        assert_eq!(
            epoch_steps(&workload(8, 3, 3), 1, true).expect("steps"),
            [3, 3, 3],
            "DLIO: per epoch"
        );
        assert!(epoch_steps(&workload(8, 3, 13), 1, false).is_err());
        assert!(epoch_steps(&workload(8, 3, 5), 1, true).is_err());
        let e = epoch_steps(&workload(1, 1, -1), 1, false)
            .expect_err("no step")
            .to_string();
        assert!(e.contains("cannot fill one step"), "{e}");
    }
}
