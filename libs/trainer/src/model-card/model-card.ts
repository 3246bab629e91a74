import type { ModelCardInput } from './model-card-input.ts';
import { modelCardMetadata, renderMetadataBlock } from './model-card-metadata.ts';
import { formatScore, metricTitle, scoreName } from './metric-names.ts';
import {
  gateSection,
  hyperparametersSection,
  MORE_INFORMATION_NEEDED,
  slicesSection,
  trainingResultsTable,
} from './model-card-sections.ts';

/**
 * The output directory's README.md in Hugging Face's model-card layout: YAML metadata
 * (model-index carries the evaluation results the Hub shows), then the sections HF's Trainer
 * writes, plus the data-quality, slice and regression-gate findings when they were computed.
 * What only a person can say (intended uses, limitations) is the notes file's text or HF's marked
 * placeholder, never invented.
 */
export function renderModelCard(input: ModelCardInput): string {
  const sections: string[][] = [
    [`# ${input.modelName}`, '', ...summary(input)],
    ['## Model description', '', ...description(input)],
    ['## Intended uses & limitations', '', input.notes?.trim() || MORE_INFORMATION_NEEDED],
    ['## Training and evaluation data', '', ...dataSection(input)],
    ['## Training procedure'],
    ['### Training hyperparameters', '', ...(input.trainingArguments === undefined ? [MORE_INFORMATION_NEEDED] : hyperparametersSection(input.trainingArguments, input.worldSize))],
  ];
  const results = trainingResultsTable(input.logHistory ?? []);
  if (results.length > 0) sections.push(['### Training results', '', ...results]);
  if (input.slices !== undefined) sections.push([`## Slice metrics (${input.slices.column})`, '', ...slicesSection(input.slices.column, input.slices.report)]);
  if (input.gate !== undefined) sections.push(['## Regression gate', '', ...gateSection(input.gate.baselineModel, input.gate.results)]);
  sections.push(['## Framework versions', '', ...frameworkVersions(input)]);
  return `${renderMetadataBlock(modelCardMetadata(input))}\n${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function summary(input: ModelCardInput): string[] {
  const base = input.baseModel === undefined ? 'a model' : baseModelLink(input.baseModel);
  const datasets = input.datasets === undefined || input.datasets.length === 0 ? 'an unknown dataset' : `the ${input.datasets.map((d) => d.name).join(', ')} dataset`;
  const lines = [`This model is a fine-tuned version of ${base} on ${datasets}, trained with tunefleet.`];
  const final = input.evaluations?.[0];
  if (final !== undefined) {
    lines.push(`It achieves the following results on the evaluation set (${final.dataset.name}):`);
    for (const [key, value] of Object.entries(final.metrics)) {
      const name = key === 'eval_loss' || key === 'loss' ? 'loss' : scoreName(key);
      if (name !== undefined) lines.push(`- ${metricTitle(name)}: ${formatScore(value)}`);
    }
  }
  return lines;
}

/** A Hub id links to its page; a local path is quoted as it is. */
function baseModelLink(baseModel: string): string {
  const isHubId = /^[A-Za-z0-9][\w.-]*(?:\/[\w.-]+)?$/.test(baseModel) && !baseModel.startsWith('.');
  return isHubId ? `[${baseModel}](https://huggingface.co/${baseModel})` : `\`${baseModel}\``;
}

function description(input: ModelCardInput): string[] {
  const labels = input.labels === undefined ? '' : ` over ${input.labels.length} labels: ${input.labels.map((label) => `\`${label}\``).join(', ')}`;
  return [`A ${input.task === 'token-classification' ? 'token' : 'sequence'} classifier${labels}.`];
}

function dataSection(input: ModelCardInput): string[] {
  const lines = input.dataFiles?.length
    ? input.dataFiles.map((file) => `- ${file.split}: \`${file.file}\`${file.rows === undefined ? '' : ` (${file.rows} rows)`}`)
    : [MORE_INFORMATION_NEEDED];
  if (input.dataQuality !== undefined) {
    lines.push('', '### Data quality', '', 'Found by the data-quality checks `tunefleet train` runs before training (`tunefleet inspect-data` also looks for near duplicates):', '', '```', ...input.dataQuality, '```');
  }
  return lines;
}

function frameworkVersions(input: ModelCardInput): string[] {
  const versions = input.frameworkVersions;
  return [
    `- tunefleet ${versions.tunefleet}`,
    `- Node.js ${versions.node}`,
    `- @tensorflow/tfjs-core ${versions.tfjsCore}`,
    `- Backend: ${versions.backend}`,
  ];
}
