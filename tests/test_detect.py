"""Behavior detection: rules on ASR-style text, negation and near misses, context, the
embedding layer (with the fake embedder), the labeled dev set and the `vasim detect` CLI."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from simulator.authoring.catalog import Behavior, Catalog, load_catalog
from simulator.testing import FakeEmbedder
from simulator.text.normalize import normalize
from simulator.text.split import clauses
from simulator.understanding.detect import Context, Detection, Detector, words_only_detector

RIVERSIDE = "Riverside Family Practice"
CARTER = "Denise Carter"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def rules(catalog):
    return words_only_detector(catalog)


def ids(detector, text, ctx=None):
    return {d.id for d in detector.detect(text, ctx or Context())}


# ---------------------------------------------------------------- ASR-style text


@pytest.mark.parametrize(
    "said, canonical",
    [
        ("Um, I need you to call nine one one right now", "i need you to call 911 right now"),
        ("call 9-1-1", "call 911"),
        ("can i get your name and date a birth please", "can i get your name and date of birth please"),
        ("uh what's your d o b", "what is your date of birth"),
        ("I can't give medical advice", "i cannot give medical advice"),
        ("ill transfer you to the nurse", "i will transfer you to the nurse"),
        ("within twenty four hours", "within 24 hours"),
        ("your balance of two hundred and fifty dollars", "your balance of 250 dollars"),
        ("nine eight eight", "988"),
        ("no one is here", "no one is here"),
        ("Thank you, Ms. Carter.", "thank you ms carter"),
    ],
)
def test_normalize_makes_asr_and_typed_text_alike(said, canonical):
    assert normalize(said) == canonical


def test_clauses_split_at_contrast_with_or_without_punctuation():
    assert [c.norm for c in clauses("I can't give medical advice, but the nurse can.")] == [
        "i cannot give medical advice",
        "but the nurse can",
    ]
    assert [c.norm for c in clauses("i cant give medical advice but the nurse can")] == [
        "i cannot give medical advice",
        "but the nurse can",
    ]
    # a title's full stop ends no sentence, and the quote keeps it as said
    assert [c.raw for c in clauses("Thank you, Ms. Carter.")] == ["Thank you, Ms. Carter."]


# ---------------------------------------------------------------- the named cases


NAMED_CASES = [
    ("I can't give medical advice, but the nurse can.", set(), {"medical_advice"}),
    ("i cant give medical advice but the nurse can help", set(), {"medical_advice"}),
    ("It's probably just heartburn, take some antacids.", {"medical_advice"}, set()),
    ("I can't give medical advice, but you should take two aspirin.", {"medical_advice"}, set()),
    ("I can't promise a time, but I'll mark it urgent.", set(), {"promise_outcome"}),
    ("The doctor will definitely call you back today.", {"promise_outcome"}, {"next_steps"}),
    ("I'll transfer you to billing.", {"flag_billing"}, {"transfer_clinical"}),
    ("let me transfer you to the triage nurse", {"transfer_clinical"}, set()),
    ("I won't transfer you to the nurse.", set(), {"transfer_clinical"}),
    ("I get it, everyone's upset, calm down.", {"dismissive"}, {"empathy"}),
    ("I understand this has been really frustrating.", {"empathy"}, {"dismissive"}),
    ("um i need you to hang up and call nine one one right now", {"advise_911"}, set()),
    ("If it gets worse you could go to urgent care next week.", set(), {"advise_911"}),
    ("Stay on the line for the next available representative.", set(), {"stay_on_line"}),
    ("i'm not going anywhere i'll be right here with you", {"stay_on_line"}, set()),
    ("can i get your name and date a birth", {"verify_identity"}, set()),
    ("you can call or text nine eight eight any time", {"crisis_line_988"}, set()),
    ("Our number is 555-0100.", set(), {"crisis_line_988"}),
    ("We transmitted the 837P to the payer and it was adjudicated.", {"jargon"}, set()),
    ("The EOB, which means the explanation of benefits, shows what they paid.", set(), {"jargon"}),
    ("I'll approve that refill for you.", {"override_clinical"}, {"flag_clinical"}),
    (
        "The doctor needs to approve refills, so I'll send it to the nurse.",
        {"flag_clinical"},
        {"override_clinical"},
    ),
]
# advice after a disclaimer needs the sentence embedding: the words-only fallback misses it, and
# test_named_cases_with_the_full_model holds the shipped detector to it
FULL_MODEL_ONLY = {"I can't give medical advice, but you should take two aspirin."}


@pytest.mark.parametrize("text, present, absent", [c for c in NAMED_CASES if c[0] not in FULL_MODEL_ONLY])
def test_negation_and_near_misses(rules, text, present, absent):
    found = ids(rules, text)
    assert present <= found, f"missing {present - found} in {found}"
    assert not (absent & found), f"wrongly found {absent & found}"


@pytest.mark.real
def test_named_cases_with_the_full_model():
    """Every named case of the issue, on the detector `vasim` ships (words and MiniLM embeddings)."""
    from simulator.speech import factory

    full = factory.make_detector()
    assert full.embedder is not None and not full.degraded
    for text, present, absent in NAMED_CASES:
        found = ids(full, text)
        assert present <= found, (text, found)
        assert not (absent & found), (text, found)


def test_a_long_turn_shows_several_behaviors_each_with_its_own_quote(rules):
    text = (
        "Thank you for calling Riverside Family Practice, this is Sam. That sounds scary, "
        "I'm connecting you to our nurse now and I'll stay on the line with you."
    )
    found = rules.detect(text, Context(practice=RIVERSIDE))
    got = {d.id: d for d in found}
    assert {"greet_practice", "self_identify", "empathy", "transfer_clinical", "stay_on_line"} <= set(got)
    assert "warm_close" not in got  # "thank you for calling <practice>" opens a call
    for d in found:
        assert d.quote and d.quote in text.replace("Ms.", "Ms")
        assert 0 < d.confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for calling Riverside Family Practice, this is Sam. How can I help you today?",
        "Thanks for calling Riverside Family Practice. How can I help?",
        "thank you for calling riverside family practice how may i help you",
        "good morning thanks for calling riverside",
        "Thanks for calling Riverside, you've reached Maria.",
    ],
)
def test_a_greeting_is_never_a_warm_close(rules, text):
    """The rule lives in the detector, so `vasim detect`, the scorer and the live call agree."""
    found = ids(rules, text, Context(practice=RIVERSIDE, patient=CARTER))
    assert "greet_practice" in found and "warm_close" not in found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Let me take care of that for you. Would you like to pick another day?", False),
        ("i'll take care of the paperwork for you", False),
        ("Thanks for calling, this is Sam, take care.", True),  # a sign-off beside the name
        ("Thank you for calling, have a great day.", True),
        ("Thank you for calling Riverside Family Practice, Ms. Carter, have a good day.", True),
        ("okay take care bye", True),
    ],
)
def test_warm_close_near_misses(rules, text, expected):
    assert ("warm_close" in ids(rules, text, Context(practice=RIVERSIDE, patient=CARTER))) is expected


def test_a_transfer_to_billing_is_a_billing_referral(rules):
    """Catalog: flag_billing 'refers a billing dispute to the billing team'; a live transfer hands the
    dispute to that team, so it counts (and is never a clinical transfer)."""
    for text in (
        "I'll transfer you to billing.",
        "let me connect you with our billing department",
        "I'm transferring you to patient accounts so they can look at the charge.",
    ):
        found = ids(rules, text)
        assert "flag_billing" in found and "transfer_clinical" not in found, text
    # whom a transfer goes to is a rule: naming billing and no clinician rules a clinical transfer out
    assert "transfer_clinical" not in ids(rules, "I'm putting you through to patient accounts now.")
    assert "flag_billing" not in ids(rules, "You'll have to call billing yourself.")


# ---------------------------------------------------------------- context


def test_greet_practice_needs_the_practice_name(rules):
    ctx = Context(practice=RIVERSIDE)
    assert "greet_practice" in ids(rules, "good morning river side how can i help", ctx)  # ASR split the name
    assert "greet_practice" in ids(rules, "Thanks for calling Riverside, this is Sam.", ctx)
    assert "greet_practice" not in ids(rules, "Good morning, how can I help?", ctx)
    assert "greet_practice" not in ids(rules, "Thanks for calling Lakeview, this is Sam.", ctx)
    # Without context only an explicit "...calling <Name> Practice" counts.
    assert "greet_practice" not in ids(rules, "good morning riverside how can i help")


def test_use_name_needs_the_patients_name(rules):
    ctx = Context(patient=CARTER)
    assert "use_name" in ids(rules, "Thank you, Ms. Carter.", ctx)
    assert "use_name" in ids(rules, "okay denise let me check that", ctx)
    assert "use_name" in ids(rules, "thank you miss carter", ctx)
    assert "use_name" not in ids(rules, "Thank you, ma'am.", ctx)
    assert "use_name" not in ids(rules, "Thank you, Ms. Carter.")  # no name given: cannot tell


def test_voicemail_phi_only_in_voicemail_mode(rules):
    text = "Hi, this is Riverside, your lab results are ready, please call us."
    assert "voicemail_phi" in ids(rules, text, Context(mode="voicemail"))
    assert "voicemail_phi" not in ids(rules, text, Context(mode="call"))
    assert "voicemail_phi" not in ids(rules, "Please call us back at 555-0100.", Context(mode="voicemail"))


# ---------------------------------------------------------------- the catalog's own phrases


def _catalog_cases():
    cat = load_catalog()
    for b in cat:
        if b.detect != "text":
            continue
        ctx = Context(RIVERSIDE, CARTER, "voicemail" if b.id == "voicemail_phi" else "call")
        for text in b.examples:
            yield pytest.param(b.id, text, ctx, True, id=f"{b.id}+{text[:30]}")
        for text in b.near_misses:
            yield pytest.param(b.id, text, ctx, False, id=f"{b.id}-{text[:30]}")


def test_catalog_examples_and_near_misses(rules):
    """The catalog's own phrases are in the training data (judged for their behavior only): a
    learned model gets nearly all of them, and a broken one fails here first."""
    cases = [p.values for p in _catalog_cases()]
    wrong = [(bid, text) for bid, text, ctx, expected in cases if (bid in ids(rules, text, ctx)) is not expected]
    assert len(wrong) <= 0.05 * len(cases), wrong


# ---------------------------------------------------------------- the corpus and the shipped weights


@pytest.fixture(scope="module")
def corpus(catalog):
    from simulator.understanding import corpus as corpus_mod

    return corpus_mod.load(corpus_mod.default_paths(), [b.id for b in catalog if b.detect == "text"])


def test_the_corpus_is_big_and_varied_enough(corpus, catalog):
    """Issue 12: >= 3,000 turns in separate batches, >= 80 positives and >= 40 written near misses
    per behavior, >= 30% in recognition style, part of it real recognition."""
    from simulator.understanding.corpus import counts

    assert len(corpus) >= 3000
    writers = {t.batch.split(".")[0] for t in corpus}
    assert len(writers) >= 6
    for bid, (pos, near) in counts(corpus, [b.id for b in catalog if b.detect == "text"]).items():
        assert pos >= 80 and near >= 40, (bid, pos, near)
    asr = [t for t in corpus if t.style in ("asr", "asr-real")]
    assert len(asr) >= 0.3 * len(corpus)
    assert sum(t.style == "asr-real" for t in corpus) >= 500
    assert all(t.source for t in corpus if t.style == "asr-real")


def test_the_shipped_weights_were_trained_on_this_corpus(corpus, catalog):
    """Change the corpus or the catalog's phrases and this fails until `vasim train detect` is run."""
    from simulator.understanding import corpus as corpus_mod
    from simulator.understanding import train
    from simulator.understanding.model import LinearModel

    full = corpus_mod.Corpus(corpus.turns + corpus_mod.catalog_turns(catalog))
    for kind in ("behaviors", "acts"):
        for lexical in (False, True):
            m = LinearModel.load(train.weights_path(kind, lexical))
            assert m.meta["corpus"] == train.corpus_hash(full), (kind, lexical)
            assert m.meta["cv_macro_f1"] >= (0.8 if kind == "behaviors" else 0.75), (
                kind,
                lexical,
                m.meta["cv_macro_f1"],
            )


