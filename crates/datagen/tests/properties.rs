//! Properties of the generator for random sizes (0, 1, odd, not block-aligned), factors and
//! block sizes: determinism, uniqueness, chunking, parallelism, verification.
use std::collections::HashSet;

use mlstor_datagen::{DataGen, Error, Params};
use proptest::prelude::*;

const FACTORS: [f64; 6] = [1.0, 1.5, 2.0, 3.0, 4.0, 8.0];

fn params() -> impl Strategy<Value = Params> {
    (
        0..6usize,
        0..6usize,
        prop_oneof![Just(4096usize), Just(65536), Just(1 << 20)],
        any::<u64>(),
    )
        .prop_map(|(d, c, block_size, seed)| Params {
            dedup: FACTORS[d],
            compress: FACTORS[c],
            block_size,
            seed,
        })
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), Just(1), Just(4095), Just(4097), 0..3_000_000usize]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn same_inputs_same_bytes(p in params(), size in size(), id in any::<u64>()) {
        let a = DataGen::new(p).expect("valid params").generate(id, size, 1);
        let b = DataGen::new(p).expect("valid params").generate(id, size, 2);
        prop_assert_eq!(a.len(), size);
        prop_assert!(a == b);
    }

    #[test]
    fn chunked_and_resumed_fill_equal_one_shot(p in params(), size in size(), id in any::<u64>(),
                                               chunk in 1..700_000usize, start in 0..1_000_000u64) {
        let data = DataGen::new(p).expect("valid params");
        let whole = data.generate(id, size, 1);
        let mut g = data.generator(id, size as u64);
        let mut buf = vec![0u8; chunk];
        let mut got = Vec::new();
        loop {
            let n = g.fill_chunk(&mut buf);
            if n == 0 { break; }
            got.extend_from_slice(&buf[..n]);
        }
        prop_assert!(got == whole);
        prop_assert!(g.is_complete());
        // Resume at an arbitrary offset, with threads.
        let start = start.min(size as u64);
        let mut g = data.generator(id, size as u64).with_threads(2);
        g.seek(start);
        let mut rest = vec![0u8; size - start as usize];
        let n = g.fill_chunk(&mut rest);
        prop_assert_eq!(n, rest.len());
        prop_assert!(rest[..] == whole[start as usize..]);
    }

    #[test]
    fn parallel_fill_equals_serial(p in params(), size in size(), threads in 1..5usize, offset in 0..2_000_000u64) {
        let data = DataGen::new(p).expect("valid params");
        let total = size as u64 + offset;
        let mut serial = vec![0u8; size];
        data.fill(9, total, offset, &mut serial, &mut Vec::new());
        let mut parallel = vec![0u8; size];
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        data.fill_parallel(9, total, offset, &mut parallel, &pool, &mut Vec::new());
        prop_assert!(serial == parallel);
    }

    #[test]
    fn verification_accepts_and_rejects_one_flipped_bit(p in params(), size in 1..2_000_000usize,
                                                        id in any::<u64>(), pos in any::<prop::sample::Index>(),
                                                        bit in 0..8u8) {
        let data = DataGen::new(p).expect("valid params");
        let mut obj = data.generate(id, size, 1);
        prop_assert!(data.verify(id, size as u64, 0, &obj).is_ok());
        let at = pos.index(size);
        let off = (at / 2) as u64;
        prop_assert!(data.verify(id, size as u64, off, &obj[off as usize..]).is_ok());
        obj[at] ^= 1 << bit;
        match data.verify(id, size as u64, 0, &obj) {
            Err(Error::Mismatch { offset, .. }) => prop_assert_eq!(offset, at as u64),
            other => prop_assert!(false, "flipped bit not caught: {:?}", other),
        }
        let past = data.verify(id, size as u64, 1, &obj);
        prop_assert!(matches!(past, Err(Error::PastEnd { .. })), "a read past the end is rejected");
    }

    #[test]
    fn different_objects_share_no_block_without_dedup(c in 0..6usize, block in prop_oneof![Just(4096usize), Just(65536)],
                                                       size in 4096..400_000usize, a in any::<u64>(), b in any::<u64>()) {
        prop_assume!(a != b);
        let data = DataGen::new(Params { compress: FACTORS[c], block_size: block, ..Params::default() }).expect("valid params");
        let blocks = |id| -> HashSet<Vec<u8>> {
            data.generate(id, size, 1).chunks(block).filter(|c| c.len() == block).map(<[u8]>::to_vec).collect()
        };
        let (x, y) = (blocks(a), blocks(b));
        prop_assert!(x.is_disjoint(&y));
    }
}

#[test]
fn invalid_params_are_named() {
    for (p, name) in [
        (
            Params {
                dedup: 0.5,
                ..Params::default()
            },
            "dedup",
        ),
        (
            Params {
                compress: f64::NAN,
                ..Params::default()
            },
            "compress",
        ),
        (
            Params {
                block_size: 1000,
                ..Params::default()
            },
            "block_size",
        ),
    ] {
        let e = DataGen::new(p).expect_err(name).to_string();
        assert!(e.contains(name), "{e}");
    }
}
