import { z } from 'zod';

/**
 * Field schemas the manifest entries of several kinds share (docs/manifest.md). The kinds' own `spec.<key>`
 * schemas (kinds/<kind>/schema.ts) import these; the composed manifest is schema.ts.
 */
export type PlatformSpec = 'all' | string[];

export const unionMessage =
  (message: string): z.ZodErrorMap =>
  (issue, ctx) => ({ message: issue.code === 'invalid_union' ? message : ctx.defaultError });

export const platformsSchema = z.union([z.string(), z.array(z.string()).min(1)], {
  errorMap: unionMessage('expected the word all or a list of platforms such as [linux/amd64]'),
});

/** Why a URL string is unacceptable, or undefined. */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http:// and https:// URLs are supported, not ${url.protocol}//`;
  // URLs are written to the lock and the bundle; a password in one would travel with them.
  if (url.username !== '' || url.password !== '') return 'URLs must not carry credentials (user:password@)';
  return undefined;
}

export const httpUrl = z.string().superRefine((v, ctx) => {
  const why = httpUrlProblem(v);
  if (why) ctx.addIssue({ code: z.ZodIssueCode.custom, message: why });
});

export const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (a sha256)');

/** Helpers for the normalisers: the parsed YAML before validation may be missing anything or of the wrong type. */
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
