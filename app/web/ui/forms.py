"""The UI's forms (Flask-WTF: every one carries the CSRF token). Business rules stay in the
contracts: these check shape only, and contract errors come back as field messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.ordering.contract import MAX_QUANTITY

USERNAME = r"^[A-Za-z0-9_.-]+$"
CODE = r"^\s*[A-Za-z0-9 -]{6,40}\s*$"


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired("Enter a username"),
        Length(3, 40, "Username must be between 3 and 40 characters"),
        Regexp(USERNAME, message="Username can only use letters, numbers, '.', '_' and '-'")],
        render_kw={"autocomplete": "username", "spellcheck": "false"})
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address"), Length(max=254, message="Email is too long"),
        Email("Enter an email address in the correct format, like name@example.com",
              check_deliverability=False)], render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=[
        DataRequired("Enter a password"),
        Length(8, 256, "Password must be between 8 and 256 characters")],
        render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username"),
                                                   Length(max=100)],
                           render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password"),
                                                     Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[
        DataRequired("Enter the code"),
        Regexp(CODE, message="Enter the 6-digit code from your app, or a backup code")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"})


class ProfileForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address"), Length(max=254, message="Email is too long"),
        Email("Enter an email address in the correct format, like name@example.com",
              check_deliverability=False)], render_kw={"autocomplete": "email"})


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password"), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", validators=[
        DataRequired("Enter a new password"),
        Length(8, 256, "Password must be between 8 and 256 characters")],
        render_kw={"autocomplete": "new-password"})


class PasswordAndCodeForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Enter your password"),
                                                     Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField("Code from your app, or a backup code", validators=[
        DataRequired("Enter a code"),
        Regexp(CODE, message="Enter the 6-digit code from your app, or a backup code")],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class TotpConfirmForm(FlaskForm):
    code = StringField("6-digit code from your app", validators=[
        DataRequired("Enter the 6-digit code"),
        Regexp(r"^\s*\d{6}\s*$", message="Enter the 6-digit code from your app")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class QuantityForm(FlaskForm):
    product_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    quantity = IntegerField("Quantity", default=1, validators=[
        InputRequired("Enter a quantity"),
        NumberRange(0, MAX_QUANTITY, f"Quantity must be between 0 and {MAX_QUANTITY}")],
        render_kw={"min": 0, "max": MAX_QUANTITY, "inputmode": "numeric"})


class CheckoutForm(FlaskForm):
    idempotency_key = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Enter your password"),
                                                     Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    # Shown and needed only when 2FA is on: the identity module refuses a missing code then.
    code = StringField("Code from your app, or a backup code", validators=[
        Optional(), Regexp(CODE, message="Enter the 6-digit code from your app, or a backup code")],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})
