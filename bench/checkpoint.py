#!/usr/bin/env python3
"""Checkpoint benchmark: `mlstor run` save/restore vs the raw bandwidth of the same file system and
vs DLIO (mlperf_storage_v2.0) on the same llama3-8b-shaped checkpoint.

A benchmark, not a test: it prints numbers and PASS/MISS against the goals and exits 0 unless the
harness itself broke (a contender failing is reported, not fatal; 3 = watchdog).

Workload: MLPerf Storage's llama3_8b.yaml (ZeRO 3, TP 1, PP 1, fp16 model, fp32 optimizer,
fsync: True), scaled to this VM with `model.num_layers` (default 1) and `model.transformer.vocab_size`
(default 16000): on 2 ranks each rank writes a model shard and an optimizer shard, ~2.3 GiB per
rank (4.9 GB per checkpoint). The same YAML file goes to mlstor and DLIO.

Contenders, each in a fresh directory under --dir, deleted after (disk use stays at one of them):
  raw dd        `dd if=/dev/zero of=F bs=16M oflag=direct conv=fsync` then `dd if=F iflag=direct`, one
                process per rank in parallel, each the size of a rank's checkpoint; and one stream
  mlstor file   `mpirun -np R mlstor run W.yaml --set checkpoint.checkpoint_folder=file://DIR ...`:
                first num_checkpoints_write=N (saves; fsync as the YAML says), then, after evicting the
                files from the page cache, num_checkpoints_read=N in a second run (restores)
  mlstor direct the same on direct:// (O_DIRECT; no page cache to evict)
  mlstor compat the same on file:// with --dlio-compat (no fsync: DLIO v2.0 never fsyncs)
  DLIO          `mpirun -np R dlio_benchmark --config-dir CONF workload=W ++workload.checkpoint...`,
                saves then restores in two runs as above, from the venv of generate.py --setup

Figures (GB = 1e9 bytes):
  mlstor GB/s   all ranks' bytes of a checkpoint over the slowest rank's time (mean over checkpoints;
                mlstor's own report); also DLIO's formula for it (rank 0's time, converted from GiB/s)
  DLIO GB/s     summary.json's save/load_checkpoint_io_mean_GB_per_second (DLIO: whole checkpoint GiB
                over rank 0's time) x 1.073741824
  raw GB/s      all bytes over the wall time of the parallel dd processes
Goals: mlstor save and restore >= 0.9 x raw on file:// and direct:// (against the raw figures of the
whole run, and against the dd run next to each mlstor run); mlstor (--dlio-compat, and by default)
>= DLIO, both by DLIO's formula.

Usage:
  python3 bench/generate.py --setup                  # the DLIO venv (once; shared with generate.py)
  python3 bench/checkpoint.py [--dir DIR] [--ranks 2] [--checkpoints 1] [--layers 1] [--vocab 16000]
      [--repeat 3] [--no-dlio] [--timeout 3600] [--json-out results.json]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (GIB, ROOT, check_rc, is_executable, measure, mlstor_bin, mlstor_json,  # noqa: E402
                    print_table_header, ratio_goal, run_timed, start_watchdog)
from dlio_env import dlio_env, dlio_paths, write_config, write_shims  # noqa: E402  (the venv of generate.py --setup)

GIB_TO_GB = GIB / 1e9
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def workload_yaml(layers, vocab):
    """llama3_8b.yaml with the scaling overrides applied (the one file both tools read)."""
    with open(os.path.join(ROOT, "workloads", "llama3_8b.yaml")) as f:
        text = f.read()
    text = text.replace("num_layers: 32", f"num_layers: {layers}")
    text = text.replace("vocab_size: 128256", f"vocab_size: {vocab}")
    text = text.replace("name: llama_8b", "name: ckpt_llama8b")
    # v3.0's file sets parallelism.data in the default checkpoint mode, which DLIO's own
    # validate() refuses (mlstor derives it from the ranks): drop it for both tools.
    text = text.replace("    data: 1\n", "")
    assert f"num_layers: {layers}" in text and f"vocab_size: {vocab}" in text
    assert "data:" not in text
    return text


def write_conf(conf, yaml_text):
    write_config(conf, "ckpt_llama8b")
    path = os.path.join(conf, "workload", "ckpt_llama8b.yaml")
    with open(path, "w") as f:
        f.write(yaml_text)
    return path


def files_under(d):
    out = []
    for dp, _, fns in os.walk(d):
        out.extend(os.path.join(dp, fn) for fn in fns)
    return sorted(out)


def evict(d):
    """Writes back and drops the page cache of every file under d (only these files), so a
    restore reads the device; untimed."""
    os.sync()
    for p in files_under(d):
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def cached_fraction(d):
    """Share of the bytes under d in the page cache (util-linux fincore), or None."""
    fs = files_under(d)
    if not fs or not shutil.which("fincore"):
        return None
    r = subprocess.run(["fincore", "-b", "-n", "-o", "RES,SIZE"] + fs, stdout=subprocess.PIPE, text=True)
    res = size = 0
    for line in r.stdout.split("\n"):
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            res += int(parts[0])
            size += int(parts[1])
    return res / size if size else None


def remove(d):
    shutil.rmtree(d, ignore_errors=True)
    os.sync()


def mpirun(np_):
    return ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(np_)]


# ----------------------------------------------------------------------------- contenders
def raw_dd(base, ranks, per_rank_bytes, streams, timeout):
    """`streams` dd processes in parallel, each writing then reading per_rank_bytes * ranks / streams."""
    d = os.path.join(base, "raw")
    os.makedirs(d, exist_ok=True)
    bs = 16 << 20
    count = -(-per_rank_bytes * ranks // streams // bs)
    paths = [os.path.join(d, f"f{i}") for i in range(streams)]
    out = {}
    for what, cmd in (("write", lambda p: ["dd", "if=/dev/zero", f"of={p}", f"bs={bs}", f"count={count}",
                                            "oflag=direct", "conv=fsync", "status=none"]),
                      ("read", lambda p: ["dd", f"if={p}", "of=/dev/null", f"bs={bs}", "iflag=direct",
                                          "status=none"])):
        os.sync()
        t0 = time.perf_counter()
        procs = [subprocess.Popen(cmd(p), stderr=subprocess.PIPE) for p in paths]
        errs = [p.communicate(timeout=timeout)[1] for p in procs]
        wall = time.perf_counter() - t0
        for p, e in zip(procs, errs):
            if p.returncode != 0:
                raise RuntimeError(f"dd {what} rc={p.returncode}: {e.decode(errors='replace')[-300:]}")
        out[what] = count * bs * streams / 1e9 / wall
    remove(d)
    return {"gbps": out["write"], "write_gbps": out["write"], "read_gbps": out["read"]}


def mlstor_run(yaml_path, folder, ranks, n, write, extra, timeout):
    """One `mlstor run`: N saves (write=True) or N restores; -> (summary phase, cpu s, wall s)."""
    sets = ["--set", f"checkpoint.checkpoint_folder={folder}",
            "--set", f"checkpoint.num_checkpoints_write={n if write else 0}",
            "--set", f"checkpoint.num_checkpoints_read={0 if write else n}",
            "--set", "checkpoint.time_between_checkpoints=0"]
    cmd = mpirun(ranks) + [mlstor_bin(), "run", yaml_path, "--json", "--results-dir",
                           os.path.join(os.path.dirname(folder.split("://", 1)[1]), "results")] + sets + extra
    p, wall, cpu = run_timed(cmd, timeout, env=dict(os.environ, **MPI_ENV))
    check_rc(p, "mlstor run ")
    v = mlstor_json(p, "mlstor run ")
    return v, cpu, wall


def dd_read_files(groups, timeout):
    """`dd iflag=direct` of every file, one stream per group (a rank's files, in turn) -> GB/s."""
    os.sync()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(["sh", "-c", " && ".join(
        f"dd if='{f}' of=/dev/null bs=16M iflag=direct status=none" for f in g)], stderr=subprocess.PIPE)
        for g in groups if g]
    errs = [p.communicate(timeout=timeout)[1] for p in procs]
    wall = time.perf_counter() - t0
    for p, e in zip(procs, errs):
        if p.returncode != 0:
            raise RuntimeError(f"dd read rc={p.returncode}: {e.decode(errors='replace')[-300:]}")
    return sum(os.path.getsize(f) for g in groups for f in g) / 1e9 / wall


