"""Sanitizer runtime options for one job: ASAN_OPTIONS, LSAN_OPTIONS, UBSAN_OPTIONS, ...

Pure functions: the caller passes the profile, the job folder, the user's own
environment layers and the symbolizer it found; out comes the variables to lay
over the child's environment and the warnings to show.

Two facts about the runtimes shape this module:

- Every `*_OPTIONS` variable a binary reads may set the common flags (an ASan
  binary also parses LSAN_OPTIONS and UBSAN_OPTIONS, and each can override
  `log_path`). So every variable the profile's runtime reads carries the same
  `log_path`, and the common flags the harness wants (symbolize, RSS limit)
  go only into the primary variable, where a user's secondary variable can
  still override them as the runtime itself would.
- The runtime splits options on ':', ',', whitespace and newlines, and takes a
  quoted value ('...' or "...") verbatim; a value runs to the next separator,
  so it may contain '='. Values holding a separator are written back quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError
from harness.profiles import Profile

# Options only the harness may set: the logs must land in the job folder, one
# file per pid, named so the runner can find them.
OWNED = ("log_path", "log_exe_name")
SEPARATORS = " ,:\n\t\r"
QUOTES = "'\""

# Options the primary runtime gets, per tool. Why each one:
#   detect_leaks=1     LSan inside ASan is on by default on Linux only; say it
#                      (and for a preloaded LSan runtime, say it too).
#   halt_on_error=1    one report per crash: the first error is the one to trust.
#   abort_on_error=0   exit with the sanitizer's exit code instead of SIGABRT
#                      (and no core dump from the abort).
#   print_stacktrace=1 UBSan prints no stack by default; signatures need one.
TOOL_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "asan": (("detect_leaks", "1"), ("halt_on_error", "1"), ("abort_on_error", "0")),
    "lsan": (("detect_leaks", "1"),),
    "ubsan": (("print_stacktrace", "1"),),
    "msan": (("halt_on_error", "1"), ("abort_on_error", "0")),
    "tsan": (("abort_on_error", "0"),),
}


@dataclass(frozen=True, slots=True)
class Layer:
    """The user's environment at one level (the harness's own, a target's `env`)."""

    source: str
    env: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RuntimeEnv:
    """Variables to lay over the child's environment, and what was ignored."""

    variables: dict[str, str]
    warnings: tuple[str, ...]
    log_stem: str | None


def variable(tool: str) -> str:
    """`asan` → `ASAN_OPTIONS`."""
    return f"{tool.upper()}_OPTIONS"


def tools_for(profile: Profile) -> tuple[str, ...]:
    """The runtimes a profile's binary reads options for, the primary first.

    The primary runtime initializes the common flags and names the log files.
    """
    enabled = set(profile.sanitizers)
    if not enabled:
        return ()
    for sanitizer, tool in (("address", "asan"), ("memory", "msan"), ("thread", "tsan")):
        if sanitizer in enabled:
            primary = tool
            break
    else:
        primary = "lsan" if "leak" in enabled else "ubsan"
    tools = [primary]
    if "leak" in enabled and primary == "asan":
        tools.append("lsan")
    if "undefined" in enabled and primary != "ubsan":
        tools.append("ubsan")
    return tuple(tools)


def parse_options(text: str, where: str = "options") -> dict[str, str]:
    """`a=1:b='x y'` → {"a": "1", "b": "x y"}, read the way the runtime reads it.

    A later duplicate wins, as in the runtime. Raises UsageError naming `where`.
    """
    options: dict[str, str] = {}
    position = 0
    while position < len(text):
        if text[position] in SEPARATORS:
            position += 1
            continue
        equals = text.find("=", position)
        stop = _next_separator(text, position)
        if equals < 0 or equals > stop:
            raise UsageError(
                f"{where}: '{text[position:stop]}' has no '='; write name=value, separated by ':'"
            )
        name = text[position:equals]
        value, position = _read_value(text, equals + 1, where, name)
        options[name] = value
    return options


