"""The seed walkthrough (DESIGN.md §2, steps 1-4 and 7), in French, in a real browser, with the
connection test and the invitation going through a real Celery worker and SMTP server."""

import re
from urllib.parse import urlparse

import pytest

from dossiers.models import Dossier, DossierAccess
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/hub/")


def test_the_seed_walkthrough_in_french(page_factory, celery_worker, smtp) -> None:
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    admin = page_factory(locale="fr-BE")
    log_in(admin, "admin@fiduciaire-demo.be")

    # Step 3: Dossier > Settings > Connect on GARAGE.
    admin.locator(".tool-portal a").click()
    admin.get_by_role("row", name=re.compile("GARAGE")).get_by_role(
        "link", name="Paramètres Connect"
    ).click()
    admin.get_by_label("Activer WinBooks Connect pour ce dossier").check()
    accountant = admin.get_by_label(re.compile(r"^Comptable"))
    accountant.fill("comptable@fiduciaire-demo.be")
    admin.get_by_role("button", name="Enregistrer").click()
    admin.get_by_text("Connect est activé. Le test de connexion est en cours.").wait_for()
    # The result replaces "running" without a reload (htmx polls the worker's result).
    result = admin.locator("#connection-test")
    result.get_by_text(
        "Le comptable comptable@fiduciaire-demo.be est un collaborateur actif", exact=False
    ).wait_for(timeout=30_000)
    assert "Aucun utilisateur n'a encore le rôle Connect : entrepreneur" in result.inner_text()

    # Step 4: [+] opens Create a new user with GARAGE / connect.entrepreneur pre-selected.
    admin.get_by_role("link", name="Créer un nouvel utilisateur").click()
    assert admin.get_by_role("heading", level=1).inner_text() == "Créer un nouvel utilisateur"
    assert admin.get_by_label("Connect : entrepreneur · GARAGE").is_checked()
    admin.get_by_label("WinBooksID (adresse e-mail)").fill("client@garage-demo.be")
    admin.get_by_label(re.compile(r"^Prénom")).fill("Gaston")
    admin.get_by_label(re.compile(r"^Nom\b")).fill("Garagiste")
    admin.locator("form.form #id_language").select_option("fr")
    admin.get_by_label("Envoyer un e-mail avec les informations à l'utilisateur").check()
    admin.get_by_role("button", name="Enregistrer").click()
    admin.wait_for_url("**/connect/")
    assert admin.get_by_role("link", name="client@garage-demo.be").is_visible()

    # The invitation reaches the SMTP server, in French.
    (message,) = smtp.wait_for(1, timeout=30)
    assert message["To"] == "client@garage-demo.be"
    assert "vous invite à ses outils numériques" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Anne Dupont de Fiduciaire Démo vous a donné accès" in body
    link = re.search(r"https?://\S+/invitation/\S+/", body).group(0)

    # The link sets a password and logs the client in, in their one dossier's Connect; the
    # hub shows Connect.
    client = page_factory(locale="fr-BE")
    client.goto(urlparse(link).path)
    client.get_by_label(re.compile(r"^Nouveau mot de passe\s*:")).fill("Garage-Gaston-2026")
    client.get_by_label("Nouveau mot de passe (confirmation)").fill("Garage-Gaston-2026")
    client.get_by_role("button", name="Enregistrer mon mot de passe et me connecter").click()
    client.wait_for_url("**/connect/dossiers/**")
    client.goto("/hub/")
    assert client.locator(".tool-name").all_inner_texts() == ["Connect"]
    # The link is single-use.
    client.goto(urlparse(link).path)
    assert client.get_by_role("heading", level=1).inner_text() == (
        "Ce lien ne peut pas être utilisé"
    )

    # Step 7: GARAGE's default processing mode becomes Premium.
    admin.get_by_role("link", name="Information du dossier").click()
    mode = admin.get_by_label("Mode de traitement par défaut")
    # all_inner_texts() does not wait: wait for the new page's field first.
    mode.wait_for()
    assert mode.locator("option").all_inner_texts() == [
        "Transport (100 crédits restants)",
        "Premium (100 crédits restants)",
        "Optimum (100 crédits restants)",
    ]
    mode.select_option("premium")
    admin.get_by_role("button", name="Enregistrer").click()
    admin.get_by_text("Les informations du dossier ont été enregistrées.").wait_for()
    assert Dossier.objects.get(code="GARAGE").default_processing_mode == "premium"
    assert admin.get_by_text("Mode de traitement par défaut modifié").is_visible()

    new_client = User.objects.get(email="client@garage-demo.be")
    assert set(
        DossierAccess.objects.filter(user=new_client).values_list("dossier__code", "role")
    ) == {("GARAGE", "connect.entrepreneur")}


def test_a_light_licence_offers_only_transport_and_refuses_a_forged_premium(page_factory):
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    page = page_factory(locale="fr-BE")
    log_in(page, "admin@cabinet-exemple.be")
    fleuriste = Dossier.objects.get(code="FLEURISTE")
    page.goto(f"/portal/dossiers/{fleuriste.public_id}/")
    mode = page.get_by_label("Mode de traitement par défaut")
    assert mode.locator("option").all_inner_texts() == ["Transport (100 crédits restants)"]
    # Forge the form as a hostile browser would.
    page.evaluate("""() => {
        const select = document.getElementById('id_default_processing_mode');
        select.add(new Option('Premium', 'premium'));
        select.value = 'premium';
    }""")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text(
        "Avec une licence light, seul le mode Transport peut être choisi.", exact=False
    ).first.wait_for()
    fleuriste.refresh_from_db()
    assert fleuriste.default_processing_mode == "transport"
