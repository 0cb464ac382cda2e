from app.web.ui.wording import counted


def test_one_is_singular() -> None:
    assert counted(1, "user") == "1 user"


def test_zero_and_many_are_plural() -> None:
    assert counted(0, "order") == "0 orders"
    assert counted(12, "backup code") == "12 backup codes"
