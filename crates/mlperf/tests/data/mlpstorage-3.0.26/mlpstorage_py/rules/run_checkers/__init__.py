"""
Run checkers for single benchmark run validation.

This package contains checkers that validate individual benchmark runs.
"""

from mlpstorage_py.rules.run_checkers.base import RunRulesChecker
from mlpstorage_py.rules.run_checkers.training import TrainingRunRulesChecker
from mlpstorage_py.rules.run_checkers.checkpointing import CheckpointingRunRulesChecker
from mlpstorage_py.rules.run_checkers.kvcache import KVCacheRunRulesChecker
from mlpstorage_py.rules.run_checkers.vectordb import VectorDBRunRulesChecker

__all__ = [
    'RunRulesChecker',
    'TrainingRunRulesChecker',
    'CheckpointingRunRulesChecker',
    'KVCacheRunRulesChecker',
    'VectorDBRunRulesChecker',
]
