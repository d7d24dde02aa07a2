"""The malloc/free ledger of one run: every allocation and free of a plain
(`-g`, uninstrumented) build, counted by one of three methods, and the blocks
still allocated at exit grouped by the place that allocated them.

- `ltrace`: ltrace stops at the allocator's entry points (libc's malloc
  family, strdup, libstdc++'s operator new and delete) and prints each call
  with its return address. Every call is seen, so the ledger has calls,
  bytes allocated and freed, and the peak of live bytes; but only the
  immediate call site, not a stack (`ltrace.py`).
- `jemalloc`: jemalloc preloaded with its heap profiler sampling every
  allocation; at exit it dumps each stack's live and total allocations
  (`jemalloc.py`). Bytes are jemalloc's size classes (15 requested → 16).
- `lsan`: the LeakSanitizer runtime preloaded (`harness run --leaks` for one
  job): only blocks no pointer reaches any more (`lsan.py`).

`run.py` runs one method through the runner; `store.py` turns the unfreed
groups into leak reports for the findings store; `render.py` tabulates.
"""
