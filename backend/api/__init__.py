"""The GraphQL API: schema assembly, request context, loaders, errors and pagination."""
