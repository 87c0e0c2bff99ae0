import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { actorIdOf } from '../../auth/principal';
import { socialPlatforms } from '../../domain/account/platforms';
import type { Decider } from '../../domain/decider';
import {
  generationDecider,
  generationKinds,
  generationOutputAsContent,
  GenerationNotCompleted,
  type Generation,
  type GenerationCommand,
  type GenerationEvent,
  type GenerationState,
  type GenerationStatus,
} from '../../domain/generation';
import { postDecider, PostIsDeleted, type EditPost, type Post } from '../../domain/post';
import { requiresApproval } from '../../domain/workspace/decider';
import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { eventMetadata, ifMatch, sendCommandResult } from '../../http/command-response';
import { z } from '../../http/openapi';
import { pathId, text } from '../../http/validation';
import type { LoadedStream } from '../command-handler';
import { ResourceNotFound } from '../errors';
import { accessWorkspace } from '../workspace-access';
import { commandHeaders, postBody, postRecordDecider, postView } from './posts';
import type { RouteGroup } from '.';

const generationStatuses = ['requested', 'completed', 'failed', 'timed_out'] as const satisfies readonly GenerationStatus[];

const requestBody = z
  .strictObject({
    kind: z.enum(generationKinds),
    prompt: text(1, 4000),
    postId: z.uuid().optional().openapi({ description: 'The post it is meant for; a post of this workspace' }),
    platform: z.enum(socialPlatforms).optional(),
  })
  .openapi('GenerationRequest');
const applyBody = z.strictObject({ postId: z.uuid() }).openapi('ApplyGenerationRequest');

const generationView = z
  .object({
    id: z.uuid(),
    kind: z.enum(generationKinds),
    prompt: z.string(),
    postId: z.uuid().nullable(),
    platform: z.enum(socialPlatforms).nullable(),
    status: z.enum(generationStatuses),
    output: z
      .object({ text: z.string().optional(), hashtags: z.array(z.string()).optional(), imageUrl: z.string().optional() })
      .nullable()
      .openapi({ description: 'Once completed: text (caption, rewrite), hashtags without # (hashtags) or imageUrl (image)' }),
    error: z.string().nullable().openapi({ description: "The AI service's error, once failed" }),
    requestedBy: z.uuid().openapi({ description: 'A user id, or an API key id' }),
    requestedAt: z.string(),
    completedAt: z.string().nullable(),
    appliedTo: z.array(z.uuid()).openapi({ description: 'Posts the output went into, oldest first' }),
  })
  .openapi('Generation');
type GenerationView = z.infer<typeof generationView>;

/** The generation stream as the routes fold it: the decider's state, and when it completed (the state does not keep it). */
interface GenerationRecord {
  generation: GenerationState;
  completedAt: string | null;
}

const generationRecordDecider: Decider<GenerationCommand, GenerationEvent, GenerationRecord> = {
  initialState: () => ({ generation: generationDecider.initialState(), completedAt: null }),
  decide: (command, record) => generationDecider.decide(command, record.generation),
  evolve: (record, event) => ({
    generation: generationDecider.evolve(record.generation, event),
    completedAt: event.type === 'GenerationCompleted' ? event.data.completedAt : record.completedAt,
  }),
};

function generationBody(generation: Generation, completedAt: string | null): GenerationView {
  return {
    id: generation.generationId,
    kind: generation.kind,
    prompt: generation.prompt,
    postId: generation.postId ?? null,
    platform: generation.platform ?? null,
    status: generation.status,
    output: generation.output ?? null,
    error: generation.error ?? null,
    requestedBy: generation.requestedBy,
    requestedAt: generation.requestedAt,
    completedAt,
    appliedTo: [...generation.appliedTo],
  };
}

/** The generation the path names; another workspace's is 404 like an unknown one. */
async function generationOfWorkspace(deps: ApiDeps, req: Request, workspaceId: string): Promise<LoadedStream<GenerationRecord> & { generation: Generation }> {
  const generationId = pathId(req, 'generationId', 'The generation');
  const loaded = await deps.commands.load(`generation-${generationId}`, generationRecordDecider);
  const generation = loaded.state.generation;
  if (generation.status === 'none' || generation.workspaceId !== workspaceId) throw new ResourceNotFound('The generation');
  return { ...loaded, generation };
}

/** A post of the workspace named in a body; another workspace's is 404 like an unknown one. */
async function postOfWorkspace(deps: ApiDeps, workspaceId: string, postId: string): Promise<Post> {
  const { state } = await deps.commands.load(`post-${postId}`, postDecider);
  if (state.status === 'none' || state.workspaceId !== workspaceId) throw new ResourceNotFound('The post');
  return state;
}

