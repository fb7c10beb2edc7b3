/**
 * The PQL expression envelope of a segment definition
 * (segmentation-api.md: `expression: {type, format, value}`).
 */
import { z } from 'zod';

export const PqlExpression = z.object({
  type: z.literal('PQL'),
  format: z.enum(['pql/text', 'pql/json']),
  value: z.string().max(100_000, 'A PQL expression may be at most 100,000 characters'),
});
export type PqlExpression = z.infer<typeof PqlExpression>;

/** A segment definition as `seg check` and `seg run` read it from a file: the API's shape, the fields they use. */
export const SegmentFileEntry = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  expression: PqlExpression,
});
export type SegmentFileEntry = z.infer<typeof SegmentFileEntry>;

export const SegmentFile = z.array(SegmentFileEntry);
