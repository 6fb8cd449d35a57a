"""Labelled synthetic Belgian invoices for the recognition bench (`bench/recognition.py`).

`generate(count, seed)` draws invoices (fr/nl/de/en, Belgian and a few other EU suppliers, valid
VAT numbers, IBANs and structured communications, 21/12/6 % VAT) and `render_pdf` draws one with
reportlab in one of five layouts; `degrade` turns a PDF into a poor scan (JPEG or image-only PDF).
`Invoice.labels()` is the truth the recogniser is measured against, in its normalised form.
`supplier_pairs` gives two invoices of one supplier (for the supplier memory's bench).
"""

import dataclasses
import io
import random
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import img2pdf
from PIL import Image, ImageFilter, ImageOps
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from stdnum import iban as stdnum_iban
from stdnum.be import iban as be_iban
from stdnum.eu import vat as eu_vat

CENT = Decimal("0.01")
LANGUAGES = ("fr", "nl", "de", "en")
TEMPLATES = ("classic", "right", "band", "sidebar", "compact", "window")

MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}

# Label vocabularies as they appear on real invoices (several wordings per language).
WORDS: dict[str, dict[str, list[str]]] = {
    "fr": {
        "title": ["FACTURE", "Facture"],
        "number": ["Facture n°", "N° de facture", "Numéro de facture", "Facture N°", "N° facture"],
        "date": ["Date de facture", "Date", "Date facture", "Date d'émission"],
        "due": ["Échéance", "Date d'échéance", "À payer avant le", "Date limite de paiement"],
        "customer": ["Client", "Facturé à", "Destinataire", "Adressé à"],
        "vat_id": ["TVA", "N° TVA", "TVA :", "N° d'entreprise"],
        "customer_vat": ["TVA client", "Votre n° TVA", "N° TVA client"],
        "excl": ["Total HTVA", "Total hors TVA", "Sous-total", "Montant HTVA", "Base imposable"],
        "vat": ["TVA {rate} %", "TVA {rate}%", "Montant TVA {rate} %"],
        "vat_total": ["Total TVA", "TVA", "Montant TVA"],
        "incl": ["Total TVAC", "Total TTC", "Montant total", "Total TVA comprise", "Total"],
        "payable": ["Net à payer", "Solde à payer", "Reste à payer", "Montant à payer"],
        "deposit": ["Acompte reçu", "Acompte versé"],
        "columns": ["Description", "Qté", "Prix unitaire", "TVA", "Montant"],
        "customer_no": ["N° client", "Réf. client"],
        "order": ["Votre référence", "Bon de commande"],
        "pay": [
            "Merci de verser {amount} sur le compte {iban} (BIC {bic})",
            "Paiement par virement au compte {iban} - BIC {bic}",
        ],
        "ref": ["avec la communication structurée {ref}.", "Communication : {ref}"],
        "free_ref": ["Communication : facture {number}", "En mentionnant le n° {number}"],
        "phone": ["Tél.", "Tél :"],
        "thanks": ["Merci pour votre confiance.", "Conditions générales au verso."],
        "line_total": ["Total"],
        "period": ["Prestations du {start} au {end}"],
        "terms": ["Payable dans les 30 jours."],
        "currency_note": ["Montants en EUR"],
        "items": [
            "Prestations de conseil",
            "Entretien annuel chaudière",
            "Fournitures de bureau",
            "Développement site web",
            "Location matériel",
            "Déplacement",
            "Livres (TVA 6 %)",
            "Réparation toiture",
            "Abonnement logiciel",
            "Frais de port",
        ],
    },
    "nl": {
        "title": ["FACTUUR", "Factuur"],
        "number": ["Factuurnummer", "Factuur nr.", "Factuurnr.", "Factuur nummer"],
        "date": ["Factuurdatum", "Datum", "Datum factuur"],
        "due": ["Vervaldag", "Vervaldatum", "Te betalen vóór", "Uiterste betaaldatum"],
        "customer": ["Klant", "Factuur aan", "Gefactureerd aan", "Aan"],
        "vat_id": ["BTW", "BTW-nr.", "Btw-nummer", "Ondernemingsnummer"],
        "customer_vat": ["BTW klant", "Uw btw-nummer", "Btw-nr. klant"],
        "excl": ["Totaal excl. btw", "Subtotaal", "Totaal exclusief btw", "Maatstaf van heffing"],
        "vat": ["BTW {rate}%", "Btw {rate} %", "BTW {rate} %"],
        "vat_total": ["Totaal btw", "BTW", "Btw-bedrag"],
        "incl": ["Totaal incl. btw", "Totaalbedrag", "Totaal inclusief btw", "Totaal"],
        "payable": ["Te betalen", "Openstaand saldo", "Nog te betalen"],
        "deposit": ["Voorschot ontvangen", "Reeds betaald"],
        "columns": ["Omschrijving", "Aantal", "Eenheidsprijs", "BTW", "Bedrag"],
        "customer_no": ["Klantnummer", "Klant nr."],
        "order": ["Uw referentie", "Bestelbon"],
        "pay": [
            "Gelieve {amount} over te schrijven op rekening {iban} (BIC {bic})",
            "Betaling op rekening {iban} - BIC {bic}",
        ],
        "ref": ["met gestructureerde mededeling {ref}.", "Mededeling: {ref}"],
        "free_ref": ["Mededeling: factuur {number}", "Vermeld steeds het factuurnummer {number}"],
        "phone": ["Tel.", "Tel:"],
        "thanks": ["Bedankt voor uw vertrouwen.", "Algemene voorwaarden op de keerzijde."],
        "line_total": ["Totaal"],
        "period": ["Prestaties van {start} tot {end}"],
        "terms": ["Betaalbaar binnen 30 dagen."],
        "currency_note": ["Bedragen in EUR"],
        "items": [
            "Advies en begeleiding",
            "Jaarlijks onderhoud ketel",
            "Kantoorbenodigdheden",
            "Ontwikkeling website",
            "Huur materiaal",
            "Verplaatsingskosten",
            "Boeken (btw 6 %)",
            "Herstelling dak",
            "Softwareabonnement",
            "Verzendkosten",
        ],
    },
    "de": {
        "title": ["RECHNUNG", "Rechnung"],
        "number": ["Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr.", "Re.-Nr."],
        "date": ["Rechnungsdatum", "Datum", "Rechnungsdatum:"],
        "due": ["Fälligkeitsdatum", "Fällig am", "Zahlbar bis", "Zahlungsziel"],
        "customer": ["Kunde", "Rechnungsempfänger", "Rechnung an"],
        "vat_id": ["MwSt-Nr.", "USt-IdNr.", "MwSt.", "Unternehmensnummer"],
        "customer_vat": ["USt-IdNr. Kunde", "Ihre MwSt-Nr."],
        "excl": ["Nettobetrag", "Summe netto", "Zwischensumme", "Gesamt netto"],
        "vat": ["MwSt. {rate} %", "MwSt {rate}%", "USt. {rate} %"],
        "vat_total": ["MwSt.-Betrag", "Summe MwSt.", "Mehrwertsteuer"],
        "incl": ["Gesamtbetrag", "Summe brutto", "Gesamt brutto", "Rechnungsbetrag"],
        "payable": ["Zu zahlen", "Zahlbetrag", "Offener Betrag"],
        "deposit": ["Anzahlung erhalten", "Bereits bezahlt"],
        "columns": ["Beschreibung", "Menge", "Einzelpreis", "MwSt", "Betrag"],
        "customer_no": ["Kundennummer", "Kunden-Nr."],
        "order": ["Ihre Referenz", "Bestellung"],
        "pay": [
            "Bitte überweisen Sie {amount} auf das Konto {iban} (BIC {bic})",
            "Zahlung auf Konto {iban} - BIC {bic}",
        ],
        "ref": ["mit der strukturierten Mitteilung {ref}.", "Mitteilung: {ref}"],
        "free_ref": [
            "Verwendungszweck: Rechnung {number}",
            "Bitte Rechnungsnummer {number} angeben",
        ],
        "phone": ["Tel.", "Telefon"],
        "thanks": ["Vielen Dank für Ihren Auftrag.", "Es gelten unsere AGB."],
        "line_total": ["Gesamt"],
        "period": ["Leistungszeitraum {start} - {end}"],
        "terms": ["Zahlbar innerhalb von 30 Tagen."],
        "currency_note": ["Beträge in EUR"],
        "items": [
            "Beratungsleistungen",
            "Jährliche Wartung Heizung",
            "Büromaterial",
            "Entwicklung Webseite",
            "Gerätemiete",
            "Fahrtkosten",
            "Bücher (MwSt 6 %)",
            "Dachreparatur",
            "Software-Abonnement",
            "Versandkosten",
        ],
    },
    "en": {
        "title": ["INVOICE", "Invoice", "TAX INVOICE"],
        "number": ["Invoice number", "Invoice No.", "Invoice #", "Invoice no"],
        "date": ["Invoice date", "Date", "Date of issue", "Issue date"],
        "due": ["Due date", "Payment due", "Due"],
        "customer": ["Bill to", "Customer", "Invoice to", "Billed to"],
        "vat_id": ["VAT", "VAT No.", "VAT number", "Company number"],
        "customer_vat": ["Customer VAT", "Your VAT number"],
        "excl": ["Subtotal", "Total excl. VAT", "Net amount", "Total before VAT"],
        "vat": ["VAT {rate}%", "VAT {rate} %", "VAT @ {rate}%"],
        "vat_total": ["Total VAT", "VAT", "VAT amount"],
        "incl": ["Total incl. VAT", "Total", "Grand total", "Invoice total"],
        "payable": ["Amount due", "Balance due", "Total due", "Amount payable"],
        "deposit": ["Deposit received", "Paid on account"],
        "columns": ["Description", "Qty", "Unit price", "VAT", "Amount"],
        "customer_no": ["Customer no.", "Account no."],
        "order": ["Your reference", "PO number"],
        "pay": [
            "Please transfer {amount} to account {iban} (BIC {bic})",
            "Payment by bank transfer to {iban} - BIC {bic}",
        ],
        "ref": ["quoting the structured communication {ref}.", "Reference: {ref}"],
        "free_ref": ["Reference: invoice {number}", "Please quote invoice {number}"],
        "phone": ["Tel.", "Phone"],
        "thanks": ["Thank you for your business.", "Terms and conditions apply."],
        "line_total": ["Total"],
        "period": ["Services from {start} to {end}"],
        "terms": ["Payable within 30 days."],
        "currency_note": ["Amounts in EUR"],
        "items": [
            "Consulting services",
            "Annual boiler maintenance",
            "Office supplies",
            "Website development",
            "Equipment rental",
            "Travel expenses",
            "Books (VAT 6 %)",
            "Roof repair",
            "Software subscription",
            "Shipping",
        ],
    },
}

