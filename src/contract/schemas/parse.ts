import { z } from '@hono/zod-openapi';
import { KpointGrid } from './common.js';

export const ParseRequest = z
  .object({ content: z.string(), structure_id: z.string().nullable().optional() })
  .strict()
  .openapi('ZPEParseRequest');

const Vector3 = z.object({ x: z.number(), y: z.number(), z: z.number() }).strict().openapi('Vector3');

const Atom = z
  .object({ symbol: z.string().min(1).max(3), x: z.number(), y: z.number(), z: z.number() })
  .strict()
  .openapi('Atom');

const Lattice = z.object({ a: Vector3, b: Vector3, c: Vector3 }).strict().openapi('Lattice');

const Structure = z
  .object({ atoms: z.array(Atom), lattice: Lattice.nullable().optional() })
  .strict()
  .openapi('Structure');

export const ParsedInput = z
  .object({
    structure: Structure,
    fixed_indices: z.array(z.number().int()),
    atomic_species: z.record(z.string(), z.string()).optional(),
    kpoints: KpointGrid.nullable().optional(),
  })
  .strict()
  .openapi('ZPEParseResponse');
