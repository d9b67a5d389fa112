"""Quality floors on the labelled questions (default model). Floors sit a little under the measured
numbers in README.md so that a real regression fails, not noise; the held-out test split is the one
that counts (calibration only ever sees dev). Lowered by one to two points when the set grew by
the deliberately harder q605–q684 (the set changed, not the engine)."""

from qa.evaluate import evaluate, load_questions


def test_quality_floor_all_questions(real_engine):
    m = evaluate(real_engine, load_questions(split="all")).metrics
    assert m["n_inscope"] >= 480 and m["n_oos"] >= 190
    assert m["recall@1"] >= 0.85
    assert m["recall@3"] >= 0.93
    assert m["mrr"] >= 0.90


def test_quality_floor_held_out_split(real_engine):
    m = evaluate(real_engine, load_questions(split="test"), split="test").metrics
    assert m["recall@1"] >= 0.83
    assert m["recall@1_by_lang"]["en"] >= 0.80
    # 86.2% / 6.4% now: the two newest blind batches (q925-q1084) brought harder off-topic
    # questions, in the interview's own vocabulary (the set changed, not the engine)
    assert m["oos_declined_rate"] >= 0.85
    assert m["inscope_declined_rate"] <= 0.08
    # the confidence is the chance that the top answer is right (0.051 now; 0.087 before the
    # Platt rescaling, when it was the chance of being in scope)
    assert m["calibration_error"] <= 0.07


def test_labelled_set_shape():
    items = load_questions()
    assert len(items) >= 150
    assert len({i.id for i in items}) == len(items)  # ids unique
    assert len({" ".join(i.question.split()) for i in items}) == len(items)  # no repeated text
    langs = {i.lang for i in items}
    assert langs == {"zh-Hans", "zh-Hant", "en"}
    pairs = {i.expected for i in items if i.expected}
    assert pairs == {f"p{n:02d}" for n in range(1, 14)}
    assert {i.split for i in items} == {"dev", "test"}


def test_one_homophone_slip_per_question_costs_little(real_engine):
    """qa/typos.py: the held-out Chinese questions with one pinyin slip each on an interview
    term (0.860 / 0.804 / 0.856 Recall@1 clean / not corrected / corrected now)."""
    from qa.typos import robustness

    n, runs = robustness(real_engine, load_questions(split="test"))
    assert n >= 200
    clean, off, on = runs["clean"], runs["slip, not corrected"], runs["slip, corrected"]
    assert on["recall@1"] >= clean["recall@1"] - 0.02
    assert on["recall@1"] >= off["recall@1"] + 0.03
    assert on["inscope_declined"] <= clean["inscope_declined"] + 6
