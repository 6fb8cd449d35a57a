"""Supplier payments (docs/payments.md): the client picks unpaid purchase invoices and expenses
and downloads a SEPA credit transfer file (pain.001) for their bank.

- ``accounts``: the paying accounts, who may pay, the IBAN/BIC/reference checks;
- ``batches``: the batch, line by line, kept with its file; ``sepa``: the pain.001 file;
- ``selectors``: the payable invoices, the paying accounts and the batches an actor may see;
- ``forms``, ``views``, ``urls``: the pages (URL names ``connect:payments``, …).

The models (``PayingAccount``, ``PaymentBatch``, ``PaymentLine``) stay in ``connect.models``;
the supplier accounts and their IBAN change alert stay with the documents
(``connect/documents/services/supplier_accounts.py``), since the pipeline records each IBAN
it reads.
"""
