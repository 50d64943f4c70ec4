#!/usr/bin/env python3
"""file:// GET benchmark: mlstor vs `cat` vs s3dlio, on the SAME files, hot page cache.

A benchmark, not a test: it prints numbers and PASS/MISS against the goals, and always exits 0
unless something broke (a contender failing is reported, not fatal).

Contenders (each run --repeat times, interleaved round-robin so drift hits all alike):
  cat              `cat FILES > /dev/null`, one process, wall time around the subprocess
  mlstor get       `mlstor bench get file://DIR/ --json`        (fresh Bytes per object)
  mlstor get_into  `mlstor bench get file://DIR/ --into --json` (per-worker reused buffer)
  s3dlio get_many  s3dlio.get_many(uris, max_in_flight=T) in a child Python process
  s3dlio get (seq) [s3dlio.get(u) for u in uris], reference only (--no-s3dlio-seq to skip)

Goals printed with PASS/MISS:
  mlstor get      / s3dlio get_many >= 2.0
  mlstor get_into / cat             >= 0.9

GB = 1e9 bytes.  GB/s per contender = median over the repeats.
  * cat: bytes / wall seconds of the whole `cat` process (its start-up is ~1 ms).
  * mlstor: bytes / the "seconds" mlstor reports for its read phase (the outer wall time of
    the process is printed too).  mlstor's own reported byte count must equal N*size.
  * s3dlio: bytes / perf_counter around the call inside the child (import + runtime init outside).
CPU s/GB: cat and mlstor = getrusage(RUSAGE_CHILDREN) delta around the subprocess (whole
process); mlstor's self-reported cpu_seconds is shown as well when the two differ by > 20%.
s3dlio = getrusage(RUSAGE_SELF) delta around the call inside the child (as anchor_s3dlio_bench.py).

Files: DIR/obj-000000 .. (the naming mlstor uses for URI_PREFIX/obj-NNNNNN).  They are written
once, by `mlstor bench put` when the binary exists, else by Python (os.urandom), then fsync'd
(sync) and read once with cat to warm the page cache.

Usage:
  target/bench-venv/bin/python bench/file_get.py [--dir /tmp/mlstor-bench-file] [--objects 64]
      [--size-mib 16] [--concurrency 8] [--repeat 3] [--keep] [--json-out results.json]
  MLSTOR_BIN overrides the binary path (default <repo>/target/release/mlstor).
"""
import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (MIB, check_rc, gbps_stats, is_executable, measure, mlstor_bin, mlstor_json,  # noqa: E402
                    obj_name, parse_json_line, prewarm_ram, print_table_header, ratio_goal, run_timed,
                    rusage_self, start_watchdog)


# ----------------------------------------------------------------------------- child: s3dlio
def child_s3dlio(mode, uris, size, conc, sample):
    """Runs in a fresh Python process; prints one JSON line."""
    import s3dlio

    # initialise the runtime / store cache outside the timed region without reading data
    s3dlio.exists(uris[0])
    c0, t0 = rusage_self(), time.perf_counter()
    if mode == "many":
        got = s3dlio.get_many(uris, max_in_flight=conc)
        views = {u: v for u, v in got}
        nbytes = sum(len(v) for v in views.values())
    else:  # sequential; each result dropped at once (like a streaming consumer)
        nbytes = 0
        views = {}
        for u in uris:
            v = s3dlio.get(u)
            nbytes += len(v)
            if u in sample:
                views[u] = v
    dt = time.perf_counter() - t0
    cpu = rusage_self() - c0
    bad = [u for u in (views if mode == "many" else [])
           if len(views[u]) != size]
    mism = [u for u, h in sample.items() if hashlib.md5(memoryview(views[u])).hexdigest() != h]
    print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "bytes": nbytes,
                      "short": bad[:3], "hash_mismatch": mism}))


# ----------------------------------------------------------------------------- helpers
def write_files_python(d, n, size):
    chunk = 16 * MIB
    for i in range(n):
        path = os.path.join(d, obj_name(i))
        with open(path, "wb") as f:
            left = size
            while left:
                k = min(chunk, left)
                f.write(os.urandom(k))
                left -= k


