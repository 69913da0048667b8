"""Errors are domain facts with stable codes; the edges turn them into HTTP, HTML or exit codes."""

from __future__ import annotations


class BuyerGuardError(Exception):
    """Base of every error the product reports to a user; `code` never changes once released."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, object]:
        """Machine-readable specifics added beside `code` and `message` (e.g. a field or line)."""
        return {}


class InvalidInputError(BuyerGuardError):
    code = "invalid_input"


class NotFoundError(BuyerGuardError):
    code = "not_found"


class ConflictError(BuyerGuardError):
    code = "conflict"


class PermissionDeniedError(BuyerGuardError):
    code = "permission_denied"


class AuthenticationError(BuyerGuardError):
    code = "unauthenticated"


class UnknownReasonError(InvalidInputError):
    code = "unknown_reason"


class InvalidIdentifierError(InvalidInputError):
    code = "invalid_identifier"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field}


class NoIdentifierError(InvalidInputError):
    code = "no_identifier"


class TagNotFoundError(NotFoundError):
    code = "tag_not_found"


class SellerNotFoundError(NotFoundError):
    code = "seller_not_found"


class ApiKeyNotFoundError(NotFoundError):
    code = "api_key_not_found"


class LinkClaimNotFoundError(NotFoundError):
    code = "link_claim_not_found"


class BuyerNotFoundError(NotFoundError):
    code = "buyer_not_found"


class MergeNotFoundError(NotFoundError):
    code = "merge_not_found"


class MergeUndoneError(ConflictError):
    code = "merge_undone"


class MergeCoveredError(ConflictError):
    code = "merge_covered"


class InvalidImportError(InvalidInputError):
    """A bulk import with bad lines; nothing of it was stored."""

    code = "invalid_import"

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        shown = "; ".join(f"line {line}: {text}" for line, text in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} bad line(s), nothing imported: {shown}{more}")
        self.errors = errors

    def details(self) -> dict[str, object]:
        return {"lines": [{"line": line, "message": text} for line, text in self.errors[:1000]]}
