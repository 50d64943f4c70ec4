//! `mlstor config WORKLOAD [--set key=value]... [++workload.key=value]...`: the fully
//! resolved workload (DLIO defaults filled in, `${VAR}` substituted, secrets masked).

use anyhow::Result;
use clap::Args;
use mlstor_bench::config;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub workload: super::WorkloadArgs,
}

pub async fn run(g: &GlobalArgs, a: &ConfigArgs) -> Result<()> {
    let w = a.workload.load()?;
    if g.json {
        let mut v = serde_json::to_value(&w)?;
        mask(&mut v);
        return super::print_json(&v);
    }
    print!("{}", config::resolved_yaml(&w));
    Ok(())
}

/// JSON twin of `config::mask_secrets`.
fn mask(v: &mut serde_json::Value) {
    let yaml: serde_yaml_ng::Value = serde_json::from_value(v.clone()).unwrap_or(serde_yaml_ng::Value::Null);
    let mut yaml = yaml;
    config::mask_secrets(&mut yaml);
    if let Ok(masked) = serde_json::to_value(&yaml) {
        *v = masked;
    }
}
