import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BERT_PRESETS, createModel, familyPresetConfig, type AnyModelTask, type ModelConfig, type ModelType } from '@tunefleet/model';
import { BertTokenizer, SubwordTokenizer, type PretrainedTokenizer } from '@tunefleet/tokenizer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';

export interface InitModelOptions {
  preset: keyof typeof BERT_PRESETS;
  /** Model family (config.json's model_type); default bert. */
  arch?: string;
  vocab: string;
  numLabels: number;
  task: string;
  seed: number;
  uncased: boolean;
  output: string;
  backend?: string;
}

const TASKS: readonly AnyModelTask[] = ['sequence-classification', 'token-classification', 'masked-lm', 'causal-lm', 'translation'];
const ARCHS: readonly ModelType[] = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'gpt2', 'llama', 'qwen2', 'marian'];
/** Decoder-only families: their one head is the causal LM (GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM). */
const CAUSAL_ARCHS: readonly ModelType[] = ['gpt2', 'llama', 'qwen2'];
/** Encoder-decoder families: their one head is translation (MarianMTModel). */
const SEQ2SEQ_ARCHS: readonly ModelType[] = ['marian'];
/** --task's default: what an encoder gets when none is named; a causal family takes it as causal-lm. */
const DEFAULT_TASK = 'sequence-classification';
/**
 * The tokenizer model each family is built with: WordPiece for BERT and DistilBERT, tokenizer.json BPE / Unigram for RoBERTa / XLM-R,
 * BPE for the causal families; Marian takes BPE (train-tokenizer's) or Unigram (a converted SentencePiece model).
 */
const TOKENIZER_OF: Readonly<Record<ModelType, 'WordPiece' | 'BPE' | 'Unigram'>> = {
  bert: 'WordPiece',
  distilbert: 'WordPiece',
  roberta: 'BPE',
  'xlm-roberta': 'Unigram',
  gpt2: 'BPE',
  llama: 'BPE',
  qwen2: 'BPE',
  marian: 'BPE',
};
/** Other tokenizer models a family accepts. */
const ALSO_ACCEPTED: Partial<Record<ModelType, readonly ('BPE' | 'Unigram')[]>> = { marian: ['Unigram'] };

