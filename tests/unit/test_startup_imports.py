"""What start-up leaves for later: libraries only some messages need load when one first needs them."""

from __future__ import annotations

from tests.support.fresh import run_fresh

LATER = ("icalendar", "dateparser", "alembic", "bot.crm.mail.archive")


def test_the_engine_starts_without_the_libraries_only_some_messages_need() -> None:
    result = run_fresh(
        f"""
        import json, sys
        from bot.bootstrap import build_app
        from bot.engine import Engine
        from bot.parsers import warm_up
        warm_up()
        print(json.dumps({{"loaded": sorted(m for m in {LATER!r} if m in sys.modules)}}))
        """
    )
    assert result == {"loaded": []}
