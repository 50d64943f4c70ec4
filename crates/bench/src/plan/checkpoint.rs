//! Which files each rank writes at a checkpoint and how many bytes each holds: DLIO's
//! `BaseCheckpointing` (branch `mlperf_storage_v2.0`) as pure arithmetic, no I/O.
//!
//! - Ranks are laid out as DLIO does: `tp = rank mod TP`, `pp = (rank / TP) mod PP`,
//!   `mp = rank mod (TP·PP)`, `dp = rank / (TP·PP)`; the data parallelism is `ranks / (TP·PP)`,
//!   or `model.parallelism.data` in `checkpoint.mode: subset` (then only `ranks` of the
//!   `data·TP·PP` ranks of the emulated run exist and write). In `checkpoint.mode: default`
//!   a `model.parallelism.data` (MLPerf Storage v3.0's llama3 files set it; DLIO 3.0.2
//!   refuses it there) is not used: [`super::Plan::warnings`] says so when it differs.
//! - Transformer layers `0..=L+2` (0 = embedding, `L+1` = lm_head, `L+2` = final norm) are split
//!   over the pipeline stages; each layer's tensors are divided by TP (and by DP under ZeRO 3).
//! - ZeRO 1/2: only data-parallel rank 0 writes the model, one file per layer when PP > 1
//!   (`layer_{i}-model_{mp}_model_states`), else `model_{mp}_model_states`. ZeRO 0/3: every
//!   writing rank writes `zero_pp_rank_{dp}_mp_rank_{mp}_model_states`. ZeRO 0: only the first
//!   model-parallel group (ranks `< TP·PP`) writes at all.
//! - The optimizer state is `[n, 5h, n, 5h, n, 5h]` elements in `optimizer_datatype`, with
//!   `n = params / (DP·TP·PP)` (ZeRO > 0) or `params / (TP·PP)`, in
//!   `zero_pp_rank_{dp}_mp_rank_{mp}_optim_states`.
//! - Other models (`model.type` not `transformer`) write `model_states-{rank}` of the model
//!   size in bytes.
//!
//! Where DLIO v2.0 does something other than its YAML says, [`PlanOptions::dlio_compat`]
//! selects DLIO's behaviour (see `docs/dlio-compatibility.md`): `model.model_size` is ignored
//! in favour of `model_size_bytes`, `checkpoint.type` has no effect, and `checkpoint_size_GB`
//! counts what DLIO counts rather than what is written.

use crate::config::schema::{CheckpointMode, CheckpointType, Framework, Workload};

use super::error::PlanError;

/// How to read the workload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Reproduce DLIO v2.0's reading of the YAML instead of doing what it says.
    pub dlio_compat: bool,
}

/// What a checkpoint file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardKind {
    /// The whole model state of a non-transformer model.
    ModelState,
    /// This rank's share of every layer it holds, in one file.
    Model,
    /// One layer (ZeRO 1/2 with pipeline parallelism).
    Layer(u64),
    /// This rank's share of the optimizer state.
    Optimizer,
}

/// One file a rank writes at every checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardFile {
    /// The file name inside the checkpoint's folder, e.g. `zero_pp_rank_0_mp_rank_0_optim_states.pt`.
    pub name: String,
    pub kind: ShardKind,
    pub bytes: u64,
}

/// A rank's place in the emulated 3-D parallel run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankCoords {
    pub tensor: u64,
    pub pipeline: u64,
    pub model: u64,
    pub data: u64,
}

/// The checkpoint layout of a workload at a rank count.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointPlan {
    spec: Spec,
    ranks: u64,
    /// Bytes all ranks write at one checkpoint.
    pub total_bytes: u64,
    /// Files all ranks write at one checkpoint.
    pub total_files: u64,
    /// What DLIO reports as the checkpoint size (its `checkpoint_size_GB`, in bytes).
    pub dlio_size_bytes: u64,
    /// Whether the sizes follow DLIO's reading of the YAML.
    pub dlio_compat: bool,
}

