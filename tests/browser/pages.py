"""Small page helpers: act like a person with a keyboard (labels, buttons by their text)."""

from __future__ import annotations

import re
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support import GOOD_PASSWORD


class Pages:
    def __init__(self, driver: Any, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base)

    @property
    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def fill(self, label: str, value: str) -> None:
        """Type into the input whose <label> reads ``label``."""
        target = self.driver.find_element(
            By.XPATH, f"//label[normalize-space(.)={xpath_literal(label)}]")
        field = self.driver.find_element(By.ID, target.get_attribute("for"))
        field.clear()
        field.send_keys(value)

    def press(self, text: str) -> None:
        """Click the button whose text starts with ``text``."""
        button = self.driver.find_element(
            By.XPATH, f"//button[starts-with(normalize-space(.), {xpath_literal(text)})]")
        page = self.driver.find_element(By.TAG_NAME, "html")
        button.click()
        # A form post navigates: wait until the next page has replaced this one.
        WebDriverWait(self.driver, 60).until(replaced(page))
        WebDriverWait(self.driver, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    def register(self, username: str, password: str = GOOD_PASSWORD) -> None:
        self.open("/register")
        self.fill("Username", username)
        self.fill("Email address", f"{username}@example.com")
        self.fill("Password", password)
        self.press("Create account")

    def start_two_factor(self, password: str = GOOD_PASSWORD) -> None:
        """Open the 2FA page and start the setup (it asks for the password first)."""
        self.open("/account/2fa/")
        self.fill("Your password", password)
        self.press("Set up two-factor authentication")

    def login(self, username: str, password: str = GOOD_PASSWORD) -> None:
        self.open("/login")
        self.fill("Username", username)
        self.fill("Password", password)
        self.press("Log in")

    def logout(self) -> None:
        self.press("Log out")

    def add_to_cart(self, product_id: str, quantity: int = 1) -> None:
        self.open(f"/products/{product_id}/")
        self.fill("Quantity", str(quantity))
        self.press("Add to cart")

    def order_id(self) -> str:
        match = re.search(r"/orders/([0-9a-f-]{36})/", self.path)
        assert match, self.path
        return match.group(1)


def replaced(old: Any) -> Any:
    """Wait condition: ``old`` (the previous page's root) has left the document. While the
    browser is between documents Chromium may answer with other errors: keep waiting."""

    def check(_driver: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException:
            return False
        return False

    return check


def xpath_literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    return 'concat("' + value.replace('"', '", \'"\', "') + '")'
