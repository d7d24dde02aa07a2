"""One bisection step: build a commit in a temporary worktree and run the
finding's reproducers there a few times."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import build, config, reproducers, runner, vcs
from harness.bisect import BAD, GOOD, SKIP, Step
from harness.errors import BuildError, ConfigError, NotBuiltError, ToolError, UsageError
from harness.model import Job
from harness.parse import parse_file
from harness.profiles import parse_profile
from harness.project import Project
from harness.run_plan import choose_cc
from harness.store.evidence import Reproducer
from harness.triage.signature import signature

if TYPE_CHECKING:
    import git


@dataclass(frozen=True, slots=True)
class Probe:
    """Tests commits for one finding: `home` is the user's project (where the
    reproducers are stored), never built in nor checked out."""

    home: Project
    repo: git.Repo
    finding: str
    reproducers: Sequence[Reproducer]
    runs: int
    cc: str | None
    jobs: int

    def test(self, sha: str) -> Step:
        with vcs.worktree(self.repo, sha) as folder:
            project = self._project(folder)
            if project is None:
                return Step(sha, SKIP, "no usable harness.toml at this commit")
            profile = self.reproducers[0].profile
            cc = choose_cc(self.home, self.home.require_config(), parse_profile(profile), self.cc)
            try:
                build.build_targets(project, profile, cc, self.jobs, [self.reproducers[0].target])
                plan = reproducers.plan(
                    project,
                    self.reproducers,
                    profile=profile,
                    cc=cc,
                    repeat=self.runs,
                    home=self.home.root,
                )
                result = runner.run_jobs(project, plan, jobs=self.jobs)
            except (BuildError, NotBuiltError, ConfigError, UsageError) as exc:
                return Step(sha, SKIP, f"does not build: {str(exc).splitlines()[0]}")
            except ToolError as exc:
                return Step(sha, SKIP, f"could not run: {str(exc).splitlines()[0]}")
            hits = sum(1 for job in result.jobs if self._shows(result.run_dir, job))
        verdict = BAD if hits else GOOD
        return Step(sha, verdict, f"{hits} of {len(result.jobs)} runs showed it")

    def _project(self, folder: Path) -> Project | None:
        home_config = self.home.require_config()
        relative = home_config.path.resolve().relative_to(self.home.root.resolve())
        path = folder / relative
        if not path.is_file():
            return None
        try:
            loaded = config.load(path)
        except ConfigError:
            return None
        return Project(root=loaded.root, config=loaded, db=self.home.db)

    def _shows(self, run_dir: Path, job: Job) -> bool:
        ignore = self.home.require_config().ignore_frames
        for log in job.logs:
            for report in parse_file(run_dir / log).reports:
                if signature(report, ignore).id == self.finding:
                    return True
        return False
