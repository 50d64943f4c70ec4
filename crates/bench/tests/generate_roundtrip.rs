//! Every format: generate a tiny dataset into a store, read every sample of every file back
//! by index with the format's reader, and compare size and content with what the generator
//! defines (JPEG, being lossy, by size).
use std::sync::Arc;

use mlstor_bench::config::{load, schema::Format};
use mlstor_bench::execute::generate::{generate, verify_sample};
use mlstor_bench::plan::files::{Split, dataset_files, file_codec, stored_name};
use mlstor_bench::plan::samples::dims;
use mlstor_datagen::{DataGen, Params};
use mlstor_formats::{csv, image, indexed_binary, npy, npz, tfrecord};
use mlstor_store::{Store, StoreExt, StoreOptions, store_for_uri};

/// (format, compression) pairs to cover.
fn formats() -> Vec<(&'static str, &'static str)> {
    let mut f = vec![
        ("npz", "none"),
        ("npz", "zip"),
        ("npy", "none"),
        ("tfrecord", "none"),
        ("csv", "none"),
        ("csv", "gzip"),
        ("csv", "bz2"),
        ("csv", "zip"),
        ("csv", "xz"),
        ("indexed_binary", "none"),
        ("mmap_indexed_binary", "none"),
        ("png", "none"),
        ("jpeg", "none"),
    ];
    if cfg!(feature = "hdf5") {
        f.extend([("hdf5", "none"), ("hdf5", "gzip"), ("hdf5", "lzf")]);
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_of_every_format_reads_back() {
    for (fmt, compression) in formats() {
        let overrides: Vec<String> = [
            format!("dataset.format={fmt}"),
            format!("dataset.compression={compression}"),
            "dataset.num_files_train=3".into(),
            "dataset.num_files_eval=1".into(),
            "dataset.num_samples_per_file=4".into(),
            "dataset.record_length_bytes=10000".into(),
            "dataset.record_length_bytes_stdev=3000".into(),
            "framework=tensorflow".into(),
            "reader.data_loader=tensorflow".into(),
        ]
        .into();
        let w = load("unet3d_tiny", &overrides, &|_| None).unwrap_or_else(|e| panic!("{fmt}: {e}"));
        let store: Arc<dyn Store> = store_for_uri(
            &format!("memory://roundtrip-{fmt}-{compression}"),
            &StoreOptions::default(),
        )
        .expect("store");
        let report = generate(&w, store.clone(), 0, 1, 3, &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{fmt}: {e}"));
        assert_eq!(report.files, 4, "{fmt}");
        let data = DataGen::new(Params {
            seed: w.train.seed,
            ..Params::default()
        })
        .expect("datagen");
        let format = w.dataset.format;
        let files: Vec<(Split, String)> = [Split::Train, Split::Valid]
            .into_iter()
            .flat_map(|s| dataset_files(&w.dataset, s).into_iter().map(move |f| (s, f)))
            .collect();
        for (i, (split, key)) in files.iter().enumerate() {
            let (d1, d2) = dims(&w.dataset, w.train.seed, i as u64);
            let images = matches!(format, Format::Png | Format::Jpeg);
            let n = if images { 1 } else { 4u64 };
            let sample_len = (d1 * d2) as usize;
            let raw = data.generate(i as u64, sample_len * n as usize, 1);
            let stored = stored_name(&w.dataset, key);
            let file = store
                .get(&stored)
                .await
                .unwrap_or_else(|e| panic!("{fmt} {stored}: {e}"));
            let file = match file_codec(&w.dataset) {
                Some(codec) => bytes::Bytes::from(codec.decompress(&file, 1 << 30).expect("decompress")),
                None => file,
            };
            if compression != "none" && matches!(format, Format::Csv) {
                assert!(
                    stored.ends_with(&format!(
                        ".{}",
                        if compression == "gzip" { "gz" } else { compression }
                    )),
                    "{stored}"
                );
            }
            for s in 0..n {
                let contiguous = raw[s as usize * sample_len..(s as usize + 1) * sample_len].to_vec();
                let strided: Vec<u8> = (0..sample_len)
                    .map(|j| raw[j * n as usize + s as usize])
                    .collect();
                let (got, want) = match format {
                    Format::Npz => (npz::sample_u8(&file, s).expect("npz"), strided),
                    Format::Npy => (npy::sample_u8(&file, s).expect("npy"), strided),
                    Format::Tfrecord => {
                        let name = key.rsplit('/').next().expect("name");
                        let idx = store
                            .get(&format!("index/{}/{name}.idx", split.folder()))
                            .await
                            .expect("idx");
                        let idx =
                            tfrecord::parse_index(std::str::from_utf8(&idx).expect("utf8")).expect("index");
                        let (off, size) = idx[s as usize];
                        let rec = store.get_range(key, off, size).await.expect("ranged read");
                        let payload = tfrecord::decode_record(&rec).expect("record");
                        (
                            tfrecord::feature_bytes(payload, "image").expect("image").to_vec(),
                            contiguous,
                        )
                    }
                    Format::Csv => (csv::sample(&file, s).expect("csv"), contiguous),
                    Format::IndexedBinary | Format::MmapIndexedBinary => {
                        let off = store.get(&format!("{key}.off.idx")).await.expect("off");
                        let sz = store.get(&format!("{key}.sz.idx")).await.expect("sz");
                        let (o, len) = indexed_binary::locate(&off, &sz, s).expect("locate");
                        (
                            store.get_range(key, o, len).await.expect("ranged read").to_vec(),
                            contiguous,
                        )
                    }
                    Format::Png => (image::decode_png(&file).expect("png"), contiguous),
                    Format::Jpeg => {
                        let px = image::decode_jpeg(&file).expect("jpeg");
                        assert_eq!(px.len(), sample_len, "jpeg {key}");
                        continue;
                    }
                    #[cfg(feature = "hdf5")]
                    Format::Hdf5 => (mlstor_formats::hdf5::sample(&file, s).expect("hdf5"), contiguous),
                    other => panic!("untested format {other:?}"),
                };
                assert_eq!(got.len(), sample_len, "{fmt} {key} sample {s}");
                assert!(got == want, "{fmt} {key} sample {s}: content differs");
                // The loader's --verify agrees, and catches one flipped byte.
                verify_sample(&w, &data, i as u64, s, &got)
                    .unwrap_or_else(|e| panic!("{fmt} {key} {s}: {e}"));
                let mut bad = got.clone();
                bad[sample_len / 2] ^= 1;
                assert!(
                    verify_sample(&w, &data, i as u64, s, &bad).is_err(),
                    "{fmt}: flip caught"
                );
            }
        }
    }
}
