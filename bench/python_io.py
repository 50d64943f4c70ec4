#!/usr/bin/env python3
"""Python I/O: the mlstor package vs s3dlio, s3torchconnector and boto3 in the same run.
A benchmark, not a test: it prints tables and PASS/MISS goal lines, and exits 0 unless the
harness itself broke.

Targets: file:// (a fresh directory; peers that cannot read local files are skipped there) and
the local SeaweedFS (loopback only). Workloads: 64 x 16 MiB and 4096 x 128 KiB objects, each
put_many then get_many with --concurrency requests in flight:
  * mlstor: mlstor.put_many / mlstor.get_many (max_in_flight=T);
  * s3dlio: s3dlio.put_many / s3dlio.get_many (max_in_flight=T);
  * s3torchconnector: its native MountpointS3Client driven by a ThreadPoolExecutor(T)
    (put_object stream, b"".join(get_object)) -- how its Python users reach that concurrency;
  * boto3: put_object / get_object via a ThreadPoolExecutor(T).
Each (library, target, workload, phase) runs in a fresh child interpreter; wall and client
CPU (getrusage RUSAGE_SELF: all threads) are measured around the call only (imports, client
set-up and data generation excluded). Reads are checked by total length and the md5 of two
objects. The order of the libraries rotates each repeat, and the page cache's dirty pages are
synced (untimed) before each phase.

Zero-copy overhead: the time np.frombuffer takes to wrap one returned object, for mlstor and
s3dlio in ONE child process (file://, both workloads' sizes, 50 interleaved passes over all
objects, the fastest pass; the goal compares the medians over repeats). Each get row also
shows a per-process figure (fastest of 20 passes), which mostly tells which CPU state the
process got on a shared VM.

--dataloader also runs one epoch of a torch DataLoader(num_workers=2, batch_size=None) over
mlstor's 4096 x 128 KiB objects (those of the last repeat), on each target, each worker reading
its shard and yielding each object's length: mlstor.torch.IterableDataset (sharded by default),
s3dlio get_many over each worker's shard of its listing (its own dataset does not shard across
workers in 0.10), s3torchconnector S3IterableDataset(enable_sharding=True, transform=lambda r:
len(r.read())) on S3. CPU there includes the workers (RUSAGE_CHILDREN after the epoch).

Goals (issue #8): mlstor GB/s >= 1.3x the best peer's, mlstor client CPU-s/GB <= 0.5x the best
peer's, zero-copy overhead per object <= s3dlio's.

  bash bench/setup.sh && target/bench-venv/bin/pip install ./crates/py
  eval "$(scripts/test-servers.sh env)"
  target/bench-venv/bin/python bench/python_io.py [--targets file,s3] [--libs ...] [--repeat 2]
      [--concurrency 8] [--workloads big,small] [--dataloader] [--json-out out.json]
"""
import argparse
import concurrent.futures as cf
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MIB, parse_json_line, prewarm_ram, print_table_header, rusage_children, rusage_self  # noqa: E402

WORKLOADS = {"big": (64, 16 * MIB), "small": (4096, 128 * 1024)}
LIBS = ["mlstor", "s3dlio", "s3torchconnector", "boto3"]
MODULE = {"mlstor": "mlstor", "s3dlio": "s3dlio", "s3torchconnector": "s3torchconnectorclient", "boto3": "boto3"}
LOCAL_OK = {"mlstor", "s3dlio"}


