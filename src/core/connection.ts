// The client's connection under @hono/node-server: closed by a fault, or gone before the answer.

/** Marks a response nobody receives (a fault dropped the connection, or the client left), so the journal records no status for it. */
export const DROPPED_HEADER = 'x-sandbox-dropped';

interface NodeEnv {
  incoming?: { socket?: { destroy(): void; destroyed?: boolean } };
}

/** The request's socket, when the server is Node's. */
export const socketOf = (env: unknown) => (env as NodeEnv | undefined)?.incoming?.socket;

/** Whether the client closed the connection before its answer: nothing can reach it any more. */
export const clientGone = (env: unknown): boolean => socketOf(env)?.destroyed === true;

/** The answer to a request whose connection is closed: marked, never sent. */
export const droppedResponse = (): Response => new Response(null, { status: 204, headers: { [DROPPED_HEADER]: '1' } });
