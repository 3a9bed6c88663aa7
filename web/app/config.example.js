// A static host serves web/app/ with this file copied to config.js, edited to name the API.
// (Onramp writes its own config.js from ONRAMP_PUBLIC_URL when it serves the frontend.)
export default Object.freeze({
  // Onramp's ONRAMP_PUBLIC_URL: GraphQL at <apiUrl>/graphql, over HTTP and websockets.
  "apiUrl": "https://api.example.com",
  // The development outbox, to read codes; null in production.
  "outboxUrl": null,
  // Stripe requires Stripe.js to be loaded from its own address.
  "stripeJsUrl": "https://js.stripe.com/v3/"
});
