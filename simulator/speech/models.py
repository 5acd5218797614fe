"""Offline model files: the manifest, Whisper base assembly, CTranslate2 -> openai-whisper.

Every model ships inside a Python package (``models/manifest.yaml`` says which); nothing
is downloaded. Two things are *made* from those packages and written under
:func:`simulator.paths.models_dir` (git-ignored):

* Whisper base, whose ``model.bin`` comes split in two packages: the parts are
  concatenated, checked against the manifest's sha256 and moved into place atomically.
* An openai-whisper checkpoint for each CTranslate2 model, so both engines run the same
  weights. CTranslate2's ``model.bin`` is a flat list of named fp16 variables with the
  attention q/k/v (and cross-attention k/v) fused and the output projection tied to the
  token embedding; :func:`ct2_to_openai` splits them and :func:`openai_to_ct2` fuses them
  back, and :func:`convert` proves the result exact by re-serialising the saved
  checkpoint and comparing it byte for byte with the source ``model.bin``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from simulator import paths
from simulator.errors import RuntimeFailure, UserError
from simulator.fsutil import atomic_open, atomic_write

MANIFEST = paths.REPO_DIR / "models" / "manifest.yaml"
CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")  # CTranslate2 DataType order
CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelInfo:
    """One model in the manifest, as ``vasim models list`` shows it."""

    kind: str  # "asr", "openai", "tts", "vad"
    name: str  # e.g. "tiny.en", "piper/joe"
    available: bool  # usable now without installing anything
    path: str  # where it is (or will be written), "" when unknown
    note: str  # what to do when it is not available, or a description


@dataclass(frozen=True)
class Ct2Model:
    """The parsed contents of a CTranslate2 ``model.bin``."""

    binary_version: int
    spec: str  # e.g. "WhisperSpec"
    revision: int
    variables: dict[str, np.ndarray]  # name -> array (dtype as stored)
    aliases: dict[str, str]  # alias name -> variable name (e.g. the tied projection)


@lru_cache(maxsize=1)
def manifest() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(MANIFEST.read_text())


def asr_models() -> list[str]:
    return list(manifest()["asr"])


# ---------------------------------------------------------------- package files


def package_dir(package: str, *, pip: str = "", extra: str = "") -> Path:
    """The directory of an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        hint = f"pip install 'va-simulator[{extra}]'" if extra else f"pip install {pip or package}"
        raise UserError(f"model package {package!r} is not installed: run `{hint}`")
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(entry: dict, *, extra: str = "") -> Path:
    base = package_dir(entry["package"], pip=entry.get("pip", ""), extra=extra or entry.get("extra", ""))
    path = base / entry["file"]
    if not path.is_file():
        raise UserError(f"model file {path} is missing: reinstall {entry.get('pip') or entry['package']}")
    return path


def silero_vad_path() -> Path:
    return package_file(manifest()["vad"]["silero"])


def piper_voice_path(voice: str = "joe") -> Path:
    voices = manifest()["tts"]["piper"]
    if voice not in voices:
        raise UserError(f"unknown piper voice {voice!r}: choose one of {', '.join(voices)}")
    return package_file(voices[voice])


# ---------------------------------------------------------------- CTranslate2 model dirs


def ct2_model_dir(name: str = "tiny.en") -> Path:
    """The CTranslate2 model directory for an ASR model, assembling it on first use."""
    entries = manifest()["asr"]
    if name not in entries:
        raise UserError(f"unknown ASR model {name!r}: choose one of {', '.join(entries)}")
    entry = entries[name]
    if "assemble" in entry:
        return assemble_model(name)
    path = package_dir(entry["package"], pip=entry.get("pip", ""), extra=entry.get("extra", "")) / entry["dir"]
    if not (path / "model.bin").is_file():
        raise UserError(f"{path / 'model.bin'} is missing: reinstall {entry.get('pip')}")
    return path


def assemble_model(name: str) -> Path:
    """Assemble a split model (Whisper base) into ``models/<into>/``; quick when done."""
    entry = manifest()["asr"][name]
    spec = entry["assemble"]
    out = paths.models_dir() / spec["into"]
    stamp = out / "model.bin.sha256"
    if stamp.is_file() and stamp.read_text().strip() == spec["sha256"] and (out / "model.bin").is_file():
        return out
    extra = entry.get("extra", "")
    parts = [package_file(p, extra=extra) for p in spec["parts"]]
    copies = [package_file(c, extra=extra) for c in spec.get("copy", [])]
    assemble_parts(parts, out / "model.bin", spec["sha256"], part_sha256=[p.get("sha256") for p in spec["parts"]])
    for src in copies:
        atomic_write(out / src.name, src.read_bytes())
    atomic_write(stamp, (spec["sha256"] + "\n").encode())
    return out


