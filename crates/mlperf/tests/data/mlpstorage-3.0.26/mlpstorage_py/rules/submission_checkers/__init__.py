"""
Submission checkers for multi-run validation.

This package contains checkers that validate groups of benchmark runs
as complete submissions.
"""

from mlpstorage_py.rules.submission_checkers.base import MultiRunRulesChecker
from mlpstorage_py.rules.submission_checkers.training import TrainingSubmissionRulesChecker
from mlpstorage_py.rules.submission_checkers.checkpointing import CheckpointSubmissionRulesChecker

__all__ = [
    'MultiRunRulesChecker',
    'TrainingSubmissionRulesChecker',
    'CheckpointSubmissionRulesChecker',
]