def files_ok(paths, size):
    return all(os.path.isfile(p) and os.path.getsize(p) == size for p in paths)


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "mlstor-bench-file"))
    ap.add_argument("--objects", type=int, default=64)
    ap.add_argument("--size-mib", type=float, default=16)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the files at the end (default: delete if we wrote them)")
    ap.add_argument("--no-s3dlio-seq", action="store_true", help="skip the sequential s3dlio reference")
    ap.add_argument("--prewarm-gib", type=float, default=None,
                    help="touch this much RAM once in a throw-away child before timing (default 3x the data "
                         "set; 0 = off). On VMs the first touch of never-used guest RAM is slow and would "
                         "otherwise land on whichever contender allocates fresh memory first.")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--timeout", type=int, default=900, help="global watchdog, seconds")
    ap.add_argument("--child-s3dlio", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()

    N, T = a.objects, a.concurrency
    SIZE = int(a.size_mib * MIB)
    d = os.path.abspath(a.dir)
    paths = [os.path.join(d, obj_name(i)) for i in range(N)]
    uris = ["file://" + p for p in paths]

    if a.child_s3dlio:
        spec = json.loads(os.environ["MLSTOR_BENCH_SAMPLE"])
        child_s3dlio(a.child_s3dlio, uris, SIZE, T, spec)
        return

    start_watchdog(a.timeout)
    per_call_timeout = max(60, a.timeout // 4)

    total = N * SIZE
    GB = total / 1e9
    prefix = "file://" + d + "/"
    mbin = mlstor_bin()
    have_mlstor = is_executable(mbin)
    try:
        import s3dlio  # noqa: F401
        have_s3dlio = True
        s3dlio_ver = getattr(s3dlio, "__version__", "?")
    except Exception as e:  # noqa: BLE001
        have_s3dlio = False
        s3dlio_ver = f"not importable ({type(e).__name__}: {e})"

    print(f"file_get: {N} x {SIZE / MIB:g} MiB = {GB:.3f} GB in {d}, concurrency {T}, repeat {a.repeat}; "
          f"{os.cpu_count()} CPUs, {platform.platform()}")
    print(f"mlstor: {mbin if have_mlstor else 'not built, skipped'}   s3dlio: {s3dlio_ver}", flush=True)

    # ---- write the files once
    os.makedirs(d, exist_ok=True)
    wrote = False
    if not files_ok(paths, SIZE):
        wrote = True
        t0 = time.perf_counter()
        how = "python os.urandom"
        if have_mlstor:
            cmd = [mbin, "bench", "put", prefix, "--objects", str(N), "--size", str(SIZE),
                   "--concurrency", str(T), "--json"]
            p, wall, _ = run_timed(cmd, per_call_timeout)
            if p.returncode == 0 and files_ok(paths, SIZE):
                how = "mlstor bench put"
            else:
                print(f"  mlstor bench put failed (rc={p.returncode}) or wrote other names; "
                      f"stderr: {p.stderr.decode(errors='replace')[-400:]!r}; falling back to python")
        if how.startswith("python"):
            write_files_python(d, N, SIZE)
        os.sync()
        print(f"wrote {N} files with {how} in {time.perf_counter() - t0:.1f} s (incl. sync)")
    else:
        print("reusing existing files of the right size")
    assert files_ok(paths, SIZE), "files missing or of the wrong size"

    # reference hashes of two objects for the s3dlio checks (outside any timing)
    sample = {}
    for i in sorted({0, N - 1}):
        with open(paths[i], "rb") as f:
            sample[uris[i]] = hashlib.md5(f.read()).hexdigest()

    # ---- pre-touch RAM (see --prewarm-gib)
    pw = a.prewarm_gib if a.prewarm_gib is not None else 3 * total / (1 << 30)
    if pw > 0:
        dt = prewarm_ram(pw, per_call_timeout)
        print(f"pre-touched {pw:.1f} GiB of RAM in {dt:.1f} s")

    # ---- warm the page cache
    t0 = time.perf_counter()
    subprocess.run(["cat", *paths], stdout=subprocess.DEVNULL, check=True)
    print(f"warm-up cat pass: {GB / (time.perf_counter() - t0):.2f} GB/s", flush=True)

    # ---- contenders
    def c_cat():
        p, wall, cpu = run_timed(["cat", *paths], per_call_timeout, stdout=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError(f"cat rc={p.returncode}: {p.stderr[-300:]!r}")
        return {"gbps": GB / wall, "wall": wall, "cpu": cpu}

    def c_mlstor(into):
        def run():
            cmd = [mbin, "bench", "get", prefix, "--objects", str(N), "--size", str(SIZE),
                   "--concurrency", str(T)] + (["--into"] if into else []) + ["--json"]
            p, wall, cpu = run_timed(cmd, per_call_timeout)
            check_rc(p)
            j = mlstor_json(p)
            if int(j.get("bytes", -1)) != total:
                raise RuntimeError(f"mlstor reported bytes={j.get('bytes')} != {total}")
            secs = float(j["seconds"])
            r = {"gbps": total / secs / 1e9, "wall": wall, "outer_gbps": GB / wall, "cpu": cpu,
                 "self_cpu": j.get("cpu_seconds"), "self_gbps": j.get("gb_per_s"),
                 "p50_ms": (j.get("latency_ms") or {}).get("p50"),
                 "p99_ms": (j.get("latency_ms") or {}).get("p99")}
            sc = r["self_cpu"]
            if sc is not None and cpu > 0 and abs(sc - cpu) / cpu > 0.2:
                r["cpu_note"] = f"self-reported cpu {sc:.3f}s vs rusage {cpu:.3f}s"
            return r
        return run

    def c_s3dlio(mode):
        def run():
            env = dict(os.environ, MLSTOR_BENCH_SAMPLE=json.dumps(sample))
            cmd = [sys.executable, os.path.abspath(__file__), "--child-s3dlio", mode, "--dir", d,
                   "--objects", str(N), "--size-mib", str(a.size_mib), "--concurrency", str(T)]
            p, wall, _ = run_timed(cmd, per_call_timeout, env=env)
            check_rc(p)
            j = parse_json_line(p.stdout)
            if j["bytes"] != total or j["short"] or j["hash_mismatch"]:
                raise RuntimeError(f"bad read: bytes={j['bytes']} short={j['short']} mism={j['hash_mismatch']}")
            return {"gbps": total / j["seconds"] / 1e9, "wall": j["seconds"], "cpu": j["cpu_seconds"]}
        return run

    contenders = [("cat", c_cat)]
    skipped = {}
    if have_mlstor:
        contenders += [("mlstor get", c_mlstor(False)), ("mlstor get_into", c_mlstor(True))]
    else:
        skipped["mlstor get"] = skipped["mlstor get_into"] = "mlstor: not built, skipped"
    if have_s3dlio:
        contenders.append((f"s3dlio get_many({T})", c_s3dlio("many")))
        if not a.no_s3dlio_seq:
            contenders.append(("s3dlio get (sequential)", c_s3dlio("seq")))
    else:
        skipped["s3dlio"] = "s3dlio not importable, skipped (run bench/setup.sh and use its python)"

    results = {name: [] for name, _ in contenders}
    errors = {}
    for rep in range(a.repeat):
        for name, fn in contenders:
            measure(name, fn, results, errors,
                    lambda r: (f"  rep {rep + 1}: {name:26s} {r['gbps']:7.3f} GB/s  cpu {r['cpu']:.3f} s"
                               + (f"  ({r['cpu_note']})" if r.get("cpu_note") else "")),
                    lambda err: f"  rep {rep + 1}: {name:26s} ERROR {err}")

    # ---- summary
    summary = {}
    for name, _ in contenders:
        rs = results[name]
        if not rs:
            continue
        s = {**gbps_stats(rs), "cpu_s_per_gb": statistics.median(r["cpu"] for r in rs) / GB, "runs": rs}
        if "outer_gbps" in rs[0]:
            s["outer_median_gbps"] = statistics.median(r["outer_gbps"] for r in rs)
        summary[name] = s

    print(f"\n{N} x {SIZE / MIB:g} MiB, file://, hot page cache, concurrency {T}, median of {a.repeat} "
          f"(GB = 1e9 B)")
    print_table_header("contender", "GB/s (median)", "min–max", "CPU s/GB", "note")
    for name, _ in contenders:
        if name in summary:
            s = summary[name]
            note = []
            if "outer_median_gbps" in s:
                note.append(f"whole process {s['outer_median_gbps']:.2f} GB/s")
            if any(r.get("cpu_note") for r in s["runs"]):
                selfc = statistics.median(r["self_cpu"] for r in s["runs"]) / GB
                note.append(f"self-reported CPU {selfc:.3f} s/GB differs > 20% from rusage")
            if name in errors:
                note.append("ERROR in a later rep: " + errors[name])
            print(f"| {name} | {s['median_gbps']:.3f} | {s['min_gbps']:.2f}–{s['max_gbps']:.2f} | "
                  f"{s['cpu_s_per_gb']:.3f} | {'; '.join(note)} |")
        else:
            print(f"| {name} | error | | | {errors.get(name, '')} |")
    for name, why in skipped.items():
        print(f"| {name} | skipped | | | {why} |")

    def med(name):
        return summary[name]["median_gbps"] if name in summary else None

    goals = []
    print()
    ratio_goal(goals, "mlstor get / s3dlio get_many", med("mlstor get"), med(f"s3dlio get_many({T})"), 2.0,
               "mlstor get", "s3dlio get_many", nd=3)
    ratio_goal(goals, "mlstor get_into / cat", med("mlstor get_into"), med("cat"), 0.9, "mlstor get_into", "cat",
               nd=3)

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"objects": N, "size": SIZE, "concurrency": T, "repeat": a.repeat, "dir": d,
                       "summary": summary, "errors": errors, "skipped": skipped, "goals": goals}, f, indent=1)

    if wrote and not a.keep:
        for path in paths:
            try:
                os.unlink(path)
            except OSError:
                pass
        try:
            os.rmdir(d)  # only if now empty
        except OSError:
            pass
        print(f"removed the {N} files in {d}")


if __name__ == "__main__":
    main()
