"""Suppressions: reports a project has decided not to see, hidden at triage.

Logs are never deleted or edited: a suppressed report is read and signed like
any other, then left out of the findings, and triage says how many reports
each rule hid (and warns when one rule hides many distinct findings).

The file (harness.toml `[triage] suppressions = "harness.supp"`) holds one
rule per line, `type:pattern`; blank lines and lines starting with `#` are
skipped. The sanitizers' own types, with their own matching, so a runtime
suppression file can be reused as is:

    leak:libfoo.so            any frame of a leak's allocation stack (LSan)
    interceptor_via_fun:f     ASan errors raised in an interceptor (the crash
    interceptor_via_lib:lib   stack's top frame is the runtime or libc) with a
    called_from_lib:lib       frame in function f / module lib
    interceptor_name:memcpy   ASan errors raised by that interceptor
    odr_violation:global      the odr-violation naming that global
    race:f   race_top:f       ThreadSanitizer races (any frame / top frames)
    thread:f  mutex:f  signal:f  deadlock:f   the other ThreadSanitizer reports
    signed-integer-overflow:file.c  alignment:f  ...  UBSan, by check name
                              (-fsanitize= name) or harness kind, at the
                              error's location (the crash stack's top frame)

A sanitizer pattern matches a frame's function, source file or module as the
runtimes do: anywhere in the text, `*` for any run of characters, `^` and `$`
to anchor at the start and the end.

Two types from the compilers' ignore lists, for any tool, matched as globs
against the whole text of the first frame in the program's own code (after
runtime, allocator and libc frames):

    fun:parse_*               its function (normalized name or as printed)
    src:*/third_party/*       its source file

And the harness's own rules, for any tool and any frame of the deciding stack
(the crash stack; for leaks the allocation stack), as globs on the whole text:

    harness-kind:stack-overflow      the report's kind
    harness-tool:memcheck            the tool that reported it
    harness-function:png_*           a frame's normalized function name
    harness-file:third_party/*       a frame's source file, or any tail of its
                                     path (third_party/* matches /src/third_party/z.c)
    harness-module:libz.so*          a frame's module (basename or full path)
    harness-finding:3f9a0c12de45     one finding, by id

A report is suppressed by the first rule (in file order) that matches it.
"""

from harness.suppress.kinds import RULE_TYPES, UBSAN_CHECKS, ubsan_check
from harness.suppress.match import BROAD_RULE_FINDINGS, SuppressResult, matches, suppress
from harness.suppress.rules import Rule, load_rules, parse_rules, template_regex

__all__ = [
    "BROAD_RULE_FINDINGS",
    "RULE_TYPES",
    "UBSAN_CHECKS",
    "Rule",
    "SuppressResult",
    "load_rules",
    "matches",
    "parse_rules",
    "suppress",
    "template_regex",
    "ubsan_check",
]
