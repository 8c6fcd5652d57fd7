"""Proofs of concept: scripts vendors perform, demo sessions, checklists and automated probes."""
