"""The Content-Security-Policy in a real browser: the main pages (login, hub, the client's
Connect dossier with an upload, a document, the View dashboard with Chart.js, the accountant's
inbox, the Portal's Connect settings with htmx) load with zero violations, and the scripts
still work under the policy: the upload progress, the charts, htmx. A script injected into
the page is refused, which shows the listener hears violations."""

import re

import pytest

from connect.models import Document
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"

#: Reports every violation to the console, where the test collects it (init scripts run
#: outside the page's policy).
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""


class Watcher:
    """Console messages about the policy (Chromium's "Refused to …", the listener's lines,
    Permissions-Policy header errors) and uncaught script errors, per page."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page) -> None:
        page.add_init_script(LISTEN)
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def console(self, message) -> None:
        text = message.text
        if re.search(r"Content Security Policy|CSP violation|Refused to|Permissions-Policy", text):
            self.problems.append(text)


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))  # a client lands in Connect


def test_the_main_pages_load_without_violations_and_scripts_work(
    page_factory, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    dossier = Dossier.objects.get(code="BOULANGERIE")
    (tmp_path / "facture.pdf").write_bytes(samples.pdf(1))
    watcher = Watcher()

    # The client: login, hub, Connect with an upload through upload.js (XHR with progress).
    client = page_factory(locale="fr-BE", viewport={"width": 1280, "height": 900})
    watcher.attach(client)
    log_in(client, CLIENT)
    client.goto(f"/connect/dossiers/{dossier.public_id}/invoices/")
    client.locator("input[name=uploads]").set_input_files([str(tmp_path / "facture.pdf")])
    client.locator("form[data-upload] button[type=submit]").click()
    # Function form: a bare expression would be eval'd in the page, which the policy refuses.
    client.wait_for_function("() => document.querySelectorAll('.upload-ok').length === 1")
    # The desk's list is refreshed in place by htmx once the upload is done.
    client.wait_for_function("() => !!document.querySelector('[data-upload-summary]').textContent")
    document = Document.objects.get(dossier=dossier, filename="facture.pdf", status="sent")
    client.goto(f"/connect/documents/{document.public_id}/")
    client.locator("h1").wait_for()

    # View: Chart.js draws from the JSON endpoints.
    client.goto(f"/view/dossiers/{dossier.public_id}/")
    client.wait_for_function(
        "() => { const c = document.querySelector('#report-documents canvas');"
        " return !!(c && window.Chart && window.Chart.getChart(c)); }"
    )

    # The accountant: the inbox, and the dossier's Connect settings where htmx fills the staff
    # list while the accountant's address is typed.
    accountant = page_factory(locale="fr-BE", viewport={"width": 390, "height": 844})
    watcher.attach(accountant)
    log_in(accountant, ACCOUNTANT)
    accountant.goto("/connect/inbox/")
    accountant.locator("h1").wait_for()
    accountant.goto(f"/portal/dossiers/{dossier.public_id}/connect/")
    field = accountant.locator("input[name=accountant]")
    field.fill("")
    with accountant.expect_response(re.compile(r"/staff/")) as answer:
        field.press_sequentially("compt")
    assert answer.value.ok
    accountant.wait_for_function(
        "() => document.querySelectorAll('#staff-options option').length > 0"
    )
    assert "comptable@fiduciaire-demo.be" in accountant.locator("#staff-options").inner_html()
    assert watcher.problems == []
    # htmx added no <style> of its own (the policy would refuse it).
    assert accountant.locator("head style").count() == 0

    # The listener does hear a refused inline script (the policy is enforced, not reported).
    accountant.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.head.appendChild(s); }"
    )
    accountant.wait_for_function("() => true")
    assert accountant.evaluate("() => window.injected === undefined")
    accountant.wait_for_timeout(200)
    assert any("script-src" in problem for problem in watcher.problems), watcher.problems


def test_the_operators_admin_loads_without_violations(page_factory, live_server) -> None:
    from django.conf import settings
    from django.test import Client

    from dossiers.models import Firm
    from users.models import User

    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    operator = User.objects.create_superuser("operator@portal.example", DEFAULT_DEMO_PASSWORD)
    session = Client()
    session.force_login(operator)
    firm = Firm.objects.get(name="Fiduciaire Démo")
    watcher = Watcher()
    page = page_factory(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    watcher.attach(page)
    for path in ("/admin/", "/admin/dossiers/firm/", f"/admin/dossiers/firm/{firm.pk}/change/"):
        page.goto(path)
        page.locator("#content").wait_for()
    # The admin's own scripts run (the inline formset adds its "Add another" link).
    assert page.locator(".add-row a").count() > 0
    assert watcher.problems == []
