"""HTML error pages: the layout and a plain message, never a trace (the API keeps problem+json)."""

from __future__ import annotations

from flask import Response, render_template

TITLES: dict[int, tuple[str, str]] = {
    400: ("Something in that request was not right",
          "Go back, reload the page and try again."),
    401: ("Please sign in", "Your session has ended. Sign in to continue."),
    403: ("You cannot do that", "This page or action is not available to your account."),
    404: ("Page not found", "If you typed the address, check it is correct."),
    405: ("That is not allowed here", "This address does not accept that kind of request."),
    409: ("That could not be done", "Something changed in the meantime. Please try again."),
    413: ("That was too large", "The form you sent was larger than the shop accepts."),
    429: ("Too many attempts", "Please wait before trying again."),
    500: ("Sorry, there is a problem with the shop",
          "Something went wrong on our side. Please try again later."),
    503: ("Sorry, the shop is busy", "This part of the shop is unavailable right now. "
          "Please try again in a moment."),
}
SHOW_DETAIL = frozenset({400, 409})


def render_error(status: int, detail: str = "", retry_after: int | None = None) -> Response:
    known = status if status in TITLES else (500 if status >= 500 else 400)
    title, message = TITLES[known]
    body = render_template("errors/error.html", status=status, title=title, message=message,
                           detail=detail if known in SHOW_DETAIL else "",
                           retry_after=retry_after)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"
