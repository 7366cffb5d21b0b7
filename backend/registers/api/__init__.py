"""The registers' part of the GraphQL schema."""

from backend.registers.api.mutations import RegisterMutation
from backend.registers.api.queries import RegisterQuery

__all__ = ["RegisterMutation", "RegisterQuery"]
