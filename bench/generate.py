#!/usr/bin/env python3
"""Dataset generation benchmark: DLIO (mlperf_storage_v2.0) vs `mlstor generate`, same shapes, same FS.

A benchmark, not a test: it prints numbers and PASS/MISS against the goals, and always exits 0
unless the harness itself broke (a contender failing is reported, not fatal; 3 = watchdog).

Workloads (DLIO workload YAMLs written to a temp config dir; the same file is given to mlstor):
  unet3d    framework pytorch,    npz,      64 files x 1 sample of 16 MiB (record_length_bytes_stdev 0)
  resnet50  framework tensorflow, tfrecord, 16 files x 256 samples of 114660 B (+ DALI index files)

Contenders (each --repeat times, interleaved round-robin; DLIO/mlstor order flips every repeat):
  DLIO generate    `dlio_benchmark --config-dir CONF workload=W ++workload.workflow.generate_data=True
                   ++workload.workflow.train=False ++workload.dataset.data_folder=DIR` (1 rank, or
                   `mpirun -np N` with --dlio-np N), from the venv of --setup
  mlstor generate  `mlstor generate CONF/workload/W.yaml --set dataset.data_folder=DIR --json`
  raw write        `mlstor bench put file://DIR/ -n N -s SIZE -t 8 --json` (the goal's reference) and
                   `dd if=/dev/zero of=DIR/f bs=16M count=.. oflag=direct` (device, page cache bypassed)

Goals printed with PASS/MISS (per workload):
  mlstor generate GB/s / DLIO generate GB/s        >= 10
  mlstor generate GB/s / mlstor bench put GB/s     >= 0.8

GB = 1e9 bytes.  GB/s = bytes written (sum of the sizes of every file the run left under its
directory, index files included) / wall seconds of the whole process (start-up included, for every
contender alike); median over the repeats.  Also shown: the same with the `sync` that follows each
run (untimed otherwise) added, DLIO's start-up and its generation phase alone (from the timestamps of
its "Starting data generation" / "Generation done" log lines), and mlstor's self-reported GB/s.
CPU s/GB = getrusage(RUSAGE_CHILDREN) delta around the process.  Every run writes into its own fresh
directory on the same file system (--dir), `sync`s before it starts, and its data is deleted
(and synced) right after it is measured, so disk use stays at one data set.

DLIO set-up (--setup, idempotent; the install steps of shared/anchors/run_dlio.sh): a venv under
$DLIO_ROOT (default /tmp/dlio-anchor) with hydra-core 1.3.2, numpy, pandas, h5py, Pillow, mpi4py,
PyPI torch 2.5.1 (~3 GB), DLIO from the tarball --no-deps, and tensorflow-cpu + tensorflow-io (the
tfrecord generator writes with tensorflow; DLIO's tensorflow framework module imports tensorflow_io).  Two stand-ins go beside it: an inert `tensorflow` package put on PYTHONPATH for the
pytorch workload (as run_dlio.sh does: DLIO imports tensorflow at start-up for its TFProfiler only;
the stub keeps DLIO's start-up the shorter one), and `tfrecord2idx` on PATH (DLIO calls NVIDIA DALI's
script after every tfrecord file; nvidia-dali is a GPU wheel, so a same-output Python version is used).
Without tensorflow the tfrecord workload is reported as blocked, never faked.

Usage:
  python3 bench/generate.py --setup                  # once (minutes: torch + tensorflow-cpu)
  python3 bench/generate.py [--dir /tmp/mlstor-bench-generate] [--workloads unet3d,resnet50]
      [--repeat 2] [--concurrency N] [--dlio-np 1] [--put-objects 64] [--put-size-mib 16]
      [--put-threads 8] [--timeout 3000] [--json-out results.json]
  MLSTOR_BIN overrides the binary (default <repo>/target/release/mlstor); DLIO_ROOT the DLIO venv root.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (GIB, MIB, ROOT, check_rc, is_executable, measure, mlstor_bin, mlstor_json,  # noqa: E402
                    prewarm_ram, print_table_header, ratio_goal, run_timed, start_watchdog)

from dlio_env import dlio_env, dlio_paths, setup, write_config, write_shims  # noqa: E402


# ----------------------------------------------------------------------------- workloads
WORKLOADS = {
    "unet3d": {"framework": "pytorch", "format": "npz", "files": 64, "samples": 1, "record": 16777216,
               "reader": "pytorch", "batch": 4},
    "resnet50": {"framework": "tensorflow", "format": "tfrecord", "files": 16, "samples": 256, "record": 114660,
                 "reader": "tensorflow", "batch": 16},
}


def write_conf(conf, names):
    """DLIO's config dir: config.yaml (as run_dlio.sh) + workload/gen_<name>.yaml per workload."""
    write_config(conf, "gen_unet3d")
    paths = {}
    for n in names:
        w = WORKLOADS[n]
        y = (f"model:\n  name: gen_{n}\n  type: cnn\nframework: {w['framework']}\n"
             "workflow:\n  generate_data: False\n  train: True\n  checkpoint: False\n"
             f"dataset:\n  data_folder: {conf}/unused-data\n  format: {w['format']}\n"
             f"  num_files_train: {w['files']}\n  num_samples_per_file: {w['samples']}\n"
             f"  record_length_bytes: {w['record']}\n  record_length_bytes_stdev: 0\n"
             f"reader:\n  data_loader: {w['reader']}\n  batch_size: {w['batch']}\n  read_threads: 1\n"
             "train:\n  epochs: 1\n  computation_time: 0\n")
        paths[n] = os.path.join(conf, "workload", f"gen_{n}.yaml")
        with open(paths[n], "w") as f:
            f.write(y)
    return paths


