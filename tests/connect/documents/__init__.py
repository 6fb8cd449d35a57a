"""Tests of the documents (connect/documents/)."""
