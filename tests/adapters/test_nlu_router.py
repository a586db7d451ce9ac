"""Each message is read by the model of its conversation's language (helpline_rasa/nlu_router.py).

Fake parsers stand in for the two models: what is checked here is which one reads a
message and what the server does with Rasa's requests. The models themselves are
measured by the blind rounds and exercised end to end by the persona suites.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from helpline import language
from helpline.ops import runner
from helpline_rasa import nlu_router

TOKEN = "the-action-token"


def fake_parser(lang: str, seen: List[Tuple[str, str]]):
    async def parse(text: str) -> dict:
        seen.append((lang, text))
        return {"text": text, "intent": {"name": f"parsed_{lang}", "confidence": 0.9}, "entities": []}
    return parse


def router(conversations: Dict[str, Tuple[Optional[str], List[str]]], seen: List[Tuple[str, str]]):
    async def state(sender: str) -> tuple:
        return conversations.get(sender, (None, []))
    return nlu_router.LanguageRoutedNLU({lang: fake_parser(lang, seen) for lang in language.LANGUAGES}, state)


@pytest.mark.parametrize("current, offered, text, model", [
    (None, [], "hola, cuanto cuesta el programa?", "es"),      # a Spanish first message opens in Spanish
    (None, [], "how much does the program cost?", "en"),
    ("es", [], "ok", "es"),                                     # a word of reply keeps the language
    ("es", [], "6025550134", "es"),
    ("es", [], "si", "es"),
    ("es", [], "english please", "es"),                         # too short to switch: the Spanish model knows the request
    ("en", [], "¿hablan español?", "en"),
    ("es", [], "mi hijo is using again y no se que hacer", "es"),  # Spanglish stays Spanish
    ("en", [], "buenas noches, quisiera saber cuanto cuesta el programa para mi hijo", "es"),  # clearly Spanish: switches
    ("es", [], "/request_callback", "es"),                      # a payload is our wording
    ("es", ["yes, safe for now"], "yes, safe for now", "es"),
    ("es", [], "yes, I am safe right now and I would like to know the cost", "en"),
])
def test_a_message_is_read_by_the_model_of_its_conversations_language(current, offered, text, model):
    seen: List[Tuple[str, str]] = []
    result = asyncio.run(router({"web-1": (current, offered)}, seen).parse(text, "web-1"))
    assert seen == [(model, text)] and result["intent"]["name"] == f"parsed_{model}"


def test_without_a_sender_the_message_is_a_first_message():
    seen: List[Tuple[str, str]] = []
    asyncio.run(router({}, seen).parse("buenas tardes, tienen programa en la noche?", None))
    assert seen == [("es", "buenas tardes, tienen programa en la noche?")]


@pytest.mark.parametrize("text", ["si", "hello", "es caro?", "tienen telehealth", "how many hours es a la semana?"])
def test_a_first_message_of_no_clear_language_is_read_by_both_models(text):
    seen: List[Tuple[str, str]] = []
    asyncio.run(router({}, seen).parse(text, "web-new"))
    assert sorted(seen) == [("en", text), ("es", text)]


def reading(intent: str, confidence: float, faq: float = 0.0, ranking: Optional[list] = None) -> dict:
    result = {"intent": {"name": intent, "confidence": confidence},
              "intent_ranking": ranking if ranking is not None else [{"name": intent, "confidence": confidence}]}
    if faq:
        result["response_selector"] = {"faq": {"response": {"confidence": faq, "intent_response_key": "faq/cost"}}}
    return result


def test_the_surer_reading_wins_and_a_crisis_reading_wins_over_any():
    sure_faq, unsure_faq = reading("faq", 0.95, faq=0.9), reading("faq", 0.97, faq=0.3)
    assert nlu_router.surer_reading([unsure_faq, sure_faq]) is sure_faq      # the answer's confidence counts
    greet = reading("greet", 0.7)
    assert nlu_router.surer_reading([greet, unsure_faq]) is greet
    crisis = reading("crisis", 0.4)
    assert nlu_router.surer_reading([sure_faq, crisis]) is crisis
    check_in = reading("possible_risk", 0.5)
    assert nlu_router.surer_reading([sure_faq, check_in]) is check_in
    # A fallback is not a reading: the classifier's own best guess behind it is compared.
    fallback = reading("nlu_fallback", 0.5, ranking=[{"name": "nlu_fallback", "confidence": 0.5},
                                                     {"name": "thank", "confidence": 0.45}])
    assert nlu_router.surer_reading([fallback, reading("thank", 0.4)]) is fallback
    assert nlu_router.surer_reading([reading("deny", 0.6)])["intent"]["name"] == "deny"


def test_a_message_is_still_read_when_the_tracker_store_is_away():
    seen: List[Tuple[str, str]] = []

    async def away(sender: str) -> tuple:
        raise ConnectionError("database gone")

    routed = nlu_router.LanguageRoutedNLU({lang: fake_parser(lang, seen) for lang in language.LANGUAGES}, away)
    asyncio.run(routed.parse("me quiero morir, ya no aguanto mas", "web-1"))
    assert seen == [("es", "me quiero morir, ya no aguanto mas")]


def test_a_missing_model_is_refused_at_start():
    with pytest.raises(ValueError, match="es"):
        nlu_router.LanguageRoutedNLU({"en": fake_parser("en", [])}, lambda sender: None)  # type: ignore[arg-type,return-value]


def test_the_buttons_offered_are_those_under_the_bots_last_message():
    events = [
        BotUttered("¿Está a salvo ahora?", data={"buttons": [{"title": "Sí", "payload": "yes, safe for now"}]}),
        UserUttered("hola"),
        BotUttered("Gracias", data={"buttons": [{"title": "Llamada", "payload": "/request_callback"}]}),
        ActionExecuted("action_listen"),
    ]
    assert nlu_router.offered_payloads(events) == ["/request_callback"]
    assert nlu_router.offered_payloads([UserUttered("hi")]) == []


def serve(app):
    async def run(check):
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            return await check(client)
        finally:
            await client.close()
    return run


def test_the_server_answers_rasas_remote_nlu_request_and_requires_the_token():
    seen: List[Tuple[str, str]] = []
    app = nlu_router.build_app(router({"sms-abc": ("es", [])}, seen), TOKEN)

    async def check(client):
        ok = await client.post("/model/parse", json={"text": "ok", "message_id": "sms-abc", "token": TOKEN})
        parsed = await ok.json()
        no_token = await client.post("/model/parse", json={"text": "ok", "message_id": "sms-abc"})
        wrong = await client.post("/model/parse", json={"text": "ok", "token": "guessed"})
        not_json = await client.post("/model/parse", data=b'{"text": "ok", "token": "the-action-token"}',
                                     headers={"Content-Type": "text/plain"})
        bad_json = await client.post("/model/parse", data=b"text=ok", headers={"Content-Type": "application/json"})
        no_text = await client.post("/model/parse", json={"token": TOKEN})
        health = await client.get("/")
        return ok.status, parsed, (no_token.status, wrong.status, not_json.status, bad_json.status, no_text.status,
                                   health.status)

    ok, parsed, others = asyncio.run(serve(app)(check))
    assert (ok, parsed["intent"]["name"]) == (200, "parsed_es")
    assert others == (401, 401, 415, 400, 400, 200)
    assert seen == [("es", "ok")]  # refused requests reach no model


def test_the_spanish_archive_sits_beside_the_served_one(tmp_path: Path):
    served = tmp_path / "current.tar.gz"
    assert language.model_archive(served, "en") == served
    assert language.model_archive(served, "es") == tmp_path / "current-es.tar.gz"
    assert language.is_language_archive(tmp_path / "current-es.tar.gz")
    assert not language.is_language_archive(served)


def test_helpline_run_serves_the_newest_model_not_a_languages_archive(tmp_path: Path):
    import os
    import time

    (tmp_path / "current.tar.gz").write_bytes(b"")
    later = time.time() + 10
    (tmp_path / "current-es.tar.gz").write_bytes(b"")
    os.utime(tmp_path / "current-es.tar.gz", (later, later))
    assert runner.latest_model(tmp_path) == tmp_path / "current.tar.gz"


def test_the_server_does_not_log_what_people_wrote(capsys):
    import structlog

    nlu_router.quiet_logs()
    # What Rasa's processor logs on every parse (rasa/core/processor.py).
    structlog.get_logger().debug("processor.message.parse", parse_data_text="me quiero morir")
    captured = capsys.readouterr()
    assert "me quiero morir" not in captured.out + captured.err


def test_the_conversations_language_and_buttons_are_read_from_the_tracker_store(tmp_path: Path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml("""
version: "3.1"
slots:
  language:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
""")
    database = tmp_path / "tracker.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {database}\n")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(database))
    tracker = DialogueStateTracker.from_events("sms-abc", [
        UserUttered("hola"), SlotSet("language", "es"),
        BotUttered("¿Seguimos?", data={"buttons": [{"title": "Sí", "payload": "/affirm"}]}),
    ])
    asyncio.run(store.save(tracker))
    state = nlu_router.tracker_state(str(endpoints), domain)
    assert asyncio.run(state("sms-abc")) == ("es", ["/affirm"])
    assert asyncio.run(state("sms-new")) == (None, [])
