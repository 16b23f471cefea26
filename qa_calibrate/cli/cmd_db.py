"""``db provision`` and ``person link``: PostgreSQL roles, grants and row policies."""

from __future__ import annotations

import click

from .main import AppContext, cli, complete_person, console, pass_app


@cli.group()
def db() -> None:
    """The database itself: roles and row-level security on a PostgreSQL store."""


@db.command("provision")
@click.option("--prefix", default="qa_", show_default=True,
              help="Names of the group roles: PREFIX + lead, evaluator, trainer, agent.")
@pass_app
def db_provision(app: AppContext, prefix: str) -> None:
    """Create the group roles, their grants and the row policies (run as the store's owner)."""
    from ..dbroles import provision

    done = provision(app.store, actor=app.actor, prefix=prefix)
    console.print(f"group roles {', '.join(done.groups)}; {done.policies} row policies on "
                  f"{', '.join(done.rls_tables)}", markup=False, highlight=False)


@cli.group()
def person() -> None:
    """A person's link to the database (see also: qa-calibrate evaluator)."""


@person.command("link")
@click.argument("name", shell_complete=complete_person)
@click.option("--db-role", "db_role", metavar="ROLE",
              help="The PostgreSQL login role that is this person.")
@click.option("--unlink", is_flag=True, help="Remove the person's login role.")
@pass_app
def person_link(app: AppContext, name: str, db_role: str | None, unlink: bool) -> None:
    """Link NAME to a PostgreSQL login role: connected as it, the tool acts as NAME only."""
    from ..dbroles import link
    from ..errors import InputError

    if (db_role is None) == (not unlink):
        raise InputError("give --db-role ROLE or --unlink")
    done = link(app.store, name, None if unlink else db_role, actor=app.actor)
    group = f" (member of {done['group']})" if done["group"] else ""
    console.print(f"{done['name']}: login role {done['db_role'] or 'none'}{group}",
                  markup=False, highlight=False)
