"""harness: sanitizer build-and-triage.

Build targets with sanitizers, run them on inputs, turn the raw logs into
deduplicated findings and follow each finding from commit to commit.
"""

__version__ = "0.1.0"
