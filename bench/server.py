"""Start the real server, or the bare baseline, as a child process: one helper for the benches and
tests/test_crash.py.

Each server runs in its own process on a free port of 127.0.0.1 with the repository as its working
directory; the helpers return once it accepts connections, and stop it if it never does.
"""
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A loaded machine (nine people on two cores) can take half a minute to start a Python server.
START_SECONDS = 60


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port, seconds=START_SECONDS):
    """Return once something accepts connections on `port`; TimeoutError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def start(arguments, port, env=None):
    """Run `python <arguments>` from the repository root, once it listens on `port`; killed if it never does."""
    process = subprocess.Popen([sys.executable, *arguments], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
    except TimeoutError:
        process.kill()
        process.wait()
        raise
    return process


def start_server(env, port):
    """`python run.py serve` (waitress) on `port` with the environment `env` (its DATABASE_URL, SECRET_KEY)."""
    return start(["run.py", "serve", "--port", str(port)], port, env)


def start_bare(port, *arguments):
    """The bare Flask baseline (`python -m bench.bare`) on `port`, with its options."""
    return start(["-m", "bench.bare", "--port", str(port), *arguments], port)


def stop(*processes):
    """Stop each server and wait for it."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(10)


def fill_with_demo(env):
    """`python run.py demo` on the database of `env`'s DATABASE_URL."""
    subprocess.run([sys.executable, "run.py", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