def tree(d):
    """{relative path: size} of every file under d."""
    out = {}
    for dp, _, fns in os.walk(d):
        for fn in fns:
            p = os.path.join(dp, fn)
            out[os.path.relpath(p, d)] = os.path.getsize(p)
    return out


def one_line(text):
    return " ".join(str(text).split()).replace("|", "/")


def remove(*dirs):
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    os.sync()


def timed_sync():
    t0 = time.perf_counter()
    os.sync()
    return time.perf_counter() - t0


_TS = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+) (Starting data generation|Generation done)")


def dlio_phases(stderr, t_start, t_end):
    """(start-up s, generation-phase s, tail s) from DLIO's log lines, or None if not found."""
    ts = {m.group(2): datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
          for m in _TS.finditer(stderr)}
    if len(ts) != 2:
        return None
    a, b = ts["Starting data generation"], ts["Generation done"]
    return a - t_start, b - a, t_end - b


def content_check(py, fmt, d):
    """One line about the first data file (shape of x in npz; records and their size in tfrecord),
    read with the DLIO venv's numpy; outside any timing."""
    files = sorted(p for p in tree(d) if p.startswith("train/"))
    if not files:
        return "no files"
    first = os.path.join(d, files[0])
    if fmt == "npz":
        code = ("import numpy as np,sys; z=np.load(sys.argv[1]); x=z['x']; "
                "print(f\"x {x.dtype}{list(x.shape)} y {list(z['y'])[:4]}\")")
        r = subprocess.run([py, "-c", code, first], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return f"{files[0]}: " + (r.stdout.strip() if r.returncode == 0 else "np.load failed: " + r.stderr[-200:])
    idx = os.path.join(d, "index", files[0] + ".idx")
    if os.path.isfile(idx):
        with open(idx) as f:
            lines = f.read().split("\n")
        sizes = {int(ln.split()[1]) for ln in lines if ln.strip()}
        return f"{files[0]}: {sum(1 for ln in lines if ln.strip())} records of {sorted(sizes)} B (index)"
    return f"{files[0]}: no index file"


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setup", action="store_true", help="create/refresh the DLIO venv, then exit")
    ap.add_argument("--dlio-root", default=os.environ.get("DLIO_ROOT", "/tmp/dlio-anchor"))
    ap.add_argument("--tensorflow-spec", default="tensorflow-cpu", help="--setup: pip spec of tensorflow")
    ap.add_argument("--no-tensorflow", action="store_true", help="--setup: skip tensorflow-cpu")
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "mlstor-bench-generate"))
    ap.add_argument("--workloads", default="unet3d,resnet50")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=None, help="mlstor generate --concurrency (default: mlstor's)")
    ap.add_argument("--dlio-np", type=int, default=1, help="DLIO ranks (>1: mpirun -np N)")
    ap.add_argument("--put-objects", type=int, default=64)
    ap.add_argument("--put-size-mib", type=float, default=16)
    ap.add_argument("--put-threads", type=int, default=8)
    ap.add_argument("--no-dd", action="store_true", help="skip the dd oflag=direct reference")
    ap.add_argument("--prewarm-gib", type=float, default=None,
                    help="touch this much RAM once before timing (default 3x the largest data set; 0 = off)")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--timeout", type=int, default=3000, help="global watchdog, seconds")
    a = ap.parse_args()
    P = dlio_paths(a.dlio_root)
    if a.setup:
        setup(P, a.tensorflow_spec, a.no_tensorflow)
        return

    start_watchdog(a.timeout)
    per_call = max(120, a.timeout // 4)
    names = [n.strip() for n in a.workloads.split(",") if n.strip()]
    for n in names:
        if n not in WORKLOADS:
            ap.error(f"unknown workload {n!r} (known: {', '.join(WORKLOADS)})")
    base = os.path.abspath(a.dir)
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    conf = os.path.join(base, "conf")
    yamls = write_conf(conf, names)

    mbin = mlstor_bin()
    have_mlstor = is_executable(mbin)
    mlstor_note = "not built, skipped"
    if have_mlstor:
        h = subprocess.run([mbin, "generate", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if h.returncode != 0:
            have_mlstor, mlstor_note = False, "binary has no `generate` (stale build?), skipped"
        else:
            srcs = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(ROOT, "crates")) for f in fs]
            newest = max((os.path.getmtime(p) for p in srcs), default=0)
            mlstor_note = mbin + (" (WARNING: older than crates/ sources)" if os.path.getmtime(mbin) < newest else "")
    have_dlio = is_executable(P["dlio"])
    tf_status = open(P["tf_note"]).read().strip() if os.path.isfile(P["tf_note"]) else "unknown (no --setup)"
    have_tf = tf_status.startswith("ok")
    if have_dlio:
        write_shims(P)
        tv = subprocess.run([P["py"], "-c", "import torch; print(torch.__version__)"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout.strip()
        dlio_note = f"{P['dlio']} (mlperf_storage_v2.0, commit 392621b), torch {tv or '?'}, tensorflow {tf_status}"
    else:
        dlio_note = f"not installed at {P['venv']}, skipped (run: python3 bench/generate.py --setup)"
    blocked = {}
    if have_dlio and not have_tf and "resnet50" in names:
        blocked["resnet50"] = ("DLIO's tfrecord generator needs real tensorflow (tf.io.TFRecordWriter) and "
                               f"it is not usable: {tf_status}")

    fs = subprocess.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", base], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    print(f"generate: {', '.join(names)}, repeat {a.repeat}, in {base} ({fs}); {os.cpu_count()} CPUs, "
          f"{platform.platform()}")
    print(f"mlstor: {mlstor_note}")
    print(f"DLIO: {dlio_note}", flush=True)
    for n in names:
        w = WORKLOADS[n]
        print(f"  {n}: {w['framework']} {w['format']}, {w['files']} files x {w['samples']} samples x "
              f"{w['record']} B  ({yamls[n]})")

    sizes = {n: WORKLOADS[n]["files"] * WORKLOADS[n]["samples"] * WORKLOADS[n]["record"] for n in names}
    put_size = int(a.put_size_mib * MIB)
    put_total = a.put_objects * put_size
    biggest = max([put_total] + list(sizes.values()))
    free = shutil.disk_usage(base).free
    if free < 3 * biggest:
        sys.exit(f"only {free / 1e9:.1f} GB free under {base}, need {3 * biggest / 1e9:.1f}")
    pw = a.prewarm_gib if a.prewarm_gib is not None else 3 * biggest / GIB
    if pw > 0:
        print(f"pre-touched {pw:.1f} GiB of RAM in {prewarm_ram(pw, per_call):.1f} s", flush=True)

    firsts = {}   # (workload, tool) -> (tree, content line) of repeat 1

    def finish(key, d, rep, wall, cpu, fmt):
        """Common tail: sizes, sync time, first-repeat record, delete."""
        t = tree(d)
        nbytes = sum(t.values())
        sync_s = timed_sync()
        if rep == 0 and fmt:
            firsts[key] = (t, content_check(P["py"], fmt, d) if have_dlio else "")
        return {"bytes": nbytes, "files": sum(1 for p in t if not p.startswith("index/")), "wall": wall,
                "cpu": cpu, "sync_s": sync_s, "gbps": nbytes / wall / 1e9,
                "gbps_sync": nbytes / (wall + sync_s) / 1e9}

    def c_dlio(n, rep):
        def run():
            w = WORKLOADS[n]
            d, out = os.path.join(base, f"dlio-{n}-r{rep}"), os.path.join(base, f"dlio-out-{n}-r{rep}")
            env = dlio_env(P, pytorch=w["framework"] == "pytorch")
            mpi = (["mpirun", "-np", str(a.dlio_np), "--allow-run-as-root", "--oversubscribe"]
                   if a.dlio_np > 1 else [])
            cmd = mpi + [P["dlio"], f"--config-dir={conf}", f"workload=gen_{n}",
                         "++workload.workflow.generate_data=True", "++workload.workflow.train=False",
                         f"++workload.dataset.data_folder={d}", f"++hydra.run.dir={out}"]
            try:
                os.sync()
                t_start = time.time()
                p, wall, cpu = run_timed(cmd, per_call, env=env)
                check_rc(p, "dlio_benchmark ")
                err = p.stderr.decode(errors="replace")
                r = finish((n, "dlio"), d, rep, wall, cpu, w["format"])
                if r["files"] != w["files"]:
                    raise RuntimeError(f"DLIO wrote {r['files']} data files, expected {w['files']}")
                ph = dlio_phases(err, t_start, t_start + wall)
                if ph:
                    r.update(startup=ph[0], gen_s=ph[1], tail_s=ph[2], gen_gbps=r["bytes"] / ph[1] / 1e9)
                return r
            finally:
                remove(d, out)
        return run

    def c_mlstor(n, rep):
        def run():
            w = WORKLOADS[n]
            d = os.path.join(base, f"mlstor-{n}-r{rep}")
            cmd = [mbin, "generate", yamls[n], "--set", f"dataset.data_folder={d}", "--json"]
            if a.concurrency:
                cmd += ["--concurrency", str(a.concurrency)]
            try:
                os.sync()
                p, wall, cpu = run_timed(cmd, per_call)
                check_rc(p, "mlstor generate ")
                j = mlstor_json(p)
                r = finish((n, "mlstor"), d, rep, wall, cpu, w["format"])
                if r["files"] != w["files"] or int(j.get("files", -1)) != w["files"]:
                    raise RuntimeError(f"mlstor wrote {r['files']} data files (reported {j.get('files')}), "
                                       f"expected {w['files']}")
                r.update(self_s=float(j["seconds"]), self_gbps=float(j["gb_per_s"]))
                return r
            finally:
                remove(d)
        return run

    def c_put(rep):
        def run():
            d = os.path.join(base, f"put-r{rep}")
            os.makedirs(d)
            cmd = [mbin, "bench", "put", "file://" + d + "/", "-n", str(a.put_objects), "-s", str(put_size),
                   "-t", str(a.put_threads), "--json"]
            try:
                os.sync()
                p, wall, cpu = run_timed(cmd, per_call)
                check_rc(p, "mlstor bench put ")
                j = mlstor_json(p)
                r = finish(None, d, rep, wall, cpu, None)
                if r["bytes"] != put_total:
                    raise RuntimeError(f"bench put left {r['bytes']} bytes, expected {put_total}")
                r.update(self_s=float(j["seconds"]), self_gbps=float(j["gb_per_s"]))
                return r
            finally:
                remove(d)
        return run

    def c_dd(rep):
        def run():
            d = os.path.join(base, f"dd-r{rep}")
            os.makedirs(d)
            count = max(1, put_total // (16 * MIB))
            cmd = ["dd", "if=/dev/zero", f"of={d}/f", "bs=16M", f"count={count}", "oflag=direct"]
            try:
                os.sync()
                p, wall, cpu = run_timed(cmd, per_call)
                check_rc(p, "dd ")
                r = finish(None, d, rep, wall, cpu, None)
                m = re.search(r"copied, ([\d.]+) s", p.stderr.decode(errors="replace"))
                if m:
                    r.update(self_s=float(m.group(1)), self_gbps=r["bytes"] / float(m.group(1)) / 1e9)
                return r
            finally:
                remove(d)
        return run

    # ---- the round-robin plan
    plan, skipped = [], {}
    for n in names:
        if n in blocked:
            skipped[f"DLIO generate {n}"] = "BLOCKED: " + blocked[n]
        elif not have_dlio:
            skipped[f"DLIO generate {n}"] = dlio_note
        if not have_mlstor:
            skipped[f"mlstor generate {n}"] = "mlstor: " + mlstor_note
    if not have_mlstor:
        skipped["mlstor bench put"] = "mlstor: " + mlstor_note
    results, errors = {}, {}
    for rep in range(a.repeat):
        steps = []
        for n in names:
            pair = []
            if have_dlio and n not in blocked:
                pair.append((f"DLIO generate {n}", c_dlio(n, rep)))
            if have_mlstor:
                pair.append((f"mlstor generate {n}", c_mlstor(n, rep)))
            steps += pair if rep % 2 == 0 else pair[::-1]
        if have_mlstor:
            steps.append(("mlstor bench put", c_put(rep)))
        if not a.no_dd:
            steps.append(("dd oflag=direct", c_dd(rep)))
        for name, fn in steps:
            results.setdefault(name, [])
            if name not in plan:
                plan.append(name)
            measure(name, fn, results, errors,
                    lambda r: (f"  rep {rep + 1}: {name:26s} {r['gbps']:7.3f} GB/s  {r['bytes'] / 1e9:.3f} GB "
                               f"in {r['wall']:.2f} s  cpu {r['cpu']:.2f} s  (+sync {r['sync_s']:.2f} s)"
                               + (f"  DLIO start-up {r['startup']:.2f} s, generation {r['gen_s']:.2f} s"
                                  if "startup" in r else "")
                               + (f"  self-reported {r['self_gbps']:.3f} GB/s" if "self_gbps" in r else "")),
                    lambda err: f"  rep {rep + 1}: {name:26s} ERROR {one_line(err)}")

    # ---- same data set from both tools?
    for n in names:
        if (n, "dlio") in firsts and (n, "mlstor") in firsts:
            td, tm = firsts[(n, "dlio")][0], firsts[(n, "mlstor")][0]
            same_names = sorted(td) == sorted(tm)
            bd, bm = sum(td.values()), sum(tm.values())
            print(f"check {n}: same file names {'yes' if same_names else 'NO'}; bytes DLIO {bd} vs mlstor {bm} "
                  f"({(bm - bd) / bd * 100:+.3f}%)")
            print(f"  DLIO   {firsts[(n, 'dlio')][1]}\n  mlstor {firsts[(n, 'mlstor')][1]}")

    # ---- summary
    def med(name, key="gbps"):
        rs = results.get(name) or []
        vals = [r[key] for r in rs if key in r]
        return statistics.median(vals) if vals else None

    summary = {}
    print(f"\nGeneration and raw write, same file system ({fs}), median of {a.repeat} (GB = 1e9 B; "
          "GB/s over the whole process wall time)")
    print_table_header("contender", "files", "GB", "GB/s (median)", "min–max", "GB/s incl. sync", "CPU s/GB", "note")
    for name in plan:
        rs = results.get(name) or []
        if not rs:
            print(f"| {name} | | | error | | | | {one_line(errors.get(name, ''))} |")
            continue
        g = [r["gbps"] for r in rs]
        gb = statistics.median(r["bytes"] for r in rs) / 1e9
        s = {"median_gbps": statistics.median(g), "min_gbps": min(g), "max_gbps": max(g),
             "median_gbps_sync": med(name, "gbps_sync"), "cpu_s_per_gb": med(name, "cpu") / gb,
             "median_wall": med(name, "wall"), "runs": rs}
        note = [f"wall {s['median_wall']:.2f} s"]
        if med(name, "startup") is not None:
            s.update(median_startup=med(name, "startup"), median_gen_s=med(name, "gen_s"),
                     median_gen_gbps=med(name, "gen_gbps"))
            note.append(f"start-up {s['median_startup']:.2f} s, generation phase {s['median_gen_s']:.2f} s = "
                        f"{s['median_gen_gbps']:.3f} GB/s")
        elif name.startswith("DLIO"):
            note.append("phases not found in DLIO's log")
        if med(name, "self_gbps") is not None:
            s["median_self_gbps"] = med(name, "self_gbps")
            note.append(f"self-reported {s['median_self_gbps']:.3f} GB/s")
        if name in errors:
            note.append("ERROR in a later rep: " + one_line(errors[name]))
        summary[name] = s
        print(f"| {name} | {rs[0]['files']} | {gb:.3f} | {s['median_gbps']:.3f} | {s['min_gbps']:.3f}–"
              f"{s['max_gbps']:.3f} | {s['median_gbps_sync']:.3f} | {s['cpu_s_per_gb']:.2f} | {'; '.join(note)} |")
    for name, why in skipped.items():
        print(f"| {name} | | | skipped | | | | {why} |")

    def smed(name, key="median_gbps"):
        return summary[name].get(key) if name in summary else None

    goals = []
    print()
    for n in names:
        mg, dg = smed(f"mlstor generate {n}"), smed(f"DLIO generate {n}")
        dphase = smed(f"DLIO generate {n}", "median_gen_gbps")
        extra = f"  (vs DLIO's generation phase alone: {mg / dphase:.1f}x)" if mg and dphase else ""
        if n in blocked:
            line = f"mlstor generate / DLIO generate ({n}): BLOCKED ({blocked[n]})  goal >= 10"
            print(line)
            goals.append({"goal": f"mlstor generate / DLIO generate ({n})", "target": 10, "line": line,
                          "pass": None})
        else:
            ratio_goal(goals, f"mlstor generate / DLIO generate ({n})", mg, dg, 10, "mlstor generate",
                       "DLIO generate", nd=3, extra=extra)
        ratio_goal(goals, f"mlstor generate ({n}) / mlstor bench put", mg, smed("mlstor bench put"), 0.8,
                   "mlstor generate", "mlstor bench put", nd=3)
    if smed("dd oflag=direct") is not None and smed("mlstor bench put") is not None:
        print(f"(reference: dd oflag=direct {smed('dd oflag=direct'):.3f} GB/s = the device without the page "
              f"cache; mlstor bench put {smed('mlstor bench put'):.3f} GB/s, "
              f"{smed('mlstor bench put', 'median_gbps_sync'):.3f} GB/s incl. sync)")

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"workloads": {n: WORKLOADS[n] for n in names}, "repeat": a.repeat, "dir": base, "fs": fs,
                       "dlio": dlio_note, "mlstor": mlstor_note, "summary": summary, "errors": errors,
                       "skipped": skipped, "goals": goals}, f, indent=1)
    shutil.rmtree(base, ignore_errors=True)
    print(f"removed {base}")


if __name__ == "__main__":
    main()
