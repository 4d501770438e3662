/**
 * Parse-time validation of the CLI's values: every numeric flag goes through one of these, so `--lr abc`,
 * `--steps 0` or `--spacing 4,4` stop before any work with one line naming the flag and the expected form.
 *
 * Each `xxxOption(...)` returns a yargs option (`type: 'string'` plus a `coerce`), so the value is checked as
 * yargs parses the command line, the defaults and `--config` files alike. A coerce function accepts the
 * string typed on the command line, a number or an array (from a JSON/YAML config file).
 */
import { parseWidths } from '../../graphs/unet';
import { UserError } from '../engine/errors';

export type Triple = [number, number, number];

/** What a numeric flag accepts. */
export interface NumberRule {
  /** Integers only. */
  int?: boolean;
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  minExclusive?: boolean;
  /** Largest allowed value (inclusive unless `maxExclusive`). */
  max?: number;
  maxExclusive?: boolean;
}

/** "a positive integer", "a number in [0, 1)", … for messages. */
export function describeRule(r: NumberRule): string {
  const kind = r.int ? 'integer' : 'number';
  if (r.min !== undefined && r.max !== undefined) {
    return `a${r.int ? 'n' : ''} ${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
  }
  if (r.min === 0 && r.minExclusive) return `a positive ${kind}`;
  if (r.min === 1 && r.int && !r.minExclusive) return 'a positive integer';
  if (r.min === 0) return `a non-negative ${kind}`;
  if (r.min !== undefined) return `a${r.int ? 'n' : ''} ${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return `a${r.int ? 'n' : ''} ${kind} ${r.maxExclusive ? '<' : '<='} ${r.max}`;
  return `a${r.int ? 'n' : ''} ${kind}`;
}

const shown = (v: unknown) => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.join(',')}]` : String(v));

function bad(flag: string, v: unknown, expected: string): never {
  throw new UserError(`--${flag} expects ${expected}, got ${shown(v)}`);
}

/** One number per the rule, or a UserError naming the flag. Strings must be plain decimal/exponent numbers. */
export function parseNumber(flag: string, v: unknown, rule: NumberRule = {}): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(v)) x = Number(v);
  else return bad(flag, v, describeRule(rule));
  const ok =
    Number.isFinite(x) &&
    (!rule.int || Number.isInteger(x)) &&
    (rule.min === undefined || (rule.minExclusive ? x > rule.min : x >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? x < rule.max : x <= rule.max));
  if (!ok) bad(flag, v, describeRule(rule));
  return x;
}

/** A comma-separated list (or an array from a config file) split into items. */
function items(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim());
  return [v];
}

/**
 * D,H,W of numbers per the rule, or one number for all three axes (`cube`). Used for --size (integers >= 4)
 * and --spacing (positive mm).
 */
export function parseTriple(flag: string, v: unknown, rule: NumberRule, what: string): Triple {
  const parts = items(v);
  const expected = `D,H,W or one number (${what}), each ${describeRule(rule)}`;
  if (parts.length !== 1 && parts.length !== 3) bad(flag, v, expected);
  const nums = parts.map((p) => {
    try {
      return parseNumber(flag, p, rule);
    } catch {
      return bad(flag, v, expected);
    }
  });
  return (nums.length === 1 ? [nums[0], nums[0], nums[0]] : nums) as Triple;
}

/** --size: crop / window D,H,W in voxels, integers >= 4 (one number: a cube). */
export const parseSize = (v: unknown, flag = 'size'): Triple => parseTriple(flag, v, { int: true, min: 4 }, 'voxels');

/** --spacing: target spacing D,H,W in mm, positive (one number: isotropic). */
export const parseSpacing = (v: unknown, flag = 'spacing'): Triple =>
  parseTriple(flag, v, { min: 0, minExclusive: true }, 'mm');

/** A spacing stored as one number when isotropic (as older configs hold it), else [sd, sh, sw]. */
export function compactSpacing(s: Triple | undefined): number | Triple | undefined {
  if (!s) return undefined;
  return s[0] === s[1] && s[1] === s[2] ? s[0] : s;
}

/** --chan: nine U-Net widths c0..c8 (multiples of 8; c4, c8 of 16), checked by graphs/unet's parseWidths. */
export function parseWidthList(v: unknown, flag = 'chan'): number[] {
  const parts = items(v);
  const expected = 'nine comma-separated positive integers c0,…,c8 (e.g. 32,64,128,256,512,256,128,64,32)';
  if (parts.length !== 9) bad(flag, v, expected);
  const nums = parts.map((p) => {
    try {
      return parseNumber(flag, p, { int: true, min: 1 });
    } catch {
      return bad(flag, v, expected);
    }
  });
  try {
    return [...parseWidths(nums)];
  } catch (e) {
    throw new UserError(`--${flag}: ${(e as Error).message.replace(/^--chan needs/, 'needs')}`);
  }
}

/** The isotropic spacing a spacing stands for where only one number fits (the coarsest axis). */
export const coarsest = (s: number | readonly number[]): number =>
  typeof s === 'number' ? s : Math.max(s[0], s[1], s[2]);

type Describe = { describe?: string; default?: unknown; hidden?: boolean; demandOption?: boolean | string };

/** A yargs option for a number following `rule` (`o`'s own type is kept, so yargs sees a given default). */
export function numberOption<O extends Describe>(flag: string, rule: NumberRule, o: O = {} as O) {
  return {
    type: 'string' as const,
    ...o,
    coerce: (v: unknown): number => (v === undefined ? (v as never) : parseNumber(flag, last(v), rule)),
  };
}

/** A yargs option for D,H,W (or one number) in voxels. */
export function sizeOption<O extends Describe>(flag: string, o: O = {} as O) {
  return {
    type: 'string' as const,
    ...o,
    coerce: (v: unknown): Triple => (v === undefined ? (v as never) : parseSize(lastList(v), flag)),
  };
}

/** A yargs option for a spacing D,H,W (or one number) in mm. */
export function spacingOption<O extends Describe>(flag: string, o: O = {} as O) {
  return {
    type: 'string' as const,
    ...o,
    coerce: (v: unknown): Triple => (v === undefined ? (v as never) : parseSpacing(lastList(v), flag)),
  };
}

/** A yargs option for nine U-Net widths. */
export function widthsOption<O extends Describe>(flag: string, o: O = {} as O) {
  return {
    type: 'string' as const,
    ...o,
    coerce: (v: unknown): number[] => (v === undefined ? (v as never) : parseWidthList(lastList(v), flag)),
  };
}

// NOTE: the coerce functions return the parsed type (yargs infers the argument's type from it; undefined never
// reaches them). A flag given twice arrives as an array of strings: the last one wins (as yargs does for plain flags).
const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
const lastList = (v: unknown) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? v[v.length - 1] : v;

/** Common rules. */
export const RULES = {
  positiveInt: { int: true, min: 1 },
  nonNegativeInt: { int: true, min: 0 },
  positive: { min: 0, minExclusive: true },
  nonNegative: { min: 0 },
  fraction: { min: 0, max: 1, maxExclusive: true },
  seed: { int: true, min: 0, max: 2 ** 32 - 1 },
} satisfies Record<string, NumberRule>;