NAMES = {
    "fr": (
        ["Garage", "Boulangerie", "Imprimerie", "Cabinet", "Électricité", "Menuiserie", "Atelier"],
        ["Dupont", "Lemaire", "Leclercq", "Martin", "Dubois", "Lambert", "du Centre", "Mertens"],
        ["SRL", "SA", "SC", "SPRL", "SComm"],
    ),
    "nl": (
        ["Garage", "Bakkerij", "Drukkerij", "Schrijnwerkerij", "Elektro", "Bouwbedrijf", "Atelier"],
        ["Peeters", "Janssens", "Vermeulen", "De Smet", "Maes", "Claes", "Wouters", "Goossens"],
        ["BV", "NV", "CommV", "BVBA", "CV"],
    ),
    "de": (
        ["Bäckerei", "Elektro", "Schreinerei", "Autohaus", "Druckerei", "Bauunternehmen"],
        ["Schmitz", "Kessler", "Mreyen", "Heinen", "Lentz", "Cremer", "Thissen", "Jost"],
        ["GmbH", "AG", "PGmbH", "BV"],
    ),
    "en": (
        ["Brussels", "Northwind", "Atomium", "Meuse", "Scheldt", "Ardennes", "Harbour"],
        ["Consulting", "Software", "Logistics", "Design", "Services", "Analytics", "Media"],
        ["BV", "SRL", "NV", "Ltd"],
    ),
}
STREETS = {
    "fr": ["Rue de la Loi", "Avenue Louise", "Chaussée de Namur", "Rue Haute", "Place du Marché"],
    "nl": ["Kerkstraat", "Stationsstraat", "Molenstraat", "Nieuwstraat", "Dorpsplein"],
    "de": ["Hauptstraße", "Kirchstraße", "Aachener Straße", "Klosterstraße", "Marktplatz"],
    "en": ["Rue de la Loi", "Kerkstraat", "Avenue Louise", "Meir", "Boulevard Anspach"],
}
CITIES = {
    "fr": ["1000 Bruxelles", "4000 Liège", "5000 Namur", "6000 Charleroi", "1348 Louvain-la-Neuve"],
    "nl": ["9000 Gent", "2000 Antwerpen", "3000 Leuven", "8000 Brugge", "3500 Hasselt"],
    "de": ["4700 Eupen", "4780 Sankt Vith", "4730 Raeren", "4750 Bütgenbach", "4760 Büllingen"],
    "en": ["1000 Brussels", "2000 Antwerp", "9000 Ghent", "1050 Ixelles", "3000 Leuven"],
}
FOREIGN = {
    "NL": ("Amsterdam", "1012 AB Amsterdam", "B.V."),
    "FR": ("Lille", "59000 Lille", "SAS"),
    "DE": ("Aachen", "52062 Aachen", "GmbH"),
    "LU": ("Luxembourg", "L-1855 Luxembourg", "S.à r.l."),
}
BANK_CODES = [code for code in range(1000) if be_iban.to_bic(f"BE00{code:03d}000000000")]


