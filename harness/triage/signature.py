"""A report's signature: the one pure function that decides which reports are one finding.

1. The deciding stack: the crash stack; for leaks, the allocation stack.
2. Frames that say nothing about the bug are dropped (IGNORE_RULES, plus a
   project's own globs from harness.toml `[triage] ignore_frames`).
3. The top N frames are kept, keyed by their normalized function name (or
   module basename + offset when unsymbolized). Never file:line: a line moves
   whenever unrelated code above it changes, and a finding must keep its
   identity across commits.
4. id = sha256(SIGNATURE_VERSION, kind, access, direct/indirect, frame keys)[:12].
   The tool is not part of it: ASan and memcheck seeing one bug is one finding.

A ThreadSanitizer report of two sides (a data race's two accesses, the
acquisitions of a lock-order cycle) prints them in whichever order the
runtime met them: gcc's runtime may print a race's read first where clang's
prints its write, from the other thread. Such a report is keyed by the set of
its sides, each its top N frames, in sorted order, and not by the access
(see report_sides).

Any change to the rules below changes ids: bump SIGNATURE_VERSION so the
store re-keys findings made under the old rules (harness.store.rekey).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from harness.model import Frame, Report, SignatureFrame, Stack
from harness.triage.names import normalize_function

# 2: thread library entry points, syscall wrappers, the kill that carries an
#    abort, compiler-made static initializers and ThreadSanitizer's annotations
#    are ignored.
# 3: the interpreter frames below a Python or Node.js extension are ignored.
# 4: a data race is keyed by both its accesses' frames in sorted order, not
#    by its access, and a lock-order inversion by the frames of every
#    acquisition in its cycle.
# 5: frames inlined from the C++ standard library's headers are ignored; of a
#    Node.js addon's callers, node's own module and its N-API glue, no longer
#    every V8 function (V8 itself is a program harness triages).
SIGNATURE_VERSION = 5
DEFAULT_DEPTH = 3
ID_LENGTH = 12
TITLE_SEPARATOR = " ‹ "
# Between the sides of a race or a lock cycle in a title.
SIDES_SEPARATOR = " vs "
# Between the frame keys of one side in the id (never part of a name).
_SIDE_JOIN = "\x1e"
# A function seen this often in the top frames of a stack overflow is recursing.
RECURSION_WINDOW = 64
RECURSION_MIN_REPEATS = 3


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One group of frames to drop. Globs match the normalized function name,
    the module's basename, or the source file path."""

    reason: str
    functions: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


