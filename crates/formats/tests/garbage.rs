//! Untrusted bytes: random input and randomly damaged valid files must give errors (or
//! other bytes), never a panic, from every decoder.
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
    ]
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
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        decode_everything(&bytes);
    }

    #[test]
    fn damaged_files_never_panic(which in 0..7usize, at in any::<prop::sample::Index>(), xor in 1..=255u8, cut in any::<prop::sample::Index>()) {
        let mut f = valid_files().swap_remove(which);
        let i = at.index(f.len());
        f[i] ^= xor;
        decode_everything(&f);
        let keep = cut.index(f.len() + 1);
        decode_everything(&f[..keep]);
    }
}
