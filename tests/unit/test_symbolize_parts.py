"""The pure parts of offline symbolization: answer parsing, the path map, the
cache, which frames need a symbol, and what happens without the binary."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness import config
from harness.errors import ConfigError
from harness.model import Frame, ParseResult, Report, Source, Stack
from harness.symbolize import PathMap, Symbolizer, is_unsymbolized, needs_symbol, symbolize_result
from harness.symbolize.backends import Place, parse_addr2line, parse_llvm_answer, parse_location
from harness.symbolize.cache import SymbolCache
from harness.symbolize.locate import Identity
from harness.triage.signature import signature


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/src/p.c:3:42", ("/src/p.c", 3, 42)),
        ("/src/p.c:3", ("/src/p.c", 3, None)),
        ("/src/p.c:3:0", ("/src/p.c", 3, None)),
        ("??:0:0", (None, None, None)),
        ("??:?", (None, None, None)),
        ("/src/p.c:12 (discriminator 3)", ("/src/p.c", 12, None)),
        ("C:/src/p.c:7:1", ("C:/src/p.c", 7, 1)),
    ],
)
def test_locations(text, expected):
    assert parse_location(text) == expected


def test_an_llvm_answer_keeps_inlined_frames_innermost_first():
    lines = ["helper", "/s/p.c:3:42", "middle", "/s/p.c:4:37", "main", "/s/p.c:7:11"]
    answer = parse_llvm_answer(lines)
    assert [p.function for p in answer] == ["helper", "middle", "main"]
    assert answer[0] == Place("helper", "/s/p.c", 3, 42)


def test_an_unknown_address_is_no_answer():
    assert parse_llvm_answer(["??", "??:0:0"]) == ()


def test_addr2line_answers_are_split_at_the_addresses():
    output = (
        "0x0000000000001248\nhelper\n/s/p.c:3\nmiddle\n/s/p.c:4\n"
        "0x00000000000011f2\nmain\n/s/p.c:6\n0x0000000000000010\n??\n??:0\n"
    )
    answers = parse_addr2line(output)
    assert [p.function for p in answers[0x1248]] == ["helper", "middle"]
    assert answers[0x11F2] == (Place("main", "/s/p.c", 6, None),)
    assert answers[0x10] == ()


def test_the_path_map_rewrites_whole_leading_components_longest_first():
    paths = PathMap.of({"/ci/build": "/home/me/build", "/ci/build/out/": "/opt/out", "/x": "y"})
    assert paths.apply("/ci/build/out/prog") == "/opt/out/prog"
    assert paths.apply("/ci/build/lib/libz.so") == "/home/me/build/lib/libz.so"
    assert paths.apply("/ci/builds/prog") == "/ci/builds/prog"
    assert paths.apply("/x/prog") == "y/prog"
    assert paths.apply("/elsewhere/prog") == "/elsewhere/prog"


def test_the_disk_cache_keeps_build_id_answers_only(tmp_path):
    # GIVEN answers for a binary with a build-id and one without
    path = tmp_path / ".harness" / "symbols.json"
    cache = SymbolCache(path)
    durable, local = Identity("ab12", durable=True), Identity("/p:1:2", durable=False)
    answer = (Place("f", "/s/f.c", 1, 2), Place("g", None, None, None))
    cache.put(durable, 0x10, answer)
    cache.put(local, 0x10, answer)
    cache.save()
    # WHEN another triage opens the cache
    again = SymbolCache(path)
    # THEN it knows the build-id answer, not the other
    assert again.get(durable, 0x10) == answer
    assert again.get(local, 0x10) is None


def test_a_broken_cache_file_is_a_miss(tmp_path):
    path = tmp_path / "symbols.json"
    path.write_text("{not json")
    cache = SymbolCache(path)
    assert cache.get(Identity("ab", True), 1) is None
    cache.put(Identity("ab", True), 1, (Place("f", None, None, None),))
    cache.save()
    assert SymbolCache(path).get(Identity("ab", True), 1) == (Place("f", None, None, None),)


PROGRAM = Frame(0, pc=0x55D0, module="/ci/out/prog", module_offset=0x1248)
LIBC = Frame(1, pc=0x7F00, module="/lib/x86_64-linux-gnu/libc.so.6", module_offset=0x27249)


def crash(*frames: Frame) -> Report:
    return Report(
        tool="asan",
        kind="heap-buffer-overflow",
        source=Source("a.log", 0, 10),
        headline="ERROR: AddressSanitizer: heap-buffer-overflow",
        access="WRITE",
        stacks=(Stack("crash", frames),),
    )


def test_only_frames_the_signature_could_use_need_a_symbol():
    assert needs_symbol(PROGRAM)
    assert not needs_symbol(LIBC)  # dropped by module, named or not
    assert not needs_symbol(Frame(0, function="main", module="/ci/out/prog", module_offset=1))
    assert not needs_symbol(Frame(0, module="<unknown module>", module_offset=None))
    assert is_unsymbolized(crash(PROGRAM, LIBC))
    assert not is_unsymbolized(crash(LIBC))


def test_a_race_is_unsymbolized_when_either_access_is():
    # its id rests on the frames of both accesses
    named = Frame(0, function="bump", module="/ci/out/prog", module_offset=0x1200)
    race = replace(crash(named), kind="data-race", tool="tsan")
    assert not is_unsymbolized(race)
    assert is_unsymbolized(replace(race, stacks=(*race.stacks, Stack("previous", (PROGRAM,)))))
    assert not is_unsymbolized(replace(race, stacks=(*race.stacks, Stack("alloc", (PROGRAM,)))))


def test_without_the_binary_frames_keep_module_and_offset_and_the_report_is_flagged(tmp_path):
    # GIVEN a log naming a binary that is nowhere here
    result = ParseResult(reports=(crash(PROGRAM, LIBC),))
    # WHEN symbolizing (no symbolizer process is needed to find that out)
    with Symbolizer(search_dirs=[tmp_path], tool=str(tmp_path / "no-such-tool")) as symbolizer:
        out = symbolize_result(result, symbolizer)
    # THEN the frames are as printed, the signature uses module+offset, and
    # the report says it is unsymbolized, with the reason noted once
    (report,) = out.reports
    assert report.stacks == result.reports[0].stacks
    assert report.details["unsymbolized"] is True
    assert "unsymbolized" not in result.reports[0].details  # a new Report, never mutated
    assert signature(report).frames[0].key == "prog+0x1248"
    (note,) = symbolizer.notes
    assert "/ci/out/prog: binary not found" in note and str(tmp_path / "prog") in note


def test_a_symbolized_log_is_left_as_it_is():
    named = crash(Frame(0, function="main", file="p.c", line=3), LIBC)
    result = ParseResult(reports=(named,))
    with Symbolizer() as symbolizer:
        assert symbolize_result(result, symbolizer) is result
    assert symbolizer.notes == ()


def test_config_reads_the_symbolize_table(tmp_path):
    (tmp_path / "a.c").write_text("int main(void){return 0;}\n")
    path = tmp_path / "harness.toml"
    target = '[[target]]\nname = "t"\nsources = ["a.c"]\n'
    path.write_text(
        '[symbolize]\npath_map = { "/ci/build" = "build" }\nbinaries = ["extra/dir"]\n'
        'symbolizer = "llvm-symbolizer-14"\n' + target
    )
    loaded = config.load(path)
    assert loaded.path_map == (("/ci/build", "build"),)
    assert loaded.binaries == ("extra/dir",)
    assert loaded.symbolizer == "llvm-symbolizer-14"


@pytest.mark.parametrize(
    "table, line, words",
    [
        ('[symbolize]\nbinaries = "dir"\n', 2, ["'binaries' must be a list of strings"]),
        ('[symbolize]\n\npath_map = { "/a" = 1 }\n', 3, ["'path_map' must be a table of strings"]),
        ("[symbolize]\npathmap = {}\n", 2, ["unknown key 'pathmap'", "did you mean 'path_map'?"]),
    ],
)
def test_config_errors_in_the_symbolize_table_name_the_line(tmp_path, table, line, words):
    (tmp_path / "a.c").write_text("int main(void){return 0;}\n")
    path = tmp_path / "harness.toml"
    path.write_text(table + '[[target]]\nname = "t"\nsources = ["a.c"]\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.line == line
    for word in words:
        assert word in str(caught.value)


def test_settings_come_from_the_config_and_travel_to_workers(tmp_path):
    import pickle

    from harness.symbolize import SymbolizeSettings

    (tmp_path / "a.c").write_text("int main(void){return 0;}\n")
    path = tmp_path / "harness.toml"
    path.write_text(
        '[triage]\nignore_frames = ["my_alloc"]\n[symbolize]\nbinaries = ["out"]\n'
        'path_map = { "/ci" = "/here" }\n[[target]]\nname = "t"\nsources = ["a.c"]\n'
    )
    settings = SymbolizeSettings.from_config(config.load(path), tmp_path / ".harness")
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert settings.search_dirs == (str(tmp_path / "out"),)
    assert settings.cache_file == str(tmp_path / ".harness" / "symbols.json")
    with settings.open() as symbolizer:
        assert symbolizer.ignore == ("my_alloc",)
        assert symbolizer.locator.path_map.apply("/ci/prog") == "/here/prog"
