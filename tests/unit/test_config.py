"""harness.toml errors: each names the file, the line and the key at fault (exit code 2)."""

from pathlib import Path

import pytest

from harness import config
from harness.cli import main
from harness.errors import EXIT_USAGE, ConfigError

GOOD = '[project]\nname = "demo"\ncc = "gcc"\n\n[[target]]\nname = "t"\nsources = ["a.c"]\n'

# name → (harness.toml text, line at fault, words the message must hold)
BROKEN = {
    "unknown key": (
        '[project]\nname = "x"\n\n[[target]]\nname = "t"\nsoruces = ["a.c"]\n',
        6,
        ["'soruces'", "did you mean 'sources'?"],
    ),
    "wrong type": (
        '[[target]]\nname = "t"\nsources = ["a.c"]\ntimeout = "ten"\n',
        4,
        ["'timeout'", "must be a number"],
    ),
    "list of non-strings": (
        '[[target]]\nname = "t"\nsources = ["a.c", 3]\n',
        3,
        ["'sources'", "list of strings"],
    ),
    "missing source file": (
        '[[target]]\nname = "t"\nsources = ["nope.c"]\n',
        3,
        ["'sources'", "'nope.c'", "does not exist"],
    ),
    "duplicate target": (
        '[[target]]\nname = "t"\nsources = ["a.c"]\n\n[[target]]\nname = "t"\nsources = ["a.c"]\n',
        5,
        ["duplicate target 't'", "line 1"],
    ),
    "sources and binary": (
        '[[target]]\nname = "t"\nsources = ["a.c"]\nbinary = "out/t"\n',
        1,
        ["'sources'", "'binary'", "not both"],
    ),
    "bad TOML": (
        '[project]\nname = "x"\ncc = \n',
        3,
        ["not valid TOML", "cc ="],
    ),
}


def _write(folder: Path, text: str) -> Path:
    (folder / "a.c").write_text("int main(void) { return 0; }\n")
    path = folder / "harness.toml"
    path.write_text(text)
    return path


def test_a_good_file_loads(tmp_path):
    loaded = config.load(_write(tmp_path, GOOD))

    assert loaded.cc == "gcc"
    assert [target.name for target in loaded.targets] == ["t"]
    assert loaded.targets[0].optimization == "-O1"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_error_names_file_line_and_key(tmp_path, case):
    text, line, words = BROKEN[case]
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        config.load(path)

    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: ")
    assert raised.value.path == str(path)
    assert raised.value.line == line
    for word in words:
        assert word in message


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_cli_exits_2_and_prints_where(tmp_path, case, capsys):
    text, line, _ = BROKEN[case]
    path = _write(tmp_path, text)

    code = main(["-C", str(tmp_path), "build", "--plain"])

    assert code == EXIT_USAGE
    assert f"{path}:{line}:" in capsys.readouterr().err
