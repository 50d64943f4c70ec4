#!/usr/bin/env python3
"""The files and bytes DLIO's own checkpointing code writes, per rank, without writing anything.

    python3 bench/dlio_checkpoint_sizes.py DLIO_SRC WORKLOAD.yaml RANKS [--data N] [--set key=value ...]

DLIO_SRC is a checkout or source archive of DLIO (branch mlperf_storage_v2.0, the one MLPerf
Storage v2.0 pins; it is never copied into this repository). The script imports DLIO's
`BaseCheckpointing` with its storage, configuration and MPI modules replaced by stubs,
constructs it for every rank 0..RANKS-1 exactly as DLIO's __init__ does, calls its
save_checkpoint, and prints JSON: {"files": [[[name, bytes], ...] per rank],
"checkpoint_size_GB": DLIO's value, "num_parameters": ...}. `--data N` selects
checkpoint.mode subset with model.parallelism.data N. These are the expected values of
crates/bench/tests/checkpoint_plan.rs. Needs PyYAML; not torch, not MPI.
"""
import argparse
import json
import sys
import types

import yaml


def stub_modules():
    for name in ["psutil", "dlio_benchmark.storage.storage_factory", "dlio_benchmark.utils.config",
                 "dlio_benchmark.utils.utility"]:
        sys.modules[name] = types.ModuleType(name)

    class Storage:
        def create_namespace(self, exist_ok=True): pass
        def create_node(self, *a, **k): pass

    class StorageFactory:
        def get_storage(self, *a): return Storage()

    sys.modules["dlio_benchmark.storage.storage_factory"].StorageFactory = StorageFactory
    sys.modules["dlio_benchmark.utils.config"].ConfigArguments = ConfigArguments
    sys.modules["dlio_benchmark.utils.utility"].DLIOMPI = MPI
    sys.modules["dlio_benchmark.utils.utility"].utcnow = lambda: ""


class Args:
    pass


ARGS = Args()
SUMS = []  # what each rank hands to comm.allreduce: (model bytes, optimizer bytes)


class ConfigArguments:
    @staticmethod
    def get_instance():
        return ARGS


class Comm:
    def __init__(self, rank, size):
        self.rank, self.size = rank, size

    def allreduce(self, x):
        SUMS.append(x)
        return x


class MPI:
    inst = None

    def __init__(self, rank, size):
        self.r, self.s = rank, size

    @staticmethod
    def get_instance():
        return MPI.inst

    def comm(self): return Comm(self.r, self.s)
    def rank(self): return self.r
    def size(self): return self.s
    def npernode(self): return self.s


class Log:
    def output(self, *a): pass
    info = warning = debug = output


def set_key(cfg, dotted, value):
    keys = dotted.split(".")
    for k in keys[:-1]:
        cfg = cfg.setdefault(k, {})
    cfg[keys[-1]] = yaml.safe_load(value)


def run(cfg, size):
    from dlio_benchmark.common.enumerations import CheckpointModeType
    from dlio_benchmark.checkpointing.base_checkpointing import BaseCheckpointing, get_datatype_size

    class Tensor:
        def __init__(self, n, dtype): self.n, self.dtype = n, dtype

    def size_of(state):
        if isinstance(state, Tensor):
            return state.n * get_datatype_size(state.dtype)
        return sum(size_of(v) for v in state.values())

    class Recording(BaseCheckpointing):
        def __init__(self):
            self.saved = []
            super().__init__("pt")

        def set_madvise_mergeable(self, t): return False
        def get_tensor_core(self, length, datatype="int8", randomize=True): return Tensor(length, datatype)
        def save_state(self, suffix, state, fsync=False): self.saved.append([suffix.split("/", 1)[1] + ".pt", size_of(state)])
        def load_state(self, suffix, state): pass
        def save_checkpoint(self, e, s): super().save_checkpoint(e, s)
        def load_checkpoint(self, e, s): super().load_checkpoint(e, s)
        def finalize(self): pass

    m = cfg.get("model", {})
    t, p = m.get("transformer", {}), m.get("parallelism", {})
    ARGS.__dict__.update(dict(
        logger=Log(), storage_type=None, checkpoint_folder="ckpt", framework=None, comm_size=size,
        pipeline_parallelism=p.get("pipeline", 1), tensor_parallelism=p.get("tensor", 1),
        data_parallelism=p.get("data", -1), zero_stage=p.get("zero_stage", 0),
        checkpoint_randomize_tensor=True, ksm_madv_mergeable_id=12, ksm_init=False, ksm_low_ram_exit=15,
        ksm_high_ram_trigger=30, ksm_await_time=200, num_layers=m.get("num_layers", -1),
        optimization_groups=m.get("optimization_groups", []), layer_parameters=m.get("layer_parameters", []),
        model_datatype=m.get("model_datatype", "fp16"), optimizer_datatype=m.get("optimizer_datatype", "fp32"),
        model_size=m.get("model_size_bytes", 10240), model_type=m.get("type"),
        hidden_size=t.get("hidden_size", 2048), vocab_size=t.get("vocab_size", 32000),
        ffn_hidden_size=t.get("ffn_hidden_size", 8192), num_attention_heads=t.get("num_attention_heads", 32),
        num_kv_heads=t.get("num_kv_heads", 8), checkpoint_fsync=False, checkpoint_recovery_rank_shift=False,
        checkpoint_mode=CheckpointModeType(cfg.get("checkpoint", {}).get("mode", "default"))))
    files, model, optimizer, params = [], 0.0, 0.0, 0
    for rank in range(size):
        ARGS.my_rank = rank
        MPI.inst = MPI(rank, size)
        SUMS.clear()
        c = Recording()
        c.save_checkpoint(1, 1)
        model += SUMS[0]
        optimizer += SUMS[1]
        files.append(c.saved)
        params = c.num_parameters
    # BaseCheckpointing: allreduce(model) + allreduce(optimizer), GiB; a non-transformer model
    # counts its model_size once.
    model_gb, optimizer_gb = model / 2**30, optimizer / 2**30
    if ARGS.model_type != "transformer" and ARGS.model_size > 0:
        model_gb = ARGS.model_size / 2**30
    return dict(files=files, checkpoint_size_GB=model_gb + optimizer_gb, num_parameters=params)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dlio_src")
    ap.add_argument("workload")
    ap.add_argument("ranks", type=int)
    ap.add_argument("--data", type=int, help="checkpoint.mode subset with this model.parallelism.data")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args()
    sys.path.insert(0, a.dlio_src)
    stub_modules()
    with open(a.workload) as f:
        cfg = yaml.safe_load(f) or {}
    for kv in a.set:
        k, _, v = kv.partition("=")
        set_key(cfg, k, v)
    if a.data:
        set_key(cfg, "model.parallelism.data", str(a.data))
        set_key(cfg, "checkpoint.mode", "subset")
    print(json.dumps(run(cfg, a.ranks)))


if __name__ == "__main__":
    main()
