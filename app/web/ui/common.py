"""Helpers shared by the UI views: rendering forms that failed, contract errors as messages."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_wtf import FlaskForm

from app.kernel import ContractError


def page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def attach_error(form: FlaskForm, error: ContractError, field: str | None = None) -> None:
    """Show a contract error on the form: on the field it names (or ``field``), with the
    contract's own sentence, else in the error summary."""
    name = field or next((n for n in error.field_errors if n in form), None)
    message = error.detail or "That did not work; please check and try again."
    if name is not None and name in form:
        target = form[name]
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)
