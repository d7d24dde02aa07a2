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
from harness.config import DEFAULT_INTERPRETERS, NODE_ADDON, PYTHON_EXTENSION
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
NODE_SUPPRESSIONS = "node.supp"
# node's own account of itself: its real executable, version, and the folder of
# its headers (<prefix>/include/node, where Debian's nodejs and the official
# tarballs put node_api.h).
_DESCRIBE_NODE = (
    "const fs = require('fs'), path = require('path');"
    "const exe = fs.realpathSync(process.execPath);"
    "console.log(JSON.stringify({executable: exe, version: process.versions.node,"
    "include: path.join(path.dirname(path.dirname(exe)), 'include', 'node')}))"
)
NODE_HEADER = "node_api.h"


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A CPython interpreter as it describes itself."""

    name: str
    executable: str
    include: str
    ext_suffix: str
    version: str
    language: str = "python"

    @property
    def label(self) -> str:
        return f"{self.language} {self.version}"


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


def describe_for(kind: str, name: str | None) -> Interpreter:
    """The interpreter of a python-extension (CPython) or node-addon (Node.js) target."""
    if kind == NODE_ADDON:
        return describe_node(name or DEFAULT_INTERPRETERS[NODE_ADDON])
    return describe(name or DEFAULT_INTERPRETERS[PYTHON_EXTENSION])


@functools.lru_cache(maxsize=16)
def describe_node(name: str) -> Interpreter:
    """Ask node for its real executable and headers. Raises ToolError when node
    or its N-API headers are missing (no node-gyp, nothing downloaded)."""
    if proc.which(name) is None:
        raise ToolError(
            f"interpreter '{name}' not found on PATH; install Node.js "
            "(Debian/Ubuntu: apt-get install nodejs) or set 'interpreter'"
        )
    done = proc.run([name, "-e", _DESCRIBE_NODE], timeout=60, what=f"{name} (describing itself)")
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
        executable, include = str(data["executable"]), str(data["include"])
        node = Interpreter(name, executable, include, ".node", str(data["version"]), "node")
    except (IndexError, ValueError, KeyError, TypeError):
        raise ToolError(
            f"interpreter '{name}' did not describe itself; is it node?", done.stdout
        ) from None
    if not Path(node.include, NODE_HEADER).is_file():
        raise ToolError(
            f"node ({node.executable}) has no {NODE_HEADER} in {node.include}; install its "
            "headers (Debian/Ubuntu: apt-get install nodejs libnode-dev)"
        )
    return node


def suppressions_file(kind: str = PYTHON_EXTENSION) -> Path:
    """The LeakSanitizer suppressions for the interpreter's own leaks, shipped in the package."""
    name = NODE_SUPPRESSIONS if kind == NODE_ADDON else SUPPRESSIONS
    return Path(str(resources.files("harness") / "data" / name))