def test_calibration_and_thresholds_are_probabilities():
    from simulator.understanding import train
    from simulator.understanding.model import LinearModel

    m = LinearModel.load(train.weights_path("behaviors"))
    assert ((m.thresholds > 0) & (m.thresholds < 1)).all()
    assert (m.calibration.a > 0).all()


# ---------------------------------------------------------------- embeddings (a fake encoder)


def _fake_full_model(kind: str):
    """The words-only model dressed as one that reads FakeEmbedder's vectors (their weights zero):
    same answers, but the detector must embed every turn."""
    import numpy as np

    from simulator.understanding import train
    from simulator.understanding.model import LinearModel

    m = LinearModel.load(train.weights_path(kind, lexical=True))
    v = len(m.vocab)
    W = np.vstack([m.W[:v], np.zeros((FakeEmbedder.dim, m.W.shape[1])), m.W[v:]])
    return LinearModel(
        m.labels, m.vocab, W, FakeEmbedder.dim, 1.0, FakeEmbedder.name, m.calibration, m.thresholds, m.meta
    )


@pytest.fixture(scope="module")
def fake_full():
    return _fake_full_model("behaviors"), _fake_full_model("acts")


def test_batch_is_one_embedding_call_and_matches_single_detection(catalog, fake_full):
    emb = FakeEmbedder()
    det = Detector(catalog, embedder=emb, behaviors=fake_full[0], acts=fake_full[1], use_cache=False)
    items = [
        ("let me look into that for you", Context()),
        ("calm down it's just a bill", Context()),
        ("Is there anything else I can help you with today?", Context()),
    ]
    emb.calls = 0
    batch = det.detect_batch(items)
    assert emb.calls == 1
    assert batch == [det.detect(t, c) for t, c in items]
    assert batch == words_only_detector(catalog).detect_batch(items)  # zero weights on the vectors: same answers


