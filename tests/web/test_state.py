"""Application state on SQLite and PostgreSQL: users, audit chain, self-assessment history."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web import accounts, assessments, audit
from traffickingmonitor.publish.web.state import make_engine, session_factory


@pytest.fixture
def factory(state_url):
    engine = make_engine(state_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def chain(factory, tmp_path):
    return audit.AuditChain.open(factory, tmp_path / "audit.key", tmp_path / "audit.checkpoint")


def test_users_hashed_validated_and_disabled(factory):
    with factory() as db:
        user = accounts.add_user(db, "Analyst.One", "a long password!", "analyst")
        assert user.username == "analyst.one"
        assert user.password_hash.startswith("$argon2id$")
        assert "a long password" not in user.password_hash
        assert accounts.check_password(user, "a long password!")
        assert not accounts.check_password(user, "wrong password!!")
        assert not accounts.check_password(None, "a long password!")
        for bad in [
            ("x", "a long password!", "analyst", None),
            ("ok", "short", "analyst", None),
            ("ok", "a long password!", "root", None),
            ("ok", "a long password!", "municipality", "GM9999"),
            ("ok", "a long password!", "analyst", "GM0363"),
            ("analyst.one", "a long password!", "analyst", None),
        ]:
            with pytest.raises(UserError):
                accounts.add_user(db, *bad)
        accounts.set_active(db, "analyst.one", False)
        assert not accounts.check_password(user, "a long password!")


def test_audit_chain_verifies_and_detects_tampering(factory, chain):
    for i in range(5):
        audit.append(chain, "u", "analyst", "http GET", f"/page/{i}", "200")
    ok = audit.verify(chain)
    assert ok.ok and ok.entries == 5
    with factory() as db:
        db.execute(text("UPDATE audit_log SET target = '/other' WHERE id = 3"))
        db.commit()
    broken = audit.verify(chain)
    assert not broken.ok and broken.broken_at == 3


def test_audit_detects_a_deleted_entry(factory, chain):
    for i in range(4):
        audit.append(chain, "u", "admin", "x", str(i))
    with factory() as db:
        db.execute(text("DELETE FROM audit_log WHERE id = 2"))
        db.commit()
    result = audit.verify(chain)
    assert not result.ok and result.broken_at == 3


def test_assessment_history_keeps_every_change(factory):
    with factory() as db:
        accounts.add_user(db, "gm", "a long password!", "municipality", "GM0363")
        form = {"value_policy_document": "partly", "note_policy_document": "draft"}
        changed = assessments.save(db, "GM0363", 2024, assessments.parse_form(form), None)
        assert changed == {"policy_document"}
        form = {"value_policy_document": "yes", "note_policy_document": "adopted"}
        assessments.save(db, "GM0363", 2024, assessments.parse_form(form), None)
        # saving the same again adds nothing
        assert assessments.save(db, "GM0363", 2024, assessments.parse_form(form), None) == set()
        current, history = assessments.load(db, "GM0363", 2024)
    assert current["policy_document"] == {"value": "yes", "note": "adopted"}
    assert [h["value"] for h in history] == ["yes", "partly"]


def test_audit_writer_keeps_order_and_chain(factory, chain):
    """Queued access entries and direct security entries end up in one unbroken chain."""
    import threading

    from sqlalchemy import select

    from traffickingmonitor.publish.web.state import AuditEntry

    writer = audit.AuditWriter(chain)

    def access(k):
        for i in range(100):
            writer.submit("u", "public", "http GET", f"/{k}/{i}", "200")

    threads = [threading.Thread(target=access, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for i in range(10):
        audit.append(chain, "admin", "admin", "login", f"/login/{i}")
    for t in threads:
        t.join()
    writer.flush()
    result = audit.verify(chain)
    with factory() as db:
        targets = [e.target for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert result.ok and result.entries == 310
    for k in range(3):  # each thread's entries in the order it submitted them
        mine = [t for t in targets if t.startswith(f"/{k}/")]
        assert mine == [f"/{k}/{i}" for i in range(100)]


_APPEND = """
import sys
from pathlib import Path
from traffickingmonitor.publish.web import audit
from traffickingmonitor.publish.web.state import make_engine, session_factory
factory = session_factory(make_engine(sys.argv[1]))
chain = audit.AuditChain.open(factory, Path(sys.argv[3]), Path(sys.argv[4]))
for i in range(60):
    audit.append(chain, sys.argv[2], "public", "http GET", f"/{i}", "200")
"""


def test_audit_chain_stays_linear_across_processes(chain, state_url, tmp_path):
    """``serve --workers N``: several processes append to one log at the same time."""
    import subprocess
    import sys

    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-c", _APPEND, state_url, f"worker{k}"),
                *(str(tmp_path / "audit.key"), str(chain.checkpoint)),
            ]
        )
        for k in range(3)
    ]
    assert [p.wait() for p in procs] == [0, 0, 0]
    result = audit.verify(chain)
    assert result.ok and result.entries == 180, result
