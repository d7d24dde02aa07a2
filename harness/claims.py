"""Fix claims: a commit message line `Fixes-finding: <id>` says that commit
fixes the finding (the key in any case, a unique id prefix is enough).

A claim changes no status: only runs do. Each triage scans the commits made
since the last scan; when a run at the claiming commit or after it still
shows the finding, the triage says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness import vcs
from harness.store import Store
from harness.store.tracking import CLAIMS_SCANNED, Claim

if TYPE_CHECKING:
    import git

# At least 4 hex digits: shorter prefixes name too many findings to mean one.
_LINE = re.compile(r"^[ \t]*fixes-finding:[ \t]*([0-9a-f]{4,})\b", re.IGNORECASE | re.MULTILINE)


def parse(message: str) -> tuple[str, ...]:
    """The finding id prefixes a commit message claims fixed, lower case, in order."""
    return tuple(dict.fromkeys(m.group(1).lower() for m in _LINE.finditer(message)))


def scan(store: Store, root: Path, head: str | None) -> int:
    """Record the claims of the commits up to `head` (checked out at `root`;
    None: no commit) made since the last scan; returns how many. When `head`
    was scanned last, as on most triages, no repository is opened."""
    scanned = store.meta(CLAIMS_SCANNED)
    if head is None or scanned == head:
        return 0
    repo = vcs.repository(root)
    if repo is None:
        return 0
    found = [
        Claim(sha, prefix)
        for sha, message in vcs.messages(repo, head, scanned)
        for prefix in parse(message)
    ]
    store.add_claims(found, head)
    return len(found)


def contradicted(store: Store, root: Path, seen: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """finding → the claiming commit, for findings that runs at that commit or a
    later one (a descendant) still showed; recorded on the findings too."""
    claims = store.claims()
    if not claims or not seen:
        return {}
    repo = vcs.repository(root)
    found: dict[str, str] = {}
    for finding, commits in sorted(seen.items()):
        for claim in claims:
            if finding.startswith(claim.prefix) and _reached(repo, claim.commit, commits):
                found[finding] = claim.commit
    if found:
        store.mark_claimed(found)
    return found


def _reached(repo: git.Repo | None, claim: str, commits: Sequence[str]) -> bool:
    if claim in commits:
        return True
    if repo is None:
        return False
    return any(vcs.is_ancestor(repo, claim, commit) for commit in commits)


def warning(finding: str, claim: str) -> str:
    return f"finding {finding} claimed fixed in {claim[:7]} but still reproduces"