IGNORE_RULES: tuple[IgnoreRule, ...] = (
    # The sanitizer runtime reports the error; it never is the error. Its
    # interceptors sit between the program and libc and change name across
    # runtime versions (__interceptor_x, ___interceptor_x, __asan_x).
    IgnoreRule(
        reason="sanitizer runtime and interceptors",
        functions=(
            "__asan_*",
            "__asan::*",
            "__lsan_*",
            "__lsan::*",
            "__ubsan_*",
            "__ubsan::*",
            "__msan_*",
            "__msan::*",
            "__tsan_*",
            "__tsan::*",
            "__interceptor_*",
            "___interceptor_*",
            "__sanitizer*",
            "__sanitizer::*",
            "__sanitizer_*",
            # ThreadSanitizer's dynamic annotations (AnnotateRWLockAcquired, ...)
            "Annotate*",
        ),
        modules=(
            "libasan.so*",
            "liblsan.so*",
            "libubsan.so*",
            "libtsan.so*",
            "libhwasan.so*",
            "libclang_rt.*",
        ),
        # clang's static runtime names its object files where the source would be
        files=(
            "*/compiler-rt/*",
            "*/sanitizer_common/*",
            "*/libsanitizer/*",
            "asan_*.cpp.o",
            "sanitizer_*.cpp.o",
            "lsan_*.cpp.o",
            "ubsan_*.cpp.o",
            "msan_*.cpp.o",
            "tsan_*.cpp.o",
        ),
    ),
    # Allocator entry points: every heap bug passes through them, so they
    # would make every finding look alike. The caller is what matters.
    IgnoreRule(
        reason="allocator entry points",
        functions=(
            "malloc",
            "calloc",
            "realloc",
            "reallocarray",
            "free",
            "cfree",
            "strdup",
            "strndup",
            "aligned_alloc",
            "posix_memalign",
            "memalign",
            "valloc",
            "pvalloc",
            "operator new",
            "operator new[]",
            "operator delete",
            "operator delete[]",
            # unsymbolized-but-mangled operator new/delete of every overload
            "_Znw*",
            "_Zna*",
            "_Zdl*",
            "_Zda*",
        ),
    ),
    # The thread library's entry points: like the allocator's, every lock
    # bug passes through them, and clang's ThreadSanitizer prints its
    # interceptor under the plain name in the program's own module.
    IgnoreRule(reason="thread library entry points", functions=("pthread_*",)),
    # libc and the C++ runtime: the string and memory functions the bad
    # pointer was handed to, the syscall wrappers it was passed to (memcheck
    # prints `write (write.c:26)` without libc's name when libc has debug
    # info), and the start-up code below main.
    IgnoreRule(
        reason="libc and C++ runtime internals",
        functions=(
            "memcpy",
            "memmove",
            "memset",
            "memcmp",
            "memchr",
            "strcpy",
            "strncpy",
            "stpcpy",
            "strcat",
            "strncat",
            "strlen",
            "strnlen",
            "strcmp",
            "strncmp",
            "strchr",
            "strrchr",
            "strstr",
            "__memcpy_*",
            "__memmove_*",
            "__memset_*",
            "__strlen_*",
            "__GI_*",
            "__libc_*",
            "__libc_start_main",
            "__libc_start_call_main",
            "read",
            "write",
            "pread64",
            "pwrite64",
            "readv",
            "writev",
            "recv",
            "recvfrom",
            "recvmsg",
            "send",
            "sendto",
            "sendmsg",
            "ioctl",
            "syscall",
            "_start",
            "start_thread",
            "clone",
            "clone3",
            "_dl_init",
            # how an abort or assert reaches the kernel; the caller is the bug
            "raise",
            "gsignal",
            "abort",
            "__pthread_kill_implementation",
            "__pthread_kill_internal",
            "__pthread_kill",
            "tgkill",
            "__assert_fail",
            "__assert_fail_base",
            "__assert_perror_fail",
            "__stack_chk_fail",
            "__fortify_fail",
            "__chk_fail",
            "std::__*",
            "__gnu_cxx::*",
            "__cxxabiv1::*",
            "__cxa_*",
        ),
        # libc's start-up and the loader's, by their source files: their
        # `call_init` is too common a name to drop everywhere. The C++ standard
        # library's headers (libstdc++, libc++ installed or vendored): a frame
        # inlined from them (`operator[]`, `operator->`) is where the bad index
        # or pointer was used, not where it came from.
        files=(
            "*libc-start.c",
            "*dl-init.c",
            "*/include/c++/*",
            "*/libc++/*include/*",
            "*/libcxx/include/*",
        ),
        modules=(
            "libc.so*",
            "libc-*.so",
            "libstdc++.so*",
            "libc++.so*",
            "libc++abi.so*",
            "libpthread.so*",
            "libpthread-*.so",
            "ld-linux*.so*",
            "libgcc_s.so*",
        ),
    ),
    # Code the compiler makes to run static initializers and sanitizer set-up
    # before main (gcc and clang name it differently): the initializer that
    # called it is the place.
    IgnoreRule(
        reason="compiler-made start-up code",
        functions=(
            "_GLOBAL__sub_I_*",
            "_GLOBAL__I_*",
            "__static_initialization_and_destruction_*",
            "__cxx_global_var_init*",
            "_sub_I_*",
            "*.module_ctor*",
            "__libc_csu_init",
        ),
    ),
    # The interpreter that called into a native extension: CPython's call and
    # eval machinery; node's binary (V8 and its builtins linked in) and its
    # N-API glue. The extension's own frames are the place; these change with
    # every interpreter release. V8's own names are not in the table: V8 is a
    # program in its own right, whose crashes are triaged too.
    IgnoreRule(
        reason="interpreter frames below an extension",
        functions=(
            "cfunction_call",
            "cfunction_vectorcall_*",
            "method_vectorcall_*",
            "vectorcall_*",
            "slot_tp_*",
            "_PyObject_*",
            "PyObject_*",
            "_PyEval_*",
            "PyEval_*",
            "_PyFunction_*",
            "PyVectorcall_*",
            "_PyRun_*",
            "PyRun_*",
            "run_eval_code_obj",
            "run_mod",
            "pyrun_file",
            "pymain_*",
            "Py_RunMain",
            "Py_BytesMain",
            "Py_Main",
            "v8impl::*",
        ),
        modules=("python3*", "libpython3*.so*", "node", "libnode.so*"),
    ),
    # Frames with no place of their own: the kernel's vDSO, code the
    # symbolizer could not attribute, and libFuzzer's driver internals.
    IgnoreRule(
        reason="no place in the program",
        functions=("fuzzer::*",),
        modules=("[[]vdso[]]", "linux-vdso.so*", "linux-gate.so*", "<unknown module>"),
    ),
)

