#!/usr/bin/env python3
"""DLIO 3.0.2 (the DLIO MLPerf Storage v3.0 accepts) against mlstor, the same YAML and the same
files, on this machine.

Part 1, dlrm-shaped parquet (the 200 columns of MLPerf's dlrm_b200.yaml, 761 bytes a row,
row groups of 6144 rows, scaled to --files x --rows): generation, each tool writing its own
copy (files/s; goal mlstor >= 10x DLIO), then training at computation_time 0 on the files
mlstor wrote, read by both, as the YAML says and with every column read (samples/s, goal
>= 5x; CPU-seconds per GB read, marginal: the CPU of a (1 + --extra-epochs)-epoch run minus
a 1-epoch run over the extra epochs' bytes, goal <= 0.2x).

Part 2, retinanet-shaped jpeg (322,957-byte files, batch 24, computation_time 0.04755 s,
metric.au 0.85): the largest number of ranks (emulated accelerators) with mean AU >= 85%
for each tool, on one dataset mlstor wrote (goal: mlstor's >= 10x DLIO's).

DLIO comes from the venv of shared/anchors/run_dlio3.sh (ROOT=/tmp/dlio3-anchor; create it
with `SETUP=1 bash ../shared/anchors/run_dlio3.sh unet3d` once). Both tools get the same
workload YAML; the page cache is warm for both (the files are read once before each run).
Numbers are medians of --repeat interleaved runs.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ANCHORS = os.environ.get("MLSTOR_ANCHORS") or os.path.join(ROOT, "crates", "bench", "tests", "data", "mlpstorage-v3")
DLRM = os.path.join(ANCHORS, "workloads", "dlrm_b200.yaml")
CONFIG_YAML = """defaults:
 - _self_
 - workload: bench
 - override hydra/job_logging: disabled
 - override hydra/hydra_logging: disabled
hydra:
  run:
    dir: ./hydra_log/${workload.model.name}
"""


def dlrm_columns():
    """The `dataset.parquet.columns` block of MLPerf's dlrm_b200.yaml, as written there."""
    text = open(DLRM).read()
    block = text[text.index("    columns:"):text.index("\nreader:")]
    return block.rstrip() + "\n"


def parquet_yaml(data, files, rows, epochs, generate, read_flags=True):
    columns = dlrm_columns()
    if not read_flags:
        columns = "".join(l + "\n" for l in columns.splitlines() if not l.strip().startswith("read:"))
    return (f"model:\n  name: dlrm_bench\nframework: pytorch\n"
            f"workflow:\n  generate_data: {generate}\n  train: {not generate}\n  checkpoint: False\n"
            f"dataset:\n  data_folder: {data}\n  format: parquet\n  num_files_train: {files}\n"
            f"  num_samples_per_file: {rows}\n  record_length_bytes: 761\n  compression: none\n"
            f"  parquet:\n    row_group_size: 6144\n{columns}"
            f"reader:\n  data_loader: pytorch\n  batch_size: 16384\n  read_threads: 2\n  prefetch_size: 2\n"
            f"  multiprocessing_context: fork\n"
            f"train:\n  epochs: {epochs}\n  computation_time: 0\nmetric:\n  au: 0.70\n")


def jpeg_yaml(data, files, epochs, generate):
    return (f"model:\n  name: retinanet_bench\nframework: pytorch\n"
            f"workflow:\n  generate_data: {generate}\n  train: {not generate}\n  checkpoint: False\n"
            f"dataset:\n  data_folder: {data}\n  format: jpeg\n  num_files_train: {files}\n"
            f"  num_samples_per_file: 1\n  record_length_bytes: 322957\n  record_length_bytes_stdev: 0\n"
            f"reader:\n  data_loader: pytorch\n  batch_size: 24\n  read_threads: 2\n"
            f"  multiprocessing_context: fork\n  file_shuffle: seed\n  sample_shuffle: seed\n"
            f"train:\n  epochs: {epochs}\n  computation_time: 0.04755\nmetric:\n  au: 0.85\n")


