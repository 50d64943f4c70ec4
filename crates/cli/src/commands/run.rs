//! `mlstor run WORKLOAD`: executes the workload's `workflow`. Dataset generation
//! (`generate_data`) and checkpoint-only workflows (`checkpoint` without `train`, in
//! [`super::checkpoint`]) run now; training and evaluation are not implemented yet and say so
//! before anything is written, never skipped silently.

use anyhow::{Result, bail};
use clap::Args;

use super::generate::{self, GenerateArgs};
use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub workload: GenerateArgs,
    #[command(flatten)]
    pub checkpoint: super::checkpoint::CheckpointArgs,
    /// Reproduce DLIO v2.0's behaviour where it differs from what the YAML says
    /// (docs/dlio-compatibility.md).
    #[arg(long)]
    pub dlio_compat: bool,
}

pub async fn run(g: &GlobalArgs, a: &RunArgs) -> Result<()> {
    let w = &a.workload;
    let cfg = w.workload.load()?;
    let flow = cfg.workflow;
    if flow.checkpoint && !flow.train && !flow.evaluation {
        // DLIO's checkpoint-only workflow (after generating the dataset, when asked to).
        if flow.generate_data {
            super::checkpoint::check(&cfg, a.dlio_compat)?; // before any data is written
            generate::run(g, w).await?;
        }
        let name = &w.workload.workload;
        return super::checkpoint::run(g, name, &cfg, &a.checkpoint, a.dlio_compat).await;
    }
    let pending: Vec<&str> = [
        (flow.train, "train"),
        (flow.evaluation, "evaluation"),
        (flow.checkpoint, "checkpoint"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !pending.is_empty() {
        bail!(
            "{}: workflow {} is not supported yet (training and checkpoint emulation are still to come); \
             `mlstor generate {}` writes the dataset",
            w.workload.workload,
            pending.join(", "),
            w.workload.workload
        );
    }
    if !flow.generate_data {
        bail!(
            "{}: the workflow has nothing to do (generate_data, train, evaluation and checkpoint are all off)",
            w.workload.workload
        );
    }
    generate::run(g, w).await
}
