import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../../core/errors.js';
import { redactText } from '../../../core/redact.js';
import { helmErrorText, runHelm, withHelmHome } from './run-helm.js';

/** A Helm binary that answered `helm version --short`. */
export interface Helm {
  path: string;
  /** As Helm says it: `v4.1.4+g05fa379`. */
  version: string;
}

/** Most bytes of rendered manifests read from one chart (kube-prometheus-stack renders about 5 MB). */
export const MAX_RENDERED = 256 << 20;
/** A chart renders in well under a second; this bounds one that loops or waits. */
export const RENDER_TIMEOUT_MS = 120_000;

export interface TemplateRequest {
  /** The chart's name (also the release name) and version, for messages. */
  name: string;
  version: string;
  tgz: Buffer;
  /** The user's values files, absolute paths, in manifest order. */
  values: string[];
  /** `--kube-version`; undefined: Helm's default. */
  kubeVersion?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `helm template NAME CHART.tgz --include-crds [--kube-version V] -f VALUES…`: the chart's manifests as Helm renders
 * them, hooks and tests included (what `helm install` would start). The archive is written to a private directory
 * that is removed afterwards. Helm's own refusal (a kubeVersion constraint, a `required` value, a schema) is
 * CHART_RENDER_FAILED with Helm's words.
 */
export async function helmTemplate(helm: Helm, req: TemplateRequest): Promise<string> {
  const subject = `chart ${req.name} ${req.version}`;
  const k8s = req.kubeVersion ? `Kubernetes ${req.kubeVersion}` : "Helm's default Kubernetes version";
  const fail = (why: string, extra: Record<string, unknown> = {}) =>
    new FerryError('CHART_RENDER_FAILED', `${subject}: helm template (Helm ${helm.version}, ${k8s}) ${why}`, {
      chart: req.name,
      version: req.version,
      helm: helm.path,
      ...(req.kubeVersion ? { kubeVersion: req.kubeVersion } : {}),
      ...extra,
    });
  const out = await withHelmHome(async (home) => {
    const tgz = join(home, 'chart.tgz');
    await writeFile(tgz, req.tgz, { mode: 0o600 });
    const args = ['template', req.name, tgz, '--include-crds'];
    if (req.kubeVersion) args.push('--kube-version', req.kubeVersion);
    for (const v of req.values) args.push('-f', v);
    return runHelm(helm.path, args, { home, signal: req.signal, timeoutMs: RENDER_TIMEOUT_MS, maxStdout: MAX_RENDERED }).catch(
      (err: unknown) => {
        if (req.signal?.aborted) throw err;
        throw fail(`could not run ${helm.path}: ${notRunnable(err).message}`);
      },
    );
  });
  if (out.stopped === 'timeout')
    throw fail(`did not finish within ${RENDER_TIMEOUT_MS / 1000} s; set render: false on the chart entry to find its images without Helm`);
  if (out.stopped === 'too much output')
    throw fail(`printed more than ${MAX_RENDERED} bytes (256 MiB) of manifests, more than ferry reads from one chart`);
  if (out.code !== 0) {
    const said = redactText(helmErrorText(out.stderr)) || `exited with status ${out.code ?? 'by a signal'}`;
    throw fail(
      `failed: ${said}\n  fix the values or the Kubernetes version (spec.rke2, kubeVersion), or set render: false on the chart entry to find its images without Helm`,
      { helmError: said },
    );
  }
  return out.stdout.toString('utf8');
}

/** `helm version --short`, checked to be Helm 3 or later (the `template` flags used here). */
export async function helmVersion(path: string, signal?: AbortSignal): Promise<Helm> {
  const out = await withHelmHome((home) =>
    runHelm(path, ['version', '--short'], { home, signal, timeoutMs: 30_000, maxStdout: 64 << 10 }).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      throw notRunnable(err);
    }),
  );
  const version = out.stdout.toString('utf8').trim();
  const m = /^v(\d+)\.\d+\.\d+\S*$/.exec(version);
  if (out.code !== 0 || !m)
    throw new HelmUnusable(
      out.code !== 0
        ? `\`helm version --short\` exited with status ${out.code ?? 'by a signal'}: ${redactText(helmErrorText(out.stderr))}`
        : `\`helm version --short\` printed ${JSON.stringify(version.slice(0, 80))}, not a Helm version`,
    );
  if (Number(m[1]) < 3) throw new HelmUnusable(`it is Helm ${version}; ferry renders with Helm 3 or later`);
  return { path, version };
}

/** The binary cannot be used as Helm; the caller says where it came from (--helm, spec.helm.path, PATH). */
export class HelmUnusable extends Error {}

function notRunnable(err: unknown): HelmUnusable {
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES'
        ? 'not executable'
        : e.code === 'ENOEXEC'
          ? 'not a program this machine runs'
          : `it could not be started (${e.code ?? e.message})`;
  return new HelmUnusable(why);
}
