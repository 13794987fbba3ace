"""Colouring on a Ray cluster: the job folder's shots as Ray tasks across machines.

Ray is an optional extra: nothing here imports it until :func:`import_ray` is called for a run
given ``--cluster``, so the runtime stays as light as before without it.
"""

from __future__ import annotations

from types import ModuleType

from videocolor.errors import ClusterError


def import_ray() -> ModuleType:
    """The ``ray`` module, or one line on how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(
            '--cluster needs Ray, which is not installed: pip install "videocolor[cluster]"'
        ) from None
    return ray
