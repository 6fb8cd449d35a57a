"""To-dos of a dossier: list, calendar, the fiscal deadlines generator."""
