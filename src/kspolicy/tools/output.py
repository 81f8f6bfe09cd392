"""Writing the files a command makes: whole or not at all, never through a planted link.

Every file a command writes (a case `ask` saves, an explanation, a template, a batch's
output) is written to a temporary file in the folder it goes to and renamed over the
name at the end. The temporary file gets a random name and is created only if nothing
has that name (`mkstemp`: O_CREAT | O_EXCL), so a symlink planted at the output's name,
or at a name the command might pick, is never followed: the rename replaces the link
itself. A crash leaves the old file or the new one, never half of one.

A device or a pipe named as the output (`/dev/null`, a FIFO, `/dev/stdout`, the
`/dev/fd/63` of a shell's `>(...)`) is written into, not renamed over: a rename would
put a plain file where the device was (as root, `--out /dev/null` replaced the system's
/dev/null). Anything else that is not a regular file, a link to a device among them, is
refused (`stream_target`).

Whatever the file system refuses is a `KspolicyError` that names the path and says why
in words (`write_reason`), so that the command line reports it with exit code 2.

Standard output closed by its reader before a command is done (`kspolicy fmt | head
-1`) ends the command quietly with status 141, as if SIGPIPE had killed it, the Unix
convention, or with the failure the command had already found (`cut_short`): output
that was cut never reports success.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from ..diagnostics import KspolicyError
from ..files import os_reason


class OutFile:
    """argparse's `type` of an `--out FILE` option: the path, and `-` standard output
    (None, as without the option), as `-` is standard input for a case or a batch (it
    made a file named `-`); or, given why, `-` refused where the output cannot go to
    standard output. (tests/test_cli_paths.py finds the path options by this type.)"""

    def __init__(self, refused: str | None = None) -> None:
        self.refused = refused

    def __call__(self, text: str) -> Path | None:
        """The path given; None for `-` (standard output), unless refused."""
        if text != "-":
            return Path(text)
        if self.refused is not None:
            raise argparse.ArgumentTypeError(
                f"- (standard output) cannot be the output: {self.refused}"
            )
        return None


def write_reason(exc: BaseException, path: Path) -> str:
    """Why `path` cannot be written, in words, with what to do about it."""
    if not isinstance(exc, OSError):
        return str(exc)  # ValueError: a NUL byte in the name
    folder = path.parent if str(path.parent) else Path(".")
    reasons = {
        errno.ENOENT: f"there is no folder {folder}; create it first, or give another path",
        errno.EACCES: f"this user may not write in {folder}",
        errno.EPERM: f"this user may not write in {folder}",
        errno.EROFS: f"{folder} is on a read-only file system",
        errno.EISDIR: "it is a folder: give the name of a file",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
    }
    return reasons.get(exc.errno or 0) or os_reason(exc)


def cannot_write(path: Path, exc: BaseException) -> KspolicyError:
    """The error for a file that could not be written."""
    return KspolicyError(f"cannot write {path}: {write_reason(exc, path)}")


# The names a shell or a system gives a stream: written into even through their links.
_STREAM_NAMES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


def stream_target(path: Path) -> bool:
    """Whether `path` is a stream to write into rather than a file to replace: a FIFO or
    a character device named itself (not through a link someone may have planted), or a
    shell's name for one (`/dev/stdout`, `/dev/fd/63`). A block device, a socket, or a
    link to a device elsewhere is refused: KspolicyError."""
    try:
        own = os.lstat(path)
    except (OSError, ValueError):
        return False  # nothing there yet (or a bad name: the writer says so)
    if stat.S_ISREG(own.st_mode) or stat.S_ISDIR(own.st_mode):
        return False
    if stat.S_ISFIFO(own.st_mode) or stat.S_ISCHR(own.st_mode):
        return True
    if stat.S_ISLNK(own.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            return False  # a dangling link: replaced, as before
        if stat.S_ISREG(target.st_mode) or stat.S_ISDIR(target.st_mode):
            return False
        name = str(path)
        if name.startswith(_STREAM_NAMES) and (
            stat.S_ISFIFO(target.st_mode)
            or stat.S_ISCHR(target.st_mode)
            or stat.S_ISSOCK(target.st_mode)
        ):
            return True
    raise KspolicyError(
        f"cannot write {path}: it is not a regular file (a device, socket or a link to "
        "one); give the name of a file, or leave --out out and redirect the output"
    )


def _open_stream(path: Path) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed by its owner)
    except (OSError, ValueError) as exc:
        raise cannot_write(path, exc) from None


def check_writable(path: Path) -> None:
    """Refuse now, before any work, an output path that could never be written: a
    folder, a folder that does not exist or may not be written in, a name too long."""
    if stream_target(path):
        return
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        fd, temporary = _temporary(path)
    except (OSError, ValueError) as exc:
        raise cannot_write(path, exc) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _temporary(path: Path) -> tuple[int, str]:
    folder = path.parent if str(path.parent) else Path(".")
    # The prefix holds the output's name, so a name too long for the folder fails here.
    return tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Replacing:
    """A text file written to a temporary name beside `path`, renamed over it by `commit`.

    Use as a context manager: leaving it without `commit` (an error, an interrupt)
    removes the temporary file and leaves `path` as it was. The new file keeps the
    permissions of the one it replaces (a new one gets the umask's).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._done = False
        self._temporary = ""
        if stream_target(path):  # written into as it comes; nothing to rename
            self.stream: IO[str] = _open_stream(path)
            return
        if os.path.isdir(path):
            raise cannot_write(path, IsADirectoryError(errno.EISDIR, "is a folder"))
        try:
            self._mode = os.stat(path).st_mode & 0o7777
        except (OSError, ValueError):
            self._mode = 0o666 & ~_umask()
        try:
            fd, self._temporary = _temporary(path)
        except (OSError, ValueError) as exc:
            raise cannot_write(path, exc) from None
        self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def __enter__(self) -> Replacing:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Abandon the file unless it was committed."""
        if not self._done:
            self.abandon()

    def write(self, text: str) -> None:
        """Write text to the temporary file; KspolicyError when the disk refuses it."""
        try:
            self.stream.write(text)
        except OSError as error:
            raise cannot_write(self.path, error) from None

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each text in turn."""
        for line in lines:
            self.write(line)

    def commit(self) -> None:
        """Flush, sync and rename the temporary file over `path`."""
        if not self._temporary:  # a stream: flushed and closed
            try:
                self.stream.close()
            except OSError as error:
                raise cannot_write(self.path, error) from None
            self._done = True
            return
        try:
            self.stream.flush()
            os.fchmod(self.stream.fileno(), self._mode)
            os.fsync(self.stream.fileno())
            self.stream.close()
            os.replace(self._temporary, self.path)
        except OSError as error:
            self.abandon()
            raise cannot_write(self.path, error) from None
        self._done = True

    def abandon(self) -> None:
        """Remove the temporary file; `path` stays as it was."""
        self._done = True
        with contextlib.suppress(OSError):
            self.stream.close()
        if self._temporary:
            with contextlib.suppress(OSError):
                os.unlink(self._temporary)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace a file atomically with `data` (see the module's docstring); a device or
    pipe gets `data` written into it."""
    if stream_target(path):
        try:
            with open(path, "wb") as stream:
                stream.write(data)
        except (OSError, ValueError) as exc:
            raise cannot_write(path, exc) from None
        return
    try:
        mode = os.stat(path).st_mode & 0o7777
    except (OSError, ValueError):
        mode = 0o666 & ~_umask()
    if os.path.isdir(path):
        raise cannot_write(path, IsADirectoryError(errno.EISDIR, "is a folder"))
    try:
        fd, temporary = _temporary(path)
    except (OSError, ValueError) as exc:
        raise cannot_write(path, exc) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def write_new(path: Path, text: str) -> bool:
    """Write a file that does not exist yet; False if something has that name, a symlink
    too (O_EXCL never follows one), so no planted name makes this write elsewhere."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    except (OSError, ValueError) as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        # A file cut short would pass for a whole one: nothing is left rather than half.
        with contextlib.suppress(OSError):
            os.unlink(path)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise
    return True


CUT = 128 + signal.SIGPIPE
"""The exit status of a command whose reader closed its standard output early (141): a
shell's status for a process SIGPIPE killed, which is what `head` does to most tools."""


class Cut(BrokenPipeError):
    """Standard output was closed by its reader; `status` is the failure the command
    had found before (0: none), which says more than the cut (`failing_with`)."""

    def __init__(self, status: int) -> None:
        super().__init__("standard output was closed by its reader")
        self.status = status


@contextlib.contextmanager
def failing_with(status: Callable[[], int]) -> Iterator[None]:
    """Output written inside, by a command that may have failed already (`fmt` on a bad
    file, `check` finding errors): a reader closing standard output early ends it with
    `status()`, its own failure, rather than the cut's 141 (`Cut`)."""
    try:
        yield
    except BrokenPipeError as exc:
        if isinstance(exc, Cut):
            raise
        raise Cut(status()) from None


def cut_short(status: int = 0) -> int:
    """The exit status of a command whose standard output was closed by its reader
    (`CUT`, or `status`, the failure the command had found); the rest of its output is
    sent to /dev/null, so that the interpreter's last flush does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
        fd = -1
    if fd >= 0:
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
    return status or CUT
