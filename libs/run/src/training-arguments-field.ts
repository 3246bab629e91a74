import { parseTrainingArguments, TrainingArgumentsError, type TrainingArguments } from '@tunefleet/trainer';
import { z } from 'zod';

/**
 * `training_arguments:` as a nested mapping (job files, gRPC JobSpec JSON): parsed by the trainer's
 * own schema, and each of its invalid fields becomes an issue at `training_arguments.<field>`, so
 * they are reported together with the run's other fields.
 */
export const TrainingArgumentsField = z
  .record(z.string(), z.unknown(), { error: 'must be a mapping of transformers.TrainingArguments fields' })
  .transform((input, ctx): TrainingArguments => {
    try {
      return parseTrainingArguments(input, 'training_arguments');
    } catch (error) {
      if (!(error instanceof TrainingArgumentsError)) throw error;
      for (const issue of error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.field.split('.') });
      return z.NEVER;
    }
  });
