"""The kernel below every app: the building blocks each feature needs, importing no app of the
project (``make test`` checks it with import-linter). See docs/architecture.md."""
