from datetime import UTC, datetime

from chalicelib.domain.incidents import INCIDENT_ID, Incident, IncidentStatus, storm_terms

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_storm_terms_are_the_distinctive_words_in_order():
    text = "@brand The app is DOWN again!! can't log in https://t.co/x #fail &amp; help"
    assert storm_terms(text) == ["app", "down", "log"]


def test_storm_terms_are_at_most_four_and_never_repeat():
    assert storm_terms("outage outage outage") == ["outage"]
    assert len(storm_terms("alpha bravo charlie delta echo foxtrot golf")) == 4


def test_an_incident_has_a_stable_id_and_its_members_once():
    incident = Incident.open("outage", NOW, ["x-2", "x-1", "x-2"])
    assert INCIDENT_ID.match(incident.id)
    assert incident.id == Incident.open("outage", NOW, []).id
    assert incident.members == ("x-1", "x-2")
    assert incident.is_open and incident.status is IncidentStatus.OPEN
