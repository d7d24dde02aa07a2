"""harness.toml → Config and Target dataclasses, with errors that say where.

Every key is declared once in a table below (name → type, default); an
unknown key, a wrong type, a missing source file or a duplicate target name
is a ConfigError naming the file, the line and what to do.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from harness.mail import MailSettings

CONFIG_NAME = "harness.toml"
LANGUAGES = ("c", "c++")
INPUT_MODES = ("path", "stdin")
# What a target's sources become: a program, or a native extension run through
# its interpreter (`<interpreter> <script> <args>`): a CPython extension module,
# or a Node.js addon (N-API, `<module>.node`).
PROGRAM = "program"
PYTHON_EXTENSION = "python-extension"
NODE_ADDON = "node-addon"
KINDS = (PROGRAM, PYTHON_EXTENSION, NODE_ADDON)
DEFAULT_INTERPRETER = "python3"
DEFAULT_INTERPRETERS = {PYTHON_EXTENSION: DEFAULT_INTERPRETER, NODE_ADDON: "node"}
DEFAULT_OPTIMIZATION = "-O1"
DEFAULT_TIMEOUT = 10.0
# What may fail a night (exit 1): findings new or regressed since the last
# nightly, or any finding still open.
NIGHTLY_GATES = ("new", "regressed", "open")
COMPILER_FAMILIES = ("gcc", "clang")
DEFAULT_NIGHTLY_PROFILES = ("asan",)
DEFAULT_FAIL_ON = ("new", "regressed")


@dataclass(frozen=True, slots=True)
class Nightly:
    """[nightly]: the profiles built and run each night, and what fails the night."""

    profiles: tuple[str, ...] = DEFAULT_NIGHTLY_PROFILES
    cc: str | None = None
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON


@dataclass(frozen=True, slots=True)
class Target:
    """One program to build (from `sources`) or to take as built (`binary`)."""

    name: str
    language: str = "c"
    sources: tuple[str, ...] = ()
    binary: str | None = None
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    optimization: str = DEFAULT_OPTIMIZATION
    inputs: str | None = None
    input: str = "path"
    args: tuple[str, ...] = ("{input}",)
    timeout: float = DEFAULT_TIMEOUT
    env: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    kind: str = PROGRAM
    module: str | None = None
    interpreter: str | None = None
    script: str | None = None

    @property
    def built_by_harness(self) -> bool:
        return bool(self.sources)

    @property
    def is_python_extension(self) -> bool:
        return self.kind == PYTHON_EXTENSION

    @property
    def is_node_addon(self) -> bool:
        return self.kind == NODE_ADDON

    @property
    def is_extension(self) -> bool:
        """Loaded by an interpreter rather than run as a program."""
        return self.kind in (PYTHON_EXTENSION, NODE_ADDON)


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    root: Path
    name: str
    targets: tuple[Target, ...]
    cc: str | None = None
    db: str | None = None
    ignore_frames: tuple[str, ...] = ()
    # [triage] suppressions: the suppression file, relative to root (harness.suppress)
    suppressions: str | None = None
    # [symbolize]: build-path prefix → local prefix; folders searched for binaries
    # (relative to root); the symbolizer program (default: found on PATH)
    path_map: tuple[tuple[str, str], ...] = ()
    binaries: tuple[str, ...] = ()
    symbolizer: str | None = None
    # [nightly], and [email]: where the nightly mail goes (None: no mail)
    nightly: Nightly = Nightly()
    email: MailSettings | None = None

    def target(self, name: str) -> Target | None:
        for target in self.targets:
            if target.name == name:
                return target
        return None


# key → (accepted python types, description for messages)
_STR = ((str,), "a string")
_STR_LIST = ((list,), "a list of strings")
_NUMBER = ((int, float), "a number")
_STR_TABLE = ((dict,), "a table of strings")

PROJECT_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "name": _STR,
    "cc": _STR,
    "db": _STR,
}
TRIAGE_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "ignore_frames": _STR_LIST,
    "suppressions": _STR,
}
SYMBOLIZE_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "path_map": _STR_TABLE,
    "binaries": _STR_LIST,
    "symbolizer": _STR,
}
TARGET_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "name": _STR,
    "language": _STR,
    "sources": _STR_LIST,
    "binary": _STR,
    "cflags": _STR_LIST,
    "ldflags": _STR_LIST,
    "optimization": _STR,
    "inputs": _STR,
    "input": _STR,
    "args": _STR_LIST,
    "timeout": _NUMBER,
    "env": _STR_TABLE,
    "kind": _STR,
    "module": _STR,
    "interpreter": _STR,
    "script": _STR,
}
# Keys that only a python-extension or node-addon target may set.
EXTENSION_KEYS = ("module", "interpreter", "script")
NIGHTLY_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "profiles": _STR_LIST,
    "cc": _STR,
    "fail_on": _STR_LIST,
}
TOP_KEYS = ("project", "triage", "symbolize", "target", "nightly", "email")


def find_config(start: Path) -> Path | None:
    """harness.toml in `start` or the nearest folder above it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> Config:
    """Read and check a harness.toml. Raises ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file; create it or pass --config FILE", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(exc)
        message = f"not valid TOML: {exc}{_quote_line(text, line)}"
        raise ConfigError(message, str(path), line) from None
    return _Reader(path, text).config(data)


def _quote_line(text: str, line: int | None) -> str:
    """The offending line, so the message shows the key at fault."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines) or not lines[line - 1].strip():
        return ""
    return f": {lines[line - 1].strip()}"