/// The workload's checkpoint parameters, resolved.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    transformer: bool,
    num_layers: i64,
    layer_parameters: Vec<u64>,
    optimization_groups: Vec<u64>,
    model_bytes: u64,
    model_dtype: u64,
    optimizer_dtype: u64,
    tp: u64,
    pp: u64,
    dp: u64,
    zero: u8,
    all_ranks: bool,
    h: u64,
    vocab: u64,
    ffn: u64,
    heads: u64,
    kv_heads: u64,
    ext: &'static str,
}

/// What one rank writes, plus the byte counts DLIO adds up for `checkpoint_size_GB`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct RankShards {
    files: Vec<ShardFile>,
    dlio_model_bytes: u64,
    dlio_optimizer_bytes: u64,
}

/// `a * b`, or an error naming the workload as too large to plan.
fn mul(a: u64, b: u64) -> Result<u64, PlanError> {
    a.checked_mul(b).ok_or_else(too_large)
}

fn add(a: u64, b: u64) -> Result<u64, PlanError> {
    a.checked_add(b).ok_or_else(too_large)
}

fn too_large() -> PlanError {
    PlanError::Checkpoint("the model is too large: its byte counts overflow 64 bits".into())
}

fn invalid(msg: String) -> PlanError {
    PlanError::Checkpoint(msg)
}

impl CheckpointPlan {
    /// Plans `w`'s checkpoints for a run of `ranks` ranks, rejecting what DLIO rejects
    /// (rank counts that do not fit the parallelism) with the keys involved.
    pub fn new(w: &Workload, ranks: usize, opts: PlanOptions) -> Result<CheckpointPlan, PlanError> {
        let spec = Spec::from_workload(w, ranks as u64, opts)?;
        let mut plan = CheckpointPlan {
            spec,
            ranks: ranks as u64,
            total_bytes: 0,
            total_files: 0,
            dlio_size_bytes: 0,
            dlio_compat: opts.dlio_compat,
        };
        let (mut model, mut optimizer) = (0u64, 0u64);
        for rank in 0..plan.ranks {
            let r = plan.spec.rank_shards(rank)?;
            for f in &r.files {
                plan.total_bytes = add(plan.total_bytes, f.bytes)?;
            }
            plan.total_files += r.files.len() as u64;
            model = add(model, r.dlio_model_bytes)?;
            optimizer = add(optimizer, r.dlio_optimizer_bytes)?;
        }
        // DLIO: a non-transformer model counts its model size once, however many ranks write it.
        if !plan.spec.transformer && plan.spec.model_bytes > 0 {
            model = plan.spec.model_bytes;
        }
        plan.dlio_size_bytes = add(model, optimizer)?;
        Ok(plan)
    }

    pub fn ranks(&self) -> usize {
        self.ranks as usize
    }

    /// The data parallelism of the emulated run (derived, or `model.parallelism.data`).
    pub fn data_parallelism(&self) -> u64 {
        self.spec.dp
    }

    /// Where `rank` sits in the tensor/pipeline/data-parallel grid.
    pub fn coords(&self, rank: usize) -> RankCoords {
        self.spec.coords(rank as u64)
    }

    /// The files `rank` writes at every checkpoint, in DLIO's order.
    pub fn rank_files(&self, rank: usize) -> Result<Vec<ShardFile>, PlanError> {
        if rank as u64 >= self.ranks {
            return Err(invalid(format!(
                "rank {rank} is not below the number of ranks {}",
                self.ranks
            )));
        }
        Ok(self.spec.rank_shards(rank as u64)?.files)
    }

    /// The checkpoint size as reported in `checkpoint_size_GB` (GiB, as DLIO divides by
    /// 1024³): the bytes written, or DLIO's count under `dlio_compat`.
    pub fn checkpoint_size_gb(&self) -> f64 {
        let bytes = if self.dlio_compat {
            self.dlio_size_bytes
        } else {
            self.total_bytes
        };
        bytes as f64 / (1u64 << 30) as f64
    }

    /// The number of model parameters by DLIO's formula (0 for non-transformer models).
    pub fn num_parameters(&self) -> u64 {
        self.spec.num_parameters().unwrap_or(0)
    }
}

