"""Small TCP port helpers shared by the component launchers."""

from __future__ import annotations

import socket
import time

LOCALHOST = "127.0.0.1"


class PortInUse(Exception):
    """A component's port is taken by some other process."""

    def __init__(self, port: int, component: str, how_to_change: str = "its port setting") -> None:
        self.port = port
        self.component = component
        super().__init__(
            f"port {port} ({component}) is already in use: "
            f"stop what uses it or choose another port with {how_to_change}"
        )


def port_free(port: int, host: str = LOCALHOST) -> bool:
    """Return True when nothing listens on host:port, so a server could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR like the servers themselves, so TIME_WAIT leftovers of a stopped run do not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_port_free(port: int, component: str, how_to_change: str = "its port setting") -> None:
    """Raise PortInUse unless the port can be bound."""
    if not port_free(port):
        raise PortInUse(port, component, how_to_change)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Return True when a TCP connect to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until host:port accepts TCP connections, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing accepted connections on {host}:{port} within {timeout:.0f} s")
        time.sleep(0.1)


def free_port(host: str = LOCALHOST) -> int:
    """Return a port the kernel considers free right now (there is a small race until someone binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
