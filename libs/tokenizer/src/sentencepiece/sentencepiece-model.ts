import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { TokenizerError } from '../tokenizer-error.ts';

/** SentencePiece.Type of sentencepiece_model.proto. */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SentencePiece {
  readonly piece: string;
  readonly score: number;
  readonly type: number;
}

/** The fields of sentencepiece_model.proto's ModelProto this library uses (field numbers in comments). */
export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[]; // 1
  readonly trainerSpec: {
    readonly modelType: number; // 3: UNIGRAM 1, BPE 2, WORD 3, CHAR 4
    readonly treatWhitespaceAsSuffix: boolean; // 24
    readonly byteFallback: boolean; // 35
  };
  readonly normalizerSpec: {
    readonly name: string; // 1
    readonly precompiledCharsmap: Uint8Array; // 2
    readonly addDummyPrefix: boolean; // 3, default true
    readonly removeExtraWhitespaces: boolean; // 4, default true
    readonly escapeWhitespaces: boolean; // 5, default true
  };
}

export const MODEL_TYPE_UNIGRAM = 1;

/**
 * Decodes a SentencePiece model file (`source.spm`, `*.model`): a serialized ModelProto, read with
 * @bufbuild/protobuf's BinaryReader (no generated code: only the fields above are read, others skipped).
 */
export function readSentencePieceModel(bytes: Uint8Array, source: string): SentencePieceModel {
  try {
    const pieces: SentencePiece[] = [];
    let trainerSpec: SentencePieceModel['trainerSpec'] = { modelType: MODEL_TYPE_UNIGRAM, treatWhitespaceAsSuffix: false, byteFallback: false };
    let normalizerSpec: SentencePieceModel['normalizerSpec'] = {
      name: '',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    };
    readFields(new BinaryReader(bytes), (field, reader, wire) => {
      if (field === 1 && wire === WireType.LengthDelimited) pieces.push(readPiece(new BinaryReader(reader.bytes())));
      else if (field === 2 && wire === WireType.LengthDelimited) trainerSpec = readTrainerSpec(new BinaryReader(reader.bytes()), trainerSpec);
      else if (field === 3 && wire === WireType.LengthDelimited) normalizerSpec = readNormalizerSpec(new BinaryReader(reader.bytes()), normalizerSpec);
      else return false;
      return true;
    });
    if (pieces.length === 0) throw new Error('no pieces');
    return { pieces, trainerSpec, normalizerSpec };
  } catch (error) {
    if (error instanceof TokenizerError) throw error;
    throw new TokenizerError('TOKENIZER_INVALID', `${source}: not a SentencePiece model (${(error as Error).message})`, { cause: error });
  }
}

/** Calls `read` for every field; a field it does not take (returns false) is skipped. */
function readFields(reader: BinaryReader, read: (field: number, reader: BinaryReader, wire: WireType) => boolean): void {
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!read(field, reader, wire)) reader.skip(wire, field);
  }
}

function readPiece(reader: BinaryReader): SentencePiece {
  let piece = '';
  let score = 0;
  let type: number = PieceType.NORMAL;
  readFields(reader, (field, r, wire) => {
    if (field === 1 && wire === WireType.LengthDelimited) piece = r.string();
    else if (field === 2 && wire === WireType.Bit32) score = r.float();
    else if (field === 3 && wire === WireType.Varint) type = r.int32();
    else return false;
    return true;
  });
  return { piece, score, type };
}

function readTrainerSpec(reader: BinaryReader, spec: SentencePieceModel['trainerSpec']): SentencePieceModel['trainerSpec'] {
  let { modelType, treatWhitespaceAsSuffix, byteFallback } = spec;
  readFields(reader, (field, r, wire) => {
    if (wire !== WireType.Varint) return false;
    if (field === 3) modelType = r.int32();
    else if (field === 24) treatWhitespaceAsSuffix = r.bool();
    else if (field === 35) byteFallback = r.bool();
    else return false;
    return true;
  });
  return { modelType, treatWhitespaceAsSuffix, byteFallback };
}

function readNormalizerSpec(reader: BinaryReader, spec: SentencePieceModel['normalizerSpec']): SentencePieceModel['normalizerSpec'] {
  let { name, precompiledCharsmap, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces } = spec;
  readFields(reader, (field, r, wire) => {
    if (field === 1 && wire === WireType.LengthDelimited) name = r.string();
    else if (field === 2 && wire === WireType.LengthDelimited) precompiledCharsmap = r.bytes();
    else if (field === 3 && wire === WireType.Varint) addDummyPrefix = r.bool();
    else if (field === 4 && wire === WireType.Varint) removeExtraWhitespaces = r.bool();
    else if (field === 5 && wire === WireType.Varint) escapeWhitespaces = r.bool();
    else return false;
    return true;
  });
  return { name, precompiledCharsmap, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces };
}
