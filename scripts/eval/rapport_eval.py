"""What the evaluation scripts share: where the binaries and data are, and a
rapportd on a temporary store driven through the `rapport` CLI."""
import contextlib
import os
import socket
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EVAL = os.path.join(os.path.dirname(ROOT), "shared", "eval")
RAPPORTD = os.path.join(ROOT, "build", "server", "rapportd")
RAPPORT = os.path.join(ROOT, "build", "server", "cli", "rapport")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rapport(server, *args):
    """Runs one `rapport` command against `server`; returns its standard output."""
    out = subprocess.run([RAPPORT, args[0], "--server", server, *args[1:]], capture_output=True, text=True, check=True)
    return out.stdout


@contextlib.contextmanager
def temporary_server():
    """Yields (server address, work directory) of a rapportd on a fresh store."""
    work = tempfile.mkdtemp(prefix="rapport-eval-")
    server = f"127.0.0.1:{free_port()}"
    daemon = subprocess.Popen([RAPPORTD, f"--listen={server}", f"--data-dir={work}/db"],
                              stderr=open(os.path.join(work, "rapportd.log"), "w"))
    try:
        rapport(server, "health", "--wait", "30")
        yield server, work
    finally:
        daemon.terminate()
        daemon.wait()
