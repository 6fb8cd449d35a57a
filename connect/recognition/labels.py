"""The words invoices print next to their facts, in French, Dutch, German and English.

Patterns are matched against *folded* text: lower case, accents removed, one character for one
character (see `layout.fold`), so "Échéance", "ECHEANCE" and an OCR'd "Echeance" all read
"echeance". Each label kind has a strength: 3 is an unambiguous label ("Factuurnummer"), 2 a
usual one, 1 a bare word ("Total", "TVA") that is only trusted with a value on the same line.
"""

import re
from dataclasses import dataclass

NO = r"(?:n\s?[°o*º]\.?|no\.?|nr\.?|num(?:ero|mer|ber)?\.?|#)"


@dataclass(frozen=True)
class Label:
    kind: str
    strength: int
    pattern: re.Pattern[str]


def _spaced(pattern: str) -> str:
    """OCR'd rows may hold two spaces between the words of a label: outside character
    classes, `\\s` becomes `\\s{1,2}` and `\\s?` becomes `\\s{0,2}`."""
    out, index, in_class = [], 0, False
    while index < len(pattern):
        char = pattern[index]
        quantified = pattern[index + 2 : index + 3] in {"*", "+", "{"}
        if char == "\\" and pattern[index + 1 : index + 2] == "s" and not (in_class or quantified):
            optional = pattern[index + 2 : index + 3] == "?"
            out.append(r"\s{0,2}" if optional else r"\s{1,2}")
            index += 3 if optional else 2
            continue
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        in_class = (in_class or char == "[") and char != "]"
        out.append(char)
        index += 1
    return "".join(out)


def _labels(kind: str, strength: int, *alternatives: str) -> list[Label]:
    return [
        Label(kind, strength, re.compile(rf"(?<![a-z0-9])(?:{_spaced(alternative)})(?![a-z])"))
        for alternative in alternatives
    ]


