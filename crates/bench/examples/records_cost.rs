//! What the records layer costs: the client CPU per request with a `Recorder` as the store's
//! sink (and with an op-log too) against no sink at all, on the same small objects, and what
//! that is at 10,000 requests per second (the fraction of one core).
//!
//! ```sh
//! cargo run --release -p mlstor-bench --example records_cost -- [requests] [repeats] [uri]
//! ```
//! `uri` defaults to `memory://records-cost` (the cheapest request there is, so the
//! layer's own cost is most visible); `file:///tmp/x` or `s3://bucket/prefix` work too.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use mlstor_bench::host::cpu_seconds;
use mlstor_bench::records::Recorder;
use mlstor_store::{RecordSink, Store, StoreExt, StoreOptions, store_for_uri};

const OBJECTS: usize = 256;

async fn one_run(store: &Arc<dyn Store>, requests: usize) -> (f64, f64) {
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    futures::stream::iter(0..requests)
        .map(|i| {
            let store = store.clone();
            async move { store.get(&format!("o{}", i % OBJECTS)).await.map(|b| b.len()) }
        })
        .buffer_unordered(8)
        .for_each(|r| {
            assert!(r.is_ok_and(|n| n == 4096), "get failed");
            async {}
        })
        .await;
    (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64())
}

fn store(uri: &str, sink: Option<Arc<dyn RecordSink>>) -> Arc<dyn Store> {
    let opts = StoreOptions {
        sink,
        ..StoreOptions::default().with_env()
    };
    store_for_uri(uri, &opts).expect("store")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let requests: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(400_000);
    let repeats: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let uri = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "memory://records-cost".into());
    let plain = store(&uri, None);
    for i in 0..OBJECTS {
        plain
            .put(&format!("o{i}"), Bytes::from(vec![7u8; 4096]))
            .await
            .expect("put");
    }
    let log = std::env::temp_dir().join(format!("records-cost-{}.tsv.zst", std::process::id()));
    let mut cpu = [0.0f64; 3];
    let mut wall = [0.0f64; 3];
    one_run(&plain, requests / 10).await; // warm-up
    for _ in 0..repeats {
        // Alternate the three configurations so drift hits them alike.
        let recorder: Arc<dyn RecordSink> = Arc::new(Recorder::new());
        let logging = Arc::new(Recorder::new().with_log(&log, 0, Instant::now()).expect("op-log"));
        let configs = [
            store(&uri, None),
            store(&uri, Some(recorder)),
            store(&uri, Some(logging.clone() as Arc<dyn RecordSink>)),
        ];
        for (k, s) in configs.iter().enumerate() {
            let (c, w) = one_run(s, requests).await;
            cpu[k] += c;
            wall[k] += w;
        }
        logging.finish().expect("close op-log");
    }
    let _ = std::fs::remove_file(&log);
    let n = (requests * repeats) as f64;
    let us = |k: usize| cpu[k] / n * 1e6;
    println!("{uri}: {requests} gets of 4 KiB x {repeats} repeat(s), 8 in flight");
    println!("{:<22} {:>14} {:>12}", "", "CPU µs/request", "requests/s");
    for (k, name) in ["no records", "records (Recorder)", "records + op-log"]
        .iter()
        .enumerate()
    {
        println!("{name:<22} {:>14.3} {:>12.0}", us(k), n / wall[k]);
    }
    for (k, name) in [(1, "records"), (2, "records + op-log")] {
        let extra = us(k) - us(0);
        println!(
            "{name}: {extra:+.3} µs of CPU per request = {:.2}% of one core at 10,000 requests/s ({:+.1}% of this store's own CPU per request)",
            extra * 1e4 / 1e6 * 100.0,
            extra / us(0) * 100.0
        );
    }
}
