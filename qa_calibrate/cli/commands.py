"""Which module registers each top-level command: the root group imports a module only when one
of its commands is run (or all of them for ``--help``), so a command loads nothing it does not
use. ``tests/test_packaging.py`` checks that this table and the modules agree."""

COMMAND_MODULES = {
    "audit": "cmd_coaching",
    "backup": "cmd_admin",
    "check": "cmd_admin",
    "coaching": "cmd_coaching",
    "db": "cmd_db",
    "decrypt": "cmd_admin",
    "demo": "cmd_app",
    "drift": "cmd_coaching",
    "encrypt": "cmd_admin",
    "evaluator": "cmd_people",
    "import": "cmd_import",
    "init": "cmd_app",
    "interaction": "cmd_interactions",
    "packet": "cmd_packet",
    "person": "cmd_db",
    "report": "cmd_sessions",
    "rubric": "cmd_rubric",
    "sample-data": "cmd_app",
    "score": "cmd_sessions",
    "serve": "cmd_serve",
    "session": "cmd_sessions",
    "setting": "cmd_admin",
    "sla": "cmd_sla",
    "tui": "cmd_tui",
}
