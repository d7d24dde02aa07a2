"""Hand-built findings shared by the renderer tests (SARIF, HTML, JUnit, escaping)."""

from __future__ import annotations

from harness import model
from harness.render.view import ReportView, build_view

ROOT = "/home/dev/proj"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def frame(
    index: int,
    function: str | None,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    module: str | None = None,
) -> model.Frame:
    return model.Frame(
        index=index,
        pc=0x401000 + index,
        function=function,
        file=file,
        line=line,
        column=column,
        module=module,
        module_offset=0x74074 if module else None,
    )


def report(
    kind: str,
    stacks: tuple[model.Stack, ...],
    *,
    tool: str = "asan",
    access: str | None = None,
    log: str = "logs/r/job-0001/asan.1",
) -> model.Report:
    return model.Report(
        tool=tool,
        kind=kind,
        source=model.Source(log=log, offset=120, length=900, pid=4242),
        headline=f"ERROR: AddressSanitizer: {kind} on address 0x602000000011",
        access=access,
        access_size=1 if access else None,
        stacks=stacks,
    )


def finding(
    fid: str,
    kind: str,
    severity: str,
    status: str | None,
    reports: tuple[model.Report, ...],
    *,
    access: str | None = None,
    title: str | None = None,
    function: str = "parse_header",
    file: str | None = "src/parse.c",
    security: bool = True,
) -> model.Finding:
    return model.Finding(
        id=fid,
        signature_version=1,
        title=title or f"{kind}{' ' + access if access else ''} in {function} ‹ main",
        kind=kind,
        access=access,
        access_size=1 if access else None,
        severity=severity,
        security=security,
        tools=tuple(sorted({r.tool for r in reports})),
        frames=(model.SignatureFrame(function, function, file, 12, None),),
        reports=reports,
        status=status,
    )


def overflow(status: str | None = "new") -> model.Finding:
    crash = model.Stack(
        "crash",
        (
            frame(0, "__interceptor_memcpy", module="/usr/lib/x86_64-linux-gnu/libasan.so.8"),
            frame(1, "parse_header", f"{ROOT}/src/parse.c", 12, 5),
            frame(2, "main", f"{ROOT}/src/main.c", 40, 3),
        ),
    )
    alloc = model.Stack(
        "alloc",
        (
            frame(0, "malloc", "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp", 69, 34),
            frame(1, "read_file", f"{ROOT}/src/io.c", 7, 9),
        ),
    )
    reports = (report("heap-buffer-overflow", (crash, alloc), access="WRITE"),) * 3
    return finding("a1b2c3d4e5f6", "heap-buffer-overflow", "high", status, reports, access="WRITE")


def use_after_free(status: str | None = "regressed") -> model.Finding:
    crash = model.Stack("crash", (frame(0, "Widget::draw()", "../../ui/widget.cc", 88, 7),))
    free = model.Stack(
        "free",
        (
            frame(0, "operator delete(void*)", "/usr/include/c++/12/new"),
            frame(1, "Widget::~Widget()", "../../ui/widget.cc", 20),
        ),
    )
    alloc = model.Stack("alloc", (frame(0, "Widget::make()", "ui/widget.cc", 10),), thread="T1")
    reports = (report("heap-use-after-free", (crash, free, alloc), access="READ"),)
    return finding(
        "0f0e0d0c0b0a",
        "heap-use-after-free",
        "high",
        status,
        reports,
        access="READ",
        function="Widget::draw()",
        file="../../ui/widget.cc",
    )


def leak(status: str | None = "fixed") -> model.Finding:
    alloc = model.Stack(
        "alloc",
        (
            frame(0, "malloc", "/src/llvm/compiler-rt/lib/asan/asan_malloc_linux.cpp", 69),
            frame(1, "make_buffer", "/tmp/elsewhere/buf.c", 3),
        ),
    )
    reports = (report("leak", (alloc,), tool="lsan"),)
    return finding(
        "777788889999",
        "leak",
        "low",
        status,
        reports,
        function="make_buffer",
        file="/tmp/elsewhere/buf.c",
        security=False,
    )


def null_deref(status: str | None = "muted") -> model.Finding:
    crash = model.Stack("crash", (frame(0, None, module="/opt/app/bin/tool"),))
    reports = (report("null-dereference", (crash,), access="READ"),)
    return finding(
        "5555aaaa5555",
        "null-dereference",
        "low",
        status,
        reports,
        access="READ",
        function="tool+0x74074",
        file=None,
        security=False,
    )


def integer_overflow(status: str | None = None) -> model.Finding:
    crash = model.Stack("crash", (frame(0, "add", "src/math.c", 4, 12),))
    reports = (report("signed-integer-overflow", (crash,), tool="ubsan"),)
    return finding(
        "bbbbccccdddd",
        "signed-integer-overflow",
        "low",
        status,
        reports,
        function="add",
        file="src/math.c",
        security=False,
    )


def all_findings() -> list[model.Finding]:
    return [leak(), null_deref(), integer_overflow(), overflow(), use_after_free()]


def sample_view(findings: list[model.Finding] | None = None) -> ReportView:
    return build_view(
        all_findings() if findings is None else findings,
        commit=COMMIT,
        project="samples",
        root=ROOT,
        first_seen={"a1b2c3d4e5f6": "fedcba9876543210fedcba9876543210fedcba98"},
        generated="2026-11-25T05:30:00Z",
    )