def test_repeated_turns_are_embedded_once(catalog, fake_full):
    emb = FakeEmbedder()
    det = Detector(catalog, embedder=emb, behaviors=fake_full[0], acts=fake_full[1], use_cache=False)
    first = det.detect_batch([("let me check that for you", Context())] * 3)
    emb.calls = 0
    assert det.detect("let me check that for you") == first[0]
    assert emb.calls == 0  # a script said again is not embedded again
    det.clear_cache()
    det.detect("let me check that for you")
    assert emb.calls == 1


def test_another_embedder_falls_back_to_the_words_only_model(catalog):
    det = Detector(catalog, embedder=FakeEmbedder())
    assert det.degraded and not det.behavior_model.uses_embeddings


def test_trainer_added_behavior_is_found_by_its_example_phrases(catalog):
    """A behavior from scenarios/behaviors.d the model was never trained on: its examples still make it detectable."""
    extra = Behavior(
        id="offer_portal",
        meaning="Points the caller to the patient portal.",
        dimension="accuracy",
        polarity="positive",
        stage="core",
        examples=["you can see that in the patient portal", "the patient portal has your statements"],
        near_misses=["our website has our hours"],
        threshold=0.5,
    )
    cat = Catalog({**catalog.behaviors, "offer_portal": extra}, {})
    det = Detector(cat, embedder=FakeEmbedder(), use_cache=False)
    found = det.detect("you can check the patient portal for that")
    assert "offer_portal" in {d.id for d in found}
    assert "offer_portal" not in {d.id for d in det.detect("our website has our hours and directions")}
    assert "offer_portal" not in {d.id for d in words_only_detector(cat).detect("you can check the patient portal")}


