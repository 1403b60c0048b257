// Looks at a JSON body chunk by chunk as it arrives, before JSON.parse sees it, and stops at the
// first sign that parsing it would cost far more than its size: V8 gives every new sequence of
// property names its own hidden class (a 12.8 MB array of objects with 100 distinct keys each took
// 11 s and 3.3 GB to parse), and every object or array costs tens of bytes however small its text.
// It is not a validator: malformed JSON passes here and fails in JSON.parse.
import type { ErrorDetail } from '../errors/domain-error';

export interface ShapeLimits {
  /** Objects nested in arrays and objects, the body itself counted as 1. */
  maxDepth: number;
  /** Distinct sequences of property names (hidden classes V8 would create), over the whole body. */
  maxKeyLayouts: number;
  /** Objects and arrays in the whole body. */
  maxContainers: number;
  /** Array elements in the whole body: nesting arrays must not get around it. */
  maxElements: number;
}

export interface ShapeProblem {
  /** `containers` and `elements` are a matter of size (413); the others of form (400). */
  kind: 'depth' | 'layouts' | 'containers' | 'elements';
  /** `path` is only filled in by a scanner made with `paths: true`. */
  detail: ErrorDetail;
}

export interface ScannerOptions {
  /** Seeds the hash of keys; a scanner that locates a problem must use its finder's seed. */
  seed: number;
  /** Name the path of a problem: slower, for a second pass over a body already refused. */
  paths?: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const FNV_PRIME = 0x01000193;

/**
 * A node of the tree of key sequences: the same tree V8's map transitions form. Keys are known by
 * a seeded hash of their bytes and length, folded to 30 bits: building a string per key would cost
 * more than all the rest of the scan, and a collision only lets two layouts count as one.
 */
type LayoutNode = Map<number, LayoutNode>;

interface Frame {
  isObject: boolean;
  /** Objects: where their keys so far lead in the layout tree. */
  layout: LayoutNode | undefined;
  /** Objects: the last key read (with `paths` only); arrays: the index of the current element. */
  key: string;
  index: number;
  /** Objects: the next string is a key. */
  expectKey: boolean;
}

export class JsonShapeScanner {
  private readonly root: LayoutNode = new Map();
  private layouts = 0;
  private containers = 0;
  private elements = 0;
  private readonly stack: Frame[] = [];
  private inString = false;
  private escaped = false;
  private inKey = false;
  private keyHash = 0;
  private keyLength = 0;
  /** With `paths`: the first bytes of a key that spans chunks. */
  private keyHead: Buffer | undefined;
  private problem: ShapeProblem | undefined;
  private readonly seed: number;
  private readonly paths: boolean;

  constructor(
    private readonly limits: ShapeLimits,
    { seed, paths = false }: ScannerOptions,
  ) {
    this.seed = seed | 0;
    this.paths = paths;
  }

