"""The site's Korean catalog (Django's gettext domain "django" under grader/site/locale).

    python -m grader.site.i18n update    re-extract the strings of the templates and code (GNU gettext's xgettext)
    python -m grader.site.i18n compile   write django.mo from django.po (Babel; no GNU gettext needed)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["CATALOG", "compile_catalog", "update_catalog"]

HERE = Path(__file__).resolve().parent
CATALOG = HERE / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def compile_catalog(po_path: Path = CATALOG) -> Path:
    """django.po -> django.mo beside it; a message still marked fuzzy or empty is left out (English shows)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="ko")
    target = po_path.with_suffix(".mo")
    with target.open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return target


def update_catalog() -> Path:
    """Django's makemessages over grader/site, keeping the translations already made."""
    from grader.site.settings import configure

    with tempfile.TemporaryDirectory(prefix="grader-i18n-") as course:
        configure(Path(course))
        from django.core.management import call_command

        os.chdir(HERE)
        call_command("makemessages", locale=["ko"], add_location="file", no_obsolete=True, verbosity=0)
    return CATALOG


def _main(argv: list[str]) -> int:
    commands = {"update": update_catalog, "compile": compile_catalog}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    print(commands[argv[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