/// Save or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Save,
    Restore,
}

/// The folder of one checkpoint, as DLIO names it.
pub fn checkpoint_name(epoch: u64, step: u64) -> String {
    format!("global_epoch{epoch}_step{step}")
}

impl Spec {
    fn from_workload(w: &Workload, ranks: u64, opts: PlanOptions) -> Result<Spec, PlanError> {
        let m = &w.model;
        let p = &m.parallelism;
        if ranks == 0 {
            return Err(invalid("a run needs at least one rank".into()));
        }
        if p.tensor == 0 || p.pipeline == 0 {
            return Err(invalid(format!(
                "model.parallelism.tensor ({}) and model.parallelism.pipeline ({}) must be at least 1",
                p.tensor, p.pipeline
            )));
        }
        if p.zero_stage > 3 {
            return Err(invalid(format!(
                "model.parallelism.zero_stage {} is not one of 0, 1, 2, 3",
                p.zero_stage
            )));
        }
        let transformer = m.kind.as_deref() == Some("transformer");
        if m.num_layers > 0 && m.transformer.num_attention_heads == 0 {
            return Err(invalid(
                "model.transformer.num_attention_heads must be at least 1".into(),
            ));
        }
        let mp = mul(p.tensor, p.pipeline)?;
        let dp = match w.checkpoint.mode {
            CheckpointMode::Default => {
                if !ranks.is_multiple_of(mp) {
                    return Err(invalid(format!(
                        "{ranks} rank(s) is not a multiple of the model parallelism model.parallelism.tensor × pipeline = {mp} \
                         (checkpoint.mode: subset with model.parallelism.data emulates part of a larger run)"
                    )));
                }
                ranks / mp
            }
            CheckpointMode::Subset => {
                let dp = u64::try_from(p.data).unwrap_or(0);
                if dp == 0 {
                    return Err(invalid(
                        "checkpoint.mode subset needs model.parallelism.data".into(),
                    ));
                }
                if mul(dp, mp)? < ranks {
                    return Err(invalid(format!(
                        "{ranks} rank(s) exceed the emulated run of model.parallelism.data × tensor × pipeline = {} ranks",
                        dp * mp
                    )));
                }
                dp
            }
        };
        let model_bytes = match (opts.dlio_compat, m.model_size) {
            (false, Some(size)) => size,
            _ => m.model_size_bytes,
        };
        Ok(Spec {
            transformer,
            num_layers: m.num_layers,
            layer_parameters: m.layer_parameters.clone(),
            optimization_groups: m.optimization_groups.clone(),
            model_bytes,
            model_dtype: m.model_datatype.bytes(),
            optimizer_dtype: m.optimizer_datatype.bytes(),
            tp: p.tensor,
            pp: p.pipeline,
            dp,
            zero: p.zero_stage,
            all_ranks: !opts.dlio_compat && w.checkpoint.kind == CheckpointType::AllRanks,
            h: m.transformer.hidden_size,
            vocab: m.transformer.vocab_size,
            ffn: m.transformer.ffn_hidden_size,
            heads: m.transformer.num_attention_heads,
            kv_heads: m.transformer.num_kv_heads,
            ext: match w.framework {
                Framework::Pytorch => "pt",
                Framework::Tensorflow => "pb",
            },
        })
    }

    fn mp(&self) -> u64 {
        self.tp * self.pp
    }

    fn coords(&self, rank: u64) -> RankCoords {
        RankCoords {
            tensor: rank % self.tp,
            pipeline: (rank / self.tp) % self.pp,
            model: rank % self.mp(),
            data: rank / self.mp(),
        }
    }