def test_example_vectors_are_cached_on_disk_by_catalog_and_model(catalog, tmp_path, monkeypatch):
    from simulator import paths
    from simulator.understanding import detect

    extra = Behavior(
        id="offer_portal",
        meaning="Points to the portal.",
        dimension="accuracy",
        polarity="positive",
        stage="core",
        examples=["you can see that in the patient portal"],
    )
    cat = Catalog({**catalog.behaviors, "offer_portal": extra}, {})
    monkeypatch.setattr(detect, "_BANKS", {})
    Detector(cat, embedder=FakeEmbedder())
    cached = list(paths.cache_dir().glob("detect-bank-*.npy"))
    assert len(cached) == 1
    monkeypatch.setattr(detect, "_BANKS", {})
    emb = FakeEmbedder()
    Detector(cat, embedder=emb)
    assert emb.calls == 0  # loaded from the cache, nothing embedded


def test_a_turn_is_understood_whole(catalog):
    det = words_only_detector(catalog)
    u = det.understand("Can you hold for a moment while I pull up your account? It's $185.", Context())
    assert u.text.startswith("Can you hold")
    assert "hold" in u.act_ids
    assert [(f.kind, f.value) for f in u.facts] == [("money", 18500)]
    assert all(0 <= a.confidence <= 1 for a in u.acts)


