"""One error hierarchy for everything synthkit raises on purpose.

Every message names the column, parameter or file at fault and says what to do.
"""

from __future__ import annotations


class SynthkitError(Exception):
    """Base class of every error synthkit raises on purpose."""


class DataError(SynthkitError, ValueError):
    """The data given cannot be used as it is (empty, wrong type, all-null...)."""


class SchemaError(DataError):
    """Columns do not match the schema the object was fitted or created with."""


class NotFittedError(SynthkitError, AttributeError):
    """A method that needs ``fit`` first was called before it."""


class GeneratorError(SynthkitError):
    """A generator was configured or used wrongly, or returned bad rows."""


class ConditionError(GeneratorError, ValueError):
    """A conditional-sampling request cannot be met."""


class WorkspaceError(SynthkitError):
    """A workspace folder is missing, foreign, corrupt, locked or misused."""


class DependencyError(SynthkitError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class QualityGateError(SynthkitError):
    """A quality gate failed; the message lists every failed rule in plain words.

    ``result`` holds the :class:`~synthkit.metrics.gate.GateResult` (``result.failed``
    is the table of failed rules).
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


class EngineError(SynthkitError):
    """Distributed work failed: the scheduler is unreachable, a worker died or ran out of memory.

    The message names the scheduler address or the partition (and worker) at fault.
    """


class SynthkitWarning(UserWarning):
    """Warnings synthkit emits on purpose (tests turn them into errors)."""


__all__ = [
    "SynthkitError",
    "DataError",
    "SchemaError",
    "NotFittedError",
    "GeneratorError",
    "ConditionError",
    "WorkspaceError",
    "DependencyError",
    "QualityGateError",
    "EngineError",
    "SynthkitWarning",
]
