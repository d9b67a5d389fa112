"""Robustness to a background paragraph: each labelled question asked after a paragraph about the
asker, as a user pastes context before asking ("我们是一家连锁超市…请问：腾讯会做ERP吗？").

In: an engine and labelled questions. Out: the metrics (:func:`qa.evaluate.metrics`) of the
questions as written, with a background paragraph in front (Chinese before a Chinese question,
English before an English one), and the same with the long-message rule off
(:func:`qa.engine.focus_question`: the whole message searched). ``python -m qa eval
--background`` prints them; a benchmark, not a test.

The two paragraphs are about an asker's own company and its IT plans, in the interview's world
(members, mini programs, budgets, building in-house or partnering), written once and not tuned.
"""

from __future__ import annotations

import copy
from dataclasses import replace

BACKGROUND = {
    "zh": ("我们是一家区域性的连锁超市，门店有两百多家，过去几年一直在做会员系统和线上小程序，"
           "最近管理层在讨论明年的信息化预算，大家意见不太一致，有人主张全部自己开发，有人主张找大厂合作。"),
    "en": ("We are a mid-sized logistics company with about forty warehouses, and over the past two "
           "years we have been moving our order tracking and customer service systems online. Our "
           "board is now debating next year's IT budget and whether to build things in-house or "
           "partner with a big platform."),
}


def with_background(items):
    """*items* with the background paragraph of their language in front of each question."""
    return [replace(i, question=BACKGROUND["en" if i.lang == "en" else "zh"]
                    + ("" if i.lang != "en" else " ") + i.question) for i in items]


def robustness(engine, items, mode: str = "hybrid") -> dict[str, dict]:
    """The metrics of *items* as written, with a background paragraph in front, and with it but
    the long-message rule off (on a copy of *engine*: never swap state on one that may serve)."""
    from qa.evaluate import evaluate

    whole = copy.copy(engine)
    whole.focus_long_messages = False
    pasted = with_background(items)
    return {"as written": evaluate(engine, items, mode=mode).metrics,
            "after a background paragraph": evaluate(engine, pasted, mode=mode).metrics,
            "after a background paragraph, searched whole": evaluate(whole, pasted,
                                                                     mode=mode).metrics}


def table(runs: dict[str, dict]) -> str:
    """:func:`robustness`'s runs as a Markdown table."""
    lines = ["| questions | Recall@1 | out-of-scope declined | in-scope declined |",
             "|---|---|---|---|"]
    lines += [f"| {name} | {m['recall@1']:.3f} | {m['oos_declined']}/{m['n_oos']} | "
              f"{m['inscope_declined']}/{m['n_inscope']} |" for name, m in runs.items()]
    return "\n".join(lines)
