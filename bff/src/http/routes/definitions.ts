/**
 * Segment definitions and conversion under /data/core/ups (segmentation-api.md §2.1–2.3, §3).
 *
 *   GET    /segment/definitions             ?start&limit&page&sort&evaluationInfo.{batch,continuous,synchronous}.enabled
 *                                           → 200 {segments, page:{totalCount,totalPages,sortField,sort,pageSize,limit}, link:{next?:{href}}}
 *   POST   /segment/definitions             → 200 the stored definition (+ warnings), X-Location; 400 bad body or PQL
 *                                             (every diagnostic with positions); 422 name taken in the sandbox
 *   GET    /segment/definitions/{id}        → 200 | 404
 *   POST   /segment/definitions/bulk-get    {ids:[{id}]} → 207 {results:{id: definition | {id, error:{status:404,title:'NotFound'}}}}
 *   PATCH  /segment/definitions/{id}        full overwrite → 200 (+ warnings), X-Location; 400 (PQL, inSegment cycle); 404; 422
 *   DELETE /segment/definitions/{id}        → 200 {status:true, message}; 404; 409 naming the dependents (inSegment)
 *   POST   /segment/conversion              pql/text ⇄ pql/json → 200; 400 unparsable
 *
 * Decisions: the expression is stored and returned exactly as sent (§2.2); the evaluation flags are
 * computed on create and PATCH (shared/src/pql/eligibility.ts): continuous/synchronous requested
 * on an ineligible query are downgraded to batch, with the reason in `eligibility.reasons`; an
 * omitted evaluationInfo means batch (§2.3). `start` is an offset and `page` a 0-based page of
 * `limit` rows; both given, the offset is start + page × limit. Names are unique per sandbox,
 * ignoring ASCII case. Only the profile schema `_xdm.context.profile` is supported.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  analyzeExpression,
  BulkGetRequest,
  childrenOf,
  BulkGetResponse,
  classify,
  ConversionRequest,
  ConversionResponse,
  DEFINITION_SORT_FIELDS,
  DefinitionList,
  DefinitionListQuery,
  DependentsErrorBody,
  format,
  fromPqlJson,
  MessageResponse,
  parse,
  PROFILE_SCHEMA_NAME,
  PqlErrorBody,
  SegmentDefinition,
  SegmentDefinitionInput,
  SegmentDefinitionWritten,
  SourceText,
  toPqlJson,
  type Analysis,
  type DefinitionEligibility,
  type Diagnostic,
  type EvaluationInfoComputed,
  type Expr,
  type PositionedDiagnostic,
  type PqlExpression,
  type SegmentDefinitionInput as SegmentDefinitionInputT,
} from '@seg/shared';
import {
  definitionGraph,
  deleteDefinition,
  dependentsOf,
  DuplicateNameError,
  getDefinition,
  getDefinitions,
  listDefinitions,
  normalizeFolder,
  saveDefinition,
  type DefinitionRecord,
  type Scope,
  type SortField,
} from '../../control/definitions.js';
import { sandboxRef } from '../../control/sandboxes.js';
import type { Services } from '../../services.js';
import { requestContext, type RequestContext } from '../context.js';
import { ApiError, badRequest, conflict, notFound, unprocessable } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

/** = app.ts UPS_BASE (not imported: app.ts imports this module). */
export const UPS_BASE = '/data/core/ups';

const TAGS = ['Segment definitions'];
const IdParams = z.object({ id: z.string().meta({ description: 'Segment definition id (uuid)' }) });

