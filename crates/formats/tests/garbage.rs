//! Untrusted bytes: random input and randomly damaged valid files must give errors (or
//! other bytes), never a panic, from every decoder.
use mlstor_formats::parquet::{self, Codec, ColumnSpec, Encoder};
use mlstor_formats::{csv, image, indexed_binary, npy, npz, tfrecord};
use proptest::prelude::*;

fn valid_files() -> Vec<Vec<u8>> {
    let px: Vec<u8> = (0..32 * 24).map(|i| (i * 13 % 256) as u8).collect();
    let mut tf = Vec::new();
    for s in px.chunks(200) {
        tfrecord::write_record(&mut tf, &tfrecord::example(s, 16));
    }
    vec![
        npy::encode_u8(&[8, 8, 3], &px[..192]),
        npz::encode(&[8, 8, 3], &px[..192], false).expect("npz"),
        npz::encode(&[8, 8, 3], &px[..192], true).expect("npz"),
        tf,
        csv::encode(px.chunks(64), 64),
        image::encode_png(32, 24, &px).expect("png"),
        image::encode_jpeg(32, 24, &px).expect("jpeg"),
        parquet_file(&px),
    ]
}

fn parquet_file(px: &[u8]) -> Vec<u8> {
    let cols = [
        ColumnSpec::new("a", "float32", 4),
        ColumnSpec::new("b", "int8", 1),
    ];
    let mut e = Encoder::new(Vec::new(), &cols, Codec::Snappy).expect("encoder");
    for g in 0..3 {
        let a = &px[g * 64..g * 64 + 64];
        let b = &px[200 + g * 4..204 + g * 4];
        e.write_row_group(4, &[a, b]).expect("row group");
    }
    e.finish().expect("finish")
}

/// A parquet file's footer and every row group decoded from the bytes as they are.
fn decode_parquet(bytes: &[u8]) {
    let n = bytes.len() as u64;
    if n < 8 {
        return;
    }
    let Ok(len) = parquet::footer_length(&bytes[bytes.len() - 8..]) else {
        return;
    };
    let Some(start) = (n - 8).checked_sub(len) else {
        return;
    };
    let Ok(layout) = parquet::parse_metadata(&bytes[start as usize..(n - 8) as usize], n) else {
        return;
    };
    let all: Vec<usize> = (0..layout.columns.len()).collect();
    for g in 0..layout.row_groups.len() {
        let pieces = layout
            .row_group_ranges(g, &all, 0)
            .into_iter()
            .map(|r| {
                (
                    r.start,
                    bytes::Bytes::copy_from_slice(&bytes[r.start as usize..r.end as usize]),
                )
            })
            .collect();
        let _ = parquet::decode_row_group(&layout, g, &all, pieces);
    }
}

fn decode_everything(bytes: &[u8]) {
    let _ = npy::sample_u8(bytes, 1);
    let _ = npz::sample_u8(bytes, 1);
    let _ = tfrecord::sample(bytes, 1);
    let _ = tfrecord::index(bytes);
    let _ = tfrecord::decode_record(bytes);
    let _ = tfrecord::feature_bytes(bytes, "image");
    let _ = tfrecord::parse_index(&String::from_utf8_lossy(bytes));
    let _ = csv::sample(bytes, 1);
    let _ = image::decode_png(bytes);
    let _ = image::decode_jpeg(bytes);
    let half = bytes.len() / 2;
    let _ = indexed_binary::sample(bytes, &bytes[..half], &bytes[half..], 1);
    decode_parquet(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        decode_everything(&bytes);
    }

    #[test]
    fn damaged_files_never_panic(which in 0..8usize, at in any::<prop::sample::Index>(), xor in 1..=255u8, cut in any::<prop::sample::Index>()) {
        let mut f = valid_files().swap_remove(which);
        let i = at.index(f.len());
        f[i] ^= xor;
        decode_everything(&f);
        let keep = cut.index(f.len() + 1);
        decode_everything(&f[..keep]);
    }
}
