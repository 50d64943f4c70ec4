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
objects. "zero-copy overhead" is the time to wrap each returned object with np.frombuffer.

--dataloader also runs one epoch of a torch DataLoader(num_workers=2, batch_size=None) over
the 4096 x 128 KiB objects on S3, each item read fully: mlstor.torch.IterableDataset vs
s3torchconnector S3IterableDataset(enable_sharding=True, transform=lambda r: r.read()). CPU
there includes the workers (RUSAGE_CHILDREN of the child after the epoch).

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
        c0, t0 = rusage_self(), time.perf_counter()
        put_many(uris, datas)
        out["seconds"], out["cpu"] = time.perf_counter() - t0, rusage_self() - c0
    else:
        c0, t0 = rusage_self(), time.perf_counter()
        got = get_many(uris)
        out["seconds"], out["cpu"] = time.perf_counter() - t0, rusage_self() - c0
        out["bytes"] = sum(len(b) for b in got)
        out["md5"] = [hashlib.md5(got[i]).hexdigest() for i in (0, n - 1)]
        if a.lib in ("mlstor", "s3dlio"):
            import numpy as np
            t0 = time.perf_counter()
            for b in got:
                np.frombuffer(b, dtype=np.uint8)
            out["frombuffer_us"] = (time.perf_counter() - t0) / n * 1e6
            out["shares_memory"] = bool(np.shares_memory(np.frombuffer(got[0], np.uint8), np.frombuffer(got[0], np.uint8)))
    print(json.dumps(out), flush=True)


def child_dataloader(a):
    import torch
    n, _ = WORKLOADS["small"]
    if a.lib == "mlstor":
        from mlstor.torch import IterableDataset
        ds = IterableDataset.from_prefix(a.prefix, transform=lambda uri, data: len(data), max_in_flight=a.concurrency)
    else:
        from s3torchconnector import S3ClientConfig, S3IterableDataset
        ds = S3IterableDataset.from_prefix(a.prefix, region=a.region, endpoint=a.endpoint, enable_sharding=True,
                                           s3client_config=S3ClientConfig(force_path_style=True),
                                           transform=lambda r: len(r.read()))
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2, multiprocessing_context="fork")
    c0, t0 = rusage_self() + rusage_children(), time.perf_counter()
    sizes = list(dl)
    seconds = time.perf_counter() - t0
    del dl
    cpu = rusage_self() + rusage_children() - c0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "bytes": sum(sizes), "items": len(sizes)}), flush=True)


# ============================================================================ parent side
def run_child(a, lib, target_prefix, workload, phase, env):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib, "--phase", phase, "--workload", workload,
           "--prefix", target_prefix, "--concurrency", str(a.concurrency), "--region", a.region]
    if target_prefix.startswith("s3://"):
        cmd += ["--endpoint", a.endpoint]
    p = subprocess.run(cmd, capture_output=True, timeout=a.timeout, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{lib} {phase} rc={p.returncode}: {p.stderr.decode(errors='replace')[-400:]}")
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
    ap.add_argument("--json-out")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
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
            for wl in a.workloads.split(","):
                n, size = WORKLOADS[wl]
                gb = n * size / 1e9
                for lib in libs:
                    if target == "file" and lib not in LOCAL_OK:
                        continue
                    prefix = (f"file://{a.dir}/{run}/{lib}/r{rep}/" if target == "file"
                              else f"s3://{a.bucket}/{run}/{lib}/{wl}/r{rep}/")
                    key = (target, wl, lib)
                    try:
                        w = run_child(a, lib, prefix, wl, "put", env)
                        r = run_child(a, lib, prefix, wl, "get", env)
                        if r["bytes"] != n * size or r["md5"] != w["md5"]:
                            raise RuntimeError(f"read check failed: {r['bytes']} bytes, md5 {r['md5']} vs {w['md5']}")
                        row = {"put_gbps": gb / w["seconds"], "get_gbps": gb / r["seconds"],
                               "put_cpu_gb": w["cpu"] / gb, "get_cpu_gb": r["cpu"] / gb,
                               "frombuffer_us": r.get("frombuffer_us")}
                        rows.setdefault(key, []).append(row)
                        print(f"  rep {rep + 1} {target:4s} {wl:5s} {lib:16s} put {row['put_gbps']:.3f} GB/s "
                              f"{row['put_cpu_gb']:.2f} CPU-s/GB | get {row['get_gbps']:.3f} GB/s "
                              f"{row['get_cpu_gb']:.2f} CPU-s/GB"
                              + (f" | np.frombuffer {row['frombuffer_us']:.2f} us/obj" if row["frombuffer_us"] else ""),
                              flush=True)
                    except Exception as e:  # noqa: BLE001
                        print(f"  rep {rep + 1} {target} {wl} {lib}: ERROR {str(e)[:300]}", flush=True)
                    finally:
                        if not (a.dataloader and wl == "small" and target == "s3" and rep == a.repeat - 1):
                            cleanup(a, prefix)
    if a.dataloader:
        for lib in [x for x in ("mlstor", "s3torchconnector") if x in libs]:
            prefix = f"s3://{a.bucket}/{run}/{lib}/small/r{a.repeat - 1}/"
            for rep in range(a.repeat):
                try:
                    lib_arg = lib
                    if lib == "s3torchconnector" and importlib.util.find_spec("s3torchconnector") is None:
                        raise RuntimeError("s3torchconnector (the torch package) not installed")
                    e = run_child(a, lib_arg, prefix, "small", "epoch", env)
                    gb = e["bytes"] / 1e9
                    if e["items"] != WORKLOADS["small"][0]:
                        raise RuntimeError(f"epoch yielded {e['items']} items")
                    row = {"epoch_gbps": gb / e["seconds"], "epoch_cpu_gb": e["cpu"] / gb,
                           "items_per_s": e["items"] / e["seconds"]}
                    rows.setdefault(("s3", "dataloader", lib), []).append(row)
                    print(f"  rep {rep + 1} dataloader {lib:16s} {row['epoch_gbps']:.3f} GB/s "
                          f"{row['items_per_s']:.0f} items/s {row['epoch_cpu_gb']:.2f} CPU-s/GB", flush=True)
                except Exception as ex:  # noqa: BLE001
                    print(f"  dataloader {lib}: ERROR {str(ex)[:300]}", flush=True)
            cleanup(a, prefix)

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
            print(f"| s3 | DataLoader epoch, 2 workers | {lib} | | | {m['epoch_gbps']:.3f} ({m['items_per_s']:.0f} items/s)"
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
        if "frombuffer_us" in ours and "s3dlio" in peers and "frombuffer_us" in peers["s3dlio"]:
            ok = ours["frombuffer_us"] <= peers["s3dlio"]["frombuffer_us"] * 1.05
            line = (f"{t} {wl} zero-copy np.frombuffer per object: mlstor {ours['frombuffer_us']:.2f} us vs s3dlio "
                    f"{peers['s3dlio']['frombuffer_us']:.2f} us  goal <=  {'PASS' if ok else 'MISS'}")
            print(line)
            goals.append(line)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"rows": {"|".join(k): v for k, v in rows.items()}, "goals": goals}, f, indent=1)


if __name__ == "__main__":
    main()