# ============================================================================ child side
def adapter(lib, a):
    """-> (put_many(uris, datas), get_many(uris) -> list of bytes-like)."""
    T = a.concurrency
    if lib == "mlstor":
        import mlstor
        return (lambda us, ds: mlstor.put_many(list(zip(us, ds)), max_in_flight=T),
                lambda us: mlstor.get_many(us, max_in_flight=T))
    if lib == "s3dlio":
        import s3dlio
        if a.endpoint:
            s3dlio.configure_s3(endpoint_url=a.endpoint, region=a.region)
        return (lambda us, ds: s3dlio.put_many(list(zip(us, ds)), max_in_flight=T),
                lambda us: [b for _, b in s3dlio.get_many(us, max_in_flight=T)])
    split = lambda u: u[5:].split("/", 1)  # noqa: E731 - s3://bucket/key -> (bucket, key)
    if lib == "s3torchconnector":
        from s3torchconnectorclient._mountpoint_s3_client import MountpointS3Client
        c = MountpointS3Client(region=a.region, endpoint=a.endpoint, force_path_style=True,
                               throughput_target_gbps=10.0, part_size=8 * MIB)

        def put(u, d):
            s = c.put_object(*split(u))
            s.write(d)
            s.close()

        def get(u):
            return b"".join(c.get_object(*split(u)))
    elif lib == "boto3":
        import boto3
        from botocore.config import Config
        c = boto3.client("s3", endpoint_url=a.endpoint, region_name=a.region,
                         config=Config(s3={"addressing_style": "path"}, max_pool_connections=T + 2))

        def put(u, d):
            b, k = split(u)
            c.put_object(Bucket=b, Key=k, Body=d)

        def get(u):
            b, k = split(u)
            return c.get_object(Bucket=b, Key=k)["Body"].read()
    else:
        raise ValueError(lib)
    pool = cf.ThreadPoolExecutor(T)
    return (lambda us, ds: list(pool.map(put, us, ds)), lambda us: list(pool.map(get, us)))


def usage(r0, t0):
    """Wall seconds since t0; CPU (user + sys), sys and minor page faults since rusage r0."""
    seconds, r = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "cpu": r.ru_utime + r.ru_stime - r0.ru_utime - r0.ru_stime,
            "sys": r.ru_stime - r0.ru_stime, "minflt": r.ru_minflt - r0.ru_minflt}


def child(a):
    n, size = WORKLOADS[a.workload]
    uris = [f"{a.prefix}obj-{i:06d}" for i in range(n)]
    put_many, get_many = adapter(a.lib, a)
    out = {}
    if a.phase == "put":
        import numpy as np
        rng = np.random.default_rng(7)
        datas = [rng.bytes(size) for _ in range(n)]
        out["md5"] = [hashlib.md5(datas[i]).hexdigest() for i in (0, n - 1)]
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        put_many(uris, datas)
        out.update(usage(r0, t0))
    else:
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        got = get_many(uris)
        out.update(usage(r0, t0))
        out["bytes"] = sum(len(b) for b in got)
        out["md5"] = [hashlib.md5(got[i]).hexdigest() for i in (0, n - 1)]
        if a.lib in ("mlstor", "s3dlio"):
            import numpy as np
            # The fastest of 20 passes over every returned object (one pass is a few hundred
            # microseconds: a single one is at the mercy of the scheduler).
            passes = []
            for _ in range(20):
                t0 = time.perf_counter()
                for b in got:
                    np.frombuffer(b, dtype=np.uint8)
                passes.append(time.perf_counter() - t0)
            out["frombuffer_us"] = min(passes) / n * 1e6
            a0 = np.frombuffer(got[0], np.uint8)
            out["shares_memory"] = bool(np.shares_memory(a0, np.frombuffer(got[0], np.uint8)))
    print(json.dumps(out), flush=True)


