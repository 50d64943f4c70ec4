//! `mlstor rm URI [--recursive]`

use anyhow::{Result, bail};
use clap::Args;
use mlstor_store::{StoreExt, store_and_key};
use serde_json::json;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Object URI, or a prefix with --recursive.
    pub uri: String,
    /// Delete every object under the prefix (treated as a directory: `dir` means `dir/`).
    #[arg(short, long)]
    pub recursive: bool,
    /// Deletes in flight with --recursive.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

pub async fn run(g: &GlobalArgs, a: &RmArgs) -> Result<()> {
    let uri = super::to_uri(&a.uri)?;
    let (store, key) = store_and_key(&uri, &g.store_options(&uri))?;
    let deleted = if a.recursive {
        let prefix = if key.is_empty() || key.ends_with('/') {
            key.clone()
        } else {
            format!("{key}/")
        };
        store.delete_prefix(&prefix, a.concurrency).await?
    } else {
        if key.is_empty() || key.ends_with('/') {
            bail!("{uri} names a prefix, not an object: use --recursive to delete everything under it");
        }
        // Deleting is idempotent in the store; the command says when nothing was there.
        store.head(&key).await?;
        store.delete(&key).await?;
        1
    };
    if g.json {
        super::print_json(&json!({ "uri": uri, "deleted": deleted }))
    } else {
        eprintln!("deleted {deleted} object(s) under {uri}");
        Ok(())
    }
}
