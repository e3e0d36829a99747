// The console speaks only the public GraphQL API, as any integration would.
import { createClient, type Client } from "graphql-ws";

const TOKEN_KEY = "pointsmall.ops.token";
export const SIGNED_OUT = "pointsmall:signed-out";

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  live?.dispose();
  live = null;
  connected = false;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly field?: string | null,
  ) {
    super(message);
  }
}

type GraphQLError = { message: string; extensions?: { code?: string } };
type UserError = { code: string; message: string; field?: string | null };

export async function query<T>(
  text: string,
  variables: Record<string, unknown> = {},
  token: string | null = savedToken(),
): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: GraphQLError[] };
  if (body.errors?.length) {
    const [first] = body.errors;
    if (first.extensions?.code === "UNAUTHENTICATED" && token === savedToken()) {
      saveToken(null); // expired or revoked: back to the sign-in
      window.dispatchEvent(new Event(SIGNED_OUT));
    }
    throw new ApiError(first.message, first.extensions?.code);
  }
  return body.data as T;
}

/** A mutation whose payload (the one root field) lists `errors`: the first one thrown. */
export async function mutate<T>(
  text: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const data = await query<Record<string, T & { errors?: UserError[] }>>(text, variables);
  const payload = Object.values(data)[0];
  const problem = payload.errors?.[0];
  if (problem) throw new ApiError(problem.message, problem.code, problem.field);
  return payload;
}

let live: Client | null = null;
let connected = false;
const watchers = new Set<(connected: boolean) => void>();

function tell(now: boolean): void {
  connected = now;
  watchers.forEach((watcher) => watcher(now));
}

/** Follow a subscription (`onState` hears whether the socket is up); returns the
 * function that stops it. One socket serves every subscription of the page. */
export function subscribe<T>(
  text: string,
  onData: (data: T) => void,
  onState: (connected: boolean) => void = () => {},
): () => void {
  if (live === null) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    live = createClient({
      url: `${scheme}://${location.host}/graphql`,
      connectionParams: () => ({ authorization: `Bearer ${savedToken()}` }),
      retryAttempts: Infinity,
      shouldRetry: () => true,
      on: { connected: () => tell(true), closed: () => tell(false) },
    });
  }
  watchers.add(onState);
  onState(connected);
  const stop = live.subscribe<T>(
    { query: text },
    {
      next: (result) => result.data && onData(result.data as T),
      error: () => {},
      complete: () => {},
    },
  );
  return () => {
    watchers.delete(onState);
    stop();
  };
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export const formatNumber = new Intl.NumberFormat("en-GB").format;

export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  return new Date(value).toLocaleString("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  });
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "n/a" : `${(value * 100).toFixed(1)}%`;
}
