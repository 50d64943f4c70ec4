//! `mlstor run WORKLOAD`: executes the workload's `workflow`. Dataset generation
//! (`generate_data`) runs now; training, evaluation and checkpointing are not implemented
//! yet and say so before anything is written, never skipped silently.

use anyhow::{Result, bail};
use clap::Args;

use super::generate::{self, GenerateArgs};
use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub workload: GenerateArgs,
}

pub async fn run(g: &GlobalArgs, a: &RunArgs) -> Result<()> {
    let w = &a.workload;
    let cfg = w.workload.load()?;
    let flow = cfg.workflow;
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
