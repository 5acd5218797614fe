"""Model files: CTranslate2 parsing, exact conversion to openai-whisper, split-model assembly."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from simulator.errors import RuntimeFailure, UserError
from simulator.speech import models


def _mini_whisper(layers: int = 2, d: int = 8, vocab: int = 20, key_bias: float = 0.0) -> models.Ct2Model:
    """A tiny but complete WhisperSpec in CTranslate2's layout (random fp16 weights)."""
    rng = np.random.default_rng(0)
    v: dict[str, np.ndarray] = {}

    def w(*shape):
        return rng.standard_normal(shape).astype(np.float16)

    def lin(name, out, inp):
        v[name + "/weight"], v[name + "/bias"] = w(out, inp), w(out)

    def ln(name):
        v[name + "/gamma"], v[name + "/beta"] = w(d), w(d)

    def fused(name, parts):
        lin(name, parts * d, d)
        v[name + "/bias"][d : 2 * d] = key_bias  # the key part of q|k|v or k|v
        if parts == 2:
            v[name + "/bias"][:d] = key_bias

    for side in ("encoder", "decoder"):
        v[f"{side}/num_heads"] = np.array(2, dtype=np.int16)
        for i in range(layers):
            p = f"{side}/layer_{i}"
            fused(p + "/self_attention/linear_0", 3)
            lin(p + "/self_attention/linear_1", d, d)
            ln(p + "/self_attention/layer_norm")
            if side == "decoder":
                lin(p + "/attention/linear_0", d, d)
                fused(p + "/attention/linear_1", 2)
                lin(p + "/attention/linear_2", d, d)
                ln(p + "/attention/layer_norm")
            lin(p + "/ffn/linear_0", 4 * d, d)
            lin(p + "/ffn/linear_1", d, 4 * d)
            ln(p + "/ffn/layer_norm")
        ln(f"{side}/layer_norm")
    v["encoder/conv1/weight"], v["encoder/conv1/bias"] = w(d, 4, 3), w(d)
    v["encoder/conv2/weight"], v["encoder/conv2/bias"] = w(d, d, 3), w(d)
    v["encoder/position_encodings/encodings"] = w(6, d)
    v["decoder/position_encodings/encodings"] = w(5, d)
    v["decoder/embeddings/weight"] = w(vocab, d)
    v["decoder/activation"] = np.array(3, dtype=np.int8)
    return models.Ct2Model(6, "WhisperSpec", 3, v, {"decoder/projection/weight": "decoder/embeddings/weight"})


def test_ct2_binary_round_trips():
    m = _mini_whisper()
    raw = models.write_ct2(m)
    back = models.read_ct2(raw)
    assert back.spec == "WhisperSpec" and back.aliases == m.aliases
    assert back.variables.keys() == m.variables.keys()
    assert back.variables["decoder/activation"].shape == ()
    assert models.write_ct2(back) == raw


def test_conversion_maps_names_and_shapes_and_inverts_exactly():
    m = _mini_whisper()
    dims, sd = models.ct2_to_openai(m)
    assert dims == {"n_mels": 4, "n_audio_ctx": 6, "n_audio_state": 8, "n_audio_head": 2, "n_audio_layer": 2,
                    "n_vocab": 20, "n_text_ctx": 5, "n_text_state": 8, "n_text_head": 2, "n_text_layer": 2}  # fmt: skip
    assert sd["encoder.blocks.1.attn.key.weight"].shape == (8, 8)
    assert "encoder.blocks.1.attn.key.bias" not in sd  # Whisper's key has no bias
    assert "decoder.blocks.0.cross_attn.value.bias" in sd
    assert sd["decoder.ln.weight"] is m.variables["decoder/layer_norm/gamma"]
    assert models.write_ct2(models.openai_to_ct2(sd, m)) == models.write_ct2(m)


def test_conversion_refuses_a_non_zero_key_bias():
    with pytest.raises(RuntimeFailure, match="key bias"):
        models.ct2_to_openai(_mini_whisper(key_bias=0.5))


def test_openai_state_dict_loads_into_whisper():
    whisper_model = pytest.importorskip("whisper.model")
    import torch

    dims, sd = models.ct2_to_openai(_mini_whisper())
    model = whisper_model.Whisper(whisper_model.ModelDimensions(**dims))
    model.load_state_dict({k: torch.from_numpy(a.astype(np.float32)) for k, a in sd.items()})  # strict


