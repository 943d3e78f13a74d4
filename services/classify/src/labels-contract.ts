/**
 * The model directory's `labels.json` is the contract between training and serving. The service
 * refuses to start on a model whose label sets differ from the pipeline's (shared/labels.ts): a
 * silently permuted label list would mislabel every item.
 */
import { z } from 'zod';
import { FinsentError, SENTIMENTS, TOPICS } from '@finsent/shared';

export const ModelLabelsSchema = z.object({
  model_version: z.string().min(1),
  base_model: z.string().optional(),
  max_length: z.number().int().min(8).max(512),
  normalisation: z.string(),
  sentiment: z.array(z.string()),
  topic: z.array(z.string()),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
});
export type ModelLabels = z.infer<typeof ModelLabelsSchema>;

export function checkLabelsContract(labels: ModelLabels, normalisationVersion: string): void {
  const problems: string[] = [];
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(labels.sentiment, SENTIMENTS))
    problems.push(`sentiment labels ${JSON.stringify(labels.sentiment)} != ${JSON.stringify(SENTIMENTS)}`);
  if (!same(labels.topic, TOPICS))
    problems.push(`topic labels differ from the 20 contract topics (got ${labels.topic.length})`);
  // Two graph signatures are served: with an entity head (entity_mask in, entity_logits out) and without.
  const signatures = [
    {
      inputs: ['input_ids', 'attention_mask', 'entity_mask'],
      outputs: ['sentiment_logits', 'topic_logits', 'entity_logits'],
    },
    { inputs: ['input_ids', 'attention_mask'], outputs: ['sentiment_logits', 'topic_logits'] },
  ];
  if (!signatures.some((g) => same(labels.inputs, g.inputs) && same(labels.outputs, g.outputs))) {
    problems.push(
      `inputs ${JSON.stringify(labels.inputs)} / outputs ${JSON.stringify(labels.outputs)} match no served signature (${signatures.map((g) => JSON.stringify(g)).join(' or ')})`,
    );
  }
  if (labels.normalisation !== normalisationVersion)
    problems.push(
      `model trained with normalisation ${labels.normalisation}, service implements ${normalisationVersion}`,
    );
  if (problems.length) {
    throw new FinsentError(
      'FINSENT_ERR_MODEL_CONTRACT',
      `model ${labels.model_version} does not match the label contract: ${problems.join('; ')}`,
    );
  }
}