    /// DLIO's `get_num_parameters`.
    fn num_parameters(&self) -> Result<u64, PlanError> {
        if self.num_layers <= 0 {
            return Ok(0);
        }
        let h = self.h;
        let dkv = mul(h / self.heads, self.kv_heads)?;
        let embedding = mul(self.vocab, h)?;
        let qkv = mul(h, add(h, mul(2, dkv)?)?)?;
        let dense = mul(h, h)?;
        let mlp = mul(mul(self.ffn, 2)?, h)?;
        let mlp_out = mul(self.ffn, h)?;
        let per_layer = [h, qkv, dense, h, mlp, mlp_out].into_iter().try_fold(0, add)?;
        let layers = mul(per_layer, self.num_layers as u64)?;
        [embedding, layers, h, embedding].into_iter().try_fold(0, add)
    }

    /// DLIO's `get_layer_index`: the first and last layer of pipeline stage `stage`, with
    /// Python's floor division (it matters only for the legacy `layer_parameters` form).
    fn layer_range(&self, stage: u64) -> (i64, i64) {
        let (l, pp, stage) = (self.num_layers, self.pp as i64, stage as i64);
        let per = l.div_euclid(pp);
        let rem = l.rem_euclid(pp);
        let (mut start, mut end) = if stage < rem {
            let start = stage * (per + 1) + 1;
            (start, start + per)
        } else {
            let start = rem * (per + 1) + (stage - rem) * per + 1;
            (start, start + per - 1)
        };
        if self.layer_parameters.is_empty() {
            if stage == pp - 1 {
                end = l + 2;
            }
            if stage == 0 {
                start = 0;
            }
        }
        (start, end)
    }

    /// DLIO's `get_layer_parameters` in bytes: the tensors of layer `i` this rank holds.
    fn layer_bytes(&self, i: i64) -> Result<u64, PlanError> {
        let shard = if self.zero < 3 { 1 } else { self.dp };
        let (h, tp) = (self.h, self.tp);
        let dkv = mul(h / self.heads, self.kv_heads)?;
        let l = self.num_layers;
        let elements: Vec<u64> = if i == 0 || i == l + 1 {
            vec![mul(h, self.vocab)? / tp / shard]
        } else if i == l + 2 {
            vec![h / shard]
        } else {
            vec![
                h / shard,
                mul(h, add(h, mul(2, dkv)?)?)? / tp / shard,
                mul(h, h)? / tp / shard,
                h / shard,
                mul(mul(h, 2)?, self.ffn)? / tp / shard,
                mul(h, self.ffn)? / tp / shard,
            ]
        };
        elements
            .into_iter()
            .try_fold(0, |sum, e| add(sum, mul(e, self.model_dtype)?))
    }

