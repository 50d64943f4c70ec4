//! The training emulation of one rank, DLIO's `_train` and `_eval` loops: per step, wait
//! for the loader's next batch, emulate the accelerator's compute (the loader keeps
//! prefetching meanwhile), then meet the other ranks at a barrier (DLIO's simulated
//! all-reduce). Timings feed DLIO's AU and throughput formulas ([`crate::metrics::au`]);
//! storage requests and batch waits feed latency histograms.

use std::sync::Arc;
use std::time::Instant;

use mlstor_datagen::{DataGen, Params};
use mlstor_store::Store;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::checkpoint::{CheckpointError, Checkpointer, Control};
use super::compute::TimeModel;
use super::loader::dataset::SplitFiles;
use super::loader::read::{Residency, SampleReader};
use super::loader::{EpochLoader, Loader, LoaderError, LoaderSettings};
use crate::config::schema::ReadType;
use crate::host::{HostInfo, cpu_seconds, proc_dict, timestamp};
use crate::metrics::au::{Formula, StepTimes, block_metrics, eval_metrics};
use crate::metrics::latency::Latency;
use crate::plan::files::Split;
use crate::plan::memory::prefetch_factor;
use crate::plan::order::{OrderError, OrderSpec, Sampler};
use crate::plan::{Plan, TrainPlan};
use crate::ranks::{Ranks, RanksError};
use crate::records::checkpoint::TimedCheckpoint;
use crate::records::train::{EpochReport, PhaseReport, RankReport, StepArrays};
use crate::records::{EndpointReport, Recorder, Tag};

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
    pub plan: &'a Plan,
    pub ranks: &'a Ranks,
    /// The store rooted at the data folder (reporting to `recorder`).
    pub store: Arc<dyn Store>,
    pub handle: Handle,
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
    /// Where the stores' request records are aggregated.
    pub recorder: Arc<Recorder>,
    /// The endpoints to report per rank (a multi-endpoint dataset's), else none.
    pub report_endpoints: bool,
}

impl TrainSetup<'_> {
    fn train_plan(&self) -> Result<&TrainPlan, TrainError> {
        self.plan
            .train
            .as_ref()
            .ok_or_else(|| TrainError::Plan("the plan has no training".into()))
    }

    fn order(&self, split: Split) -> Result<OrderSpec, TrainError> {
        self.plan
            .order_spec(split, self.ranks.rank(), self.random_seed)
            .ok_or_else(|| TrainError::Plan("the plan has no training".into()))
    }
}

fn loader_for(s: &TrainSetup, split: Split, sampler: Sampler) -> Result<Loader, TrainError> {
    let w = &s.plan.workload;
    let files = s
        .handle
        .block_on(SplitFiles::open(s.store.as_ref(), s.plan, split, s.ranks.rank()))?;
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
    let reader = SampleReader::new(
        s.store.clone(),
        Arc::new(files),
        w,
        residency,
        verify,
        s.plan.dlio_compat,
    );
    let seed = (w.train.seed as u32) ^ ((s.ranks.rank() as u32) << 16);
    let settings = LoaderSettings {
        read_threads: w.reader.read_threads,
        prefetch: prefetch_factor(w.reader.prefetch_size, w.reader.read_threads),
        preprocess: Some((
            w.reader.preprocess_time,
            w.reader.preprocess_time_stdev,
            seed ^ 0x9e37,
        )),
    };
    Ok(Loader::new(reader, settings, s.handle.clone()))
}

