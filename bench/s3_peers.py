#!/usr/bin/env python3
"""S3 peer comparison on a LOCAL (loopback) S3 server: mlstor vs s3dlio, boto3, minio, obstore,
s3torchconnectorclient.  A benchmark, not a test: it prints a table and PASS/MISS goal lines and
exits 0 unless the harness itself broke.

For every library (skipped with a note when not installed / not built), under its own prefix
`<run-prefix>/<lib>/r<rep>/obj-NNNNNN`:
  write N objects of SIZE bytes with T-way concurrency, then read them all back.
Each library runs in its OWN child process per phase (credentials passed through the environment) (fresh interpreter / runtime, no state shared
with the harness or with the other libraries):
  * mlstor: `mlstor bench put|get s3://BUCKET/PREFIX/ --objects N --size SIZE --concurrency T --json`
    wall = the "seconds" mlstor reports for the phase; client CPU = getrusage(RUSAGE_CHILDREN)
    delta around the whole mlstor process (start-up included: conservative for mlstor); mlstor's
    self-reported cpu_seconds is printed too when the two differ by > 20%.
  * Python libraries: the method of research/anchor_s3_peers.py -- a ThreadPoolExecutor(T) calling
    the library's blocking single-object put / get; wall = perf_counter around the pool; client
    CPU = getrusage(RUSAGE_SELF) delta around the pool inside the child (all threads, incl. the
    libraries' native runtime threads; interpreter start, imports and data generation excluded).
Server CPU = psutil cpu_times (user+sys, incl. children) delta of the server pid around the child
process (--server-pid, env MLSTOR_TEST_S3_PID, else auto-detected as the process listening on the
endpoint's port when possible).
Before timing, 3x the data set of RAM is touched once in a throw-away child (--prewarm-gib): on this
VM the first touch of never-used guest RAM is ~0.5 GB/s and would otherwise land on whoever allocates first.
Checks: after each write, a listing of the prefix must show N objects of SIZE bytes; every read is
length-checked; for the Python libraries the md5 of the first and last object read must equal the
md5 of what was written (for mlstor, whose data it generates itself, the reference md5 is taken by
downloading those two objects with boto3 after the write, and the read is checked by the byte count
mlstor reports).  Objects are deleted after each (lib, rep); the whole run prefix at the end.
GB = 1e9 bytes.  CPU s/GB = CPU-seconds per GB moved.  Reported values are medians over --repeat.

Goals:
  mlstor read GB/s        >= --read-goal (default 1.0) x best peer read GB/s
  mlstor read CPU s/GB    <= 0.5 x best (lowest) peer read CPU s/GB
  mlstor write CPU s/GB   <= 0.5 x best (lowest) peer write CPU s/GB

Usage:
  bash bench/setup.sh
  eval "$(scripts/test-servers.sh env)"      # AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ..., MLSTOR_TEST_*
  target/bench-venv/bin/python bench/s3_peers.py [--objects 64] [--size-mib 16] [--concurrency 8]
      [--repeat 2] [--libs mlstor,s3dlio,boto3,minio,obstore,s3torchconnector] [--bucket B]
      [--server-pid PID] [--timeout 1800] [--json-out results.json]
Only loopback endpoints are accepted.  MLSTOR_BIN overrides the binary (default target/release/mlstor).
"""
import argparse
import concurrent.futures as cf
import hashlib
import importlib.util
import ipaddress
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (MIB, check_rc, is_executable, mlstor_bin, mlstor_json, obj_name,  # noqa: E402
                    parse_json_line, prewarm_ram, print_table_header, run_timed, rusage_self)

ALL_LIBS = ["mlstor", "s3dlio", "boto3", "minio", "obstore", "s3torchconnector"]
PY_MODULE = {"s3dlio": "s3dlio", "boto3": "boto3", "minio": "minio", "obstore": "obstore",
             "s3torchconnector": "s3torchconnectorclient"}


class Watchdog(BaseException):
    pass


def obj_key(prefix, i):
    return prefix + obj_name(i)


