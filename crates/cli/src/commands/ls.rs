//! `mlstor ls URI [--recursive]`

use std::io::Write;

use anyhow::Result;
use clap::Args;
use futures::TryStreamExt;
use mlstor_store::{ListEntry, ListMode, store_and_key};
use serde_json::json;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct LsArgs {
    /// URI of a bucket, container, directory or prefix.
    pub uri: String,
    /// Every object under the prefix, not only the first level.
    #[arg(short, long)]
    pub recursive: bool,
}

pub async fn run(g: &GlobalArgs, a: &LsArgs) -> Result<()> {
    let uri = super::to_uri(&a.uri)?;
    let (store, key) = store_and_key(&uri, &g.store_options(&uri))?;
    let mode = if a.recursive {
        ListMode::Recursive
    } else {
        ListMode::Delimited
    };
    let mut stream = store.list(&key, mode);
    let mut items = Vec::new();
    let mut out = std::io::stdout().lock();
    while let Some(entry) = stream.try_next().await? {
        if g.json {
            items.push(match entry {
                ListEntry::Object(m) => json!({
                    "key": m.key, "size": m.size,
                    "last_modified": m.last_modified.map(|t| t.to_rfc3339()), "etag": m.etag,
                }),
                ListEntry::Prefix(p) => json!({ "prefix": p }),
            });
            continue;
        }
        match entry {
            ListEntry::Object(m) => {
                let when = m.last_modified.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
                writeln!(
                    out,
                    "{:>19} {:>14} {}",
                    when.as_deref().unwrap_or("-"),
                    m.size,
                    m.key
                )?;
            }
            ListEntry::Prefix(p) => writeln!(out, "{:>19} {:>14} {}", "", "PRE", p)?,
        }
    }
    drop(out);
    if g.json {
        super::print_json(&serde_json::Value::Array(items))?;
    }
    Ok(())
}
