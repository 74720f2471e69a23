"""Validate stage: checks that `dossier check` runs on top of load and resolve (spelling, …)."""
