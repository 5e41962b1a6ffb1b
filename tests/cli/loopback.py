"""Loopback helpers shared by the CLI tests that start a real rapportd."""
import socket
import sys
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


def check(condition, what):
    """Ends the test with FAIL and `what` unless `condition` holds."""
    if not condition:
        print("FAIL:", what)
        sys.exit(1)


def wait_for_text(path, needle, seconds=10):
    """True once the file at `path` (a server's log) contains `needle`."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        with open(path) as f:
            if needle in f.read():
                return True
        time.sleep(0.05)
    return False
