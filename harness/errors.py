"""The harness's exceptions, turned into exit codes in exactly one place (cli.main).

Exit codes (contract):
  0  success, nothing new
  1  new or regressed findings where the command gates on them
  2  usage or configuration error
  3  the harness could not do its job (build failed, target not built,
     tool missing, SMTP failed)
130  interrupted (Ctrl-C)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


class HarnessError(Exception):
    """Something the harness could not do. The message says what, where, and what to do."""

    exit_code = EXIT_FAILED


class UsageError(HarnessError):
    """A wrong command line: unknown target, conflicting flags."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """harness.toml (or another configuration file) is broken."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line


class ToolError(HarnessError):
    """An external tool is missing or failed (compiler, SCons, valgrind, git)."""

    def __init__(self, message: str, stderr: str = ""):
        super().__init__(message)
        self.stderr = stderr


class BuildError(ToolError):
    """A build failed; stderr carries the compiler's own message."""


class NotBuiltError(HarnessError):
    """A target's binary is missing: the message names the build command."""
