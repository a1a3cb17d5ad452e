"""A trimmed vocabulary (config student.vocabulary: trimmed): a student keeps only the tokens its
study's training and transfer windows use, plus the special tokens and what the tokenizer needs to
make those windows again, with ids renumbered in their old order.

What "needs" means per kind of tokenizer (the tokenizers library's model of tokenizer.json):
- WordPiece (BERT, ELECTRA, DistilBERT, MPNet): nothing more to make the windows again (a word's
  pieces are its greedy longest matches, and a piece left out was never the longest match in the
  text seen); for other text, the one-character pieces (word-initial and continuation) of every
  character the kept tokens hold, so that an unseen word of seen characters is spelled out.
- BPE (RoBERTa, ModernBERT): each kept token's merge parts, down to the bytes, and every byte
  token (so that any text still tokenizes); a merge stays when its parts and its result stay.
- Unigram (XLM-R, CamemBERT, DeBERTa-v3): nothing more to make the windows again (the best
  segmentation of seen text uses kept pieces only, and leaving other pieces out only takes
  alternatives away); for other text, the one-character pieces of the kept tokens' characters.
So on the windows the set was taken from, the trimmed tokenizer gives the same tokens at the same
positions, with new ids: the teacher's cached logits stay valid. Other text falls back to the kept
pieces that fit, the unknown token where none does.

A size (config student.vocabulary_size) fills the set up with the tokens its tokenizer's trainer
found most frequent (`ranked_ids`), so that less unseen text falls back: in the default study the
windows use 10.9k of MiniLM's 30.5k tokens, and 8.6% of the eval articles' tokens are not among
them (docs/experiments.md).

The embedding rows a student keeps are cut in distilbo.models.vocabulary; the vocabulary stage
is distilbo.stages.vocabulary."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import replace
from typing import Iterable

import numpy as np
import pandas as pd
from transformers import AutoTokenizer

from distilbo.atomic import atomic_path
from distilbo.data.batches import WindowSet

# What a kept set is stored as (results/data/vocabulary/kept.parquet): the teacher's id of each kept
# token, in the order of its new id.
KEPT_COLUMN = "old_id"


# Tokenizer files a trimmed tokenizer must not carry: the untrimmed slow-tokenizer vocabularies.
SLOW_FILES = ("vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "spm.model", "sentencepiece.bpe.model")


class VocabularyError(ValueError):
    """A tokenizer distilbo cannot trim; the message names its kind."""


def used_ids(windows: Iterable[np.ndarray]) -> np.ndarray:
    """The distinct token ids of a sequence of windows' input_ids."""
    arrays = [np.asarray(w, dtype=np.int64) for w in windows]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.int64)


def kept_ids(tokenizer, used: np.ndarray, extra_text: Iterable[str] = (), size: int | None = None) -> np.ndarray:
    """The sorted teacher ids a trimmed tokenizer keeps: `used`, the tokens of `extra_text`, every
    special token, up to `size` of the tokenizer's most frequent others (`ranked_ids`), and what
    the tokenizer's kind needs (the module's docstring)."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model = spec["model"]
    keep = set(int(i) for i in used) | {int(t["id"]) for t in spec.get("added_tokens", [])}
    for text in extra_text:
        keep.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    if size is not None and len(keep) < size:
        others = [i for i in ranked_ids(model) if i not in keep]
        keep.update(others[:size - len(keep)])
    if model["type"] == "BPE":
        keep |= _bpe_closure(model, keep, byte_level="ByteLevel" in json.dumps(spec.get("pre_tokenizer")))
    elif model["type"] == "Unigram":
        if model.get("unk_id") is not None:
            keep.add(int(model["unk_id"]))
        keep |= _spellers({p: i for i, (p, _) in enumerate(model["vocab"])}, keep, "\u2581")
    elif model["type"] == "WordPiece":
        keep.add(int(model["vocab"][model["unk_token"]]))
        keep |= _spellers(model["vocab"], keep, model.get("continuing_subword_prefix") or "##")
    else:
        raise VocabularyError(f"a {model['type']} tokenizer: distilbo trims WordPiece, BPE and Unigram vocabularies")
    return np.array(sorted(keep), dtype=np.int64)


# Placeholder rows some vocabularies reserve (BERT's [unused0]..[unused993]): never ranked as frequent.
_PLACEHOLDER = re.compile(r"^[\[<]unused\d+[\]>]$")


def ranked_ids(model: dict) -> list[int]:
    """A tokenizer model's ids, most frequent first as its trainer ranked them: by score for
    Unigram (a piece's log-probability), in id order for BPE (merges are numbered as they are
    learned, the most frequent pair first) and WordPiece (BERT's trainer lists its tokens by
    frequency). Placeholder rows are left out, and the one-character tokens go last: trainers
    list their whole alphabet first (BERT's holds a thousand scripts' characters), and the
    characters of the kept text are kept anyway."""
    if model["type"] == "Unigram":
        pieces = model["vocab"]
        tokens = [(pieces[i][0], i) for i in sorted(range(len(pieces)), key=lambda i: -float(pieces[i][1]))]
    else:
        tokens = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    mark = model.get("continuing_subword_prefix") or "\u2581"
    tokens = [(t, i) for t, i in tokens if not _PLACEHOLDER.match(t)]
    return [i for t, i in tokens if len(t.replace(mark, "", 1)) > 1] + \
        [i for t, i in tokens if len(t.replace(mark, "", 1)) <= 1]


def _spellers(vocab: dict[str, int], keep: set[int], mark: str) -> set[int]:
    """The one-character pieces (bare or with `mark`: WordPiece's continuation prefix, a
    SentencePiece word start) of every character in the kept pieces."""
    token_of = {i: t for t, i in vocab.items()}
    chars = set("".join(token_of[i].replace(mark, "") for i in keep if i in token_of))
    return {i for t, i in vocab.items() if len(core := t.replace(mark, "", 1)) == 1 and core in chars}


def _merge_pairs(model: dict) -> list[tuple[str, str]]:
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]


def _bpe_closure(model: dict, keep: set[int], byte_level: bool) -> set[int]:
    """The ids BPE needs to make the kept tokens: their merge parts, recursively (and every byte of
    a byte-level BPE, so that no text is left without tokens)."""
    vocab = model["vocab"]
    parts = {}
    for a, b in _merge_pairs(model):
        parts.setdefault(a + b, (a, b))
    token_of = {i: t for t, i in vocab.items()}
    if byte_level:
        from tokenizers import pre_tokenizers

        keep = keep | {vocab[c] for c in pre_tokenizers.ByteLevel.alphabet() if c in vocab}
    out, todo = set(keep), [token_of[i] for i in keep if i in token_of]
    while todo:
        token = todo.pop()
        for part in parts.get(token, ()):
            if part in vocab and vocab[part] not in out:
                out.add(vocab[part])
                todo.append(part)
    return out


def trimmed_spec(tokenizer, kept: np.ndarray) -> dict:
    """tokenizer.json of the tokenizer cut to `kept` (teacher ids, sorted), ids renumbered."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    new = {int(old): n for n, old in enumerate(kept)}
    model = spec["model"]
    if model["type"] in ("WordPiece", "BPE"):
        model["vocab"] = {t: new[i] for t, i in sorted(model["vocab"].items(), key=lambda kv: kv[1]) if i in new}
        if model["type"] == "BPE":
            vocab = model["vocab"]
            model["merges"] = [[a, b] for a, b in _merge_pairs(model) if a in vocab and b in vocab and a + b in vocab]
    elif model["type"] == "Unigram":
        model["vocab"] = [piece for i, piece in enumerate(model["vocab"]) if i in new]
        if model.get("unk_id") is not None:
            model["unk_id"] = new[int(model["unk_id"])]
    for token in spec.get("added_tokens", []):
        token["id"] = new[int(token["id"])]
    _renumber(spec.get("post_processor"), new)
    if spec.get("padding"):
        spec["padding"]["pad_id"] = new.get(int(spec["padding"]["pad_id"]), spec["padding"]["pad_id"])
    return spec


