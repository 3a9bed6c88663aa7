"""GraphQL types and operations, one module per onboarding step."""
