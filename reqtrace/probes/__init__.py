"""Automated probes of vendor sandboxes (Playwright driving Debian's Chromium) and vendor adapters."""
