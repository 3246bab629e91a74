import { extname } from 'node:path';
import { encodeConversations, encodeTextBlocks, loadChatTemplate, readConversations, readTextLines, type ChatTemplate, type EncodedDataset } from '@tunefleet/data';
import { loadPretrained } from '@tunefleet/model';
import type { PretrainedTokenizer } from '@tunefleet/tokenizer';
import { causalLmEvaluation } from '@tunefleet/trainer';
import { DEFAULT_BLOCK_SIZE_CAP, type RunArguments } from './run-arguments.ts';
import type { PositionTable } from './preflight.ts';
import type { RunInputs } from './run-inputs.ts';

/** Chat data is JSON Lines (`{"messages": [...]}`); any other file is plain text, one line each. */
export function isChatFile(file: string): boolean {
  const extension = extname(file).toLowerCase();
  return extension === '.jsonl' || extension === '.json';
}

/**
 * run_clm's block size: `block_size` when given, else the model's context capped at 1024; one longer
 * than the context is cut to it with a warning, as run_clm does.
 */
export function resolveBlockSize(run: Pick<RunArguments, 'block_size'>, positions: PositionTable | undefined, log: (line: string) => void): number {
  const context = positions?.limit;
  if (run.block_size === undefined) return Math.min(context ?? DEFAULT_BLOCK_SIZE_CAP, DEFAULT_BLOCK_SIZE_CAP);
  if (context !== undefined && run.block_size > context) {
    log(`block_size (--block-size) ${run.block_size} is longer than the model's context (${positions!.file} has ${positions!.description}); using ${context}`);
    return context;
  }
  return run.block_size;
}

/**
 * Causal LM: chat JSONL rendered with the model's chat template (its tokenizer_config.json's or
 * chat_template.jinja, ChatML when it has none), labels on assistant turns unless
 * assistant_only_loss is off, conversations truncated (counted) or refused past block_size, packed on
 * request; or plain text cut into blocks of block_size (line_by_line: one row per line). The same on
 * every rank. Evaluation adds perplexity and next-token accuracy to eval_loss.
 */
export async function loadCausalLmInputs(
  run: RunArguments,
  tokenizer: PretrainedTokenizer,
  positions: PositionTable | undefined,
  seed: number,
  log: (line: string) => void,
): Promise<RunInputs> {
  const blockSize = resolveBlockSize(run, positions, log);
  const padId = paddingIdOf(tokenizer);
  const isChat = isChatFile(run.train_file);
  let template: ChatTemplate | undefined;
  if (isChat) {
    template = await loadChatTemplate(run.model_name_or_path);
    log(`chat template: ${template.source}`);
  }
  const read = async (file: string): Promise<EncodedDataset> => {
    if (template !== undefined && isChatFile(file)) {
      const set = await readConversations(file, { skipBadRows: run.skip_bad_rows });
      const encoded = encodeConversations(set.conversations, template, tokenizer, {
        file,
        blockSize,
        padId,
        assistantOnlyLoss: run.assistant_only_loss,
        packing: run.packing,
        longConversation: run.long_conversation_strategy,
        skipBadRows: run.skip_bad_rows,
      });
      const skipped = set.badRows.length + encoded.badRows.length;
      if (skipped > 0) log(`${file}: skipped ${skipped} bad rows`);
      const notes = [
        encoded.truncated > 0 ? `${encoded.truncated} truncated to block_size ${blockSize}` : '',
        encoded.dropped > 0 ? `${encoded.dropped} dropped (no assistant token left after truncation)` : '',
      ].filter((note) => note !== '');
      const rows = run.packing ? ` packed into ${encoded.dataset.size} rows of up to ${blockSize} tokens` : '';
      log(`${file}: ${encoded.conversations} conversations${rows}${notes.length > 0 ? `; ${notes.join(', ')}` : ''}${run.assistant_only_loss ? ' (loss on assistant turns)' : ''}`);
      return encoded.dataset;
    }
    const set = await readTextLines(file, { skipBadRows: run.skip_bad_rows });
    if (set.badRows.length > 0) log(`${file}: skipped ${set.badRows.length} bad rows`);
    const dataset = encodeTextBlocks(
      set.examples.map((example) => example.text),
      tokenizer,
      { blockSize, padId, lineByLine: run.line_by_line },
    );
    log(`${file}: ${set.examples.length} lines in ${dataset.size} ${run.line_by_line ? 'lines' : `blocks of up to ${blockSize} tokens`}`);
    return dataset;
  };
  const trainSet = await read(run.train_file);
  const evalSet = run.validation_file ? await read(run.validation_file) : undefined;
  const { model } = await loadPretrained(run.model_name_or_path, { task: 'causal-lm', seed, log });
  return { model, tokenizer, trainSet, ...causalLmEvaluation(), ...(evalSet ? { evalSet } : {}) };
}

/**
 * The id that pads causal-LM batches: pad_token, else eos_token (GPT-2 has no pad; the common
 * `tokenizer.pad_token = tokenizer.eos_token`), else 0. Padded positions have attention 0 and
 * label -100, so the id itself is never learned.
 */
export function paddingIdOf(tokenizer: PretrainedTokenizer): number {
  const lookup = (tokenizer as { specialTokenId?: (key: 'pad_token' | 'eos_token') => number | undefined }).specialTokenId;
  if (typeof lookup !== 'function') return tokenizer.padTokenId;
  return lookup.call(tokenizer, 'pad_token') ?? lookup.call(tokenizer, 'eos_token') ?? 0;
}
