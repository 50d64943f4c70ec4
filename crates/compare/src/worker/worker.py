"""mlstor compare: the worker for one Python storage library (one process per library and op).

Started by `mlstor compare` (the text is inside the mlstor binary); reads one JSON job line on
stdin and, for writes, the objects' bytes (made by mlstor's generator in the parent), then does
the timed part and prints one JSON line with what it measured. It never decides whether what
it read is right: it reports each object's length and CRC-32, and the parent compares them
with what the generator made.

Each library is used as its documentation recommends for throughput: T threads (the job's
`threads`) each moving whole objects with the library's own single-object call, with that
library's within-object parallelism (multipart, ranged parts) at its defaults.
"""
import concurrent.futures as cf
import importlib
import importlib.util
import io
import json
import os
import resource
import sys
import threading
import time
import zlib

MIB = 1 << 20


def rss_bytes(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def cpu_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def version_of(dist):
    try:
        import importlib.metadata as md
        return md.version(dist)
    except Exception:  # noqa: BLE001
        return None


# ----------------------------------------------------------------------------------- adapters
class Adapter:
    """put(key, data) and get(key, on_first_byte) -> buffer-protocol object or list of chunks."""
    dist = None

    def url(self, key):
        return f"{self.job['scheme']}://{self.job['bucket']}/{key}"


class MlstorPy(Adapter):
    dist = "mlstor"

    def __init__(self, job):
        import mlstor
        self.job = job
        opts = {}
        if job.get("endpoints"):
            opts["endpoints"] = job["endpoints"]
        self.store = mlstor.Store(f"{job['scheme']}://{job['bucket']}", **opts)

    def put(self, key, data):
        self.store.put(key, data)

    def get(self, key, first_byte):
        return self.store.get(key)


class S3dlio(Adapter):
    dist = "s3dlio"

    def __init__(self, job):
        import s3dlio
        self.job, self.m = job, s3dlio
        if job["scheme"] == "s3" and job.get("endpoints"):
            s3dlio.configure_s3(endpoint_url=job["endpoints"][0], region=job["region"])

    def put(self, key, data):
        self.m.put_bytes(self.url(key), data)

    def get(self, key, first_byte):
        return self.m.get(self.url(key))


class S3TorchConnector(Adapter):
    """s3torchconnector's S3Client is this client (s3torchconnectorclient) plus torch."""
    dist = "s3torchconnectorclient"

    def __init__(self, job):
        from s3torchconnectorclient._mountpoint_s3_client import MountpointS3Client
        self.job = job
        kw = {"force_path_style": True, "part_size": 8 * MIB}
        if job.get("endpoints"):
            kw["endpoint"] = job["endpoints"][0]
        self.c = MountpointS3Client(region=job["region"], **kw)

    def put(self, key, data):
        s = self.c.put_object(self.job["bucket"], key)
        s.write(data)
        s.close()

    def get(self, key, first_byte):
        chunks = []
        for chunk in self.c.get_object(self.job["bucket"], key):
            if not chunks:
                first_byte()
            chunks.append(chunk)
        return chunks


class Minio(Adapter):
    dist = "minio"

    def __init__(self, job):
        import minio
        import urllib3
        self.job = job
        ep = (job.get("endpoints") or ["https://s3.amazonaws.com"])[0]
        host = ep.split("://", 1)[-1].rstrip("/")
        pool = urllib3.PoolManager(maxsize=job["threads"] * 9 + 2, retries=urllib3.Retry(total=3))
        self.c = minio.Minio(host, access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
                             secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
                             session_token=os.environ.get("AWS_SESSION_TOKEN"),
                             secure=ep.startswith("https"), region=job["region"], http_client=pool)

    def put(self, key, data):
        # The seed's "optimized PUT": 16 MiB parts, 8 parallel part uploads.
        self.c.put_object(self.job["bucket"], key, io.BytesIO(data), len(data),
                          part_size=16 * MIB, num_parallel_uploads=8)

    def get(self, key, first_byte):
        r = self.c.get_object(self.job["bucket"], key)
        first_byte()
        try:
            return r.read()
        finally:
            r.close()
            r.release_conn()


class Boto3(Adapter):
    dist = "boto3"

    def __init__(self, job):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config
        self.job = job
        kw = {"endpoint_url": job["endpoints"][0]} if job.get("endpoints") else {}
        self.c = boto3.client("s3", region_name=job["region"], **kw,
                              config=Config(s3={"addressing_style": "path"},
                                            max_pool_connections=job["threads"] * 10 + 2))
        self.tc = TransferConfig()  # the transfer manager at its defaults (8 MiB parts, 10 threads)

    def put(self, key, data):
        self.c.upload_fileobj(io.BytesIO(data), self.job["bucket"], key, Config=self.tc)

    def get(self, key, first_byte):
        out = io.BytesIO()
        self.c.download_fileobj(self.job["bucket"], key, out, Config=self.tc)
        return out.getbuffer()


class Obstore(Adapter):
    dist = "obstore"

    def __init__(self, job):
        import obstore
        from obstore.store import S3Store
        self.job, self.m = job, obstore
        kw = {}
        if job.get("endpoints"):
            kw["endpoint"] = job["endpoints"][0]
        self.st = S3Store(job["bucket"], region=job["region"], virtual_hosted_style_request=False,
                          client_options={"allow_http": True}, **kw)

    def put(self, key, data):
        self.m.put(self.st, key, data)

    def get(self, key, first_byte):
        r = self.m.get(self.st, key)
        first_byte()
        return r.bytes()


class AzStorageTorch(Adapter):
    """BlobIO with a SAS in the URL: azstoragetorch accepts no account key (Azurite needs one)."""
    dist = "azstoragetorch"

    def __init__(self, job):
        import datetime
        from azstoragetorch.io import BlobIO
        from azure.storage.blob import ContainerSasPermissions, generate_container_sas
        self.job, self.BlobIO = job, BlobIO
        conn = dict(p.split("=", 1) for p in os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "").split(";")
                    if "=" in p)
        account = (os.environ.get("AZURE_STORAGE_ACCOUNT_NAME") or os.environ.get("AZURE_STORAGE_ACCOUNT")
                   or conn.get("AccountName"))
        key = (os.environ.get("AZURE_STORAGE_ACCOUNT_KEY") or os.environ.get("AZURE_STORAGE_KEY")
               or conn.get("AccountKey"))
        if not account or not key:
            raise RuntimeError("azstoragetorch needs the account name and key (AZURE_STORAGE_ACCOUNT / "
                               "AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING): a SAS is made from them")
        ep = (job.get("endpoints") or [conn.get("BlobEndpoint") or f"https://{account}.blob.core.windows.net"])[0]
        ep = ep.rstrip("/")
        sas = generate_container_sas(account, job["bucket"], account_key=key,
                                     permission=ContainerSasPermissions(read=True, write=True, list=True,
                                                                        create=True),
                                     expiry=datetime.datetime.now(datetime.timezone.utc)
                                     + datetime.timedelta(hours=12))
        self.base, self.sas = f"{ep}/{job['bucket']}/", sas

    def put(self, key, data):
        with self.BlobIO(f"{self.base}{key}?{self.sas}", "wb") as f:
            f.write(data)

    def get(self, key, first_byte):
        with self.BlobIO(f"{self.base}{key}?{self.sas}", "rb") as f:
            return f.read()