def child_dataloader(a):
    """One epoch of DataLoader(num_workers=2) over the objects under a.prefix; each worker
    reads its shard and yields only each object's length (the same work for every library)."""
    import torch
    T = a.concurrency
    if a.lib == "mlstor":
        from mlstor.torch import IterableDataset
        ds = IterableDataset.from_prefix(a.prefix, transform=lambda uri, data: len(data), max_in_flight=T)
    elif a.lib == "s3dlio":
        # s3dlio 0.10's own ObjectStoreIterableDataset(enable_sharding=True) does not shard
        # across DataLoader workers (each of 2 workers yields every object: checked, 2x the
        # items), so each worker reads its own shard of the sorted listing with s3dlio.get_many,
        # 256 objects per call, T in flight.
        import s3dlio
        if a.endpoint:
            s3dlio.configure_s3(endpoint_url=a.endpoint, region=a.region)

        class Shard(torch.utils.data.IterableDataset):
            def __iter__(self):
                info = torch.utils.data.get_worker_info()
                uris = sorted(s3dlio.list(a.prefix, recursive=True))[info.id::info.num_workers]
                for i in range(0, len(uris), 256):
                    for _, b in s3dlio.get_many(uris[i:i + 256], max_in_flight=T):
                        yield len(b)
        ds = Shard()
    else:
        from s3torchconnector import S3ClientConfig, S3IterableDataset
        ds = S3IterableDataset.from_prefix(a.prefix, region=a.region, endpoint=a.endpoint, enable_sharding=True,
                                           s3client_config=S3ClientConfig(force_path_style=True),
                                           transform=lambda r: len(r.read()))
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2, multiprocessing_context="fork")
    c0, t0 = rusage_self() + rusage_children(), time.perf_counter()
    sizes = list(dl)  # exhausting the iterator joins the workers, so their CPU is in RUSAGE_CHILDREN
    seconds = time.perf_counter() - t0
    del dl
    cpu = rusage_self() + rusage_children() - c0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "bytes": sum(sizes), "items": len(sizes)}), flush=True)


def child_zerocopy(a):
    """np.frombuffer over objects returned by mlstor.get_many and by s3dlio.get_many, in one
    process, passes interleaved (a cross-process comparison mostly measures which CPU state
    each process got on this VM): the fastest and the median pass, per object."""
    import numpy as np
    import mlstor
    import s3dlio
    out = {}
    for name, (n, size) in WORKLOADS.items():
        n //= 4  # the cost per object does not depend on how many there are
        uris = [f"{a.prefix}{name}/obj-{i:06d}" for i in range(n)]
        mlstor.put_many([(u, os.urandom(size)) for u in uris], max_in_flight=a.concurrency)
        got = {"mlstor": mlstor.get_many(uris, max_in_flight=a.concurrency),
               "s3dlio": [b for _, b in s3dlio.get_many(uris, max_in_flight=a.concurrency)]}
        for lib, bufs in got.items():
            x = np.frombuffer(bufs[0], np.uint8)
            assert np.shares_memory(x, np.frombuffer(bufs[0], np.uint8)) and len(x) == size, lib
        passes = {lib: [] for lib in got}
        for _ in range(50):
            for lib, bufs in got.items():
                t0 = time.perf_counter()
                for b in bufs:
                    np.frombuffer(b, dtype=np.uint8)
                passes[lib].append((time.perf_counter() - t0) / n * 1e6)
        for lib, p in passes.items():
            out[f"{name}|{lib}"] = {"min_us": min(p), "median_us": statistics.median(p)}
        del got
    print(json.dumps(out), flush=True)


# ============================================================================ parent side
def run_child(a, lib, target_prefix, workload, phase, env):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib, "--phase", phase, "--workload", workload,
           "--prefix", target_prefix, "--concurrency", str(a.concurrency), "--region", a.region]
    if target_prefix.startswith("s3://"):
        cmd += ["--endpoint", a.endpoint]
    p = subprocess.run(cmd, capture_output=True, timeout=a.timeout, env=env)
    if p.returncode != 0:
        tail = " | ".join(p.stderr.decode(errors="replace").strip().splitlines()[-3:])
        raise RuntimeError(f"{lib} {phase} rc={p.returncode}: {tail[-300:]}")
    return parse_json_line(p.stdout, show_tail=True)


def cleanup(a, prefix):
    if prefix.startswith("file://"):
        shutil.rmtree(prefix[len("file://"):], ignore_errors=True)
        return
    import boto3
    from botocore.config import Config
    c = boto3.client("s3", endpoint_url=a.endpoint, region_name=a.region, config=Config(s3={"addressing_style": "path"}))
    bucket, key = prefix[5:].split("/", 1)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        keys = [o["Key"] for pg in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
                for o in pg.get("Contents", [])]
        if not keys:
            return
        for i in range(0, len(keys), 1000):
            c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})