def _renumber(processor: dict | None, new: dict[int, int]) -> None:
    """The special-token ids a post-processor adds (Template, Bert and Roberta kinds, nested)."""
    if not processor:
        return
    for sub in processor.get("processors", []):
        _renumber(sub, new)
    for special in (processor.get("special_tokens") or {}).values():
        special["ids"] = [new[int(i)] for i in special["ids"]]
    for key in ("sep", "cls"):
        if isinstance(processor.get(key), list):
            processor[key] = [processor[key][0], new[int(processor[key][1])]]


def save_trimmed_tokenizer(tokenizer, kept: np.ndarray, out_dir: str):
    """Write the trimmed tokenizer to `out_dir` (its tokenizer.json and the teacher's configs, no
    slow-tokenizer vocabulary) and return it as AutoTokenizer loads it from there."""
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        for name in SLOW_FILES:
            if os.path.exists(os.path.join(tmp, name)):
                os.remove(os.path.join(tmp, name))
        with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(trimmed_spec(tokenizer, kept), f, ensure_ascii=False)
        trimmed = AutoTokenizer.from_pretrained(tmp)
        with atomic_path(out_dir, is_dir=True) as final:
            trimmed.save_pretrained(final)
    if len(trimmed) != len(kept):
        raise VocabularyError(f"{out_dir}: the trimmed tokenizer has {len(trimmed)} tokens, expected {len(kept)}")
    return AutoTokenizer.from_pretrained(out_dir)


def remap_table(kept: np.ndarray, old_size: int, unk_id: int) -> np.ndarray:
    """old id -> new id; an id not kept goes to the (new) unknown token."""
    table = np.full(max(old_size, int(kept.max()) + 1), unk_id, dtype=np.int64)
    table[kept] = np.arange(len(kept))
    return table


def read_kept(path: str) -> np.ndarray:
    """The kept teacher ids of a vocabulary table (KEPT_COLUMN), in new-id order; errors name the file."""
    table = pd.read_parquet(path)
    if KEPT_COLUMN not in table:
        raise VocabularyError(f"{path}: not a vocabulary table (no column {KEPT_COLUMN!r})")
    kept = table[KEPT_COLUMN].to_numpy(np.int64)
    if len(kept) and np.any(np.diff(kept) <= 0):
        raise VocabularyError(f"{path}: the kept ids must increase")
    return kept


def remap_windows(data: WindowSet, kept: np.ndarray) -> WindowSet:
    """The windows in the trimmed vocabulary's ids. Every id must be kept (the windows the set was
    taken from): VocabularyError otherwise, as a window that changed would no longer match the
    teacher's cached logits."""
    table = remap_table(kept, 0, -1)
    new_ids = []
    for ids in data.input_ids:
        ids = np.asarray(ids, dtype=np.int64)
        mapped = table[np.minimum(ids, len(table) - 1)]
        if np.any(mapped < 0) or np.any(ids >= len(table)):
            raise VocabularyError("a training window holds a token the trimmed vocabulary does not keep: "
                                  "re-run the vocabulary stage after prepare_data")
        new_ids.append(mapped)
    return replace(data, input_ids=new_ids, pad_id=int(table[data.pad_id]))
