"""pyparsing grammar of ASan and LSan headlines: `ERROR: AddressSanitizer: ...`.

Each form the runtimes print (asan_errors.cpp, sanitizer_allocator_report.cpp,
lsan_common.cpp in compiler-rt, and GCC's libsanitizer copy of them) is one
alternative that names the error in the sanitizer's own words (`name`); the
kind table in `asan.py` turns that into a harness kind.

Headlines differ from run to run only in their hex numbers (addresses, pcs),
so `parse_headline` parses each *shape* once: it replaces the i-th hex number
by the placeholder `0x<i>`, parses and caches that, and puts the real numbers
back. A log directory with thousands of reports parses a few dozen shapes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pyparsing as pp

_HEX = pp.Regex(r"0x[0-9a-fA-F]+")
_THREAD = pp.Regex(r"T\d+")
_WORD = pp.Regex(r"[A-Za-z][\w-]*")
_REST = pp.Regex(r".*")
_REGISTERS = (
    pp.Suppress("pc") + _HEX("pc") + pp.Suppress("bp") + _HEX("bp") + pp.Suppress("sp") + _HEX("sp")
)


def _named(name: str, expr: pp.ParserElement) -> pp.ParserElement:
    """`expr`, with the error's name set to a constant."""
    return pp.Empty().set_parse_action(pp.replace_with(name))("name") + expr


def _in_thread() -> pp.ParserElement:
    return pp.Optional(pp.Suppress(pp.Optional("in") + "thread") + _THREAD("thread"))


# heap-buffer-overflow on address 0x.. at pc 0x.. bp 0x.. sp 0x..
_MEMORY = (
    _WORD("name") + pp.Suppress("on address") + _HEX("address") + pp.Suppress("at") + _REGISTERS
)
# SEGV on unknown address 0x.. (pc .. bp .. sp .. T0); stack-overflow on address 0x.. (pc ..)
_SIGNAL = (
    _WORD("name")
    + pp.Suppress("on" + pp.Optional("unknown") + "address")
    + _HEX("address")
    + pp.Suppress("(")
    + _REGISTERS
    + _THREAD("thread")
    + pp.Suppress(")")
)
# Runtimes before 2016: `ABRT (pc 0x.. sp 0x.. bp 0x.. T0)`, no address.
_OLD_SIGNAL = (
    _WORD("name")
    + pp.Suppress("(")
    + pp.Suppress("pc")
    + _HEX("pc")
    + pp.Regex(r"[^)]*?(?=T\d+\))")
    + _THREAD("thread")
    + pp.Suppress(")")
)
_DOUBLE_FREE = pp.Suppress("attempting") + pp.Literal("double-free")("name") + pp.Suppress("on")
_DOUBLE_FREE += _HEX("address") + _in_thread()
_BAD_FREE = _named(
    "bad-free",
    pp.Suppress("attempting free on address which was not malloc()-ed:")
    + _HEX("address")
    + _in_thread(),
)
_MISMATCH = (
    pp.Literal("alloc-dealloc-mismatch")("name")
    + pp.Suppress("(")
    + pp.SkipTo(" vs ")("allocated_with")
    + pp.Suppress("vs")
    + pp.SkipTo(")")("freed_with")
    + pp.Suppress(")" + pp.Literal("on"))
    + _HEX("address")
)
_TYPE_MISMATCH = pp.Literal("new-delete-type-mismatch")("name") + pp.Suppress("on")
_TYPE_MISMATCH += _HEX("address") + _in_thread()
_OVERLAP = (
    pp.Regex(r"\w+-param-overlap")("name")
    + pp.Suppress(": memory ranges [")
    + _HEX("address")
    + _REST("ranges")
)
_NEGATIVE_SIZE = pp.Literal("negative-size-param")("name") + pp.Suppress(": (size=")
_NEGATIVE_SIZE += pp.Regex(r"-?\d+")("size")
_ODR = pp.Literal("odr-violation")("name") + pp.Suppress("(") + _HEX("address") + pp.Suppress(")")
_POINTER_PAIR = pp.Literal("invalid-pointer-pair")("name") + pp.Suppress(":") + _HEX("address")


