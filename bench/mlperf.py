#!/usr/bin/env python3
"""`mlstor mlperf` overheads (issue #17), on this machine, in one run.

Part 1: what `mlstor mlperf whatif training unet3d run` adds over `mlstor run` of the same
workload with the same parameters (the wrapper resolves the tree, reads the recorded
datasize, starts `mlstor run` as a child with its output teed to the run's logs, then checks
the run and writes its metadata). Both run a tiny unet3d-shaped workload (--files files of
4 KiB, 1 rank, computation_time 0) so that the run itself is short and the difference shows;
--repeat alternating pairs, medians. Goal: under 1 s per run.

Part 2: `mlstor mlperf reportgen` over a results tree of --runs run folders (copies of one
real run folder, 6 runs per system, plus a datasize and a datagen each), and mlpstorage
3.0.26's own report generator (crates/mlperf/tests/data/mlpstorage-3.0.26, run with --python,
which needs pyyaml psutil rich pydantic python-dotenv: scripts/test.sh's venv has them) over
the same tree. Goal: mlstor under 10 s for 1,000 runs.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TINY = """model:
  name: unet3d
framework: pytorch
workflow:
  generate_data: False
  train: True
  checkpoint: False
dataset:
  data_folder: data/unet3d/
  format: npz
  num_files_train: 8
  num_samples_per_file: 1
  record_length_bytes: 4096
reader:
  data_loader: pytorch
  batch_size: 1
  read_threads: 1
train:
  epochs: 1
  computation_time: 0.0
metric:
  au: 0.9
"""


def timed(cmd, cwd):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlstor", default=os.path.join(ROOT, "target", "release", "mlstor"))
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--python", default=os.environ.get("MLSTOR_TEST_PYTHON") or os.path.join(ROOT, "target", "test-venv", "bin", "python"))
    args = ap.parse_args()
    m = args.mlstor
    work = tempfile.mkdtemp(prefix="mlperf-bench-")
    try:
        with open(os.path.join(work, "tiny.yaml"), "w") as f:
            f.write(TINY)
        common = ["--workload", "tiny.yaml", "--results-dir", "res", "--orgname", "Acme", "--systemname", "box", "--data-dir", "data"]
        files = ["--params", f"dataset.num_files_train={args.files}"]
        for phase, extra in (("datasize", ["--num-accelerators", "1", "--client-host-memory-in-gb", "0.0001"]), ("datagen", files)):
            subprocess.run([m, "mlperf", "whatif", "training", "unet3d", phase, *common, *extra], cwd=work, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        plain = [m, "run", "tiny.yaml", "--quiet", "--set", "dataset.data_folder=data/unet3d",
                 "--set", f"dataset.num_files_train={args.files}", "--set", "dataset.skip_listing=true",
                 "--set", "dataset.listing_validation_interval=1"]
        wrapped = [m, "mlperf", "whatif", "training", "unet3d", "run", *common, *files,
                   "--num-accelerators", "1", "--client-host-memory-in-gb", "0.0001"]
        a, b = [], []
        for i in range(args.repeat):
            a.append(timed(plain + ["--results-dir", f"plain/{i}"], work))
            # Run folders are named by the second (as mlpstorage names them): a second run in
            # the same second waits for the next one. Start each at a fresh second so that the
            # wait (an artefact of runs shorter than a second) is not counted.
            time.sleep(1.0 - time.time() % 1.0 + 0.01)
            b.append(timed(wrapped, work))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"part 1: mlstor run {ma:.3f} s, mlstor mlperf ... run {mb:.3f} s (median of {args.repeat}): "
              f"overhead {mb - ma:+.3f} s per run, ratio {mb / ma:.2f}x (goal: overhead < 1 s)")

        # Part 2: a tree of args.runs run folders.
        runs_root = os.path.join(work, "res", "whatif", "Acme", "results", "box", "training", "unet3d")
        template = os.path.join(runs_root, "run", sorted(os.listdir(os.path.join(runs_root, "run")))[0])
        tree = os.path.join(work, "big")
        systems = max(1, -(-args.runs // 6))
        n = 0
        stamp = [0]

        def copy(src, parent):
            # Each copy gets its own run datetime (and metadata file name), as a real run
            # would: mlpstorage names a run by type, command, model and datetime.
            stamp[0] += 1
            dt = time.strftime("%Y%m%d_%H%M%S", time.gmtime(1_790_000_000 + stamp[0]))
            dst = os.path.join(parent, dt)
            shutil.copytree(src, dst)
            for f in os.listdir(dst):
                if f.endswith("_metadata.json"):
                    with open(os.path.join(dst, f)) as fh:
                        meta = json.load(fh)
                    meta["run_datetime"], meta["result_dir"] = dt, dst
                    os.remove(os.path.join(dst, f))
                    with open(os.path.join(dst, f"training_{dt}_metadata.json"), "w") as fh:
                        json.dump(meta, fh)

        for s in range(systems):
            base = os.path.join(tree, "closed", "Acme", "results", f"sys{s:04d}", "training", "unet3d")
            for phase in ("datasize", "datagen"):
                src = os.path.join(runs_root, phase)
                copy(os.path.join(src, sorted(os.listdir(src))[0]), os.path.join(base, phase))
            for r in range(6):
                if n >= args.runs:
                    break
                copy(template, os.path.join(base, "run"))
                n += 1
        t = timed([m, "mlperf", "reportgen", tree], work)
        print(f"part 2: mlstor reportgen over {n} run folders ({systems} results, {n + 2 * systems} folders with metadata) in {t:.2f} s (goal: < 10 s)")
        peer = os.path.join(ROOT, "crates", "mlperf", "tests", "data", "mlpstorage-3.0.26")
        script = (
            "import contextlib, io, sys, time\n"
            f"sys.path.insert(0, {peer!r})\n"
            "t = time.perf_counter()\n"
            "from mlpstorage_py.report_generator import ReportGenerator\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    r = ReportGenerator({tree!r}, use_colors=False, validate_structure=False)\n"
            "    r.generate_reports()\n"
            "print(len(r.run_results), time.perf_counter() - t)\n"
        )
        t0 = time.perf_counter()
        res = subprocess.run([args.python, "-c", script], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            print(f"part 2: mlpstorage 3.0.26's reportgen failed: {res.stderr.strip()[-500:]}")
        else:
            runs_read = res.stdout.split()[0]
            print(f"part 2: mlpstorage 3.0.26's reportgen over the same tree: {wall:.2f} s ({runs_read} runs read); "
                  f"mlstor / mlpstorage time: {t / wall:.3f} ({wall / t:.0f}x faster)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