LABELS: list[Label] = [
    # Identifiers that are not amounts: they keep "TVA"/"BTW"/"VAT" away from the VAT amount.
    *_labels(
        "vat_id",
        3,
        rf"{NO}\s?(?:de\s)?(?:tva|btw|vat|mwst|ust)",
        rf"(?:tva|btw|vat|mwst|ust)[\s.-]?(?:{NO}|id(?:nr)?\.?|nummer|number|reg(?:istration)?\.?)",
        r"ust[\s.-]{0,2}id[\s.-]{0,2}(?:nr\.?)?|umsatzsteuer[\s.-]?id\w*|steuer[\s.-]?(?:nummer|nr\.?)"
        r"|st\.?[\s-]?nr\.?|tva\sintra[\s.-]?com\w*\.?|(?:numero|n[°o])\sd[e']\s?identification\w*"
        r"|btw[\s.-]?(?:identificatie)?nummer|mehrwertsteuer[\s.-]?nummer",
        # Tax numbers of countries outside the EU.
        r"gstin|gst\s?(?:no\.?|number|reg\w*|id|#)|abn|ein|tax\s?id|pan(?:\sno\.?)?|uid"
        r"|tax\sreg(?:istration)?\.?\s?(?:no\.?|number|#)?",
        rf"{NO}\s?d[' ]?entreprise|numero\s?d[' ]?entreprise|ondernemings(?:nummer|nr\.?)",
        r"unternehmens(?:nummer|nr\.?)|company\s(?:no\.?|number|reg(?:istration)?\.?)",
        r"(?:tva|btw|vat|mwst)\s(?:client|klant|kunde|customer)|(?:votre|uw|ihre|your)\s\S*"
        r"\s?(?:tva|btw|vat|mwst|ust)\S*",
        r"(?:kbo|bce|rpm|rpr|hrb|kvk|siret|siren)\b",
        r"(?:tva|btw|vat|mwst|ust|tax)(?=[\s.:]{0,4}(?:be|nl|fr|de|lu)?[\s.]?[01]\d{3}[\s.]?\d{3})",
    ),
    # Invoice number.
    *_labels(
        "number",
        3,
        rf"{NO}\s?(?:de\s|du\s)?(?:la\s)?facture|facture\s?{NO}|numero\sde\sfacture",
        r"ref(?:erence)?\.?\s?(?:de\s)?(?:la\s)?facture",
        rf"factuur[\s.-]?{NO}|factuurnummer|factuurnr\.?|nummer\sfactuur",
        rf"rechnungs?[\s.-]?{NO}|rechnungsnummer|re\.?[\s-]?nr\.?|beleg[\s-]?nr\.?",
        rf"invoice[\s.-]?{NO}|inv\.?\s?(?:no\.?|#)|bill[\s.-]?{NO}|receipt[\s.-]?{NO}",
        # A document's title and its number: "Handelsrechnung Nr. 471102", "Rechnung des
        # Versicherers Nr.", "Credit note No.", "Avoir n°".
        rf"\w*(?:rechnung\w*|gutschrift|facture|factuur|creditnota|avoir|invoice|credit\snote)"
        rf"(?:\s(?:\(\d+\)|[a-z]+)){{0,3}}\s{NO}",
    ),
    # Numbers that stand for the invoice's when it has none of its own: order, document.
    *_labels(
        "number_other",
        2,
        rf"(?:order|bestell(?:ung)?|commande|bestelling|document|dokument|auftrag)s?[\s.-]?{NO}",
        r"bestellnummer|bestelnummer|ordernummer|auftragsnummer|dokumentnummer|documentnummer"
        r"|order\sid|numero\sde\scommande",
    ),
    # "FACTURE 2026-0142 du 3 mars 2026", "N° 2026-0142": a title or a bare "N°" at the start
    # of a cell, followed by the number.
    *_labels(
        "number_title",
        1,
        r"^(?:tax\s)?(?:facture|factuur|rechnung|invoice)(?=\s?:?\s\S*\d)",
        r"^(?:n\s?[°o*º]|nr|no)\.?(?=\s?:?\s?[a-z]{0,4}[-/]?\d)",
    ),
    # Dates.
    *_labels(
        "issue",
        3,
        r"date\s?(?:de\s|d[e']\s?)?(?:la\s)?factur(?:e|ation)|date\sd[' ]?emission",
        r"factuurdatum|datum\s(?:van\s(?:de\s)?)?factuur|uitgiftedatum",
        r"rechnungsdatum|ausstellungsdatum|belegdatum",
        r"invoice\sdate|date\sof\s(?:issue|invoice)|issue\sdate|date\sissued|invoice\sdated",
    ),
    *_labels("issue", 1, r"date|datum|dated"),
    # "Facture 2026-0142 du 3 mars 2026": the joining word, checked in context by the reader.
    *_labels("issue_inline", 2, r"(?:du|van|vom|of|dated|d\.d\.)(?=\s{1,12}(?:\d|[a-z]+\s\d))"),
    *_labels(
        "due",
        3,
        r"date\s?d[' ]?echeance|echeance|date\slimite(?:\sde\spaiement)?",
        r"(?:a\s)?payer\s(?:avant|pour|au\splus\stard)(?:\sle)?|payable\s(?:avant|au\splus\stard"
        r"|le|pour)(?:\sle)?",
        r"vervaldag|vervaldatum|uiterste\s?betaal(?:datum|dag)|te\sbetalen\s(?:voor|tegen|op)"
        r"|betaalbaar\s(?:voor|tegen|op)|betalen\svoor",
        r"falligkeit(?:sdatum|stag)?|fallig(?:\s(?:am|bis|zum))?|zahlbar\s(?:bis|am)|zahlungsziel"
        r"|zahlungsfrist|zahlungstermin",
        r"due\sdate|payment\sdue(?:\sdate)?|due(?:\s(?:on|by))?|pay(?:able)?\s(?:by|before)|payment\sdate",
    ),
    # Totals.
    *_labels(
        "excl",
        3,
        r"total\s?h\.?\s?t\.?\s?v\.?\s?a\.?|total\shors\s(?:tva|taxes?)|total\sh\.?t\.?",
        r"montant\s?(?:h\.?\s?t\.?\s?v\.?\s?a\.?|hors\stva|h\.?t\.?)|base\simposable|total\snet",
        r"totaal\s?excl(?:\.|usief)?(?:\sbtw)?|maatstaf\svan\sheffing"
        r"|bedrag\s?excl(?:\.|usief)?(?:\sbtw)?|totaal\szonder\sbtw|nettobedrag",
        r"rechnungssumme\snetto|summe\snetto|rechnungsbetrag\snetto",
        r"netto[\s-]?betrag|gesamt\snetto|nettosumme|netto\ssumme"
        r"|gesamtbetrag\snetto|rechnungsbetrag\snetto",
        r"rechnungssumme\sohne\s(?:ust|mwst|steuer)\.?|summe\sohne\s(?:ust|mwst)\.?|montant\snet"
        r"|total\snet\sht|totaal\sexcl\.?\sbtw|total\swithout\s(?:vat|tax)|taxable\s(?:amount|value)",
        r"total\s?excl(?:\.|uding)?(?:\s(?:vat|tax))?|net\samount|net\stotal"
        r"|total\sbefore\s(?:vat|tax)|amount\sexcl(?:\.|uding)?(?:\s(?:vat|tax))?|total\snet",
    ),
    # A sum of the lines, before the discounts and charges that may follow it.
    *_labels("excl", 2, r"sous[\s-]?total|sub[\s-]?total|sub[\s-]?totaal|zwischensumme"),
    *_labels("excl", 1, r"netto|net|htva|excl\.?\s?(?:btw|vat|tva)"),
    *_labels(
        "vat_total",
        3,
        r"total\s?(?:de\s(?:la\s)?)?tva|montant\s?(?:de\s(?:la\s)?)?tva|totaal\s?btw|btw[\s-]?bedrag"
        r"|bedrag\sbtw|summe\s?(?:mwst|ust)\.?|(?:mwst|ust)\.?[\s-]?betrag|mehrwertsteuer"
        r"|umsatzsteuer|total\s?vat|vat\samount|total\staxe?s?|tax\samount|steuerbetrag"
        r"|total\s(?:tva|btw)|montant\sde\stva|total\sgst|gst\samount|sales\stax",
    ),
    *_labels(
        "vat_rate",
        2,
        r"(?:tva|btw|mwst|ust|vat|tax|mehrwertsteuer)\.?\s?(?:@\s?|\(\s?)?\d{1,2}(?:[.,]\d+)?\s?%"
        r"(?:\s?\))?",
        r"\d{1,2}(?:[.,]\d+)?\s?%\s(?:tva|btw|mwst|ust|vat)",
    ),
    *_labels("vat_total", 1, r"tva|btw|mwst\.?|ust\.?|vat|tax"),
    *_labels(
        "incl",
        3,
        r"total\s?t\.?\s?v\.?\s?a\.?\s?c\.?|total\s?ttc|total\stva\s(?:comprise|incluse)",
        r"montant\s?(?:total|ttc|tvac)|total\s(?:general|facture|de\sla\sfacture)",
        r"totaal\s?incl(?:\.|usief)?(?:\sbtw)?|totaalbedrag|totaal\sfactuur|factuurbedrag"
        r"|eindtotaal|te\sbetalen\sbedrag",
        r"gesamtbetrag|summe\sbrutto|gesamt\sbrutto|bruttobetrag|rechnungsbetrag|gesamtsumme"
        r"|endbetrag|bruttosumme|brutto\ssumme|rechnungssumme\sbrutto|rechnungsbetrag\sbrutto",
        r"total\s?incl(?:\.|uding)?(?:\s(?:vat|tax))?|grand\stotal|invoice\stotal|total\samount"
        r"|total\s(?:payable|invoice\samount)|montant\stotal\sttc|totaal\sbedrag|brutto[\s-]?betrag"
        r"|gesamt(?:betrag|summe)\sbrutto|total\s\(?(?:eur|usd|gbp|chf|inr)\)?",
        r"|amount\sincl(?:\.|uding)?(?:\s(?:vat|tax))?",
    ),
    *_labels("incl", 1, r"total|totaal|gesamt|summe|brutto|tvac|ttc|incl\.?\s?(?:btw|vat|tva)"),
    *_labels(
        "payable",
        3,
        r"net\s[a]\spayer|solde\s?(?:[a]\spayer|du)|reste\s[a]\spayer|montant\s?(?:[a]\spayer|du)"
        r"|total\s[a]\spayer|a\spayer",
        r"(?:nog\s|totaal\s)?te\sbetalen|openstaand(?:\s(?:saldo|bedrag))?|te\svoldoen",
        r"(?:noch\s)?zu\szahlen|zahlbetrag|zahlungsbetrag|offener\sbetrag|restbetrag|zu\sbezahlen",
        r"amount\sdue|balance\sdue|total\sdue|amount\s(?:payable|to\spay)|please\spay|reste\sdu"
        r"|montant\snet\sa\spayer|total\sa\sregler|verschuldigd\sbedrag|faelliger\sbetrag"
        r"|balance\s(?:to\spay|outstanding)",
    ),
]

