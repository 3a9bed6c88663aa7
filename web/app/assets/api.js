// Talking to Onramp's GraphQL API: POST with a JSON body and the session cookie, and
// subscriptions over graphql-transport-ws (the graphql-ws client, loaded as window.graphqlWs).
import config from "../config.js";

const endpoint = new URL("/graphql", config.apiUrl).href;
const socketUrl = endpoint.replace(/^http/, "ws");

export class ApiError extends Error {
  constructor(message, code, requestId) {
    super(message);
    this.code = code;
    this.requestId = requestId;
  }
}

export const ERRORS = "errors { field code message retryAfter }";

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      // The session cookie (HttpOnly, SameSite=Lax) is the credential; the token in a
      // sign-in's body is ignored, as the contract asks of a same-site browser frontend.
      credentials: "include",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and try again.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} without JSON.`, "BAD_RESPONSE");
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions?.code ?? "ERROR", first.extensions?.requestId);
  }
  return body.data;
}

let client = null;

function socket() {
  if (!client) {
    // The upgrade request carries the session cookie; the server checks it at every subscribe.
    client = window.graphqlWs.createClient({ url: socketUrl, lazy: true, retryAttempts: 5 });
  }
  return client;
}

export function resetSocket() {
  // After signing in or out the next subscription opens a socket with the new cookie.
  client?.dispose();
  client = null;
}

/** Calls onData with each message; resolves when the server completes the subscription. */
export function subscribe(query, variables, onData) {
  let stop = () => {};
  const done = new Promise((resolve, reject) => {
    stop = socket().subscribe(
      { query, variables },
      {
        next: (message) => {
          if (message.errors?.length) {
            const [first] = message.errors;
            reject(new ApiError(first.message, first.extensions?.code ?? "ERROR"));
          } else {
            onData(message.data);
          }
        },
        error: (error) => reject(error instanceof Error ? error : new ApiError("The live connection closed.", "SOCKET")),
        complete: resolve,
      },
    );
  });
  return { done, stop: () => stop() };
}

export const GATEWAY = `paymentGateway { name tokenizationUrl publishableKey acceptedBrands
  serviceTerms { id key title version url content } }`;
