import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDocument } from '../contract/document.js';
import type { ReadSource } from '../lifecycle/audit.js';
import { deriveLifecycle } from '../lifecycle/derive.js';
import { MANIFEST_PATH, ManifestError, parseManifest, type RetirementManifest } from '../lifecycle/manifest.js';
import { formatJson } from './json-format.js';

/** This package's own checkout: where `npx zpe-gateway` finds routes/, openapi/ and src/ by default. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The manifest as written (kept for editing, so unknown-to-us formatting choices survive) and as checked. */
export interface LoadedManifest {
  raw: { items: Record<string, unknown>[] } & Record<string, unknown>;
  manifest: RetirementManifest;
}

/** The repository a `retire` command works on: its manifest, its contract artifacts, its sources. */
export class Workspace {
  readonly manifestPath: string;
  /** How messages name the manifest: `routes/retirement.json` in the repository, else the path given. */
  readonly manifestName: string;

  constructor(
    readonly root: string,
    manifest?: string,
  ) {
    this.manifestPath = manifest ?? join(root, MANIFEST_PATH);
    const inRoot = relative(root, this.manifestPath);
    this.manifestName = !inRoot.startsWith('..') && !isAbsolute(inRoot) ? inRoot : this.manifestPath;
  }

  load(): LoadedManifest {
    let text: string;
    try {
      text = readFileSync(this.manifestPath, 'utf8');
    } catch (error) {
      throw new ManifestError(this.manifestName, [`cannot be read: ${(error as Error).message}`]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ManifestError(this.manifestName, [`is not valid JSON: ${(error as Error).message}`]);
    }
    return { raw: raw as LoadedManifest['raw'], manifest: parseManifest(raw, this.manifestName) };
  }

  /** Checks the edited manifest before anything is written: a command never leaves a broken one behind. */
  save(raw: LoadedManifest['raw']): RetirementManifest {
    const manifest = parseManifest(raw, this.manifestName);
    writeFileSync(this.manifestPath, formatJson(raw));
    return manifest;
  }

  readonly read: ReadSource = (path) => {
    try {
      return readFileSync(join(this.root, path), 'utf8');
    } catch {
      return undefined;
    }
  };

  /**
   * Regenerates openapi/openapi.json and openapi/schema.ts for `manifest` with the contract tooling.
   * Loaded here, not at the top: openapi-typescript is a development dependency, and the read-only
   * commands (status, audit) must work after a production install (`npm ci --omit=dev`).
   */
  async writeContract(manifest: RetirementManifest): Promise<string[]> {
    const { generateArtifacts } = await import('../contract-diff/artifacts.js').catch((error: unknown) => {
      throw new Error(
        `regenerating openapi/ needs the development dependencies (npm ci without --omit=dev): ${(error as Error).message}`,
      );
    });
    const artifacts = await generateArtifacts(buildDocument(deriveLifecycle(manifest)));
    for (const { path, text } of artifacts) {
      mkdirSync(dirname(join(this.root, path)), { recursive: true });
      writeFileSync(join(this.root, path), text);
    }
    return artifacts.map((a) => a.path);
  }

  write(path: string, text: string): void {
    writeFileSync(join(this.root, path), text);
  }
}
