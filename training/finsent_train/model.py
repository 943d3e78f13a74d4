"""One shared encoder, three heads: whole-text sentiment, topic, and a sentiment per entity span.

The entity head reads the same encoder pass as the other two: for each entity, the mean of the hidden
states of its own tokens (its span in the text) is concatenated with the text's pooled vector and
classified. Entities therefore cost a masked mean and a small MLP each, never an encoder pass.

With `entity_context`, a second entity head (`ctx`) also reads an entity-specific context vector: one
attention read over the text's tokens, queried by the entity's span. The pooled vector is the same for
every entity of a text, so on "Acme beats estimates as Beta plunges" only the span itself can tell the two
apart; the attention read lets each entity pick the words that speak about it. Both heads train on the same
encoder in one run, so their validation figures compare the pooling methods on equal terms; `served_head`
says which one the ONNX graph exposes.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def masked_softmax(scores: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """softmax over the last axis of [B,E,T] scores, padding tokens (attention_mask [B,T] == 0) excluded."""
    return torch.softmax(scores.masked_fill(attention_mask[:, None, :] == 0, -1e4), dim=-1)


def span_pool(hidden: torch.Tensor, entity_mask: torch.Tensor) -> torch.Tensor:
    """hidden [B,T,H], entity_mask [B,E,T] (1 on an entity's tokens) -> [B,E,H] mean over each span."""
    m = entity_mask.to(hidden.dtype)
    return torch.bmm(m, hidden) / m.sum(-1, keepdim=True).clamp(min=1e-9)


class FinSentModel(nn.Module):
    def __init__(self, base_dir: str, n_sentiment: int, n_topic: int, dropout: float = 0.1, pooling: str = "mean",
                 attn_impl: str = "eager", entity_context: bool = False, served_head: str = "span"):
        super().__init__()
        cfg = AutoConfig.from_pretrained(base_dir)
        self.encoder = AutoModel.from_pretrained(base_dir, config=cfg, attn_implementation=attn_impl)
        h = cfg.hidden_size
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.sentiment_head = nn.Linear(h, n_sentiment)
        self.topic_head = nn.Linear(h, n_topic)
        self.entity_head = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Dropout(dropout), nn.Linear(h, n_sentiment))
        if entity_context:
            self.entity_query = nn.Linear(h, h)
            self.entity_key = nn.Linear(h, h)
            self.entity_head_ctx = nn.Sequential(nn.Linear(3 * h, h), nn.GELU(), nn.Dropout(dropout), nn.Linear(h, n_sentiment))
        if served_head not in ("span", "ctx") or (served_head == "ctx" and not entity_context):
            raise ValueError(f"served_head {served_head!r} needs a model built with that head")
        self.served_head = served_head

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        token_type_ids = torch.zeros_like(input_ids)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden = out.last_hidden_state
        pooled = hidden[:, 0] if self.pooling == "cls" else mean_pool(hidden, attention_mask)
        return hidden, pooled

    def entity_logits(self, hidden: torch.Tensor, pooled: torch.Tensor, entity_mask: torch.Tensor,
                      attention_mask: torch.Tensor, head: str) -> torch.Tensor:
        spans = span_pool(hidden, entity_mask)
        text = pooled.unsqueeze(1).expand(-1, spans.shape[1], -1)
        if head == "span":
            return self.entity_head(torch.cat([spans, text], dim=-1))
        scores = torch.bmm(self.entity_query(spans), self.entity_key(hidden).transpose(1, 2)) / hidden.shape[-1] ** 0.5
        own = torch.bmm(masked_softmax(scores, attention_mask), hidden)
        return self.entity_head_ctx(torch.cat([spans, text, own], dim=-1))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, entity_mask: torch.Tensor | None = None,
                heads: tuple[str, ...] = ()):
        """Sentiment and topic logits, and the entity logits of each head named in `heads` (default: the served one)."""
        hidden, pooled = self.encode(input_ids, attention_mask)
        p = self.dropout(pooled)
        ent = None
        if entity_mask is not None:
            h = self.dropout(hidden)
            ent = {k: self.entity_logits(h, p, entity_mask, attention_mask, k) for k in (heads or (self.served_head,))}
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
                self.model.entity_logits(hidden, pooled, entity_mask, attention_mask, self.model.served_head))
