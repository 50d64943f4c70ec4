#!/usr/bin/env python3
"""Training emulation: DLIO (MLPerf Storage's pinned branch) vs `mlstor run`, same YAML, same
unet3d-shaped file:// dataset, one run after the other on this machine.

Part 1, pure I/O (computation_time 0): each tool trains the dataset for 1 and for --epochs
epochs (fresh processes, warm page cache); reported per tool: DLIO's train throughput (the same
formula in both summary.json files), epoch time, and client CPU-seconds per GB read, whole-run
and marginal ((CPU of the long run - CPU of the 1-epoch run) / extra GB read: start-up excluded).
Goals: mlstor / DLIO throughput >= 5x; mlstor / DLIO marginal CPU per GB <= 0.2.

Part 2, AU scaling: computation_time --au-compute per step on --au-record-mib samples, batch 7.
unet3d a100's 0.636 s per batch of 7 on 4 MiB samples (the anchor DLIO run's sample size) asks
46 MB/s of each accelerator; the default halves both (2 MiB, 0.318 s: the same 46 MB/s) so the
datasets of tens of ranks fit this VM's RAM. (A real unet3d accelerator, ~140 MiB samples, asks
1.6 GB/s: more than this 2-core VM serves to more than a few ranks, for any tool.) Both
tools under `mpirun -np N --bind-to none`: the largest N whose mean AU (DLIO's formula, over
--au-epochs epochs) stays >= 90%. DLIO is tried at N = 1, 2, 3, ... up to --dlio-max; mlstor
from 10x DLIO's N upwards (doubling, then bisecting) up to --mlstor-max. Each run reads
N x batch x --au-steps files (a prefix of one generated dataset, as DLIO lists it).
Goal: mlstor's N >= 10x DLIO's.

The dataset is written once with `mlstor generate` (DLIO reads it: same names and npz layout).
DLIO comes from `python3 bench/generate.py --setup` (a venv under $DLIO_ROOT, default
/tmp/dlio-anchor); MLSTOR_BIN overrides the mlstor binary (default target/release/mlstor).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import GIB, MIB, check_rc, is_executable, mlstor_bin, run_timed, start_watchdog  # noqa: E402
from dlio_env import dlio_env, dlio_paths, write_config, write_shims  # noqa: E402

AU_GOAL = 90.0


def workload_yaml(data, files, record, batch, threads, epochs, compute):
    """One workload both tools read (only DLIO's keys)."""
    return (f"model:\n  name: train_bench\n  type: cnn\nframework: pytorch\n"
            "workflow:\n  generate_data: False\n  train: True\n  checkpoint: False\n"
            f"dataset:\n  data_folder: {data}\n  format: npz\n  num_files_train: {files}\n"
            f"  num_samples_per_file: 1\n  record_length_bytes: {record}\n  record_length_bytes_stdev: 0\n"
            f"reader:\n  data_loader: pytorch\n  batch_size: {batch}\n  read_threads: {threads}\n"
            "  file_shuffle: seed\n  sample_shuffle: seed\n"
            f"train:\n  epochs: {epochs}\n  computation_time: {compute}\nmetric:\n  au: 0.90\n")


def mpirun(n):
    return ["mpirun", "-np", str(n), "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"] if n > 1 else []


def warm(data, files):
    """Reads the first `files` training files once, so the run that reads them finds them in
    the page cache whatever ran before."""
    names = sorted(os.listdir(os.path.join(data, "train")))[:files]
    for i in range(0, len(names), 256):
        subprocess.run(["cat"] + [os.path.join(data, "train", n) for n in names[i:i + 256]],
                       stdout=subprocess.DEVNULL, check=False)


class Tools:
    def __init__(self, a, conf, yaml_path, P, mbin):
        self.a, self.conf, self.yaml, self.P, self.mbin = a, conf, yaml_path, P, mbin

    def run(self, tool, out, data, overrides, ranks=1):
        """One training run on `data` (its files warmed first) -> {wall, cpu, summary, epochs:
        [durations]}; raises on failure."""
        shutil.rmtree(out, ignore_errors=True)
        overrides = dict(overrides, **{"dataset.data_folder": data})
        warm(data, int(overrides["dataset.num_files_train"]))
        ov = [f"++workload.{k}={v}" for k, v in overrides.items()]
        if tool == "dlio":
            cmd = mpirun(ranks) + [self.P["dlio"], f"--config-dir={self.conf}", "workload=train_bench",
                                   f"++hydra.run.dir={out}"] + ov
            env = dlio_env(self.P, pytorch=True)
        else:
            cmd = mpirun(ranks) + [self.mbin, "run", self.yaml, "--quiet", "--results-dir", out] + ov
            env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        p, wall, cpu = run_timed(cmd, self.a.timeout, env=env)
        check_rc(p, f"{tool} ")
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(out, "0_per_epoch_stats.json")) as f:
            stats = json.load(f)
        durations = [float(v["duration"]) for _, v in sorted(stats.items(), key=lambda kv: int(kv[0]))]
        return {"wall": wall, "cpu": cpu, "summary": summary, "epochs": durations}


