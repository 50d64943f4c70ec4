//! `mlstor stat URI`

use anyhow::Result;
use clap::Args;
use mlstor_store::store_and_key;
use serde_json::json;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct StatArgs {
    /// Object URI or local path.
    pub uri: String,
}

pub async fn run(g: &GlobalArgs, a: &StatArgs) -> Result<()> {
    let uri = super::to_uri(&a.uri)?;
    let (store, key) = store_and_key(&uri, &g.store_options(&uri))?;
    let m = store.head(&key).await?;
    let modified = m.last_modified.map(|t| t.to_rfc3339());
    if g.json {
        return super::print_json(&json!({
            "uri": uri, "size": m.size, "last_modified": modified, "etag": m.etag,
        }));
    }
    println!("uri:           {uri}");
    println!("size:          {} ({})", m.size, crate::size::human(m.size));
    println!("last-modified: {}", modified.as_deref().unwrap_or("-"));
    println!("etag:          {}", m.etag.as_deref().unwrap_or("-"));
    Ok(())
}
