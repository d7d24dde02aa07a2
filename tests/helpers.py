"""Shared test helpers: which compilers are here, and the harness command."""

import shutil
import subprocess
import sys

# The harness as a separate process, whether or not the venv's bin is on PATH.
HARNESS = [sys.executable, "-m", "harness"]


def find_clang() -> str | None:
    for name in ("clang", "clang-16", "clang-15", "clang-14"):
        if shutil.which(name):
            return name
    return None


def clang_works() -> bool:
    clang = find_clang()
    if not clang:
        return False
    probe = subprocess.run(
        [clang, "-fsanitize=address", "-x", "c", "-", "-o", "/dev/null"],
        input="int main(void){return 0;}",
        text=True,
        capture_output=True,
    )
    return probe.returncode == 0
