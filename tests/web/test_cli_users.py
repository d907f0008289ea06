"""``capra user`` and ``capra serve`` from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from capra.cli import app

runner = CliRunner()


def test_user_commands(tmp_path):
    from capra.store.db import open_db
    from capra.store.io import import_frame
    from web_data import FARMS, csv

    db = str(tmp_path / "capra.db")
    import_frame(open_db(db), "farms", csv(FARMS))
    r = runner.invoke(app, ["user", "add", "kim", "--role", "farm", "--farm", "Kangso",
                            "--db", db], input="a long password\n")
    assert r.exit_code == 0, r.output
    assert "added user kim, role farm (farms: Kangso)" in r.output
    r = runner.invoke(app, ["user", "add", "lee", "--role", "farmer", "--db", db],
                      input="a long password\n")
    assert r.exit_code == 2 and "did you mean 'farm'" in r.output
    r = runner.invoke(app, ["user", "add", "lee", "--role", "viewer", "--db", db], input="x\n")
    assert r.exit_code == 2 and "too short" in r.output
    r = runner.invoke(app, ["user", "token", "kim", "--db", db])
    assert r.exit_code == 0 and r.stdout.strip().startswith("capra_")
    r = runner.invoke(app, ["user", "list", "--db", db])
    assert "kim" in r.output and "Kangso" in r.output
    r = runner.invoke(app, ["user", "token", "kim", "--revoke", "--db", db])
    assert "revoked 1 token of kim" in r.output
    r = runner.invoke(app, ["user", "disable", "kim", "--db", db])
    assert r.exit_code == 0
    r = runner.invoke(app, ["user", "token", "kim", "--db", db])
    assert r.exit_code == 2 and "disabled" in r.output


def test_the_password_never_appears_as_an_option():
    r = runner.invoke(app, ["user", "add", "--help"])
    assert "--password" not in r.output and "standard input" in r.output


def test_serve_refuses_an_unknown_scenario(tmp_path):
    r = runner.invoke(app, ["serve", "--db", str(tmp_path / "x.db"), "--scenario", "nampoo"])
    assert r.exit_code != 0 and "nampo" in r.output