registerRoute({
  method: 'get',
  path: `${UPS_BASE}/segment/definitions`,
  summary: 'List segment definitions',
  tags: TAGS,
  request: { headers: DATA_HEADERS, query: DefinitionListQuery },
  responses: { 200: jsonResponse('A page of definitions', DefinitionList), ...errorResponses(400) },
});
registerRoute({
  method: 'post',
  path: `${UPS_BASE}/segment/definitions`,
  summary: 'Create a segment definition',
  description: 'Answers 200 (not 201). The evaluation flags are computed from the query; streaming/edge requests on an ineligible query are downgraded to batch.',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(SegmentDefinitionInput) },
  responses: {
    200: jsonResponse('The stored definition', SegmentDefinitionWritten, { 'X-Location': 'href of the definition' }),
    400: jsonResponse('Invalid body, or PQL that does not parse or check (every diagnostic)', PqlErrorBody),
    ...errorResponses(422),
  },
});
registerRoute({
  method: 'get',
  path: `${UPS_BASE}/segment/definitions/{id}`,
  summary: 'Get a segment definition',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: { 200: jsonResponse('The definition', SegmentDefinition), ...errorResponses(404) },
});
registerRoute({
  method: 'post',
  path: `${UPS_BASE}/segment/definitions/bulk-get`,
  summary: 'Get several segment definitions',
  description: 'Answers 207; an unknown id maps to {id, error:{status:404, title:"NotFound"}}.',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(BulkGetRequest) },
  responses: { 207: jsonResponse('Definitions by id', BulkGetResponse), ...errorResponses(400) },
});
registerRoute({
  method: 'patch',
  path: `${UPS_BASE}/segment/definitions/{id}`,
  summary: 'Overwrite a segment definition',
  description: 'The body is a full definition (not JSON Patch); omitted optional fields take their defaults.',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams, ...jsonBody(SegmentDefinitionInput) },
  responses: {
    200: jsonResponse('The stored definition', SegmentDefinitionWritten, { 'X-Location': 'href of the definition' }),
    400: jsonResponse('Invalid body, PQL errors, or an inSegment cycle', PqlErrorBody),
    ...errorResponses(404, 422),
  },
});
registerRoute({
  method: 'delete',
  path: `${UPS_BASE}/segment/definitions/{id}`,
  summary: 'Delete a segment definition',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: {
    200: jsonResponse('Deleted', MessageResponse),
    ...errorResponses(404),
    409: jsonResponse('Other definitions reference it with inSegment', DependentsErrorBody),
  },
});
registerRoute({
  method: 'post',
  path: `${UPS_BASE}/segment/conversion`,
  summary: 'Convert a PQL expression between pql/text and pql/json',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(ConversionRequest) },
  responses: {
    200: jsonResponse('The converted expression', ConversionResponse),
    400: jsonResponse('Unparsable expression', PqlErrorBody),
  },
});

// ---------------------------------------------------------------- helpers

const scopeOf = (ctx: RequestContext): Scope => ({ orgId: ctx.orgId, sandboxId: ctx.sandbox.id });
const href = (id: string) => `${UPS_BASE}/segment/definitions/${id}`;

function diag(d: PositionedDiagnostic) {
  return {
    severity: d.severity,
    message: d.message,
    code: d.code,
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
  };
}

function pqlError(detail: string, errors: readonly PositionedDiagnostic[], warnings: readonly PositionedDiagnostic[]): ApiError {
  return badRequest(detail, { errors: errors.map(diag), warnings: warnings.map(diag) });
}

function toResource(rec: DefinitionRecord, ctx: RequestContext): SegmentDefinition {
  const b = rec.body;
  return {
    id: rec.id,
    name: rec.name,
    ...(rec.description !== undefined ? { description: rec.description } : {}),
    schema: b.schema,
    expression: b.expression,
    evaluationInfo: rec.evaluationInfo,
    profileInstanceId: b.profileInstanceId,
    ...(b.payloadSchema !== undefined ? { payloadSchema: b.payloadSchema } : {}),
    ...(b.mergePolicyId !== undefined ? { mergePolicyId: b.mergePolicyId } : {}),
    ...(b.ttlInDays !== undefined ? { ttlInDays: b.ttlInDays } : {}),
    dataGovernancePolicy: { excludeOptOut: true },
    imsOrgId: rec.orgId,
    sandbox: sandboxRef(ctx.sandbox),
    creationTime: rec.createdAt,
    updateTime: rec.updatedAt,
    updateEpoch: Math.floor(rec.updatedAt / 1000),
    baselineTime: Math.floor(rec.createdAt / 1000),
    ...(rec.folder !== undefined ? { folder: rec.folder } : {}),
    eligibility: rec.eligibility,
  };
}

/** The inSegment(...) string argument nodes naming `id`. */
function inSegmentArgs(root: Expr, id: string): Expr[] {
  const out: Expr[] = [];
  const walk = (e: Expr) => {
    if (e.kind === 'Call' && e.name.toLowerCase() === 'insegment') {
      const a = e.args[0];
      if (a && a.kind === 'String' && a.value === id) out.push(a);
    }
    for (const c of childrenOf(e)) walk(c);
  };
  walk(root);
  return out;
}

