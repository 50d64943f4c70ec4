//! The ratios storage sees: dedup and zstd within ±5% of the request on 64 MiB, lz4 and
//! gzip within ±10%, for every D, C in {1, 1.5, 2, 3, 4, 8}; for one big object and for many
//! small ones.
use mlstor_datagen::{DataGen, Params, ratios};

const FACTORS: [f64; 6] = [1.0, 1.5, 2.0, 3.0, 4.0, 8.0];
const TOTAL: usize = 64 << 20;

fn check(label: &str, d: f64, c: f64, data: &[u8], dedup_chunk: usize) {
    let r = ratios::measure(data, dedup_chunk);
    println!(
        "{label} D={d} C={c}: dedup {:.3} zstd {:.3} lz4 {:.3} gzip {:.3}",
        r.dedup, r.zstd, r.lz4, r.gzip
    );
    let within = |got: f64, want: f64, tol: f64| (got / want - 1.0).abs() <= tol;
    assert!(within(r.dedup, d, 0.05), "{label} D={d} C={c}: dedup {}", r.dedup);
    assert!(within(r.zstd, c, 0.05), "{label} D={d} C={c}: zstd {}", r.zstd);
    assert!(within(r.lz4, c, 0.10), "{label} D={d} C={c}: lz4 {}", r.lz4);
    assert!(within(r.gzip, c, 0.10), "{label} D={d} C={c}: gzip {}", r.gzip);
}

#[test]
fn one_object_of_64_mib() {
    for d in FACTORS {
        for c in FACTORS {
            let data = DataGen::new(Params {
                dedup: d,
                compress: c,
                ..Params::default()
            })
            .expect("params");
            let obj = data.generate(0, TOTAL, 2);
            check("1 x 64 MiB", d, c, &obj, 1 << 20);
        }
    }
}

#[test]
fn many_small_objects_share_dedup_copies() {
    // 1024 objects of 64 KiB with 64 KiB blocks: duplicates span objects.
    for (d, c) in [(2.0, 1.0), (3.0, 2.0), (1.5, 4.0), (8.0, 1.5)] {
        let params = Params {
            dedup: d,
            compress: c,
            block_size: 64 << 10,
            ..Params::default()
        };
        let data = DataGen::new(params).expect("params");
        let mut all = Vec::with_capacity(TOTAL);
        for id in 0..1024u64 {
            all.extend_from_slice(&data.generate(id, 64 << 10, 1));
        }
        check("1024 x 64 KiB", d, c, &all, 64 << 10);
    }
}
