"""Collaboration in a dossier: to-dos and fiscal deadlines, reminders, document requests and
messages between the firm and its client. Imports the documents part of Connect, never another
feature (payments)."""