/** The path from `from` back to `target` through inSegment edges, if any. */
function pathTo(graph: Map<string, { segmentRefs: string[] }>, from: string, target: string): string[] | undefined {
  const seen = new Set<string>();
  const dfs = (id: string): string[] | undefined => {
    if (id === target) return [id];
    if (seen.has(id)) return undefined;
    seen.add(id);
    for (const next of graph.get(id)?.segmentRefs ?? []) {
      const p = dfs(next);
      if (p) return [id, ...p];
    }
    return undefined;
  };
  return dfs(from);
}

function computeEvaluation(input: SegmentDefinitionInputT, elig: ReturnType<typeof classify>): {
  evaluationInfo: EvaluationInfoComputed;
  eligibility: DefinitionEligibility;
} {
  const req = input.evaluationInfo;
  const wantsStreaming = req?.continuous?.enabled === true;
  const wantsEdge = req?.synchronous?.enabled === true;
  const continuous = wantsStreaming && elig.streaming;
  const synchronous = wantsEdge && elig.edge;
  const batch = continuous || synchronous ? (req?.batch?.enabled ?? true) : true;
  const notes: string[] = [];
  if (wantsStreaming && !continuous) notes.push('Streaming (continuous) evaluation was requested but the query is not eligible; it is evaluated in batch.');
  if (wantsEdge && !synchronous) notes.push('Edge (synchronous) evaluation was requested but the query is not eligible; it is evaluated in batch.');
  return {
    evaluationInfo: { batch: { enabled: batch }, continuous: { enabled: continuous }, synchronous: { enabled: synchronous } },
    eligibility: {
      method: elig.method,
      streaming: elig.streaming,
      edge: elig.edge,
      profileOnly: elig.profileOnly,
      reasons: [...notes, ...elig.reasons],
    },
  };
}

function checkSchema(input: { schema?: { name?: string; id?: string } | undefined }): void {
  const name = input.schema?.name;
  if (name !== undefined && name !== PROFILE_SCHEMA_NAME)
    throw badRequest(`Unsupported schema "${name}": only ${PROFILE_SCHEMA_NAME} (profiles) is supported.`, {
      issues: [{ path: 'schema.name', message: `must be ${PROFILE_SCHEMA_NAME}`, code: 'invalid_value' }],
    });
}

// ---------------------------------------------------------------- router

