import committed from '../../routes/retirement.json' with { type: 'json' };
import { parseManifest, type RetirementManifest } from './manifest.js';

let checked: RetirementManifest | undefined;

/**
 * The manifest committed in routes/, bundled with the code (a static JSON import, so Workers get it too),
 * checked on first use: a broken manifest stops the gateway at start with the entry at fault named.
 */
export function committedManifest(): RetirementManifest {
  checked ??= parseManifest(committed);
  return checked;
}
