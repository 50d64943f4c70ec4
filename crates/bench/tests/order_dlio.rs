//! `--dlio-compat`'s TensorFlow sample order against DLIO's own algorithm run with NumPy:
//! `reconfigure` (cumulative seeded file shuffles) and `build_sample_map_iter` (seeded
//! sample shuffle, by-position file assignment, per-thread lists), transcribed from
//! dlio_benchmark/utils/config.py of the mlperf_storage_v2.0 branch.
use mlstor_bench::config::schema::Shuffle;
use mlstor_bench::plan::order::{OrderSpec, Sampler};

const DLIO_ITER: &str = r#"
import json, math, sys
import numpy as np
c = json.loads(sys.argv[1])
F, E, S, P, r, R, seed = c["files"], c["eval_files"], c["spf"], c["ranks"], c["rank"], c["threads"], c["seed"]
file_list_train, file_list_eval = list(range(F)), list(range(E))
out = []
for epoch in range(1, c["epochs"] + 1):
    # reconfigure(epoch)
    if c["file_shuffle"]:
        np.random.seed(seed + epoch)
        np.random.shuffle(file_list_train)
        np.random.shuffle(file_list_eval)
    # build_sample_map_iter(file_list_train, total_samples_train, epoch)
    total = S * F
    spp = int(math.ceil(total / P))
    spt = spp // R
    start = spp * r
    end = spp * (r + 1) - 1
    if end > total - 1:
        end = total - 1
    sample_list = np.arange(start, end + 1)
    if c["sample_shuffle"]:
        np.random.seed(seed + epoch)
        np.random.shuffle(sample_list)
    files_per_rank = (F // P) % F
    file_index = r * files_per_rank
    m = [[] for _ in range(R)]
    sample_index = 0
    for sample in sample_list:
        t = (sample_index // spt) % R
        m[t].append([file_list_train[file_index], int(sample_list[sample_index] % S)])
        sample_index += 1
        file_index = (sample_index // S) % F
    out.append(m)
print(json.dumps(out))
"#;

#[test]
fn tensorflow_order_matches_dlio_bit_for_bit() {
    let Ok(py) = std::env::var("MLSTOR_TEST_PYTHON") else {
        mlstor_store::conformance::skip_or_fail("MLSTOR_TEST_PYTHON is not set");
        return;
    };
    let cases = [
        // (files, spf, ranks, rank, threads, file_shuffle, sample_shuffle)
        (16u64, 1u64, 1u64, 0u64, 2u64, true, true),
        (10, 3, 2, 1, 2, true, false),
        (9, 4, 3, 2, 4, false, true),
        (64, 1, 4, 3, 1, true, true),
    ];
    for (files, spf, ranks, rank, threads, fs, ss) in cases {
        let epochs = 3;
        let cfg = serde_json::json!({
            "files": files, "eval_files": 5, "spf": spf, "ranks": ranks, "rank": rank,
            "threads": threads, "seed": 123, "epochs": epochs, "file_shuffle": fs, "sample_shuffle": ss,
        });
        let out = std::process::Command::new(&py)
            .arg("-c")
            .arg(DLIO_ITER)
            .arg(cfg.to_string())
            .output()
            .expect("python");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want: Vec<Vec<Vec<(u32, u32)>>> = serde_json::from_slice(&out.stdout).expect("json");
        let shuffle = |on: bool| if on { Shuffle::Seed } else { Shuffle::Off };
        let spec = OrderSpec {
            files,
            samples_per_file: spf,
            batch_size: 1,
            rank,
            ranks,
            read_threads: threads,
            file_shuffle: shuffle(fs),
            sample_shuffle: shuffle(ss),
            shuffle_size: 1024,
            seed: 123,
            seed_change_epoch: true,
            random_seed: 0,
            sampler: Sampler::Iterative,
            dlio_compat: true,
            is_eval: false,
            other_files: 5,
        };
        for epoch in 1..=epochs {
            let got: Vec<Vec<(u32, u32)>> = spec
                .dlio_worker_lists(epoch)
                .expect("order")
                .iter()
                .map(|l| l.iter().map(|s| (s.file, s.sample)).collect())
                .collect();
            assert_eq!(got, want[epoch as usize - 1], "{cfg} epoch {epoch}");
        }
    }
}