export function definitionsRouter(services: Services): Router {
  const router = Router();
  const { db } = services;

  /**
   * Validates and builds the record for a create (existing undefined) or an overwrite. Everything
   * after the data-plane await is synchronous, so the checks and the write are atomic.
   */
  async function build(ctx: RequestContext, input: SegmentDefinitionInputT, existing: DefinitionRecord | undefined, id: string) {
    checkSchema(input);
    const data = await services.dataPlane.forSandbox(ctx.orgId, ctx.sandbox.name);
    const scope = scopeOf(ctx);
    const graph = definitionGraph(db, scope);
    if (existing && !graph.has(existing.id)) throw notFound(`Segment definition ${existing.id} not found.`);
    const analysis: Analysis = analyzeExpression(input.expression, { schema: data.schema, knownSegmentIds: new Set(graph.keys()) });
    if (analysis.errors.length) {
      throw pqlError(
        `The expression does not ${analysis.errors.some((e) => e.code < 'PQL200') ? 'parse' : 'check'}: ${analysis.errors.length} error(s); first: ${analysis.errors[0]!.message} (line ${analysis.errors[0]!.line}, column ${analysis.errors[0]!.column}).`,
        analysis.errors,
        analysis.warnings,
      );
    }
    const refs = [...new Set(analysis.checked.segmentRefs)];
    // cycles: the stored graph is acyclic, so a new cycle runs through this definition
    const source = new SourceText(analysis.text);
    const cycleErrors: PositionedDiagnostic[] = [];
    let cycleDetail: string | undefined;
    for (const ref of refs) {
      const path = ref === id ? [id] : pathTo(graph, ref, id);
      if (!path) continue;
      const cycle = [id, ...(ref === id ? [] : path)];
      const label = (x: string) => `${x} (${JSON.stringify(x === id ? input.name : (graph.get(x)?.name ?? x))})`;
      const text = cycle.map(label).join(' → ');
      cycleDetail ??= `inSegment would create a cycle: ${text}.`;
      for (const arg of inSegmentArgs(analysis.checked.root, ref)) {
        const d: Diagnostic = { severity: 'error', code: 'PQL207', message: `inSegment("${ref}") creates a cycle: ${text}`, span: arg.span };
        cycleErrors.push(source.positioned(d));
      }
    }
    if (cycleDetail) throw pqlError(cycleDetail, cycleErrors, analysis.warnings);

    const elig = classify(analysis.checked, {
      segmentInfo: (ref) => {
        const g = graph.get(ref);
        return g && { profileOnly: g.profileOnly, name: g.name };
      },
    });
    const { evaluationInfo, eligibility } = computeEvaluation(input, elig);
    const now = services.now();
    const createdBy = ctx.principal.kind === 'client' ? ctx.principal.clientId : ctx.principal.user;
    const description = input.description ?? undefined;
    const rec: DefinitionRecord = {
      id,
      orgId: ctx.orgId,
      sandboxId: ctx.sandbox.id,
      name: input.name,
      description,
      folder: normalizeFolder(input.folder),
      body: {
        schema: input.schema,
        expression: input.expression,
        ...(input.evaluationInfo ? { evaluationInfo: input.evaluationInfo } : {}),
        profileInstanceId: input.profileInstanceId ?? 'ups',
        ...(input.payloadSchema !== undefined ? { payloadSchema: input.payloadSchema } : {}),
        ...(input.mergePolicyId !== undefined ? { mergePolicyId: input.mergePolicyId } : {}),
        ...(input.ttlInDays !== undefined ? { ttlInDays: input.ttlInDays } : {}),
      },
      evaluationInfo,
      eligibility,
      profileOnly: elig.profileOnly,
      segmentRefs: refs,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      createdBy: existing?.createdBy ?? createdBy,
    };
    try {
      saveDefinition(db, rec, existing ? 'update' : 'insert');
    } catch (err) {
      if (err instanceof DuplicateNameError) throw unprocessable(`${err.message} Use PATCH to change it, or choose another name.`);
      throw err;
    }
    return { rec, warnings: analysis.warnings.map(diag) };
  }

  router.get('/segment/definitions', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = DefinitionListQuery.parse(req.query);
    const sort = parseSort(q.sort);
    const offset = (q.start ?? 0) + (q.page ?? 0) * q.limit;
    const { items, total } = listDefinitions(db, scopeOf(ctx), {
      offset,
      limit: q.limit,
      sort,
      filters: {
        batch: q['evaluationInfo.batch.enabled'],
        continuous: q['evaluationInfo.continuous.enabled'],
        synchronous: q['evaluationInfo.synchronous.enabled'],
      },
    });
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) if (k !== 'start' && k !== 'page' && typeof v === 'string') next.set(k, v);
    next.set('start', String(offset + q.limit));
    next.set('limit', String(q.limit));
    const body: DefinitionList = {
      segments: items.map((r) => toResource(r, ctx)),
      page: {
        totalCount: total,
        totalPages: Math.ceil(total / q.limit),
        sortField: sort[0]!.field,
        sort: sort[0]!.dir,
        pageSize: items.length,
        limit: q.limit,
      },
      link: offset + items.length < total ? { next: { href: `/segment/definitions?${next.toString()}` } } : {},
    };
    res.json(body);
  });

  router.post('/segment/definitions', async (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const input = SegmentDefinitionInput.parse(req.body ?? {});
    const { rec, warnings } = await build(ctx, input, undefined, randomUUID());
    res.set('X-Location', href(rec.id)).status(200).json({ ...toResource(rec, ctx), warnings });
  });

  router.post('/segment/definitions/bulk-get', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const body = BulkGetRequest.parse(req.body ?? {});
    const found = getDefinitions(db, scopeOf(ctx), body.ids.map((i) => i.id));
    const results: BulkGetResponse['results'] = {};
    for (const { id } of body.ids) {
      const rec = found.get(id);
      results[id] = rec ? toResource(rec, ctx) : { id, error: { status: 404, title: 'NotFound' } };
    }
    res.status(207).json({ results });
  });

  router.get('/segment/definitions/:id', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const id = String(req.params.id);
    const rec = getDefinition(db, scopeOf(ctx), id);
    if (!rec) throw notFound(`Segment definition ${id} not found.`);
    res.json(toResource(rec, ctx));
  });

  router.patch('/segment/definitions/:id', async (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const id = String(req.params.id);
    const existing = getDefinition(db, scopeOf(ctx), id);
    if (!existing) throw notFound(`Segment definition ${id} not found.`);
    const input = SegmentDefinitionInput.parse(req.body ?? {});
    if (input.id !== undefined && input.id !== id) throw badRequest(`The body's id ${JSON.stringify(input.id)} does not match the path's ${id}.`);
    const { rec, warnings } = await build(ctx, input, existing, id);
    res.set('X-Location', href(rec.id)).status(200).json({ ...toResource(rec, ctx), warnings });
  });

  router.delete('/segment/definitions/:id', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const id = String(req.params.id);
    const scope = scopeOf(ctx);
    const rec = getDefinition(db, scope, id);
    if (!rec) throw notFound(`Segment definition ${id} not found.`);
    const dependents = dependentsOf(db, scope, id);
    if (dependents.length) {
      throw conflict(
        `Segment definition ${id} (${JSON.stringify(rec.name)}) is referenced with inSegment by ${dependents
          .map((d) => `${d.id} (${JSON.stringify(d.name)})`)
          .join(', ')}; change or delete ${dependents.length === 1 ? 'it' : 'them'} first.`,
        { dependents },
      );
    }
    if (!deleteDefinition(db, scope, id)) throw notFound(`Segment definition ${id} not found.`);
    res.json({ status: true, message: `Segment definition ${id} deleted.` } satisfies MessageResponse);
  });

  router.post('/segment/conversion', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const body = ConversionRequest.parse(req.body ?? {});
    checkSchema(body);
    const expression = convert(body.expression);
    const out: ConversionResponse = {
      imsOrgId: ctx.orgId,
      sandbox: sandboxRef(ctx.sandbox),
      ...(body.description != null ? { description: body.description } : {}),
      ...(body.schema ? { schema: body.schema } : {}),
      expression,
      ...(body.profileInstanceId !== undefined ? { profileInstanceId: body.profileInstanceId } : {}),
      ...(body.payloadSchema !== undefined ? { payloadSchema: body.payloadSchema } : {}),
    };
    res.json(out);
  });

  return router;
}