def dataset_bytes(data, files):
    names = sorted(os.listdir(os.path.join(data, "train")))[:files]
    return sum(os.path.getsize(os.path.join(data, "train", n)) for n in names)


def part1(a, t, data, results):
    print(f"\n## Part 1: pure I/O, computation_time 0, {a.files} x {a.record_mib} MiB npz, batch {a.batch}, "
          f"read_threads {a.threads}, 1 rank; 1 and {a.epochs} epochs, warm page cache", flush=True)
    gb = dataset_bytes(data, a.files) / 1e9
    rows = {}
    ov = {"train.computation_time": 0, "dataset.num_files_train": a.files}
    for rep in range(a.repeat):
        for tool in ("dlio", "mlstor"):
            for epochs in (1, a.epochs):
                r = t.run(tool, os.path.join(a.dir, f"out-{tool}-e{epochs}"), data, dict(ov, **{"train.epochs": epochs}))
                m = r["summary"]["metric"]
                rows.setdefault((tool, epochs), []).append(r)
                print(f"rep {rep + 1} {tool:6s} {epochs} epoch(s): wall {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, "
                      f"throughput {m['train_throughput_mean_samples_per_second']:.1f} samples/s, "
                      f"epochs {r['epochs']} s", flush=True)
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    out = {}
    print("\n| tool | samples/s (DLIO formula) | epoch s (long run) | MB/s read | CPU-s/GB whole run | "
          "CPU-s/GB marginal |\n|---|---|---|---|---|---|")
    for tool in ("dlio", "mlstor"):
        long, short = rows[(tool, a.epochs)], rows[(tool, 1)]
        tp = med([r["summary"]["metric"]["train_throughput_mean_samples_per_second"] for r in long])
        epoch_s = med([sum(r["epochs"][1:]) / max(1, len(r["epochs"]) - 1) for r in long])
        if epoch_s <= 0:
            sys.exit(f"{tool}'s epochs are too short to time (per_epoch_stats.json has 0.01 s steps): "
                     "use more --files")
        whole = med([r["cpu"] / (gb * a.epochs) for r in long])
        marginal = med([(lr["cpu"] - sr["cpu"]) / (gb * (a.epochs - 1)) for lr, sr in zip(long, short)])
        out[tool] = {"throughput": tp, "epoch_s": epoch_s, "cpu_per_gb": whole, "cpu_per_gb_marginal": marginal,
                     "mb_per_s": gb * 1e3 / epoch_s}
        print(f"| {tool} | {tp:.1f} | {epoch_s:.2f} | {gb * 1e3 / epoch_s:.0f} | {whole:.2f} | {marginal:.3f} |")
    d, m = out["dlio"], out["mlstor"]
    r1 = m["throughput"] / d["throughput"]
    r2 = m["cpu_per_gb_marginal"] / d["cpu_per_gb_marginal"]
    print(f"\nthroughput mlstor / DLIO: {r1:.2f}x  goal >= 5  {'PASS' if r1 >= 5 else 'MISS'}")
    print(f"CPU per GB (marginal) mlstor / DLIO: {r2:.3f}  goal <= 0.2  {'PASS' if r2 <= 0.2 else 'MISS'}")
    print(f"CPU per GB (whole run) mlstor / DLIO: {m['cpu_per_gb'] / d['cpu_per_gb']:.3f}")
    results["part1"] = {"dataset_gb": gb, "tools": out, "throughput_ratio": r1, "cpu_ratio_marginal": r2}


