import pytest

from app.core.smtp import SmtpTarget, parse_smtp_url


def test_the_forms_of_an_smtp_address() -> None:
    assert parse_smtp_url("smtp://mail.tinh.gov.vn") == SmtpTarget("mail.tinh.gov.vn", 25)
    full = parse_smtp_url("smtp://hai%40long:m%E1%BA%ADt@127.0.0.1:587?starttls=1")
    assert (full.username, full.password, full.port, full.starttls, full.tls) == (
        "hai@long",
        "mật",
        587,
        True,
        False,
    )
    assert "mật" not in repr(full)  # never the password in a log line
    tls = parse_smtp_url("smtps://mail.tinh.gov.vn")
    assert (tls.port, tls.tls, tls.starttls) == (465, True, False)


@pytest.mark.parametrize(
    "url",
    [
        "mail.tinh.gov.vn:25",
        "http://mail:25",
        "smtp://",
        "smtp://h:x",
        "smtp://h/path",
        "smtp://h?tls=1",
    ],
)
def test_what_is_not_an_smtp_address_names_the_variable(url: str) -> None:
    with pytest.raises(ValueError, match="HAILONG_SMTP_URL"):
        parse_smtp_url(url)