/// Runs the plan's training (and evaluation) epochs on this rank.
pub fn train(s: &TrainSetup) -> Result<RankReport, TrainError> {
    let w = &s.plan.workload;
    let t = s.train_plan()?;
    let sampler = t.sampler;
    let mut train_loader = loader_for(s, Split::Train, sampler)?;
    let mut eval_loader = if t.eval_steps > 0 {
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
    let train_spec = s.order(Split::Train)?;
    let eval_spec = s.order(Split::Valid)?;
    let mut epochs = Vec::with_capacity(t.epochs.len());
    let epoch_count = t.epochs.len() as u64;
    for ep in &t.epochs {
        let (epoch, n) = (ep.epoch, ep.steps);
        s.ranks.barrier()?;
        let start = timestamp();
        let t0 = Instant::now();
        let jobs = train_spec
            .epoch_batches(epoch, n)?
            .into_iter()
            .enumerate()
            .map(|(k, b)| {
                let block = ep.block_of(k as u64) as u64 + 1;
                (Tag::Train { epoch, block }, b)
            })
            .collect();
        (s.on_progress)(Progress::Start {
            epoch,
            epochs: epoch_count,
            phase: Phase::Train,
            steps: n,
        });
        let mut loader = train_loader.epoch(jobs);
        let mut blocks = Vec::new();
        let mut checkpoints = Vec::new();
        let mut done = 0;
        for b in &ep.blocks {
            let shape = PhaseShape {
                epoch,
                first_step: done,
                steps: b.end - done,
                planned: t.steps_per_epoch as usize,
                batch: w.reader.batch_size,
                eval: false,
                tag: Tag::Train {
                    epoch,
                    block: blocks.len() as u64 + 1,
                },
            };
            blocks.push(run_steps(s, &mut loader, shape, &mut compute)?);
            done = b.end;
            if b.checkpoint {
                checkpoints.push(save_checkpoint(s, epoch, done, blocks.len() as u64)?);
            }
        }
        loader.finish();
        (s.on_progress)(Progress::End);
        s.ranks.barrier()?;
        if ep.checkpoint_after {
            checkpoints.push(save_checkpoint(s, epoch, n, blocks.len() as u64)?);
        }
        let eval = match eval_loader.as_mut() {
            Some(l) if ep.eval => {
                (s.on_progress)(Progress::Start {
                    epoch,
                    epochs: epoch_count,
                    phase: Phase::Eval,
                    steps: t.eval_steps,
                });
                let tag = Tag::Eval { epoch };
                let jobs = eval_spec
                    .epoch_batches(epoch, t.eval_steps)?
                    .into_iter()
                    .map(|b| (tag, b))
                    .collect();
                let mut loader = l.epoch(jobs);
                let shape = PhaseShape {
                    epoch,
                    first_step: 0,
                    steps: t.eval_steps,
                    planned: t.eval_steps as usize,
                    batch: w.reader.batch_size_eval,
                    eval: true,
                    tag,
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
            host_meminfo: proc_dict("/proc/meminfo"),
        });
    }
    let endpoints: Vec<EndpointReport> = if s.report_endpoints {
        s.recorder.endpoints()
    } else {
        Vec::new()
    };
    Ok(RankReport {
        rank: s.ranks.rank(),
        host: HostInfo::current(),
        epochs,
        cpu_s: cpu_seconds(),
        endpoints,
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
    /// The records of this phase's requests.
    tag: Tag,
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
    let w = &s.plan.workload;
    let start = timestamp();
    let t_start = Instant::now();
    let mut arrays = StepArrays::default();
    let mut wait = Latency::new();
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
    // Every batch of the phase has been taken, so every request that read it is recorded.
    let stats = s.recorder.take(shape.tag).reads();
    let times: Vec<StepTimes> = arrays
        .proc
        .iter()
        .zip(&arrays.compute)
        .map(|(&proc, &compute)| StepTimes { proc, compute })
        .collect();
    let m = &w.output.metric;
    let (ex_start, ex_end) = (m.exclude_start_steps as usize, m.exclude_end_steps as usize);
    let metrics = if shape.eval {
        eval_metrics(&times, shape.planned, wall, shape.batch, (ex_start, ex_end))
    } else {
        let formula = if s.plan.dlio_compat {
            Formula::DlioV2
        } else {
            Formula::Dlio302
        };
        block_metrics(
            &times,
            shape.planned,
            wall,
            shape.batch,
            (ex_start, ex_end),
            formula,
        )
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
