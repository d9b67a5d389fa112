"""The project's own exceptions.

Every message says what went wrong *and* what the user can do about it. The CLI turns them into
one line and exit code 1 (2 for bad usage); the UI turns them into a friendly reply.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class for errors a user can act on."""


class InterviewParseError(QAError):
    """The interview file could not be turned into question/answer pairs."""


class ModelUnavailableError(QAError):
    """The requested embedding model cannot be loaded (typically: not available offline)."""


class IndexError_(QAError):
    """An index on disk is unusable; callers rebuild it."""
