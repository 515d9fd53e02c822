"""The harness's HTTP limits as settings: defaults, environment variables, a clear error for bad ones."""

from __future__ import annotations

import pytest

from ess_core.service.limits import HttpLimits


def test_limits_come_from_the_environment_or_the_defaults() -> None:
    assert HttpLimits.from_env({}) == HttpLimits()
    given = {"ESS_HTTP_MAX_BODY_BYTES": "1024", "ESS_HTTP_BODY_TIMEOUT_S": "2.5"}
    assert HttpLimits.from_env(given) == HttpLimits(max_body_bytes=1024, body_timeout_s=2.5)


def test_a_limit_that_is_not_a_number_is_named() -> None:
    with pytest.raises(SystemExit, match="ESS_HTTP_MAX_HEADER_BYTES must be numbers"):
        HttpLimits.from_env({"ESS_HTTP_MAX_HEADER_BYTES": "16k"})