# What the ignore table above says, in 12 hex digits: stored finding ids are
# read back as they are only under the fingerprint they were made under
# (harness.store.light.rules_key), and a unit test pins it to SIGNATURE_VERSION
# so that editing the table without a version bump fails the tests.
IGNORE_FINGERPRINT = hashlib.sha256(repr(IGNORE_RULES).encode()).hexdigest()[:12]


def _compile(globs: Sequence[str]) -> re.Pattern[str] | None:
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(glob) for glob in globs))


@dataclass(frozen=True, slots=True)
class _Matchers:
    functions: re.Pattern[str] | None
    modules: re.Pattern[str] | None
    files: re.Pattern[str] | None


@lru_cache(maxsize=64)
def _matchers(extra: tuple[str, ...]) -> _Matchers:
    return _Matchers(
        functions=_compile([g for rule in IGNORE_RULES for g in rule.functions] + list(extra)),
        modules=_compile([g for rule in IGNORE_RULES for g in rule.modules]),
        files=_compile([g for rule in IGNORE_RULES for g in rule.files]),
    )


# --- frames and signatures -------------------------------------------------


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def frame_key(frame: Frame) -> str:
    """The normalized name; module basename + offset without a symbol; never file:line."""
    if frame.function:
        name = normalize_function(frame.function)
        if name:
            return name
    module = _basename(frame.module)
    if module and frame.module_offset is not None:
        return f"{module}+{frame.module_offset:#x}"
    # A UBSan report printed without a stack names only its source location:
    # the file (never the line, which moves) is the most stable key left.
    source = _basename(frame.file)
    return module or (f"<{source}>" if source else "<unknown>")


def is_ignored(frame: Frame, extra: tuple[str, ...] = ()) -> bool:
    """True when the frame belongs to the runtime, the allocator or libc (or `extra`)."""
    return _is_ignored(frame.function, frame.module, frame.file, extra)


@lru_cache(maxsize=65536)
def _is_ignored(
    function: str | None, module: str | None, file: str | None, extra: tuple[str, ...]
) -> bool:
    match = _matchers(extra)
    if function and match.functions:
        name = normalize_function(function)
        if name and (match.functions.match(name) or match.functions.match(function)):
            return True
    # Some runtimes print the module where the function should be (`in libc.so.6`).
    if function and match.modules and match.modules.match(_basename(function) or ""):
        return True
    base = _basename(module)
    if base and match.modules and match.modules.match(base):
        return True
    return bool(file and match.files and match.files.match(file.replace("\\", "/")))


def deciding_stack(report: Report) -> Stack | None:
    """The crash stack; for leaks, the allocation stack."""
    if report.kind == "leak":
        return report.stack("alloc") or report.stack("crash")
    return report.stack("crash") or (report.stacks[0] if report.stacks else None)


