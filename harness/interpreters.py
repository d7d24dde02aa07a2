"""Interpreters that load a target's native extension: which binary really runs,
and where its headers and extension suffix are.

Version managers (pyenv, asdf) put shell-script shims first on PATH. A shim is
not the interpreter: run under a preloaded sanitizer runtime it would be
checked too and report the shell's own leaks, and it may pick another Python
than the one the extension was built for. So the interpreter is asked for
`sys.executable` and that path, resolved, is what runs.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness import proc
from harness.errors import ToolError

# What the interpreter says about itself: one JSON line, nothing imported but the stdlib.
_DESCRIBE = (
    "import json, os, sys, sysconfig; print(json.dumps({"
    "'executable': os.path.realpath(sys.executable), "
    "'include': sysconfig.get_paths()['include'], "
    "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX'), "
    "'version': '%d.%d.%d' % sys.version_info[:3]}))"
)
SUPPRESSIONS = "python.supp"


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A CPython interpreter as it describes itself."""

    name: str
    executable: str
    include: str
    ext_suffix: str
    version: str

    @property
    def label(self) -> str:
        return f"python {self.version}"


def parse_description(name: str, text: str) -> Interpreter:
    """The Interpreter from the JSON line `_DESCRIBE` prints. Raises ToolError."""
    try:
        data = json.loads(text.strip().splitlines()[-1])
        return Interpreter(
            name=name,
            executable=str(data["executable"]),
            include=str(data["include"]),
            ext_suffix=str(data["ext_suffix"] or ".so"),
            version=str(data["version"]),
        )
    except (IndexError, ValueError, KeyError, TypeError):
        raise ToolError(
            f"interpreter '{name}' did not describe itself; is it CPython 3? "
            "set 'interpreter' in harness.toml to a python3 executable",
            text,
        ) from None


@functools.lru_cache(maxsize=16)
def describe(name: str) -> Interpreter:
    """Ask `name` (a command on PATH or a path) for its real executable, headers and
    extension suffix. Raises ToolError when it is missing or lacks its headers."""
    if proc.which(name) is None:
        raise ToolError(
            f"interpreter '{name}' not found on PATH; install it "
            "(Debian/Ubuntu: apt-get install python3 python3-dev) or set 'interpreter'"
        )
    done = proc.run([name, "-c", _DESCRIBE], timeout=60, what=f"{name} (describing itself)")
    interpreter = parse_description(name, done.stdout)
    if not Path(interpreter.include, "Python.h").is_file():
        raise ToolError(
            f"interpreter '{name}' ({interpreter.executable}) has no Python.h in "
            f"{interpreter.include}; install its headers (Debian/Ubuntu: apt-get install "
            "python3-dev)"
        )
    return interpreter


def suppressions_file() -> Path:
    """The LeakSanitizer suppressions for the interpreter's own leaks, shipped in the package."""
    return Path(str(resources.files("harness") / "data" / SUPPRESSIONS))
