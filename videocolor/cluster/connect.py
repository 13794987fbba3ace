"""Connecting the driver to a Ray cluster, or starting one on this machine.

``--cluster`` takes what ``ray.init`` takes (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``), and
``local`` starts a fresh Ray on this machine (never joining another's: ``ray.init()`` without an
address would join any cluster running here). An address that does not answer is refused in
seconds, before Ray's own client would retry for about a minute.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from videocolor.cluster import import_ray
from videocolor.errors import ClusterError

#: Seconds an address may take to accept a connection.
CONNECT_TIMEOUT_S = 5.0


def _host_port(address: str) -> tuple[str, int] | None:
    """The host and port of ``HOST:PORT`` or ``ray://HOST:PORT``; None for ``auto``/``local``."""
    bare = address.removeprefix("ray://")
    host, colon, port = bare.rpartition(":")
    if not colon:
        return None
    if not port.isdigit():
        raise ClusterError(
            f"--cluster {address}: not an address (auto, local, HOST:PORT or ray://HOST:PORT)"
        )
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse an address where nothing accepts a connection, in ``timeout`` seconds at most."""
    target = _host_port(address)
    if target is None:
        return
    try:
        socket.create_connection(target, timeout=timeout).close()
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else error.strerror or str(error)
        raise ClusterError(
            f"--cluster {address}: no Ray cluster answers there ({reason}); start one with "
            "`ray start --head` or give the head's address"
        ) from None


@contextmanager
def connect(address: str) -> Iterator[ModuleType]:
    """Ray, connected to the cluster at ``address`` until the block ends."""
    if address not in ("auto", "local"):
        check_reachable(address)
    ray = import_ray()
    options = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address == "local":
        options["include_dashboard"] = False
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ClusterError(f"--cluster {address}: cannot connect ({reason})") from None
    try:
        yield ray
    finally:
        ray.shutdown()
