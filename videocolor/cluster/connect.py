"""Connecting the driver to a Ray cluster, or starting one on this machine.

``--cluster`` takes what ``ray.init`` takes (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``), and
``local`` starts a fresh Ray on this machine (never joining another's: ``ray.init()`` without an
address would join any cluster running here). An address that does not answer is refused in
seconds, before Ray's own client would retry for about a minute.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
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


class _Held:
    def __init__(self) -> None:
        self.keep = True

    def drop(self) -> None:
        self.keep = False


@contextmanager
def _held_stderr() -> Iterator[_Held]:
    """Hold back what is written to stderr (file descriptor 2, where Ray's C++ client logs each
    failed attempt), and let it through afterwards unless dropped: a refused connection is then
    the one line of its error, a working one shows Ray's messages as usual."""
    held = _Held()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as buffer:
        os.dup2(buffer.fileno(), 2)
        try:
            yield held
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if held.keep:
                buffer.seek(0)
                os.write(2, buffer.read())


@contextmanager
def connect(address: str) -> Iterator[ModuleType]:
    """Ray, connected to the cluster at ``address`` until the block ends."""
    if address not in ("auto", "local"):
        check_reachable(address)
        # Something that accepts connections but is no Ray head (a proxy, another service)
        # would keep Ray's client retrying, and its C++ core logging each retry, for 20 s.
        os.environ.setdefault("RAY_gcs_server_port_wait_time_s", str(round(CONNECT_TIMEOUT_S)))
    ray = import_ray()
    options = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address == "local":
        options["include_dashboard"] = False
    with _held_stderr() as held:
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            held.drop()
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ClusterError(f"--cluster {address}: cannot connect ({reason})") from None
    try:
        # Ray prints its nodes' messages (a worker died, the task is retried) on stdout, which
        # belongs to the command's own output (--json): they go to stderr with the logs.
        with redirect_stdout(sys.stderr):
            yield ray
    finally:
        ray.shutdown()
