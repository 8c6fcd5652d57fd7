"""The shipped CRM reference catalogue and the code that reads and loads catalogues."""

from __future__ import annotations

from pathlib import Path


def default_directory() -> Path:
    """The catalogue shipped with reqtrace: the source tree's, else the installed copy."""
    source = Path(__file__).resolve().parents[2] / "requirements_catalog"
    if source.is_dir():
        return source
    import requirements_catalog  # installed as a data package

    return Path(next(iter(requirements_catalog.__path__)))
