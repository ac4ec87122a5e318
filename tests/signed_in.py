"""A Chromium page signed in through the login form, for the browser tests."""

from .conftest import PASSWORD


def signed_in_page(browser, live_server, username: str, *, locale: str = "en-US",
                   viewport: dict | None = None, language: str | None = None,
                   timeout: int = 20000):
    """`language`: the site's language cookie, as a visitor's choice sets it."""
    context = browser.new_context(locale=locale, **({"viewport": viewport} if viewport else {}))
    if language:
        context.add_cookies([{"name": "django_language", "value": language,
                              "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page
