"""The installed version of kspolicy (shown by the CLI, recorded in audit logs, and part
of the parse cache's key)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kspolicy")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