def rank_groups(d, ranks):
    """The checkpoint files under d grouped by the data-parallel rank in their names."""
    groups = [[] for _ in range(ranks)]
    for i, f in enumerate(files_under(d)):
        m = re.search(r"zero_pp_rank_(\d+)_", os.path.basename(f))
        groups[(int(m.group(1)) if m else i) % ranks].append(f)
    return groups


def c_mlstor(base, yaml_path, ranks, per_rank, n, scheme, extra, timeout):
    """dd write (next to it in time), mlstor saves, eviction, dd read of mlstor's own files,
    mlstor restores."""
    d = os.path.join(base, f"mlstor-{scheme}")
    folder = f"{'direct' if scheme == 'direct' else 'file'}://{d}"
    try:
        raw_w = raw_dd(base, ranks, per_rank, ranks, timeout)["write_gbps"]
        v, cpu_w, _ = mlstor_run(yaml_path, folder, ranks, n, True, extra, timeout)
        save = v["checkpoint"]["save"]
        cached = None
        if scheme != "direct":
            evict(d)
            cached = cached_fraction(d)
        raw_r = dd_read_files(rank_groups(os.path.join(d, "global_epoch1_step1"), ranks), timeout)
        if scheme != "direct":
            evict(d)
        r, cpu_r, _ = mlstor_run(yaml_path, folder, ranks, n, False, extra, timeout)
        restore = r["checkpoint"]["restore"]
        nbytes = v["checkpoint"]["bytes_per_checkpoint"] * n
        return {
            "gbps": save["gb_per_second"]["mean"],
            "save_gbps": save["gb_per_second"]["mean"], "restore_gbps": restore["gb_per_second"]["mean"],
            "raw_write_next_gbps": raw_w, "raw_read_same_files_gbps": raw_r,
            "save_vs_raw": save["gb_per_second"]["mean"] / raw_w,
            "restore_vs_raw": restore["gb_per_second"]["mean"] / raw_r,
            "save_dlio_gbps": save["dlio_gb_per_second"]["mean"] * GIB_TO_GB,
            "restore_dlio_gbps": restore["dlio_gb_per_second"]["mean"] * GIB_TO_GB,
            "fsync": v["checkpoint"]["fsync"], "cached_before_restore": cached,
            "save_cpu_s_per_gb": cpu_w / (nbytes / 1e9), "restore_cpu_s_per_gb": cpu_r / (nbytes / 1e9),
            "save_p99_ms": save["latency"]["p99_ms"], "restore_p99_ms": restore["latency"]["p99_ms"],
            "bytes_per_checkpoint": v["checkpoint"]["bytes_per_checkpoint"],
            "checkpoint_size_GB": v["metric"]["checkpoint_size_GB"],
        }
    finally:
        remove(d)