def _decode_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


class _Reader:
    """Checks the parsed TOML; knows the text only to point at lines."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.root = path.resolve().parent
        self.lines = text.splitlines()

    def fail(self, message: str, line: int | None = None) -> ConfigError:
        return ConfigError(message, str(self.path), line)

    def line_of(self, key: str, after: int = 0) -> int | None:
        """The first line (1-based) at or after `after` that sets `key`."""
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(max(after, 1), len(self.lines) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def target_line(self, index: int) -> int:
        """Line of the `[[target]]` header number `index` (0-based)."""
        seen = -1
        for number, text in enumerate(self.lines, start=1):
            if re.match(r"^\s*\[\[\s*target\s*\]\]", text):
                seen += 1
                if seen == index:
                    return number
        return 1

    def check_keys(
        self,
        table: dict[str, Any],
        known: dict[str, tuple[tuple[type, ...], str]],
        where: str,
        after: int = 0,
    ) -> None:
        for key, value in table.items():
            line = self.line_of(key, after)
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
                raise self.fail(f"{where}: unknown key '{key}'; {hint}", line)
            types, description = known[key]
            if isinstance(value, bool) or not isinstance(value, types):
                raise self.fail(f"{where}: '{key}' must be {description}", line)
            items: list[Any] = list(value.values()) if isinstance(value, dict) else []
            items += value if isinstance(value, list) else []
            if not all(isinstance(item, str) for item in items):
                raise self.fail(f"{where}: '{key}' must be {description}", line)

    def config(self, data: dict[str, Any]) -> Config:
        for key in data:
            if key not in TOP_KEYS:
                close = difflib.get_close_matches(key, TOP_KEYS, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(TOP_KEYS)}"
                raise self.fail(f"unknown table '{key}'; {hint}", self._table_line(key))
        project = self._table(data, "project")
        triage = self._table(data, "triage")
        self.check_keys(project, PROJECT_KEYS, "[project]", self._table_line("project") or 0)
        self.check_keys(triage, TRIAGE_KEYS, "[triage]", self._table_line("triage") or 0)
        symbolize = self._table(data, "symbolize")
        symbolize_line = self._table_line("symbolize") or 0
        self.check_keys(symbolize, SYMBOLIZE_KEYS, "[symbolize]", symbolize_line)
        suppressions = self._suppressions(triage)
        raw_targets = data.get("target", [])
        if not isinstance(raw_targets, list):
            raise self.fail("'target' must be an array of tables: write [[target]]", 1)
        targets = tuple(self.target(raw, index) for index, raw in enumerate(raw_targets))
        seen: dict[str, int] = {}
        for index, target in enumerate(targets):
            if target.name in seen:
                raise self.fail(
                    f"duplicate target '{target.name}' (first defined at line "
                    f"{self.target_line(seen[target.name])}); rename one of them",
                    self.target_line(index),
                )
            seen[target.name] = index
        return Config(
            path=self.path,
            root=self.root,
            name=project.get("name", self.root.name),
            targets=targets,
            cc=project.get("cc"),
            db=project.get("db"),
            ignore_frames=tuple(triage.get("ignore_frames", ())),
            suppressions=suppressions,
            path_map=tuple(symbolize.get("path_map", {}).items()),
            binaries=tuple(symbolize.get("binaries", ())),
            symbolizer=symbolize.get("symbolizer"),
            nightly=self._nightly(data),
            email=self._email(data),
        )

    def _nightly(self, data: dict[str, Any]) -> Nightly:
        from harness.profiles import parse_profile

        table = self._table(data, "nightly")
        start = self._table_line("nightly") or 0
        self.check_keys(table, NIGHTLY_KEYS, "[nightly]", start)
        profiles = tuple(table.get("profiles", DEFAULT_NIGHTLY_PROFILES))
        if not profiles:
            raise self.fail("[nightly]: 'profiles' is empty; name one, e.g. [\"asan\"]", start)
        for name in profiles:
            try:
                parse_profile(name)
            except UsageError as exc:
                line = self.line_of("profiles", start)
                raise self.fail(f"[nightly]: 'profiles': {exc}", line) from None
        cc = table.get("cc")
        if cc is not None:
            self._choice("[nightly]", "cc", cc, COMPILER_FAMILIES, start)
        fail_on = tuple(table.get("fail_on", DEFAULT_FAIL_ON))
        for gate in fail_on:
            self._choice("[nightly]", "fail_on", gate, NIGHTLY_GATES, start)
        return Nightly(profiles=tuple(dict.fromkeys(profiles)), cc=cc, fail_on=fail_on)

    def _email(self, data: dict[str, Any]) -> MailSettings | None:
        if "email" not in data:
            return None
        # here, not at the top: only a project that mails pays for smtplib and ssl
        from harness import mail

        table = dict(self._table(data, "email"))
        start = self._table_line("email") or 0
        if "from" in table:
            if "sender" in table:
                raise self.fail("[email]: give 'from' or 'sender', not both", start)
            table["sender"] = table.pop("from")
        try:
            return mail.settings_from_table(table, str(self.path))
        except ConfigError as exc:
            # mail names keys mail.<key>; here they sit in the [email] table
            message = str(exc).removeprefix(f"{self.path}: ")
            found = re.match(r"email\.(\w+)", message)
            key = found.group(1) if found else None
            if "sender" not in self._table(data, "email"):
                # the file says `from` (or neither): name the key as written
                message = re.sub(r"\bsender\b", "from", message)
                key = "from" if key == "sender" else key
            line = (self.line_of(key, start) if key else None) or start or None
            raise self.fail(re.sub(r"\bemail\.(\w+)", r"[email] \1", message), line) from None

    def _suppressions(self, triage: dict[str, Any]) -> str | None:
        name = triage.get("suppressions")
        if name is not None and not (self.root / name).is_file():
            raise self.fail(
                f"[triage]: suppressions file '{name}' does not exist "
                f"(paths are relative to {self.root}); create it or remove the key",
                self.line_of("suppressions", self._table_line("triage") or 0),
            )
        return name

    def _table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise self.fail(f"'{name}' must be a table: write [{name}]", self._table_line(name))
        return table

    def _table_line(self, name: str) -> int | None:
        for number, text in enumerate(self.lines, start=1):
            if re.match(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]\]?", text):
                return number
        return self.line_of(name)

    def target(self, raw: Any, index: int) -> Target:
        start = self.target_line(index)
        if not isinstance(raw, dict):
            raise self.fail("each [[target]] must be a table", start)
        name = raw.get("name")
        where = f"target '{name}'" if isinstance(name, str) else f"target #{index + 1}"
        self.check_keys(raw, TARGET_KEYS, where, start)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise self.fail(
                f"{where}: needs a 'name' of letters, digits, '_', '-', '.' or '+'", start
            )
        sources = tuple(raw.get("sources", ()))
        binary = raw.get("binary")
        if bool(sources) == bool(binary):
            raise self.fail(
                f"{where}: give either 'sources' (built by harness) or 'binary' "
                "(built by your own command), not both and not neither",
                start,
            )
        for source in sources:
            if not (self.root / source).is_file():
                raise self.fail(
                    f"{where}: 'sources': file '{source}' does not exist "
                    f"(paths are relative to {self.root})",
                    self.line_of("sources", start),
                )
        language = raw.get("language", _guess_language(sources))
        self._choice(where, "language", language, LANGUAGES, start)
        mode = raw.get("input", "path")
        self._choice(where, "input", mode, INPUT_MODES, start)
        timeout = float(raw.get("timeout", DEFAULT_TIMEOUT))
        if timeout <= 0:
            raise self.fail(f"{where}: 'timeout' must be positive", self.line_of("timeout", start))
        inputs = raw.get("inputs")
        if inputs is not None and not (self.root / inputs).is_dir():
            raise self.fail(
                f"{where}: inputs folder '{inputs}' does not exist", self.line_of("inputs", start)
            )
        kind = raw.get("kind", PROGRAM)
        self._choice(where, "kind", kind, KINDS, start)
        extension = self._extension(raw, where, kind, start)
        default_args: tuple[str, ...] = ("{input}",) if mode == "path" else ()
        return Target(
            name=name,
            language=language,
            sources=sources,
            binary=binary,
            cflags=tuple(raw.get("cflags", ())),
            ldflags=tuple(raw.get("ldflags", ())),
            optimization=raw.get("optimization", DEFAULT_OPTIMIZATION),
            inputs=inputs,
            input=mode,
            args=tuple(raw.get("args", default_args)),
            timeout=timeout,
            env=dict(raw.get("env", {})),
            kind=kind,
            **extension,
        )

    def _extension(self, raw: dict[str, Any], where: str, kind: str, start: int) -> dict[str, Any]:
        """module, interpreter and script of a python-extension or node-addon target, checked."""
        if kind not in DEFAULT_INTERPRETERS:
            for key in EXTENSION_KEYS:
                if key in raw:
                    raise self.fail(
                        f"{where}: '{key}' is for kind = \"{PYTHON_EXTENSION}\" or "
                        f"\"{NODE_ADDON}\" targets only; add that kind or remove '{key}'",
                        self.line_of(key, start),
                    )
            return {}
        if not raw.get("sources"):
            raise self.fail(
                f"{where}: a {kind} is built by harness: give its C/C++ 'sources'",
                start,
            )
        module = raw.get("module", raw["name"])
        if not module.isidentifier():
            what = "a Python" if kind == PYTHON_EXTENSION else "an"
            raise self.fail(
                f"{where}: module name '{module}' is not {what} identifier; "
                "set 'module' to the name the script loads",
                self.line_of("module", start) or start,
            )
        script = raw.get("script")
        if script is None:
            example = "driver.py" if kind == PYTHON_EXTENSION else "driver.js"
            raise self.fail(
                f"{where}: a {kind} runs as <interpreter> <script> <args>; "
                f'add script = "path/to/{example}"',
                start,
            )
        if not (self.root / script).is_file():
            raise self.fail(
                f"{where}: 'script': file '{script}' does not exist "
                f"(paths are relative to {self.root})",
                self.line_of("script", start),
            )
        interpreter = raw.get("interpreter", DEFAULT_INTERPRETERS[kind])
        return {"module": module, "interpreter": interpreter, "script": script}

    def _choice(self, where: str, key: str, value: str, allowed: tuple[str, ...], after: int):
        if value not in allowed:
            raise self.fail(
                f"{where}: '{key}' is '{value}'; use one of: {', '.join(allowed)}",
                self.line_of(key, after),
            )


def _guess_language(sources: tuple[str, ...]) -> str:
    cxx = (".cc", ".cpp", ".cxx", ".C", ".c++")
    return "c++" if any(source.endswith(cxx) for source in sources) else "c"