ADAPTERS = {"mlstor-py": MlstorPy, "s3dlio": S3dlio, "s3torchconnector": S3TorchConnector,
            "minio": Minio, "boto3": Boto3, "obstore": Obstore, "azstoragetorch": AzStorageTorch}


def load_adapter(job):
    if job.get("plugin"):  # --adapter NAME=FILE.py: a module with make(job) -> object with put/get
        spec = importlib.util.spec_from_file_location("mlstor_compare_plugin", job["plugin"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        a = mod.make(job)
        return a, getattr(mod, "VERSION", None)
    cls = ADAPTERS[job["library"]]
    return cls(job), version_of(cls.dist)


# ------------------------------------------------------------------------------------- phases
def crc_of(buf):
    """(crc32, length) of a buffer-protocol object or a list of chunks."""
    if isinstance(buf, list):
        c, n = 0, 0
        for ch in buf:
            c, n = zlib.crc32(ch, c), n + len(memoryview(ch).cast("B"))
        return c, n
    mv = memoryview(buf).cast("B")
    return zlib.crc32(mv), len(mv)


def main():
    stdin = sys.stdin.buffer
    job = json.loads(stdin.readline())
    adapter, version = load_adapter(job)
    n, size, threads, prefix = job["objects"], job["size"], job["threads"], job["prefix"]
    keys = [f"{prefix}obj-{i:06d}" for i in range(n)]
    warm = [f"{prefix}warmup-{i:06d}" for i in range(job["warmup"])]
    lat = [None] * n
    ttfb = [None] * n
    crcs = [None] * n
    lens = [None] * n
    errors = []
    verify_cpu = [0.0]
    lock = threading.Lock()
    seconds = cpu = 0.0
    ex = cf.ThreadPoolExecutor(threads)

    def put_one(i, data):
        t0 = time.perf_counter()
        try:
            adapter.put(keys[i], data)
            lat[i] = time.perf_counter() - t0
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append([keys[i], f"{type(e).__name__}: {e}"[:400]])

    def get_one(i):
        t0 = time.perf_counter()
        fb = []
        try:
            buf = adapter.get(keys[i], lambda: fb.append(time.perf_counter()))
            lat[i] = time.perf_counter() - t0
            if fb:
                ttfb[i] = fb[0] - t0
            c0 = time.thread_time()
            crcs[i], lens[i] = crc_of(buf)
            del buf
            with lock:
                verify_cpu[0] += time.thread_time() - c0
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append([keys[i], f"{type(e).__name__}: {e}"[:400]])

    if job["op"] == "write":
        batch = job["batch_objects"]
        rss0 = None
        for start in range(0, n, batch):
            end = min(n, start + batch)
            data = [stdin.read(size) for _ in range(start, end)]
            if any(len(d) != size for d in data):
                raise SystemExit("worker: the parent's data stream ended early")
            if start == 0:
                list(ex.map(lambda k: adapter.put(k, data[0]), warm))  # warm-up, not timed
                rss0 = rss_bytes("VmRSS")
                reset_peak_rss()
            c0, t0 = cpu_now(), time.perf_counter()
            list(ex.map(put_one, range(start, end), data))
            seconds += time.perf_counter() - t0
            cpu += cpu_now() - c0
            del data
    else:
        for k in warm:  # warm-up, not timed
            adapter.get(k, lambda: None)
        rss0 = rss_bytes("VmRSS")
        reset_peak_rss()
        c0, t0 = cpu_now(), time.perf_counter()
        list(ex.map(get_one, range(n)))
        seconds = time.perf_counter() - t0
        cpu = cpu_now() - c0 - verify_cpu[0]
    peak = rss_bytes("VmHWM")
    ex.shutdown()
    out = {"version": version, "seconds": seconds, "cpu_seconds": cpu, "verify_cpu_seconds": verify_cpu[0],
           "latency_s": lat, "ttfb_s": ttfb if any(t is not None for t in ttfb) else None,
           "crc32": crcs if job["op"] == "read" else None, "lengths": lens if job["op"] == "read" else None,
           "errors": errors, "retries": None,
           "rss_growth_bytes": (peak - rss0) if peak is not None and rss0 is not None else None}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