def _next_separator(text: str, start: int) -> int:
    for index in range(start, len(text)):
        if text[index] in SEPARATORS:
            return index
    return len(text)


def _read_value(text: str, start: int, where: str, name: str) -> tuple[str, int]:
    if start < len(text) and text[start] in QUOTES:
        close = text.find(text[start], start + 1)
        if close < 0:
            raise UsageError(f"{where}: the value of '{name}' has no closing {text[start]}")
        return text[start + 1 : close], close + 1
    stop = _next_separator(text, start)
    return text[start:stop], stop


def format_options(options: Mapping[str, str]) -> str:
    """{"a": "1", "b": "x y"} → `a=1:b="x y"`: the inverse of parse_options."""
    return ":".join(f"{name}={_quote(name, value)}" for name, value in options.items())


def _quote(name: str, value: str) -> str:
    if not any(char in SEPARATORS or char in QUOTES for char in value):
        return value
    for quote in ('"', "'"):
        if quote not in value:
            return f"{quote}{value}{quote}"
    raise UsageError(f"option '{name}': a value cannot hold both kinds of quote: {value}")


def merge(
    ours: Mapping[str, str], theirs: Mapping[str, str], where: str
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The user's options over ours, except the OWNED ones, which we keep with a warning."""
    merged = dict(ours)
    warnings: list[str] = []
    for name, value in theirs.items():
        if name in OWNED:
            warnings.append(
                f"ignoring {name}={value} from {where}: the harness writes sanitizer "
                "logs into each job's folder"
            )
            continue
        merged[name] = value
    return merged, tuple(warnings)


def harness_options(
    tool: str,
    primary: bool,
    log_path: Path,
    rss_limit_mb: int | None,
    symbolizer: str | None,
) -> dict[str, str]:
    """What the harness itself sets in one tool's variable."""
    options = {"log_path": str(log_path)}
    if not primary:
        # Secondary variables still carry the tool's own flags, never common ones
        # (they would silently override the user's primary variable).
        return options | dict(TOOL_OPTIONS[tool] if tool == "ubsan" else ())
    options["symbolize"] = "1"
    if symbolizer:
        options["external_symbolizer_path"] = symbolizer
    if rss_limit_mb:
        options["hard_rss_limit_mb"] = str(rss_limit_mb)
    return options | dict(TOOL_OPTIONS[tool])


def sanitizer_env(
    profile: Profile,
    job_dir: Path,
    layers: Sequence[Layer],
    rss_limit_mb: int | None = None,
    symbolizer: str | None = None,
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> RuntimeEnv:
    """The `*_OPTIONS` (and `*_SYMBOLIZER_PATH`) variables for one job.

    Logs go to `<job_dir>/<primary tool>.<pid>`. Each layer's options are merged
    over the harness's in order, so a target's `env` wins over the environment.
    `extra` adds options of the harness's own per tool (`{"lsan": {...}}`);
    the user's still win over them.
    """
    tools = tools_for(profile)
    if not tools:
        return RuntimeEnv({}, (), None)
    log_path = job_dir / tools[0]
    variables: dict[str, str] = {}
    warnings: list[str] = []
    for index, tool in enumerate(tools):
        name = variable(tool)
        options = harness_options(tool, index == 0, log_path, rss_limit_mb, symbolizer)
        options |= (extra or {}).get(tool, {})
        for layer in layers:
            if name not in layer.env:
                continue
            where = f"{name} in {layer.source}"
            user = parse_options(layer.env[name], where)
            options, ignored = merge(options, user, where)
            warnings.extend(ignored)
        variables[name] = format_options(options)
        symbolizer_variable = f"{tool.upper()}_SYMBOLIZER_PATH"
        if symbolizer and not any(symbolizer_variable in layer.env for layer in layers):
            variables[symbolizer_variable] = symbolizer
    return RuntimeEnv(variables, tuple(warnings), tools[0])
