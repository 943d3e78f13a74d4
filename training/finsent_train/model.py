"""Shared MiniLM encoder with a sentiment head and a topic head."""
from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


class FinSentModel(nn.Module):
    def __init__(self, base_dir: str, n_sentiment: int, n_topic: int, dropout: float = 0.1, pooling: str = "mean",
                 attn_impl: str = "eager"):
        super().__init__()
        cfg = AutoConfig.from_pretrained(base_dir)
        self.encoder = AutoModel.from_pretrained(base_dir, config=cfg, attn_implementation=attn_impl)
        h = cfg.hidden_size
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.sentiment_head = nn.Linear(h, n_sentiment)
        self.topic_head = nn.Linear(h, n_topic)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        token_type_ids = torch.zeros_like(input_ids)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden = out.last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        return mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        p = self.dropout(self.pooled(input_ids, attention_mask))
        return self.sentiment_head(p), self.topic_head(p)


class ExportWrapper(nn.Module):
    """ONNX graph: (input_ids, attention_mask) -> (sentiment_logits, topic_logits); token_type_ids are zeros inside."""

    def __init__(self, model: FinSentModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        p = self.model.pooled(input_ids, attention_mask)
        return self.model.sentiment_head(p), self.model.topic_head(p)