# The start of a block that holds the customer's address (and maybe their VAT number).
CUSTOMER_BLOCK = re.compile(
    r"^(?:client|cliente|klant|kunde|customer|bill(?:ed)?\sto|invoice\sto|sold\sto|ship\sto"
    r"|deliver(?:ed|y)?\sto|facture?e?\s[a]|adresse?e?\s[a]|destinataire|acheteur|livre\s[a]"
    r"|adresse\sde\sfacturation|factuur\s(?:aan|voor)|gefactureerd\saan|facturatieadres"
    r"|leveringsadres|koper|afnemer|rechnung\s(?:an|fur)|rechnungsempfanger|empfanger"
    r"|rechnungsadresse|lieferadresse|kaufer|buyer|aan|to|an|a)"
    r"\s?(?::\s?\S.*|:?\s?$)"
)
SUPPLIER_BLOCK = re.compile(
    r"^(?:fournisseur|vendeur|emetteur|prestataire|leverancier|verkoper|lieferant|verkaufer"
    r"|rechnungssteller|supplier|seller|vendor|from|de|van|von)\s?(?::\s?\S.*|:?\s?$)"
)
# Words on the line of a VAT number or IBAN that say it is the customer's.
CUSTOMER_HINT = re.compile(
    r"(?<![a-z])(?:client|klant|kunde|customer|votre|vos|uw|ihre?[mnrs]?|your|acheteur|koper"
    r"|kaufer|buyer|afnemer|domicili\w*|mandat\w*|debiteur|lastschrift\w*|preleve\w*"
    r"|direct\sdebit)(?![a-z])"
)

