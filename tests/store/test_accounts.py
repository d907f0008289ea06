"""Accounts: users and roles, Argon2id hashes, tokens, sessions, login limits, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from capra.store.accounts import (AccountError, AuthError, LoginLimitedError, authenticate,
                                  create_user, disable_user, end_session, list_users,
                                  new_token, principal_for_token, revoke_tokens,
                                  session_principal, session_secret, start_session, utc_naive)
from capra.store.history import read_audit


@pytest.fixture
def base(base_db):
    """A database with the hand-made herd (store_helpers.load_base)."""
    return base_db


@pytest.fixture
def cheap_hashes(monkeypatch):
    """Cheap Argon2 parameters, for tests of what surrounds the hash (the first test
    checks the real parameters)."""
    from argon2 import PasswordHasher

    from capra.store import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
    monkeypatch.setattr(accounts, "_DUMMY", [])


def test_passwords_are_argon2id_hashes_with_rfc_9106_parameters(base, monkeypatch):
    from capra.store import accounts

    monkeypatch.setattr(accounts, "_HASHER", None)  # the real one, made on first use
    create_user(base, "kim", "farm", "a good password", farms=["Kangso"], by="admin")
    with base.connect() as conn:
        h = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    # RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "a good password" not in h
    user = authenticate(base, "kim", "a good password", "10.0.0.1")
    assert (user.name, user.role, user.farm_names) == ("kim", "farm", ("Kangso",))
    with pytest.raises(AuthError):
        authenticate(base, "kim", "a good passworD", "10.0.0.1")


@pytest.mark.parametrize("kw, match", [
    (dict(name="x", role="farmer", password="long enough"), "did you mean 'farm'"),
    (dict(name="x", role="farm", password="long enough"), "at least one --farm"),
    (dict(name="x", role="farm", password="long enough", farms=["Kangsoo"]),
     "did you mean 'Kangso'"),
    (dict(name="x", role="viewer", password="long enough", farms=["Kangso"]),
     "only for the farm and vet roles"),
    (dict(name="x", role="viewer", password="short"), "at least 8"),
    (dict(name="  ", role="viewer", password="long enough"), "1 to 100 characters"),
])
def test_bad_users_are_refused_with_a_reason(base, cheap_hashes, kw, match):
    with pytest.raises(AccountError, match=match):
        create_user(base, **kw)
    assert list_users(base).empty


def test_names_are_unique_and_changes_are_audited(base, cheap_hashes):
    create_user(base, "lee", "nutrition", "long enough", by="admin")
    with pytest.raises(AccountError, match="exists already"):
        create_user(base, "lee", "viewer", "long enough")
    token = new_token(base, "lee", by="admin")
    assert principal_for_token(base, token).name == "lee"
    disable_user(base, "lee", by="admin")
    assert principal_for_token(base, token) is None
    with pytest.raises(AccountError, match="no user 'le'; did you mean 'lee'"):
        disable_user(base, "le")
    users = list_users(base)
    assert users[["name", "role", "active", "tokens"]].values.tolist() == [
        ["lee", "nutrition", False, 0]]
    log = read_audit(base, "users")
    assert log["action"].tolist() == ["insert", "update"]
    assert set(log["user_name"]) == {"admin"}


def test_tokens_revoke(base, cheap_hashes):
    create_user(base, "park", "manager", "long enough")
    a, b = new_token(base, "park"), new_token(base, "park")
    assert a != b and principal_for_token(base, a) and principal_for_token(base, b)
    assert revoke_tokens(base, "park") == 2
    assert principal_for_token(base, a) is None and principal_for_token(base, b) is None
    assert principal_for_token(base, "not-a-token") is None


def test_sessions_end_when_idle_at_their_end_and_at_sign_out(base, cheap_hashes):
    user = create_user(base, "vi", "viewer", "long enough")
    key, csrf = start_session(base, user)
    assert session_principal(base, key) == (user, csrf)
    with base.begin() as conn:
        conn.execute(text("UPDATE web_sessions SET last_seen_at = :t"),
                     {"t": utc_naive() - dt.timedelta(minutes=31)})
    assert session_principal(base, key) is None
    assert session_principal(base, key, idle_minutes=40) is not None
    end_session(base, key)
    assert session_principal(base, key, idle_minutes=40) is None
    with base.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM web_sessions")).scalar_one()
    assert stored == 0


def test_login_limits_by_name_and_by_address(base, cheap_hashes):
    create_user(base, "kim", "viewer", "long enough")
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(base, "kim", "wrong", "10.0.0.2")
    with pytest.raises(LoginLimitedError) as exc:
        authenticate(base, "kim", "long enough", "10.0.0.3")
    assert 0 < exc.value.retry_after_s <= 15 * 60 + 1
    # twenty failures from one address, over several names, stop that address
    for i in range(20):
        with pytest.raises(AuthError):
            authenticate(base, f"guess{i}", "wrong", "10.0.0.9")
    create_user(base, "other", "viewer", "long enough")
    with pytest.raises(LoginLimitedError):
        authenticate(base, "other", "long enough", "10.0.0.9")
    assert authenticate(base, "other", "long enough", "10.0.0.4").name == "other"


def test_the_session_key_is_made_once(base):
    assert session_secret(base) == session_secret(base)
    assert len(session_secret(base)) == 64
