"""Creating a company that probably exists already: the bot asks before it makes a duplicate."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.crm.models import ThirdParty
from tests.support.chat import Conversation
from tests.support.factories import company, user


@pytest.fixture
def crm(app: App) -> App:
    with app.uow() as uow:
        s = uow.session
        user(s, "anna", name="Anna Berger", language="de", timezone="Europe/Berlin")
        user(s, "bob", name="Bob Miller", language="en", timezone="America/New_York")
        user(s, "carla", name="Carla Restricted", language="en", restricted=True)
        company(s, "ACME GmbH", email="info@acme.example", phone="+49 30 1234567")
        company(s, "Initech Systems Inc.")
        uow.commit()
    return app


def companies(app: App) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ThirdParty)) or 0)


def test_a_likely_duplicate_is_asked_about_instead_of_created(crm: App) -> None:
    bob = Conversation(crm, "bob")
    question = bob.send("new company ACME Gmbh")
    assert question.text == "ACME Gmbh already exists as ACME GmbH — use it?"
    assert [c.label for c in question.choices] == ["Use ACME GmbH", "Create anyway"]
    assert question.data["needs_clarification"] is True
    assert question.data["intent"] == "create_thirdparty"
    assert companies(crm) == 2


def test_use_it_shows_the_existing_company(crm: App) -> None:
    bob = Conversation(crm, "bob")
    bob.send("new company ACME Gmbh")
    card = bob.pick(1)
    assert card.title == "ACME GmbH"
    assert card.data["thirdparty"]["name"] == "ACME GmbH"
    assert card.data["record"] is None
    assert companies(crm) == 2


def test_create_anyway_creates_it(crm: App) -> None:
    bob = Conversation(crm, "bob")
    bob.send("new company ACME Gmbh")
    created = bob.send("create anyway")
    assert created.text == "Created prospect ACME Gmbh."
    assert created.data["record"]["type"] == "thirdparty"
    assert companies(crm) == 3


def test_a_typo_and_another_legal_form_count_as_the_same_company(crm: App) -> None:
    anna = Conversation(crm, "anna")
    assert anna.send("neue Firma Initech Sytems").text == (
        "Initech Sytems gibt es schon als Initech Systems Inc. – die nehmen?"
    )
    assert anna.last is not None
    assert [c.label for c in anna.last.choices] == ["Initech Systems Inc. nehmen", "Trotzdem anlegen"]
    assert anna.send("neue Firma ACME AG").text == "ACME AG gibt es schon als ACME GmbH – die nehmen?"
    assert anna.send("2").text == "Interessent ACME AG angelegt."


def test_the_same_email_address_points_at_the_existing_company(crm: App) -> None:
    question = Conversation(crm, "bob").send("new company Road Runner Ltd, info@acme.example")
    assert question.text == "Road Runner Ltd already exists as ACME GmbH — use it?"


def test_the_very_same_name_is_still_refused_and_an_unrelated_one_is_created(crm: App) -> None:
    bob = Conversation(crm, "bob")
    assert bob.send("new company ACME GmbH").text == "ACME GmbH already exists."
    assert bob.send("new company Cyberdyne Systems").text == "Created prospect Cyberdyne Systems."


def test_a_company_the_user_may_not_see_is_not_revealed(crm: App) -> None:
    # Carla sees only her own third parties: for her ACME GmbH does not exist, so she is not told about it.
    assert Conversation(crm, "carla").send("new company ACME Gmbh").text == "Created prospect ACME Gmbh."
