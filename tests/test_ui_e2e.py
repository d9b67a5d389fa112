"""The served app, end to end: ``gradio_client`` against a live server on a free local port."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.engine import Engine

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Exploding:
    """The real engine, except that a question containing "boom" raises."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, top_k=5, mode="hybrid", previous=None):
        if "boom" in (question or ""):
            raise RuntimeError("index on fire")
        return self._engine.ask(question, top_k=top_k, mode=mode, previous=previous)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.create(model="hashing", cache_dir=tmp_path_factory.mktemp("hashing"))


@pytest.fixture(scope="module")
def url(engine):
    from ui.app import build_app, launch

    demo = build_app(lambda: Exploding(engine))
    yield launch(demo, host="127.0.0.1", port=free_port())
    demo.close()


@pytest.fixture(scope="module")
def client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_ask_endpoint_returns_the_qa_ask_json(client, engine):
    for question in ("腾讯会自己做ERP吗", "What does Tencent look for in talent?"):
        got = client.predict(question, 5, api_name="/ask")
        assert got == engine.ask(question, top_k=5).to_dict()
    got = client.predict("騰訊雲", 2, api_name="/ask")
    assert len(got["hits"]) == 2 and set(got) >= {"answered", "confidence", "hits", "language"}


def test_ask_endpoint_is_documented(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert "/ask" in api["named_endpoints"] and "/follow_up" in api["named_endpoints"]
    # /ask keeps exactly its two inputs: a plain REST call sends every input
    assert [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]] == [
        "question", "top_k"]


def test_the_page_is_served_with_its_labels_in_each_language(url):
    """launch() hands the page's gr.I18n to Gradio: the config the browser loads carries every
    locale's strings, and each label on the page is a key that has them."""
    import json
    import re

    with urllib.request.urlopen(url.rstrip("/") + "/config", timeout=30) as r:
        config = json.load(r)
    translations = config["i18n_translations"]
    assert set(translations) == {"en", "zh-CN", "zh", "zh-TW", "zh-HK"}
    used = set(re.findall(r'key\\?": ?\\?"(ui_\w+)', json.dumps(config["components"])))
    assert len(used) >= 20 and {"ui_tab_ask", "ui_welcome", "ui_ask"} <= used
    from ui.i18n import SCRIPT_KEYS

    for strings in translations.values():  # and the labels that a page script shows
        assert set(strings) == used | set(SCRIPT_KEYS)
    assert translations["zh-CN"]["ui_clear"] == "清空对话"
    assert translations["en"]["ui_clear"] == "Clear chat"


def test_a_plain_gradio_launch_shows_the_labels_too(engine):
    """``build_app(...).launch()``, the usual Gradio call, not only ui.app.launch: the labels are
    strings, not their keys."""
    import json

    from ui.app import build_app

    demo = build_app(lambda: engine)
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                quiet=True)
    try:
        with urllib.request.urlopen(demo.local_url.rstrip("/") + "/config", timeout=30) as r:
            translations = json.load(r)["i18n_translations"]
        assert translations and translations["en"]["ui_tab_ask"] == "Ask"
    finally:
        demo.close()


def test_follow_up_endpoint_passes_the_previous_question(client, engine):
    q, prev = "他这样划边界的理由是什么", "腾讯会自己做ERP吗"
    got = client.predict(q, prev, 3, api_name="/follow_up")
    assert got == engine.ask(q, top_k=3, previous=prev).to_dict()
    assert "read_with" in got


def test_empty_question_is_a_normal_unanswered_result(client):
    got = client.predict("", 5, api_name="/ask")
    assert got["answered"] is False and got["hits"] == [] and got["notice"]


def test_concurrent_users_and_one_users_error_stays_theirs(url, engine):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    questions = ["騰訊的中臺", "boom", "Tencent Cloud", "人才標準", "ERP", "boom", "to B"]

    def ask(q):
        client = Client(url, verbose=False)  # one session per user
        try:
            return q, client.predict(q, 3, api_name="/ask"), None
        except AppError as exc:  # the failed call, with the app's message
            return q, None, exc

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        results = list(pool.map(ask, questions))
    for q, got, exc in results:
        if q == "boom":
            assert got is None and "something went wrong" in str(exc)
        else:
            assert exc is None and got == engine.ask(q, top_k=3).to_dict()
    # and the server still serves afterwards
    assert Client(url, verbose=False).predict("ERP", 1, api_name="/ask")["hits"]


def serve(tmp_path, *args):
    """``python -m ui *args`` on the hashing model and a free port: (process, page HTML); the
    caller terminates the process."""
    port = free_port()
    env = {**os.environ, "QA_MODEL": "hashing", "QA_CACHE_DIR": str(tmp_path / "cache"),
           "PORT": str(port), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "ui", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, line = time.monotonic() + 60, ""
    while time.monotonic() < deadline and "Running on" not in line:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, proc.stderr.read()
    assert f"http://127.0.0.1:{port}/" in line
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        assert resp.status == 200
        return proc, resp.read().decode("utf-8")


def stop(proc) -> str:
    proc.terminate()
    proc.wait(timeout=20)
    return proc.stderr.read()


def test_python_m_ui_binds_localhost_and_prints_the_url(tmp_path):
    proc, html = serve(tmp_path)
    try:
        assert "湯道生" in html and "騰訊的用戶中臺能幫企業識別哪些用戶?" in html  # a starter
    finally:
        log = stop(proc)
    assert "parsed 13 question/answer pairs" in log


def test_another_interview_is_served_without_the_bundled_header_or_examples(tmp_path):
    path = tmp_path / "town-hall.jsonl"
    path.write_text('{"question": "What about AI?", "answer": "AI is central to our plans."}\n',
                    encoding="utf-8")
    proc, html = serve(tmp_path, "--interview", str(path))
    try:
        assert "town-hall.jsonl" in html and "Ask the interview" in html
        for bundled in ("湯道生", "Yicai", "Tencent", "騰訊", "腾讯"):
            assert bundled not in html
    finally:
        log = stop(proc)
    assert "parsed 1 question/answer pairs from town-hall.jsonl" in log