# Legal forms that mark a company name.
LEGAL_FORM = re.compile(
    r"(?<![\w.])(?:srl|sa|sc|sprl|scrl|scomm|snc|asbl|sca|bv|nv|bvba|cv|cvba|vof|commv|comm\.v"
    r"|vzw|gmbh|pgmbh|ag|kg|ohg|ug|ltd|llc|inc|plc|sas|sarl|eurl|b\.v\.|n\.v\.|s\.a\.|s\.a"
    r"|s\.[aà]\s?r\.l\.|s\.a\.r\.l\.|ab|oy|spa|s\.p\.a\.|a\.g\.|e\.v\.|mbh)(?![\w])",
    re.IGNORECASE,
)
# Document titles and words that are never a supplier's name.
NOT_A_NAME = re.compile(
    r"^(?:facture|factuur|rechnung|invoice|tax\sinvoice|note\sde\scredit|creditnota|gutschrift"
    r"|credit\snote|devis|offerte|angebot|quote|page|pagina|seite|original|copie|kopie|copy"
    r"|duplicata|duplicate)\b"
)

LANGUAGE_WORDS = {
    "fr": "facture tva htva tvac ttc echeance montant client payer communication structuree compte"
    " merci prix unitaire qte hors les des pour avec sur virement date reference conditions",
    "nl": "factuur btw vervaldag vervaldatum bedrag klant betalen mededeling gestructureerde"
    " rekening gelieve aantal omschrijving totaal het van voor met een excl incl eenheidsprijs",
    "de": "rechnung mwst ust betrag kunde zahlen mitteilung konto bitte menge beschreibung gesamt"
    " summe netto brutto und der die mit fur ihre rechnungsdatum einzelpreis zahlung",
    "en": "invoice vat due amount customer payment reference account please qty description"
    " subtotal the and to of for bill quote thank transfer price",
}

_MONTH_NAMES = (
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "januar februar marz april mai juni juli august september oktober november dezember",
    "january february march april may june july august september october november december",
    "janv fevr mars avr mai juin juil aout sept oct nov dec",
    "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "jan febr maerz apr mai jun jul aug sept okt nov dez",
)
# Month names, folded, in the four languages, with their usual abbreviations.
MONTHS: dict[str, int] = {
    name: number for names in _MONTH_NAMES for number, name in enumerate(names.split(), start=1)
}
