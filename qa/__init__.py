"""Ask the May 2019 Yicai interview with 湯道生 (Dowson Tong, Tencent CSIG) a question.

    >>> import qa
    >>> result = qa.ask("腾讯会自己做ERP吗")
    >>> result["answered"], result["hits"][0]["pair_id"]

:func:`ask` returns exactly the JSON object ``python -m qa ask --json`` prints. The engine (model,
indexes) is created on first use and reused; heavy libraries are imported only then.
"""

from __future__ import annotations

__all__ = ["ask"]


def ask(question: str, top_k: int = 5, *, mode: str = "hybrid") -> dict:
    """Answer *question* from the interview; see :mod:`qa.engine` for the fields.

    An empty question returns ``answered: False`` with no hits; it does not raise.
    """
    from qa.engine import Answer, clean_question, default_engine

    if not clean_question(question)[0]:
        return Answer(question="", answered=False, confidence=0.0, hits=(),
                      notice="the question is empty", mode=mode).to_dict()
    return default_engine().ask(question, top_k=top_k, mode=mode).to_dict()
