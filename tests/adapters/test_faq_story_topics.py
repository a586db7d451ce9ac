"""The FAQ test stories' questions are answered on their own topic by the trained selector.

The stories (tests/stories/test_faq_stories.yml) check the dialogue: a question
gets ``action_answer_faq``. Which answer that action gives comes from the
ResponseSelector's topic, so this checks it for each story's question.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpline.faq import clarify as faq_clarify

pytestmark = pytest.mark.model
STORIES = Path(__file__).resolve().parents[1] / "stories" / "test_faq_stories.yml"


def story_questions():
    for story in yaml.safe_load(STORIES.read_text())["stories"]:
        for step in story["steps"]:
            if str(step.get("intent", "")).startswith("faq/") and step.get("user"):
                yield step["user"].strip(), step["intent"].split("/", 1)[1]


QUESTIONS = list(story_questions())


def test_there_is_a_story_question_for_every_topic():
    assert {topic for _, topic in QUESTIONS} == set(faq_clarify.TOPIC_LABELS)


@pytest.mark.parametrize("question, topic", QUESTIONS)
def test_each_story_question_is_answered_on_its_topic(parse, question, topic):
    """Answered on its topic, or (where the selector is unsure) offered it first."""
    result = parse(question)
    assert result["intent"]["name"] in ("faq", "faq_clarify"), result["intent"]
    assert faq_clarify.ranking_from(result.get("response_selector"))[0][0] == topic
