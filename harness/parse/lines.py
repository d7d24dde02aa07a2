"""pyparsing elements for the lines inside an ASan/LSan report after its headline.

Each element is a `Regex`: the report walker (`body.py`) tries their compiled
patterns on each line, which is what keeps it fast; the elements themselves
stay usable as grammar (`ACCESS.parse_string(...)`) and in tests.
"""

from __future__ import annotations

import pyparsing as pp

# `==1234==` before runtime lines; other processes' lines carry other pids.
PID_PREFIX = pp.Regex(r"==(?P<pid>\d+)==")

ACCESS = pp.Regex(
    r"(?P<access>READ|WRITE) of size (?P<size>\d+) at (?P<address>0x[0-9a-fA-F]+)"
    r"(?: thread (?P<thread>T\d+))?"
)
SIGNAL_ACCESS = pp.Regex(r"The signal is caused by a (?P<access>READ|WRITE|UNKNOWN) memory access")
ZERO_PAGE = pp.Regex(r"Hint: address points to the zero page")

# `freed by thread T1 here:`, `previously allocated by thread T0 (worker) here:`
ROLE_HEADER = pp.Regex(
    r"(?P<what>previously allocated|allocated|previously freed|freed) by thread"
    r" (?P<thread>T\d+)(?: \([^)]*\))? here:"
)
THREAD_HEADER = pp.Regex(
    r"Thread (?P<thread>T\d+)(?: \([^)]*\))? created by (?P<parent>T\d+)(?: \([^)]*\))? here:"
)
# initialization-order-fiasco: where the global was registered.
REGISTERED_HEADER = pp.Regex(r"registered at:")
# odr-violation: `[1] size=40 'table' a.c:1:5` names each definition of the
# global, and `[1]:` and `[2]:` head the two registration stacks.
ODR_GLOBAL = pp.Regex(r"\[(?P<which>\d+)\] size=\d+ '(?P<global>[^']+)'(?: (?P<location>\S+))?")
ODR_HEADER = pp.Regex(r"\[(?P<which>\d+)\]:$")
LEAK_HEADER = pp.Regex(
    r"(?P<leak>Direct|Indirect) leak of (?P<bytes>\d+) byte\(s\) in (?P<objects>\d+)"
    r" object\(s\) allocated from:"
)
# `Address 0x.. is located in stack of thread T0 at offset 48 in frame`: the
# frame that follows describes the variable; it is not a stack of the report.
IN_STACK_FRAME = pp.Regex(r"(?:Address )?0x[0-9a-fA-F]+ is located in stack of thread .* in frame$")
LOCATED = pp.Regex(
    r"(?:Address )?(?P<address>0x[0-9a-fA-F]+) is located (?P<located>(?P<distance>\d+) bytes "
    r"(?P<relation>to the left of|to the right of|inside of) .*)"
)
SUMMARY = pp.Regex(r"SUMMARY: (?P<tool>\w+Sanitizer): (?P<text>.*)")
LEAK_TOTAL = pp.Regex(r"(?P<bytes>\d+) byte\(s\) leaked in (?P<allocations>\d+) allocation\(s\)")
ABORTING = pp.Regex(r"ABORTING$")
SHADOW_START = pp.Regex(r"Shadow bytes around the buggy address:")
SHADOW_LINE = pp.Regex(r"(?:=>|  )0x[0-9a-fA-F]+:")
LEGEND_START = pp.Regex(r"Shadow byte legend")
# Present in every legend since 2014; the legend, and so the report, is complete.
LEGEND_END = pp.Regex(r"\s*(?:Right alloca redzone|Shadow gap):")
MEMORY_MAP_END = pp.Regex(r"End of process memory map")
EMPTY_STACK = pp.Regex(r"<empty stack>")

# Lines a report may hold that carry nothing we keep. Knowing them lets the
# walker tell a report that goes on from program output that interrupts it.
KNOWN_NOISE = pp.Regex(
    r"(?:HINT|Hint|SCARINESS|MiraclePtr|  This frame has|\s*\[\d+, \d+\)|\s*\(longjmp|"
    r"(?:Address|UndefinedBehavior|Memory|Thread)Sanitizer can not provide additional info|"
    r"\s*object passed to delete|"
    r"\s*size of the (?:de)?allocated type|\s*\[\d+\] size=|These globals were registered|"
    r"Register values|[a-z0-9]{2,3} = 0x|Objects leaked above|0x[0-9a-fA-F]+ \(\d+ bytes\)|"
    r"-{10,}|Suppressions used|\s*count\s+bytes\s+template|\s*\d+\s+\d+\s+\S+$|"
    r"Process memory map follows|\t0x|(?:Address|UndefinedBehavior|Memory|Thread)Sanitizer:"
    r"DEADLYSIGNAL|={20,})"
)
