//! `mlstor datagen`: generate data with exact dedup/compression ratios into memory (or
//! through a store with `--out`), report GB/s, and optionally the achieved ratios and the
//! machine's memset/memcpy ceiling.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use mlstor_datagen::{DataGen, Params, ratios};
use mlstor_store::{WriterOptions, buffer, store_and_key};
use serde_json::{Value, json};

use crate::GlobalArgs;
use crate::size::{human, parse_size};

#[derive(Args, Debug)]
pub struct DatagenArgs {
    /// Bytes to generate.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    pub size: u64,
    /// Dedup factor D >= 1: storage sees 1/D of the blocks as unique.
    #[arg(long, default_value_t = 1.0)]
    pub dedup: f64,
    /// Compression factor C >= 1: zstd/lz4/gzip reach about C:1.
    #[arg(long, default_value_t = 1.0)]
    pub compress: f64,
    /// Dedup block size (a multiple of 4 KiB).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub block_size: u64,
    #[arg(long, default_value_t = Params::default().seed)]
    pub seed: u64,
    /// Object id: different ids give different data.
    #[arg(long, default_value_t = 0)]
    pub object_id: u64,
    /// Generator threads (exactly this many work on each chunk).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Streaming: the reused buffer each chunk is generated into.
    #[arg(long, default_value = "32MiB", value_parser = parse_size)]
    pub chunk: u64,
    /// Generate the whole size into one fresh buffer instead of streaming chunks.
    #[arg(long)]
    pub oneshot: bool,
    /// Measure the dedup ratio (block hashing) and zstd/lz4/gzip ratios of the data.
    #[arg(long)]
    pub verify_ratios: bool,
    /// Also measure memset and memcpy bandwidth on the same buffer size and threads.
    #[arg(long)]
    pub ceiling: bool,
    /// Write the data to this object URI through the store instead of memory.
    #[arg(long, value_name = "URI")]
    pub out: Option<String>,
}

pub async fn run(g: &GlobalArgs, a: &DatagenArgs) -> Result<()> {
    let params = Params {
        dedup: a.dedup,
        compress: a.compress,
        block_size: usize::try_from(a.block_size).context("--block-size")?,
        seed: a.seed,
    };
    let data = DataGen::new(params)?;
    let size = usize::try_from(a.size).context("--size does not fit in memory")?;
    let chunk = usize::try_from(a.chunk).context("--chunk")?.max(1);
    let threads = a.threads.max(1);
    let cpu0 = mlstor_bench::host::cpu_seconds();
    let t0 = Instant::now();
    let mode = if let Some(uri) = &a.out {
        write_out(g, &data, a, uri, chunk, threads).await?;
        "store"
    } else if a.oneshot {
        let obj = data.try_generate(a.object_id, size, threads)?;
        std::hint::black_box(&obj);
        "oneshot"
    } else {
        stream(&data, a.object_id, size, chunk, threads);
        "stream"
    };
    let seconds = t0.elapsed().as_secs_f64();
    let cpu = mlstor_bench::host::cpu_seconds() - cpu0;
    let gbps = a.size as f64 / 1e9 / seconds;
    let mut out = json!({
        "mode": mode, "size": a.size, "threads": threads, "dedup": a.dedup, "compress": a.compress,
        "block_size": a.block_size, "chunk": a.chunk, "seconds": seconds, "gb_per_s": gbps,
        "gb_per_s_per_thread": gbps / threads as f64, "cpu_seconds": cpu,
    });
    if a.verify_ratios {
        let obj = data.try_generate(a.object_id, size, threads)?;
        let r = ratios::measure(&obj, params.block_size);
        out["ratios"] = json!({
            "dedup": r.dedup, "dedup_4k": ratios::dedup_ratio(&obj, 4096),
            "zstd": r.zstd, "lz4": r.lz4, "gzip": r.gzip,
        });
    }
    if a.ceiling {
        out["ceiling"] = ceiling(chunk.min(size.max(1)), size, threads);
    }
    if g.json {
        return super::print_json(&out);
    }
    println!(
        "{mode}: {} in {seconds:.3} s = {gbps:.2} GB/s ({:.2} GB/s per thread, {threads} thread(s), D={} C={})",
        human(a.size),
        gbps / threads as f64,
        a.dedup,
        a.compress
    );
    if let Some(r) = out.get("ratios") {
        println!(
            "achieved: dedup {:.3} (at {}), {:.3} (at 4 KiB); zstd -1 {:.3}, lz4 {:.3}, gzip -1 {:.3}",
            num(r, "dedup"),
            human(a.block_size),
            num(r, "dedup_4k"),
            num(r, "zstd"),
            num(r, "lz4"),
            num(r, "gzip")
        );
    }
    if let Some(c) = out.get("ceiling") {
        println!(
            "ceiling: memset {:.2} GB/s, memcpy {:.2} GB/s",
            num(c, "memset_gb_per_s"),
            num(c, "memcpy_gb_per_s")
        );
    }
    Ok(())
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

/// Streams `size` bytes through one reused, pre-touched buffer of `chunk` bytes.
fn stream(data: &DataGen, id: u64, size: usize, chunk: usize, threads: usize) {
    let mut buf = vec![1u8; chunk.min(size.max(1))];
    let mut g = data.generator(id, size as u64).with_threads(threads);
    while g.fill_chunk(&mut buf) > 0 {
        std::hint::black_box(&buf);
    }
}

/// Streams the data into an object through the store's multipart writer.
async fn write_out(
    g: &GlobalArgs,
    data: &DataGen,
    a: &DatagenArgs,
    uri: &str,
    chunk: usize,
    threads: usize,
) -> Result<()> {
    let uri = super::to_uri(uri)?;
    let (store, key) = store_and_key(&uri, &g.store_options(&uri))?;
    let mut w = store
        .writer(
            &key,
            WriterOptions {
                part_size: chunk,
                concurrency: 0,
                ..WriterOptions::default()
            },
        )
        .await?;
    let mut source = data.generator(a.object_id, a.size).with_threads(threads);
    while !source.is_complete() {
        let mut buf = buffer::pooled(chunk)?;
        let n = source.fill_chunk(&mut buf.as_mut_slice()[..chunk]);
        buf.set_len(n);
        if let Err(e) = w.write(buf.into_bytes()).await {
            let _ = w.abort().await;
            return Err(e.into());
        }
    }
    w.finish().await?;
    Ok(())
}

/// memset and memcpy bandwidth over `total` bytes through a `chunk`-byte buffer on `threads`
/// threads: the physical ceiling for generating into memory.
fn ceiling(chunk: usize, total: usize, threads: usize) -> Value {
    let per = chunk.div_ceil(threads);
    let rounds = total.div_ceil(chunk).max(1);
    let mut dst = vec![1u8; per * threads];
    let src = vec![2u8; per * threads];
    let gb = (rounds * per * threads) as f64 / 1e9;
    let t = Instant::now();
    for r in 0..rounds {
        std::thread::scope(|s| {
            for d in dst.chunks_mut(per) {
                s.spawn(move || d.fill(r as u8));
            }
        });
    }
    let memset = gb / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..rounds {
        std::thread::scope(|s| {
            for (d, from) in dst.chunks_mut(per).zip(src.chunks(per)) {
                s.spawn(move || d.copy_from_slice(from));
            }
        });
    }
    let memcpy = gb / t.elapsed().as_secs_f64();
    std::hint::black_box(&dst);
    json!({ "memset_gb_per_s": memset, "memcpy_gb_per_s": memcpy, "threads": threads })
}
