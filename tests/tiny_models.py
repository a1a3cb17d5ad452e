"""Tiny randomly initialized QA models of every supported family (4 layers, 4 heads, hidden 32),
their configs built locally, and tokenizers of each family's own kind trained here on SQuAD text."""

from __future__ import annotations

import json

import numpy as np
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from distilbo.data.batches import WindowSet
from distilbo.models.families import SUPPORTED

VOCAB = 600
COMMON = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=4, num_attention_heads=4, intermediate_size=48,
              max_position_embeddings=520)
# what differs from COMMON in each model type's config (the keys of its own config class)
CONFIGS = {
    "bert": {},
    "roberta": dict(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "xlm-roberta": dict(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "camembert": dict(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "electra": dict(embedding_size=32),
    "distilbert": dict(vocab_size=VOCAB, dim=32, n_layers=4, n_heads=4, hidden_dim=48, max_position_embeddings=520),
    "deberta-v2": dict(relative_attention=True, position_buckets=64, pos_att_type=["p2c", "c2p"], share_att_key=True,
                       type_vocab_size=0, norm_rel_ebd="layer_norm", max_relative_positions=-1),
    "mpnet": dict(pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "modernbert": dict(global_attn_every_n_layers=2, local_attention=16, pad_token_id=0, bos_token_id=None,
                       eos_token_id=None, cls_token_id=1, sep_token_id=2),
}
# the tokenizer kind of each model type: WordPiece (BERT's), byte-level BPE (RoBERTa's, ModernBERT's),
# SentencePiece unigram (XLM-R's, CamemBERT's, DeBERTa-v3's)
TOKENIZERS = {"bert": "wordpiece", "electra": "wordpiece", "distilbert": "wordpiece", "mpnet": "wordpiece-s",
              "roberta": "bpe", "modernbert": "bpe-cls", "xlm-roberta": "unigram", "camembert": "unigram",
              "deberta-v2": "unigram-cls"}
assert set(CONFIGS) == set(SUPPORTED) == set(TOKENIZERS)


def tiny_config(model_type: str, **changes):
    kwargs = dict(COMMON) if model_type != "distilbert" else {}
    kwargs.update(CONFIGS[model_type], **changes)
    return transformers.AutoConfig.for_model(model_type, **kwargs)


def tiny_model(model_type: str, seed: int = 0, **changes):
    torch.manual_seed(seed)
    return transformers.AutoModelForQuestionAnswering.from_config(tiny_config(model_type, **changes)).eval()


def _specials(kind: str) -> dict[str, str]:
    if kind in ("wordpiece", "bpe-cls", "unigram-cls"):
        return dict(pad="[PAD]", unk="[UNK]", cls="[CLS]", sep="[SEP]", mask="[MASK]")
    return dict(pad="<pad>", unk="<unk>", cls="<s>", sep="</s>", mask="<mask>")


def train_tokenizer(kind: str, texts: list[str]) -> transformers.PreTrainedTokenizerFast:
    """A fast tokenizer of `kind` trained on `texts`, wrapped for transformers (save_pretrained
    writes a directory AutoTokenizer loads)."""
    sp = _specials(kind)
    order = [sp["cls"], sp["pad"], sp["sep"], sp["unk"], sp["mask"]] if sp["cls"] == "<s>" else \
        [sp["pad"], sp["cls"], sp["sep"], sp["unk"], sp["mask"]]
    if kind.startswith("wordpiece"):
        tok = Tokenizer(models.WordPiece(unk_token=sp["unk"]))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=VOCAB, special_tokens=order)
        tok.decoder = decoders.WordPiece()
    elif kind.startswith("bpe"):
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=order,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.decoder = decoders.ByteLevel()
    else:
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=VOCAB, special_tokens=order, unk_token=sp["unk"])
        tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainer)
    cls, sep = (sp["cls"], tok.token_to_id(sp["cls"])), (sp["sep"], tok.token_to_id(sp["sep"]))
    if kind in ("bpe",):
        tok.post_processor = processors.RobertaProcessing(sep, cls, trim_offsets=True, add_prefix_space=False)
    elif kind in ("unigram", "wordpiece-s"):
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls[0]} $A {sep[0]}", pair=f"{cls[0]} $A {sep[0]} {sep[0]} $B {sep[0]}", special_tokens=[cls, sep])
    else:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls[0]} $A {sep[0]}", pair=f"{cls[0]} $A {sep[0]} $B:1 {sep[0]}:1", special_tokens=[cls, sep])
    types = kind in ("wordpiece", "unigram-cls")  # BERT's, ELECTRA's and DeBERTa's tokenizers make token types
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=sp["pad"], unk_token=sp["unk"], cls_token=sp["cls"], sep_token=sp["sep"],
        mask_token=sp["mask"], bos_token=sp["cls"], eos_token=sp["sep"],
        model_input_names=["input_ids", "token_type_ids", "attention_mask"] if types else ["input_ids", "attention_mask"])


def squad_texts(path) -> list[str]:
    doc = json.loads(open(path).read())
    return [t for a in doc["data"] for p in a["paragraphs"] for t in [p["context"]] + [q["question"] for q in p["qas"]]]


def write_teacher_init(model_type: str, texts: list[str], path) -> None:
    """A directory a study's teacher.init can name: the tiny config and a tokenizer of the family's
    kind (teacher.random_init then builds random weights from it)."""
    tokenizer = train_tokenizer(TOKENIZERS[model_type], texts)
    if model_type == "distilbert":
        tokenizer.model_input_names = ["input_ids", "attention_mask"]
    config = tiny_config(model_type, pad_token_id=tokenizer.pad_token_id)
    config.architectures = [transformers.models.auto.modeling_auto.MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES[model_type]]
    config.save_pretrained(path)
    tokenizer.save_pretrained(path)


def random_windows(n=24, seed=0, vocab=1000, teacher=True):
    """n windows of random ids (vocab of them above 1000) and spans, with random teacher logits."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 20, n)
    ids = [np.r_[101, rng.integers(1000, 1000 + vocab, L - 2), 102].astype(np.int32) for L in lengths]
    starts = np.array([rng.integers(0, L - 3) for L in lengths])
    ends = np.minimum(starts + rng.integers(0, 3, n), lengths - 2)
    t = [rng.normal(size=L).astype(np.float32) for L in lengths] if teacher else None
    return WindowSet(ids, [np.zeros(L, np.int8) for L in lengths], starts, ends, np.ones(n, bool), t,
                     [x[::-1].copy() for x in t] if teacher else None)
