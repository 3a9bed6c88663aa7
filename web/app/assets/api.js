// Talking to Onramp's GraphQL APIs: POST with a JSON body and the session cookie, and
// subscriptions over graphql-transport-ws (the graphql-ws client, loaded as window.graphqlWs).
// Customers' endpoint is /graphql; the staff console's is /staff/graphql (`client`).
import config from "../config.js";

const socketUrl = new URL("/graphql", config.apiUrl).href.replace(/^http/, "ws");

export class ApiError extends Error {
  constructor(message, code, requestId) {
    super(message);
    this.code = code;
    this.requestId = requestId;
  }
}

export const ERRORS = "errors { field code message retryAfter }";

/** A function that runs an operation at `path` of the API and answers its `data`. */
export function client(path) {
  const url = new URL(path, config.apiUrl).href;
  return (query, variables = {}) => post(url, query, variables);
}

export const gql = client("/graphql");

async function post(url, query, variables) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      // The session cookie (HttpOnly, SameSite=Lax; staff have their own) is the credential;
      // the token in a sign-in's body is ignored, as the contract asks of a same-site browser
      // frontend.
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

let socketClient = null;

function socket() {
  if (!socketClient) {
    // The upgrade request carries the session cookie; the server checks it at every subscribe.
    socketClient = window.graphqlWs.createClient({ url: socketUrl, lazy: true, retryAttempts: 5 });
  }
  return socketClient;
}

export function resetSocket() {
  // After signing in or out the next subscription opens a socket with the new cookie.
  socketClient?.dispose();
  socketClient = null;
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
