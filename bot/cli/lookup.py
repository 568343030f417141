"""Resolving a third party named on the command line: id, exact name or alias; never a guess."""

from __future__ import annotations

from bot.bootstrap import App
from bot.cli.context import CliError
from bot.crm.models import ThirdParty
from storage import UnitOfWork


def resolve_thirdparty(app: App, uow: UnitOfWork, text: str) -> ThirdParty:
    if text.isdecimal():
        tp = uow.session.get(ThirdParty, int(text))
        if tp is None:
            raise CliError(f"no third party with id {text}")
        return tp
    result = app.matcher(uow).thirdparty_by_name(text)
    best = result.best
    if best is None:
        if result.found:
            names = "; ".join(f"{c.name} (id {c.id})" for c in result.top)
            raise CliError(f"{text!r} is ambiguous: {names}. Use the id.")
        raise CliError(f"no third party matches {text!r}")
    if best.reason == "fuzzy":
        raise CliError(f"no third party is called {text!r}; did you mean {best.name} (id {best.id})?")
    tp = uow.session.get(ThirdParty, best.id)
    assert tp is not None
    return tp
