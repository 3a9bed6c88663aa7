"""The rules of onboarding, independent of GraphQL and HTTP."""
