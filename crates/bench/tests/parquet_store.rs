//! The parquet crate's async reader over the Store (`StoreReader`): a file put on every
//! scheme the tests have (memory://, file://, and the S3, Azure and GCS test servers) reads
//! back through `ParquetRecordBatchStreamBuilder` with the values written; a missing object
//! and a damaged footer are the store's and the format's errors.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use mlstor_bench::execute::parquet::{ReadError, StoreReader};
use mlstor_formats::parquet::{Codec, ColumnSpec, Encoder, check_column};
use mlstor_store::conformance::{server_store, unique};
use mlstor_store::{Store, StoreExt, StoreOptions, store_for_uri};
use parquet::arrow::ParquetRecordBatchStreamBuilder;

fn columns() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new("x", "float32", 8),
        ColumnSpec::new("h", "float16", 3),
        ColumnSpec::new("id", "int64", 1),
    ]
}

fn input(c: &ColumnSpec, rows: usize, g: usize) -> Vec<u8> {
    (0..rows * c.input_bytes())
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(g as u8))
        .collect()
}

/// A file of 3 row groups of 5 rows; returns it and each group's input per column.
fn file() -> (Bytes, Vec<Vec<Vec<u8>>>) {
    let cols = columns();
    let mut e = Encoder::new(Vec::new(), &cols, Codec::Zstd).expect("encoder");
    let mut inputs = Vec::new();
    for g in 0..3 {
        let raw: Vec<Vec<u8>> = cols.iter().map(|c| input(c, 5, g)).collect();
        let refs: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
        e.write_row_group(5, &refs).expect("row group");
        inputs.push(raw);
    }
    (Bytes::from(e.finish().expect("finish")), inputs)
}

async fn reads_back(store: Arc<dyn Store>) {
    let prefix = unique("parquet-store");
    let key = format!("{prefix}f.parquet");
    let (bytes, inputs) = file();
    store.put(&key, bytes.clone()).await.expect("put");

    let reader = StoreReader::new(store.clone(), key.clone(), bytes.len() as u64);
    let batches: Vec<_> = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .expect("metadata through the store")
        .with_batch_size(5)
        .build()
        .expect("stream")
        .try_collect()
        .await
        .expect("row groups through the store");
    assert_eq!(batches.len(), 3, "{}", store.root());
    for (b, input) in batches.iter().zip(&inputs) {
        for (i, c) in columns().iter().enumerate() {
            check_column(c, b.column(i).as_ref(), &input[i]).expect("the values written");
        }
    }

    // Missing: the store's own error, named.
    let gone = StoreReader::new(store.clone(), format!("{prefix}missing.parquet"), 100);
    match gone.footer().await {
        Err(ReadError::Store(mlstor_store::Error::NotFound { .. })) => {}
        other => panic!("{}: want NotFound, got {:?}", store.root(), other.map(|_| ())),
    }
    // Damaged: a file cut short has no footer magic.
    let cut = format!("{prefix}cut.parquet");
    store
        .put(&cut, bytes.slice(..bytes.len() - 3))
        .await
        .expect("put");
    let damaged = StoreReader::new(store.clone(), cut, bytes.len() as u64 - 3);
    let e = damaged.footer().await.map(|_| ()).expect_err("damaged");
    assert!(matches!(e, ReadError::Format(_)), "{e}");

    store.delete_prefix(&prefix, 4).await.expect("cleanup");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn parquet_through_memory_and_file_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime();
    for uri in [
        "memory://parquet".to_string(),
        format!("file://{}", dir.path().display()),
    ] {
        let store = rt.block_on(async { store_for_uri(&uri, &StoreOptions::default()).expect("store") });
        rt.block_on(reads_back(store));
    }
}

#[test]
fn parquet_through_the_object_store_servers() {
    let rt = runtime();
    for scheme in ["s3", "az", "gs"] {
        let Some(store) = rt.block_on(async { server_store(scheme) }) else {
            continue;
        };
        rt.block_on(reads_back(store));
    }
}
