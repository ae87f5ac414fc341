"""Gemini: options under extra_body.google and thought signatures (vertex_openai.gemini)."""

from __future__ import annotations

import json
import warnings

import pytest

from vertex_openai.gemini import (
    capture_extra_content,
    google_options,
    merge_extra_body,
    restore_extra_content,
)


def test_google_options_and_merge() -> None:
    google = google_options(
        thinking_budget=1024,
        include_thoughts=True,
        safety_settings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        cached_content="projects/p/locations/us-central1/cachedContents/1",
        thought_tag_marker="think",
    )
    assert google == {
        "thinking_config": {"thinking_budget": 1024, "include_thoughts": True},
        "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        "cached_content": "projects/p/locations/us-central1/cachedContents/1",
        "thought_tag_marker": "think",
    }
    assert google_options() == {}
    user = {
        "extra_body": {"google": {"thinking_config": {"thinking_budget": 1}, "x": 1}},
        "top_k": 3,
    }
    merged = merge_extra_body(user, {"thinking_config": {"thinking_level": "low"}})
    assert merged == {
        "extra_body": {
            "google": {"thinking_config": {"thinking_budget": 1, "thinking_level": "low"}, "x": 1}
        },
        "top_k": 3,
    }
    assert user["extra_body"]["google"]["thinking_config"] == {"thinking_budget": 1}  # not mutated
    assert merge_extra_body(None, {}) is None
    assert merge_extra_body(None, {}, reasoning_effort="low") is None


def test_reasoning_effort_excludes_thinking_config() -> None:
    with pytest.raises(ValueError, match="reasoning_effort"):
        merge_extra_body(None, {"thinking_config": {"thinking_budget": 10}}, reasoning_effort="low")
    with pytest.raises(ValueError, match="reasoning_effort"):
        merge_extra_body(
            {"extra_body": {"google": {"thinking_config": {"include_thoughts": True}}}},
            {},
            reasoning_effort="high",
        )
    assert merge_extra_body(None, {"safety_settings": []}, reasoning_effort="low") is not None


SIG = {"google": {"thought_signature": "c2lnbmF0dXJl"}}


def test_capture_and_restore_signatures() -> None:
    response_message = {
        "role": "assistant",
        "content": None,
        "extra_content": {"google": {"thought_signature": "bXNn"}},
        "tool_calls": [
            {
                "id": "a",
                "type": "function",
                "function": {"name": "f", "arguments": "{}"},
                "extra_content": SIG,
            },
            {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
        ],
    }
    captured = capture_extra_content(response_message)
    assert captured == {
        "message": {"google": {"thought_signature": "bXNn"}},
        "tool_calls": [{"id": "a", "index": 0, "extra_content": SIG}],
    }
    assert json.loads(json.dumps(captured)) == captured
    assert capture_extra_content({"role": "assistant", "content": "x"}) is None

    outgoing = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "1"},
    ]
    restore_extra_content(outgoing, [captured])
    assistant = outgoing[1]
    assert assistant["extra_content"] == {"google": {"thought_signature": "bXNn"}}
    assert assistant["tool_calls"][0]["extra_content"] == SIG  # type: ignore[index]
    assert "extra_content" not in assistant["tool_calls"][1]  # type: ignore[index]


def test_restore_by_position_when_ids_differ() -> None:
    captured = {"tool_calls": [{"id": None, "index": 0, "extra_content": SIG}]}
    outgoing = [{"role": "assistant", "tool_calls": [{"id": "generated", "function": {}}]}]
    restore_extra_content(outgoing, [captured])
    assert outgoing[0]["tool_calls"][0]["extra_content"] == SIG  # type: ignore[index]


def test_old_wire_module_still_works_and_warns() -> None:
    import vertex_openai.gemini
    import vertex_openai.transport
    import vertex_openai.wire as wire

    for name in wire.__all__:
        wire.__dict__.pop(name, None)
        with pytest.warns(DeprecationWarning, match=f"wire.{name} moved"):
            value = getattr(wire, name)
        home = getattr(vertex_openai.gemini, name, None)
        if home is None:
            home = getattr(vertex_openai.transport, name)
        assert value is home
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert getattr(wire, name) is home  # warned once per name
    with pytest.raises(AttributeError):
        _ = wire.nothing_here


def _step(*calls: dict[str, object]) -> dict[str, object]:
    return {"role": "assistant", "content": None, "tool_calls": list(calls)}


def _call(call_id: str, signature: str | None = None) -> dict[str, object]:
    call: dict[str, object] = {"id": call_id, "type": "function", "function": {"name": "f"}}
    if signature:
        call["extra_content"] = {"google": {"thought_signature": signature}}
    return call


def test_placeholders_on_the_current_turns_unsigned_steps_only() -> None:
    from vertex_openai.gemini import PLACEHOLDER_SIGNATURE, sign_unsigned_tool_calls

    earlier = _step(_call("old"))
    unsigned = _step(_call("a"), _call("b"))
    signed = _step(_call("c", "cmVhbA=="))
    second_signed = _step(_call("d"), _call("e", "cmVhbDI="))
    messages = [
        {"role": "user", "content": "before"},
        earlier,
        {"role": "tool", "tool_call_id": "old", "content": "1"},
        {"role": "user", "content": "now"},
        unsigned,
        {"role": "tool", "tool_call_id": "a", "content": "2"},
        signed,
        second_signed,
    ]
    assert sign_unsigned_tool_calls(messages) == 1
    calls = unsigned["tool_calls"]
    assert calls[0]["extra_content"] == {"google": {"thought_signature": PLACEHOLDER_SIGNATURE}}  # type: ignore[index]
    assert "extra_content" not in calls[1]  # type: ignore[index]  # the first call of a step only
    assert "extra_content" not in earlier["tool_calls"][0]  # type: ignore[index]  # not checked
    assert signed["tool_calls"][0]["extra_content"]["google"]["thought_signature"] == "cmVhbA=="  # type: ignore[index]
    assert "extra_content" not in second_signed["tool_calls"][0]  # type: ignore[index]
    assert sign_unsigned_tool_calls(messages) == 0  # idempotent


@pytest.mark.parametrize(
    ("model", "validates"),
    [
        ("google/gemini-3-pro-preview", True),
        ("gemini-3-flash", True),
        ("google/gemini-3.1-flash-lite-preview", True),
        ("google/gemini-2.5-flash", False),
        ("meta/llama-3.3-70b-instruct-maas", False),
        (None, False),
    ],
)
def test_which_models_validate_signatures(model: str | None, validates: bool) -> None:
    from vertex_openai.gemini import validates_signatures

    assert validates_signatures(model) is validates
