"""Generators of the documentation site's tables (run by ``docs/gen/hook.py`` at build time)."""
