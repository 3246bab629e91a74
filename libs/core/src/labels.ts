/**
 * The label of a position that takes no loss and no metric: Hugging Face's `ignore_index`
 * (`torch.nn.CrossEntropyLoss`' default), also the padding value of concatenated predictions.
 */
export const IGNORE_INDEX = -100;
