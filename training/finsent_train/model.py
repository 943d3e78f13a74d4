"""One shared encoder, three heads: whole-text sentiment, topic, and a sentiment per entity span.

The entity head reads the same encoder pass as the other two: for each entity, the mean of the hidden
states of its own tokens (its span in the text) is concatenated with the text's pooled vector and
classified. Entities therefore cost a masked mean and a small MLP each, never an encoder pass.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def span_pool(hidden: torch.Tensor, entity_mask: torch.Tensor) -> torch.Tensor:
    """hidden [B,T,H], entity_mask [B,E,T] (1 on an entity's tokens) -> [B,E,H] mean over each span."""
    m = entity_mask.to(hidden.dtype)
    return torch.bmm(m, hidden) / m.sum(-1, keepdim=True).clamp(min=1e-9)


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
        self.entity_head = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Dropout(dropout), nn.Linear(h, n_sentiment))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        token_type_ids = torch.zeros_like(input_ids)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden = out.last_hidden_state
        pooled = hidden[:, 0] if self.pooling == "cls" else mean_pool(hidden, attention_mask)
        return hidden, pooled

    def entity_logits(self, hidden: torch.Tensor, pooled: torch.Tensor, entity_mask: torch.Tensor) -> torch.Tensor:
        spans = span_pool(hidden, entity_mask)
        ctx = pooled.unsqueeze(1).expand(-1, spans.shape[1], -1)
        return self.entity_head(torch.cat([spans, ctx], dim=-1))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, entity_mask: torch.Tensor | None = None):
        hidden, pooled = self.encode(input_ids, attention_mask)
        p = self.dropout(pooled)
        ent = None
        if entity_mask is not None:
            ent = self.entity_logits(self.dropout(hidden), p, entity_mask)
        return self.sentiment_head(p), self.topic_head(p), ent


class ExportWrapper(nn.Module):
    """ONNX graph: (input_ids, attention_mask, entity_mask) -> (sentiment_logits, topic_logits, entity_logits).

    entity_mask is float [batch, entities, seq]; a text without entities passes one all-zero row and ignores
    that output. token_type_ids are zeros inside."""

    def __init__(self, model: FinSentModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, entity_mask: torch.Tensor):
        hidden, pooled = self.model.encode(input_ids, attention_mask)
        return (self.model.sentiment_head(pooled), self.model.topic_head(pooled),
                self.model.entity_logits(hidden, pooled, entity_mask))