def is_loopback(endpoint):
    host = urllib.parse.urlsplit(endpoint if "://" in endpoint else "http://" + endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ============================================================================ child side
def make_adapter(lib, a):
    """-> (put(key, data), get(key) -> bytes-like) for one library, configured for a.endpoint."""
    T = a.concurrency
    if lib == "boto3":
        import boto3
        from botocore.config import Config
        c = boto3.client("s3", endpoint_url=a.endpoint, region_name=a.region,
                         aws_access_key_id=a.access_key, aws_secret_access_key=a.secret_key,
                         config=Config(s3={"addressing_style": "path"}, max_pool_connections=T + 2))
        return (lambda k, d: c.put_object(Bucket=a.bucket, Key=k, Body=d),
                lambda k: c.get_object(Bucket=a.bucket, Key=k)["Body"].read())
    if lib == "minio":
        import io
        import minio
        import urllib3
        ep = a.endpoint.split("://", 1)[1].rstrip("/")
        c = minio.Minio(ep, access_key=a.access_key, secret_key=a.secret_key,
                        secure=a.endpoint.startswith("https"), region=a.region,
                        http_client=urllib3.PoolManager(maxsize=T + 2, retries=urllib3.Retry(total=2)))

        def put(k, d):  # part_size >= size -> one PUT
            c.put_object(a.bucket, k, io.BytesIO(d), len(d), part_size=max(len(d), 5 * MIB))

        def get(k):
            r = c.get_object(a.bucket, k)
            try:
                return r.read()
            finally:
                r.close()
                r.release_conn()
        return put, get
    if lib == "s3torchconnector":
        from s3torchconnectorclient._mountpoint_s3_client import MountpointS3Client
        c = MountpointS3Client(region=a.region, endpoint=a.endpoint, force_path_style=True,
                               throughput_target_gbps=10.0, part_size=8 * MIB)

        def put(k, d):
            s = c.put_object(a.bucket, k)
            s.write(d)
            s.close()
        return put, lambda k: b"".join(c.get_object(a.bucket, k))
    if lib == "s3dlio":
        import s3dlio
        s3dlio.configure_s3(endpoint_url=a.endpoint, region=a.region)
        return (lambda k, d: s3dlio.put_bytes(f"s3://{a.bucket}/{k}", d),
                lambda k: memoryview(s3dlio.get(f"s3://{a.bucket}/{k}")))
    if lib == "obstore":
        import obstore
        from obstore.store import S3Store
        st = S3Store(a.bucket, endpoint=a.endpoint, access_key_id=a.access_key,
                     secret_access_key=a.secret_key, region=a.region,
                     virtual_hosted_style_request=False, client_options={"allow_http": True})
        return (lambda k, d: obstore.put(st, k, d), lambda k: obstore.get(st, k).bytes())
    raise ValueError(lib)


def gen_data(n, size, seed):
    try:
        import numpy as np
        return [np.random.default_rng([seed, i]).bytes(size) for i in range(n)]
    except ImportError:
        return [os.urandom(size) for _ in range(n)]


def child_main(a):
    lib, phase, prefix = a.child, a.phase, a.prefix
    N, SIZE, T = a.objects, int(a.size_mib * MIB), a.concurrency
    keys = [obj_key(prefix, i) for i in range(N)]
    put, get = make_adapter(lib, a)
    samples = sorted({0, N - 1})
    out = {}
    if phase == "put":
        seed = int.from_bytes(hashlib.sha256(prefix.encode()).digest()[:8], "little")
        data = gen_data(N, SIZE, seed)
        out["md5"] = {str(i): hashlib.md5(data[i]).hexdigest() for i in samples}
        c0, t0 = rusage_self(), time.perf_counter()
        with cf.ThreadPoolExecutor(T) as ex:
            list(ex.map(put, keys, data))
        out["seconds"], out["cpu_seconds"] = time.perf_counter() - t0, rusage_self() - c0
        out["bytes"] = N * SIZE
    else:
        kept = {}
        short = []

        def one(i):
            b = get(keys[i])
            n = len(b)
            if n != SIZE:
                short.append((keys[i], n))
            if i in samples:
                kept[i] = b  # hashed after the timed region
            return n
        c0, t0 = rusage_self(), time.perf_counter()
        with cf.ThreadPoolExecutor(T) as ex:
            total = sum(ex.map(one, range(N)))
        out["seconds"], out["cpu_seconds"] = time.perf_counter() - t0, rusage_self() - c0
        out["bytes"] = total
        out["short"] = short[:3]
        out["md5"] = {str(i): hashlib.md5(b).hexdigest() for i, b in kept.items()}
    print(json.dumps(out), flush=True)


# ============================================================================ parent side
class Server:
    def __init__(self, pid):
        self.proc = None
        if pid:
            import psutil
            self.proc = psutil.Process(pid)

    def cpu(self):
        if not self.proc:
            return 0.0
        t = self.proc.cpu_times()
        return t.user + t.system + getattr(t, "children_user", 0) + getattr(t, "children_system", 0)


def autodetect_server_pid(endpoint):
    try:
        import psutil
        port = urllib.parse.urlsplit(endpoint).port or 80
        for c in psutil.net_connections(kind="tcp"):
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
                return c.pid
    except Exception:  # noqa: BLE001
        pass
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL_S3")
                    or os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:8333"))
    ap.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", ""))
    ap.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
    ap.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                    or "us-east-1")
    ap.add_argument("--bucket", default=os.environ.get("MLSTOR_TEST_BUCKET", "mlstor-test"))
    ap.add_argument("--objects", type=int, default=64)
    ap.add_argument("--size-mib", type=float, default=16)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--libs", default=",".join(ALL_LIBS))
    ap.add_argument("--server-pid", type=int, default=int(os.environ.get("MLSTOR_TEST_S3_PID") or 0))
    ap.add_argument("--read-goal", type=float, default=1.0,
                    help="goal for mlstor read GB/s / best peer read GB/s (default 1.0)")
    ap.add_argument("--timeout", type=int, default=1800, help="global watchdog, seconds")
    ap.add_argument("--prewarm-gib", type=float, default=None,
                    help="touch this much RAM once in a throw-away child before timing (default 3x the data "
                         "set; 0 = off): on VMs the first touch of never-used guest RAM is slow")
    ap.add_argument("--json-out", default=None)
    # child mode (internal)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--prefix", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()

    if not is_loopback(a.endpoint):
        sys.exit(f"refusing: endpoint {a.endpoint!r} is not a loopback address (127.0.0.0/8, ::1, localhost)")
    if a.child:
        child_main(a)
        return

    def on_alarm(*_):
        raise Watchdog()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(a.timeout)

    N, T = a.objects, a.concurrency
    SIZE = int(a.size_mib * MIB)
    GB = N * SIZE / 1e9
    per_call_timeout = max(120, a.timeout // 3)
    mbin = mlstor_bin()

    if importlib.util.find_spec("boto3") is None:
        sys.exit("boto3 is needed for bucket setup / listing / cleanup: run `bash bench/setup.sh` "
                 "and use target/bench-venv/bin/python")
    import boto3
    from botocore.config import Config
    admin = boto3.client("s3", endpoint_url=a.endpoint, region_name=a.region,
                         aws_access_key_id=a.access_key, aws_secret_access_key=a.secret_key,
                         config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
    try:
        admin.head_bucket(Bucket=a.bucket)
    except Exception:  # noqa: BLE001
        admin.create_bucket(Bucket=a.bucket)

    pid = a.server_pid
    pid_note = "given"
    if not pid:
        pid = autodetect_server_pid(a.endpoint)
        pid_note = "auto-detected (listener on the endpoint port)" if pid else ""
    try:
        server = Server(pid)
    except Exception as e:  # noqa: BLE001
        print(f"server pid {pid}: {type(e).__name__}: {e}; server CPU not measured")
        server, pid = Server(0), 0

    env = dict(os.environ, AWS_ENDPOINT_URL=a.endpoint, AWS_ENDPOINT_URL_S3=a.endpoint,
               AWS_ACCESS_KEY_ID=a.access_key, AWS_SECRET_ACCESS_KEY=a.secret_key,
               AWS_REGION=a.region, AWS_DEFAULT_REGION=a.region, AWS_S3_ADDRESSING_STYLE="path")
    run_prefix = f"bench-peers-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}/"

    pw = a.prewarm_gib if a.prewarm_gib is not None else 3 * N * SIZE / (1 << 30)
    if pw > 0:
        dt = prewarm_ram(pw, per_call_timeout)
        print(f"pre-touched {pw:.1f} GiB of RAM in {dt:.1f} s")

    libs, skipped = [], {}
    for lib in [x.strip() for x in a.libs.split(",") if x.strip()]:
        if lib == "mlstor":
            if is_executable(mbin):
                libs.append(lib)
            else:
                skipped[lib] = f"mlstor: not built ({mbin}), skipped"
        elif lib in PY_MODULE:
            if importlib.util.find_spec(PY_MODULE[lib]) is not None:
                libs.append(lib)
            else:
                skipped[lib] = f"{PY_MODULE[lib]} not installed, skipped (bash bench/setup.sh)"
        else:
            skipped[lib] = "unknown library name"

    print(f"s3_peers: endpoint={a.endpoint} bucket={a.bucket} run-prefix={run_prefix} {N} x {SIZE / MIB:g} MiB "
          f"= {GB:.3f} GB per phase, concurrency {T}, repeat {a.repeat}; server pid "
          f"{pid or 'n/a'} {pid_note}; {os.cpu_count()} CPUs")
    for lib, why in skipped.items():
        print(f"  {lib}: {why}")
    sys.stdout.flush()

    def list_prefix(prefix, limit=1_000_000):
        out = []
        for pg in admin.get_paginator("list_objects_v2").paginate(Bucket=a.bucket, Prefix=prefix):
            out += [(o["Key"], o["Size"]) for o in pg.get("Contents", [])]
            if len(out) >= limit:
                break
        return out

    def cleanup(prefix, budget_s=120):
        """Delete everything under prefix; bounded by time and by key count."""
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < budget_s:
            keys = [k for k, _ in list_prefix(prefix, limit=10_000)]
            if not keys:
                return n
            for i in range(0, len(keys), 1000):
                admin.delete_objects(Bucket=a.bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                               "Quiet": True})
                n += len(keys[i:i + 1000])
                if time.perf_counter() - t0 >= budget_s:
                    break
        print(f"  cleanup of {prefix} stopped after {budget_s}s ({n} deleted)")
        return n

    def phase(lib, op, prefix, expect=None):
        """Run one phase in a child; -> dict(gbps, cpu, srv, ...)."""
        s0 = server.cpu()
        if lib == "mlstor":
            uri = f"s3://{a.bucket}/{prefix}"
            cmd = [mbin, "bench", op, uri, "--objects", str(N), "--size", str(SIZE),
                   "--concurrency", str(T), "--json"]
            p, wall, cpu = run_timed(cmd, per_call_timeout, env=env)
            srv = server.cpu() - s0
            check_rc(p, f"mlstor bench {op} ")
            j = mlstor_json(p, f"mlstor bench {op}: ")
            if int(j.get("bytes", -1)) != N * SIZE:
                raise RuntimeError(f"mlstor reported bytes={j.get('bytes')} != {N * SIZE}")
            r = {"seconds": float(j["seconds"]), "cpu": cpu, "srv": srv, "self_cpu": j.get("cpu_seconds"),
                 "outer_wall": wall}
            sc = r["self_cpu"]
            if sc is not None and cpu > 0 and abs(sc - cpu) / cpu > 0.2:
                r["cpu_note"] = f"mlstor {op}: self-reported cpu {sc:.2f}s vs rusage {cpu:.2f}s"
            return r
        cmd = [sys.executable, os.path.abspath(__file__), "--child", lib, "--phase", op, "--prefix", prefix,
               "--endpoint", a.endpoint, "--region", a.region, "--bucket", a.bucket, "--objects", str(N), "--size-mib", str(a.size_mib),
               "--concurrency", str(T)]
        p, wall, whole_cpu = run_timed(cmd, per_call_timeout, env=env)
        srv = server.cpu() - s0
        check_rc(p, f"{lib} {op} ")
        j = parse_json_line(p.stdout, show_tail=True)
        r = {"seconds": j["seconds"], "cpu": j["cpu_seconds"], "srv": srv, "whole_process_cpu": whole_cpu,
             "md5": j.get("md5", {})}
        if op == "get":
            if j["bytes"] != N * SIZE or j.get("short"):
                raise RuntimeError(f"{lib} short read: bytes={j['bytes']} short={j.get('short')}")
            if expect is not None and r["md5"] != expect:
                raise RuntimeError(f"{lib} DATA MISMATCH: read md5 {r['md5']} != written {expect}")
        return r

    def reference_md5(prefix):
        out = {}
        for i in sorted({0, N - 1}):
            body = admin.get_object(Bucket=a.bucket, Key=obj_key(prefix, i))["Body"].read()
            out[str(i)] = hashlib.md5(body).hexdigest()
        return out

    rows = {lib: [] for lib in libs}
    errors = {}
    notes = set()
    exit_code = 0
    try:
        for rep in range(a.repeat):
            for lib in libs:
                prefix = f"{run_prefix}{lib}/r{rep}/"
                try:
                    w = phase(lib, "put", prefix)
                    listed = list_prefix(prefix)
                    if len(listed) != N or any(sz != SIZE for _, sz in listed):
                        raise RuntimeError(f"after put: listed {len(listed)} objects, sizes "
                                           f"{sorted({sz for _, sz in listed})[:3]} (want {N} x {SIZE})")
                    expect = w["md5"] if lib != "mlstor" else reference_md5(prefix)
                    time.sleep(0.5)
                    r = phase(lib, "get", prefix, expect=None if lib == "mlstor" else expect)
                    for x in (w, r):
                        if x.get("cpu_note"):
                            notes.add(x["cpu_note"])
                    row = {"write_gbps": GB / w["seconds"], "read_gbps": GB / r["seconds"],
                           "write_cpu_per_gb": w["cpu"] / GB, "read_cpu_per_gb": r["cpu"] / GB,
                           "write_srv_per_gb": w["srv"] / GB, "read_srv_per_gb": r["srv"] / GB,
                           "check": "ok (len)" if lib == "mlstor" else "ok (len+md5)"}
                    if "whole_process_cpu" in r:
                        row["read_whole_process_cpu_per_gb"] = r["whole_process_cpu"] / GB
                        row["write_whole_process_cpu_per_gb"] = w["whole_process_cpu"] / GB
                    rows[lib].append(row)
                    print(f"  rep {rep + 1} {lib:16s} write {row['write_gbps']:.3f} GB/s  read {row['read_gbps']:.3f} GB/s  "
                          f"client CPU s/GB W {row['write_cpu_per_gb']:.2f} R {row['read_cpu_per_gb']:.2f}  "
                          f"server CPU s/GB W {row['write_srv_per_gb']:.2f} R {row['read_srv_per_gb']:.2f}", flush=True)
                except subprocess.TimeoutExpired as e:
                    errors.setdefault(lib, []).append(f"rep {rep + 1}: timeout after {e.timeout}s")
                    print(f"  rep {rep + 1} {lib}: TIMEOUT", flush=True)
                except Exception as e:  # noqa: BLE001
                    errors.setdefault(lib, []).append(f"rep {rep + 1}: {type(e).__name__}: {str(e)[:300]}")
                    print(f"  rep {rep + 1} {lib}: ERROR {errors[lib][-1]}", flush=True)
                finally:
                    try:
                        cleanup(prefix, budget_s=60)
                    except Exception as e:  # noqa: BLE001
                        print(f"  cleanup {prefix} failed: {e}")
    except Watchdog:
        print(f"watchdog: --timeout {a.timeout}s reached; stopping, cleaning up, partial results below", flush=True)
        exit_code = 3
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, lambda *_: os._exit(3))
        signal.alarm(150)  # bound the final cleanup too
        try:
            cleanup(run_prefix, budget_s=120)
        except Exception as e:  # noqa: BLE001
            print(f"final cleanup of {run_prefix} failed: {e}")
        signal.alarm(0)

    # ---- summary
    keys = ["write_gbps", "read_gbps", "write_cpu_per_gb", "read_cpu_per_gb", "write_srv_per_gb", "read_srv_per_gb"]
    med = {lib: {k: statistics.median(x[k] for x in rows[lib]) for k in keys} for lib in libs if rows[lib]}
    srv_on = bool(pid)
    print(f"\nendpoint={a.endpoint} {N} x {SIZE / MIB:g} MiB, concurrency {T}, median of {a.repeat} "
          f"(GB = 1e9 B; CPU s/GB = CPU-seconds per GB moved; per-rep values in brackets)")
    print_table_header("library", "write GB/s", "read GB/s", "client CPU s/GB (W)", "client CPU s/GB (R)",
                       "server CPU s/GB (W)", "server CPU s/GB (R)", "check")

    def cell(lib, k, nd):
        v = med[lib][k]
        per = "/".join(f"{x[k]:.{nd}f}" for x in rows[lib])
        return f"{v:.{nd}f} [{per}]" if len(rows[lib]) > 1 else f"{v:.{nd}f}"
    for lib in libs:
        if lib in med:
            srv = (f"{cell(lib, 'write_srv_per_gb', 2)} | {cell(lib, 'read_srv_per_gb', 2)}" if srv_on else "n/a | n/a")
            chk = rows[lib][0]["check"] + ("; errors: " + " | ".join(errors[lib]) if lib in errors else "")
            print(f"| {lib} | {cell(lib, 'write_gbps', 3)} | {cell(lib, 'read_gbps', 3)} | "
                  f"{cell(lib, 'write_cpu_per_gb', 2)} | {cell(lib, 'read_cpu_per_gb', 2)} | {srv} | {chk} |")
        else:
            print(f"| {lib} | error | | | | | | {' | '.join(errors.get(lib, ['no result']))} |")
    for lib, why in skipped.items():
        print(f"| {lib} | skipped | | | | | | {why} |")
    for n in sorted(notes):
        print(f"note: {n}")

    peers = {lib: m for lib, m in med.items() if lib != "mlstor"}
    ml = med.get("mlstor")
    goals = []

    def goal(label, value, ref, ref_lib, op, target, unit):
        if ml is None or not peers:
            why = "mlstor not measured" if ml is None else "no peer measured"
            line = f"{label}: n/a ({why})"
            ok = None
        else:
            ratio = value / ref if ref else float("inf")
            ok = ratio >= target if op == ">=" else ratio <= target
            line = (f"{label}: {ratio:.2f}x (mlstor {value:.3f} vs {ref_lib} {ref:.3f} {unit})  "
                    f"goal {op} {target}x  {'PASS' if ok else 'MISS'}")
        print(line)
        goals.append({"goal": label, "line": line, "pass": ok})

    print()
    if peers:
        best_r = max(peers, key=lambda l: peers[l]["read_gbps"])
        best_rc = min(peers, key=lambda l: peers[l]["read_cpu_per_gb"])
        best_wc = min(peers, key=lambda l: peers[l]["write_cpu_per_gb"])
    else:
        best_r = best_rc = best_wc = None
    g = lambda lib, k: peers[lib][k] if lib else None  # noqa: E731
    goal("mlstor read GB/s / best peer read GB/s", ml and ml["read_gbps"], g(best_r, "read_gbps"), best_r,
         ">=", a.read_goal, "GB/s")
    goal("mlstor read CPU/GB / best peer read CPU/GB", ml and ml["read_cpu_per_gb"], g(best_rc, "read_cpu_per_gb"),
         best_rc, "<=", 0.5, "CPU s/GB")
    goal("mlstor write CPU/GB / best peer write CPU/GB", ml and ml["write_cpu_per_gb"],
         g(best_wc, "write_cpu_per_gb"), best_wc, "<=", 0.5, "CPU s/GB")
    print("(writes on a small box are server-bound -- compare write CPU/GB rather than write GB/s; "
          "peer client CPU is measured in-process around the I/O, mlstor's over its whole process)")

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"endpoint": a.endpoint, "objects": N, "size": SIZE, "concurrency": T, "repeat": a.repeat,
                       "server_pid": pid, "rows": rows, "median": med, "errors": errors, "skipped": skipped,
                       "goals": goals}, f, indent=1)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