def part2(a, t, data, results):
    per_acc = a.au_batch * a.au_record_mib * MIB / a.au_compute / 1e6
    print(f"\n## Part 2: AU scaling, computation_time {a.au_compute} s per step, batch {a.au_batch} of "
          f"{a.au_record_mib} MiB ({per_acc:.0f} MB/s per accelerator at AU 100%), {a.au_steps} steps x "
          f"{a.au_epochs} epochs per rank", flush=True)
    tried = {}

    def au(tool, n):
        if (tool, n) in tried:
            return tried[(tool, n)]
        ov = {"train.computation_time": a.au_compute, "train.epochs": a.au_epochs,
              "dataset.num_files_train": n * a.au_batch * a.au_steps, "reader.batch_size": a.au_batch,
              "dataset.record_length_bytes": int(a.au_record_mib * MIB)}
        try:
            r = t.run(tool, os.path.join(a.dir, f"au-{tool}-{n}"), data, ov, ranks=n)
            v = r["summary"]["metric"]["train_au_mean_percentage"]
            print(f"{tool:6s} N={n:4d}: AU {v:6.2f}%  ({'pass' if v >= AU_GOAL else 'fail'}), wall {r['wall']:.1f} s",
                  flush=True)
        except Exception as e:  # noqa: BLE001
            v = None
            print(f"{tool:6s} N={n:4d}: failed: {str(e)[:300]}", flush=True)
        tried[(tool, n)] = v
        return v

    ok = lambda v: v is not None and v >= AU_GOAL  # noqa: E731
    n_dlio = 0
    if a.dlio_n is not None:
        n_dlio = a.dlio_n
        print(f"DLIO's N taken from --dlio-n {n_dlio} (an earlier run), not measured now", flush=True)
    else:
        for n in range(1, a.dlio_max + 1):
            if not ok(au("dlio", n)):
                break
            n_dlio = n
    # mlstor: from 10x DLIO's (or --mlstor-max if lower), doubling while it passes, then bisect.
    lo, hi = 0, None
    n = min(max(1, 10 * n_dlio), a.mlstor_max)
    while n <= a.mlstor_max:
        if ok(au("mlstor", n)):
            lo = n
            if n == a.mlstor_max:
                break
            n = min(2 * n, a.mlstor_max)
        else:
            hi = n
            break
    if lo == 0 and hi is not None:  # the first try failed: walk down
        n = hi // 2
        while n >= 1 and not ok(au("mlstor", n)):
            hi, n = n, n // 2
        lo = max(n, 0)
    if hi is not None:
        while hi - lo > max(1, lo // 8):
            mid = (lo + hi) // 2
            if ok(au("mlstor", mid)):
                lo = mid
            else:
                hi = mid
    n_ml = lo
    ratio = n_ml / n_dlio if n_dlio else float("inf") if n_ml else 0.0
    capped = " (capped by --mlstor-max)" if hi is None else ""
    print(f"\nlargest N with AU >= 90%: DLIO {n_dlio}, mlstor {n_ml}{capped}")
    print(f"mlstor / DLIO accelerators: {ratio:.1f}x  goal >= 10  {'PASS' if ratio >= 10 else 'MISS'}")
    results["part2"] = {"dlio_n": n_dlio, "dlio_n_measured": a.dlio_n is None, "mlstor_n": n_ml,
                        "ratio": ratio, "capped": hi is None,
                        "au": {f"{k[0]}-{k[1]}": v for k, v in sorted(tried.items())},
                        "per_accelerator_mb_per_s": per_acc}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "mlstor-bench-train"))
    ap.add_argument("--dlio-root", default=os.environ.get("DLIO_ROOT", "/tmp/dlio-anchor"))
    ap.add_argument("--parts", default="1,2")
    ap.add_argument("--files", type=int, default=128, help="part 1: files (one sample each)")
    ap.add_argument("--record-mib", type=float, default=4)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4, help="reader.read_threads (unet3d: 4)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--au-compute", type=float, default=0.318,
                    help="part 2: computation_time (unet3d a100's 0.636 s, halved with the sample size)")
    ap.add_argument("--au-record-mib", type=float, default=2)
    ap.add_argument("--au-batch", type=int, default=7, help="unet3d's batch size")
    ap.add_argument("--au-steps", type=int, default=10)
    ap.add_argument("--au-epochs", type=int, default=2)
    ap.add_argument("--dlio-max", type=int, default=16)
    ap.add_argument("--mlstor-max", type=int, default=128)
    ap.add_argument("--dlio-n", type=int, default=None,
                    help="part 2: skip DLIO's search and use this N (from an earlier run of this script)")
    ap.add_argument("--keep", action="store_true", help="keep the dataset")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run")
    ap.add_argument("--json-out", default=None)
    a = ap.parse_args()
    start_watchdog(6 * 3600)
    P = dlio_paths(a.dlio_root)
    mbin = mlstor_bin()
    if not is_executable(P["dlio"]):
        sys.exit(f"no DLIO at {P['dlio']}: run `python3 bench/generate.py --setup` first")
    if not is_executable(mbin):
        sys.exit(f"no mlstor at {mbin}: run `cargo build --release -p mlstor` first")
    write_shims(P)
    os.makedirs(a.dir, exist_ok=True)
    conf = os.path.join(a.dir, "conf")
    parts = {int(p) for p in a.parts.split(",")}
    write_config(conf, "train_bench")  # each run's ++hydra.run.dir overrides the config's
    yaml_path = os.path.join(conf, "workload", "train_bench.yaml")
    print(f"# bench/train.py on {platform.node()} ({os.cpu_count()} CPUs), DLIO {P['src']}, mlstor {mbin}")

    def dataset(record_mib, files):
        """A dataset of `files` npz files of `record_mib` MiB (written once, reused)."""
        data = os.path.join(a.dir, f"data-{record_mib:g}MiB")
        record = int(record_mib * MIB)
        have = len(os.listdir(os.path.join(data, "train"))) if os.path.isdir(os.path.join(data, "train")) else 0
        if have < files:
            free = shutil.disk_usage(a.dir).free
            if files * record > 0.8 * free:
                sys.exit(f"{files} files x {record_mib} MiB do not fit in {free / GIB:.0f} GiB free under {a.dir}")
            shutil.rmtree(data, ignore_errors=True)
            gen = os.path.join(conf, f"gen-{record_mib:g}.yaml")
            with open(gen, "w") as f:
                f.write(workload_yaml(data, files, record, a.batch, a.threads, 1, 0))
            p, wall, _ = run_timed([mbin, "generate", gen, "--json"], a.timeout * 4)
            check_rc(p, "mlstor generate ")
            print(f"dataset: {files} files x {record_mib} MiB written in {wall:.1f} s under {data}", flush=True)
        os.makedirs(os.path.join(data, "valid"), exist_ok=True)  # DLIO lists it (older mlstor generate left it out)
        return data

    with open(yaml_path, "w") as f:
        f.write(workload_yaml("unset", 1, int(a.record_mib * MIB), a.batch, a.threads, 1, 0))
    t = Tools(a, conf, yaml_path, P, mbin)
    results = {"host": platform.node(), "cpus": os.cpu_count(), "args": vars(a)}
    if 1 in parts:
        part1(a, t, dataset(a.record_mib, a.files), results)
    if 2 in parts:
        part2(a, t, dataset(a.au_record_mib, a.mlstor_max * a.au_batch * a.au_steps), results)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(results, f, indent=2)
    if not a.keep:
        shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
