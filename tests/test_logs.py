"""The log never holds a user's shipping address, even at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from pointsmall.clock import MovableClock
from pointsmall.logs import DATABASE_LOGGERS, configure_logging
from tests.api import Api
from tests.mall.helpers import ADDRESS, create_item, grant, redeem


@pytest.fixture
def debug_logging() -> Iterator[None]:
    loggers = [logging.getLogger(), *map(logging.getLogger, DATABASE_LOGGERS)]
    levels = [logger.level for logger in loggers]
    configure_logging("DEBUG")
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("debug_logging")
async def test_a_redeemed_address_stays_out_of_the_debug_log(
    api: Api, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await grant(api, "mei", 100)
    goods = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=10)
    made = await redeem(api, "mei", goods["id"], "r1", shippingAddress=ADDRESS)
    assert made["errors"] == []
    logging.getLogger("pointsmall").debug("our own debug lines still show")
    assert "our own debug lines still show" in caplog.text
    assert ADDRESS["line1"] not in caplog.text
    assert ADDRESS["recipient"] not in caplog.text


def test_json_lines_carry_the_request_id() -> None:
    import json

    from pointsmall.logs import JsonLines, request_id

    record = logging.LogRecord(
        "pointsmall.jobs", logging.WARNING, __file__, 1, "job %s", ("x",), None
    )
    token = request_id.set("req-42")
    try:
        line = json.loads(JsonLines().format(record))
    finally:
        request_id.reset(token)
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "WARNING",
        "pointsmall.jobs",
        "job x",
        "req-42",
    )
    assert "request_id" not in json.loads(JsonLines().format(record))  # outside a request