def mpirun(n):
    return ["mpirun", "-np", str(n), "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"] if n > 1 else []


class Tools:
    def __init__(self, a):
        self.a = a
        self.dlio = os.path.join(a.dlio_root, "venv", "bin", "dlio_benchmark")
        self.mlstor = os.environ.get("MLSTOR_BIN") or os.path.join(ROOT, "target", "release", "mlstor")
        for p in (self.dlio, self.mlstor):
            if not os.path.exists(p):
                sys.exit(f"not found: {p} (DLIO 3.0.2 venv: SETUP=1 bash run_dlio3.sh unet3d; mlstor: cargo build --release -p mlstor)")
        self.env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        DLIO_MAX_AUTO_THREADS="2")

    def conf(self, yaml_text):
        d = os.path.join(self.a.dir, "conf")
        os.makedirs(os.path.join(d, "workload"), exist_ok=True)
        with open(os.path.join(d, "config.yaml"), "w") as f:
            f.write(CONFIG_YAML)
        path = os.path.join(d, "workload", "bench.yaml")
        with open(path, "w") as f:
            f.write(yaml_text)
        return d, path

    def run(self, tool, yaml_text, out, ranks=1):
        """One run; returns {wall, cpu, summary (or None)}."""
        shutil.rmtree(out, ignore_errors=True)
        conf, path = self.conf(yaml_text)
        if tool == "dlio":
            cmd = mpirun(ranks) + [self.dlio, f"--config-dir={conf}", "workload=bench",
                                   f"++hydra.run.dir={out}", "++hydra.output_subdir=dlio_config"]
        else:
            cmd = mpirun(ranks) + [self.mlstor, "run", path, "--quiet", "--results-dir", out]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=self.env, cwd=self.a.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=self.a.timeout)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise RuntimeError(f"{tool} failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        summary = None
        s = os.path.join(out, "summary.json")
        if os.path.isfile(s):
            with open(s) as f:
                summary = json.load(f)
        return {"wall": wall, "cpu": cpu, "summary": summary}


def warm(folder):
    for dp, _, fns in os.walk(folder):
        for fn in fns:
            with open(os.path.join(dp, fn), "rb") as f:
                while f.read(16 << 20):
                    pass


def du(folder):
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fns in os.walk(folder) for f in fns)


def med(v):
    return statistics.median(v) if v else float("nan")


def goal(label, value, target, higher=True):
    ok = value >= target if higher else value <= target
    print(f"{label}: {value:.3g}  goal {'>=' if higher else '<='} {target}  {'PASS' if ok else 'MISS'}")