def sided_stacks(report: Report) -> tuple[Stack | None, ...] | None:
    """The stacks of a report's sides, as printed; None for a report of one
    deciding stack. A data race has two (its access and the previous one;
    None for a side whose stack the runtime could not restore), a
    lock-order inversion one per mutex acquired in its cycle (the stacks
    of `second_deadlock_stack=1`, where each was held before, left out)."""
    kind = report.kind
    if kind.startswith("data-race"):  # and data-race-on-vptr
        return (report.stack("crash"), report.stack("previous"))
    if kind == "lock-order-inversion":
        return tuple(
            stack
            for stack in report.stacks
            if stack.role in ("crash", "previous")
            and "previously acquired" not in (stack.header or "")
        )
    return None


def keyed_stacks(report: Report) -> tuple[Stack, ...]:
    """Every stack whose frames the report's id rests on."""
    sided = sided_stacks(report)
    if sided is None:
        stack = deciding_stack(report)
        return (stack,) if stack is not None else ()
    return tuple(stack for stack in sided if stack is not None)


def leak_kind(report: Report) -> str | None:
    """`direct` or `indirect` for leaks, else None."""
    if report.kind != "leak":
        return None
    value = report.details.get("leak") or report.details.get("leak_kind")
    return str(value) if value else "direct"


def recursion_cycle(frames: Sequence[Frame]) -> list[Frame]:
    """The functions of a runaway recursion, one frame each, in name order.

    A stack overflow faults in whichever frame runs out of stack first (the
    recursive function, a helper it calls, or printf's interceptor), which
    varies between compilers and inputs; the cycle of functions that keep
    calling each other does not. Empty when no function repeats enough.
    """
    counts: dict[str, int] = {}
    first: dict[str, Frame] = {}
    for frame in frames[:RECURSION_WINDOW]:
        key = frame_key(frame)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, frame)
    cycle = sorted(key for key, count in counts.items() if count >= RECURSION_MIN_REPEATS)
    return [first[key] for key in cycle]


def signature_frames(
    stack: Stack | None,
    ignore: tuple[str, ...] = (),
    depth: int = DEFAULT_DEPTH,
    recursive: bool = False,
) -> tuple[SignatureFrame, ...]:
    """The top `depth` frames that say something about the bug; for a stack
    overflow (`recursive`), the recursion cycle instead (see recursion_cycle).

    When every frame is ignored (a crash inside malloc itself), the raw top
    frames are kept rather than leaving the signature without a place.
    """
    if stack is None:
        return ()
    useful = (frame for frame in stack.frames if not is_ignored(frame, ignore))
    if recursive:
        kept = list(useful)
        chosen = recursion_cycle(kept)[:depth] or (kept or list(stack.frames))[:depth]
    else:
        # the frames below the top `depth` useful ones are never looked at
        chosen = list(islice(useful, depth)) or list(stack.frames[:depth])
    return tuple(
        SignatureFrame(
            key=frame_key(frame),
            function=frame.function,
            file=frame.file,
            line=frame.line,
            module=frame.module,
        )
        for frame in chosen
    )


def _side_order(side: tuple[SignatureFrame, ...]) -> tuple[object, ...]:
    # by frame keys, an empty side last; then by place, so that of two sides
    # with the same keys the same one is kept whichever was printed first
    places = tuple((f.function or "", f.file or "", f.line or 0, f.module or "") for f in side)
    return (not side, tuple(f.key for f in side), places)


