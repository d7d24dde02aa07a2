"""Compiler naming, the profile → flags table, build plans and the wrapped build's
environment: the pure parts of building, no compiler run."""

import pytest

from harness import build, buildconf, toolchain
from harness.cli import build_parser
from harness.config import Target
from harness.errors import ToolError, UsageError
from harness.profiles import PARTS, parse_profile
from harness.toolchain import Compiler

GCC = Compiler("gcc", "/usr/bin/gcc", "/usr/bin/g++", "12.2.0")
CLANG_NO_CXX = Compiler("clang", "/usr/bin/clang-14", None, "14.0.6")


def test_version_from_gcc_and_clang_output():
    assert toolchain.parse_version("12.2.0\n") == "12.2.0"
    clang = "Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\nThread model: posix\n"
    assert toolchain.parse_version(clang) == "14.0.6"
    assert toolchain.parse_version("Ubuntu clang version 18.1.3 (1ubuntu1)") == "18.1.3"
    assert toolchain.parse_version("no digits") == "unknown"


def test_label_is_family_and_version():
    assert GCC.label == "gcc 12.2.0"
    assert CLANG_NO_CXX.label == "clang 14.0.6"


@pytest.mark.parametrize(
    ("cc", "cxx"),
    [("gcc", "g++"), ("gcc-12", "g++-12"), ("clang", "clang++"), ("clang-14", "clang++-14")],
)
def test_cxx_driver_matches_c_driver(cc, cxx):
    assert toolchain.cxx_name(cc) == cxx


def test_plain_clang_first_then_highest_version():
    names = {"clang-9", "clang-14", "clang-format", "clang-16", "clang", "clang++-14", "clangd"}

    assert toolchain.clang_candidates(names) == ["clang", "clang-16", "clang-14", "clang-9"]
    assert toolchain.clang_candidates({"clang-14"}) == ["clang-14"]


def test_every_profile_part_has_flags_naming_its_sanitizers():
    assert set(toolchain.PROFILE_FLAGS) == set(PARTS)
    for part, sanitizers in PARTS.items():
        spelled = ",".join(
            flag.split("=", 1)[1]
            for flag in toolchain.PROFILE_FLAGS[part]
            if flag.startswith("-fsanitize=")
        )
        assert spelled.split(",") == list(sanitizers)


def test_msan_with_gcc_is_a_usage_error():
    with pytest.raises(UsageError, match="clang-only"):
        toolchain.check_supported("gcc", parse_profile("msan"))
    with pytest.raises(UsageError, match="clang-only"):
        toolchain.sanitizer_flags(GCC, parse_profile("msan"))
    toolchain.check_supported("clang", parse_profile("msan"))


def test_unknown_compiler_family_is_a_usage_error():
    with pytest.raises(UsageError, match="gcc, clang"):
        toolchain.check_supported("icc", parse_profile("asan"))


def test_combined_profile_flags_and_plain(monkeypatch):
    monkeypatch.setattr(toolchain, "links", lambda path, flags: True)

    combined = toolchain.sanitizer_flags(GCC, parse_profile("asan+ubsan"))

    assert combined == ("-fsanitize=address,leak", "-fsanitize=undefined")
    assert toolchain.sanitizer_flags(GCC, parse_profile("plain")) == ()


def test_asan_falls_back_when_compiler_rejects_address_with_leak(monkeypatch):
    # A compiler that refuses the combined flag cannot be installed here; its answer is faked.
    monkeypatch.setattr(toolchain, "links", lambda path, flags: "leak" not in flags[0])

    assert toolchain.sanitizer_flags(GCC, parse_profile("asan")) == ("-fsanitize=address",)


def test_plan_puts_binaries_in_variant_and_target_flags_last():
    target = Target(
        name="t",
        sources=("src/main.c",),
        cflags=("-DX=1",),
        ldflags=("-lm",),
        optimization="-O2",
    )

    plan = buildconf.make_plan(GCC, parse_profile("asan"), (target,), ("-fsanitize=address",))

    assert plan.variant == "build/gcc-asan"
    (only,) = plan.targets
    assert only.binary == "build/gcc-asan/t"
    assert only.cflags == (
        "-g",
        "-fno-omit-frame-pointer",
        "-fsanitize=address",
        "-O2",
        "-DX=1",
    )
    assert only.ldflags == ("-fsanitize=address", "-lm")


def test_plan_round_trips_through_build_json():
    target = Target(name="t", sources=("a.c", "b.c"))
    plan = buildconf.make_plan(GCC, parse_profile("asan+ubsan"), (target,), ("-fsanitize=x",))

    record = plan.record()

    assert record["compiler"] == "gcc 12.2.0"
    assert record["path"] == "/usr/bin/gcc"
    assert record["cxx_path"] == "/usr/bin/g++"
    assert record["profile"] == "asan+ubsan"
    assert buildconf.plan_from_json(record) == plan


def test_cxx_target_without_cxx_compiler_is_a_tool_error():
    target = Target(name="cpp", language="c++", sources=("a.cpp",))

    with pytest.raises(ToolError, match="clang\\+\\+-14"):
        buildconf.make_plan(CLANG_NO_CXX, parse_profile("asan"), (target,), ())


def test_object_paths_stay_inside_the_variant():
    assert buildconf.object_path("build/gcc-asan", "t", "src/a.c") == "build/gcc-asan/.obj/t/src/a"
    assert buildconf.object_path("build/v", "t", "../up/b.cpp") == "build/v/.obj/t/__/up/b"
    assert buildconf.object_path("build/v", "t", "/abs/c.c") == "build/v/.obj/t/abs/c"


def test_libraries_go_where_the_linker_wants_them():
    link, paths, libs = buildconf.split_ldflags(("-fsanitize=address", "-L/opt/lib", "-lm", "-l"))

    assert link == ["-fsanitize=address", "-l"]
    assert paths == ["/opt/lib"]
    assert libs == ["m"]


def test_wrapped_build_keeps_user_flags_first_and_does_not_touch_base():
    base = {"CFLAGS": "-DUSER_FLAG=1 -O2", "LDFLAGS": "-L/opt/lib", "CC": "cc", "HOME": "/h"}
    before = dict(base)

    extra = build.wrap_env(base, GCC, ("-g", "-O1", "-fsanitize=address"), ("-fsanitize=address",))

    assert base == before
    assert extra["CC"] == "/usr/bin/gcc"
    assert extra["CXX"] == "/usr/bin/g++"
    assert extra["CFLAGS"] == "-DUSER_FLAG=1 -O2 -g -O1 -fsanitize=address"
    assert extra["CXXFLAGS"] == "-g -O1 -fsanitize=address"
    assert extra["LDFLAGS"] == "-L/opt/lib -fsanitize=address"
    assert "HOME" not in extra


def test_build_command_after_double_dash_is_kept_apart_from_targets():
    args = build_parser().parse_args(["build", "--ubsan", "t1", "--", "make", "-j4", "t2"])

    assert args.profile == "ubsan"
    assert args.targets == ["t1"]
    assert args.build_command == ["make", "-j4", "t2"]


def test_profile_flags_default_and_combination():
    assert build_parser().parse_args(["build"]).profile == "asan"
    parsed = build_parser().parse_args(["build", "--profile", "asan+ubsan", "-j", "2"])
    assert (parsed.profile, parsed.jobs, parsed.build_command) == ("asan+ubsan", 2, [])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build", "--asan", "--plain"])
