import { z } from '@hono/zod-openapi';
import { CalcType, JsonObject, KpointGrid, Timestamp } from './common.js';

export const JobId = z.string().openapi({ example: 'http-0123456789abcdef0123456789abcdef' });

/** Fields in the legacy model's order: validation errors are listed in it. */
export const JobSubmission = z
  .object({
    calc_type: CalcType.default('qe.zpe.v1'),
    content: z.string().openapi({ description: 'The Quantum ESPRESSO pw.x input file.' }),
    mobile_indices: z.array(z.number().int()).openapi({
      description: 'Zero-based indices of the atoms to displace, each below the atom count; none may be a fixed atom.',
    }),
    use_environ: z.boolean().default(false),
    input_dir: z.string().nullable().optional(),
    calc_mode: z.enum(['new', 'continue']).default('continue'),
    structure_id: z.string().nullable().optional(),
  })
  .strict()
  .openapi('ZPEJobRequest');

export const JobAccepted = z.object({ id: JobId }).strict().openapi('ZPEJobResponse');

export const JobState = z.enum(['queued', 'started', 'finished', 'failed']).openapi('JobState');

export const JobStatus = z
  .object({
    status: JobState,
    detail: z.string().nullable().optional(),
    updated_at: Timestamp.nullable().optional(),
  })
  .strict()
  .openapi('ZPEJobStatus');

export const ZpeResult = z
  .object({
    calc_type: CalcType.default('qe.zpe.v1'),
    freqs_cm: z.array(z.number()),
    zpe_ev: z.number(),
    s_vib_jmol_k: z.number(),
    mobile_indices: z.array(z.number().int()),
    fixed_indices: z.array(z.number().int()),
    kpoints: KpointGrid,
    delta: z.number(),
    low_cut_cm: z.number(),
    temperature: z.number(),
    use_environ: z.boolean(),
    qe_input: z.string(),
    pseudo_dir: z.string(),
    calc_start_time: z.string(),
    calc_end_time: z.string(),
    elapsed_seconds: z.number(),
    cache_checked: z.number().int(),
    cache_deleted: z.number().int(),
    ecutwfc: z.number().nullable().optional(),
    ecutrho: z.number().nullable().optional(),
  })
  .strict()
  .openapi('ZPEResult');

export const JobResult = z.object({ result: ZpeResult }).strict().openapi('ZPEJobResultResponse');

export const JobFileKind = z.enum(['summary', 'freqs']).openapi('JobFileKind');

export const JobFileQuery = z.object({ kind: JobFileKind }).strict();

export const JobIdParams = z.object({ job_id: JobId.openapi({ param: { name: 'job_id', in: 'path' } }) }).strict();

export { JsonObject };
