"""The errors videocolor raises on purpose.

Each subclasses :class:`VideocolorError` (which the CLI turns into one line on stderr and exit
code 1) and the matching built-in, so library callers can catch either. Messages say what was
expected, what arrived and how to fix it.
"""

from __future__ import annotations


class VideocolorError(Exception):
    """Base of every error that is the user's input or environment, not a bug."""


class InputNotFoundError(VideocolorError, FileNotFoundError):
    """An input path does not exist."""


class NotAVideoError(VideocolorError, ValueError):
    """An input exists but holds no decodable video (empty, text, audio only, ...)."""


class UnsupportedFormatError(VideocolorError, ValueError):
    """The input decodes, but to a pixel format or size that videocolor cannot handle."""


class OutputError(VideocolorError, OSError):
    """An output cannot be written where asked (exists, not writable, same as input, ...)."""


class ReferenceImageError(VideocolorError, ValueError):
    """A reference image is unusable (unreadable, no frame number, outside the video)."""


class ModelError(VideocolorError, RuntimeError):
    """A model file is missing, malformed, or does not match what the runtime expects."""


class DiskFullError(OutputError):
    """The disk filled while writing; what was half-written is removed (a job's finished shots
    are kept). ``bytes_per_frame`` is what the output took a frame so far, when known."""

    def __init__(self, message: str, bytes_per_frame: float | None = None) -> None:
        super().__init__(message)
        self.bytes_per_frame = bytes_per_frame


class ClusterError(VideocolorError, RuntimeError):
    """A Ray cluster that cannot be used: not installed, unreachable, or a task that failed."""


class StudioError(VideocolorError, OSError):
    """The studio's web server cannot start (the port is taken, the address is not this
    machine's)."""