@dataclass
class Party:
    name: str
    street: str
    city: str
    vat: str
    iban: str
    bic: str
    phone: str
    email: str
    vat_style: int


@dataclass
class Invoice:
    key: int
    language: str
    template: str
    supplier: Party
    customer: Party
    number: str
    issue: date
    due: date | None
    items: list[tuple[str, Decimal, Decimal, int]]
    structured_reference: str | None
    deposit: Decimal
    number_style: str
    currency_style: str
    date_style: str
    show_customer_vat: bool
    words: dict[str, str] = field(default_factory=dict)

    def bases(self) -> dict[int, Decimal]:
        result: dict[int, Decimal] = {}
        for _, qty, price, rate in self.items:
            result[rate] = result.get(rate, Decimal(0)) + (qty * price).quantize(CENT)
        return result

    def vat_by_rate(self) -> dict[int, Decimal]:
        return {
            rate: (base * rate / 100).quantize(CENT, ROUND_HALF_UP)
            for rate, base in self.bases().items()
        }

    @property
    def excl(self) -> Decimal:
        return sum(self.bases().values(), Decimal(0))

    @property
    def vat(self) -> Decimal:
        return sum(self.vat_by_rate().values(), Decimal(0))

    @property
    def incl(self) -> Decimal:
        return self.excl + self.vat

    @property
    def payable(self) -> Decimal:
        return self.incl - self.deposit

    def labels(self) -> dict[str, str | None]:
        return {
            "supplier_name": self.supplier.name,
            "supplier_vat": self.supplier.vat,
            "invoice_number": self.number,
            "issue_date": self.issue.isoformat(),
            "due_date": self.due.isoformat() if self.due else None,
            "total_excl_vat": str(self.excl),
            "total_vat": str(self.vat),
            "total_incl_vat": str(self.incl),
            "payable_amount": str(self.payable),
            "currency": "EUR",
            "iban": self.supplier.iban,
            "structured_reference": self.structured_reference,
        }

    # Formatting, as the supplier's software would print it.
    def money(self, amount: Decimal, *, currency: bool = True) -> str:
        sign = "-" if amount < 0 else ""
        units, cents = f"{abs(amount):.2f}".split(".")
        groups = f"{int(units):,}"
        text = {
            "dot": groups.replace(",", ".") + "," + cents,
            "space": groups.replace(",", "\u00a0") + "," + cents,
            "plain": units + "," + cents,
            "en": groups + "." + cents,
        }[self.number_style]
        text = sign + text
        if not currency or self.currency_style == "none":
            return text
        return {
            "prefix": f"€ {text}",
            "tight": f"€{text}",
            "suffix": f"{text} €",
            "code": f"{text} EUR",
            "code_prefix": f"EUR {text}",
        }[self.currency_style]

    def day(self, value: date) -> str:
        months = MONTHS[self.language].split()
        return {
            "slash": value.strftime("%d/%m/%Y"),
            "dot": value.strftime("%d.%m.%Y"),
            "dash": value.strftime("%d-%m-%Y"),
            "iso": value.isoformat(),
            "short": value.strftime("%d/%m/%y" if self.language != "de" else "%d.%m.%y"),
            "long": (
                f"{months[value.month - 1]} {value.day}, {value.year}"
                if self.language == "en"
                else f"{value.day}{'.' if self.language == 'de' else ''} "
                f"{months[value.month - 1]} {value.year}"
            ),
        }[self.date_style]


