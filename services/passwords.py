"""The password policy: what a password must be before it is ever hashed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 128
    requires_letter: bool = True
    requires_digit: bool = True
    allows_spaces: bool = False

    def problems(self, password: str) -> list[str]:
        """Every rule the password breaks, as sentences; empty when it is acceptable."""
        found = []
        if len(password) < self.min_length:
            found.append(f"Use at least {self.min_length} characters.")
        if len(password) > self.max_length:
            found.append(f"Use at most {self.max_length} characters.")
        if self.requires_letter and not any(ch.isalpha() for ch in password):
            found.append("Include at least one letter.")
        if self.requires_digit and not any(ch.isdigit() for ch in password):
            found.append("Include at least one digit.")
        if not self.allows_spaces and any(ch.isspace() for ch in password):
            found.append("Leave out spaces.")
        return found


POLICY = PasswordPolicy()
