"""View: the reads behind a dossier's dashboard, each read with one aggregate query (the VAT
report with two), so a dossier with 100,000 documents costs as many queries as one with five.

Which documents count
  Only documents that left the client's desk: a draft is private (``status`` draft never
  counts). The money reports (purchases and sales, top suppliers, unpaid, VAT) also leave out
  what the accountant rejected (it went back to the desk), what the accountant shared into the
  client's binders, and a document recognised as a duplicate of an earlier one (the same
  invoice received twice: by e-mail and by Peppol). Purchases are purchase invoices, expenses
  and credit notes; a credit note counts **negative** (a credit note a client uploads is one
  received from a supplier; its UBL totals are positive, so its amount is subtracted). Sales
  are sales invoices.

Which amount and which day
  An invoice's amount is what the invoice says (``recognized.total_incl_vat``; for unpaid
  invoices ``payable_amount`` first), else the amount the client typed. Its currency is the
  invoice's, else the document's. Its day is the invoice date (``recognized.issue_date``),
  else the day it was sent; the period and the months/quarters of the money reports use it.
  Unpaid invoices are those of the period still marked unpaid, by due date (the client's,
  else the invoice's) relative to today. Documents per category and channel, and the waiting
  times, use the day a document was sent (shared by the accountant: the day it was shared).

Who the supplier is
  Its VAT number when one was read, else its name when it was read with confidence, both
  compared normalised (``view.suppliers``): "BE 0123.456.789" is "BE0123456789", "Meunerie
  Dupont SA" is "MEUNERIE DUPONT"; two names that differ are two suppliers. The header of a till
  receipt ("TICKET DE CAISSE", the first words of a page guessed with little confidence) names
  nobody: such purchases are summed on one row "Without supplier". A JSON ``null`` in the facts
  is no value on every database (SQLite would read it as the text "null").

Each report family has its module: ``purchases_sales``, ``top_suppliers``, ``unpaid``, ``vat``,
and ``document_flow`` (documents and waiting times, one query for both); ``common`` holds the
expressions over the facts they share. The reads return plain rows (dicts of dates, Decimals,
ints and strings)."""
