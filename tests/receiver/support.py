"""The receiver tests' helpers for the CLI as a real subprocess, as a user starts it: ``receive``
(a running ``pipedrive-gui receive``, stopped when the block ends), ``start_cli`` for any other
command, and ``cli_env``, the environment of both. And a journal this process cannot write, for the
tests of what refuses one: ``read_only(existing_journal(folder))``."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from pipedrive_gui.receiver import JOURNAL_FILE, Journal

# The last line `receive` prints before it takes events; it flushes stdout, so the lines before it
# (the address, the write key, ...) arrive with it even through a pipe.
BANNER_END = "Press Ctrl-C to stop."
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0


def cli_env() -> dict[str, str]:
    """The environment of a ``pipedrive-gui`` subprocess: none of the machine's PIPEDRIVE_* settings,
    and no keyring, so no Pipedrive connection (a receiver only plans payloads)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


async def start_cli(
    data_dir: Path, *argv: str, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """``pipedrive-gui --data-dir DATA_DIR ARGV`` as a subprocess in ``cli_env()``, stdout piped and
    stderr as given (``asyncio.subprocess.STDOUT``: into stdout)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pipedrive_gui",
        "--data-dir",
        str(data_dir),
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        env=cli_env(),
    )


class ReceiveProcess:
    """A running ``pipedrive-gui receive``: ``url``, ``banner`` (all it printed before taking events)
    and ``err``. Its output is read to the end in the background, so a chatty receiver never stalls
    on a full pipe."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.proc = proc
        self.url = ""
        self.banner = ""
        self.killed = False
        self._stdout = proc.stdout
        self._err = bytearray()
        self._readers = [asyncio.get_running_loop().create_task(self._collect(proc.stderr, self._err))]

    @property
    def err(self) -> str:
        """Its stderr so far (all of it once it has stopped)."""
        return self._err.decode()

    async def kill(self) -> None:
        """SIGKILL, as a crash or a closed laptop would; returns once it is gone."""
        self.killed = True
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self._gone()

    async def stop(self) -> int:
        """SIGTERM (when still running), as Ctrl-C or a service manager would; returns its exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self._gone()

    async def listening(self) -> None:
        """Wait until it has printed its banner (it listens from then on) and read ``url`` from it."""
        try:
            await asyncio.wait_for(self._read_banner(), START_TIMEOUT_S)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"receive did not listen within {START_TIMEOUT_S:.0f} s:\n{self.banner}"
            ) from None

    async def _read_banner(self) -> None:
        while BANNER_END not in self.banner:
            line = (await self._stdout.readline()).decode()
            if not line:
                code = await self._gone()
                raise AssertionError(f"receive exited ({code}) before listening:\n{self.banner}\n{self.err}")
            self.banner += line
        found = re.search(r"Listening on (http://\S+)", self.banner)
        assert found, self.banner
        self.url = found.group(1)
        self._readers.append(asyncio.get_running_loop().create_task(self._collect(self._stdout, None)))

    async def _gone(self) -> int:
        code = await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)
        await asyncio.gather(*self._readers)  # the pipes reach their end once it has exited
        return code

    @staticmethod
    async def _collect(stream: asyncio.StreamReader, into: bytearray | None) -> None:
        while chunk := await stream.read(65536):
            if into is not None:
                into.extend(chunk)


@asynccontextmanager
async def receive(data_dir: Path, project: Path, *options: str) -> AsyncIterator[ReceiveProcess]:
    """``pipedrive-gui --data-dir DATA_DIR receive PROJECT --port 0 OPTIONS`` as a subprocess, entered
    once it listens. Leaving the block stops it with SIGTERM, and then it must exit 0 (a clean
    stop), unless the block killed it. On an error in the block it is stopped without that check
    (and killed if SIGTERM does not end it), so the error is the one reported."""
    proc = await start_cli(data_dir, "receive", str(project), "--port", "0", *options)
    running = ReceiveProcess(proc)
    try:
        await running.listening()
        yield running
    except BaseException:
        try:
            await running.stop()
        except asyncio.TimeoutError:
            await running.kill()
        raise
    if not running.killed:
        code = await running.stop()
        assert code == 0, f"receive did not stop cleanly on SIGTERM (exit code {code}):\n{running.err}"


# -- a journal that cannot be written -------------------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make an existing journal file read-only for this process (root ignores file modes: then the
    immutable attribute, where the file system allows it)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root: needs chattr +i (immutable files) to make the journal read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def existing_journal(folder: Path) -> Path:
    """A journal made in ``folder`` and closed: all of it in one file, which ``read_only`` can lock."""
    path = folder / JOURNAL_FILE
    journal = Journal(path)
    journal.open_sync()
    journal.close_sync()
    assert not Path(str(path) + "-wal").exists()  # everything is in the file itself
    return path
