from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.admin_support import AdminBrowser, admin_browser
from tests.support import Api


@pytest.fixture
def admin(client: FlaskClient, api: Api) -> AdminBrowser:
    return admin_browser(client, api)
