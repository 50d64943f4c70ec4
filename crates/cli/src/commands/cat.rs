//! `mlstor cat URI`: streams an object to stdout in ranged pieces (no whole-object buffer).

use std::io::Write;

use anyhow::Result;
use clap::Args;
use mlstor_store::{StoreExt, store_and_key};

use crate::GlobalArgs;

/// Bytes fetched per request.
const PIECE: u64 = 8 << 20;

#[derive(Args, Debug)]
pub struct CatArgs {
    /// Object URI or local path.
    pub uri: String,
}

pub async fn run(g: &GlobalArgs, a: &CatArgs) -> Result<()> {
    let uri = super::to_uri(&a.uri)?;
    let (store, key) = store_and_key(&uri, &g.store_options(&uri))?;
    let size = store.head(&key).await?.size;
    let mut out = std::io::stdout().lock();
    let mut off = 0;
    while off < size {
        let piece = store.get_range(&key, off, PIECE).await?;
        if piece.is_empty() {
            anyhow::bail!("{uri} shrank while being read (expected {size} bytes, got {off})");
        }
        out.write_all(&piece)?;
        off += piece.len() as u64;
    }
    out.flush()?;
    Ok(())
}