def dlio_run(P, conf, folder, out, ranks, n, write, timeout):
    args = [f"++workload.checkpoint.checkpoint_folder={folder}",
            f"++workload.checkpoint.num_checkpoints_write={n if write else 0}",
            f"++workload.checkpoint.num_checkpoints_read={0 if write else n}",
            "++workload.checkpoint.time_between_checkpoints=0", f"++hydra.run.dir={out}"]
    cmd = mpirun(ranks) + [P["dlio"], f"--config-dir={conf}", "workload=ckpt_llama8b"] + args
    p, wall, cpu = run_timed(cmd, timeout, env=dlio_env(P))
    check_rc(p, "dlio_benchmark ")
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)["metric"], cpu, wall


def c_dlio(P, conf, base, ranks, n, timeout):
    d = os.path.join(base, "dlio")
    try:
        m, cpu_w, _ = dlio_run(P, conf, d, os.path.join(base, "dlio-out-w"), ranks, n, True, timeout)
        evict(d)
        cached = cached_fraction(d)
        nbytes = m["checkpoint_size_GB"] * GIB * n
        r, cpu_r, _ = dlio_run(P, conf, d, os.path.join(base, "dlio-out-r"), ranks, n, False, timeout)
        return {
            "gbps": m["save_checkpoint_io_mean_GB_per_second"] * GIB_TO_GB,
            "save_gbps": m["save_checkpoint_io_mean_GB_per_second"] * GIB_TO_GB,
            "restore_gbps": r["load_checkpoint_io_mean_GB_per_second"] * GIB_TO_GB,
            "cached_before_restore": cached, "checkpoint_size_GB": m["checkpoint_size_GB"],
            "save_cpu_s_per_gb": cpu_w / (nbytes / 1e9), "restore_cpu_s_per_gb": cpu_r / (nbytes / 1e9),
            "bytes_on_disk": sum(os.path.getsize(p) for p in files_under(d)),
        }
    finally:
        for x in (d, os.path.join(base, "dlio-out-w"), os.path.join(base, "dlio-out-r")):
            remove(x)


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/tmp/mlstor-bench-checkpoint")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--checkpoints", type=int, default=1, help="checkpoints written, then read back")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=16000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-dlio", action="store_true")
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--json-out")
    a = ap.parse_args()
    start_watchdog(a.timeout + 60)

    base = os.path.abspath(a.dir)
    if os.path.exists(base):
        sys.exit(f"{base} exists; give a fresh --dir (it is deleted afterwards)")
    conf = os.path.join(base, "conf")
    yaml_path = write_conf(conf, workload_yaml(a.layers, a.vocab))
    P = dlio_paths(os.environ.get("DLIO_ROOT", "/tmp/dlio-anchor"))
    have_mlstor = is_executable(mlstor_bin())
    have_dlio = not a.no_dlio and is_executable(P["dlio"])
    if have_dlio:
        write_shims(P)
    usage = shutil.disk_usage(base)
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GIB:.1f} GiB RAM; "
          f"{base}: {usage.free / GIB:.0f} GiB free")
    print(f"workload: llama3_8b.yaml with num_layers {a.layers}, vocab_size {a.vocab}; {a.ranks} ranks; "
          f"{a.checkpoints} checkpoints written then read back; repeat {a.repeat}")
    if not have_mlstor:
        print(f"mlstor: not built ({mlstor_bin()}), skipped")
    if not have_dlio:
        print("DLIO: " + ("--no-dlio" if a.no_dlio else f"not installed ({P['dlio']}; run generate.py --setup)") + ", skipped")

    per_rank = None
    if have_mlstor:
        p = subprocess.run([mlstor_bin(), "run", yaml_path, "--json", "--results-dir", os.path.join(base, "plan"),
                            "--set", f"checkpoint.checkpoint_folder=file://{base}/plan-ckpt",
                            "--set", "checkpoint.num_checkpoints_write=0",
                            "--set", "checkpoint.num_checkpoints_read=0"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, OMPI_COMM_WORLD_SIZE="1"))
        check_rc(p, "mlstor plan ")
        total = json.loads(p.stdout.decode().splitlines()[-1])["per_rank"][0]["total_bytes_per_checkpoint"]
        per_rank = total // a.ranks
        print(f"checkpoint: {total / 1e9:.2f} GB ({total / GIB:.2f} GiB), {per_rank / GIB:.2f} GiB per rank")
        need = total * (a.checkpoints + 1) * 1.1
        if usage.free < need:
            sys.exit(f"not enough disk: {need / GIB:.1f} GiB needed under {base}")

    results = {k: [] for k in ["dd", "dd1", "file", "direct", "compat", "dlio"]}
    errors = {}
    for rep in range(a.repeat):
        print(f"--- repeat {rep + 1}/{a.repeat}", flush=True)
        if per_rank:
            measure("dd", lambda: raw_dd(base, a.ranks, per_rank, a.ranks, a.timeout), results, errors,
                    lambda r: f"raw dd x{a.ranks}: write {r['write_gbps']:.3f} GB/s, read {r['read_gbps']:.3f} GB/s",
                    lambda e: f"raw dd: {e}")
            measure("dd1", lambda: raw_dd(base, a.ranks, per_rank, 1, a.timeout), results, errors,
                    lambda r: f"raw dd x1: write {r['write_gbps']:.3f} GB/s, read {r['read_gbps']:.3f} GB/s",
                    lambda e: f"raw dd x1: {e}")
        if have_mlstor:
            for key, scheme, extra in (("file", "file", []), ("direct", "direct", []),
                                       ("compat", "file", ["--dlio-compat"])):
                measure(key, lambda: c_mlstor(base, yaml_path, a.ranks, per_rank, a.checkpoints, scheme, extra,
                                              a.timeout),
                        results, errors,
                        lambda r, k=key: (f"mlstor {k}: save {r['save_gbps']:.3f} GB/s (fsync {r['fsync']}; dd write "
                                          f"just before {r['raw_write_next_gbps']:.3f}), restore "
                                          f"{r['restore_gbps']:.3f} GB/s (dd of the same files {r['raw_read_same_files_gbps']:.3f}; "
                                          f"cached before: {r['cached_before_restore']}); "
                                          f"CPU s/GB {r['save_cpu_s_per_gb']:.2f} / {r['restore_cpu_s_per_gb']:.2f}"),
                        lambda e, k=key: f"mlstor {k}: {e}")
        if have_dlio:
            measure("dlio", lambda: c_dlio(P, conf, base, a.ranks, a.checkpoints, a.timeout), results, errors,
                    lambda r: (f"DLIO: save {r['save_gbps']:.3f} GB/s, restore {r['restore_gbps']:.3f} GB/s "
                               f"(cached before: {r['cached_before_restore']}); CPU s/GB "
                               f"{r['save_cpu_s_per_gb']:.2f} / {r['restore_cpu_s_per_gb']:.2f}"),
                    lambda e: f"DLIO: {e}")

    def med(key, field):
        v = [r[field] for r in results[key] if r.get(field) is not None]
        return statistics.median(v) if v else None

    print()
    print_table_header("contender", "save GB/s", "restore GB/s", "save CPU s/GB", "restore CPU s/GB", "fsync")
    rows = [("raw dd (parallel, O_DIRECT)", "dd", "write_gbps", "read_gbps"),
            ("raw dd (one stream, O_DIRECT)", "dd1", "write_gbps", "read_gbps"),
            ("mlstor file://", "file", "save_gbps", "restore_gbps"),
            ("mlstor direct://", "direct", "save_gbps", "restore_gbps"),
            ("mlstor file:// --dlio-compat", "compat", "save_gbps", "restore_gbps"),
            ("DLIO", "dlio", "save_gbps", "restore_gbps")]
    for label, key, s, r in rows:
        if not results[key]:
            print(f"| {label} | {errors.get(key, 'not run')} | | | | |")
            continue
        fmt = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
        fsync = {"dd": "yes (conv=fsync)", "dd1": "yes (conv=fsync)", "dlio": "no (DLIO v2.0)"}.get(
            key, str(results[key][0].get("fsync")))
        print(f"| {label} | {fmt(med(key, s))} | {fmt(med(key, r))} | {fmt(med(key, 'save_cpu_s_per_gb'))} | "
              f"{fmt(med(key, 'restore_cpu_s_per_gb'))} | {fsync} |")
    print()
    goals = []
    raw_w = max(filter(None, [med("dd", "write_gbps"), med("dd1", "write_gbps")]), default=None)
    raw_r = max(filter(None, [med("dd", "read_gbps"), med("dd1", "read_gbps")]), default=None)
    for key, label in (("file", "file://"), ("direct", "direct://")):
        ratio_goal(goals, f"mlstor save {label} / raw dd write", med(key, "save_gbps"), raw_w, 0.9,
                   "mlstor", "raw dd", 3)
        ratio_goal(goals, f"mlstor restore {label} / raw dd read", med(key, "restore_gbps"), raw_r, 0.9,
                   "mlstor", "raw dd", 3)
        # The same, against dd run right next to each mlstor run (write: just before the saves;
        # read: mlstor's own checkpoint files): median of the per-repeat ratios.
        for what, field in (("save", "save_vs_raw"), ("restore", "restore_vs_raw")):
            r = med(key, field)
            line = (f"mlstor {what} {label} / adjacent dd: " + ("n/a" if r is None else
                    f"{r:.2f}x (median of {len(results[key])} repeat(s))  goal >= 0.9  {'PASS' if r >= 0.9 else 'MISS'}"))
            print(line)
            goals.append({"goal": f"mlstor {what} {label} / adjacent dd", "target": 0.9, "line": line,
                          "pass": None if r is None else r >= 0.9})
    # Against DLIO, both sides by DLIO's formula (checkpoint size over rank 0's time).
    ratio_goal(goals, "mlstor --dlio-compat save / DLIO save", med("compat", "save_dlio_gbps"),
               med("dlio", "save_gbps"), 1.0, "mlstor", "DLIO", 3)
    ratio_goal(goals, "mlstor --dlio-compat restore / DLIO restore", med("compat", "restore_dlio_gbps"),
               med("dlio", "restore_gbps"), 1.0, "mlstor", "DLIO", 3)
    ratio_goal(goals, "mlstor file:// save (fsync, unique data) / DLIO save (no fsync)", med("file", "save_dlio_gbps"),
               med("dlio", "save_gbps"), 1.0, "mlstor", "DLIO", 3)
    ratio_goal(goals, "mlstor file:// restore / DLIO restore", med("file", "restore_dlio_gbps"),
               med("dlio", "restore_gbps"), 1.0, "mlstor", "DLIO", 3)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"results": results, "errors": errors, "goals": goals, "args": vars(a)}, f, indent=2)
    remove(base)
    print(f"removed {base}")


if __name__ == "__main__":
    main()