def be_vat_number(rng: random.Random) -> str:
    body = rng.choice("0001") + str(rng.randint(2000000, 9999999))
    return f"BE{body}{97 - int(body) % 97:02d}"


def foreign_vat_number(rng: random.Random, country: str) -> str:
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(12))
        candidate = {
            "NL": f"NL{digits[:9]}B{digits[9:11]}",
            "FR": f"FR{digits[:11]}",
            "DE": f"DE{digits[:9]}",
            "LU": f"LU{digits[:8]}",
        }[country]
        if eu_vat.is_valid(candidate):
            return candidate


def be_iban_number(rng: random.Random) -> str:
    bban = f"{rng.choice(BANK_CODES):03d}{rng.randint(0, 9999999):07d}"
    bban += f"{int(bban) % 97 or 97:02d}"
    return "BE" + stdnum_iban.calc_check_digits("BE00" + bban) + bban


def foreign_iban_number(rng: random.Random, country: str) -> str:
    while True:
        if country == "NL":
            bban = rng.choice(["ABNA", "INGB", "RABO"]) + f"{rng.randint(0, 10**10 - 1):010d}"
        elif country == "DE":
            bban = f"{rng.randint(10**7, 10**8 - 1)}{rng.randint(0, 10**10 - 1):010d}"
        else:
            return be_iban_number(rng)
        number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
        if stdnum_iban.is_valid(number):
            return number


def structured_reference(rng: random.Random) -> str:
    base = rng.randint(1, 10**10 - 1)
    digits = f"{base:010d}{base % 97 or 97:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def format_vat(vat: str, style: int) -> str:
    if not vat.startswith("BE"):
        return vat if style % 2 else f"{vat[:2]} {vat[2:]}"
    digits = vat[2:]
    return [
        f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}",
        f"BE{digits[:4]}.{digits[4:7]}.{digits[7:]}",
        f"BE {digits[:4]} {digits[4:7]} {digits[7:]}",
        vat,
        f"{digits[:4]}.{digits[4:7]}.{digits[7:]}",
    ][style]


