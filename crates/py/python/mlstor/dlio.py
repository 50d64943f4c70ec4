"""Run DLIO with its object-storage I/O through mlstor: ``python -m mlstor.dlio [DLIO args]``
(what ``mlstor dlio`` runs).

DLIO 3.0.2 picks its library with ``storage.storage_options.storage_library: s3dlio |
s3torchconnector | minio``. This starts DLIO (``dlio_benchmark.main``, in this same Python,
replacing this process) with ``import s3dlio`` and ``import s3torchconnector`` answered by
:mod:`mlstor.compat.s3dlio` and :mod:`mlstor.compat.s3torchconnector`, so a workload YAML runs
unmodified, and ``storage_library: mlstor`` (in an override, the workload file or
mlpstorage's ``STORAGE_LIBRARY``) is read as ``s3dlio`` through mlstor. ``minio`` is left to
the real minio package. DLIO's own ``S3_ENDPOINT_URIS`` (one endpoint per MPI rank) works as
with s3dlio: mlstor takes the rank's endpoint from ``AWS_ENDPOINT_URL``, which DLIO sets; a
workload file's ``endpoint_uris`` (which DLIO does not read) becomes ``S3_ENDPOINT_URIS`` when
that is not set.

Environment: ``MLSTOR_DLIO_MODULE`` (default ``dlio_benchmark.main``): the module to run.
To run DLIO with the real libraries instead (an A/B), run it without ``mlstor dlio``.
Nothing here imports boto3 (mlpstorage refuses runs that do).
"""
import importlib.util
import os
import re
import sys

LIBRARIES = ("s3dlio", "s3torchconnector")
_KEY = "storage.storage_options.storage_library"


def alias_path():
    """The folder whose ``s3dlio`` / ``s3torchconnector`` packages load mlstor's drop-ins."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat", "_dlio_path")


def _option(args, name):
    for i, a in enumerate(args):
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
        if a == name and i + 1 < len(args):
            return args[i + 1]
    return None


def _workload_file(args):
    """The workload YAML DLIO will load (``workload=NAME`` in the config folder), if found."""
    name = None
    for a in args:
        m = re.fullmatch(r"\+{0,2}workload=(.+)", a)
        if m:
            name = m.group(1)
    config_dir = _option(args, "--config-dir") or _option(args, "-cd")
    if config_dir is None:
        try:
            spec = importlib.util.find_spec("dlio_benchmark")
        except ImportError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            return None
        config_dir = os.path.join(spec.submodule_search_locations[0], "configs")
    if name is None:
        return None
    path = os.path.join(config_dir, "workload", name + ".yaml")
    return path if os.path.isfile(path) else None


def translate(args, env):
    """DLIO's arguments and environment with ``storage_library: mlstor`` read as s3dlio."""
    out = []
    overridden = False
    for a in args:
        m = re.fullmatch(r"(\+{0,2}workload\." + re.escape(_KEY) + r")=mlstor", a)
        if m:
            a = m.group(1) + "=s3dlio"
        if re.match(r"\+{0,2}workload\." + re.escape(_KEY) + "=", a):
            overridden = True
        out.append(a)
    if env.get("STORAGE_LIBRARY") == "mlstor":
        env["STORAGE_LIBRARY"] = "s3dlio"
    path = _workload_file(out)
    if path is not None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not overridden and re.search(r"^\s*storage_library:\s*['\"]?mlstor['\"]?\s*(#.*)?$", text, re.M):
            out.append(f"++workload.{_KEY}=s3dlio")
        uris = _endpoint_uris(text)
        if len(uris) >= 2 and not env.get("S3_ENDPOINT_URIS"):
            env["S3_ENDPOINT_URIS"] = ",".join(uris)
    return out


def _endpoint_uris(text):
    """The workload's ``endpoint_uris`` (under ``storage``, its ``storage_options`` or
    ``reader``, as the v3.0 workload files put it), which DLIO itself only takes from the
    ``S3_ENDPOINT_URIS`` environment variable (one endpoint per MPI rank)."""
    try:
        import yaml

        doc = yaml.safe_load(text) or {}
    except Exception:  # noqa: BLE001 - no PyYAML or not YAML: DLIO will say what is wrong
        return []
    storage = doc.get("storage") or {}
    for section in (storage, storage.get("storage_options") or {}, doc.get("reader") or {}):
        uris = section.get("endpoint_uris") if isinstance(section, dict) else None
        if isinstance(uris, str):
            uris = [u.strip() for u in uris.split(",")]
        if isinstance(uris, list) and uris:
            return [str(u) for u in uris if str(u).strip()]
    return []


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    path = alias_path()
    env["PYTHONPATH"] = os.pathsep.join([path] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    args = translate(args, env)
    module = env.get("MLSTOR_DLIO_MODULE", "dlio_benchmark.main")
    if importlib.util.find_spec(module.partition(".")[0]) is None:
        raise SystemExit(
            f"mlstor dlio: {module} is not installed in {sys.executable} "
            "(install DLIO there, or give mlstor dlio --python PATH)"
        )
    if os.environ.get("MLSTOR_DLIO_QUIET") != "1":
        print(f"mlstor dlio: {', '.join(LIBRARIES)} answered by mlstor; running {module}", file=sys.stderr)
    os.execve(sys.executable, [sys.executable, "-m", module] + args, env)


if __name__ == "__main__":
    main()