def _allocator(name: str, text: str) -> pp.ParserElement:
    """An allocator error: a fixed opening, then details we keep as text."""
    return _named(name, pp.Suppress(text) + _REST("detail"))


_ALLOCATOR = [
    _allocator("calloc-overflow", "calloc parameters overflow:"),
    _allocator("reallocarray-overflow", "reallocarray parameters overflow:"),
    _allocator("pvalloc-overflow", "pvalloc parameters overflow:"),
    _allocator("allocation-size-too-big", "requested allocation size"),
    _allocator("out-of-memory", "out of memory: allocator is trying to allocate"),
    _allocator("rss-limit-exceeded", "allocator exceeded the RSS limit"),
    _allocator("invalid-allocation-alignment", "invalid allocation alignment:"),
    _allocator("invalid-aligned-alloc-alignment", "invalid alignment requested in aligned_alloc:"),
    _allocator(
        "invalid-posix-memalign-alignment", "invalid alignment requested in posix_memalign:"
    ),
    _allocator("bad-malloc_usable_size", "attempting to call malloc_usable_size()"),
    _allocator("bad-__sanitizer_get_allocated_size", "attempting to call __sanitizer_get_"),
    _allocator("bad-__sanitizer_annotate_contiguous_container", "bad parameters to __sanitizer_"),
]

_ASAN_FORMS = pp.MatchFirst(
    [
        _DOUBLE_FREE,
        _BAD_FREE,
        _MISMATCH,
        _TYPE_MISMATCH,
        _OVERLAP,
        _NEGATIVE_SIZE,
        _ODR,
        _POINTER_PAIR,
        *_ALLOCATOR,
        _SIGNAL,
        _OLD_SIGNAL,
        _MEMORY,
    ]
)
# `ERROR: AddressSanitizer failed to allocate 0x.. (..) bytes of ..`: the
# runtime's own mmap failed; no colon after the tool's name.
_MMAP_FAILED = _named("out-of-memory", pp.Suppress("failed to allocate") + _REST("detail"))
_LEAKS = _named("leak", pp.Suppress("detected memory leaks"))

# UBSan, MSan and TSan print signals and allocator errors in ASan's forms.
_SANITIZER = pp.Regex(r"(?:Address|UndefinedBehavior|Memory|Thread)Sanitizer")
HEADLINE = pp.Suppress("ERROR:") + (
    (_SANITIZER("tool") + pp.Suppress(":") + _ASAN_FORMS)
    | (pp.Literal("AddressSanitizer")("tool") + _MMAP_FAILED)
    | (pp.Literal("LeakSanitizer")("tool") + pp.Suppress(":") + _LEAKS)
)
# `==12==AddressSanitizer: hard rss limit exhausted (64Mb vs 190Mb)`: no ERROR:.
RSS_HEADLINE = pp.Regex(r"\w+Sanitizer")("tool") + _named(
    "rss-limit-exceeded", pp.Suppress(": hard rss limit exhausted") + _REST("detail")
)

_HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
# After the substitution every hex number in a shape is a placeholder.
_PLACEHOLDER_RE = re.compile(r"0x(\d+)")


def parse_headline(text: str) -> dict[str, Any] | None:
    """The fields of a headline (from `ERROR:` or the tool's name on), or None."""
    numbers: list[str] = []

    def placeholder(found: re.Match[str]) -> str:
        numbers.append(found.group())
        return f"0x{len(numbers) - 1}"

    shape = _HEX_RE.sub(placeholder, text)
    fields = _parse_shape(shape)
    if fields is None:
        return None
    return {
        key: _PLACEHOLDER_RE.sub(lambda m: numbers[int(m.group(1))], value) for key, value in fields
    }


@lru_cache(maxsize=4096)
def _parse_shape(shape: str) -> tuple[tuple[str, str], ...] | None:
    grammar = HEADLINE if shape.startswith("ERROR:") else RSS_HEADLINE
    try:
        found = grammar.parse_string(shape)
    except pp.ParseException:
        return None
    return tuple((key, str(value).strip()) for key, value in found.as_dict().items())
