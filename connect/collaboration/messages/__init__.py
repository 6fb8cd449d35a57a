"""Messages: conversations of a dossier's users, general or about one document."""
