"""``python -m bot.db {upgrade,seed,setup}``: what ``make db`` and ``make run`` call.

- ``upgrade``: migrate the database to the newest schema (Alembic ``head``);
- ``seed``: load and validate the catalogue, then upsert it (see
  :mod:`bot.catalogue` for the rule);
- ``setup``: both, idempotent, ending with one line such as
  ``database ready: 8 courses, 20 cohorts (sqlite:///…/var/msaidizi.db)``.

The URL and catalogue come from ``bot.config`` (``DATABASE_URL``,
``CATALOGUE_DIR``) unless given as options. Printed URLs have the password masked.
Exit status: 0 done, 1 database problem, 2 catalogue problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.catalogue import CatalogueError, SeedError, load_catalogue, seed_catalogue
from bot.config import get_settings
from bot.db import migrate
from bot.db.engine import create_sync_engine, mask_url, session_factory
from bot.db.models import Cohort, Course


def seed(url: str, catalogue_dir: Path) -> str:
    """Seeds the catalogue into an already migrated database; returns the report."""
    catalogue = load_catalogue(catalogue_dir)
    engine = create_sync_engine(url)
    try:
        with session_factory(engine).begin() as session:
            report = seed_catalogue(session, catalogue)
    finally:
        engine.dispose()
    return f"seeded {catalogue_dir}: {report}"


def summary(url: str) -> str:
    """One line for the operator: what the database now holds, and where it is."""
    engine = create_sync_engine(url)
    try:
        with session_factory(engine)() as session:
            courses = session.scalar(select(func.count()).select_from(Course).where(Course.active))
            cohorts = session.scalar(
                select(func.count()).select_from(Cohort).join(Course).where(Course.active)
            )
    finally:
        engine.dispose()
    return f"database ready: {courses} courses, {cohorts} cohorts ({mask_url(url)})"


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.db", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["upgrade", "seed", "setup"])
    parser.add_argument(
        "--database-url", default=settings.database_url, help="default: DATABASE_URL"
    )
    parser.add_argument(
        "--catalogue-dir", type=Path, default=settings.catalogue_dir, help="default: CATALOGUE_DIR"
    )
    args = parser.parse_args(argv)
    url = args.database_url
    try:
        if args.command in ("upgrade", "setup"):
            migrate.upgrade(url)
            if args.command == "upgrade":
                print(f"database migrated to the newest schema ({mask_url(url)})")
        if args.command in ("seed", "setup"):
            report = seed(url, args.catalogue_dir)
            print(report if args.command == "seed" else summary(url))
    except (CatalogueError, SeedError) as error:
        print(f"catalogue not loaded: {error}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        # Driver messages can echo the URL; print only what cannot leak a password.
        print(
            f"database error at {mask_url(url)}: {type(error).__name__}:"
            f" {str(getattr(error, 'orig', None) or error).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