def cleanup_unless_kept(a, prefix, rep):
    """Deletes a phase's objects, except mlstor's small objects of the last repeat when the
    DataLoader epochs will read them."""
    if not (a.dataloader and "/mlstor/small/" in prefix and rep == a.repeat - 1):
        cleanup(a, prefix)


def vacuum(a):
    if not a.vacuum:
        return
    import urllib.request
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"{a.vacuum}/vol/vacuum?garbageThreshold=0.1", timeout=600) as r:
        r.read()
    print(f"  (vacuumed the SeaweedFS volumes in {time.perf_counter() - t0:.1f} s)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", default="file,s3")
    ap.add_argument("--libs", default=",".join(LIBS))
    ap.add_argument("--workloads", default="big,small")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dataloader", action="store_true")
    ap.add_argument("--dir", default="/tmp/mlstor-bench-python")
    ap.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:8333"))
    ap.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    ap.add_argument("--bucket", default=os.environ.get("MLSTOR_TEST_BUCKET", "mlstor-test"))
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--prewarm-gib", type=float, default=3.0)
    ap.add_argument("--vacuum", metavar="MASTER_URL",
                    help="after each repeat (untimed), ask this SeaweedFS master (http://127.0.0.1:9333) to "
                         "reclaim the deleted objects' space: a full run writes ~19 GB")
    ap.add_argument("--json-out")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        a.lib = a.child
        if a.phase == "zerocopy":
            return child_zerocopy(a)
        return child_dataloader(a) if a.phase == "epoch" else child(a)
    if "127.0.0.1" not in a.endpoint and "localhost" not in a.endpoint:
        sys.exit(f"refusing: endpoint {a.endpoint} is not loopback")

    libs = [x for x in a.libs.split(",") if x]
    missing = [x for x in libs if importlib.util.find_spec(MODULE[x]) is None]
    for x in missing:
        print(f"{x}: {MODULE[x]} not installed, skipped (bash bench/setup.sh; pip install ./crates/py)")
    libs = [x for x in libs if x not in missing]
    env = dict(os.environ, AWS_ENDPOINT_URL=a.endpoint, AWS_REGION=a.region)
    if a.prewarm_gib > 0:
        print(f"pre-touched {a.prewarm_gib} GiB of RAM in {prewarm_ram(a.prewarm_gib, 600):.1f} s")
    run = f"bench-python-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    rows = {}
    print(f"python_io: targets={a.targets} libs={libs} concurrency={a.concurrency} repeat={a.repeat} "
          f"{os.cpu_count()} CPUs; endpoint {a.endpoint}", flush=True)
    for rep in range(a.repeat):
        for target in a.targets.split(","):
            written = []
            for wl in a.workloads.split(","):
                n, size = WORKLOADS[wl]
                gb = n * size / 1e9
                # Rotate the order each repeat so that a contender's left-overs (dirty pages,
                # the server's compaction) do not always land on the same next one.
                for lib in libs[rep % len(libs):] + libs[:rep % len(libs)]:
                    if target == "file" and lib not in LOCAL_OK:
                        continue
                    prefix = (f"file://{a.dir}/{run}/{lib}/{wl}/r{rep}/" if target == "file"
                              else f"s3://{a.bucket}/{run}/{lib}/{wl}/r{rep}/")
                    written.append(prefix)
                    key = (target, wl, lib)
                    try:
                        os.sync()  # start each phase with no dirty pages of the one before
                        w = run_child(a, lib, prefix, wl, "put", env)
                        os.sync()
                        r = run_child(a, lib, prefix, wl, "get", env)
                        if r["bytes"] != n * size or r["md5"] != w["md5"]:
                            raise RuntimeError(f"read check failed: {r['bytes']} bytes, md5 {r['md5']} vs {w['md5']}")
                        row = {"put_gbps": gb / w["seconds"], "get_gbps": gb / r["seconds"],
                               "put_cpu_gb": w["cpu"] / gb, "get_cpu_gb": r["cpu"] / gb,
                               "put_sys": w["sys"] / w["cpu"], "get_sys": r["sys"] / r["cpu"],
                               "put_minflt": w["minflt"], "get_minflt": r["minflt"],
                               "frombuffer_us": r.get("frombuffer_us")}
                        rows.setdefault(key, []).append(row)
                        print(f"  rep {rep + 1} {target:4s} {wl:5s} {lib:16s} put {row['put_gbps']:.3f} GB/s "
                              f"{row['put_cpu_gb']:.2f} CPU-s/GB (sys {row['put_sys']:.0%}) | get {row['get_gbps']:.3f} "
                              f"GB/s {row['get_cpu_gb']:.2f} CPU-s/GB (sys {row['get_sys']:.0%}, "
                              f"{row['get_minflt']} faults)"
                              + (f" | np.frombuffer {row['frombuffer_us']:.2f} us/obj" if row["frombuffer_us"] else ""),
                              flush=True)
                    except Exception as e:  # noqa: BLE001
                        print(f"  rep {rep + 1} {target} {wl} {lib}: ERROR {str(e)[:300]}", flush=True)
                    finally:
                        if target != "file":
                            cleanup_unless_kept(a, prefix, rep)
            # Files are deleted only once the target's last phase of this repeat is done: ext4
            # skips inodes freed in the last minute or so when it allocates new ones, and the
            # scan made small-file writes right after a deletion cost 3-6x the CPU (perf:
            # recently_deleted, find_get_block_common), whichever library came next.
            for prefix in written if target == "file" else []:
                cleanup_unless_kept(a, prefix, rep)
        vacuum(a)
    if a.dataloader:
        for target in a.targets.split(","):
            prefix = (f"file://{a.dir}/{run}/mlstor/small/r{a.repeat - 1}/" if target == "file"
                      else f"s3://{a.bucket}/{run}/mlstor/small/r{a.repeat - 1}/")
            for rep in range(a.repeat):
                dl_libs = [x for x in ("mlstor", "s3dlio", "s3torchconnector") if x in libs]
                for lib in dl_libs[rep % len(dl_libs):] + dl_libs[:rep % len(dl_libs)]:
                    if target == "file" and lib not in LOCAL_OK:
                        continue
                    try:
                        if lib == "s3torchconnector" and importlib.util.find_spec("s3torchconnector") is None:
                            raise RuntimeError("s3torchconnector (the torch package) not installed")
                        e = run_child(a, lib, prefix, "small", "epoch", env)
                        gb = e["bytes"] / 1e9
                        n, size = WORKLOADS["small"]
                        if e["items"] != n or e["bytes"] != n * size:
                            raise RuntimeError(f"epoch yielded {e['items']} items, {e['bytes']} bytes")
                        row = {"epoch_gbps": gb / e["seconds"], "epoch_cpu_gb": e["cpu"] / gb,
                               "items_per_s": e["items"] / e["seconds"]}
                        rows.setdefault((target, "dataloader", lib), []).append(row)
                        print(f"  rep {rep + 1} {target:4s} dataloader {lib:16s} {row['epoch_gbps']:.3f} GB/s "
                              f"{row['items_per_s']:.0f} items/s {row['epoch_cpu_gb']:.2f} CPU-s/GB", flush=True)
                    except Exception as ex:  # noqa: BLE001
                        print(f"  rep {rep + 1} {target} dataloader {lib}: ERROR {str(ex)[:300]}", flush=True)
            cleanup(a, prefix)

    zero_copy = []
    if "mlstor" in libs and "s3dlio" in libs and "file" in a.targets.split(","):
        for rep in range(a.repeat):
            prefix = f"file://{a.dir}/{run}/zerocopy/r{rep}/"
            try:
                z = run_child(a, "mlstor", prefix, "small", "zerocopy", env)
                zero_copy.append(z)
                print(f"  rep {rep + 1} np.frombuffer per object (fastest pass of 50, same process): "
                      + ", ".join(f"{k.replace('|', ' ')} {v['min_us']:.3f} us" for k, v in z.items()), flush=True)
            except Exception as ex:  # noqa: BLE001
                print(f"  rep {rep + 1} zero-copy: ERROR {str(ex)[:300]}", flush=True)
    shutil.rmtree(f"{a.dir}/{run}", ignore_errors=True)

    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0] if v[0][m] is not None} for k, v in rows.items()}
    print(f"\nmedians of {a.repeat} (GB = 1e9 B; CPU-s/GB = client CPU seconds per GB moved)")
    print_table_header("target", "workload", "library", "put GB/s", "put CPU-s/GB", "get GB/s", "get CPU-s/GB",
                       "np.frombuffer us/obj")
    for (t, wl, lib), m in sorted(med.items()):
        if wl == "dataloader":
            continue
        fb = f"{m['frombuffer_us']:.2f}" if "frombuffer_us" in m else "-"
        print(f"| {t} | {wl} | {lib} | {m['put_gbps']:.3f} | {m['put_cpu_gb']:.2f} | {m['get_gbps']:.3f} | "
              f"{m['get_cpu_gb']:.2f} | {fb} |")
    for (t, wl, lib), m in sorted(med.items()):
        if wl == "dataloader":
            print(f"| {t} | DataLoader epoch, 2 workers | {lib} | | | {m['epoch_gbps']:.3f} ({m['items_per_s']:.0f} items/s)"
                  f" | {m['epoch_cpu_gb']:.2f} | |")

    goals = []
    print()
    groups = sorted({(t, wl) for t, wl, _ in med})
    for t, wl in groups:
        ours = med.get((t, wl, "mlstor"))
        peers = {lib: m for (tt, ww, lib), m in med.items() if (tt, ww) == (t, wl) and lib != "mlstor"}
        if not ours or not peers:
            continue
        ops = [("epoch", "epoch_gbps", "epoch_cpu_gb")] if wl == "dataloader" else [
            ("put", "put_gbps", "put_cpu_gb"), ("get", "get_gbps", "get_cpu_gb")]
        for op, gk, ck in ops:
            best = max(peers, key=lambda p: peers[p][gk])
            cheap = min(peers, key=lambda p: peers[p][ck])
            r1 = ours[gk] / peers[best][gk]
            r2 = ours[ck] / peers[cheap][ck]
            for label, ratio, ok, ref in ((f"{t} {wl} {op} GB/s vs best peer", r1, r1 >= 1.3, f"{best} {peers[best][gk]:.3f}"),
                                          (f"{t} {wl} {op} CPU/GB vs best peer", r2, r2 <= 0.5, f"{cheap} {peers[cheap][ck]:.2f}")):
                line = f"{label}: {ratio:.2f}x (vs {ref})  goal {'>= 1.3' if 'GB/s' in label else '<= 0.5'}  {'PASS' if ok else 'MISS'}"
                print(line)
                goals.append(line)
    for wl in WORKLOADS:
        if not zero_copy:
            break
        ours = statistics.median(z[f"{wl}|mlstor"]["min_us"] for z in zero_copy)
        theirs = statistics.median(z[f"{wl}|s3dlio"]["min_us"] for z in zero_copy)
        line = (f"{wl} zero-copy np.frombuffer per object (same process): mlstor {ours:.3f} us vs s3dlio "
                f"{theirs:.3f} us = {ours / theirs:.2f}x  goal <= 1.0  {'PASS' if ours <= theirs else 'MISS'}")
        print(line)
        goals.append(line)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"rows": {"|".join(k): v for k, v in rows.items()}, "zero_copy": zero_copy, "goals": goals},
                      f, indent=1)


if __name__ == "__main__":
    main()