  /** Feeds the next chunk; returns the first problem found (and keeps returning it). */
  write(chunk: Buffer): ShapeProblem | undefined {
    if (this.problem) return this.problem;
    // A plain byte loop over locals: Buffer.indexOf, subarray and toString cost more than they
    // save on the short strings that make up most bodies.
    let inString = this.inString;
    let escaped = this.escaped;
    let inKey = this.inKey;
    let hash = this.keyHash;
    let keyLength = this.keyLength;
    let keyStart = 0;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          if (inKey) {
            hash = Math.imul(hash ^ chunk[i], FNV_PRIME);
            keyLength++;
          }
          continue;
        }
        // Most bytes of a body are inside strings: run through them in a loop of their own.
        let byte = chunk[i];
        if (inKey) {
          while (byte !== QUOTE && byte !== BACKSLASH) {
            hash = Math.imul(hash ^ byte, FNV_PRIME);
            keyLength++;
            if (++i === length) break;
            byte = chunk[i];
          }
        } else {
          while (byte !== QUOTE && byte !== BACKSLASH) {
            if (++i === length) break;
            byte = chunk[i];
          }
        }
        if (i === length) break;
        if (byte === BACKSLASH) {
          escaped = true;
          if (inKey) {
            hash = Math.imul(hash ^ byte, FNV_PRIME);
            keyLength++;
          }
          continue;
        }
        inString = false;
        if (inKey) {
          inKey = false;
          if (this.endKey(hash, keyLength, chunk, keyStart, i)) return this.problem;
        }
        continue;
      }
      const byte = chunk[i];
      switch (byte) {
        case QUOTE: {
          inString = true;
          const top = this.stack[this.stack.length - 1];
          if (top !== undefined && top.isObject && top.expectKey) {
            top.expectKey = false;
            inKey = true;
            hash = this.seed;
            keyLength = 0;
            keyStart = i + 1;
          }
          break;
        }
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (this.open(byte === OPEN_OBJECT)) return this.problem;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.stack.pop();
          break;
        case COMMA: {
          const top = this.stack[this.stack.length - 1];
          if (top === undefined) break;
          if (top.isObject) top.expectKey = true;
          else {
            top.index++;
            // Counted at the commas: every array's first element is covered by maxContainers.
            if (++this.elements >= this.limits.maxElements) {
              this.fail(
                'elements',
                `brings the body past ${this.limits.maxElements} array elements`,
              );
              return this.problem;
            }
          }
          break;
        }
      }
    }
    this.inString = inString;
    this.escaped = escaped;
    this.inKey = inKey;
    this.keyHash = hash;
    this.keyLength = keyLength;
    if (inKey && this.paths) {
      const rest = chunk.subarray(keyStart);
      this.keyHead = this.keyHead ? Buffer.concat([this.keyHead, rest]) : Buffer.from(rest);
    }
    return undefined;
  }

  private open(isObject: boolean): boolean {
    if (++this.containers > this.limits.maxContainers) {
      return this.fail(
        'containers',
        `holds more than ${this.limits.maxContainers} objects and arrays`,
      );
    }
    if (this.stack.length + 1 > this.limits.maxDepth) {
      return this.fail('depth', `nests deeper than ${this.limits.maxDepth} levels`);
    }
    this.stack.push({
      isObject,
      layout: isObject ? this.root : undefined,
      key: '',
      index: 0,
      expectKey: isObject,
    });
    return false;
  }

  private endKey(hash: number, length: number, chunk: Buffer, start: number, end: number): boolean {
    const top = this.stack[this.stack.length - 1];
    if (this.paths) {
      const tail = chunk.subarray(start, end);
      top.key = (this.keyHead ? Buffer.concat([this.keyHead, tail]) : tail).toString('utf8');
      this.keyHead = undefined;
    }
    // Folded into a small integer, which V8 keeps unboxed: a Map of doubles costs twice as much.
    const id = Math.imul(hash ^ length, FNV_PRIME) & 0x3fffffff;
    let next = top.layout!.get(id);
    if (next === undefined) {
      if (++this.layouts > this.limits.maxKeyLayouts) {
        return this.fail(
          'layouts',
          `brings the body past ${this.limits.maxKeyLayouts} distinct sequences of keys; ` +
            'give objects of one kind the same keys in the same order',
        );
      }
      next = new Map();
      top.layout!.set(id, next);
    }
    top.layout = next;
    return false;
  }

  private fail(kind: ShapeProblem['kind'], message: string): true {
    this.problem = { kind, detail: { path: this.paths ? this.path() : '', message } };
    return true;
  }

  /** Where the scanner is, written like the validation errors' paths: `recipients[3].variables`. */
  private path(): string {
    let path = '';
    for (let depth = 0; depth < this.stack.length; depth++) {
      const frame = this.stack[depth];
      const isLast = depth === this.stack.length - 1;
      // An object's key belongs in the path once its value is being read (the deepest frame of an
      // object whose key is the problem names that key too).
      if (frame.isObject) {
        if (frame.key !== '' && (!isLast || !frame.expectKey)) {
          path = path ? `${path}.${frame.key}` : frame.key;
        }
      } else {
        path = `${path}[${frame.index}]`;
      }
    }
    return path;
  }
}
