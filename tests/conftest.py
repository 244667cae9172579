"""Fixtures live in tests/fixtures; this file only names them."""

pytest_plugins = [
    "tests.fixtures.stack",
    "tests.fixtures.kafka_tools",
    "tests.fixtures.database",
    "tests.fixtures.cohort",
    "tests.fixtures.browser",
]
