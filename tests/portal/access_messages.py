"""Route names of Connect messages, for tests/portal/test_access_routes.py (every route
needs a rule); the access tests of these routes are in the messages tests."""

ROUTES: set[str] = {
    "connect:inbox_messages",  # the actor's own conversations, across their dossiers
    "connect:threads",  # a dossier's conversations: its Connect users only
    "connect:thread",  # one conversation: the Connect users of its dossier only
    "connect:document_thread",  # a document's conversation: who may see the document
}