def assemble_parts(parts: list[Path], dest: Path, sha256: str, part_sha256: list[str | None] | None = None) -> Path:
    """Concatenate ``parts`` into ``dest`` atomically, checking every checksum.

    Nothing appears at ``dest`` unless the whole file matches ``sha256``.
    """
    for i, part in enumerate(parts):
        if not part.is_file():
            raise UserError(f"model part {part} is missing: run `pip install 'va-simulator[base]'`")
        want = (part_sha256 or [None] * len(parts))[i]
        if want and file_sha256(part) != want:
            raise RuntimeFailure(f"model part {part} is corrupt (sha256 mismatch): reinstall its package")
    digest = hashlib.sha256()
    with atomic_open(dest, durable=True) as out:  # nothing appears at dest unless the check below passes
        for part in parts:
            with open(part, "rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != sha256:
            raise RuntimeFailure(
                f"assembled {dest.name} has sha256 {digest.hexdigest()[:12]}..., expected {sha256[:12]}...: "
                "reinstall the part packages"
            )
    return dest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- CTranslate2 binary format


def read_ct2(data: bytes) -> Ct2Model:
    """Parse a CTranslate2 ``model.bin`` (binary version 6) from bytes."""
    off = 0

    def take(fmt: str):
        nonlocal off
        (value,) = struct.unpack_from("<" + fmt, data, off)
        off += struct.calcsize("<" + fmt)
        return value

    def string() -> str:
        nonlocal off
        n = take("H")
        text = data[off : off + n - 1].decode("utf-8")
        off += n
        return text

    version = take("I")
    if version != 6:
        raise RuntimeFailure(f"unsupported CTranslate2 binary version {version} (expected 6)")
    spec = string()
    revision = take("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = string()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = np.dtype(CT2_DTYPES[take("B")])
        nbytes = take("I")
        variables[name] = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=off).reshape(shape)
        off += nbytes
    aliases = {}
    for _ in range(take("I")):
        alias = string()
        aliases[alias] = string()
    if off != len(data):
        raise RuntimeFailure(f"model.bin has {len(data) - off} trailing bytes: not a CTranslate2 model")
    return Ct2Model(version, spec, revision, variables, aliases)


def write_ct2(model: Ct2Model) -> bytes:
    """Serialise exactly as ``ctranslate2.specs.ModelSpec._serialize`` does (sorted names)."""
    out = io.BytesIO()

    def string(text: str) -> None:
        raw = text.encode("utf-8")
        out.write(struct.pack("<H", len(raw) + 1) + raw + b"\0")

    out.write(struct.pack("<I", model.binary_version))
    string(model.spec)
    out.write(struct.pack("<I", model.revision))
    out.write(struct.pack("<I", len(model.variables)))
    for name in sorted(model.variables):
        value = np.asarray(model.variables[name])
        string(name)
        out.write(struct.pack("<B", value.ndim))
        for dim in value.shape:
            out.write(struct.pack("<I", dim))
        out.write(struct.pack("<B", CT2_DTYPES.index(value.dtype.name)))
        out.write(struct.pack("<I", value.nbytes))
        out.write(value.tobytes())
    out.write(struct.pack("<I", len(model.aliases)))
    for alias in sorted(model.aliases):
        string(alias)
        string(model.aliases[alias])
    return out.getvalue()


# ---------------------------------------------------------------- CTranslate2 <-> openai-whisper


def _layers(variables: dict, prefix: str) -> int:
    return len({k.split("/")[1] for k in variables if re.match(prefix + r"/layer_\d+/", k)})


def _weight_map(n_audio_layer: int, n_text_layer: int) -> list[tuple[str, list[str], str]]:
    """How openai-whisper names map to CTranslate2's, written once for both directions.

    Each entry is (kind, openai names, CTranslate2 prefix): ``norm`` (weight/bias ->
    gamma/beta), ``linear`` (weight/bias), or ``fused`` (several openai projections stacked
    in one CTranslate2 linear: self-attention q/k/v, cross-attention k/v). Embeddings and
    positional encodings are plain copies, handled by the callers.
    """
    out: list[tuple[str, list[str], str]] = []

    def block(dst: str, src: str, cross: bool) -> None:
        a = f"{src}/self_attention"
        out.append(("fused", [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"], a + "/linear_0"))
        out.append(("linear", [f"{dst}.attn.out"], a + "/linear_1"))
        out.append(("norm", [f"{dst}.attn_ln"], a + "/layer_norm"))
        if cross:
            c = f"{src}/attention"
            out.append(("linear", [f"{dst}.cross_attn.query"], c + "/linear_0"))
            out.append(("fused", [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"], c + "/linear_1"))
            out.append(("linear", [f"{dst}.cross_attn.out"], c + "/linear_2"))
            out.append(("norm", [f"{dst}.cross_attn_ln"], c + "/layer_norm"))
        out.append(("linear", [f"{dst}.mlp.0"], f"{src}/ffn/linear_0"))
        out.append(("linear", [f"{dst}.mlp.2"], f"{src}/ffn/linear_1"))
        out.append(("norm", [f"{dst}.mlp_ln"], f"{src}/ffn/layer_norm"))

    out.append(("linear", ["encoder.conv1"], "encoder/conv1"))
    out.append(("linear", ["encoder.conv2"], "encoder/conv2"))
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    out.append(("norm", ["encoder.ln_post"], "encoder/layer_norm"))
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    out.append(("norm", ["decoder.ln"], "decoder/layer_norm"))
    return out


# plain copies: openai name -> CTranslate2 name
_COPIES = {
    "encoder.positional_embedding": "encoder/position_encodings/encodings",
    "decoder.token_embedding.weight": "decoder/embeddings/weight",
    "decoder.positional_embedding": "decoder/position_encodings/encodings",
}


def ct2_to_openai(model: Ct2Model) -> tuple[dict, dict[str, np.ndarray]]:
    """Map CTranslate2 Whisper variables to (openai ``dims``, ``model_state_dict``)."""
    if model.spec != "WhisperSpec":
        raise RuntimeFailure(f"not a Whisper model: {model.spec}")
    v = model.variables
    n_audio_layer, n_text_layer = _layers(v, "encoder"), _layers(v, "decoder")
    sd: dict[str, np.ndarray] = {name: v[src] for name, src in _COPIES.items()}
    for kind, names, src in _weight_map(n_audio_layer, n_text_layer):
        if kind == "norm":
            sd[names[0] + ".weight"], sd[names[0] + ".bias"] = v[src + "/gamma"], v[src + "/beta"]
        elif kind == "linear":
            sd[names[0] + ".weight"], sd[names[0] + ".bias"] = v[src + "/weight"], v[src + "/bias"]
        else:
            w, b = np.split(v[src + "/weight"], len(names)), np.split(v[src + "/bias"], len(names))
            for name, wi, bi in zip(names, w, b):
                sd[name + ".weight"] = wi
                if name.endswith(".key"):  # Whisper's key projection has no bias: CTranslate2 stores zeros
                    if np.any(bi):
                        raise RuntimeFailure(f"{src}: non-zero key bias, cannot convert exactly")
                else:
                    sd[name + ".bias"] = bi
    if model.aliases.get("decoder/projection/weight") != "decoder/embeddings/weight":
        raise RuntimeFailure("decoder projection is not tied to the embedding: cannot convert exactly")

    n_state = v["encoder/conv1/weight"].shape[0]
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(n_state),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    return dims, sd


def openai_to_ct2(sd: dict[str, np.ndarray], like: Ct2Model) -> Ct2Model:
    """The inverse of :func:`ct2_to_openai`; scalar options are taken from ``like``."""
    v: dict[str, np.ndarray] = {k: a for k, a in like.variables.items() if a.ndim == 0}
    v.update({dst: sd[name] for name, dst in _COPIES.items()})

    def layers(prefix: str) -> int:
        return len({k.split(".")[2] for k in sd if k.startswith(prefix + ".blocks.")})

    for kind, names, dst in _weight_map(layers("encoder"), layers("decoder")):
        if kind == "norm":
            v[dst + "/gamma"], v[dst + "/beta"] = sd[names[0] + ".weight"], sd[names[0] + ".bias"]
        elif kind == "linear":
            v[dst + "/weight"], v[dst + "/bias"] = sd[names[0] + ".weight"], sd[names[0] + ".bias"]
        else:
            v[dst + "/weight"] = np.concatenate([sd[n + ".weight"] for n in names])
            v[dst + "/bias"] = np.concatenate(
                [
                    sd[n + ".bias"]
                    if n + ".bias" in sd
                    else np.zeros(sd[n + ".weight"].shape[0], dtype=sd[n + ".weight"].dtype)
                    for n in names
                ]
            )
    return Ct2Model(
        like.binary_version, like.spec, like.revision, v, {"decoder/projection/weight": "decoder/embeddings/weight"}
    )


def openai_checkpoint_path(name: str = "tiny.en") -> Path:
    return paths.models_dir() / manifest()["openai"]["checkpoint"].format(name=name)


@dataclass(frozen=True)
class Conversion:
    """What ``vasim models convert`` did."""

    name: str  # ASR model name, e.g. "tiny.en"
    path: str  # the openai-whisper checkpoint written
    tensors: int  # tensors in the checkpoint
    source_sha256: str  # sha256 of the CTranslate2 model.bin
    exact: bool  # re-serialising the saved checkpoint gives back model.bin byte for byte


def convert(name: str = "tiny.en", *, force: bool = False) -> Conversion:
    """Write ``models/openai-<name>.pt`` from the CTranslate2 weights and prove it exact."""
    import torch

    src_dir = ct2_model_dir(name)
    raw = (src_dir / "model.bin").read_bytes()
    source_sha = hashlib.sha256(raw).hexdigest()
    dest = openai_checkpoint_path(name)
    sidecar = dest.with_suffix(".json")
    if not force and dest.is_file() and sidecar.is_file():
        meta = json.loads(sidecar.read_text())
        if meta.get("source_sha256") == source_sha and meta.get("exact"):
            return Conversion(name, str(dest), meta["tensors"], source_sha, True)
    ct2 = read_ct2(raw)
    dims, sd = ct2_to_openai(ct2)
    checkpoint = {"dims": dims, "model_state_dict": {k: torch.from_numpy(a.copy()) for k, a in sd.items()}}
    buf = io.BytesIO()
    torch.save(checkpoint, buf)
    # Exactness: load what we are about to write, fuse it back, serialise, compare bytes.
    back = torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
    back_sd = {k: t.numpy() for k, t in back["model_state_dict"].items()}
    exact = hashlib.sha256(write_ct2(openai_to_ct2(back_sd, ct2))).hexdigest() == source_sha
    if not exact:
        raise RuntimeFailure(f"conversion of {name} is not exact: re-serialised model.bin differs from the source")
    config = json.loads((src_dir / "config.json").read_text())
    atomic_write(dest, buf.getvalue())
    meta = {
        "name": name,
        "source": str(src_dir / "model.bin"),
        "source_sha256": source_sha,
        "tensors": len(sd),
        "exact": exact,
        "dims": dims,
        "alignment_heads": config.get("alignment_heads", []),
    }
    atomic_write(sidecar, (json.dumps(meta, indent=2) + "\n").encode())
    return Conversion(name, str(dest), len(sd), source_sha, exact)


def openai_alignment_heads(name: str) -> list[list[int]]:
    sidecar = openai_checkpoint_path(name).with_suffix(".json")
    return json.loads(sidecar.read_text()).get("alignment_heads", []) if sidecar.is_file() else []


# ---------------------------------------------------------------- listing


def list_models() -> list[ModelInfo]:
    out: list[ModelInfo] = []
    m = manifest()
    for name, entry in m["asr"].items():
        try:
            path = (
                str(ct2_model_dir(name))
                if "assemble" not in entry
                else str(paths.models_dir() / entry["assemble"]["into"])
            )
            ok = True
            if "assemble" in entry:
                for part in entry["assemble"]["parts"]:
                    package_file(part, extra=entry.get("extra", ""))
            note = entry.get("description", "")
        except UserError as exc:
            ok, path, note = False, "", str(exc)
        out.append(ModelInfo("asr", name, ok, path, note))
        ck = openai_checkpoint_path(name)
        out.append(
            ModelInfo(
                "openai",
                name,
                ck.is_file(),
                str(ck),
                "converted" if ck.is_file() else f"run `vasim models convert {name}`",
            )
        )
    for voice, entry in m["tts"]["piper"].items():
        try:
            out.append(ModelInfo("tts", f"piper/{voice}", True, str(package_file(entry)), "neural, 22.05 kHz"))
        except UserError as exc:
            out.append(ModelInfo("tts", f"piper/{voice}", False, "", str(exc)))
    import shutil

    espeak = shutil.which("espeak-ng")
    out.append(
        ModelInfo(
            "tts",
            "pyttsx3/espeak-ng",
            bool(espeak),
            espeak or "",
            "system espeak-ng" if espeak else "install espeak-ng (scripts/system-deps.sh)",
        )
    )
    try:
        out.append(ModelInfo("vad", "silero", True, str(silero_vad_path()), "Silero VAD v6 (ONNX)"))
    except UserError as exc:
        out.append(ModelInfo("vad", "silero", False, "", str(exc)))
    return out
