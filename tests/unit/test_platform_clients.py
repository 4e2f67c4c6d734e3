"""The platforms' API clients against a stand-in over real HTTP: the Graph API's errors as
Meta sends them (tests/fixtures/meta/graph_error_*.json) and whether each is worth a
retry; tweepy sent to ESCALATOR_X_API_URL; the token never in a URL or an error."""

from __future__ import annotations

import pytest
import requests

from chalicelib.adapters.meta_graph import GraphApi, GraphError
from chalicelib.adapters.x_api.client import x_client
from tests.platform_payloads import load
from tests.standins import Answer, StandIn

TOKEN = "EAAG-page-token-secret"


@pytest.fixture(scope="module")
def stand_in():
    server = StandIn().start()
    yield server
    server.stop()


def graph(stand_in: StandIn, timeout: tuple[float, float] = (1.0, 1.0)) -> GraphApi:
    return GraphApi(requests.Session(), f"{stand_in.url}/v24.0/", TOKEN, timeout)


def test_an_object_comes_back_with_the_token_in_the_header_only(stand_in):
    stand_in.answer(
        "/v24.0/17841405309211844", Answer(200, load("meta", "graph_ig_mentioned_media.json"))
    )
    answer = graph(stand_in).get("17841405309211844", "mentioned_media.media_id(1){caption}")
    assert answer["mentioned_media"]["caption"] == "metricsaurus headquarters!"
    request = stand_in.seen("/v24.0/17841405309211844")[-1]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.query == {"fields": "mentioned_media.media_id(1){caption}"}


@pytest.mark.parametrize(
    ("status", "fixture", "retry", "said"),
    [
        (400, "graph_error_expired_token_463.json", True, "renew ESCALATOR_META_PAGE_TOKEN"),
        (400, "graph_error_docs_sample.json", True, "renew ESCALATOR_META_PAGE_TOKEN"),
        (400, "graph_error_rate_limit_app_4.json", True, "rate limited"),
        (400, "graph_error_rate_limit_page_32.json", True, "rate limited"),
        (503, "graph_error_temporary_2.json", True, "code 2"),
        (500, "graph_error_unknown_1.json", True, "code 1"),
        (400, "graph_error_code1_not_transient.json", False, "code 1"),
    ],
)
def test_metas_errors_say_whether_a_retry_may_help(stand_in, status, fixture, retry, said):
    stand_in.answer(f"/v24.0/{fixture}", Answer(status, load("meta", fixture)))
    with pytest.raises(GraphError) as failed:
        graph(stand_in).get(fixture, "id")
    assert failed.value.retry is retry
    assert said in str(failed.value) and TOKEN not in str(failed.value)


@pytest.mark.parametrize(
    ("answer", "retry"),
    [
        (Answer(502, "<html>Bad Gateway</html>"), True),  # a proxy's page, not Meta's JSON
        (Answer(404, "not json"), False),
        (Answer(200, ["a", "list"]), False),
    ],
)
def test_an_answer_that_is_not_metas_says_so(stand_in, answer, retry):
    stand_in.answer("/v24.0/odd", answer)
    with pytest.raises(GraphError) as failed:
        graph(stand_in).get("odd", "id")
    assert failed.value.retry is retry


def test_a_graph_api_that_does_not_answer_in_time_is_worth_a_retry(stand_in):
    stand_in.answer("/v24.0/slow", Answer(200, {"id": "slow"}, delay=2.5))
    with pytest.raises(GraphError, match="did not answer in time") as failed:
        graph(stand_in, timeout=(1.0, 0.5)).get("slow", "id")
    assert failed.value.retry


def test_a_graph_api_nobody_listens_on_is_worth_a_retry():
    unreachable = GraphApi(requests.Session(), "http://127.0.0.1:9", TOKEN, (0.5, 0.5))
    with pytest.raises(GraphError, match="could not be reached") as failed:
        unreachable.get("1", "id")
    assert failed.value.retry and TOKEN not in str(failed.value)


def test_tweepy_goes_to_the_x_api_url_when_set(stand_in, monkeypatch):
    answer = load("x", "api_get_post_expansions_public_metrics.json")
    stand_in.answer("/2/tweets/1234567890", Answer(200, answer))
    monkeypatch.setenv("ESCALATOR_X_API_URL", stand_in.url)
    response = x_client(bearer_token="bearer").get_tweet("1234567890", expansions=["author_id"])
    assert response.data.text == "Check out this image!"
    assert response.includes["users"][0].username == "xdevelopers"
    assert stand_in.seen("/2/tweets/1234567890")[-1].headers["Authorization"] == "Bearer bearer"


def test_without_the_setting_tweepy_goes_to_x(monkeypatch):
    monkeypatch.delenv("ESCALATOR_X_API_URL", raising=False)
    assert type(x_client(bearer_token="bearer").session) is requests.Session
