"""What the Python API and the environment do with bad input: a clear error naming the fix, raised
before any model loads (so these tests are fast), and the documented no-raise cases kept."""

import pytest

import qa
from qa import config
from qa.errors import ModelUnavailableError, QAError


@pytest.mark.parametrize("question", [123, 4.5, ["腾讯会自己做ERP吗"], {"q": "ERP"}])
def test_a_question_that_is_not_a_string_is_a_type_error(question):
    with pytest.raises(TypeError, match=r"must be a string \(str\), not " + type(question).__name__):
        qa.ask(question)


def test_bytes_are_refused_with_how_to_decode_them():
    with pytest.raises(TypeError, match=r"decode\('utf-8'\)"):
        qa.ask("腾讯会自己做ERP吗".encode())


@pytest.mark.parametrize("question", [None, "", "   ", "\x00\t"])
def test_an_empty_question_is_not_answered_and_does_not_raise(question):
    got = qa.ask(question)
    assert got["answered"] is False and got["hits"] == [] and got["notice"]


def test_an_unknown_mode_is_refused_even_for_an_empty_question():
    with pytest.raises(ValueError, match="hybrid, dense, lexical, sparse"):
        qa.ask("", mode="fuzzy")


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), ("  ", None), ("3", 3),
                                             (" 2 ", 2)])
def test_qa_threads_accepts_whole_numbers(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("QA_THREADS", raising=False)
    else:
        monkeypatch.setenv("QA_THREADS", value)
    assert config.threads() == expected


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.5", "two"])
def test_qa_threads_refuses_anything_else_like_a_bad_qa_backend(monkeypatch, value):
    monkeypatch.setenv("QA_THREADS", value)
    with pytest.raises(ModelUnavailableError, match="QA_THREADS=2") as info:
        config.threads()
    assert isinstance(info.value, QAError) and repr(value) in str(info.value)


def test_both_backends_and_every_model_see_the_same_qa_threads(monkeypatch, tmp_path):
    pytest.importorskip("onnxruntime")
    from index import onnx_backend
    from index.embedding import load_encoder

    monkeypatch.setenv("QA_THREADS", "3")
    assert onnx_backend.default_threads() == 3
    monkeypatch.setenv("QA_THREADS", "abc")
    with pytest.raises(ModelUnavailableError, match="QA_THREADS"):
        onnx_backend.default_threads()
    with pytest.raises(ModelUnavailableError, match="QA_THREADS"):  # before any fallback
        load_encoder("hashing", cache_dir=tmp_path)
