#!/usr/bin/env python3
"""Data generation benchmark: mlstor datagen vs dgen-py (and s3dlio), same run, same machine.

A benchmark, not a test: it prints numbers and PASS/MISS against the goals, and always exits 0
unless something broke (a contender failing is reported, not fatal; exit 3 on the watchdog).

For every threads T in --threads (default 1,2) and (dedup D, compress C) in --dc (default 1:1,2:3):
  stream   S bytes (--stream-gib, default 4 GiB) generated chunk by chunk into ONE reused 32 MiB
           buffer (--chunk-mib).
             mlstor   `mlstor datagen --size S --dedup D --compress C --threads T --chunk 32MiB --json`
             dgen-py  Generator(S, dedup_ratio=D, compress_ratio=C, max_threads=T, chunk_size=32 MiB);
                      gen.fill_chunk(buf) into one pre-touched bytearray until is_complete()
             s3dlio   Generator(S, dedup=D, compress=C, threads=T, chunk_size=32 MiB), same loop
  oneshot  one fresh buffer of O bytes (--oneshot-gib, default 1 GiB).
             mlstor   `mlstor datagen --size O ... --threads T --oneshot --json`
             dgen-py  generate_buffer(O, D, C, max_threads=T)   (= dgen_py.generate_data)
             s3dlio   generate_data_with_threads(O, dedup=D, compress=C, threads=T)
  ceiling  memset / memcpy bandwidth of the machine in this run: `mlstor datagen --size 1GiB
           --threads T --ceiling --json` (T threads over a 32 MiB buffer), plus numpy fill/copyto
           on one core as a cross-check (--no-numpy to skip).

Threads and pinning.  dgen-py and s3dlio ignore their thread argument in the one-shot call (the
wheels are built without the NUMA feature; measured ~1.8 cores busy with max_threads=1 on 2 CPUs)
and size a process-global Rayon pool from DGEN_THREADS / RAYON_NUM_THREADS / the CPU affinity.
So every contender's process (mlstor included) is pinned to the first T CPUs of this process's
affinity and gets DGEN_THREADS=RAYON_NUM_THREADS=T (--no-pin turns that off; then the "per core"
figures of the peers' one-shot call are flattering, check the "cores used" column).
"GB/s per core" = GB/s / T.  "cores used" = CPU seconds / wall seconds of the timed region.

Goals printed with PASS/MISS (per (D,C) and per T):
  stream : mlstor GB/s per core >= 2.0x dgen-py GB/s per core
  oneshot: mlstor GB/s per core >= 2.0x dgen-py GB/s per core
  mlstor thread scaling 1 -> 2 threads (GB/s at 2 / GB/s at 1) >= 1.8, stream and oneshot
The memset/memcpy ceilings are printed next to them; s3dlio ratios and dgen-py scaling are
printed as references (no goal).

Timing.  GB = 1e9 bytes; every figure is the median over --repeat runs, contenders interleaved
round-robin inside each repeat.  mlstor: bytes / the "seconds" it reports (generation only, not
process start or argument parsing; its 32 MiB stream buffer is allocated inside that time); CPU =
its self-reported cpu_seconds (getrusage(RUSAGE_CHILDREN) around the whole process is recorded in
the JSON too).  Python peers: each measurement in a fresh child Python process; bytes /
perf_counter around the fill loop or the one-shot call; CPU = getrusage(RUSAGE_SELF) around the
same region.  Outside the timed region: the import, a small warm-up call with the same
parameters (so Rayon's pool exists), and allocating and touching the peer's 32 MiB buffer.  All
of that favours the peers, never mlstor.  Byte counts are checked (a contender that produces the
wrong number of bytes is an error).

Before timing, --prewarm-gib (default 3) GiB of RAM are touched once in a throw-away child (as
transparent huge pages, MADV_HUGEPAGE, since mlstor's one-shot buffer asks for them): on this VM
the first touch of never-used guest RAM runs at ~0.5 GB/s and would otherwise land on whichever
one-shot run allocates first.  Caveat: the VM's virtio-balloon reports freed 2 MiB blocks back to
the host after ~2 s, so huge-page faults later in the run can again hit host first-touch cost;
mlstor's one-shot (1 GiB of THP) is bimodal here (~0.5 to ~9 GB/s at 1 thread, all of it CPU time
in the fault path), dgen-py's 4 KiB-page one-shot is not.  Look at the min–max column.

Usage:
  target/bench-venv/bin/python bench/datagen.py [--repeat 3] [--threads 1,2] [--dc 1:1,2:3]
      [--stream-gib 4] [--oneshot-gib 1] [--chunk-mib 32] [--libs mlstor,dgen-py,s3dlio]
      [--prewarm-gib 3] [--no-pin] [--no-numpy] [--timeout 900] [--json-out out.json]
  MLSTOR_BIN overrides the binary path (default <repo>/target/release/mlstor).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (GIB, MIB, check_rc, gbps_stats, is_executable, measure, mlstor_bin,  # noqa: E402
                    parse_json_line, prewarm_ram, print_table_header, ratio_goal, run_timed, rusage_self,
                    start_watchdog)

LIBS = ("mlstor", "dgen-py", "s3dlio")


# ----------------------------------------------------------------------------- child: python peers
def child_peer(spec):
    """Runs in a fresh Python process; prints one JSON line."""
    lib, mode, size, d, c, t, chunk = (spec[k] for k in ("lib", "mode", "size", "dedup", "compress",
                                                          "threads", "chunk"))
    if lib == "dgen-py":
        import dgen_py as m
        ver = getattr(m, "__version__", "?")

        def make_gen(n):
            return m.Generator(n, dedup_ratio=d, compress_ratio=c, max_threads=t, chunk_size=chunk)

        def oneshot(n):
            return m.generate_buffer(n, d, c, max_threads=t)
    else:
        import s3dlio as m
        ver = getattr(m, "__version__", "?")

        def make_gen(n):
            return m.Generator(n, dedup=d, compress=c, threads=t, chunk_size=chunk)

        def oneshot(n):
            return m.generate_data_with_threads(n, dedup=d, compress=c, threads=t)

    if mode == "stream":
        buf = bytearray(chunk)
        buf[:] = b"\1" * chunk  # touch the reused buffer outside the timed region
        mv = memoryview(buf)

        def fill(gen):
            n = 0
            while not gen.is_complete():
                k = gen.fill_chunk(mv)
                if k == 0:
                    break
                n += k
            return n

        fill(make_gen(min(size, 4 * chunk)))  # warm-up: Rayon pool, code paths
        gen = make_gen(size)
        c0, t0 = rusage_self(), time.perf_counter()
        nbytes = fill(gen)
        dt = time.perf_counter() - t0
        cpu = rusage_self() - c0
        touched = buf.count(1, 0, 1 << 16) < (1 << 16)  # the buffer was overwritten at least once
    else:
        w = oneshot(min(size, 8 * MIB))  # warm-up
        del w
        c0, t0 = rusage_self(), time.perf_counter()
        out = oneshot(size)
        dt = time.perf_counter() - t0
        cpu = rusage_self() - c0
        nbytes = len(out)
        touched = True
        del out
    print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "bytes": nbytes, "overwrote": touched,
                      "version": ver}))


def child_numpy(total, chunk):
    """memset/memcpy on one core with numpy (cross-check of mlstor's --ceiling)."""
    import numpy as np
    dst = np.ones(chunk, dtype=np.uint8)
    src = np.full(chunk, 2, dtype=np.uint8)
    rounds = max(1, total // chunk)
    t0 = time.perf_counter()
    for r in range(rounds):
        dst.fill(r & 0xFF)
    ms = rounds * chunk / (time.perf_counter() - t0) / 1e9
    t0 = time.perf_counter()
    for _ in range(rounds):
        np.copyto(dst, src)
    mc = rounds * chunk / (time.perf_counter() - t0) / 1e9
    print(json.dumps({"memset_gb_per_s": ms, "memcpy_gb_per_s": mc}))


# ----------------------------------------------------------------------------- helpers
def parse_dc(s):
    out = []
    for item in s.split(","):
        d, c = item.split(":")
        out.append((int(d), int(c)))
    return out


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--dc", default="1:1,2:3", help="comma-separated DEDUP:COMPRESS pairs (default 1:1,2:3)")
    ap.add_argument("--stream-gib", type=float, default=4, help="bytes streamed per run (default 4 GiB)")
    ap.add_argument("--oneshot-gib", type=float, default=1, help="one-shot buffer size (default 1 GiB)")
    ap.add_argument("--chunk-mib", type=int, default=32, help="reused stream buffer (default 32 MiB)")
    ap.add_argument("--ceiling-gib", type=float, default=1, help="bytes for memset/memcpy (default 1 GiB)")
    ap.add_argument("--libs", default=",".join(LIBS), help="subset of mlstor,dgen-py,s3dlio")
    ap.add_argument("--no-pin", action="store_true", help="do not pin contenders to T CPUs")
    ap.add_argument("--no-numpy", action="store_true", help="skip the numpy memset/memcpy cross-check")
    ap.add_argument("--prewarm-gib", type=float, default=3,
                    help="touch this much RAM once in a throw-away child before timing (0 = off)")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--timeout", type=int, default=900, help="global watchdog, seconds")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-numpy", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()

    CHUNK = a.chunk_mib * MIB
    if a.child:
        child_peer(json.loads(a.child))
        return
    if a.child_numpy:
        child_numpy(int(a.ceiling_gib * GIB), CHUNK)
        return

    t_start = time.perf_counter()
    start_watchdog(a.timeout)
    per_call_timeout = max(60, a.timeout // 4)

    threads = [int(x) for x in a.threads.split(",")]
    dcs = parse_dc(a.dc)
    SSTREAM = int(a.stream_gib * GIB)
    SONE = int(a.oneshot_gib * GIB)
    SCEIL = int(a.ceiling_gib * GIB)
    want = [x.strip() for x in a.libs.split(",") if x.strip()]
    cpus = sorted(os.sched_getaffinity(0))

    mbin = mlstor_bin()
    have = {}
    versions = {}
    have["mlstor"] = is_executable(mbin)
    versions["mlstor"] = mbin if have["mlstor"] else "not built, skipped"
    for lib, mod in (("dgen-py", "dgen_py"), ("s3dlio", "s3dlio")):
        try:
            m = __import__(mod)
            have[lib] = True
            versions[lib] = getattr(m, "__version__", "?")
        except Exception as e:  # noqa: BLE001
            have[lib] = False
            versions[lib] = f"not importable ({type(e).__name__}: {e}); run bench/setup.sh and use its python"
    for lib in LIBS:
        if lib not in want:
            have[lib] = False
            versions[lib] = "not selected (--libs)"

    print(f"datagen: stream {SSTREAM / GIB:g} GiB through a {a.chunk_mib} MiB buffer, one-shot "
          f"{SONE / GIB:g} GiB; threads {threads}; D:C {dcs}; repeat {a.repeat}; "
          f"{os.cpu_count()} CPUs (affinity {len(cpus)}), {platform.platform()}")
    print("   ".join(f"{lib}: {versions[lib]}" for lib in LIBS))
    print(f"pinning: {'off' if a.no_pin else 'each contender pinned to the first T CPUs, DGEN_THREADS=RAYON_NUM_THREADS=T'}",
          flush=True)
    if not a.no_pin and max(threads) > len(cpus):
        print(f"  note: only {len(cpus)} CPUs available; T > {len(cpus)} runs oversubscribed")

    def pin_for(t):
        if a.no_pin:
            return None, dict(os.environ)
        sel = set(cpus[:max(1, min(t, len(cpus)))])
        env = dict(os.environ, DGEN_THREADS=str(t), RAYON_NUM_THREADS=str(t))
        return (lambda: os.sched_setaffinity(0, sel)), env

    def run_child(cmd, t):
        pre, env = pin_for(t)
        p, wall, cpu = run_timed(cmd, per_call_timeout, env=env, preexec_fn=pre)
        check_rc(p)
        try:
            return parse_json_line(p.stdout), wall, cpu
        except ValueError:
            raise RuntimeError(f"no JSON on stdout; stderr {p.stderr.decode(errors='replace')[-300:]!r}") from None

    # ---- pre-touch RAM
    if a.prewarm_gib > 0:
        dt = prewarm_ram(a.prewarm_gib, per_call_timeout, hugepages=True)
        print(f"pre-touched {a.prewarm_gib:g} GiB of RAM in {dt:.1f} s", flush=True)

    # ---- contenders
    def c_mlstor(mode, d, c, t):
        size = SSTREAM if mode == "stream" else SONE

        def run():
            cmd = [mbin, "datagen", "--size", str(size), "--dedup", str(d), "--compress", str(c),
                   "--threads", str(t), "--chunk", str(CHUNK), "--json"]
            if mode == "oneshot":
                cmd.append("--oneshot")
            j, wall, cpu = run_child(cmd, t)
            if int(j.get("size", -1)) != size or j.get("mode") != mode or int(j.get("threads", -1)) != t:
                raise RuntimeError(f"mlstor reported size={j.get('size')} mode={j.get('mode')} "
                                   f"threads={j.get('threads')}, expected {size} {mode} {t}")
            secs = float(j["seconds"])
            return {"gbps": size / secs / 1e9, "seconds": secs, "cpu": float(j["cpu_seconds"]),
                    "process_wall": wall, "process_cpu": cpu}
        return run

    def c_peer(lib, mode, d, c, t):
        size = SSTREAM if mode == "stream" else SONE
        spec = {"lib": lib, "mode": mode, "size": size, "dedup": d, "compress": c, "threads": t, "chunk": CHUNK}

        def run():
            j, wall, _ = run_child([sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)], t)
            if j["bytes"] != size:
                raise RuntimeError(f"{lib} produced {j['bytes']} bytes, expected {size}")
            if not j["overwrote"]:
                raise RuntimeError(f"{lib} fill_chunk did not write into the buffer")
            return {"gbps": size / j["seconds"] / 1e9, "seconds": j["seconds"], "cpu": j["cpu_seconds"],
                    "process_wall": wall}
        return run

    def c_ceiling(t):
        def run():
            j, _, _ = run_child([mbin, "datagen", "--size", str(SCEIL), "--threads", str(t), "--chunk", str(CHUNK),
                                 "--ceiling", "--json"], t)
            ce = j["ceiling"]
            return {"memset": float(ce["memset_gb_per_s"]), "memcpy": float(ce["memcpy_gb_per_s"])}
        return run

    def c_numpy():
        j, _, _ = run_child([sys.executable, os.path.abspath(__file__), "--child-numpy",
                             "--chunk-mib", str(a.chunk_mib), "--ceiling-gib", str(a.ceiling_gib)], 1)
        return {"memset": j["memset_gb_per_s"], "memcpy": j["memcpy_gb_per_s"]}

    contenders = []  # (key, fn); key = (lib, mode, d, c, t)
    for mode in ("stream", "oneshot"):
        for d, c in dcs:
            for t in threads:
                for lib in LIBS:
                    if not have[lib]:
                        continue
                    fn = c_mlstor(mode, d, c, t) if lib == "mlstor" else c_peer(lib, mode, d, c, t)
                    contenders.append(((lib, mode, d, c, t), fn))
    ceilings = []
    if have["mlstor"]:
        ceilings += [(("mlstor ceiling", t), c_ceiling(t)) for t in threads]
    if not a.no_numpy:
        try:
            import numpy  # noqa: F401
            ceilings.append((("numpy", 1), c_numpy))
        except ImportError:
            pass

    results = {k: [] for k, _ in contenders + ceilings}
    errors = {}
    for rep in range(a.repeat):
        for key, fn in ceilings:
            measure(key, fn, results, errors,
                    lambda r: (f"  rep {rep + 1}: {key[0]:15s} T={key[1]}  memset {r['memset']:6.2f}  memcpy "
                               f"{r['memcpy']:6.2f} GB/s"),
                    lambda err: f"  rep {rep + 1}: {key} ERROR {err}")
        for key, fn in contenders:
            lib, mode, d, c, t = key
            measure(key, fn, results, errors,
                    lambda r: (f"  rep {rep + 1}: {lib:8s} {mode:7s} D{d}/C{c} T={t}  {r['gbps']:7.3f} GB/s  "
                               f"cores used {r['cpu'] / r['seconds']:.2f}"),
                    lambda err: f"  rep {rep + 1}: {lib:8s} {mode:7s} D{d}/C{c} T={t}  ERROR {err}")

    # ---- summary
    summary = {}
    for key, _ in contenders:
        rs = results[key]
        if not rs:
            continue
        lib, mode, d, c, t = key
        size = SSTREAM if mode == "stream" else SONE
        st = gbps_stats(rs)
        summary[key] = {**st, "per_core": st["median_gbps"] / t,
                        "cores_used": statistics.median(r["cpu"] / r["seconds"] for r in rs),
                        "cpu_s_per_gb": statistics.median(r["cpu"] for r in rs) / (size / 1e9), "runs": rs}
    ceil = {}
    for key, _ in ceilings:
        rs = results[key]
        if rs:
            ceil[key] = {"memset": statistics.median(r["memset"] for r in rs),
                         "memcpy": statistics.median(r["memcpy"] for r in rs), "runs": rs}

    def s(lib, mode, d, c, t):
        return summary.get((lib, mode, d, c, t))

    print(f"\nstream = {SSTREAM / GIB:g} GiB into one reused {a.chunk_mib} MiB buffer; oneshot = one fresh "
          f"{SONE / GIB:g} GiB buffer; median of {a.repeat} (GB = 1e9 B); per core = GB/s / T; "
          f"pinned to T CPUs: {'no' if a.no_pin else 'yes'}")
    print_table_header("library", "mode", "D/C", "threads", "GB/s (median)", "min–max", "GB/s per core",
                       "cores used", "CPU s/GB")
    for mode in ("stream", "oneshot"):
        for d, c in dcs:
            for t in threads:
                for lib in LIBS:
                    key = (lib, mode, d, c, t)
                    if key in summary:
                        x = summary[key]
                        print(f"| {lib} | {mode} | {d}/{c} | {t} | {x['median_gbps']:.2f} | "
                              f"{x['min_gbps']:.2f}–{x['max_gbps']:.2f} | {x['per_core']:.2f} | "
                              f"{x['cores_used']:.2f} | {x['cpu_s_per_gb']:.3f} |")
                    elif key in errors:
                        print(f"| {lib} | {mode} | {d}/{c} | {t} | error | | | | {errors[key]} |")
    for lib in LIBS:
        if not have[lib]:
            print(f"| {lib} | skipped | | | | | | | {versions[lib]} |")

    print("\nceiling (same run, median): ", end="")
    parts = []
    for (name, t), v in ceil.items():
        parts.append(f"{name} T={t}: memset {v['memset']:.2f} GB/s, memcpy {v['memcpy']:.2f} GB/s")
    print("; ".join(parts) if parts else "n/a")
    for key, _ in ceilings:
        if key in errors:
            print(f"  {key}: ERROR {errors[key]}")

    goals = []

    def pc(x):
        return x["per_core"] if x else None

    def mc(t):
        m = ceil.get(("mlstor ceiling", t))
        return f"   [memset {m['memset']:.1f}, memcpy {m['memcpy']:.1f} GB/s at T={t}]" if m else ""

    def vs_s3dlio(mode, d, c, t):
        m, p = s("mlstor", mode, d, c, t), s("s3dlio", mode, d, c, t)
        return f"   [vs s3dlio {m['per_core'] / p['per_core']:.2f}x]" if m and p else ""

    print()
    for mode in ("stream", "oneshot"):
        for d, c in dcs:
            for t in threads:
                extra = vs_s3dlio(mode, d, c, t) + (mc(t) if mode == "stream" else "")
                if mode == "stream" and ("mlstor", mode, d, c, t) in summary and ("mlstor ceiling", t) in ceil:
                    extra += (f"   [mlstor at {summary[('mlstor', mode, d, c, t)]['median_gbps'] / ceil[('mlstor ceiling', t)]['memset'] * 100:.0f}%"
                              f" of memset]")
                ratio_goal(goals, f"{mode:7s} D{d}/C{c} T={t} mlstor / dgen-py per core",
                           pc(s("mlstor", mode, d, c, t)), pc(s("dgen-py", mode, d, c, t)), 2.0, "mlstor", "dgen-py",
                           nd=2, extra=extra)
    if 1 in threads and 2 in threads:
        for mode in ("stream", "oneshot"):
            for d, c in dcs:
                ref = []
                for lib in ("dgen-py", "s3dlio"):
                    a1, a2 = s(lib, mode, d, c, 1), s(lib, mode, d, c, 2)
                    if a1 and a2:
                        ref.append(f"{lib} {a2['median_gbps'] / a1['median_gbps']:.2f}x")
                m1, m2 = s("mlstor", mode, d, c, 1), s("mlstor", mode, d, c, 2)
                ratio_goal(goals, f"{mode:7s} D{d}/C{c} mlstor scaling 1 -> 2 threads", m2 and m2["median_gbps"],
                           m1 and m1["median_gbps"], 1.8, "mlstor T=2", "mlstor T=1",
                           nd=2, extra=f"   [{', '.join(ref)}]" if ref else "")
    elapsed = time.perf_counter() - t_start
    print(f"\ntotal time {elapsed:.0f} s")

    if a.json_out:
        def k2s(k):
            return "/".join(str(x) for x in k)
        with open(a.json_out, "w") as f:
            json.dump({"stream_bytes": SSTREAM, "oneshot_bytes": SONE, "chunk": CHUNK, "threads": threads,
                       "dc": dcs, "repeat": a.repeat, "pinned": not a.no_pin, "versions": versions,
                       "summary": {k2s(k): v for k, v in summary.items()},
                       "ceiling": {k2s(k): v for k, v in ceil.items()},
                       "errors": {k2s(k): v for k, v in errors.items()}, "goals": goals,
                       "elapsed_s": elapsed}, f, indent=1)


if __name__ == "__main__":
    main()
