"""The documents, Connect's base feature (issue 17): receive, file checks, processing and the
recognition pipeline, the client's desk and the accountant's inbox, binders, sharing, e-mail in.
The other features (collaboration, payments, the API) import it; it imports none of them
(`.importlinter`, contract "Connect's features above the documents"; a feature plugs into
``hooks``).

Where things are (moved from connect/ and connect/services/):

- receiving: ``files`` (file checks, safe names, spool), ``antivirus``, ``uploads`` (the upload
  handler named in settings), ``photos`` (phone photos to a PDF);
- reading the stored bytes: ``downloads``, ``pages`` (page images), ``reads`` (the read audit);
- ``selectors`` (documents and binders an actor may see), ``queue`` (the accountant's work
  queue), ``words`` (status and fact labels, worded for the reader), ``notifications`` (mails);
- e-mail in: ``inbound_webhook`` (provider webhooks, URL in portal/urls.py), ``signals`` (the
  provider's inbound signal, the dossier scope of the document tasks; connected by
  ``connect.apps``);
- pages: ``forms``, ``forms_reads``, ``views`` (the client's home, dossier, sections, upload,
  send, binders), ``views_document`` (a document's page and facts form), ``views_files`` (its
  bytes: download, page images, thumbnail, attachments), ``views_desk``, ``views_inbox`` (the
  accountant's inbox, bulk actions), ``views_accountant`` (actions, share, profile, review
  queue), ``views_address``, ``views_memory``, ``views_reads``; ``urls`` (included by
  connect/urls.py, namespace ``connect``);
- ``services``: the writes, one module per concern (``receive``, ``processing``, ``pipeline``
  and ``review``, ``accountant``, ``desk``, ``documents``, ``binders``, ``previews``,
  ``inbound``, ``inbound_address``, ``mail_auth``, ``memory``, ``supplier_accounts``); the
  entry points are exported by ``connect.documents.services``.

Stay in ``connect``: the models (``connect.models``), the Celery tasks (``connect.tasks``: their
names are in settings and in queued messages), migrations, template tags, management commands,
the demo. The desktop client is not in ``connect``: it is its own distribution, connect-sync/.
"""