const generationPath = '/v1/workspaces/{workspaceId}/generations/{generationId}';

/**
 * AI content generation: request, read, and apply the output to a post. The AI service
 * reports results through the signed webhook (ai-webhook.ts).
 */
export const generationRoutes: RouteGroup = (api: ApiRouter, deps: ApiDeps) => {
  api.route({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/generations',
    summary: 'Ask the AI service for a caption, hashtags, a rewrite or an image; the result arrives later',
    tag: 'generations',
    auth: 'any',
    body: requestBody,
    responses: {
      202: { description: 'Requested; poll the Location', schema: z.object({ id: z.uuid(), status: z.literal('requested') }), headers: commandHeaders },
    },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'generation:request');
      const postId = body.postId?.toLowerCase();
      if (postId !== undefined && (await postOfWorkspace(deps, workspaceId, postId)).status === 'deleted') throw new PostIsDeleted();
      const generationId = randomUUID();
      const result = await deps.commands.handle({
        streamId: `generation-${generationId}`,
        newStream: true,
        decider: generationRecordDecider,
        command: {
          type: 'RequestGeneration',
          generationId,
          workspaceId,
          kind: body.kind,
          prompt: body.prompt,
          postId,
          platform: body.platform,
          by: actorIdOf(principal),
          now: deps.now().toISOString(),
        },
        metadata: eventMetadata(req, { workspaceId }),
      });
      sendCommandResult(req, res, 202, { id: generationId, status: 'requested' }, result, `/v1/workspaces/${workspaceId}/generations/${generationId}`);
    },
  });

  api.route({
    method: 'get',
    path: generationPath,
    reads: [],
    // there is no generation:read action: whoever may read the workspace's posts may read what was generated for them
    summary: "A generation's status and, once completed, its output (needs post:read)",
    tag: 'generations',
    auth: 'any',
    responses: { 200: { description: 'The generation, with ETag', schema: generationView } },
    async handler({ req, res, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      await accessWorkspace(deps.commands, principal, workspaceId, 'post:read');
      const { generation, state, revision } = await generationOfWorkspace(deps, req, workspaceId);
      res.setHeader('ETag', `W/"${revision}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.json(generationBody(generation, state.completedAt));
    },
  });

  api.route({
    method: 'post',
    path: `${generationPath}/apply`,
    summary:
      "Make a completed generation's output the post's content (text replaces it, hashtags are appended, an image is added to the media); " +
      'editing an approved post sends it back for approval where the policy says so. If-Match is the post\'s revision.',
    tag: 'generations',
    auth: 'any',
    body: applyBody,
    responses: { 200: { description: 'The post', schema: postView, headers: commandHeaders } },
    async handler({ req, res, body, principal }) {
      const workspaceId = pathId(req, 'workspaceId', 'The workspace');
      const expectedRevision = ifMatch(req);
      await accessWorkspace(deps.commands, principal, workspaceId, 'generation:apply');
      const { generation } = await generationOfWorkspace(deps, req, workspaceId);
      const postId = body.postId.toLowerCase();
      const actorId = actorIdOf(principal);
      const post = await postOfWorkspace(deps, workspaceId, postId);
      // a contributor may put the output only into their own posts
      const access = await accessWorkspace(deps.commands, principal, workspaceId, 'post:edit', { isOwnResource: post.authorId === actorId });
      if (generation.status !== 'completed') throw new GenerationNotCompleted(generation.status);
      const metadata = eventMetadata(req, { workspaceId });
      // the post first: its edit is what may be refused (409, 412); recording the use comes after
      const edited = await deps.commands.handle({
        streamId: `post-${postId}`,
        decider: postRecordDecider,
        expectedRevision,
        command: (record): EditPost => ({
          type: 'EditPost',
          by: actorId,
          // the post was found above, and streams are never removed
          ...generationOutputAsContent(generation, record.post as Post),
          // an API key stands in for an editor, as on the post routes
          approvalRequired: requiresApproval(access.workspace, access.role ?? 'editor'),
          approvalsRequired: access.workspace.policy.approvalsRequired,
        }),
        metadata,
      });
      const applied = await deps.commands.handle({
        streamId: `generation-${generation.generationId}`,
        decider: generationRecordDecider,
        command: { type: 'ApplyGeneration', postId, by: actorId },
        metadata,
      });
      sendCommandResult(req, res, 200, postBody(edited.state), { revision: edited.revision, position: applied.position });
    },
  });
};
