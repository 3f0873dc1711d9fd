"""Build tiny random-weight reward models locally, for tests and benchmarks (no network).

These are real ``transformers`` sequence classifiers with random weights and a tokenizer trained here on the bundled
sample: they exercise every code path of the Hugging Face backend, but their scores mean nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _corpus(n: int = 400) -> list[str]:
    from seal_core.data.pairs import load_pairs

    p = load_pairs().pairs.head(n)
    return p["chosen_full"].tolist() + p["rejected_full"].tolist()


def _train_tokenizer(special: Sequence[str], vocab_size: int, texts: Sequence[str]):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=list(special)))
    return tok


def build_tiny_pair_rm(
    out_dir: str | Path,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    intermediate_size: int = 64,
    vocab_size: int = 2000,
    max_position_embeddings: int = 512,
    num_labels: int = 1,
    initializer_range: float = 0.2,
    seed: int = 0,
) -> Path:
    """Save a random-weight DeBERTa-v2 reward model (SEAL's RM architecture) with a pair tokenizer.

    The tokenizer renders a pair as ``[CLS] prompt [SEP] response [SEP]`` with token types 0/1, as DeBERTa does.
    """
    import torch
    from tokenizers import processors
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification, PreTrainedTokenizerFast

    out = Path(out_dir)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = _train_tokenizer(special, vocab_size, _corpus())
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_position_embeddings,
        padding_side="right",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )
    config = DebertaV2Config(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        type_vocab_size=2,
        num_labels=num_labels,
        pad_token_id=tok.token_to_id("[PAD]"),
        initializer_range=initializer_range,  # 0.2: varied scores, yet batch and single agree to ~1e-7
    )
    torch.manual_seed(seed)
    model = DebertaV2ForSequenceClassification(config).eval()
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out


def build_tiny_chat_rm(
    out_dir: str | Path,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    vocab_size: int = 2000,
    with_pad_token: bool = False,
    with_chat_template: bool = True,
    seed: int = 0,
) -> Path:
    """Save a random-weight decoder (Llama) reward model whose tokenizer has a chat template.

    By default the tokenizer has no pad token, as most decoder RMs ship, so loading must set one.
    """
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification, PreTrainedTokenizerFast

    out = Path(out_dir)
    special = ["<unk>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<pad>"]
    tok = _train_tokenizer(special, vocab_size, _corpus())
    kwargs = {"pad_token": "<pad>"} if with_pad_token else {}
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=256,
        padding_side="right",
        **kwargs,
    )
    if with_chat_template:
        fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        num_labels=1,
        pad_token_id=tok.token_to_id("<pad>") if with_pad_token else None,
        bos_token_id=tok.token_to_id("<s>"),
        eos_token_id=tok.token_to_id("</s>"),
        initializer_range=0.2,  # large enough for varied scores, small enough for stable float32 sums
    )
    torch.manual_seed(seed)
    model = LlamaForSequenceClassification(config).eval()
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out