def report_sides(
    report: Report, ignore: tuple[str, ...] = (), depth: int = DEFAULT_DEPTH
) -> tuple[tuple[SignatureFrame, ...], ...] | None:
    """The signature frames of each side of a report (see sided_stacks), in
    sorted order, one of each distinct set of keys; a side with no stack is
    empty and last. None for a report of one deciding stack."""
    sided = sided_stacks(report)
    if sided is None:
        return None
    sides = sorted((signature_frames(stack, ignore, depth) for stack in sided), key=_side_order)
    distinct: list[tuple[SignatureFrame, ...]] = []
    for side in sides:
        if not distinct or [f.key for f in side] != [f.key for f in distinct[-1]]:
            distinct.append(side)
    return tuple(distinct)


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    version: int
    kind: str
    access: str | None
    leak: str | None
    frames: tuple[SignatureFrame, ...]
    title: str
    bug_key: str


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:ID_LENGTH]


def make_title(
    kind: str,
    access: str | None,
    leak: str | None,
    frames: Sequence[SignatureFrame],
    others: Sequence[Sequence[SignatureFrame]] = (),
) -> str:
    """`heap-buffer-overflow WRITE in f ‹ g ‹ main`; `leak (direct) in f ‹ main`;
    with the other sides of a race: `data-race in f ‹ main vs g ‹ worker`."""
    head = f"{kind} ({leak})" if leak else kind
    if access:
        head = f"{head} {access}"
    if not frames:
        return head
    sides = [frames, *(side for side in others if side)]
    places = SIDES_SEPARATOR.join(TITLE_SEPARATOR.join(f.key for f in side) for side in sides)
    return f"{head} in {places}"


def bug_key(report: Report, ignore: tuple[str, ...] = ()) -> str:
    """The second level: findings sharing the crash site and, for heap errors,
    the allocation or free site (the buggy buffer) are one bug."""
    sides = report_sides(report, ignore, 1)
    if sides is not None:  # the first side in sorted order, whichever was printed first
        crash = sides[0] if sides else ()
    else:
        crash = signature_frames(deciding_stack(report), ignore, 1, report.kind == "stack-overflow")
    site = report.stack("free") if report.kind == "double-free" else report.stack("alloc")
    if report.kind == "leak":
        site = None
    buffer = signature_frames(site, ignore, depth=1)
    parts = ["bug", str(SIGNATURE_VERSION), crash[0].key if crash else ""]
    return _digest(parts + [buffer[0].key if buffer else ""])


def _stack_content(stack: Stack | None) -> tuple[object, ...] | None:
    if stack is None:
        return None
    return tuple((f.function, f.file, f.line, f.module, f.module_offset) for f in stack.frames)


def content_key(report: Report) -> tuple[object, ...]:
    """Everything `signature` reads of a report (pcs and addresses left out): two
    reports with equal keys have equal signatures, so callers may memoize on it."""
    sided = sided_stacks(report)
    return (
        report.kind,
        report.access,
        leak_kind(report),
        _stack_content(deciding_stack(report)),
        _stack_content(report.stack("alloc")),
        _stack_content(report.stack("free")),
        None if sided is None else tuple(map(_stack_content, sided)),
    )


def signature(report: Report, ignore: Sequence[str] = (), depth: int = DEFAULT_DEPTH) -> Signature:
    """The report's signature under the current rules (SIGNATURE_VERSION)."""
    extra = tuple(ignore)
    sides = report_sides(report, extra, depth)
    if sides is None:
        recursive = report.kind == "stack-overflow"
        frames = signature_frames(deciding_stack(report), extra, depth, recursive)
        leak = leak_kind(report)
        access = report.access if report.kind != "leak" else None
        keys = [frame.key for frame in frames]
        title = make_title(report.kind, access, leak, frames)
    else:
        # Which side is printed first, and so which access the report names,
        # is the runtime's choice: a race's read in one log is its write in another.
        frames = sides[0] if sides else ()
        leak = access = None
        keys = [_SIDE_JOIN.join(frame.key for frame in side) for side in sides]
        title = make_title(report.kind, None, None, frames, sides[1:])
    parts = [str(SIGNATURE_VERSION), report.kind, access or "", leak or ""]
    return Signature(
        id=_digest(parts + keys),
        version=SIGNATURE_VERSION,
        kind=report.kind,
        access=access,
        leak=leak,
        frames=frames,
        title=title,
        bug_key=bug_key(report, extra),
    )
