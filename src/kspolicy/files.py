"""Reading files safely: regular files only, within a byte budget, errors in words.

The one way the engine reads a file it was given (a policy, a list file, a case, a
batch): a FIFO, a device or a folder is refused unread, and no file is read past its
budget.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO, Literal


class NotAFile(OSError):
    """A path that names something other than a regular file: a folder, a FIFO, a device.

    Reading one could never end (`/dev/zero`, a FIFO nobody writes to), so it is refused
    before a byte is read.
    """

    def __init__(self, kind: FileKind) -> None:
        super().__init__(f"it is {kind}, not a file")
        self.kind = kind


class TooLarge(Exception):
    """A file with more bytes than its budget; `size` is what it claims (None: it grew)."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


FileKind = Literal["a folder", "a named pipe (FIFO)", "a device", "a socket", "not a regular file"]
"""What a path names instead of a regular file, in the words `NotAFile` says it with."""


def _kind(mode: int) -> FileKind:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], *, follow_links: bool = True) -> BinaryIO:
    """A regular file opened for reading; NotAFile for anything else, OSError as usual.

    The file is opened without blocking, so that opening a FIFO does not wait for a
    writer, and checked with `fstat` on the open descriptor, so that what is checked is
    what is read (a name swapped between a check and an open cannot slip through).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(_kind(mode))
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_bounded(path: str | os.PathLike[str], limit: int, *, follow_links: bool = True) -> bytes:
    """At most `limit` bytes of a regular file; TooLarge when it holds more.

    The size the file claims is checked first (a quick refusal), and the read itself
    stops one byte past the limit, so a file that grows while it is read, or lies about
    its size, costs no more than the budget.
    """
    with open_regular(path, follow_links=follow_links) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise TooLarge(size)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(None)
    return data


def os_reason(exc: OSError) -> str:
    """Why a file could not be read, in words rather than Python's."""
    if isinstance(exc, NotAFile):
        return str(exc)
    reasons = {
        errno.ENOENT: "no such file",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENAMETOOLONG: "the name is too long for the file system",
        errno.ELOOP: "it is a link that leads in a circle",
        errno.ENOTDIR: "a part of its path is a file, not a folder",
    }
    return reasons.get(exc.errno or 0) or exc.strerror or str(exc)


def os_help(exc: OSError) -> str:
    """What to do about a file that could not be read."""
    if isinstance(exc, NotAFile):
        return "give the path of a file"
    helps = {
        errno.EACCES: "check that this user may read the file and its folders",
        errno.EPERM: "check that this user may read the file and its folders",
        errno.ENAMETOOLONG: "shorten the name",
    }
    return helps.get(exc.errno or 0, "check the file's name")