def format_iban(number: str, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return number
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def party(rng: random.Random, language: str, *, foreign: str | None = None) -> Party:
    first, second, forms = NAMES[language]
    name = f"{rng.choice(first)} {rng.choice(second)}"
    if foreign:
        city_name, city, form = FOREIGN[foreign]
        name = f"{name} {form}"
        vat = foreign_vat_number(rng, foreign)
        account = foreign_iban_number(rng, foreign)
    else:
        city_name, city = "", rng.choice(CITIES[language])
        name = f"{name} {rng.choice(forms)}"
        vat = be_vat_number(rng)
        account = be_iban_number(rng)
    bic = be_iban.to_bic(account) if account.startswith("BE") else account[4:8] + account[:2] + "2A"
    domain = "".join(c for c in name.lower().split()[-2] if c.isalpha()) or "example"
    del city_name
    return Party(
        name=name,
        street=f"{rng.choice(STREETS[language])} {rng.randint(1, 240)}",
        city=city,
        vat=vat,
        iban=account,
        bic=bic or "GEBABEBB",
        phone=f"+32 {rng.randint(2, 89)} {rng.randint(100, 999)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        email=f"info@{domain}.be",
        vat_style=rng.randrange(5) if vat.startswith("BE") else rng.randrange(2),
    )


def invoice_number(rng: random.Random, issue: date) -> str:
    n = rng.randint(1, 9999)
    return rng.choice(
        [
            f"{issue.year}-{n:04d}",
            f"F{issue.year}/{n:04d}",
            f"INV-{n:05d}",
            f"{issue:%y}{n:04d}",
            f"FA-{issue:%y}-{n:05d}",
            f"VF/{issue.year}/{n}",
            f"{n + 10000}",
        ]
    )


def generate(count: int, seed: int = 20260331) -> list[Invoice]:
    rng = random.Random(seed)
    invoices = []
    for key in range(count):
        language = LANGUAGES[key % 4]
        foreign = rng.choice(["NL", "FR", "DE", "LU"]) if rng.random() < 0.12 else None
        issue = date(2025, 1, 1) + timedelta(days=rng.randint(0, 450))
        rates = [21] if rng.random() < 0.6 else [rng.choice([21, 12, 6])]
        if rng.random() < 0.2:
            rates = [21, 6]
        items = []
        descriptions = rng.sample(WORDS[language]["items"], rng.randint(1, 5))
        for i, description in enumerate(descriptions):
            qty = Decimal(rng.choice([1, 1, 1, 2, 3, 5, 10, 12]))
            price = Decimal(rng.randint(500, 250000)) / 100
            items.append((description, qty, price, rates[i % len(rates)]))
        invoice = Invoice(
            key=key,
            language=language,
            template=TEMPLATES[(key // 4 + key) % len(TEMPLATES)],
            supplier=party(rng, language, foreign=foreign),
            customer=party(rng, language),
            number=invoice_number(rng, issue),
            issue=issue,
            due=issue + timedelta(days=rng.choice([15, 30, 30, 60]))
            if rng.random() < 0.75
            else None,
            items=items,
            structured_reference=structured_reference(rng) if rng.random() < 0.6 else None,
            deposit=Decimal(0),
            number_style="en"
            if language == "en" and rng.random() < 0.7
            else rng.choice(["dot", "dot", "space", "plain"]),
            currency_style=rng.choice(["prefix", "suffix", "code", "code_prefix", "none", "tight"]),
            date_style=rng.choice(["slash", "slash", "dot", "dash", "long", "iso", "short"])
            if language != "de"
            else rng.choice(["dot", "dot", "long", "slash", "short"]),
            show_customer_vat=rng.random() < 0.8,
        )
        if rng.random() < 0.12:
            invoice.deposit = (invoice.incl * Decimal("0.3")).quantize(Decimal(1))
        invoice.words = {
            name: rng.choice(options)
            for name, options in WORDS[language].items()
            if name not in {"items", "columns", "line_total"}
        }
        invoice.words["seed"] = str(rng.randint(0, 10**9))
        invoices.append(invoice)
    return invoices


class Page:
    """A reportlab canvas with the few drawing helpers the templates share."""

    def __init__(self, canvas: Canvas, invoice: Invoice) -> None:
        self.c = canvas
        self.inv = invoice
        self.w = invoice.words
        self.rng = random.Random(int(invoice.words["seed"]))

    def text(
        self,
        x: float,
        y: float,
        value: str,
        size: float = 9,
        *,
        bold: bool = False,
        align: str = "left",
        font: str = "Helvetica",
    ) -> None:
        self.c.setFont(f"{font}-Bold" if bold else font, size)
        if align == "right":
            self.c.drawRightString(x, y, value)
        elif align == "center":
            self.c.drawCentredString(x, y, value)
        else:
            self.c.drawString(x, y, value)

    def supplier_lines(self) -> list[str]:
        s = self.inv.supplier
        vat = format_vat(s.vat, s.vat_style)
        label = self.w["vat_id"].rstrip(" :")
        lines = [s.street, s.city, f"{label}: {vat}"]
        if self.rng.random() < 0.6:
            lines.append(f"{self.w['phone']} {s.phone}")
        if self.rng.random() < 0.6:
            lines.append(s.email)
        return lines

    def customer_lines(self) -> list[str]:
        c = self.inv.customer
        lines = [c.name, c.street, c.city]
        if self.inv.show_customer_vat:
            label = self.w["vat_id"].rstrip(" :") if self.rng.random() < 0.6 else ""
            lines.append(
                f"{label}: {format_vat(c.vat, c.vat_style)}"
                if label
                else format_vat(c.vat, c.vat_style if c.vat_style < 4 else 0)
            )
        return lines

    def meta(self) -> list[tuple[str, str]]:
        inv = self.inv
        rows = [
            (self.w["number"], inv.number),
            (self.w["date"], inv.day(inv.issue)),
        ]
        if inv.due:
            rows.append((self.w["due"], inv.day(inv.due)))
        if self.rng.random() < 0.5:
            rows.append((self.w["customer_no"], str(self.rng.randint(1000, 99999))))
        if self.rng.random() < 0.3:
            rows.append((self.w["order"], f"PO-{self.rng.randint(100, 9999)}"))
        return rows

    def totals(self) -> list[tuple[str, str]]:
        inv = self.inv
        rows = [(inv.words["excl"], inv.money(inv.excl))]
        by_rate = inv.vat_by_rate()
        if len(by_rate) == 1 and self.rng.random() < 0.5:
            rate, amount = next(iter(by_rate.items()))
            rows.append((inv.words["vat"].format(rate=rate), inv.money(amount)))
        else:
            for rate, amount in sorted(by_rate.items(), reverse=True):
                rows.append((inv.words["vat"].format(rate=rate), inv.money(amount)))
            if len(by_rate) > 1:
                rows.append((inv.words["vat_total"], inv.money(inv.vat)))
        rows.append((inv.words["incl"], inv.money(inv.incl)))
        if inv.deposit:
            rows.append((inv.words["deposit"], inv.money(-inv.deposit)))
            rows.append((inv.words["payable"], inv.money(inv.payable)))
        elif self.rng.random() < 0.3:
            rows.append((inv.words["payable"], inv.money(inv.payable)))
        return rows

    def payment_lines(self) -> list[str]:
        inv = self.inv
        s = inv.supplier
        pay = self.w["pay"].format(
            amount=inv.money(inv.payable), iban=format_iban(s.iban, self.rng), bic=s.bic
        )
        ref = (
            self.w["ref"].format(ref=inv.structured_reference)
            if inv.structured_reference
            else self.w["free_ref"].format(number=inv.number)
        )
        return [pay, ref]

    def items_table(self, top: float, *, grid: bool, x0: float = 50, x1: float = 545) -> float:
        inv = self.inv
        columns = list(WORDS[inv.language]["columns"])
        if self.rng.random() < 0.4:
            columns[4] = WORDS[inv.language]["line_total"][0]
        xs = [x0 + 4, x1 - 235, x1 - 150, x1 - 85, x1 - 4]
        self.c.setLineWidth(0.6)
        if grid:
            self.c.setFillGray(0.9)
            self.c.rect(x0, top - 5, x1 - x0, 17, fill=1, stroke=1)
            self.c.setFillGray(0)
        else:
            self.c.line(x0, top - 5, x1, top - 5)
        self.text(xs[0], top, columns[0], bold=True)
        for x, title in zip(xs[1:], columns[1:], strict=True):
            self.text(x, top, title, bold=True, align="right")
        y = top - 20
        period = self.rng.random() < 0.3
        for description, qty, price, rate in inv.items:
            if period:
                start = inv.issue.replace(day=1) - timedelta(days=28)
                description = self.w["period"].format(
                    start=inv.day(start.replace(day=1)), end=inv.day(inv.issue.replace(day=1))
                )
                period = False
            self.text(xs[0], y, description)
            self.text(xs[1], y, f"{qty}", align="right")
            self.text(xs[2], y, inv.money(price, currency=False), align="right")
            self.text(xs[3], y, f"{rate} %", align="right")
            self.text(
                xs[4], y, inv.money((qty * price).quantize(CENT), currency=False), align="right"
            )
            if grid:
                self.c.line(x0, y - 5, x1, y - 5)
            y -= 16
        if not grid:
            self.c.line(x0, y + 8, x1, y + 8)
        return y - 10

    def vat_summary(self, top: float) -> float:
        """A table of the VAT per rate (rate, base, VAT) in place of labelled VAT lines."""
        inv = self.inv
        titles = {
            "fr": ("Taux", "Base", "TVA"),
            "nl": ("Tarief", "Maatstaf", "Btw"),
            "de": ("Satz", "Netto", "MwSt"),
            "en": ("Rate", "Net", "VAT"),
        }[inv.language]
        xs = (54, 170, 250)
        for x, title in zip(xs, titles, strict=True):
            self.text(x, top, title, 8, bold=True, align="left" if x == 54 else "right")
        y = top - 13
        bases = inv.bases()
        for rate, vat in sorted(inv.vat_by_rate().items(), reverse=True):
            self.text(xs[0], y, f"{rate} %", 8.5)
            self.text(xs[1], y, inv.money(bases[rate], currency=False), 8.5, align="right")
            self.text(xs[2], y, inv.money(vat, currency=False), 8.5, align="right")
            y -= 12
        self.summary = True
        return top

    def totals_block(self, top: float, *, x_label: float, x_value: float, boxed: bool) -> float:
        y = top
        rows = self.totals()
        if getattr(self, "summary", False):
            rows = [
                row
                for row in rows
                if row[0] == self.inv.words["excl"]
                or row[1] in {self.inv.money(self.inv.incl), self.inv.money(self.inv.payable)}
            ]
        if boxed:
            self.c.rect(
                x_label - 6, y - 16 * len(rows) + 10, x_value - x_label + 12, 16 * len(rows) + 2
            )
        for i, (label, value) in enumerate(rows):
            strong = i == len(rows) - 1 or label == self.inv.words["incl"]
            self.text(x_label, y, label, bold=strong)
            self.text(x_value, y, value, bold=strong, align="right")
            y -= 16
        return y


def draw_classic(p: Page) -> None:
    inv, s, w = p.inv, p.inv.supplier, p.w
    p.text(50, 790, s.name, 15, bold=True)
    for i, line in enumerate(p.supplier_lines()):
        p.text(50, 772 - 12 * i, line, 9)
    p.text(545, 790, w["title"], 18, bold=True, align="right")
    y = 760
    for label, value in p.meta():
        p.text(380, y, f"{label} :" if inv.language == "fr" else f"{label}:", 9)
        p.text(545, y, value, 9, align="right")
        y -= 13
    p.text(330, 660, w["customer"], 9, bold=True)
    for i, line in enumerate(p.customer_lines()):
        p.text(330, 646 - 12 * i, line, 10)
    bottom = p.items_table(560, grid=False)
    bottom = p.totals_block(bottom - 10, x_label=360, x_value=545, boxed=False)
    for i, line in enumerate(p.payment_lines()):
        p.text(50, bottom - 30 - 12 * i, line, 8.5)
    p.text(
        297,
        50,
        f"{s.name} - {format_vat(s.vat, s.vat_style)} - IBAN {format_iban(s.iban, p.rng)}",
        7,
        align="center",
    )


def draw_right(p: Page) -> None:
    inv, s, w = p.inv, p.inv.supplier, p.w
    p.text(545, 795, s.name, 14, bold=True, align="right")
    for i, line in enumerate(p.supplier_lines()):
        p.text(545, 779 - 11 * i, line, 8.5, align="right")
    p.text(50, 795, w["title"], 20, bold=True)
    p.text(50, 730, w["customer"], 8, bold=True)
    customer = p.customer_lines()
    if inv.show_customer_vat and p.rng.random() < 0.5:
        customer[-1] = f"{w['customer_vat']}: {format_vat(inv.customer.vat, 0)}"
    for i, line in enumerate(customer):
        p.text(50, 717 - 12 * i, line, 10)
    meta = p.meta()[:4]
    width = 495 / len(meta)
    p.c.setLineWidth(0.6)
    p.c.rect(50, 612, 495, 34)
    for i, (label, value) in enumerate(meta):
        p.text(56 + width * i, 634, label, 8, bold=True)
        p.text(56 + width * i, 618, value, 9.5)
    bottom = p.items_table(585, grid=True)
    if p.rng.random() < 0.5:
        bottom = p.vat_summary(bottom - 12)
    bottom = p.totals_block(bottom - 12, x_label=350, x_value=540, boxed=True)
    for i, line in enumerate(p.payment_lines()):
        p.text(50, bottom - 30 - 12 * i, line, 8.5)
    p.text(50, 60, w["thanks"], 8)


def draw_band(p: Page) -> None:
    inv, s, w = p.inv, p.inv.supplier, p.w
    p.text(
        297, 800, s.name.upper() if p.rng.random() < 0.5 else s.name, 16, bold=True, align="center"
    )
    p.text(297, 786, f"{s.street} - {s.city} - {s.email}", 8, align="center")
    p.text(
        297,
        775,
        f"{w['vat_id'].rstrip(' :')} {format_vat(s.vat, s.vat_style)} - "
        f"IBAN {format_iban(s.iban, p.rng)} - BIC {s.bic}",
        8,
        align="center",
    )
    p.c.line(50, 765, 545, 765)
    p.text(50, 735, w["customer"], 9, bold=True)
    for i, line in enumerate(p.customer_lines()):
        p.text(50, 721 - 12 * i, line, 10)
    joiner = {"fr": "du", "nl": "van", "de": "vom", "en": "of"}[inv.language]
    p.text(
        330,
        735,
        f"{w['title'].capitalize()} {inv.number} {joiner} {inv.day(inv.issue)}",
        11,
        bold=True,
    )
    if inv.due:
        p.text(330, 720, f"{w['due']}: {inv.day(inv.due)}", 9)
    if inv.currency_style == "none":
        p.text(330, 706, w["currency_note"], 8)
    bottom = p.items_table(630, grid=False)
    rows = p.totals()
    width = 495 / len(rows)
    p.c.rect(50, bottom - 40, 495, 40)
    for i, (label, value) in enumerate(rows):
        p.text(50 + width * (i + 1) - 6, bottom - 14, label, 7.5, align="right")
        p.text(
            50 + width * (i + 1) - 6,
            bottom - 31,
            value,
            9.5,
            bold=i == len(rows) - 1,
            align="right",
        )
    if inv.structured_reference:
        p.c.rect(50, bottom - 85, 260, 30)
        p.text(58, bottom - 66, p.payment_lines()[0].split("(")[0].split(" - ")[0][:60], 7.5)
        p.text(58, bottom - 78, inv.structured_reference, 11, bold=True)
    else:
        for i, line in enumerate(p.payment_lines()):
            p.text(50, bottom - 66 - 12 * i, line, 8.5)


def draw_sidebar(p: Page) -> None:
    s, w = p.inv.supplier, p.w
    p.c.setFillGray(0.93)
    p.c.rect(0, 0, 165, 842, fill=1, stroke=0)
    p.c.setFillGray(0)
    p.text(20, 790, s.name, 11, bold=True)
    lines = [
        s.street,
        s.city,
        "",
        format_vat(s.vat, s.vat_style),
        "",
        "IBAN",
        format_iban(s.iban, p.rng),
        f"BIC {s.bic}",
        "",
        s.phone,
        s.email,
    ]
    for i, line in enumerate(lines):
        p.text(20, 770 - 12 * i, line, 8)
    p.text(190, 790, w["title"], 22, bold=True)
    meta = p.meta()
    for i, (label, value) in enumerate(meta):
        p.text(190, 760 - 13 * i, label, 9)
        p.text(300, 760 - 13 * i, value, 9)
    p.text(400, 760, w["customer"], 8, bold=True)
    for i, line in enumerate(p.customer_lines()):
        p.text(400, 747 - 12 * i, line, 9)
    bottom = p.items_table(640, grid=True, x0=185, x1=570)
    bottom = p.totals_block(bottom - 10, x_label=390, x_value=565, boxed=False)
    for i, line in enumerate(p.payment_lines()):
        p.text(185, bottom - 25 - 12 * i, line, 8)


def draw_compact(p: Page) -> None:
    inv, s, w = p.inv, p.inv.supplier, p.w
    mono = "Courier"
    y = 800
    for line in [s.name, *p.supplier_lines()]:
        p.text(60, y, line, 10, font=mono, bold=line == s.name)
        y -= 12
    y -= 14
    p.text(60, y, w["title"].upper(), 12, font=mono, bold=True)
    y -= 18
    for label, value in p.meta():
        p.text(60, y, f"{label:<22}{value}", 10, font=mono)
        y -= 12
    y -= 10
    p.text(60, y, f"{w['customer']}:", 10, font=mono, bold=True)
    for line in p.customer_lines():
        y -= 12
        p.text(60, y, f"  {line}", 10, font=mono)
    y -= 24
    for description, qty, price, rate in inv.items:
        total = inv.money((qty * price).quantize(CENT), currency=False)
        p.text(
            60,
            y,
            f"{description[:30]:<31}{qty!s:>4} x {inv.money(price, currency=False):>10}"
            f" {rate:>2}%  {total:>11}",
            9,
            font=mono,
        )
        y -= 11
    y -= 10
    leader = "." if p.rng.random() < 0.5 else " "
    for label, value in p.totals():
        p.text(60, y, f"{label:{leader}<40}{value:{leader}>24}", 10, font=mono)
        y -= 12
    y -= 16
    for line in p.payment_lines():
        p.text(60, y, line, 8.5, font=mono)
        y -= 11


def draw_window(p: Page) -> None:
    """A letter for a window envelope: the supplier's details only in the footer, the customer's
    address (often unlabelled) where the window is."""
    inv, s, c, w = p.inv, p.inv.supplier, p.inv.customer, p.w
    p.text(50, 790, s.name, 18, bold=True)
    if p.rng.random() < 0.5:
        p.text(50, 776, p.rng.choice(["Since 1987", "www." + s.email.split("@")[1]]), 8)
    y = 700
    if p.rng.random() < 0.4:
        p.text(320, y + 14, w["customer"], 8, bold=True)
    lines = [c.name, c.street, c.city]
    if inv.show_customer_vat:
        label = w["vat_id"].rstrip(" :") if p.rng.random() < 0.5 else w["customer_vat"]
        lines.append(f"{label}: {format_vat(c.vat, c.vat_style)}")
    for i, line in enumerate(lines):
        p.text(320, y - 13 * i, line, 10.5)
    p.text(50, 600, f"{w['title'].upper()}", 16, bold=True)
    y = 580
    for label, value in p.meta():
        p.text(50, y, f"{label}: {value}", 9.5)
        y -= 13
    bottom = p.items_table(y - 15, grid=p.rng.random() < 0.5)
    bottom = p.totals_block(bottom - 8, x_label=340, x_value=545, boxed=p.rng.random() < 0.5)
    for i, line in enumerate(p.payment_lines()):
        p.text(50, bottom - 25 - 12 * i, line, 8.5)
    if not inv.due:
        p.text(50, bottom - 55, w["terms"], 8.5)
    p.c.line(50, 62, 545, 62)
    vat = format_vat(s.vat, s.vat_style if s.vat_style < 4 else 0)
    p.text(
        297,
        50,
        f"{s.name} · {s.street} · {s.city} · {w['vat_id'].rstrip(' :')} {vat}",
        7,
        align="center",
    )
    p.text(
        297,
        40,
        f"IBAN {format_iban(s.iban, p.rng)} · BIC {s.bic} · {s.phone} · {s.email}",
        7,
        align="center",
    )


DRAW = {
    "classic": draw_classic,
    "right": draw_right,
    "band": draw_band,
    "sidebar": draw_sidebar,
    "compact": draw_compact,
    "window": draw_window,
}


def render_pdf(invoice: Invoice, path: Path) -> None:
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    DRAW[invoice.template](Page(canvas, invoice))
    canvas.showPage()
    canvas.save()


def degrade(pdf: Path, out_dir: Path, rng: random.Random) -> tuple[Path, str]:
    """A phone photo or a cheap scan of the printed PDF: 150-200 dpi, turned by up to 1.5°,
    noisy, a little blurred, JPEG 40-70; kept as a JPEG or wrapped in an image-only PDF."""
    dpi = rng.choice([150, 175, 200])
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-gray", "-singlefile", str(pdf), str(prefix)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with Image.open(prefix.with_suffix(".png")) as raw:
            image = raw.convert("L")
    image = image.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    image = Image.blend(image, noise, rng.uniform(0.05, 0.12))
    image = ImageOps.autocontrast(image, cutoff=1) if rng.random() < 0.5 else image
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=rng.randint(40, 70), dpi=(dpi, dpi))
    if rng.random() < 0.5:
        target = out_dir / f"{pdf.stem}-scan.jpg"
        target.write_bytes(buffer.getvalue())
        return target, "image/jpeg"
    target = out_dir / f"{pdf.stem}-scan.pdf"
    target.write_bytes(bytes(img2pdf.convert(buffer.getvalue())))
    return target, "application/pdf"


# Supplier pairs for the supplier memory's bench (`bench/memory.py`) ---------------------------

#: Labels real suppliers print that the generic reader does not know (its vocabulary is in
#: connect/recognition/labels.py): the invoice number, the dates and the totals under
#: other words. A supplier with these is what the supplier memory is for.
ODD_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "number": "Pièce",
        "date": "Émise le",
        "due": "Régler au",
        "incl": "Montant facturé",
        "payable": "Solde client",
    },
    "nl": {
        "number": "Stuk",
        "date": "Opgemaakt op",
        "due": "Betaling uiterlijk",
        "incl": "Saldo",
        "payable": "Uw saldo",
    },
    "de": {
        "number": "Vorgang",
        "date": "Erstellt am",
        "due": "Spätestens",
        "incl": "Endsumme",
        "payable": "Ihr Saldo",
    },
    "en": {
        "number": "Doc ref",
        "date": "Raised on",
        "due": "Settle by",
        "incl": "Charges",
        "payable": "Outstanding",
    },
}


