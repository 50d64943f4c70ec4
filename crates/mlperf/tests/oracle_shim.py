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


cases = json.load(open(sys.argv[1]))
json.dump({"datasize": [datasize(c) for c in cases["datasize"]], "runs": [check(r) for r in cases["runs"]]}, sys.stdout)