/** pql/text → pql/json and back; 400 with positioned diagnostics when the input does not parse. */
export function convert(expression: PqlExpression): PqlExpression {
  if (expression.format === 'pql/text') {
    const parsed = parse(expression.value);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const positioned = errors.map((d) => parsed.source.positioned(d));
      throw pqlError(`The pql/text expression does not parse: ${positioned[0]!.message}`, positioned, []);
    }
    return { type: 'PQL', format: 'pql/json', value: JSON.stringify(toPqlJson(parsed.root)) };
  }
  let json: unknown;
  try {
    json = JSON.parse(expression.value);
  } catch (e) {
    throw badRequest(`The pql/json value is not valid JSON: ${(e as Error).message}`, {
      errors: [{ severity: 'error', code: 'PQL101', message: 'The pql/json value is not valid JSON', line: 1, column: 1, endLine: 1, endColumn: 1 }],
    });
  }
  const converted = fromPqlJson(json);
  const errors = converted.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const source = new SourceText(expression.value);
    const positioned = errors.map((d) => source.positioned(d));
    throw pqlError(`The pql/json tree is not valid: ${positioned[0]!.message}`, positioned, []);
  }
  return { type: 'PQL', format: 'pql/text', value: format(converted.root) };
}

function parseSort(sort: string | undefined): { field: SortField; dir: 'asc' | 'desc' }[] {
  if (sort === undefined || sort.trim() === '') return [{ field: 'creationTime', dir: 'desc' }];
  return sort.split(',').map((part) => {
    const [field, dir = 'asc', ...rest] = part.trim().split(':');
    if (!(DEFINITION_SORT_FIELDS as readonly string[]).includes(field ?? '') || rest.length || (dir !== 'asc' && dir !== 'desc')) {
      throw badRequest(
        `Invalid sort "${part.trim()}": use attr:asc or attr:desc, comma-separated, with attr one of ${DEFINITION_SORT_FIELDS.join(', ')}.`,
        { issues: [{ path: 'sort', message: 'invalid sort', code: 'custom' }] },
      );
    }
    return { field: field as SortField, dir };
  });
}
