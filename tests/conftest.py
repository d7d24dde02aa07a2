import pytest
from hypothesis import settings

# The property tests draw the same examples on every run, so that CI never goes
# red on a draw no one can reproduce; `pytest --hypothesis-profile=explore`
# draws new ones, many more, to look for what the fixed draw misses.
settings.register_profile("default", max_examples=60, derandomize=True)
settings.register_profile("explore", max_examples=4000, derandomize=False)
settings.load_profile("default")


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite the expected JSON files beside the golden logs instead of comparing",
    )


@pytest.fixture
def regen_golden(request) -> bool:
    return bool(request.config.getoption("--regen-golden"))
