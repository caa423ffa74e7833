"""The topic selector (bot/nlu/topic_selector.py): picks a Data Protection Act
topic from the words of a question, and writes its choice where Rasa's own
response action reads it."""

from __future__ import annotations

import pytest
from rasa.core.actions.action import ActionRetrieveResponse
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.topic_selector import TopicModel, set_selection, training_examples

EXAMPLES = [
    ("how soon must a breach be reported", "data_protection/breach_controller"),
    ("we had a data leak, when do we tell the commissioner", "data_protection/breach_controller"),
    ("uvujaji wa data uripotiwe baada ya saa ngapi", "data_protection/breach_controller"),
    ("can the ministry post photos of trainees online", "data_protection/photos"),
    ("picha zangu zinaweza kuwekwa facebook bila ruhusa", "data_protection/photos"),
    ("is a group photo at a workshop personal data", "data_protection/photos"),
    ("what is the fine for breaking the act", "data_protection/fines"),
    ("adhabu ya juu ni kiasi gani", "data_protection/fines"),
    ("how much can the odpc penalise a company", "data_protection/fines"),
]


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return TopicModel.fit("data_protection", EXAMPLES)


def test_it_picks_the_topic_by_its_words_in_either_language(model: TopicModel) -> None:
    assert (
        model.rank("when must a breach be reported?")[0][0] == "data_protection/breach_controller"
    )
    assert model.rank("picha yangu iliwekwa facebook")[0][0] == "data_protection/photos"
    assert model.rank("what fine can the ODPC give?")[0][0] == "data_protection/fines"


def test_the_ranking_holds_every_topic_best_first_summing_to_one(model: TopicModel) -> None:
    ranking = model.rank("adhabu ni kiasi gani?")
    assert sorted(topic for topic, _ in ranking) == [
        "data_protection/breach_controller", "data_protection/fines", "data_protection/photos",
    ]  # fmt: skip
    scores = [score for _, score in ranking]
    assert scores == sorted(scores, reverse=True)
    assert abs(sum(scores) - 1.0) < 1e-9


def test_only_the_retrieval_intents_examples_are_learnt() -> None:
    data = TrainingData(
        [
            Message(data={"text": "habari", "intent": "greet"}),
            Message(
                data={
                    "text": "what is the fine",
                    "intent": "data_protection",
                    "intent_response_key": "data_protection/fines",
                }
            ),
        ]
    )
    assert training_examples(data, "data_protection") == [
        ("what is the fine", "data_protection/fines")
    ]


def test_the_selection_is_where_rasas_response_action_reads_it(model: TopicModel) -> None:
    message = Message(data={"text": "can you post my photo online?"})
    set_selection(message, "data_protection", model.rank("can you post my photo online?"))
    parse_data = message.as_dict_nlu()
    selector = parse_data["response_selector"]
    assert selector["all_retrieval_intents"] == ["data_protection"]
    response = selector["data_protection"]["response"]
    assert response["intent_response_key"] == "data_protection/photos"
    assert response["utter_action"] == "utter_data_protection/photos"
    assert len(selector["data_protection"]["ranking"]) == 3
    # Rasa's own action turns the selection into the utterance it sends.
    tracker = DialogueStateTracker("officer", slots=[])
    tracker.update(UserUttered(parse_data["text"], parse_data=parse_data))
    action = ActionRetrieveResponse("utter_data_protection")
    assert action.get_full_retrieval_name(tracker) == "utter_data_protection/photos"