def _next_number(number: str, step: int) -> str:
    """The supplier's numbering, further on: the last run of digits counts up."""
    match = list(re.finditer(r"\d+", number))[-1]
    digits = str(int(match.group()) + step).zfill(len(match.group()))
    return number[: match.start()] + digits + number[match.end() :]


def supplier_pairs(count: int, seed: int, *, odd_every: int = 2) -> list[tuple[Invoice, Invoice]]:
    """``count`` pairs of invoices from one supplier: the same software (layout, wording,
    number and date styles), another number, dates and lines on the second. One supplier in
    ``odd_every`` prints the labels of ``ODD_WORDS``."""
    rng = random.Random(seed + 1)
    pairs = []
    for first in generate(count, seed):
        if first.key % odd_every == 0:
            first.words.update(ODD_WORDS[first.language])
        issue = first.issue + timedelta(days=rng.randint(20, 75))
        rates = sorted({rate for *_, rate in first.items})
        descriptions = rng.sample(WORDS[first.language]["items"], rng.randint(1, 5))
        items = [
            (
                description,
                Decimal(rng.choice([1, 1, 2, 3, 5, 10])),
                Decimal(rng.randint(500, 250000)) / 100,
                rates[i % len(rates)],
            )
            for i, description in enumerate(descriptions)
        ]
        second = dataclasses.replace(
            first,
            key=first.key + 100_000,
            number=_next_number(first.number, rng.randint(1, 40)),
            issue=issue,
            due=issue + (first.due - first.issue) if first.due else None,
            items=items,
            structured_reference=structured_reference(rng) if first.structured_reference else None,
            deposit=Decimal(0),
            words=dict(first.words),
        )
        pairs.append((first, second))
    return pairs