@pytest.mark.real
def test_real_tiny_en_converts_exactly(openai_whisper):
    conv = models.convert("tiny.en")  # up to date: reads the sidecar
    assert conv.exact and conv.tensors == 167
    assert conv.source_sha256 == models.manifest()["asr"]["tiny.en"]["sha256"]["model.bin"]
    import torch

    ck = torch.load(conv.path, map_location="cpu", weights_only=True)
    raw = (models.ct2_model_dir("tiny.en") / "model.bin").read_bytes()
    src = models.read_ct2(raw).variables
    q = ck["model_state_dict"]["decoder.blocks.3.attn.query.weight"].numpy()
    assert np.array_equal(q, src["decoder/layer_3/self_attention/linear_0/weight"][:384])
    assert ck["dims"]["n_vocab"] == 51864


# ---------------------------------------------------------------- assembly


def _parts(tmp_path, *chunks: bytes):
    paths = []
    for i, c in enumerate(chunks):
        p = tmp_path / f"model.bin.part{i + 1}"
        p.write_bytes(c)
        paths.append(p)
    return paths


def test_assemble_parts_concatenates_and_checks(tmp_path):
    parts = _parts(tmp_path, b"abc" * 1000, b"xyz" * 500)
    want = hashlib.sha256(b"abc" * 1000 + b"xyz" * 500).hexdigest()
    dest = models.assemble_parts(parts, tmp_path / "out" / "model.bin", want)
    assert dest.read_bytes() == b"abc" * 1000 + b"xyz" * 500
    assert list(dest.parent.iterdir()) == [dest]  # no temporary files left


def test_assemble_parts_writes_nothing_on_a_bad_checksum(tmp_path):
    parts = _parts(tmp_path, b"abc", b"def")
    with pytest.raises(RuntimeFailure, match="sha256"):
        models.assemble_parts(parts, tmp_path / "out" / "model.bin", "0" * 64)
    assert list((tmp_path / "out").iterdir()) == []


def test_assemble_parts_checks_each_part(tmp_path):
    parts = _parts(tmp_path, b"abc", b"def")
    whole = hashlib.sha256(b"abcdef").hexdigest()
    with pytest.raises(RuntimeFailure, match="part2 is corrupt"):
        models.assemble_parts(parts, tmp_path / "m.bin", whole, part_sha256=[None, "f" * 64])
    with pytest.raises(UserError, match=r"va-simulator\[base\]"):
        models.assemble_parts([parts[0], tmp_path / "missing"], tmp_path / "m.bin", whole)


@pytest.fixture
def fake_base(tmp_path, monkeypatch):
    """Two fake part packages on sys.path and a manifest that assembles them."""
    for i, chunk in ((1, b"first-half|"), (2, b"second-half")):
        pkg = tmp_path / "site" / f"fake_base_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"model.bin.part{i}").write_bytes(chunk)
    (tmp_path / "site" / "fake_base_part1" / "data" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("VASIM_MODELS", str(tmp_path / "models"))
    manifest = {
        "asr": {
            "fake": {
                "extra": "base",
                "assemble": {
                    "into": "fake-ct2",
                    "parts": [
                        {"package": "fake_base_part1", "file": "data/model.bin.part1"},
                        {"package": "fake_base_part2", "file": "data/model.bin.part2"},
                    ],
                    "copy": [{"package": "fake_base_part1", "file": "data/config.json"}],
                    "sha256": hashlib.sha256(b"first-half|second-half").hexdigest(),
                },
            }
        }
    }
    monkeypatch.setattr(models, "manifest", lambda: manifest)
    return tmp_path


def test_assemble_model_from_packages_once(fake_base):
    out = models.ct2_model_dir("fake")
    assert (out / "model.bin").read_bytes() == b"first-half|second-half"
    assert (out / "config.json").is_file()
    (fake_base / "site" / "fake_base_part2" / "data" / "model.bin.part2").unlink()
    assert models.ct2_model_dir("fake") == out  # already assembled: parts not needed again


def test_missing_part_package_says_what_to_install(fake_base):
    sys.modules.pop("fake_base_part2", None)
    import shutil

    shutil.rmtree(fake_base / "site" / "fake_base_part2")
    with pytest.raises(UserError) as exc:
        models.ct2_model_dir("fake")
    assert "pip install 'va-simulator[base]'" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="tiny.en"):
        models.ct2_model_dir("huge")


def test_manifest_lists_every_model():
    kinds = {(i.kind, i.name) for i in models.list_models()}
    assert {
        ("asr", "tiny.en"),
        ("asr", "base"),
        ("openai", "tiny.en"),
        ("tts", "piper/joe"),
        ("vad", "silero"),
    } <= kinds