/** `tunefleet init-model`: a randomly initialised checkpoint in Hugging Face layout. */
export async function runInitModel(options: InitModelOptions): Promise<number> {
  if (!TASKS.includes(options.task as AnyModelTask)) {
    throw new CliConfigError(`--task: "${options.task}" is not one of ${TASKS.join(', ')}`);
  }
  if (!Number.isInteger(options.numLabels) || options.numLabels < 1) {
    throw new CliConfigError(`--num-labels: expected a positive integer, got ${options.numLabels}`);
  }
  const arch = (options.arch ?? 'bert') as ModelType;
  if (!ARCHS.includes(arch)) throw new CliConfigError(`--arch: "${options.arch}" is not one of ${ARCHS.join(', ')}`);
  const isCausal = CAUSAL_ARCHS.includes(arch);
  const isSeq2Seq = SEQ2SEQ_ARCHS.includes(arch);
  if (isCausal && options.task !== 'causal-lm' && options.task !== DEFAULT_TASK) {
    throw new CliConfigError(`--task: --arch ${arch} is a causal language model, its one head is causal-lm (got "${options.task}")`);
  }
  if (isSeq2Seq && options.task !== 'translation' && options.task !== DEFAULT_TASK) {
    throw new CliConfigError(`--task: --arch ${arch} is an encoder-decoder, its one head is translation (got "${options.task}")`);
  }
  if (!isCausal && options.task === 'causal-lm') throw new CliConfigError(`--task: --arch ${arch} has no causal-lm head; use --arch ${CAUSAL_ARCHS.join(', ')}`);
  if (!isSeq2Seq && options.task === 'translation') throw new CliConfigError(`--task: --arch ${arch} has no translation head; use --arch ${SEQ2SEQ_ARCHS.join(', ')}`);
  const task = (isCausal ? 'causal-lm' : isSeq2Seq ? 'translation' : options.task) as AnyModelTask;
  await startBackend({ backend: options.backend });
  const tokenizer = await readTokenizer(options, arch);
  const id2label = Object.fromEntries(Array.from({ length: options.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  const config = familyPresetConfig(arch, options.preset, {
    vocabSize: tokenizer.vocabSize,
    ...specialTokenIds(tokenizer, options.vocab, isCausal ? 'causal' : isSeq2Seq ? 'seq2seq' : 'encoder'),
    ...(isCausal || isSeq2Seq ? {} : { id2label, label2id }),
  });
  const model = createModel(config, task, { seed: options.seed });
  try {
    await mkdir(options.output, { recursive: true });
    await model.save(options.output);
    await tokenizer.save(options.output);
  } finally {
    model.dispose();
  }
  const [layers, hidden] = sizeOf(config);
  process.stderr.write(`wrote ${options.preset} ${arch} (${layers}x${hidden}, vocab ${config.vocab_size}) to ${options.output}\n`);
  return 0;
}

/** [layers, hidden] under each family's field names. */
function sizeOf(config: ModelConfig): [number, number] {
  switch (config.model_type) {
    case 'distilbert':
      return [config.n_layers, config.dim];
    case 'gpt2':
      return [config.n_layer, config.n_embd];
    case 'marian':
      return [config.encoder_layers, config.d_model];
    default:
      return [config.num_hidden_layers, config.hidden_size];
  }
}

/**
 * pad, bos and eos ids of the config. An encoder's are its pad, [CLS] and [SEP]; a decoder needs
 * only an eos (GPT-2's tokenizer has just `<|endoftext|>`: bos and pad fall back to it, as
 * transformers' GPT-2 configs and pad-as-eos fine-tuning do); an encoder-decoder needs eos and pad.
 */
function specialTokenIds(tokenizer: PretrainedTokenizer, vocab: string, kind: 'encoder' | 'causal' | 'seq2seq'): { padTokenId: number; bosTokenId?: number; eosTokenId: number } {
  if (kind === 'seq2seq') return { padTokenId: tokenizer.padTokenId, eosTokenId: seq2seqEosTokenId(tokenizer, vocab) };
  if (kind === 'encoder' || !(tokenizer instanceof SubwordTokenizer)) return { padTokenId: tokenizer.padTokenId, bosTokenId: tokenizer.clsTokenId, eosTokenId: tokenizer.sepTokenId };
  const eos = tokenizer.specialTokenId('eos_token') ?? tokenizer.specialTokenId('sep_token');
  if (eos === undefined) throw new CliConfigError(`--vocab: ${vocab} has no end-of-sequence token (eos_token, e.g. "<|endoftext|>"), which a causal language model needs`);
  const bos = tokenizer.specialTokenId('bos_token') ?? tokenizer.specialTokenId('cls_token') ?? eos;
  return { padTokenId: tokenizer.specialTokenId('pad_token') ?? eos, bosTokenId: bos, eosTokenId: eos };
}

/** The target side's end-of-sequence id (Marian's `</s>`): the tokenizer's eos token, else its sep token. */
function seq2seqEosTokenId(tokenizer: PretrainedTokenizer, vocab: string): number {
  const id = tokenizer instanceof SubwordTokenizer ? (tokenizer.specialTokenId('eos_token') ?? tokenizer.specialTokenId('sep_token')) : tokenizer.sepTokenId;
  if (id === undefined) throw new CliConfigError(`--vocab: ${vocab} has no end-of-sequence token (eos_token, e.g. "</s>"), which a translation model ends its targets with`);
  return id;
}

/**
 * `--vocab`: a vocab.txt (WordPiece) or a tokenizer.json (its model type must be the family's:
 * WordPiece for bert/distilbert, BPE for roberta, gpt2, llama and qwen2, Unigram for xlm-roberta).
 */
async function readTokenizer(options: InitModelOptions, arch: ModelType): Promise<PretrainedTokenizer> {
  const expected = TOKENIZER_OF[arch];
  if (basename(options.vocab) !== 'tokenizer.json') {
    if (expected !== 'WordPiece') {
      throw new CliConfigError(`--vocab: --arch ${arch} needs a tokenizer.json with a ${expected} model, got ${options.vocab}`);
    }
    return BertTokenizer.fromVocabFile(options.vocab, { doLowerCase: options.uncased });
  }
  // Both tokenizer classes load from a directory: give them one that holds only this file.
  const dir = await mkdtemp(join(tmpdir(), 'tunefleet-init-'));
  try {
    await copyFile(options.vocab, join(dir, 'tokenizer.json'));
    const tokenizer = expected === 'WordPiece' ? await BertTokenizer.fromPretrained(dir) : await SubwordTokenizer.fromPretrained(dir);
    const accepted = [expected, ...(ALSO_ACCEPTED[arch] ?? [])];
    if (tokenizer instanceof SubwordTokenizer && !accepted.includes(tokenizer.modelType as (typeof accepted)[number])) {
      throw new CliConfigError(`--vocab: --arch ${arch} needs a ${expected} tokenizer.json, ${options.vocab} holds a ${tokenizer.modelType} model`);
    }
    return tokenizer;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
