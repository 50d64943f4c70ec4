//! `mlstor cp SRC DST [--recursive]`: objects are streamed in part-size pieces, so memory
//! stays bounded whatever the object size, and a failed copy leaves no partial object.

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use futures::{StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use mlstor_store::{Store, StoreExt, WriterOptions, store_and_key, store_for_uri};
use serde_json::json;

use crate::GlobalArgs;
use crate::progress;

#[derive(Args, Debug)]
pub struct CpArgs {
    /// Source: local path or URI.
    pub src: String,
    /// Destination: local path or URI (a trailing `/` or an existing directory keeps the name).
    pub dst: String,
    /// Copy every object under the source prefix.
    #[arg(short, long)]
    pub recursive: bool,
    /// Objects copied in parallel with --recursive.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

pub async fn run(g: &GlobalArgs, a: &CpArgs) -> Result<()> {
    let (src_uri, mut dst_uri) = (super::to_uri(&a.src)?, super::to_uri(&a.dst)?);
    let part = g.store_options(&dst_uri).part_size;
    let started = std::time::Instant::now();
    // Ctrl-C / SIGTERM: each copy stops at its next part and aborts its upload (no temporary
    // file, no unfinished multipart upload), and the command exits 128 + the signal.
    crate::signals::on_interrupt(|| {});
    let (count, bytes) = if a.recursive {
        let src = store_for_uri(src_uri.trim_end_matches('/'), &g.store_options(&src_uri))?;
        let dst = store_for_uri(dst_uri.trim_end_matches('/'), &g.store_options(&dst_uri))?;
        let objects: Vec<(String, u64)> = src
            .list_objects("")
            .await?
            .into_iter()
            .map(|m| (m.key, m.size))
            .collect();
        let total: u64 = objects.iter().map(|o| o.1).sum();
        let bar = progress::bytes_bar(total, g.json);
        let n = objects.len() as u64;
        futures::stream::iter(objects)
            .map(|(key, size)| {
                let (src, dst, bar) = (src.clone(), dst.clone(), bar.clone());
                async move { copy_object(&src, &key, &dst, &key, size, part, &bar).await }
            })
            .buffer_unordered(a.concurrency.max(1))
            .try_collect::<Vec<_>>()
            .await?;
        bar.finish_and_clear();
        (n, total)
    } else {
        let (src, skey) = store_and_key(&src_uri, &g.store_options(&src_uri))?;
        let size = src.head(&skey).await?.size;
        let local_dir = dst_uri
            .strip_prefix("file://")
            .is_some_and(|p| std::path::Path::new(p).is_dir());
        if dst_uri.ends_with('/') || local_dir {
            let name = skey.rsplit('/').next().unwrap_or(&skey);
            dst_uri = format!("{}/{name}", dst_uri.trim_end_matches('/'));
        }
        let (dst, dkey) = store_and_key(&dst_uri, &g.store_options(&dst_uri))?;
        let bar = progress::bytes_bar(size, g.json);
        copy_object(&src, &skey, &dst, &dkey, size, part, &bar).await?;
        bar.finish_and_clear();
        (1, size)
    };
    let secs = started.elapsed().as_secs_f64();
    if g.json {
        return super::print_json(&json!({
            "src": src_uri, "dst": dst_uri, "objects": count, "bytes": bytes, "seconds": secs,
        }));
    }
    eprintln!(
        "copied {count} object(s), {} in {secs:.2} s to {dst_uri}",
        crate::size::human(bytes)
    );
    Ok(())
}

/// Copies one object: a single get+put when it fits in one part, else ranged reads into a
/// streaming writer (which is aborted, leaving nothing, if anything fails).
async fn copy_object(
    src: &Arc<dyn Store>,
    skey: &str,
    dst: &Arc<dyn Store>,
    dkey: &str,
    size: u64,
    part: usize,
    bar: &ProgressBar,
) -> Result<()> {
    let ctx = || format!("copying {} to {}", join(src.root(), skey), join(dst.root(), dkey));
    if crate::signals::interrupted() {
        anyhow::bail!("{}: cancelled before it started", ctx());
    }
    if size <= part as u64 {
        let data = src.get(skey).await.with_context(ctx)?;
        bar.inc(data.len() as u64);
        dst.put(dkey, data).await.with_context(ctx)?;
        return Ok(());
    }
    let mut w = dst
        .writer(
            dkey,
            WriterOptions {
                part_size: part,
                concurrency: 0,
                ..WriterOptions::default()
            },
        )
        .await
        .with_context(ctx)?;
    let mut off = 0;
    while off < size {
        if crate::signals::interrupted() {
            let _ = w.abort().await;
            anyhow::bail!("{}: cancelled; nothing was left at the destination", ctx());
        }
        let piece = match src.get_range(skey, off, part as u64).await {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => {
                let _ = w.abort().await;
                anyhow::bail!("{}: source shrank during the copy", ctx())
            }
            Err(e) => {
                let _ = w.abort().await;
                return Err(e).with_context(ctx);
            }
        };
        off += piece.len() as u64;
        bar.inc(piece.len() as u64);
        if let Err(e) = w.write(piece).await {
            let _ = w.abort().await;
            return Err(e).with_context(ctx);
        }
    }
    w.finish().await.with_context(ctx)?;
    Ok(())
}

fn join(root: &str, key: &str) -> String {
    mlstor_store::path::join(root, key)
}
