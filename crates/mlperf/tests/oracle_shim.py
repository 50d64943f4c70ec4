"""Runs mlpstorage's own rule code (tests/data/mlpstorage_py, unmodified) on the cases
tests/oracle.rs writes, and prints its answers as JSON.

Only the modules those files import are stood in for here, and only with what they use:
- mlpstorage_py.config: the constants of mlpstorage's config.py (models, accelerators,
  LLM_ALLOWED_VALUES, PARAM_VALIDATION, BENCHMARK_TYPES); ACCELERATOR_MEMORY_GB and
  LLM_CHECKPOINT_SIZE_GB from Rules.md Tables 3 and 2 (the copy of config.py we have
  predates them).
- mlpstorage_py.errors: ConfigurationError / ErrorCode (unused by the functions called).
- mlpstorage_py.rules.issues: the Issue dataclass (fields as in mlpstorage).
- mlpstorage_py.rules.param_hints: format_typo_hint -> "" (a message suffix only).
- mlpstorage_py.rules.run_checkers.base: RunRulesChecker running every check_* method,
  as mlpstorage's RulesChecker does.
"""
import argparse
import dataclasses
import enum
import importlib.util
import json
import logging
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    m.__path__ = []
    sys.modules[name] = m
    return m


class PARAM_VALIDATION(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    INVALID = "invalid"


class BENCHMARK_TYPES(enum.Enum):
    training = "training"
    vector_database = "vector_database"
    checkpointing = "checkpointing"
    kv_cache = "kv_cache"


LLM_ALLOWED_VALUES = {
    "llama3-1t": (8, 1, 8 * 64, 8 * 64 * 2),
    "llama3-405b": (8, 1, 8 * 32, 8 * 32 * 2),
    "llama3-70b": (8, 3, 8, 8 * 8),
    "llama3-8b": (8, 3, 8, 8),
}
module("mlpstorage_py")
module(
    "mlpstorage_py.config",
    BENCHMARK_TYPES=BENCHMARK_TYPES,
    PARAM_VALIDATION=PARAM_VALIDATION,
    DATETIME_STR="20261203_000000",
    UNET="unet3d", DLRM="dlrm", RETINANET="retinanet", FLUX="flux",
    MODELS=["cosmoflow", "resnet50", "unet3d", "dlrm", "retinanet", "flux"],
    LLAMA3_8B="llama3-8b",
    LLM_MODELS=["llama3-70b", "llama3-405b", "llama3-1t", "llama3-8b"],
    LLM_SUBSET_PROCS=8,
    LLM_ALLOWED_VALUES=LLM_ALLOWED_VALUES,
    ACCELERATOR_MEMORY_GB={"b200": 180, "mi355": 288, "h100": 80, "a100": 80},
    LLM_CHECKPOINT_SIZE_GB={"llama3-8b": 105, "llama3-70b": 912, "llama3-405b": 5.29 * 1024, "llama3-1t": 18 * 1024},
)


class ConfigurationError(Exception):
    def __init__(self, message, **_):
        super().__init__(message)


module("mlpstorage_py.errors", ConfigurationError=ConfigurationError, ErrorCode=types.SimpleNamespace(CONFIG_MISSING_REQUIRED=1, CONFIG_INVALID_VALUE=2))
module("mlpstorage_py.rules")


@dataclasses.dataclass
class Issue:
    validation: PARAM_VALIDATION
    message: str
    parameter: object = None
    expected: object = None
    actual: object = None
    severity: str = "error"


module("mlpstorage_py.rules.issues", Issue=Issue)
module("mlpstorage_py.rules.param_hints", format_typo_hint=lambda p: "")
module("mlpstorage_py.rules.run_checkers")


class RunRulesChecker:
    def __init__(self, benchmark_run, logger=None):
        self.benchmark_run = benchmark_run
        self.logger = logger or logging.getLogger("oracle")

    def run_checks(self):
        issues = []
        for name in sorted(n for n in dir(self) if n.startswith("check_")):
            r = getattr(self, name)()
            if r is None:
                continue
            issues.extend(r if isinstance(r, list) else [r])
        return issues


module("mlpstorage_py.rules.run_checkers.base", RunRulesChecker=RunRulesChecker)


def load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(DATA, rel))
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


utils = load("mlpstorage_py.rules.utils", "mlpstorage_py/rules/utils.py")
training = load("mlpstorage_py.rules.run_checkers.training", "mlpstorage_py/rules/run_checkers/training.py")
checkpointing = load("mlpstorage_py.rules.run_checkers.checkpointing", "mlpstorage_py/rules/run_checkers/checkpointing.py")

