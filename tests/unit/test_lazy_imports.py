"""What `harness triage` loads before it knows it must parse: a triage that
reads every log from the store should not pay for the parsers, the process
pool, the symbolizer, the other output formats or GitPython."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_UPFRONT = (
    "git",
    "multiprocessing",
    "harness.triage.parallel",
    "harness.symbolize.core",
    "harness.render.markdown",
    "harness.render.table",
    "harness.reproducers",
)


def test_the_triage_command_loads_no_parser_symbolizer_or_git_upfront() -> None:
    # GIVEN a fresh interpreter WHEN it loads what `harness triage --format json` imports
    code = (
        "import json, sys\n"
        "from harness import cli, pipeline, render, store\n"
        "cli.build_parser(only='triage')\n"
        "from harness.render import json as _\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    # THEN none of the machinery for parsing, symbolizing or git is among them
    assert sorted(loaded.intersection(NOT_UPFRONT)) == []