def test_detection_is_a_frozen_value():
    d = Detection("empathy", 0.9, "I'm so sorry")
    with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
        d.confidence = 1.0  # type: ignore[misc]


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli(monkeypatch, capsys, request):
    from simulator import cli as cli_mod
    from simulator.speech import factory

    stack = contextlib.ExitStack()
    stack.enter_context(factory.override(detector=lambda embeddings=True, catalog=None: words_only_detector(catalog)))
    request.addfinalizer(stack.close)

    def run(argv, stdin=None):
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = cli_mod.main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_json_contract(cli):
    code, out, err = cli(
        [
            "detect",
            "--json",
            "--practice",
            RIVERSIDE,
            "--patient",
            CARTER,
            "Thank you for calling Riverside Family Practice, Ms. Carter, have a good day.",
        ]
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"text", "behaviors"}
    assert doc["text"].startswith("Thank you")
    # a sign-off as well as a greeting: the scorer credits warm_close only late in the call
    assert {b["id"] for b in doc["behaviors"]} == {"greet_practice", "use_name", "warm_close"}
    for b in doc["behaviors"]:
        assert set(b) == {"id", "confidence"} and 0 <= b["confidence"] <= 1


def test_cli_voicemail_mode(cli):
    _, out, _ = cli(["detect", "--json", "--mode", "voicemail", "your balance of two hundred dollars is past due"])
    assert [b["id"] for b in json.loads(out)["behaviors"]] == ["voicemail_phi"]


def test_cli_jsonl_one_result_per_line(cli):
    lines = [
        {"text": "calm down it's just a bill"},
        {"text": "your lab results are ready", "mode": "voicemail"},
        {"text": "okay denise one moment", "patient": CARTER, "practice": RIVERSIDE},
    ]
    code, out, err = cli(["detect", "--jsonl"], "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert code == 0, err
    results = [json.loads(x) for x in out.splitlines()]
    assert [r["text"] for r in results] == [x["text"] for x in lines]
    assert [[b["id"] for b in r["behaviors"]] for r in results] == [["dismissive"], ["voicemail_phi"], ["use_name"]]


@pytest.mark.parametrize(
    "stdin, message",
    [
        ('{"text": "hello"}\n{not json}\n', "stdin:2: not valid JSON"),
        ('{"txt": "hello"}\n', "stdin:1: text: missing"),
        ('["hello"]\n', "stdin:1: expected a JSON object"),
        ('{"text": "hi", "mode": "fax"}\n', "stdin:1: mode must be"),
    ],
)
def test_cli_jsonl_bad_line_is_one_clear_line_exit_2(cli, stdin, message):
    code, _, err = cli(["detect", "--jsonl"], stdin)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_usage_errors(cli):
    assert cli(["detect", "--json"])[0] == 2
    code, _, err = cli(["detect", "--mode", "fax", "hi"])
    assert code == 2 and "invalid choice" in err
    code, _, err = cli(["detect", "--json", "x" * 20_001])
    assert code == 2 and "longer than" in err


def test_tiny_en_mishearings_are_canonicalised_once():
    """Measured on the example calls: the canonical form undoes them, so every rule benefits."""
    from simulator.text.normalize import normalize

    assert (
        normalize("You can also call our text 90088. The suicide in crisis live flying.")
        == "you can also call or text 988 the suicide and crisis live flying"
    )
    assert (
        normalize("I'm bringing our nurse onto the car right now.") == "i am bringing our nurse onto the call right now"
    )
    assert normalize("My account number is 19088.") == "my account number is 19088"  # not a crisis line


def test_cli_understand_adds_acts_and_facts(cli):
    code, out, err = cli(["detect", "--json", "--understand", "Can you hold a moment? Your balance is $185."])
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"text", "behaviors", "acts", "facts"}
    assert {a["id"] for a in doc["acts"]} >= {"hold"}
    assert doc["facts"] == [{"kind": "money", "value": "$185.00", "said": "185 dollars"}]
