"""Responses are checked against their OpenAPI model in the test profile only.

In tests a view whose answer does not match its documented model is a server error, so the
suite catches the mismatch; in development and production the answer goes out as the view
made it, without being parsed again (the cost is measured in bench/).
"""

from __future__ import annotations

from dataclasses import replace

from flask import Flask
from spectree import Response as Resp

from app.config import Settings
from app.web.api import schemas as s
from app.web.api.openapi import spec_of
from tests.conftest import fresh_app


def add_wrong_view(app: Flask) -> None:
    @app.get("/api/wrong-shape/")
    @spec_of(app).validate(resp=Resp(HTTP_200=s.UserOut), tags=["test"])
    def wrong_shape() -> dict[str, str]:
        return {"not": "a user"}


def get_wrong(settings: Settings, clock: object) -> int:
    with fresh_app(settings, clock) as app:  # type: ignore[arg-type]
        add_wrong_view(app)
        return int(app.test_client().get("/api/wrong-shape/").status_code)


def test_the_test_profile_refuses_an_answer_that_breaks_its_model(settings: Settings,
                                                                  clock: object) -> None:
    assert get_wrong(settings, clock) == 500


def test_other_profiles_send_the_answer_without_parsing_it_again(settings: Settings,
                                                                 clock: object) -> None:
    assert get_wrong(replace(settings, profile="development"), clock) == 200
