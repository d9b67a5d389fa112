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
    # 86.0% / 5.2% now: the blind batches q925-q1084, q1485-q1564 and q1565-q1644 brought
    # harder off-topic questions, in the interview's own vocabulary (the set changed, not the
    # engine; 87.4% before q1485-q1564, 84.5% after it until questions were embedded in
    # Simplified script, 86.5% before q1565-q1644)
    assert m["oos_declined_rate"] >= 0.82
    assert m["inscope_declined_rate"] <= 0.08
    # the confidence is the chance that the top answer is right (0.033 now; 0.087 before the
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


def test_one_slip_per_question_costs_little(real_engine):
    """qa/typos.py on the held-out questions, one slip each on a word of the interview; Recall@1
    clean / not corrected / corrected now: Chinese 0.880 / 0.845 / 0.875, English 0.845 / 0.787 /
    0.855."""
    from qa.typos import robustness

    runs = robustness(real_engine, load_questions(split="test"))
    for language, least in (("Chinese", 200), ("English", 100)):
        n, by_run = runs[language]
        assert n >= least
        clean, off, on = by_run["clean"], by_run["slip, not corrected"], by_run["slip, corrected"]
        assert on["recall@1"] >= clean["recall@1"] - 0.03, language
        assert on["recall@1"] > off["recall@1"], language
        assert on["inscope_declined"] <= clean["inscope_declined"] + 6, language
