import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { asOpenApiDocument, ContractInputError } from './document.js';
import type { JsonObject } from './types.js';

/** Where `npm run contract` writes the document, in the working tree and in every commit. */
export const CONTRACT_PATH = 'openapi/openapi.json';

export interface LoadedContract {
  /** How the user named it, resolved: `openapi/openapi.json`, `main:openapi/openapi.json`. */
  source: string;
  document: JsonObject;
}

/**
 * A contract named the way CI names one: a file, `REF:PATH` (e.g. `HEAD~1:openapi/openapi.json`), or a bare
 * git ref meaning that ref's `openapi/openapi.json`. A file that exists wins over a ref of the same name.
 */
export function loadContract(spec: string, cwd: string): LoadedContract {
  if (spec === '') throw new ContractInputError('an empty contract name was given');
  const file = resolve(cwd, spec);
  if (isFile(file)) return parse(readFileSync(file, 'utf8'), spec);

  const colon = spec.indexOf(':');
  if (colon >= 0) {
    const ref = spec.slice(0, colon);
    const path = spec.slice(colon + 1);
    if (ref !== '' && !isCommit(ref, cwd)) {
      throw new ContractInputError(`'${spec}': '${ref}' is not a git ref here (and no such file exists)`);
    }
    return parse(gitShow(ref, path, cwd), spec);
  }
  if (isCommit(spec, cwd)) {
    const source = `${spec}:${CONTRACT_PATH}`;
    return parse(gitShow(spec, CONTRACT_PATH, cwd), source);
  }
  throw new ContractInputError(`'${spec}' is neither a file nor a git ref (looked in ${cwd})`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function isCommit(ref: string, cwd: string): boolean {
  // A leading dash would be read as an option.
  if (ref.startsWith('-')) return false;
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd);
    return true;
  } catch {
    return false;
  }
}

function gitShow(ref: string, path: string, cwd: string): string {
  try {
    return git(['show', `${ref}:${path}`], cwd);
  } catch (error) {
    const detail = error instanceof Error && 'stderr' in error ? String(error.stderr).trim() : String(error);
    throw new ContractInputError(`cannot read '${path}' at '${ref || 'the index'}': ${detail}`);
  }
}

function parse(text: string, source: string): LoadedContract {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ContractInputError(
      `${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { source, document: asOpenApiDocument(value, source) };
}