def part1(t, a):
    print(f"\n## Part 1: dlrm-shaped parquet, {a.files} files x {a.rows} rows x 761 B (200 columns), row groups of 6144")
    gen = {"dlio": [], "mlstor": []}
    for rep in range(a.repeat):
        for tool in ("dlio", "mlstor"):
            data = os.path.join(a.dir, f"gen-{tool}")
            shutil.rmtree(data, ignore_errors=True)
            r = t.run(tool, parquet_yaml(data, a.files, a.rows, 1, True), os.path.join(a.dir, f"out-gen-{tool}"))
            n = len([f for dp, _, fns in os.walk(os.path.join(data, "train")) for f in fns if f.endswith(".parquet")])
            if n != a.files:
                raise RuntimeError(f"{tool} wrote {n} files, not {a.files}")
            gen[tool].append((a.files / r["wall"], du(data), r["cpu"]))
            print(f"rep {rep + 1} {tool:6} generate: {r['wall']:.2f} s wall, {a.files / r['wall']:.2f} files/s, "
                  f"{du(data) / 1e6:.1f} MB, CPU {r['cpu']:.2f} s", flush=True)
    # Training: both read the files mlstor wrote (DLIO 3.0.2's reader reads them), as the
    # YAML says (mlstor reads the 40 `read: true` columns, DLIO every column: it ignores the
    # flag) and with every column read by both (the flags dropped). samples/s over the
    # epochs' span (first start to last end, from each tool's 0_per_epoch_stats.json) and
    # the CPU of a (1 + E)-epoch run minus a 1-epoch run leave out start-up and listing.
    data = os.path.join(a.dir, "gen-mlstor")
    size = du(os.path.join(data, "train"))
    samples = a.files * a.rows
    long = 1 + a.extra_epochs
    variants = (("as written", True), ("all columns", False))
    runs = {(v, tool, e): [] for v, _ in variants for tool in ("dlio", "mlstor") for e in (1, long)}
    for rep in range(a.repeat):
        for v, flags in variants:
            for tool in ("dlio", "mlstor"):
                for epochs in (1, long):
                    warm(data)
                    out = os.path.join(a.dir, f"out-{tool}")
                    r = t.run(tool, parquet_yaml(data, a.files, a.rows, epochs, False, flags), out)
                    tp = r["summary"]["metric"]["train_throughput_mean_samples_per_second"]
                    read = mlstor_bytes(out) if tool == "mlstor" else size * epochs
                    span = epoch_span(out)
                    runs[(v, tool, epochs)].append(R(tp, r["cpu"], span, read))
                    print(f"rep {rep + 1} {v:11} {tool:6} train {epochs:2} epoch(s): {r['wall']:.2f} s wall, "
                          f"epochs {span:.3f} s, CPU {r['cpu']:.2f} s, {read / 1e6:.0f} MB read, "
                          f"{tp:.0f} samples/s reported", flush=True)
    print(f"\ngeneration: | tool | files/s | MB a file |\n|---|---|---|")
    fps = {}
    for tool in ("dlio", "mlstor"):
        fps[tool] = med([g[0] for g in gen[tool]])
        print(f"| {tool} | {fps[tool]:.2f} | {med([g[1] for g in gen[tool]]) / 1e6 / a.files:.1f} |")
    goal("generation files/s mlstor / DLIO", fps["mlstor"] / fps["dlio"], 10)
    for v, _ in variants:
        print(f"\ntraining, {v}: | tool | samples/s (reported, {long} epochs) | samples/s (epochs' span) "
              f"| CPU-s per GB read (marginal) | CPU-s per GB of samples (marginal) |\n|---|---|---|---|---|")
        fig = {}
        for tool in ("dlio", "mlstor"):
            pairs = list(zip(runs[(v, tool, 1)], runs[(v, tool, long)]))
            tp = med([r.tp for r in runs[(v, tool, long)]])
            wall = med([long * samples / max(r.span, 1e-9) for r in runs[(v, tool, long)]])
            cpu = med([(c.cpu - b.cpu) / max((c.read - b.read) / 1e9, 1e-9) for b, c in pairs])
            # Per GB of the samples trained on (761 B a row): the same denominator for both
            # tools whichever columns they read.
            per_sample = med([(c.cpu - b.cpu) / (a.extra_epochs * samples * 761 / 1e9) for b, c in pairs])
            fig[tool] = (tp, wall, cpu, per_sample)
            print(f"| {tool} | {tp:.0f} | {wall:.0f} | {cpu:.3f} | {per_sample:.3f} |")
        goal(f"training ({v}) samples/s (reported) mlstor / DLIO", fig["mlstor"][0] / fig["dlio"][0], 5)
        goal(f"training ({v}) samples/s (epochs' span) mlstor / DLIO", fig["mlstor"][1] / fig["dlio"][1], 5)
        goal(f"training ({v}) CPU per GB read (marginal) mlstor / DLIO", fig["mlstor"][2] / fig["dlio"][2], 0.2,
             higher=False)
        goal(f"training ({v}) CPU per GB of samples (marginal) mlstor / DLIO", fig["mlstor"][3] / fig["dlio"][3],
             0.2, higher=False)