    /// DLIO's `__init__` + `save_checkpoint` for one rank.
    fn rank_shards(&self, rank: u64) -> Result<RankShards, PlanError> {
        let c = self.coords(rank);
        let mut out = RankShards::default();
        // ZeRO 0: the data-parallel replicas (ranks past the first model-parallel group) hold
        // copies and, in DLIO, write nothing; `checkpoint.type: all_ranks` makes them write.
        let writes = self.all_ranks || self.zero != 0 || rank < self.mp();
        if !writes {
            return Ok(out);
        }
        let ext = self.ext;
        let (dp, mp) = (c.data, c.model);
        // A non-transformer model's state: every writing rank (rank 0 alone for MLPerf's unet3d).
        if self.model_bytes > 0 && !self.transformer {
            out.files.push(ShardFile {
                name: format!("model_states-{rank}.{ext}"),
                kind: ShardKind::ModelState,
                bytes: self.model_bytes,
            });
        }
        // Layer states.
        let (start, end) = self.layer_range(c.pipeline);
        let layers: Vec<(i64, u64)> = if !self.layer_parameters.is_empty() {
            // The legacy form: the same int8 tensors (`state / TP` bytes) for every layer;
            // DLIO does not count them in its checkpoint size.
            let per: u64 = self.layer_parameters.iter().map(|s| s / self.tp).sum();
            (start..=end).map(|i| (i, per)).collect()
        } else if self.num_layers > 0 && !(self.zero == 1 && dp != 0) {
            let mut v = Vec::new();
            for i in start..=end {
                let b = self.layer_bytes(i)?;
                out.dlio_model_bytes = add(out.dlio_model_bytes, b)?;
                v.push((i, b));
            }
            v
        } else {
            Vec::new()
        };
        if !layers.is_empty() {
            if self.zero == 1 || self.zero == 2 {
                // Only data-parallel rank 0 writes the model (ZeRO 2's other ranks hold it,
                // and DLIO counts it, but never write it).
                if dp == 0 && self.num_layers > 0 {
                    if self.pp > 1 {
                        for (i, b) in layers {
                            out.files.push(ShardFile {
                                name: format!("layer_{i}-model_{mp}_model_states.{ext}"),
                                kind: ShardKind::Layer(i as u64),
                                bytes: b,
                            });
                        }
                    } else {
                        out.files.push(ShardFile {
                            name: format!("model_{mp}_model_states.{ext}"),
                            kind: ShardKind::Model,
                            bytes: layers.iter().map(|l| l.1).sum(),
                        });
                    }
                }
            } else {
                out.files.push(ShardFile {
                    name: format!("zero_pp_rank_{dp}_mp_rank_{mp}_model_states.{ext}"),
                    kind: ShardKind::Model,
                    bytes: layers.iter().map(|l| l.1).sum(),
                });
            }
        }
        // Optimizer state.
        let optimizer_bytes = if !self.optimization_groups.is_empty() {
            // Legacy: {'a', 'b'} int8 tensors per positive group plus their concatenation.
            let sum: u64 = self.optimization_groups.iter().filter(|g| **g > 0).sum();
            Some(mul(sum, 3)?)
        } else if self.num_layers > 0 {
            let shards = if self.zero > 0 {
                mul(self.dp, self.mp())?
            } else {
                self.mp()
            };
            let n = self.num_parameters()? / shards;
            if n > 0 {
                let elements = add(mul(n, 3)?, mul(self.h, 15)?)?;
                let b = mul(elements, self.optimizer_dtype)?;
                out.dlio_optimizer_bytes = b;
                Some(b)
            } else {
                None
            }
        } else {
            None
        };
        if let Some(bytes) = optimizer_bytes {
            out.files.push(ShardFile {
                name: format!("zero_pp_rank_{dp}_mp_rank_{mp}_optim_states.{ext}"),
                kind: ShardKind::Optimizer,
                bytes,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load;

    fn workload(name: &str, overrides: &[&str]) -> Workload {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        load(name, &o, &|_| None).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn plan(w: &Workload, ranks: usize, dlio_compat: bool) -> CheckpointPlan {
        CheckpointPlan::new(w, ranks, PlanOptions { dlio_compat }).expect("plan")
    }

    fn names(p: &CheckpointPlan, rank: usize) -> Vec<(String, u64)> {
        p.rank_files(rank)
            .expect("rank")
            .into_iter()
            .map(|f| (f.name, f.bytes))
            .collect()
    }

    #[test]
    fn plan_names_follow_dlio() {
        assert_eq!(checkpoint_name(1, 3), "global_epoch1_step3");
        let p = plan(&workload("llama3_tiny", &[]), 2, false);
        assert_eq!(
            names(&p, 1).iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
            [
                "zero_pp_rank_1_mp_rank_0_model_states.pt",
                "zero_pp_rank_1_mp_rank_0_optim_states.pt"
            ]
        );
    }

    #[test]
    fn plan_unet3d_model_size_is_honoured_unless_dlio_compat() {
        // MLPerf's unet3d YAML says model.model_size: 499153191; DLIO reads model_size_bytes.
        let w = workload("unet3d_h100", &[]);
        let ours = plan(&w, 2, false);
        assert_eq!(names(&ours, 0), [("model_states-0.pt".to_string(), 499153191)]);
        assert!(names(&ours, 1).is_empty(), "rank_zero: only rank 0 writes");
        assert_eq!(ours.total_bytes, 499153191);
        let dlio = plan(&w, 2, true);
        assert_eq!(names(&dlio, 0), [("model_states-0.pt".to_string(), 10240)]);
        assert_eq!(dlio.dlio_size_bytes, 10240);
        assert_eq!(dlio.checkpoint_size_gb(), 10240.0 / (1u64 << 30) as f64);
    }

    #[test]
    fn plan_all_ranks_makes_replicas_write_unless_dlio_compat() {
        let w = workload("unet3d_h100", &["checkpoint.type=all_ranks"]);
        let ours = plan(&w, 3, false);
        assert_eq!(names(&ours, 2), [("model_states-2.pt".to_string(), 499153191)]);
        assert_eq!(ours.total_bytes, 3 * 499153191);
        assert_eq!(ours.dlio_size_bytes, 499153191, "DLIO counts the model size once");
        assert!(
            names(&plan(&w, 3, true), 2).is_empty(),
            "DLIO v2.0 ignores checkpoint.type"
        );
        // ZeRO 0 transformer: the replicas of the first model-parallel group write too.
        let w = workload(
            "llama3_tiny",
            &["model.parallelism.zero_stage=0", "checkpoint.type=all_ranks"],
        );
        let p = plan(&w, 2, false);
        assert_eq!(names(&p, 1).len(), 2);
        assert!(names(&plan(&w, 2, true), 1).is_empty());
    }

    #[test]
    fn plan_zero2_counts_what_dlio_counts_only_under_dlio_compat() {
        // ZeRO 2, 2 ranks: DP rank 1 holds the model, DLIO counts it but never writes it.
        let w = workload("llama3_tiny", &["model.parallelism.zero_stage=2"]);
        let p = plan(&w, 2, false);
        let model = names(&p, 0)[0].1;
        assert_eq!(names(&p, 0)[0].0, "model_0_model_states.pt");
        assert_eq!(names(&p, 1).len(), 1, "optimizer only");
        assert_eq!(p.dlio_size_bytes, p.total_bytes + model);
        assert_eq!(p.checkpoint_size_gb(), p.total_bytes as f64 / (1u64 << 30) as f64);
        let c = plan(&w, 2, true);
        assert_eq!(
            c.checkpoint_size_gb(),
            c.dlio_size_bytes as f64 / (1u64 << 30) as f64
        );
    }

    #[test]
    fn plan_refuses_rank_counts_dlio_refuses() {
        let w = workload("llama3_70b", &[]);
        let e = CheckpointPlan::new(&w, 12, PlanOptions::default()).expect_err("not a multiple of TP");
        assert!(e.to_string().contains("multiple of the model parallelism"), "{e}");
        let w = workload(
            "llama3_70b",
            &["checkpoint.mode=subset", "model.parallelism.data=1"],
        );
        let e = CheckpointPlan::new(&w, 16, PlanOptions::default()).expect_err("past the emulated run");
        assert!(e.to_string().contains("exceed"), "{e}");
        assert!(CheckpointPlan::new(&w, 0, PlanOptions::default()).is_err());
        let w = workload("llama3_tiny", &["model.parallelism.tensor=0"]);
        assert!(CheckpointPlan::new(&w, 1, PlanOptions::default()).is_err());
        let w = workload(
            "llama3_tiny",
            &["model.transformer.hidden_size=18446744073709551615"],
        );
        let e = CheckpointPlan::new(&w, 1, PlanOptions::default()).expect_err("overflow");
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn plan_legacy_groups_and_layer_parameters() {
        // DLIO's older form: int8 tensors of `state / TP` per layer, and {a, b} + combined
        // int8 tensors per optimizer group; DLIO leaves both out of its checkpoint size.
        let w = workload(
            "llama3_tiny",
            &[
                "model.layer_parameters=[1024, 2048]",
                "model.optimization_groups=[100, 0, 50]",
                "model.parallelism.zero_stage=0",
            ],
        );
        let p = plan(&w, 1, false);
        let f = names(&p, 0);
        // layers 1..=2 (no embedding/lm_head in the legacy form), each 3072 bytes
        assert_eq!(
            f[0],
            ("zero_pp_rank_0_mp_rank_0_model_states.pt".into(), 2 * 3072)
        );
        assert_eq!(f[1], ("zero_pp_rank_0_mp_rank_0_optim_states.pt".into(), 3 * 150));
        assert_eq!(p.dlio_size_bytes, 0);
    }
}
