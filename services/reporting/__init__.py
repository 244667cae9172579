"""Reporting: projections of the facts into counts per programme, for the operator (JSON and HTML)."""