class R:
    def __init__(self, tp, cpu, span, read):
        self.tp, self.cpu, self.span, self.read = tp, cpu, span, read


def epoch_span(out):
    """Seconds from the first epoch's start to the last one's end, from the run's own
    0_per_epoch_stats.json (both tools write DLIO's): the training, without start-up."""
    from datetime import datetime
    with open(os.path.join(out, "0_per_epoch_stats.json")) as f:
        stats = json.load(f)
    epochs = [v for k, v in stats.items() if k.isdigit()]
    t = lambda s: datetime.fromisoformat(s).timestamp()
    return max(t(e["end"]) for e in epochs) - min(t(e["start"]) for e in epochs)


def mlstor_bytes(out):
    """Bytes mlstor's training read (its results.json)."""
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)["summary"]["train"]["bytes_read"]


def part2(t, a):
    print(f"\n## Part 2: retinanet-shaped jpeg (322,957 B, batch 24, computation_time 0.04755 s), AU >= 85%")
    data = os.path.join(a.dir, "jpeg")
    files = a.jpeg_files_per_rank * a.mlstor_max
    if not os.path.isdir(os.path.join(data, "train")) or len(os.listdir(os.path.join(data, "train"))) < files:
        shutil.rmtree(data, ignore_errors=True)
        t.run("mlstor", jpeg_yaml(data, files, 1, True), os.path.join(a.dir, "out-jpeg-gen"))

    def au(tool, n):
        vals = []
        for _ in range(a.repeat):
            warm(os.path.join(data, "train"))
            r = t.run(tool, jpeg_yaml(data, a.jpeg_files_per_rank * n, a.jpeg_epochs, False),
                      os.path.join(a.dir, f"out-au-{tool}"), ranks=n)
            vals.append(r["summary"]["metric"]["train_au_mean_percentage"])
        v = med(vals)
        print(f"{tool:6} N={n:4}: AU {v:.2f}%  {vals}", flush=True)
        return v

    best = {}
    for tool, cap in (("dlio", a.dlio_max), ("mlstor", a.mlstor_max)):
        lo, hi, n = 0, None, 1
        while n <= cap:  # double until AU falls below 85%, then bisect
            if au(tool, n) >= 85.0:
                lo, n = n, n * 2
            else:
                hi = n
                break
        if hi is None and lo < cap and lo * 2 > cap:
            hi = cap + 1
            if au(tool, cap) >= 85.0:
                lo = cap
        while hi is not None and hi - lo > 1:
            mid = (lo + hi) // 2
            if au(tool, mid) >= 85.0:
                lo = mid
            else:
                hi = mid
        best[tool] = lo
        print(f"{tool}: largest N with AU >= 85%: {lo}{' (the cap)' if lo >= cap else ''}")
    goal("accelerators at AU >= 85% mlstor / DLIO", best["mlstor"] / max(best["dlio"], 1), 10)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/mlstor-bench-dlio3")
    ap.add_argument("--dlio-root", default=os.environ.get("DLIO3_ROOT", "/tmp/dlio3-anchor"))
    ap.add_argument("--parts", default="1,2")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--rows", type=int, default=6144 * 8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--extra-epochs", type=int, default=24, help="training runs of 1 and 1 + this many epochs")
    ap.add_argument("--jpeg-files-per-rank", type=int, default=240, help="10 steps of 24 an epoch")
    ap.add_argument("--jpeg-epochs", type=int, default=2)
    ap.add_argument("--dlio-max", type=int, default=16)
    ap.add_argument("--mlstor-max", type=int, default=64)
    ap.add_argument("--timeout", type=int, default=3600)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    t = Tools(a)
    print(f"# bench/dlio3.py on {os.uname().nodename} ({os.cpu_count()} CPUs), DLIO {t.dlio}, mlstor {t.mlstor}")
    parts = a.parts.split(",")
    if "1" in parts:
        part1(t, a)
    if "2" in parts:
        part2(t, a)


if __name__ == "__main__":
    main()
