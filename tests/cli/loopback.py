"""Loopback helpers shared by the CLI tests that start a real rapportd."""
import socket
import time


def free_port():
    """A TCP port on 127.0.0.1 that the kernel just handed out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=30):
    """True once something accepts connections on 127.0.0.1:port."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False