log = logging.getLogger("oracle")
log.ridiculous = log.debug
log.result = log.debug


def datasize(case):
    args = argparse.Namespace(
        client_host_memory_in_gb=case["memory_gb"],
        num_client_hosts=case["hosts"],
        num_processes=case["processes"],
    )
    files, subfolders, total = utils.calculate_training_data_size(
        args, None, case["dataset"], case["reader"], log)
    return {"num_files_train": files, "num_subfolders_train": subfolders, "total_disk_bytes": total}


def check(run):
    system = None
    if run["total_memory_bytes"] is not None:
        system = types.SimpleNamespace(total_memory_bytes=run["total_memory_bytes"])
    br = types.SimpleNamespace(
        benchmark_type=BENCHMARK_TYPES(run["benchmark_type"]),
        model=run["model"], command=run["command"], parameters=run["parameters"],
        override_parameters=run["override_parameters"], system_info=system,
        num_processes=run["num_processes"], accelerator=run["accelerator"],
        run_args=run["run_args"])
    cls = training.TrainingRunRulesChecker if run["benchmark_type"] == "training" else checkpointing.CheckpointingRunRulesChecker
    issues = cls(br).run_checks()
    worst = "closed"
    for i in issues:
        if i.validation == PARAM_VALIDATION.INVALID:
            worst = "invalid"
        elif i.validation == PARAM_VALIDATION.OPEN and worst == "closed":
            worst = "open"
    return {"category": worst, "issues": sorted([i.validation.value, i.parameter or ""] for i in issues)}


# --- core-config-v1 (provenance.json) -----------------------------------------------
# mlpstorage's provenance.py is not among the files we have; these five functions and the
# allowlist are transcribed from mlpstorage_py/provenance.py and rules/core_config_keys.yaml
# at mlcommons/storage 9cf5d20 (the code index's copy), unchanged in logic.
import hashlib

ALLOWLISTS = {
    "training": ("training@1", [
        "framework", "metric.au", "model.*", "workflow.*", "dataset.format",
        "dataset.num_samples_per_file", "dataset.record_length_bytes",
        "dataset.record_length_bytes_stdev", "dataset.record_length_bytes_resize",
        "dataset.record_length", "dataset.record_length_stdev", "dataset.record_length_resize",
        "reader.data_loader", "reader.batch_size", "reader.file_shuffle", "reader.sample_shuffle",
        "reader.shuffle_size", "train.epochs", "train.computation_time",
        "train.computation_time_stdev", "train.total_training_steps", "checkpoint.*"],
        ["checkpoint.checkpoint_folder"]),
    "checkpointing": ("checkpointing@1", ["framework", "model.*", "workflow.*", "checkpoint.*"],
                      ["checkpoint.checkpoint_folder", "checkpoint.num_checkpoints_write",
                       "checkpoint.num_checkpoints_read"]),
}


def flatten_parameters(params, prefix=""):
    if not isinstance(params, dict):
        return
    for key, value in params.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten_parameters(value, dotted + ".")
        else:
            yield dotted, value


def _canon(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        s = value.strip()
        low = s.lower()
        if low in ("true", "false"):
            return low == "true"
        try:
            return int(s)
        except ValueError:
            pass
        try:
            f = float(s)
        except ValueError:
            return s
        return int(f) if f.is_integer() else f
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value


def core_config_hash(mapping):
    canonical = json.dumps({k: _canon(v) for k, v in mapping.items()},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _key_allowed(key, include, exclude):
    if key in exclude:
        return False
    for entry in include:
        if entry.endswith(".*"):
            if key.startswith(entry[:-1]):
                return True
        elif key == entry:
            return True
    return False


def compute_core_config(parameters, family):
    list_id, include, exclude = ALLOWLISTS[family]
    normalised = json.loads(json.dumps(parameters or {}, default=str))
    flat = dict(flatten_parameters(normalised))
    keys = sorted(k for k in flat if _key_allowed(k, include, exclude))
    if not keys:
        return {"algorithm": "core-config-v1", "allowlist": list_id, "hash": "unknown", "keys": []}
    return {"algorithm": "core-config-v1", "allowlist": list_id,
            "hash": core_config_hash({k: flat[k] for k in keys}), "keys": keys}


cases = json.load(open(sys.argv[1]))
json.dump({"datasize": [datasize(c) for c in cases["datasize"]], "runs": [check(r) for r in cases["runs"]],
           "core_config": [compute_core_config(c["parameters"], c["family"]) for c in cases.get("core_config", [])]},
          sys.stdout)
